//! A content-addressed store on disk: `<root>/blobs/sha256/<hex>`.
//!
//! Content is written to a temporary file in the same directory while it is hashed,
//! and renamed to its digest only when digest and size match: a partial or corrupt
//! download never becomes an entry. Temporary names are unique per process and
//! writer, and rename is atomic, so several processes can share one cache. Every read
//! hashes the content again, so an entry corrupted on disk is detected (and removed).

use crate::error::{Error, Result};
use buckle_digest::{Hasher, Mismatch, Sha256, VerifyingReader};
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use tracing::trace;

/// A content-addressed blob store rooted at a directory.
#[derive(Debug, Clone)]
pub struct Cache {
    root: PathBuf,
}

impl Cache {
    /// A cache rooted at `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Cache {
        Cache { root: root.into() }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn dir(&self) -> PathBuf {
        self.root.join("blobs").join("sha256")
    }

    /// Where the entry for `digest` lives (whether or not it exists).
    pub fn path(&self, digest: &Sha256) -> PathBuf {
        self.dir().join(digest.hex())
    }

    /// Whether an entry for `digest` exists (its content is checked when read).
    pub fn contains(&self, digest: &Sha256) -> bool {
        self.path(digest).is_file()
    }

    /// A writer for content expected to have `digest` (and `size`, when given).
    pub fn writer(&self, digest: Sha256, size: Option<u64>) -> Result<CacheWriter> {
        let dir = self.dir();
        fs::create_dir_all(&dir).map_err(|source| io_error("create", &dir, source))?;
        let temp = dir.join(temp_name(&digest));
        let file = File::options()
            .write(true)
            .create_new(true)
            .open(&temp)
            .map_err(|source| io_error("create", &temp, source))?;
        Ok(CacheWriter {
            file,
            temp,
            target: self.path(&digest),
            hasher: Hasher::new(),
            expected: digest,
            expected_size: size,
            committed: false,
        })
    }

    /// Streams `reader` into the entry for `digest`; returns the entry's path.
    pub fn put(&self, digest: Sha256, size: Option<u64>, mut reader: impl Read) -> Result<PathBuf> {
        let mut writer = self.writer(digest, size)?;
        let temp = writer.temp.clone();
        io::copy(&mut reader, &mut writer).map_err(|source| match Mismatch::from_io(&source) {
            Some(m) => mismatch_error(digest, m),
            None => io_error("write", &temp, source),
        })?;
        writer.commit()
    }

    /// Stores `bytes` under `digest`; returns the entry's path.
    pub fn put_bytes(&self, digest: Sha256, bytes: &[u8]) -> Result<PathBuf> {
        self.put(digest, Some(bytes.len() as u64), bytes)
    }

    /// Opens the entry for `digest`. The reader hashes what it reads and fails at the
    /// end (removing the entry) if the content does not have the digest.
    pub fn open(&self, digest: &Sha256) -> Result<CacheReader> {
        let path = self.path(digest);
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(Error::NotCached(*digest)),
            Err(source) => return Err(io_error("open", &path, source)),
        };
        Ok(CacheReader {
            inner: VerifyingReader::new(file, *digest, None),
            path,
        })
    }

    /// Reads and verifies the whole entry for `digest`.
    pub fn read(&self, digest: &Sha256) -> Result<Vec<u8>> {
        let mut reader = self.open(digest)?;
        let len = fs::metadata(&reader.path).map(|m| m.len()).unwrap_or(0);
        let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        reader
            .read_to_end(&mut bytes)
            .map_err(|source| match Mismatch::from_io(&source) {
                Some(Mismatch::Digest { expected, actual }) => Error::CacheCorrupt {
                    path: reader.path.clone(),
                    expected: *expected,
                    actual: *actual,
                },
                _ => io_error("read", &reader.path, source),
            })?;
        Ok(bytes)
    }
}

fn io_error(action: &'static str, path: &Path, source: io::Error) -> Error {
    Error::Io {
        action,
        path: path.to_owned(),
        source,
    }
}

fn mismatch_error(expected: Sha256, m: &Mismatch) -> Error {
    match m {
        Mismatch::Digest { actual, .. } => Error::CacheMismatch {
            expected,
            actual: *actual,
        },
        Mismatch::Size {
            expected: size,
            actual,
        } => Error::CacheSize {
            digest: expected,
            expected: *size,
            actual: *actual,
        },
    }
}

/// A name no other writer (thread or process) uses at the same time.
fn temp_name(digest: &Sha256) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!(".tmp-{}-{}-{n}", digest.short(16), std::process::id())
}

/// Writes one entry: hashes while writing, becomes visible only on [`CacheWriter::commit`].
/// Dropping it without committing removes the temporary file.
pub struct CacheWriter {
    file: File,
    temp: PathBuf,
    target: PathBuf,
    hasher: Hasher,
    expected: Sha256,
    expected_size: Option<u64>,
    committed: bool,
}

impl CacheWriter {
    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.hasher.size()
    }

    /// Checks the digest (and size) and moves the content into place.
    pub fn commit(mut self) -> Result<PathBuf> {
        self.file
            .flush()
            .map_err(|source| io_error("write", &self.temp, source))?;
        let (actual, size) = self.hasher.clone().finish();
        if let Some(expected) = self.expected_size.filter(|e| *e != size) {
            return Err(mismatch_error(
                self.expected,
                &Mismatch::Size {
                    expected,
                    actual: size,
                },
            ));
        }
        if actual != self.expected {
            return Err(mismatch_error(
                self.expected,
                &Mismatch::Digest {
                    expected: self.expected,
                    actual,
                },
            ));
        }
        fs::rename(&self.temp, &self.target).map_err(|source| io_error("rename", &self.temp, source))?;
        self.committed = true;
        trace!(path = %self.target.display(), "cache entry stored");
        Ok(self.target.clone())
    }
}

