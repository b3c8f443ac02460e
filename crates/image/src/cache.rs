//! The layer cache: finished layer blobs named by what went into them, so that a
//! rebuild compresses only the layers whose content changed.
//!
//! This is the one module of the crate that touches the disk. Under its root (the CLI
//! uses `<cache>/layers`) it keeps three kinds of entries:
//!
//! - `blobs/<sha256>`: compressed layer blobs and layer indexes, by digest;
//! - `layer/<key>.json`: a layer's key -> its blob digest, size and diff ID. The key
//!   is the SHA-256 of the layer's exact tar entries (path, kind, mode, owner, link
//!   target, content SHA-256: what the packages shipped *after* hardening), the
//!   compression and its level, `SOURCE_DATE_EPOCH` and the builder version. A hit
//!   skips compressing;
//! - `image/<key>.json`: an image's key -> its layers. The key is the SHA-256 of its
//!   `.deb`s (by the lock's SHA-256, in order), every build option that shapes the
//!   layers (architecture, variant, image config, certificates, os-release, files,
//!   diversions, limits, compression, layer budget, `SOURCE_DATE_EPOCH`) and the
//!   builder version. A hit skips unpacking too.
//!
//! Layer and image records also list the `.deb` SHA-256s they were made from, so that
//! [`LayerCache::prune`] can drop what no lock uses.
//!
//! Every entry is written to a temporary file in its own directory, flushed to disk
//! and renamed into place, blobs before the records that name them: a killed build
//! leaves at most a temporary file, which nothing reads. Two builds writing one key
//! write the same bytes, so concurrent builds may share a cache. A blob is checked
//! against its digest and size as it is copied into the image; one that fails is
//! removed and the layer built again.

use crate::error::{Error, Result};
use buckle_digest::Sha256;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Bumped whenever what the builder writes for the same inputs changes without the
/// crate version changing (hardening rules, layer grouping, tar format).
pub const CACHE_FORMAT: u32 = 1;

/// The builder's identity in every key.
pub(crate) fn builder_id() -> String {
    format!(
        "buckle-image {} cache format {CACHE_FORMAT}",
        env!("CARGO_PKG_VERSION")
    )
}

const BLOBS: &str = "blobs";
const LAYERS: &str = "layer";
const IMAGES: &str = "image";
/// Prefix of temporary files; never read as entries.
const TEMP_PREFIX: &str = ".tmp-";
/// Temporary files older than this belong to builds that were killed.
const STALE_TEMP: Duration = Duration::from_secs(3600);

/// A finished layer as the cache records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerRecord {
    /// The compressed blob's digest (its file is `blobs/<hex>`).
    pub digest: Sha256,
    /// The compressed blob's size.
    pub size: u64,
    /// sha256 of the uncompressed tar.
    pub diff_id: Sha256,
    /// Its layer index blob (also in `blobs/`), when indexes are written.
    #[serde(default)]
    pub index: Option<Sha256>,
    /// The `.deb`s whose files the layer holds.
    pub debs: BTreeSet<Sha256>,
}

/// One layer of an [`ImageRecord`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageLayer {
    /// A source package name, `rest` or `buckle`.
    pub name: String,
    /// The source packages in it.
    pub sources: Vec<String>,
    /// The blob and diff ID.
    pub layer: LayerRecord,
}

/// A finished image's layers as the cache records them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageRecord {
    /// The layers, bottom first.
    pub layers: Vec<ImageLayer>,
    /// The installed packages, in input order.
    pub packages: Vec<String>,
    /// Whether the image has a CA bundle (its config then sets `SSL_CERT_FILE`).
    pub has_bundle: bool,
    /// Every `.deb` of the image.
    pub debs: BTreeSet<Sha256>,
}

/// What is in a cache, per kind of entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Usage {
    /// Layer blobs.
    pub blobs: KindUsage,
    /// Layer records.
    pub layers: KindUsage,
    /// Image records.
    pub images: KindUsage,
    /// Temporary files (of running or killed builds).
    pub temporary: KindUsage,
}

/// Entries and bytes of one kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct KindUsage {
    /// Files.
    pub entries: u64,
    /// Their bytes.
    pub bytes: u64,
}

impl KindUsage {
    fn add(&mut self, bytes: u64) {
        self.entries += 1;
        self.bytes += bytes;
    }
}

impl Usage {
    /// All kinds together.
    pub fn total(&self) -> KindUsage {
        let all = [self.blobs, self.layers, self.images, self.temporary];
        KindUsage {
            entries: all.iter().map(|k| k.entries).sum(),
            bytes: all.iter().map(|k| k.bytes).sum(),
        }
    }
}

