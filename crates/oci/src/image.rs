//! Any image on disk, OCI layout or docker archive, read the same way: config,
//! manifest, verified and decompressed layers, and the merged file list.

use crate::blob::from_io;
use crate::config::ImageConfig;
use crate::descriptor::{Descriptor, Platform};
use crate::docker_archive::{ArchiveImage, DockerArchive, DockerArchiveWriter};
use crate::error::{Error, Result};
use crate::layout::{Layout, Selector};
use crate::manifest::ImageManifest;
use crate::media_type;
use crate::path::RelPath;
use crate::tar::{Entry, EntryKind, Reader, Whiteout};
use buckle_digest::{Mismatch, Sha256, VerifyingReader};
use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// One layer's entries and whiteouts, or why it could not be read.
type LayerRead = Result<(Vec<MergedFile>, Vec<Whiteout>)>;
/// Where an image was read from.
#[derive(Debug, Clone)]
enum Source {
    Layout(Box<Layout>),
    DockerArchive {
        archive: DockerArchive,
        image: ArchiveImage,
    },
}

/// One layer of an [`Image`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageLayer {
    /// The layer blob as the manifest describes it.
    pub descriptor: Descriptor,
    /// sha256 of the uncompressed tar, from the config.
    pub diff_id: Sha256,
}

/// An image opened from an OCI layout directory or a docker archive file.
#[derive(Debug, Clone)]
pub struct Image {
    path: PathBuf,
    source: Source,
    config: ImageConfig,
    config_bytes: Vec<u8>,
    manifest: ImageManifest,
    manifest_descriptor: Descriptor,
    ref_name: Option<String>,
    layers: Vec<ImageLayer>,
    memory_budget: u64,
}

/// How much memory reading an image's files may take unless told otherwise: the
/// entries' metadata and the contents kept (docs/SECURITY.md).
pub const DEFAULT_MEMORY_BUDGET: u64 = 512 << 20;

/// What one entry's metadata is charged against the budget, besides its path.
const ENTRY_COST: u64 = 160;

/// The memory [`Image::merged_files`] may still use, shared by its reader threads.
struct Budget {
    limit: u64,
    spent: std::sync::atomic::AtomicU64,
}

impl Budget {
    fn charge(&self, bytes: u64, path: &RelPath, image: &Path) -> Result<()> {
        let before = self.spent.fetch_add(bytes, std::sync::atomic::Ordering::Relaxed);
        if before.saturating_add(bytes) > self.limit {
            return Err(Error::MemoryBudget {
                image: image.to_owned(),
                budget: self.limit,
                path: path.to_string(),
            });
        }
        Ok(())
    }
}

/// Splits an IMAGE argument into a path and a selector: `dir:tag` names the image
/// tagged `tag` in the layout or archive `dir`, unless a file named `dir:tag` exists.
pub fn parse_image_arg(arg: &str) -> (PathBuf, Selector) {
    let whole = PathBuf::from(arg);
    if whole.exists() {
        return (whole, Selector::default());
    }
    match arg.rsplit_once(':') {
        Some((path, tag)) if !tag.is_empty() && !tag.contains('/') => (
            PathBuf::from(path),
            Selector {
                ref_name: Some(tag.to_owned()),
                platform: None,
            },
        ),
        _ => (whole, Selector::default()),
    }
}

/// Opens the image at `path` (a layout directory or a docker archive file) that
/// `selector` picks, reading and verifying its manifest and config.
pub fn open_image(path: &Path, selector: &Selector) -> Result<Image> {
    let meta = std::fs::metadata(path).map_err(|source| Error::Read {
        path: path.to_owned(),
        source,
    })?;
    let image = if meta.is_dir() {
        open_layout(path, selector)?
    } else {
        open_docker_archive(path, selector)?
    };
    tracing::debug!(path = %path.display(), manifest = %image.manifest_descriptor.digest, layers = image.layers.len(), "image opened");
    Ok(image)
}

fn open_layout(path: &Path, selector: &Selector) -> Result<Image> {
    let layout = Layout::open(path)?;
    let found = layout.select(selector)?;
    let config_bytes = layout.read_blob(&found.manifest.config)?;
    let config = parse_config(&config_bytes)?;
    let layers = pair_layers(&found.manifest.layers, &config)?;
    Ok(Image {
        path: path.to_owned(),
        source: Source::Layout(Box::new(layout)),
        config,
        config_bytes,
        manifest: found.manifest,
        manifest_descriptor: found.descriptor,
        ref_name: found.ref_name,
        layers,
        memory_budget: DEFAULT_MEMORY_BUDGET,
    })
}