impl Write for CacheWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some(expected) = self.expected_size {
            let actual = self.hasher.size() + buf.len() as u64;
            if actual > expected {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    Mismatch::Size { expected, actual },
                ));
            }
        }
        let n = self.file.write(buf)?;
        self.hasher.update(buf.get(..n).unwrap_or_default());
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl buckle_http::Sink for CacheWriter {
    fn restart(&mut self) -> io::Result<()> {
        self.hasher = Hasher::new();
        self.file.restart()
    }
}

impl Drop for CacheWriter {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

/// Reads an entry, re-hashing it; see [`Cache::open`].
pub struct CacheReader {
    inner: VerifyingReader<File>,
    path: PathBuf,
}

impl CacheReader {
    /// The entry's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Read for CacheReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let result = self.inner.read(buf);
        if let Err(e) = &result {
            if Mismatch::from_io(e).is_some() {
                // A corrupt entry must not be served again.
                let _ = fs::remove_file(&self.path);
            }
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache() -> (tempfile::TempDir, Cache) {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().join("cache"));
        (dir, cache)
    }

    fn dir_entries(cache: &Cache) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(cache.dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn put_then_read_round_trips_under_the_digest_name() {
        let (_d, cache) = cache();
        let digest = Sha256::of(b"hello");
        let path = cache.put_bytes(digest, b"hello").unwrap();
        assert_eq!(path, cache.root().join("blobs/sha256").join(digest.hex()));
        assert!(cache.contains(&digest));
        assert_eq!(cache.read(&digest).unwrap(), b"hello");
        assert_eq!(dir_entries(&cache), [digest.hex()]);
    }

    #[test]
    fn content_with_another_digest_never_becomes_an_entry() {
        let (_d, cache) = cache();
        let digest = Sha256::of(b"good");
        let err = cache.put(digest, None, &b"evil"[..]).unwrap_err();
        assert!(matches!(err, Error::CacheMismatch { actual, .. } if actual == Sha256::of(b"evil")));
        assert!(!cache.contains(&digest));
        assert!(dir_entries(&cache).is_empty(), "temporary file left behind");
    }

    #[test]
    fn truncated_content_never_becomes_an_entry() {
        let (_d, cache) = cache();
        let digest = Sha256::of(b"0123456789");
        let err = cache.put(digest, Some(10), &b"01234"[..]).unwrap_err();
        assert!(
            matches!(
                err,
                Error::CacheSize {
                    expected: 10,
                    actual: 5,
                    ..
                }
            ),
            "{err:?}"
        );
        let mut w = cache.writer(digest, Some(10)).unwrap();
        w.write_all(b"0123").unwrap();
        drop(w);
        assert!(dir_entries(&cache).is_empty());
    }

    #[test]
    fn overlong_content_is_refused_while_writing() {
        let (_d, cache) = cache();
        let mut w = cache.writer(Sha256::of(b"abc"), Some(3)).unwrap();
        let err = w.write_all(b"abcdef").unwrap_err();
        assert!(matches!(
            Mismatch::from_io(&err),
            Some(Mismatch::Size { expected: 3, .. })
        ));
    }

    #[test]
    fn corrupted_entry_is_detected_on_read_and_removed() {
        let (_d, cache) = cache();
        let digest = Sha256::of(b"original");
        let path = cache.put_bytes(digest, b"original").unwrap();
        fs::write(&path, b"bit-rot!").unwrap();
        let err = cache.read(&digest).unwrap_err();
        match &err {
            Error::CacheCorrupt { expected, actual, .. } => {
                assert_eq!((*expected, *actual), (digest, Sha256::of(b"bit-rot!")));
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(err.to_string().contains(&digest.hex()));
        assert!(!cache.contains(&digest));
        assert!(matches!(cache.read(&digest), Err(Error::NotCached(_))));
    }

    #[test]
    fn restarted_writer_discards_the_partial_content() {
        use buckle_http::Sink;
        let (_d, cache) = cache();
        let digest = Sha256::of(b"full body");
        let mut w = cache.writer(digest, Some(9)).unwrap();
        w.write_all(b"full").unwrap();
        w.restart().unwrap();
        w.write_all(b"full body").unwrap();
        w.commit().unwrap();
        assert_eq!(cache.read(&digest).unwrap(), b"full body");
    }

    #[test]
    fn two_threads_putting_the_same_blob_both_succeed_with_one_entry() {
        let (_d, cache) = cache();
        let blob: Vec<u8> = (0..4_000_000u32).map(|i| (i % 251) as u8).collect();
        let digest = Sha256::of(&blob);
        let barrier = std::sync::Barrier::new(2);
        std::thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| {
                    let mut w = cache.writer(digest, Some(blob.len() as u64)).unwrap();
                    barrier.wait();
                    for chunk in blob.chunks(64 * 1024) {
                        w.write_all(chunk).unwrap();
                    }
                    w.commit().unwrap();
                });
            }
        });
        assert_eq!(dir_entries(&cache), [digest.hex()]);
        assert_eq!(cache.read(&digest).unwrap(), blob);
    }
}