/// What [`LayerCache::prune`] should remove.
#[derive(Debug, Clone, Default)]
pub struct PruneRule {
    /// When given, entries made from any `.deb` outside this set are removed.
    pub keep_debs: Option<BTreeSet<Sha256>>,
    /// When given, entries not written for this long are removed.
    pub older_than: Option<Duration>,
}

/// A layer cache rooted at a directory (created on first write).
#[derive(Debug, Clone)]
pub struct LayerCache {
    root: PathBuf,
}

impl LayerCache {
    /// A cache rooted at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        LayerCache { root: root.into() }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the blob `digest` lives (whether or not it exists).
    pub fn blob_path(&self, digest: &Sha256) -> PathBuf {
        self.root.join(BLOBS).join(digest.hex())
    }

    /// The layer record for `key`, if any.
    pub fn layer(&self, key: &Sha256) -> Option<LayerRecord> {
        self.read_record(LAYERS, key)
    }

    /// The image record for `key`, if any.
    pub fn image(&self, key: &Sha256) -> Option<ImageRecord> {
        self.read_record(IMAGES, key)
    }

    /// Records a layer (its blob must be in the cache already).
    pub fn put_layer(&self, key: &Sha256, record: &LayerRecord) -> Result<()> {
        self.write_record(LAYERS, key, record)
    }

    /// Records an image (its layers' blobs must be in the cache already).
    pub fn put_image(&self, key: &Sha256, record: &ImageRecord) -> Result<()> {
        self.write_record(IMAGES, key, record)
    }

    /// A writer for a new blob; [`BlobWriter::commit`] names it by its digest.
    pub fn blob_writer(&self) -> Result<BlobWriter> {
        let dir = self.root.join(BLOBS);
        Ok(BlobWriter {
            file: BufWriter::new(temp_file(&dir)?),
            dir,
        })
    }

    /// Removes a blob that failed its check, and so every record naming it goes
    /// unused until the layer is written again.
    pub fn forget_blob(&self, digest: &Sha256) {
        let _ = fs::remove_file(self.blob_path(digest));
    }