fn open_docker_archive(path: &Path, selector: &Selector) -> Result<Image> {
    let archive = DockerArchive::open(path)?;
    let image = archive.select(selector.ref_name.as_deref())?.clone();
    let config_bytes = archive.read_config(&image)?;
    let config = parse_config(&config_bytes)?;
    let platform = Platform {
        variant: config.variant.clone(),
        ..Platform::linux(config.architecture.clone())
    };
    if let Some(wanted) = &selector.platform {
        if !(platform.matches(wanted) && config.os == wanted.os) {
            return Err(Error::NoSuchImage {
                path: path.to_owned(),
                wanted: selector.to_string(),
            });
        }
    }
    let mut descriptors = Vec::new();
    for (member, diff_id) in image.layers.iter().zip(&config.rootfs.diff_ids) {
        let (_, size) = archive.open_member(member)?;
        descriptors.push(Descriptor::new(media_type::OCI_LAYER_TAR, *diff_id, size));
    }
    let manifest = ImageManifest::new(Descriptor::of(media_type::OCI_CONFIG, &config_bytes), descriptors);
    let (manifest_descriptor, _) = manifest.descriptor()?;
    let layers = pair_layers(&manifest.layers, &config)?;
    let ref_name = image.repo_tags.first().cloned();
    Ok(Image {
        path: path.to_owned(),
        source: Source::DockerArchive { archive, image },
        config,
        config_bytes,
        manifest,
        manifest_descriptor,
        ref_name,
        layers,
        memory_budget: DEFAULT_MEMORY_BUDGET,
    })
}

fn parse_config(bytes: &[u8]) -> Result<ImageConfig> {
    serde_json::from_slice(bytes).map_err(|source| Error::JsonDecode {
        what: "image config",
        source,
    })
}

fn pair_layers(descriptors: &[Descriptor], config: &ImageConfig) -> Result<Vec<ImageLayer>> {
    let diff_ids = &config.rootfs.diff_ids;
    if descriptors.len() != diff_ids.len() {
        return Err(Error::LayersDoNotMatchConfig {
            config: diff_ids.len(),
            layers: descriptors.len(),
        });
    }
    Ok(descriptors
        .iter()
        .zip(diff_ids)
        .map(|(descriptor, diff_id)| ImageLayer {
            descriptor: descriptor.clone(),
            diff_id: *diff_id,
        })
        .collect())
}

impl Image {
    /// The layout directory or archive file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The config.
    pub fn config(&self) -> &ImageConfig {
        &self.config
    }

    /// The config's exact bytes (their digest is the image id).
    pub fn config_bytes(&self) -> &[u8] {
        &self.config_bytes
    }

    /// The manifest. For a docker archive, which has none, it is the OCI manifest
    /// buckle would write for it: the config and uncompressed layers.
    pub fn manifest(&self) -> &ImageManifest {
        &self.manifest
    }

    /// The manifest's digest (the image digest).
    pub fn manifest_digest(&self) -> Sha256 {
        self.manifest_descriptor.digest
    }

    /// The manifest's descriptor.
    pub fn manifest_descriptor(&self) -> &Descriptor {
        &self.manifest_descriptor
    }

    /// The tag: the layout's `org.opencontainers.image.ref.name` or the archive's
    /// first `RepoTags` entry.
    pub fn ref_name(&self) -> Option<&str> {
        self.ref_name.as_deref()
    }

    /// The layers, bottom first.
    pub fn layers(&self) -> &[ImageLayer] {
        &self.layers
    }

    /// The uncompressed tar of layer `index` (gzip and zstd are recognised by their
    /// magic bytes). The blob is checked against its descriptor and the tar against
    /// its diff_id; a mismatch fails the read that reaches the end. Read it to the end
    /// (for a [`Reader`], call [`Reader::finish`]) for the check to happen.
    pub fn open_layer(&self, index: usize) -> Result<LayerReader> {
        let layer = self.layers.get(index).ok_or(Error::NoSuchLayer {
            index,
            layers: self.layers.len(),
        })?;
        let raw: Box<dyn Read + Send> = match &self.source {
            Source::Layout(layout) => Box::new(layout.open_blob(&layer.descriptor)?),
            Source::DockerArchive { archive, image } => {
                let member = image.layers.get(index).ok_or(Error::NoSuchLayer {
                    index,
                    layers: image.layers.len(),
                })?;
                archive.open_member(member)?.0
            }
        };
        let tar = decompress(BufReader::new(raw)).map_err(|e| from_io(&self.path, e))?;
        Ok(LayerReader {
            inner: VerifyingReader::new(tar, layer.diff_id, None),
            index,
        })
    }

