//! The safe tar reader: every entry is checked before the caller sees it.

use super::{Entry, EntryKind};
use crate::error::{EntryProblem, Error, PathProblem, Result};
use crate::path::RelPath;
use ::tar::EntryType;
use std::io::{self, Read, Seek};

/// The largest entry [`Reader`] accepts unless told otherwise: 16 GiB.
pub const DEFAULT_MAX_ENTRY_SIZE: u64 = 16 << 30;

/// Reads a tar stream (plain, not compressed) and yields only entries that are safe
/// to place under a root: normalised relative paths, hard links that stay inside,
/// sizes under a cap. GNU long names and PAX `path`/`linkpath`/`size`/`uid`/`gid`
/// records are honoured; PAX global headers are skipped.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use buckle_oci::tar::{EntryKind, Reader};
/// use std::io::Read;
/// # let tar_bytes = {
/// #     let mut w = buckle_oci::tar::LayerWriter::new(Vec::new(), buckle_oci::tar::Compression::None, 0)?;
/// #     w.append(&buckle_oci::tar::Entry::file("etc/hostname".parse()?, 0o644, 3), &b"box"[..])?;
/// #     w.finish()?.1
/// # };
/// let mut reader = Reader::new(&tar_bytes[..]).max_entry_size(1 << 20);
/// for item in reader.entries()? {
///     let (entry, mut content) = item?;
///     if let EntryKind::File { .. } = entry.kind {
///         let mut text = String::new();
///         content.read_to_string(&mut text)?;
///         assert_eq!((entry.path.as_str(), text.as_str()), ("etc/hostname", "box"));
///     }
/// }
/// # Ok(()) }
/// ```
pub struct Reader<R: Read> {
    archive: ::tar::Archive<R>,
    max_entry_size: u64,
}

impl<R: Read> Reader<R> {
    /// Reads the tar stream `inner`, with a [`DEFAULT_MAX_ENTRY_SIZE`] cap.
    pub fn new(inner: R) -> Self {
        Reader {
            archive: ::tar::Archive::new(inner),
            max_entry_size: DEFAULT_MAX_ENTRY_SIZE,
        }
    }

    /// Rejects file entries larger than `bytes`.
    pub fn max_entry_size(mut self, bytes: u64) -> Self {
        self.max_entry_size = bytes;
        self
    }

    /// The entries, in stream order. Each must be read (or dropped) before the next
    /// is asked for. The iterator stops after the first error.
    pub fn entries(&mut self) -> Result<Entries<'_, R>> {
        let inner = self
            .archive
            .entries()
            .map_err(|source| Error::TarRead { index: 0, source })?;
        Ok(Entries {
            inner,
            index: 0,
            max_entry_size: self.max_entry_size,
            failed: false,
        })
    }

    /// Reads whatever follows the end-of-archive marker to the end of the input and
    /// returns the input. Call it after the entries when the input is a verifying
    /// reader: the tar format ends before the stream does, and the digest is only
    /// checked at the end of the stream.
    pub fn finish(self) -> Result<R> {
        let mut inner = self.archive.into_inner();
        io::copy(&mut inner, &mut io::sink()).map_err(|source| Error::TarTrailer { source })?;
        Ok(inner)
    }
}

impl<R: Read + Seek> Reader<R> {
    /// Like [`Reader::entries`], but skips file content by seeking instead of reading.
    pub fn entries_with_seek(&mut self) -> Result<Entries<'_, R>> {
        let inner = self
            .archive
            .entries_with_seek()
            .map_err(|source| Error::TarRead { index: 0, source })?;
        Ok(Entries {
            inner,
            index: 0,
            max_entry_size: self.max_entry_size,
            failed: false,
        })
    }
}

/// Iterator over checked entries and their content; see [`Reader::entries`].
pub struct Entries<'a, R: Read> {
    inner: ::tar::Entries<'a, R>,
    index: u64,
    max_entry_size: u64,
    failed: bool,
}

impl<'a, R: Read> Iterator for Entries<'a, R> {
    type Item = Result<(Entry, Content<'a, R>)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        loop {
            let index = self.index;
            let raw = match self.inner.next()? {
                Ok(raw) => raw,
                Err(source) => return self.fail(Error::TarRead { index, source }),
            };
            self.index += 1;
            if raw.header().entry_type() == EntryType::XGlobalHeader {
                continue;
            }
            return match describe(index, &raw, self.max_entry_size) {
                Ok(entry) => Some(Ok((entry, Content { inner: raw }))),
                Err(err) => self.fail(err),
            };
        }
    }
}