    fn read_record<T: for<'de> Deserialize<'de>>(&self, kind: &str, key: &Sha256) -> Option<T> {
        let path = self.record_path(kind, key);
        let bytes = fs::read(&path).ok()?;
        match serde_json::from_slice(&bytes) {
            Ok(record) => Some(record),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "unreadable layer cache record, ignored");
                None
            }
        }
    }

    fn write_record(&self, kind: &str, key: &Sha256, record: &impl Serialize) -> Result<()> {
        let path = self.record_path(kind, key);
        let bytes = serde_json::to_vec(record).map_err(|e| Error::Internal {
            what: format!("cannot serialize a layer cache record: {e}"),
        })?;
        let dir = self.root.join(kind);
        let mut file = temp_file(&dir)?;
        file.write_all(&bytes).map_err(|e| cache_io(&dir, e))?;
        persist(file, &path)
    }

    fn record_path(&self, kind: &str, key: &Sha256) -> PathBuf {
        self.root.join(kind).join(format!("{}.json", key.hex()))
    }

    /// Entries and bytes per kind.
    pub fn usage(&self) -> Result<Usage> {
        let mut usage = Usage::default();
        for file in self.files()? {
            let kind = match (file.temporary, file.kind) {
                (true, _) => &mut usage.temporary,
                (false, Kind::Blob) => &mut usage.blobs,
                (false, Kind::Layer) => &mut usage.layers,
                (false, Kind::Image) => &mut usage.images,
            };
            kind.add(file.size);
        }
        Ok(usage)
    }

    /// Removes what `rule` says, then every blob no remaining record names, and
    /// temporary files of killed builds. Returns what was removed.
    pub fn prune(&self, rule: &PruneRule, now: SystemTime) -> Result<Usage> {
        let mut removed = Usage::default();
        let files = self.files()?;
        let old = |file: &CacheFile| {
            rule.older_than
                .is_some_and(|age| now.duration_since(file.modified).unwrap_or_default() > age)
        };
        let unused =
            |debs: &BTreeSet<Sha256>| rule.keep_debs.as_ref().is_some_and(|keep| !debs.is_subset(keep));
        let mut named_blobs: BTreeSet<Sha256> = BTreeSet::new();
        for file in files.iter().filter(|f| !f.temporary && f.kind != Kind::Blob) {
            let bytes = fs::read(&file.path).unwrap_or_default();
            let (debs, blobs): (BTreeSet<Sha256>, Vec<Sha256>) = match file.kind {
                Kind::Layer => match serde_json::from_slice::<LayerRecord>(&bytes) {
                    Ok(r) => (r.debs, [Some(r.digest), r.index].into_iter().flatten().collect()),
                    Err(_) => (BTreeSet::new(), Vec::new()),
                },
                _ => match serde_json::from_slice::<ImageRecord>(&bytes) {
                    Ok(r) => {
                        let blobs = r
                            .layers
                            .iter()
                            .flat_map(|l| [Some(l.layer.digest), l.layer.index]);
                        (r.debs, blobs.flatten().collect())
                    }
                    Err(_) => (BTreeSet::new(), Vec::new()),
                },
            };
            let unreadable = blobs.is_empty();
            if unreadable || old(file) || unused(&debs) {
                remove(file, &mut removed)?;
            } else {
                named_blobs.extend(blobs);
            }
        }
        for file in &files {
            let stale = file.temporary && now.duration_since(file.modified).unwrap_or_default() > STALE_TEMP;
            let orphan = !file.temporary
                && file.kind == Kind::Blob
                && file
                    .path
                    .file_name()
                    .and_then(|n| n.to_str()?.parse::<Sha256>().ok())
                    .is_none_or(|digest| !named_blobs.contains(&digest));
            if stale || orphan {
                remove(file, &mut removed)?;
            }
        }
        Ok(removed)
    }

    fn files(&self) -> Result<Vec<CacheFile>> {
        let mut files = Vec::new();
        for (dir, kind) in [(BLOBS, Kind::Blob), (LAYERS, Kind::Layer), (IMAGES, Kind::Image)] {
            let dir = self.root.join(dir);
            let entries = match fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(cache_io(&dir, e)),
            };
            for entry in entries {
                let entry = entry.map_err(|e| cache_io(&dir, e))?;
                let Ok(meta) = entry.metadata() else { continue };
                if !meta.is_file() {
                    continue;
                }
                files.push(CacheFile {
                    temporary: entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX),
                    path: entry.path(),
                    kind,
                    size: meta.len(),
                    modified: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                });
            }
        }
        Ok(files)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Blob,
    Layer,
    Image,
}

struct CacheFile {
    path: PathBuf,
    kind: Kind,
    temporary: bool,
    size: u64,
    modified: SystemTime,
}

fn remove(file: &CacheFile, removed: &mut Usage) -> Result<()> {
    match fs::remove_file(&file.path) {
        Ok(()) => {}
        // Another prune got there first.
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(cache_io(&file.path, e)),
    }
    let kind = match (file.temporary, file.kind) {
        (true, _) => &mut removed.temporary,
        (false, Kind::Blob) => &mut removed.blobs,
        (false, Kind::Layer) => &mut removed.layers,
        (false, Kind::Image) => &mut removed.images,
    };
    kind.add(file.size);
    Ok(())
}

/// A new blob being written to a temporary file in the cache's blob directory.
pub struct BlobWriter {
    file: BufWriter<tempfile::NamedTempFile>,
    dir: PathBuf,
}

impl BlobWriter {
    /// Flushes the blob to disk and renames it to `digest` (which the caller computed
    /// while writing it).
    pub fn commit(self, digest: &Sha256) -> Result<PathBuf> {
        let file = self
            .file
            .into_inner()
            .map_err(|e| cache_io(&self.dir, e.into_error()))?;
        let path = self.dir.join(digest.hex());
        persist(file, &path)?;
        Ok(path)
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

fn temp_file(dir: &Path) -> Result<tempfile::NamedTempFile> {
    fs::create_dir_all(dir).map_err(|e| cache_io(dir, e))?;
    tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .tempfile_in(dir)
        .map_err(|e| cache_io(dir, e))
}

/// fsync, then rename into place, then fsync the directory so the rename survives a
/// crash.
fn persist(file: tempfile::NamedTempFile, path: &Path) -> Result<()> {
    file.as_file().sync_all().map_err(|e| cache_io(path, e))?;
    file.persist(path).map_err(|e| cache_io(path, e.error))?;
    if let Some(dir) = path.parent() {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| cache_io(dir, e))?;
    }
    Ok(())
}

fn cache_io(path: &Path, source: io::Error) -> Error {
    Error::LayerCache {
        path: path.to_owned(),
        source,
    }
}
