//! OCI image layout directories (OCI image spec, `image-layout.md`): `oci-layout`,
//! `index.json` and `blobs/sha256/<hex>`, written atomically and read with every
//! blob verified.
//!
//! A layout written here keeps two indexes. [`FULL_INDEX_FILE`] lists everything the
//! layout holds: the image under each of its tags, and what is attached to it (SBOMs,
//! signatures, attestations, cosign tags). `index.json` lists one entry only, the image,
//! so that tools which read a layout as one image (syft's `oci-dir:`, umoci, skopeo,
//! oras) read it as it is: a single-platform image is its manifest; a multi-platform
//! image is the manifest of its first platform, annotated with the digest of its image
//! index ([`INDEX_ANNOTATION`]). [`Layout::index`] is the full index, or `index.json`
//! in a layout without the file (older buckle layouts and other tools' layouts), which
//! is also where changes to such a layout go.

use crate::blob::{from_io, write_blob, BlobReader, BlobWriter, FILE_MODE};
use crate::config::ImageConfig;
use crate::descriptor::{Descriptor, Platform};
use crate::error::{Error, Result};
use crate::json::canonical_json;
use crate::manifest::{ImageIndex, ImageManifest};
use crate::media_type;
use crate::output::replace_dir;
use crate::tar::{Compression, LayerDigests, LayerWriter};
use buckle_digest::Sha256;
use serde::{Deserialize, Serialize};
use std::fs::{self, Permissions};
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Name of the marker file at the root of a layout.
pub const OCI_LAYOUT_FILE: &str = "oci-layout";
/// Name of the index at the root of a layout.
pub const INDEX_FILE: &str = "index.json";
/// Name of buckle's full index at the root of a layout it wrote: every image, tag and
/// attachment (the image spec lets a layout hold files besides its own).
pub const FULL_INDEX_FILE: &str = "buckle-index.json";
/// Annotation of the `index.json` entry written from a full index: the image's tags,
/// separated by spaces (its `org.opencontainers.image.ref.name` is the first).
pub const TAGS_ANNOTATION: &str = "dev.buckle.tags";
/// Annotation of the `index.json` entry of a multi-platform image: the digest of its
/// image index, which only the full index lists.
pub const INDEX_ANNOTATION: &str = "dev.buckle.index";
/// The layout version this crate writes and reads.
pub const LAYOUT_VERSION: &str = "1.0.0";
/// The largest manifest, index or config read into memory: 8 MiB.
pub const MAX_DOCUMENT_SIZE: u64 = 8 << 20;
/// How deep indexes may nest inside `index.json`.
const MAX_INDEX_DEPTH: usize = 4;

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LayoutMarker {
    image_layout_version: String,
}

fn blobs_dir(root: &Path) -> PathBuf {
    root.join("blobs").join("sha256")
}

/// Writes a new layout in a temporary sibling of the target, then renames it into
/// place in [`LayoutWriter::finish`]. Dropping the writer without finishing removes
/// everything it wrote, so no partial layout is ever left behind.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use buckle_oci::layout::{Layout, LayoutWriter};
/// use buckle_oci::tar::{Compression, Entry};
/// use buckle_oci::{media_type, Descriptor, ImageIndex, ImageManifest};
/// # let dir = tempfile::tempdir()?;
/// # let target = dir.path().join("image");
/// let layout = LayoutWriter::create(&target)?;
/// let mut layer = layout.layer_writer(Compression::Gzip, 0)?;
/// layer.append(&Entry::file("hello".parse()?, 0o644, 2), &b"hi"[..])?;
/// let (layer, _digests) = layout.commit_layer(layer)?;
/// let config = layout.put_blob(media_type::OCI_CONFIG, br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#)?;
/// let manifest = layout.put_manifest(&ImageManifest::new(config, vec![layer]))?;
/// layout.finish(&ImageIndex::new(vec![manifest.clone()]))?;
/// assert_eq!(Layout::open(&target)?.index().manifests, [manifest]);
/// # Ok(()) }
/// ```
pub struct LayoutWriter {
    temp: tempfile::TempDir,
    target: PathBuf,
}

impl LayoutWriter {
    /// Starts a layout that will end up at `target`, which must not exist or must be
    /// an existing layout or empty directory (replaced by [`LayoutWriter::finish`]).
    pub fn create(target: impl Into<PathBuf>) -> Result<Self> {
        let target = target.into();
        crate::output::check_layout_target(&target)?;
        let temp = crate::output::temp_dir_beside(&target)?;
        let marker = canonical_json(&LayoutMarker {
            image_layout_version: LAYOUT_VERSION.to_owned(),
        })?;
        write_file(&temp.path().join(OCI_LAYOUT_FILE), &marker)?;
        let blobs = blobs_dir(temp.path());
        fs::create_dir_all(&blobs).map_err(|source| Error::Write {
            path: blobs.clone(),
            source,
        })?;
        Ok(LayoutWriter { temp, target })
    }

