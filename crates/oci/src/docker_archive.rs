//! Docker archives, the tar that `docker save` writes and `docker load` and
//! `podman load` read: `manifest.json` (`[{Config, RepoTags, Layers}]`), the config
//! and one uncompressed tar per layer.
//!
//! The writer puts blobs at `blobs/sha256/<hex>` (as Docker 25 and later do); the
//! reader also accepts the older `<id>/layer.tar` and `<hex>.json` names and follows
//! symbolic links between members.

use crate::blob::{from_io, BlobReader};
use crate::config::ImageConfig;
use crate::error::{Error, Result};
use crate::json::canonical_json;
use crate::layout::MAX_DOCUMENT_SIZE;
use crate::output::FileOutput;
use crate::path::RelPath;
use crate::tar::{Compression, Entry, EntryKind, LayerWriter, Reader};
use buckle_digest::{HashingReader, Sha256};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Name of the manifest member.
pub const MANIFEST_FILE: &str = "manifest.json";
/// How many symbolic links [`DockerArchive`] follows from one member name.
const MAX_LINK_HOPS: usize = 8;

/// One element of `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ManifestItem {
    config: String,
    #[serde(default, deserialize_with = "crate::json::null_as_default")]
    repo_tags: Vec<String>,
    #[serde(default, deserialize_with = "crate::json::null_as_default")]
    layers: Vec<String>,
}

fn blob_member(digest: &Sha256) -> RelPath {
    RelPath::normalise(&format!("blobs/sha256/{}", digest.hex())).unwrap_or_default()
}

/// Writes a docker archive to a temporary file beside the target and renames it
/// into place in [`DockerArchiveWriter::finish`]; dropping the writer removes it. A
/// device, FIFO or `/dev/stdout` target is streamed into in place ([`FileOutput`]).
/// Every member has the same mtime and root ownership, so the same image gives the
/// same bytes.
pub struct DockerArchiveWriter {
    target: PathBuf,
    tar: LayerWriter<BufWriter<FileOutput>>,
    layers: Vec<Sha256>,
    written: BTreeSet<Sha256>,
}

impl DockerArchiveWriter {
    /// Starts an archive that will end up at `target` (a new path or a regular file,
    /// which is replaced, or a device or FIFO, written in place), with
    /// `source_date_epoch` as every mtime.
    pub fn create(target: impl Into<PathBuf>, source_date_epoch: u64) -> Result<Self> {
        let target = target.into();
        let temp = FileOutput::create(&target, crate::blob::FILE_MODE)?;
        let mut tar = LayerWriter::new(BufWriter::new(temp), Compression::None, source_date_epoch)?;
        for dir in ["blobs", "blobs/sha256"] {
            tar.append(
                &Entry::directory(RelPath::normalise(dir).unwrap_or_default(), 0o755),
                std::io::empty(),
            )?;
        }
        Ok(DockerArchiveWriter {
            target,
            tar,
            layers: Vec::new(),
            written: BTreeSet::new(),
        })
    }

    /// Adds the next layer (bottom first): `size` bytes of uncompressed tar whose
    /// sha256 must be `diff_id`.
    pub fn add_layer(&mut self, diff_id: Sha256, size: u64, layer_tar: impl Read) -> Result<()> {
        self.layers.push(diff_id);
        if !self.written.insert(diff_id) {
            return Ok(());
        }
        let path = blob_member(&diff_id);
        let mut hashing = HashingReader::new(layer_tar);
        self.tar.append(&Entry::file(path, 0o644, size), &mut hashing)?;
        let (actual, _, _) = hashing.finish();
        if actual != diff_id {
            return Err(Error::LayerDiffId {
                layer: self.layers.len() - 1,
                expected: diff_id,
                actual,
            });
        }
        Ok(())
    }

    /// Adds a blob besides the layers and the config (`blobs/sha256/<hex>`), such as a
    /// layer index.
    pub fn add_blob(&mut self, bytes: &[u8]) -> Result<()> {
        let digest = Sha256::of(bytes);
        if self.written.insert(digest) {
            self.tar.append(
                &Entry::file(blob_member(&digest), 0o644, bytes.len() as u64),
                bytes,
            )?;
        }
        Ok(())
    }

