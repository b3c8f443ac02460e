//! Hashing adapters: compute a digest while bytes stream through, and fail on a mismatch.

use crate::Sha256;
use sha2::Digest as _;
use std::fmt;
use std::io::{self, Read, Write};

/// An incremental SHA-256 that also counts bytes.
#[derive(Clone, Default)]
pub struct Hasher {
    inner: sha2::Sha256,
    size: u64,
}

impl Hasher {
    /// A hasher that has seen nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        self.inner.update(bytes);
        self.size += bytes.len() as u64;
    }

    /// Bytes seen so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The digest and size of everything fed.
    pub fn finish(self) -> (Sha256, u64) {
        (Sha256::from_bytes(self.inner.finalize().into()), self.size)
    }
}

/// A reader that hashes what passes through it.
pub struct HashingReader<R> {
    inner: R,
    hasher: Hasher,
}

impl<R: Read> HashingReader<R> {
    /// Wraps `inner`.
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            hasher: Hasher::new(),
        }
    }

    /// The digest and size of what has been read so far, and the inner reader.
    pub fn finish(self) -> (Sha256, u64, R) {
        let (digest, size) = self.hasher.finish();
        (digest, size, self.inner)
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// A writer that hashes what passes through it.
pub struct HashingWriter<W> {
    inner: W,
    hasher: Hasher,
}

impl<W: Write> HashingWriter<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            hasher: Hasher::new(),
        }
    }

    /// The digest and size of what has been written, and the inner writer.
    pub fn finish(self) -> (Sha256, u64, W) {
        let (digest, size) = self.hasher.finish();
        (digest, size, self.inner)
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// What a [`VerifyingReader`] found instead of what it expected. It travels inside the
/// `io::Error` (kind `InvalidData`) and can be recovered with [`Mismatch::from_io`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mismatch {
    /// The content has another digest.
    Digest {
        /// The digest the caller expected.
        expected: Sha256,
        /// The digest of the bytes read.
        actual: Sha256,
    },
    /// The content has another size (more bytes than expected, or fewer at the end).
    Size {
        /// The size the caller expected.
        expected: u64,
        /// The size read (at least this much, when the input was too long).
        actual: u64,
    },
}

impl Mismatch {
    /// The mismatch inside an `io::Error` produced by a [`VerifyingReader`], if any.
    pub fn from_io(err: &io::Error) -> Option<&Mismatch> {
        err.get_ref()?.downcast_ref::<Mismatch>()
    }
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mismatch::Digest { expected, actual } => {
                write!(f, "sha256 mismatch: expected {expected}, found {actual}")
            }
            Mismatch::Size { expected, actual } => {
                write!(f, "size mismatch: expected {expected} bytes, found {actual}")
            }
        }
    }
}

impl std::error::Error for Mismatch {}

/// A reader that checks the digest (and optionally the size) of everything it reads.
/// The read that reaches the end of the input fails with an `InvalidData` error
/// carrying a [`Mismatch`] when the content is not what was expected, and a read
/// past the expected size fails at once, so that a hostile source cannot stream
/// forever.
pub struct VerifyingReader<R> {
    inner: R,
    hasher: Hasher,
    expected: Sha256,
    expected_size: Option<u64>,
    verified: bool,
}

impl<R: Read> VerifyingReader<R> {
    /// Wraps `inner`, expecting content with `digest` and, when given, `size` bytes.
    pub fn new(inner: R, digest: Sha256, size: Option<u64>) -> Self {
        Self {
            inner,
            hasher: Hasher::new(),
            expected: digest,
            expected_size: size,
            verified: false,
        }
    }

    fn check_end(&mut self) -> io::Result<()> {
        if self.verified {
            return Ok(());
        }
        if let Some(expected) = self.expected_size {
            if self.hasher.size() != expected {
                return Err(mismatch(Mismatch::Size {
                    expected,
                    actual: self.hasher.size(),
                }));
            }
        }
        let (actual, _) = self.hasher.clone().finish();
        if actual != self.expected {
            return Err(mismatch(Mismatch::Digest {
                expected: self.expected,
                actual,
            }));
        }
        self.verified = true;
        Ok(())
    }
}

fn mismatch(m: Mismatch) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, m)
}

impl<R: Read> Read for VerifyingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let n = self.inner.read(buf)?;
        if n == 0 {
            self.check_end()?;
            return Ok(0);
        }
        self.hasher.update(&buf[..n]);
        if let Some(expected) = self.expected_size {
            if self.hasher.size() > expected {
                return Err(mismatch(Mismatch::Size {
                    expected,
                    actual: self.hasher.size(),
                }));
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(r: impl Read) -> io::Result<Vec<u8>> {
        let mut r = r;
        let mut out = Vec::new();
        r.read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn verifying_reader_passes_matching_content() {
        let data = b"the quick brown fox";
        let out = read_all(VerifyingReader::new(&data[..], Sha256::of(data), Some(19))).unwrap();
        assert_eq!(out, data);
    }

    #[test]
    fn verifying_reader_rejects_tampered_content_with_both_digests() {
        let good = Sha256::of(b"good");
        let err = read_all(VerifyingReader::new(&b"evil"[..], good, None)).unwrap_err();
        let m = Mismatch::from_io(&err).unwrap();
        assert_eq!(
            m,
            &Mismatch::Digest {
                expected: good,
                actual: Sha256::of(b"evil")
            }
        );
        assert!(err.to_string().contains(&good.hex()));
    }

    #[test]
    fn verifying_reader_rejects_truncated_content_by_size() {
        let full = b"0123456789";
        let err = read_all(VerifyingReader::new(&full[..4], Sha256::of(full), Some(10))).unwrap_err();
        assert_eq!(
            Mismatch::from_io(&err),
            Some(&Mismatch::Size {
                expected: 10,
                actual: 4
            })
        );
    }

    #[test]
    fn verifying_reader_stops_an_overlong_stream_early() {
        let long = vec![0u8; 1 << 20];
        let err = read_all(VerifyingReader::new(&long[..], Sha256::of(b""), Some(3))).unwrap_err();
        match Mismatch::from_io(&err) {
            Some(Mismatch::Size { expected: 3, actual }) => assert!(*actual < long.len() as u64),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn hashing_writer_matches_one_shot_digest() {
        let mut w = HashingWriter::new(Vec::new());
        w.write_all(b"ab").unwrap();
        w.write_all(b"c").unwrap();
        let (d, n, inner) = w.finish();
        assert_eq!((d, n, inner.as_slice()), (Sha256::of(b"abc"), 3, &b"abc"[..]));
    }
}