    fn blobs(&self) -> PathBuf {
        blobs_dir(self.temp.path())
    }

    /// Stores `bytes` as a blob and describes it.
    pub fn put_blob(&self, media_type: &str, bytes: &[u8]) -> Result<Descriptor> {
        write_blob(&self.blobs(), bytes)?;
        Ok(Descriptor::of(media_type, bytes))
    }

    /// Stores `value` as canonical JSON.
    pub fn put_json(&self, media_type: &str, value: &impl Serialize) -> Result<Descriptor> {
        self.put_blob(media_type, &canonical_json(value)?)
    }

    /// Stores a config.
    pub fn put_config(&self, config: &ImageConfig) -> Result<Descriptor> {
        self.put_json(media_type::OCI_CONFIG, config)
    }

    /// Stores a manifest (and the `{}` blob if its config is the empty descriptor) and
    /// returns its descriptor, with its artifact type, if any.
    pub fn put_manifest(&self, manifest: &ImageManifest) -> Result<Descriptor> {
        let (descriptor, bytes) = manifest.descriptor()?;
        write_empty_config(&self.blobs(), manifest)?;
        write_blob(&self.blobs(), &bytes)?;
        Ok(descriptor)
    }

    /// Stores an index (for multi-platform images nested in `index.json`).
    pub fn put_index(&self, index: &ImageIndex) -> Result<Descriptor> {
        let (descriptor, bytes) = index.descriptor()?;
        write_blob(&self.blobs(), &bytes)?;
        Ok(descriptor)
    }

    /// A writer for one blob streamed straight to disk.
    pub fn blob_writer(&self) -> Result<BlobWriter> {
        BlobWriter::new(&self.blobs())
    }

    /// Copies a blob from `content` (verifying nothing: the digest is computed here).
    pub fn put_blob_reader(&self, media_type: &str, mut content: impl Read) -> Result<Descriptor> {
        let mut writer = self.blob_writer()?;
        std::io::copy(&mut content, &mut writer).map_err(|e| from_io(&self.blobs(), e))?;
        let (digest, size) = writer.commit()?;
        Ok(Descriptor::new(media_type, digest, size))
    }

    /// A layer writer whose blob streams to disk; finish it with
    /// [`LayoutWriter::commit_layer`].
    pub fn layer_writer(
        &self,
        compression: Compression,
        source_date_epoch: u64,
    ) -> Result<LayerWriter<BlobWriter>> {
        LayerWriter::new(self.blob_writer()?, compression, source_date_epoch)
    }

    /// Finishes a layer from [`LayoutWriter::layer_writer`]: its descriptor and digests.
    pub fn commit_layer(&self, layer: LayerWriter<BlobWriter>) -> Result<(Descriptor, LayerDigests)> {
        let (digests, blob) = layer.finish()?;
        blob.commit()?;
        Ok((Descriptor::layer(&digests), digests))
    }

    /// Writes the full index (`index`, whose first entry is the image) and
    /// `index.json` (that image only, see [`public_index`]), then renames the layout
    /// into place, replacing an existing layout at the target (the old one is moved
    /// aside first, then removed).
    pub fn finish(self, index: &ImageIndex) -> Result<Layout> {
        let staged = Layout {
            root: self.temp.path().to_owned(),
            index: index.clone(),
            full: true,
        };
        let public = public_index(index, |d| staged.read_index(d))?;
        write_file(&self.temp.path().join(FULL_INDEX_FILE), &index.to_json()?)?;
        write_file(&self.temp.path().join(INDEX_FILE), &public.to_json()?)?;
        replace_dir(self.temp, &self.target)?;
        tracing::info!(path = %self.target.display(), manifests = index.manifests.len(), "image layout written");
        Ok(Layout {
            root: self.target,
            index: index.clone(),
            full: true,
        })
    }
}

/// An image manifest found in a layout.
#[derive(Debug, Clone, PartialEq)]
pub struct LayoutImage {
    /// The manifest's descriptor (as listed in its index).
    pub descriptor: Descriptor,
    /// The manifest.
    pub manifest: ImageManifest,
    /// The `org.opencontainers.image.ref.name` of its entry in `index.json`.
    pub ref_name: Option<String>,
    /// Its platform, from the index entry or else from its config.
    pub platform: Platform,
}

