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
        let temp = buffered.into_inner().map_err(|e| Error::Write {
            path: self.dir.clone(),
            source: e.into_error(),
        })?;
        let path = self.dir.join(digest.hex());
        temp.persist(&path).map_err(|e| Error::Write {
            path: path.clone(),
            source: e.error,
        })?;
        tracing::debug!(digest = %digest, size, "blob written");
        Ok((digest, size))
    }
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
