//! Content-addressed blob files: written under a temporary name and renamed to their
//! digest, read back through a digest and size check.

use crate::error::{Error, Result};
use buckle_digest::{HashingWriter, Mismatch, Sha256, VerifyingReader};
use std::fs::{File, Permissions};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Mode of blob files and files of an image layout.
pub(crate) const FILE_MODE: u32 = 0o644;

/// Writes one blob into a `blobs/sha256` directory: bytes go to a temporary file
/// there, and [`BlobWriter::commit`] renames it to `<hex digest>`. Dropping it
/// without committing removes the temporary file.
pub struct BlobWriter {
    file: HashingWriter<BufWriter<tempfile::NamedTempFile>>,
    dir: PathBuf,
}

impl BlobWriter {
    /// Starts a blob in `dir` (a layout's `blobs/sha256`).
    pub(crate) fn new(dir: &Path) -> Result<Self> {
        let file = tempfile::Builder::new()
            .prefix(".blob-")
            .permissions(Permissions::from_mode(FILE_MODE))
            .tempfile_in(dir)
            .map_err(|source| Error::Write {
                path: dir.to_owned(),
                source,
            })?;
        Ok(BlobWriter {
            file: HashingWriter::new(BufWriter::new(file)),
            dir: dir.to_owned(),
        })
    }

    /// Finishes the blob, renames it to its digest and returns the digest and size.
    pub fn commit(self) -> Result<(Sha256, u64)> {
        let (digest, size, buffered) = self.file.finish();
        persist(&self.dir, buffered, digest, size)?;
        Ok((digest, size))
    }

    /// Finishes a blob received from elsewhere: renamed into place only when its bytes
    /// have `digest` and `size`; otherwise removed, with an [`Error::BlobDigest`] or
    /// [`Error::BlobSize`] naming both values.
    pub fn commit_expecting(self, digest: &Sha256, size: u64) -> Result<()> {
        let (actual, actual_size, buffered) = self.file.finish();
        let path = self.dir.join(digest.hex());
        if actual_size != size {
            return Err(Error::BlobSize {
                path,
                expected: size,
                actual: actual_size,
            });
        }
        if actual != *digest {
            return Err(Error::BlobDigest {
                path,
                expected: *digest,
                actual,
            });
        }
        persist(&self.dir, buffered, actual, actual_size)
    }
}

/// Renames a finished temporary blob file to its digest in `dir`.
fn persist(
    dir: &Path,
    buffered: BufWriter<tempfile::NamedTempFile>,
    digest: Sha256,
    size: u64,
) -> Result<()> {
    let temp = buffered.into_inner().map_err(|e| Error::Write {
        path: dir.to_owned(),
        source: e.into_error(),
    })?;
    let path = dir.join(digest.hex());
    temp.persist(&path).map_err(|e| Error::Write {
        path: path.clone(),
        source: e.error,
    })?;
    tracing::debug!(digest = %digest, size, "blob written");
    Ok(())
}

impl Write for BlobWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Writes `bytes` as a blob in `dir` and returns its digest.
pub(crate) fn write_blob(dir: &Path, bytes: &[u8]) -> Result<Sha256> {
    let mut writer = BlobWriter::new(dir)?;
    writer.write_all(bytes).map_err(|source| Error::Write {
        path: dir.to_owned(),
        source,
    })?;
    Ok(writer.commit()?.0)
}

/// Reads a blob, failing the read that reaches its end when the bytes do not have
/// the expected digest and size. The failure is an `InvalidData` I/O error that
/// carries an [`Error::BlobDigest`] or [`Error::BlobSize`] naming the blob.
pub struct BlobReader {
    inner: VerifyingReader<Box<dyn Read + Send>>,
    path: PathBuf,
}

impl BlobReader {
    /// Opens the blob file at `path`, expecting `digest` and `size`.
    pub(crate) fn open(path: PathBuf, digest: Sha256, size: u64) -> Result<Self> {
        let file = File::open(&path).map_err(|source| Error::Read {
            path: path.clone(),
            source,
        })?;
        Ok(BlobReader::new(
            Box::new(BufReader::new(file)),
            path,
            digest,
            Some(size),
        ))
    }

    /// Verifies `inner`, named `path` in errors.
    pub(crate) fn new(inner: Box<dyn Read + Send>, path: PathBuf, digest: Sha256, size: Option<u64>) -> Self {
        BlobReader {
            inner: VerifyingReader::new(inner, digest, size),
            path,
        }
    }

    /// Reads the whole blob (at most `max` bytes) and verifies it.
    pub(crate) fn read_all(mut self, size: u64, max: u64) -> Result<Vec<u8>> {
        if size > max {
            return Err(Error::DocumentTooLarge {
                path: self.path,
                size,
                max,
            });
        }
        let mut out = Vec::new();
        match self.read_to_end(&mut out) {
            Ok(_) => Ok(out),
            Err(e) => Err(from_io(&self.path, e)),
        }
    }
}

impl Read for BlobReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|e| match Mismatch::from_io(&e) {
            Some(m) => io::Error::new(io::ErrorKind::InvalidData, mismatch_error(&self.path, m.clone())),
            None => e,
        })
    }
}

fn mismatch_error(path: &Path, mismatch: Mismatch) -> Error {
    let path = path.to_owned();
    match mismatch {
        Mismatch::Digest { expected, actual } => Error::BlobDigest {
            path,
            expected,
            actual,
        },
        Mismatch::Size { expected, actual } => Error::BlobSize {
            path,
            expected,
            actual,
        },
    }
}

/// Turns an I/O error from reading `path` into this crate's error, unwrapping one of
/// ours that travelled inside it (a blob mismatch).
pub(crate) fn from_io(path: &Path, err: io::Error) -> Error {
    let read = |source| Error::Read {
        path: path.to_owned(),
        source,
    };
    if !err.get_ref().is_some_and(|inner| inner.is::<Error>()) {
        return read(err);
    }
    let kind = err.kind();
    match err.into_inner().map(|inner| inner.downcast::<Error>()) {
        Some(Ok(ours)) => *ours,
        Some(Err(other)) => read(io::Error::new(kind, other)),
        None => read(io::Error::from(kind)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_received_blob_with_other_bytes_is_never_renamed_into_place() {
        let dir = tempfile::tempdir().unwrap();
        let expected = Sha256::of(b"right");
        let mut writer = BlobWriter::new(dir.path()).unwrap();
        writer.write_all(b"wrong").unwrap();
        let err = writer.commit_expecting(&expected, 5).unwrap_err();
        assert!(
            matches!(&err, Error::BlobDigest { expected: e, actual, .. } if *e == expected && *actual == Sha256::of(b"wrong")),
            "{err:?}"
        );
        let mut writer = BlobWriter::new(dir.path()).unwrap();
        writer.write_all(b"righ").unwrap();
        let err = writer.commit_expecting(&expected, 5).unwrap_err();
        assert!(
            matches!(
                err,
                Error::BlobSize {
                    expected: 5,
                    actual: 4,
                    ..
                }
            ),
            "{err:?}"
        );
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "nothing is left behind"
        );

        let mut writer = BlobWriter::new(dir.path()).unwrap();
        writer.write_all(b"right").unwrap();
        writer.commit_expecting(&expected, 5).unwrap();
        assert_eq!(std::fs::read(dir.path().join(expected.hex())).unwrap(), b"right");
    }
}