/// Which image of a layout to take.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selector {
    /// The `org.opencontainers.image.ref.name` (tag) wanted.
    pub ref_name: Option<String>,
    /// The platform wanted.
    pub platform: Option<Platform>,
}

impl std::fmt::Display for Selector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.ref_name, &self.platform) {
            (None, None) => f.write_str("any image"),
            (Some(name), None) => write!(f, "`{name}`"),
            (None, Some(platform)) => write!(f, "platform {platform}"),
            (Some(name), Some(platform)) => write!(f, "`{name}` for platform {platform}"),
        }
    }
}

/// An existing OCI image layout.
#[derive(Debug, Clone)]
pub struct Layout {
    root: PathBuf,
    index: ImageIndex,
    /// Whether the layout has [`FULL_INDEX_FILE`] (changes go there, not to `index.json`).
    full: bool,
}

impl Layout {
    /// Opens the layout at `root`: checks `oci-layout` and reads the full index, or
    /// `index.json` when there is none. Entries another tool added to `index.json`
    /// since buckle wrote the full index are read too.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        let not_layout = |reason: String| Error::NotALayout {
            path: root.clone(),
            reason,
        };
        let marker_path = root.join(OCI_LAYOUT_FILE);
        let marker = read_small_file(&marker_path)
            .map_err(|_| not_layout(format!("no readable `{OCI_LAYOUT_FILE}` file")))?;
        let marker: LayoutMarker = serde_json::from_slice(&marker).map_err(|source| Error::JsonDecode {
            what: "oci-layout file",
            source,
        })?;
        if marker.image_layout_version != LAYOUT_VERSION {
            return Err(not_layout(format!(
                "imageLayoutVersion is `{}`, expected `{LAYOUT_VERSION}`",
                marker.image_layout_version
            )));
        }
        let public = ImageIndex::from_json(&read_small_file(&root.join(INDEX_FILE))?)?;
        let full_path = root.join(FULL_INDEX_FILE);
        if !full_path.exists() {
            return Ok(Layout {
                root,
                index: public,
                full: false,
            });
        }
        let mut index = ImageIndex::from_json(&read_small_file(&full_path)?)?;
        for entry in public.manifests {
            if !entry.annotations.contains_key(TAGS_ANNOTATION) && !index.manifests.contains(&entry) {
                index.manifests.push(entry);
            }
        }
        Ok(Layout {
            root,
            index,
            full: true,
        })
    }

    /// The layout's directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Everything the layout lists: its full index, or `index.json` in a layout
    /// without one.
    pub fn index(&self) -> &ImageIndex {
        &self.index
    }

    /// Where the blob with `digest` is stored.
    pub fn blob_path(&self, digest: &Sha256) -> PathBuf {
        blobs_dir(&self.root).join(digest.hex())
    }

    /// Opens a blob for streaming; the read reaching its end fails if the content does
    /// not match the descriptor's digest and size.
    pub fn open_blob(&self, descriptor: &Descriptor) -> Result<BlobReader> {
        BlobReader::open(
            self.blob_path(&descriptor.digest),
            descriptor.digest,
            descriptor.size,
        )
    }

    /// Reads and verifies a small blob (at most [`MAX_DOCUMENT_SIZE`]).
    pub fn read_blob(&self, descriptor: &Descriptor) -> Result<Vec<u8>> {
        self.open_blob(descriptor)?
            .read_all(descriptor.size, MAX_DOCUMENT_SIZE)
    }

    /// Reads an image manifest.
    pub fn read_manifest(&self, descriptor: &Descriptor) -> Result<ImageManifest> {
        expect_media_type(descriptor, media_type::is_manifest, media_type::OCI_MANIFEST)?;
        ImageManifest::from_json(&self.read_blob(descriptor)?)
    }

    /// Reads an index.
    pub fn read_index(&self, descriptor: &Descriptor) -> Result<ImageIndex> {
        expect_media_type(descriptor, media_type::is_index, media_type::OCI_INDEX)?;
        ImageIndex::from_json(&self.read_blob(descriptor)?)
    }

    /// Reads an image config.
    pub fn read_config(&self, descriptor: &Descriptor) -> Result<ImageConfig> {
        expect_media_type(descriptor, media_type::is_config, media_type::OCI_CONFIG)?;
        serde_json::from_slice(&self.read_blob(descriptor)?).map_err(|source| Error::JsonDecode {
            what: "image config",
            source,
        })
    }

    /// Every image manifest reachable from `index.json` (through nested indexes),
    /// leaving out artifact manifests (SBOMs, signatures), manifests whose blobs are not
    /// all layers (cosign's `.sig` and `.att` tags) and unknown media types.
    pub fn images(&self) -> Result<Vec<LayoutImage>> {
        let mut out = Vec::new();
        for top in &self.index.manifests {
            self.collect_images(top, top.ref_name(), 0, &mut out)?;
        }
        Ok(out)
    }

    fn collect_images(
        &self,
        descriptor: &Descriptor,
        ref_name: Option<&str>,
        depth: usize,
        out: &mut Vec<LayoutImage>,
    ) -> Result<()> {
        if media_type::is_index(&descriptor.media_type) {
            if depth >= MAX_INDEX_DEPTH {
                return Err(Error::IndexTooDeep {
                    path: self.root.clone(),
                    max: MAX_INDEX_DEPTH,
                });
            }
            for nested in &self.read_index(descriptor)?.manifests {
                self.collect_images(nested, ref_name, depth + 1, out)?;
            }
            return Ok(());
        }
        if !media_type::is_manifest(&descriptor.media_type) || descriptor.artifact_type.is_some() {
            return Ok(());
        }
        let manifest = self.read_manifest(descriptor)?;
        let not_an_image = manifest.artifact_type.is_some()
            || !media_type::is_config(&manifest.config.media_type)
            || !manifest
                .layers
                .iter()
                .all(|l| media_type::is_layer(&l.media_type));
        if not_an_image {
            return Ok(());
        }
        let platform = match &descriptor.platform {
            Some(platform) => platform.clone(),
            None => {
                let config = self.read_config(&manifest.config)?;
                Platform {
                    architecture: config.architecture,
                    os: config.os,
                    variant: config.variant,
                    os_version: None,
                }
            }
        };
        out.push(LayoutImage {
            descriptor: descriptor.clone(),
            manifest,
            ref_name: ref_name.map(str::to_owned),
            platform,
        });
        Ok(())
    }

    /// The one image matching `selector`; an error when none or several match.
    pub fn select(&self, selector: &Selector) -> Result<LayoutImage> {
        let mut found: Vec<LayoutImage> = self
            .images()?
            .into_iter()
            .filter(|image| selector.ref_name.is_none() || image.ref_name == selector.ref_name)
            .filter(|image| {
                selector
                    .platform
                    .as_ref()
                    .is_none_or(|wanted| image.platform.matches(wanted))
            })
            .collect();
        // One image under several tags (`latest` and a version) is still one image.
        let mut seen = std::collections::HashSet::new();
        found.retain(|image| seen.insert(image.descriptor.digest));
        match found.len() {
            0 => Err(Error::NoSuchImage {
                path: self.root.clone(),
                wanted: selector.to_string(),
            }),
            1 => Ok(found.remove(0)),
            _ => Err(Error::AmbiguousImage {
                path: self.root.clone(),
                candidates: found.iter().map(describe_candidate).collect(),
            }),
        }
    }

    /// Stores a blob in this layout (renamed into place, so never half-written).
    pub fn put_blob(&self, media_type: &str, bytes: &[u8]) -> Result<Descriptor> {
        write_blob(&blobs_dir(&self.root), bytes)?;
        Ok(Descriptor::of(media_type, bytes))
    }

    /// Stores a manifest (for example an artifact whose `subject` is an image here;
    /// the `{}` blob too when its config is the empty descriptor) and lists it in the
    /// full index (`index.json` in a layout without one), with `annotations` added to
    /// its descriptor. The index is rewritten through a temporary file and a rename,
    /// after the blobs, so an interruption leaves at worst unused blobs.
    pub fn add_manifest(
        &mut self,
        manifest: &ImageManifest,
        annotations: &[(&str, &str)],
    ) -> Result<Descriptor> {
        let (mut descriptor, bytes) = manifest.descriptor()?;
        write_empty_config(&blobs_dir(&self.root), manifest)?;
        write_blob(&blobs_dir(&self.root), &bytes)?;
        for (key, value) in annotations {
            descriptor
                .annotations
                .insert((*key).to_owned(), (*value).to_owned());
        }
        let mut index = self.index.clone();
        index.manifests.push(descriptor.clone());
        self.write_index(index)?;
        Ok(descriptor)
    }

    /// Keeps in the full index (`index.json` in a layout without one) only the entries
    /// for which `keep` returns true (to replace a tag, or a signature being re-made),
    /// rewriting it atomically. Blobs stay.
    pub fn retain_manifests(&mut self, keep: impl Fn(&Descriptor) -> bool) -> Result<()> {
        let mut index = self.index.clone();
        index.manifests.retain(|d| keep(d));
        if index.manifests.len() != self.index.manifests.len() {
            self.write_index(index)?;
        }
        Ok(())
    }

    fn write_index(&mut self, index: ImageIndex) -> Result<()> {
        let name = if self.full { FULL_INDEX_FILE } else { INDEX_FILE };
        write_file_atomically(&self.root, name, &index.to_json()?)?;
        self.index = index;
        Ok(())
    }
}

