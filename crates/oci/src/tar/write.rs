//! The deterministic layer writer: the same entries give the same bytes, every time.

use super::{Entry, EntryKind};
use crate::error::{Error, Result};
use crate::media_type;
use crate::path::RelPath;
use ::tar::{EntryType, Header};
use buckle_digest::{HashingWriter, Sha256};
use std::io::{self, Read, Write};

/// How a layer blob is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Compression {
    /// A plain tar: the blob digest equals the diff_id.
    None,
    /// gzip at level 6, no file name, mtime 0, OS byte 255.
    Gzip,
    /// zstd at level 3, single-threaded.
    Zstd,
}

const GZIP_LEVEL: u32 = 6;
const GZIP_OS_UNKNOWN: u8 = 255;
const ZSTD_LEVEL: i32 = 3;

impl Compression {
    /// The OCI layer media type for this compression.
    pub fn layer_media_type(self) -> &'static str {
        match self {
            Compression::None => media_type::OCI_LAYER_TAR,
            Compression::Gzip => media_type::OCI_LAYER_GZIP,
            Compression::Zstd => media_type::OCI_LAYER_ZSTD,
        }
    }

    /// The compression level the writer uses (0 for none).
    pub fn level(self) -> i32 {
        match self {
            Compression::None => 0,
            Compression::Gzip => GZIP_LEVEL as i32,
            Compression::Zstd => ZSTD_LEVEL,
        }
    }
}

/// The identity of a finished layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayerDigests {
    /// sha256 of the uncompressed tar (goes into the config's `rootfs.diff_ids`).
    pub diff_id: Sha256,
    /// sha256 of the blob as written (goes into the manifest's layer descriptor).
    pub digest: Sha256,
    /// Size of the blob as written.
    pub size: u64,
    /// The layer media type matching the compression.
    pub media_type: &'static str,
}

/// Writes a layer tar in the order entries are given (callers sort), with every
/// timestamp set to one `SOURCE_DATE_EPOCH`, owners from the entries, empty user and
/// group names, no atime or ctime, and a PAX header only for a path or link target
/// longer than 100 bytes. It hashes the tar and the compressed blob as they stream
/// out, so nothing is held in memory. Device nodes and FIFOs are refused.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use buckle_oci::tar::{Compression, Entry, LayerWriter};
/// let mut layer = LayerWriter::new(Vec::new(), Compression::Gzip, 1_700_000_000)?;
/// layer.append(&Entry::directory("etc".parse()?, 0o755), std::io::empty())?;
/// layer.append(&Entry::file("etc/hostname".parse()?, 0o644, 3), &b"box"[..])?;
/// let (digests, blob) = layer.finish()?;
/// assert_eq!(digests.size, blob.len() as u64);
/// assert_ne!(digests.diff_id, digests.digest);
/// # Ok(()) }
/// ```
pub struct LayerWriter<W: Write> {
    tar: ::tar::Builder<HashingWriter<Compressor<HashingWriter<W>>>>,
    compression: Compression,
    mtime: u64,
}

impl<W: Write> LayerWriter<W> {
    /// Starts a layer written to `out`, with `source_date_epoch` as every mtime.
    pub fn new(out: W, compression: Compression, source_date_epoch: u64) -> Result<Self> {
        let compressor =
            Compressor::new(HashingWriter::new(out), compression).map_err(|source| Error::TarWrite {
                path: RelPath::root(),
                source,
            })?;
        let tar = ::tar::Builder::new(HashingWriter::new(compressor));
        Ok(LayerWriter {
            tar,
            compression,
            mtime: source_date_epoch,
        })
    }

    /// Appends one entry. For files, `content` must yield exactly the entry's size in
    /// bytes; it is ignored for every other kind (pass `std::io::empty()`).
    pub fn append(&mut self, entry: &Entry, content: impl Read) -> Result<()> {
        let (header, pax) = self.header(entry)?;
        let write_err = |source| Error::TarWrite {
            path: entry.path.clone(),
            source,
        };
        if !pax.is_empty() {
            let (pax_header, records) = self.pax_header(&pax);
            self.tar
                .append(&pax_header, records.as_slice())
                .map_err(write_err)?;
        }
        let expected = entry.size();
        let mut content = content;
        let mut limited = Counter {
            inner: (&mut content).take(expected),
            count: 0,
        };
        self.tar.append(&header, &mut limited).map_err(write_err)?;
        let counted = limited.count;
        let extra = content.read(&mut [0u8; 1]).map_err(write_err)? as u64;
        let actual = counted + extra;
        if actual != expected {
            return Err(Error::ContentSize {
                path: entry.path.clone(),
                expected,
                actual,
            });
        }
        tracing::trace!(path = %entry.path, kind = entry.kind.name(), "layer entry");
        Ok(())
    }

    /// Writes the end of the archive, finishes compression and returns the digests
    /// and the writer.
    pub fn finish(self) -> Result<(LayerDigests, W)> {
        let write_err = |source| Error::TarWrite {
            path: RelPath::root(),
            source,
        };
        let tar_hasher = self.tar.into_inner().map_err(write_err)?;
        let (diff_id, _, compressor) = tar_hasher.finish();
        let blob_hasher = compressor.finish().map_err(write_err)?;
        let (digest, size, mut out) = blob_hasher.finish();
        out.flush().map_err(write_err)?;
        let media_type = self.compression.layer_media_type();
        Ok((
            LayerDigests {
                diff_id,
                digest,
                size,
                media_type,
            },
            out,
        ))
    }

