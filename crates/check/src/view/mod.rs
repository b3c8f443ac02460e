//! [`ImageView`]: what the rules look at, as plain data.
//!
//! A view holds the config, every layer's entries (whiteout markers apart, for the
//! history rules), the final file system after whiteouts, the contents of the few
//! small files the rules read, and what is attached to the image. The CLI fills it
//! from `buckle-oci` with [`ImageView::from_oci`]; tests may also build one by hand.

mod attachments;
mod oci;
mod resolve;

pub use attachments::{Attachment, AttachmentKind, Attachments};
pub use oci::{keeps_content, NoReporter, Reporter, HEAD_BYTES, MAX_KEPT_CONTENT, MAX_SCANNED_CONTENT};

use buckle_digest::Sha256;
use buckle_oci::tar::{Entry, EntryKind, Whiteout};
use buckle_oci::{ContainerConfig, History, ImageConfig, RelPath};
use std::collections::BTreeMap;

/// An image as the rules see it.
#[derive(Debug, Clone, Default)]
pub struct ImageView {
    /// The names the image is known by: the layout's `ref.name`, the archive's
    /// `RepoTags` (`name:tag`), or none.
    pub tags: Vec<String>,
    /// The image config.
    pub config: ImageConfig,
    /// Annotations of the image manifest and of its entry in the layout's index.
    pub annotations: BTreeMap<String, String>,
    /// The layers, bottom first.
    pub layers: Vec<LayerView>,
    /// The final file system: for each path, the entry of the topmost layer that has
    /// it, after whiteouts.
    pub files: BTreeMap<RelPath, FileView>,
    /// Referrers and signatures found beside the image, or why there can be none.
    pub attachments: Attachments,
}

/// One layer.
#[derive(Debug, Clone)]
pub struct LayerView {
    /// sha256 of the uncompressed tar.
    pub diff_id: Sha256,
    /// The blob's size as stored (compressed or not).
    pub size: u64,
    /// The config's history entry that made this layer, when the history has one.
    pub history: Option<History>,
    /// The layer's entries in stream order, whiteout markers left out.
    pub files: Vec<FileView>,
    /// The layer's whiteouts: what it removes from the layers below.
    pub whiteouts: Vec<Whiteout>,
}

/// One file, directory, link or node, with the bytes the rules may read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileView {
    /// The tar entry (path, kind, mode, owner).
    pub entry: Entry,
    /// The layer it comes from, bottom first, from 0.
    pub layer: usize,
    /// The first [`HEAD_BYTES`] bytes of a regular file (for ELF magic and `#!`
    /// lines); a hard link has its target's.
    pub head: Vec<u8>,
    /// The whole content, for the files [`keeps_content`] names and for files that
    /// hold a PEM private key.
    pub content: Option<Vec<u8>>,
}

impl FileView {
    /// A file view with no content read (for views built by hand).
    pub fn new(entry: Entry, layer: usize) -> Self {
        FileView {
            entry,
            layer,
            head: Vec::new(),
            content: None,
        }
    }

    /// The same view with `content` (and its head).
    pub fn with_content(mut self, content: &[u8]) -> Self {
        self.head = content.iter().take(HEAD_BYTES).copied().collect();
        self.content = Some(content.to_vec());
        self
    }

    /// The path with a leading `/`, as users write it.
    pub fn display_path(&self) -> String {
        absolute(&self.entry.path)
    }

    /// Whether this is a regular file (or a hard link to one).
    pub fn is_file(&self) -> bool {
        matches!(
            self.entry.kind,
            EntryKind::File { .. } | EntryKind::Hardlink { .. }
        )
    }

    /// Whether the content starts with the ELF magic.
    pub fn is_elf(&self) -> bool {
        self.head.starts_with(b"\x7fELF")
    }
}

/// `path` with a leading `/` (`/` for the root).
pub fn absolute(path: &RelPath) -> String {
    format!("/{}", path.as_str())
}

/// Which variant of a buckle catalog image this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Variant {
    /// A runtime image (or any image that does not say it is a dev variant).
    Runtime,
    /// A `-dev` variant: shell, apt and dpkg on purpose, for build stages.
    Dev,
}

/// The label buckle sets on dev variants (`dev.buckle.variant=dev`).
pub const VARIANT_LABEL: &str = "dev.buckle.variant";

/// The label a debugging image carries (such as buckle's `busybox-debug`, attached with
/// `kubectl debug`): its value says why the image has a shell and tools by design.
pub const DEBUG_LABEL: &str = "dev.buckle.debug";

/// Label and annotation naming the date upstream support for what the image ships
/// ends (`YYYY-MM-DD` or `YYYY-MM`, the spec's `eol`).
pub const EOL_LABEL: &str = "dev.buckle.eol";

impl ImageView {
    /// The container config, or an empty one.
    pub fn container(&self) -> ContainerConfig {
        self.config.config.clone().unwrap_or_default()
    }

    /// Labels (config) and annotations (manifest), labels first; an annotation with
    /// the same key as a label is listed too.
    pub fn metadata(&self) -> Vec<(&str, &str, &'static str)> {
        let labels = self
            .config
            .config
            .iter()
            .flat_map(|c| c.labels.iter())
            .map(|(k, v)| (k.as_str(), v.as_str(), "label"));
        let annotations = self
            .annotations
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str(), "annotation"));
        labels.chain(annotations).collect()
    }

    /// The value of a label or annotation named `key` (labels win).
    pub fn metadata_value(&self, key: &str) -> Option<&str> {
        self.metadata()
            .into_iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, v, _)| v)
    }

    /// Dev when the label [`VARIANT_LABEL`] is `dev`, or the image title
    /// (`org.opencontainers.image.title`) ends in `-dev`.
    pub fn variant(&self) -> Variant {
        let labelled = self.metadata_value(VARIANT_LABEL) == Some("dev");
        let titled = self
            .metadata_value(buckle_oci::annotation::TITLE)
            .is_some_and(|title| title.ends_with("-dev"));
        if labelled || titled {
            Variant::Dev
        } else {
            Variant::Runtime
        }
    }

    /// The file at `path` in the final file system, following symbolic links at every
    /// component the way the kernel would inside the image.
    pub fn resolve(&self, path: &RelPath) -> Option<&FileView> {
        self.files.get(&self.canonical(path, true)?)
    }

    /// The content of the file at `path` (links followed), when it was kept.
    pub fn content(&self, path: &str) -> Option<&[u8]> {
        let path = RelPath::new(path.trim_start_matches('/')).ok()?;
        self.resolve(&path)?.content.as_deref()
    }

    /// `path` with symbolic links followed in every directory component, and in the
    /// last one too when `follow_last`. `None` on a link loop.
    pub fn canonical(&self, path: &RelPath, follow_last: bool) -> Option<RelPath> {
        resolve::canonical(&self.files, path, follow_last)
    }

    /// Total size of the layer blobs.
    pub fn stored_size(&self) -> u64 {
        self.layers.iter().map(|layer| layer.size).sum()
    }

    /// Total size of the regular files in the final file system.
    pub fn content_size(&self) -> u64 {
        self.files.values().map(|file| file.entry.size()).sum()
    }
}