    /// The most memory [`Image::merged_files`] may use for this image (entries'
    /// metadata and the contents it keeps): past it, reading fails with
    /// [`Error::MemoryBudget`] instead of growing without bound on a hostile image.
    pub fn with_memory_budget(mut self, bytes: u64) -> Self {
        self.memory_budget = bytes;
        self
    }

    /// Walks all layers bottom first, applying whiteouts (OCI image spec, `layer.md`),
    /// and returns the files of the final filesystem. The content of the files for
    /// which `keep_content` returns true is read into memory. Layers are decompressed
    /// in parallel (one thread per core) and applied in order. Everything kept counts
    /// against the image's memory budget ([`Image::with_memory_budget`]).
    pub fn merged_files(
        &self,
        keep_content: impl Fn(&Entry) -> bool + Sync,
    ) -> Result<BTreeMap<RelPath, MergedFile>> {
        self.merge(&keep_content, false)
    }

    /// Like [`Image::merged_files`], and every regular file's SHA-256 besides, computed
    /// as it streams by (whether or not its content is kept).
    pub fn merged_files_hashed(
        &self,
        keep_content: impl Fn(&Entry) -> bool + Sync,
    ) -> Result<BTreeMap<RelPath, MergedFile>> {
        self.merge(&keep_content, true)
    }

    fn merge(
        &self,
        keep_content: &(impl Fn(&Entry) -> bool + Sync),
        hash: bool,
    ) -> Result<BTreeMap<RelPath, MergedFile>> {
        let mut files = BTreeMap::new();
        for layer in self.read_all_layers(keep_content, hash)? {
            let (entries, whiteouts) = layer?;
            for whiteout in &whiteouts {
                match whiteout {
                    Whiteout::Remove(path) => remove_tree(&mut files, path, true),
                    Whiteout::Opaque(dir) => remove_tree(&mut files, dir, false),
                }
            }
            for file in entries {
                if !matches!(file.entry.kind, EntryKind::Directory) {
                    remove_tree(&mut files, &file.entry.path, false);
                }
                files.insert(file.entry.path.clone(), file);
            }
        }
        Ok(files)
    }

    /// Every layer's entries and whiteouts, in layer order, read by a few threads.
    fn read_all_layers(
        &self,
        keep_content: &(impl Fn(&Entry) -> bool + Sync),
        hash: bool,
    ) -> Result<Vec<LayerRead>> {
        let budget = Budget {
            limit: self.memory_budget,
            spent: std::sync::atomic::AtomicU64::new(0),
        };
        let count = self.layers.len();
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, count.max(1));
        let next = std::sync::atomic::AtomicUsize::new(0);
        let mut read: Vec<Option<LayerRead>> = (0..count).map(|_| None).collect();
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    scope.spawn(|| {
                        let mut done = Vec::new();
                        loop {
                            let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            if index >= count {
                                return done;
                            }
                            let read = self.read_layer_entries(index, keep_content, hash, &budget);
                            let failed = read.is_err();
                            done.push((index, read));
                            if failed {
                                // The others stop too: the budget is shared.
                                next.store(count, std::sync::atomic::Ordering::Relaxed);
                            }
                        }
                    })
                })
                .collect();
            for worker in workers {
                for (index, layer) in worker.join().expect("a layer reader panicked") {
                    read[index] = Some(layer);
                }
            }
        });
        // After a failure the readers stop, so later layers may be unread: the failure
        // is the answer.
        if let Some(failed) = read.iter().position(|layer| matches!(layer, Some(Err(_)))) {
            if let Some(Err(err)) = read.swap_remove(failed) {
                return Err(err);
            }
        }
        Ok(read
            .into_iter()
            .map(|layer| layer.expect("every layer was read"))
            .collect())
    }

    fn read_layer_entries(
        &self,
        index: usize,
        keep_content: &impl Fn(&Entry) -> bool,
        hash: bool,
        budget: &Budget,
    ) -> LayerRead {
        let mut entries = Vec::new();
        let mut whiteouts = Vec::new();
        let mut reader = Reader::new(self.open_layer(index)?);
        for item in reader.entries()? {
            let (entry, mut content) = item?;
            budget.charge(
                ENTRY_COST + entry.path.as_str().len() as u64,
                &entry.path,
                &self.path,
            )?;
            if let Some(whiteout) = Whiteout::of(&entry.path) {
                whiteouts.push(whiteout);
                continue;
            }
            let (mut kept, mut sha256) = (None, None);
            if let EntryKind::File { size } = entry.kind {
                let keep = keep_content(&entry);
                if keep {
                    budget.charge(size, &entry.path, &self.path)?;
                }
                if keep || hash {
                    let mut reader = buckle_digest::HashingReader::new(&mut content);
                    let mut bytes = Vec::new();
                    if keep {
                        reader.read_to_end(&mut bytes)
                    } else {
                        io::copy(&mut reader, &mut io::sink()).map(|n| n as usize)
                    }
                    .map_err(|e| from_io(&self.path, e))?;
                    let (digest, _, _) = reader.finish();
                    sha256 = hash.then_some(digest);
                    kept = keep.then_some(bytes);
                }
            }
            entries.push(MergedFile {
                entry,
                layer: index,
                content: kept,
                sha256,
            });
        }
        reader.finish().map_err(|e| match e {
            Error::TarTrailer { source } => from_io(&self.path, source),
            other => other,
        })?;
        Ok((entries, whiteouts))
    }

    /// The blob `digest` stored beside the image's own (`blobs/sha256/<hex>` of the
    /// layout or the archive), checked against its digest; `None` when it is absent
    /// or does not match.
    pub(crate) fn read_extra_blob(&self, digest: &Sha256) -> Option<Vec<u8>> {
        let bytes = match &self.source {
            Source::Layout(layout) => std::fs::read(layout.blob_path(digest)).ok()?,
            Source::DockerArchive { archive, .. } => {
                let name = RelPath::normalise(&format!("blobs/sha256/{}", digest.hex())).ok()?;
                let (mut reader, size) = archive.open_member(&name).ok()?;
                let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
                reader.read_to_end(&mut bytes).ok()?;
                bytes
            }
        };
        (Sha256::of(&bytes) == *digest).then_some(bytes)
    }

    /// Writes this image as a docker archive at `target` tagged `repo_tags`, with the
    /// same config bytes and layers (uncompressed), and the layer indexes the config
    /// names (see [`crate::layer_index`]).
    pub fn write_docker_archive(
        &self,
        target: &Path,
        repo_tags: &[String],
        source_date_epoch: u64,
    ) -> Result<()> {
        let mut writer = DockerArchiveWriter::create(target, source_date_epoch)?;
        for (index, layer) in self.layers.iter().enumerate() {
            let size = io::copy(&mut self.open_layer(index)?, &mut io::sink())
                .map_err(|e| from_io(&self.path, e))?;
            writer.add_layer(layer.diff_id, size, self.open_layer(index)?)?;
        }
        for digest in self.layer_index_digests() {
            if let Some(bytes) = self.read_extra_blob(&digest) {
                writer.add_blob(&bytes)?;
            }
        }
        writer.finish(&self.config_bytes, repo_tags)
    }
}