    fn header(&self, entry: &Entry) -> Result<(Header, PaxRecords)> {
        let mut pax = Vec::new();
        let mut header = Header::new_ustar();
        let (entry_type, link) = match &entry.kind {
            EntryKind::Directory => (EntryType::Directory, None),
            EntryKind::File { .. } => (EntryType::Regular, None),
            EntryKind::Symlink { target } => (EntryType::Symlink, Some(target.as_str())),
            EntryKind::Hardlink { target } => (EntryType::Link, Some(target.as_str())),
            EntryKind::CharDevice | EntryKind::BlockDevice | EntryKind::Fifo => {
                return Err(Error::UnwritableEntry {
                    path: entry.path.clone(),
                    kind: entry.kind.name(),
                });
            }
        };
        header.set_entry_type(entry_type);
        let name = tar_name(entry);
        if !fit(&mut header.as_old_mut().name, name.as_bytes()) {
            pax.push(("path", name.into_bytes()));
        }
        if let Some(link) = link {
            if !fit(&mut header.as_old_mut().linkname, link.as_bytes()) {
                pax.push(("linkpath", link.as_bytes().to_vec()));
            }
        }
        header.set_mode(entry.mode & 0o7777);
        header.set_uid(u64::from(entry.uid));
        header.set_gid(u64::from(entry.gid));
        header.set_size(entry.size());
        header.set_mtime(self.mtime);
        header.set_cksum();
        Ok((header, pax))
    }

    fn pax_header(&self, records: &PaxRecords) -> (Header, Vec<u8>) {
        let mut body = Vec::new();
        for (key, value) in records {
            pax_record(&mut body, key, value);
        }
        let mut header = Header::new_ustar();
        header.set_entry_type(EntryType::XHeader);
        fit(&mut header.as_old_mut().name, PAX_HEADER_NAME);
        header.set_mode(0o644);
        header.set_uid(0);
        header.set_gid(0);
        header.set_size(body.len() as u64);
        header.set_mtime(self.mtime);
        header.set_cksum();
        (header, body)
    }
}

/// PAX records (key, value) for one entry.
type PaxRecords = Vec<(&'static str, Vec<u8>)>;

/// Name of PAX extended headers; readers use the records, not this name.
const PAX_HEADER_NAME: &[u8] = b"PaxHeader";

/// The name as stored: `./` for the root, a trailing `/` for directories.
fn tar_name(entry: &Entry) -> String {
    match (&entry.kind, entry.path.is_root()) {
        (_, true) => "./".to_owned(),
        (EntryKind::Directory, false) => format!("{}/", entry.path.as_str()),
        _ => entry.path.as_str().to_owned(),
    }
}

/// Puts `value` into a header field, truncated when too long; says whether it fit
/// (when not, the caller adds a PAX record with the full value).
fn fit(field: &mut [u8; 100], value: &[u8]) -> bool {
    let kept = value.len().min(field.len());
    field.fill(0);
    field[..kept].copy_from_slice(&value[..kept]);
    kept == value.len()
}

/// Appends `"<len> <key>=<value>\n"`, where `<len>` counts the whole record including
/// its own digits (POSIX pax format, "pax Extended Header").
pub(super) fn pax_record(out: &mut Vec<u8>, key: &str, value: &[u8]) {
    let rest = key.len() + value.len() + 3;
    let mut len = rest + 1;
    while len != rest + len.to_string().len() {
        len = rest + len.to_string().len();
    }
    out.extend_from_slice(format!("{len} {key}=").as_bytes());
    out.extend_from_slice(value);
    out.push(b'\n');
}

struct Counter<R> {
    inner: R,
    count: u64,
}

impl<R: Read> Read for Counter<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}

enum Compressor<W: Write> {
    None(W),
    Gzip(flate2::write::GzEncoder<W>),
    Zstd(zstd::stream::write::Encoder<'static, W>),
}

impl<W: Write> Compressor<W> {
    fn new(out: W, compression: Compression) -> io::Result<Self> {
        Ok(match compression {
            Compression::None => Compressor::None(out),
            Compression::Gzip => Compressor::Gzip(
                flate2::GzBuilder::new()
                    .mtime(0)
                    .operating_system(GZIP_OS_UNKNOWN)
                    .write(out, flate2::Compression::new(GZIP_LEVEL)),
            ),
            Compression::Zstd => Compressor::Zstd(zstd::stream::write::Encoder::new(out, ZSTD_LEVEL)?),
        })
    }

    fn finish(self) -> io::Result<W> {
        match self {
            Compressor::None(w) => Ok(w),
            Compressor::Gzip(w) => w.finish(),
            Compressor::Zstd(w) => w.finish(),
        }
    }
}

impl<W: Write> Write for Compressor<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Compressor::None(w) => w.write(buf),
            Compressor::Gzip(w) => w.write(buf),
            Compressor::Zstd(w) => w.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Compressor::None(w) => w.flush(),
            Compressor::Gzip(w) => w.flush(),
            Compressor::Zstd(w) => w.flush(),
        }
    }
}