/// The `index.json` of a layout whose full index is `full`: one entry, for the image
/// that `full` lists first, so that tools which take a layout as one image read it.
/// A multi-platform image is shown by the manifest of its first platform (syft reads
/// no image index), annotated with the index's digest ([`INDEX_ANNOTATION`]). The
/// entry keeps the first tag as its `org.opencontainers.image.ref.name` and lists every
/// tag of the image in [`TAGS_ANNOTATION`]. `read_index` reads an image index.
pub fn public_index(
    full: &ImageIndex,
    read_index: impl Fn(&Descriptor) -> Result<ImageIndex>,
) -> Result<ImageIndex> {
    let Some(image) = full.manifests.first() else {
        return Ok(ImageIndex::new(Vec::new()));
    };
    let tags: Vec<&str> = full
        .manifests
        .iter()
        .filter(|d| d.digest == image.digest)
        .filter_map(Descriptor::ref_name)
        .collect();
    let mut entry = image.clone();
    if media_type::is_index(&image.media_type) {
        let platforms = read_index(image)?;
        let first = platforms.manifests.iter().find(|d| {
            media_type::is_manifest(&d.media_type)
                && d.artifact_type.is_none()
                && d.platform.as_ref().is_none_or(|p| p.os != "unknown")
        });
        if let Some(first) = first {
            entry = Descriptor::new(first.media_type.clone(), first.digest, first.size)
                .with_annotation(INDEX_ANNOTATION, image.digest.oci());
            entry.platform = first.platform.clone();
            if let Some(tag) = image.ref_name() {
                entry = entry.with_annotation(crate::annotation::REF_NAME, tag);
            }
        }
    }
    Ok(ImageIndex::new(vec![
        entry.with_annotation(TAGS_ANNOTATION, tags.join(" "))
    ]))
}