/// Removes `path`'s descendants from `files`, and `path` itself when `itself`.
pub(crate) fn remove_tree(files: &mut BTreeMap<RelPath, MergedFile>, path: &RelPath, itself: bool) {
    let doomed: Vec<RelPath> = files
        .range(path.clone()..)
        .map(|(p, _)| p)
        .take_while(|p| p.starts_with(path))
        .filter(|p| itself || *p != path)
        .cloned()
        .collect();
    for p in doomed {
        files.remove(&p);
    }
}

/// A file in the merged filesystem of an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergedFile {
    /// The entry from the topmost layer that has this path.
    pub entry: Entry,
    /// That layer's index, bottom first, from 0.
    pub layer: usize,
    /// The content, when it was asked for (files only).
    pub content: Option<Vec<u8>>,
    /// The content's SHA-256, from [`Image::merged_files_hashed`] (files only).
    pub sha256: Option<buckle_digest::Sha256>,
}

/// The uncompressed tar of one layer, checked against its diff_id at the end.
pub struct LayerReader {
    inner: VerifyingReader<Box<dyn Read + Send>>,
    index: usize,
}

impl Read for LayerReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|e| match Mismatch::from_io(&e) {
            Some(Mismatch::Digest { expected, actual }) => io::Error::new(
                io::ErrorKind::InvalidData,
                Error::LayerDiffId {
                    layer: self.index,
                    expected: *expected,
                    actual: *actual,
                },
            ),
            _ => e,
        })
    }
}

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const ZSTD_MAGIC: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];

/// Picks a decoder by the stream's first bytes; anything else is taken as a tar.
fn decompress(mut raw: BufReader<Box<dyn Read + Send>>) -> io::Result<Box<dyn Read + Send>> {
    let head = raw.fill_buf()?;
    Ok(if head.starts_with(GZIP_MAGIC) {
        Box::new(flate2::bufread::MultiGzDecoder::new(raw))
    } else if head.starts_with(ZSTD_MAGIC) {
        Box::new(zstd::stream::read::Decoder::with_buffer(raw)?)
    } else {
        Box::new(raw)
    })
}

#[cfg(test)]
mod tests;