    /// Writes the config (`config` is its exact JSON, whose digest becomes the image
    /// id) and `manifest.json` naming `repo_tags` (`name:tag`), then renames the
    /// archive into place. The config's `rootfs.diff_ids` must list the added layers.
    pub fn finish(mut self, config: &[u8], repo_tags: &[String]) -> Result<()> {
        let parsed: ImageConfig = serde_json::from_slice(config).map_err(|source| Error::JsonDecode {
            what: "image config",
            source,
        })?;
        if parsed.rootfs.diff_ids != self.layers {
            return Err(Error::LayersDoNotMatchConfig {
                config: parsed.rootfs.diff_ids.len(),
                layers: self.layers.len(),
            });
        }
        let config_digest = Sha256::of(config);
        let config_path = blob_member(&config_digest);
        if self.written.insert(config_digest) {
            self.tar.append(
                &Entry::file(config_path.clone(), 0o644, config.len() as u64),
                config,
            )?;
        }
        let manifest = vec![ManifestItem {
            config: config_path.to_string(),
            repo_tags: repo_tags.to_vec(),
            layers: self.layers.iter().map(|d| blob_member(d).to_string()).collect(),
        }];
        let manifest = canonical_json(&manifest)?;
        let manifest_path = RelPath::normalise(MANIFEST_FILE).unwrap_or_default();
        self.tar.append(
            &Entry::file(manifest_path, 0o644, manifest.len() as u64),
            manifest.as_slice(),
        )?;
        let (_, buffered) = self.tar.finish()?;
        let output = buffered.into_inner().map_err(|e| Error::Write {
            path: self.target.clone(),
            source: e.into_error(),
        })?;
        output.commit()?;
        tracing::info!(path = %self.target.display(), layers = self.layers.len(), "docker archive written");
        Ok(())
    }
}

/// Where a member's bytes are in the archive file.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Member {
    File { offset: u64, size: u64 },
    Symlink(String),
    Hardlink(RelPath),
    Other,
}

/// An image listed in a docker archive's `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveImage {
    /// The config member.
    pub config: RelPath,
    /// `name:tag` references.
    pub repo_tags: Vec<String>,
    /// The layer members, bottom first.
    pub layers: Vec<RelPath>,
}

/// An existing docker archive, indexed once so members can be read in any order.
#[derive(Debug, Clone)]
pub struct DockerArchive {
    path: PathBuf,
    members: BTreeMap<RelPath, Member>,
    images: Vec<ArchiveImage>,
}