/// Stores the `{}` blob when `manifest` uses the empty descriptor as its config
/// (artifact manifests), so the layout never lacks a blob it references.
fn write_empty_config(blobs: &Path, manifest: &ImageManifest) -> Result<()> {
    if manifest.config.digest == Descriptor::empty().digest {
        write_blob(blobs, media_type::EMPTY_JSON)?;
    }
    Ok(())
}

fn describe_candidate(image: &LayoutImage) -> String {
    let name = image.ref_name.as_deref().unwrap_or("(untagged)");
    format!("{name} {} {}", image.platform, image.descriptor.digest.oci())
}

fn expect_media_type(
    descriptor: &Descriptor,
    accepted: fn(&str) -> bool,
    expected: &'static str,
) -> Result<()> {
    if accepted(&descriptor.media_type) {
        return Ok(());
    }
    Err(Error::UnexpectedMediaType {
        digest: descriptor.digest,
        expected,
        found: descriptor.media_type.clone(),
    })
}

fn read_small_file(path: &Path) -> Result<Vec<u8>> {
    let file = fs::File::open(path).map_err(|source| Error::Read {
        path: path.to_owned(),
        source,
    })?;
    let mut out = Vec::new();
    file.take(MAX_DOCUMENT_SIZE + 1)
        .read_to_end(&mut out)
        .map_err(|source| Error::Read {
            path: path.to_owned(),
            source,
        })?;
    if out.len() as u64 > MAX_DOCUMENT_SIZE {
        return Err(Error::DocumentTooLarge {
            path: path.to_owned(),
            size: out.len() as u64,
            max: MAX_DOCUMENT_SIZE,
        });
    }
    Ok(out)
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    fs::write(path, bytes).map_err(|source| Error::Write {
        path: path.to_owned(),
        source,
    })
}

/// Replaces `dir/name` with `bytes` through a temporary file in `dir` and a rename.
fn write_file_atomically(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    let path = dir.join(name);
    let write_err = |source| Error::Write {
        path: path.clone(),
        source,
    };
    let mut temp = tempfile::Builder::new()
        .prefix(&format!(".{name}.tmp-"))
        .permissions(Permissions::from_mode(FILE_MODE))
        .tempfile_in(dir)
        .map_err(write_err)?;
    temp.write_all(bytes).map_err(write_err)?;
    temp.persist(&path).map_err(|e| write_err(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests;