impl<R: Read> Entries<'_, R> {
    fn fail<T>(&mut self, err: Error) -> Option<Result<T>> {
        self.failed = true;
        Some(Err(err))
    }
}

/// The content of one entry (empty for everything but files).
pub struct Content<'a, R: Read> {
    inner: ::tar::Entry<'a, R>,
}

impl<R: Read> Content<'_, R> {
    /// Where this entry's content starts in the tar stream.
    pub(crate) fn position(&self) -> u64 {
        self.inner.raw_file_position()
    }
}

impl<R: Read> Read for Content<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf)
    }
}

fn describe<R: Read>(index: u64, raw: &::tar::Entry<'_, R>, max_entry_size: u64) -> Result<Entry> {
    let raw_path = raw.path_bytes();
    let reject = |problem| Error::UnsafeEntry {
        index,
        path: String::from_utf8_lossy(&raw_path).into_owned(),
        problem,
    };
    let path = checked_path(&raw_path).map_err(|p| reject(EntryProblem::Path(p)))?;
    let header = raw.header();
    let read_err = |source| Error::TarRead { index, source };
    let mode = header.mode().map_err(read_err)? & 0o7777;
    let old = header.as_old();
    let uid = owner_id(blank_is_zero(&old.uid, header.uid()).map_err(read_err)?).map_err(&reject)?;
    let gid = owner_id(blank_is_zero(&old.gid, header.gid()).map_err(read_err)?).map_err(&reject)?;
    let link = || {
        raw.link_name_bytes()
            .filter(|t| !t.is_empty())
            .ok_or(EntryProblem::MissingLinkTarget)
    };
    let kind = match header.entry_type() {
        EntryType::Regular | EntryType::Continuous => {
            let size = raw.size();
            if size > max_entry_size {
                return Err(reject(EntryProblem::TooLarge {
                    size,
                    max: max_entry_size,
                }));
            }
            EntryKind::File { size }
        }
        EntryType::Directory => EntryKind::Directory,
        EntryType::Symlink => {
            let target = link().map_err(&reject)?;
            let target = symlink_target(&target).map_err(|p| reject(EntryProblem::LinkTarget(p)))?;
            EntryKind::Symlink { target }
        }
        EntryType::Link => {
            let target = link().map_err(&reject)?;
            let target = checked_path(&target).map_err(|p| reject(EntryProblem::LinkTarget(p)))?;
            EntryKind::Hardlink { target }
        }
        EntryType::Char => EntryKind::CharDevice,
        EntryType::Block => EntryKind::BlockDevice,
        EntryType::Fifo => EntryKind::Fifo,
        other => return Err(reject(EntryProblem::UnsupportedType(other.as_byte()))),
    };
    tracing::trace!(index, path = %path, kind = kind.name(), "tar entry");
    Ok(Entry {
        path,
        kind,
        mode,
        uid,
        gid,
    })
}

fn checked_path(raw: &[u8]) -> Result<RelPath, PathProblem> {
    let text = std::str::from_utf8(raw).map_err(|_| PathProblem::NotUtf8)?;
    RelPath::normalise(text)
}

fn symlink_target(raw: &[u8]) -> Result<String, PathProblem> {
    let text = std::str::from_utf8(raw).map_err(|_| PathProblem::NotUtf8)?;
    if text.contains('\0') {
        return Err(PathProblem::NulByte);
    }
    Ok(text.to_owned())
}

/// An owner field left blank (all NUL or spaces, as npm's tarballs have) reads as 0,
/// as Go's archive/tar (and so every container runtime) reads it.
fn blank_is_zero(field: &[u8], parsed: std::io::Result<u64>) -> std::io::Result<u64> {
    match parsed {
        Err(_) if field.iter().all(|b| *b == 0 || *b == b' ') => Ok(0),
        other => other,
    }
}

fn owner_id(id: u64) -> Result<u32, EntryProblem> {
    u32::try_from(id).map_err(|_| EntryProblem::OwnerOutOfRange(id))
}