impl DockerArchive {
    /// Indexes the archive at `path` and reads its `manifest.json`.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        let members = index_members(&path)?;
        let mut archive = DockerArchive {
            path,
            members,
            images: Vec::new(),
        };
        let manifest_path = RelPath::normalise(MANIFEST_FILE).unwrap_or_default();
        if !archive.members.contains_key(&manifest_path) {
            return Err(Error::NotADockerArchive {
                path: archive.path,
                reason: "no `manifest.json` member".to_owned(),
            });
        }
        let bytes = archive.read_member(&manifest_path, None)?;
        let items: Vec<ManifestItem> =
            serde_json::from_slice(&bytes).map_err(|source| Error::JsonDecode {
                what: "docker archive manifest.json",
                source,
            })?;
        archive.images = items
            .iter()
            .map(|item| archive.parse_item(item))
            .collect::<Result<_>>()?;
        Ok(archive)
    }

    fn parse_item(&self, item: &ManifestItem) -> Result<ArchiveImage> {
        let member = |name: &str| {
            RelPath::normalise(name).map_err(|problem| Error::BadPath {
                path: name.to_owned(),
                problem,
            })
        };
        Ok(ArchiveImage {
            config: member(&item.config)?,
            repo_tags: item.repo_tags.clone(),
            layers: item.layers.iter().map(|l| member(l)).collect::<Result<_>>()?,
        })
    }

    /// The archive file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The images in `manifest.json`.
    pub fn images(&self) -> &[ArchiveImage] {
        &self.images
    }

    /// The image tagged `tag` (a full `name:tag` or just the tag), or the only image
    /// when `tag` is `None`.
    pub fn select(&self, tag: Option<&str>) -> Result<&ArchiveImage> {
        let matches = |image: &&ArchiveImage| match tag {
            None => true,
            Some(tag) => image
                .repo_tags
                .iter()
                .any(|t| t == tag || t.rsplit_once(':').is_some_and(|(_, t)| t == tag)),
        };
        let found: Vec<&ArchiveImage> = self.images.iter().filter(matches).collect();
        match found.as_slice() {
            [one] => Ok(one),
            [] => Err(Error::NoSuchImage {
                path: self.path.clone(),
                wanted: tag.map_or_else(|| "any image".to_owned(), |t| format!("`{t}`")),
            }),
            many => Err(Error::AmbiguousImage {
                path: self.path.clone(),
                candidates: many
                    .iter()
                    .map(|i| format!("{} {}", i.repo_tags.join(","), i.config))
                    .collect(),
            }),
        }
    }

    /// Reads an image's config JSON, verified against the digest in its name when the
    /// name has one (`blobs/sha256/<hex>` or `<hex>.json`).
    pub fn read_config(&self, image: &ArchiveImage) -> Result<Vec<u8>> {
        self.read_member(&image.config, digest_in_name(&image.config))
    }

    /// Opens a member for streaming, with its size. When the member's name carries a
    /// digest, the read reaching its end fails if the bytes do not match it.
    pub fn open_member(&self, name: &RelPath) -> Result<(Box<dyn Read + Send>, u64)> {
        let (resolved, offset, size) = self.resolve(name)?;
        let mut file = File::open(&self.path).map_err(|source| Error::Read {
            path: self.path.clone(),
            source,
        })?;
        file.seek(SeekFrom::Start(offset)).map_err(|source| Error::Read {
            path: self.path.clone(),
            source,
        })?;
        let raw: Box<dyn Read + Send> = Box::new(BufReader::new(file).take(size));
        Ok(match digest_in_name(&resolved) {
            Some(digest) => (
                Box::new(BlobReader::new(
                    raw,
                    self.member_path(&resolved),
                    digest,
                    Some(size),
                )),
                size,
            ),
            None => (raw, size),
        })
    }

    fn read_member(&self, name: &RelPath, digest: Option<Sha256>) -> Result<Vec<u8>> {
        let (resolved, _, size) = self.resolve(name)?;
        let member_path = self.member_path(&resolved);
        if size > MAX_DOCUMENT_SIZE {
            return Err(Error::DocumentTooLarge {
                path: member_path,
                size,
                max: MAX_DOCUMENT_SIZE,
            });
        }
        let (mut reader, _) = self.open_member(name)?;
        if let Some(expected) = digest.filter(|d| Some(*d) != digest_in_name(&resolved)) {
            reader = Box::new(BlobReader::new(reader, member_path.clone(), expected, Some(size)));
        }
        let mut out = Vec::new();
        reader
            .read_to_end(&mut out)
            .map_err(|e| from_io(&member_path, e))?;
        Ok(out)
    }

    /// `archive.tar:member`, for messages.
    fn member_path(&self, member: &RelPath) -> PathBuf {
        PathBuf::from(format!("{}:{member}", self.path.display()))
    }

    /// Follows links from `name` to a regular file member: its name, offset and size.
    fn resolve(&self, name: &RelPath) -> Result<(RelPath, u64, u64)> {
        let mut current = name.clone();
        for _ in 0..=MAX_LINK_HOPS {
            let missing = || Error::MissingMember {
                path: self.path.clone(),
                member: current.to_string(),
            };
            current = match self.members.get(&current).ok_or_else(missing)? {
                Member::File { offset, size } => return Ok((current, *offset, *size)),
                Member::Hardlink(target) => target.clone(),
                Member::Symlink(target) => {
                    resolve_link(&current, target).ok_or_else(|| Error::MissingMember {
                        path: self.path.clone(),
                        member: format!("{current} -> {target}"),
                    })?
                }
                Member::Other => return Err(missing()),
            };
        }
        Err(Error::MissingMember {
            path: self.path.clone(),
            member: format!("{name} (too many links)"),
        })
    }
}

/// The member a symlink at `link` pointing to `target` names, if it stays inside.
fn resolve_link(link: &RelPath, target: &str) -> Option<RelPath> {
    if target.starts_with('/') {
        return None;
    }
    let parent = link.parent()?;
    let mut parts: Vec<&str> = parent.components().collect();
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            name => parts.push(name),
        }
    }
    RelPath::normalise(&parts.join("/")).ok()
}

/// The digest a member's name carries: `blobs/sha256/<hex>` or `<hex>.json`.
fn digest_in_name(member: &RelPath) -> Option<Sha256> {
    let name = member.file_name()?;
    let hex = match member.parent()?.as_str() {
        "blobs/sha256" => name,
        _ => name.strip_suffix(".json")?,
    };
    hex.parse().ok()
}

fn index_members(path: &Path) -> Result<BTreeMap<RelPath, Member>> {
    let file = File::open(path).map_err(|source| Error::Read {
        path: path.to_owned(),
        source,
    })?;
    let mut reader = Reader::new(file);
    let mut members = BTreeMap::new();
    for item in reader.entries_with_seek()? {
        let (entry, content) = item?;
        let member = match entry.kind {
            EntryKind::File { size } => Member::File {
                offset: content.position(),
                size,
            },
            EntryKind::Symlink { target } => Member::Symlink(target),
            EntryKind::Hardlink { target } => Member::Hardlink(target),
            _ => Member::Other,
        };
        members.insert(entry.path, member);
    }
    Ok(members)
}

#[cfg(test)]
mod tests;
