//! Layer indexes: what a layer holds, without its file contents, carried beside an
//! image so that reading its package metadata does not mean inflating every layer.
//!
//! An index lists every entry of one layer (path, kind, mode, owner, size, link
//! target), with the content of the files a named rule set kept (for buckle, the dpkg
//! metadata an SBOM reads). It is stored as a blob (`blobs/sha256/<hex>` in a layout or
//! a docker archive) and named, one digest per layer in layer order, by the config
//! label [`LAYER_INDEX_LABEL`]. Before an index is used its bytes must have the named
//! digest and it must name the layer's diff ID from the config, at the same position;
//! an image whose indexes do not check out is read in full.

use crate::error::{Error, Result};
use crate::image::{remove_tree, Image, MergedFile};
use crate::path::RelPath;
use crate::tar::{Entry, EntryKind, Whiteout};
use base64::Engine;
use buckle_digest::Sha256;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Config label naming the layer indexes: `sha256:<hex>` per layer, comma-separated.
pub const LAYER_INDEX_LABEL: &str = "dev.buckle.layer-index";

/// The index of one layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerIndex {
    /// The diff ID of the layer it describes.
    pub diff_id: Sha256,
    /// Which files have their content here: the name of the rule set that chose them.
    pub rules: String,
    entries: Vec<IndexEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct IndexEntry {
    path: RelPath,
    kind: char,
    mode: u32,
    uid: u32,
    gid: u32,
    #[serde(default, skip_serializing_if = "is_zero")]
    size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    target: Option<String>,
    /// base64 of the content, for the files `rules` kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    content: Option<String>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl LayerIndex {
    /// The index of the layer `diff_id` made of `entries` in order, with the contents
    /// given (the ones `rules` keeps).
    pub fn new<'a>(
        diff_id: Sha256,
        rules: &str,
        entries: impl IntoIterator<Item = (&'a Entry, Option<&'a [u8]>)>,
    ) -> Self {
        let entries = entries
            .into_iter()
            .map(|(entry, content)| {
                let (kind, size, target) = match &entry.kind {
                    EntryKind::Directory => ('d', 0, None),
                    EntryKind::File { size } => ('f', *size, None),
                    EntryKind::Symlink { target } => ('l', 0, Some(target.clone())),
                    EntryKind::Hardlink { target } => ('h', 0, Some(target.to_string())),
                    EntryKind::CharDevice => ('c', 0, None),
                    EntryKind::BlockDevice => ('b', 0, None),
                    EntryKind::Fifo => ('p', 0, None),
                };
                IndexEntry {
                    path: entry.path.clone(),
                    kind,
                    mode: entry.mode,
                    uid: entry.uid,
                    gid: entry.gid,
                    size,
                    target,
                    content: content.map(|c| base64::engine::general_purpose::STANDARD.encode(c)),
                }
            })
            .collect();
        LayerIndex {
            diff_id,
            rules: rules.to_owned(),
            entries,
        }
    }

    /// The index as the bytes of its blob.
    pub fn to_json(&self) -> Result<Vec<u8>> {
        crate::json::canonical_json(self)
    }

    /// An index from the bytes of its blob.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        serde_json::from_slice(bytes).map_err(|source| Error::JsonDecode {
            what: "layer index",
            source,
        })
    }

    /// The layer's files as [`Image::merged_files`] gives them for layer `layer`, or
    /// `None` when an entry cannot be rebuilt.
    fn merged(&self, layer: usize) -> Option<Vec<MergedFile>> {
        self.entries
            .iter()
            .map(|e| {
                let kind = match e.kind {
                    'd' => EntryKind::Directory,
                    'f' => EntryKind::File { size: e.size },
                    'l' => EntryKind::Symlink {
                        target: e.target.clone()?,
                    },
                    'h' => EntryKind::Hardlink {
                        target: e.target.as_deref()?.parse().ok()?,
                    },
                    'c' => EntryKind::CharDevice,
                    'b' => EntryKind::BlockDevice,
                    'p' => EntryKind::Fifo,
                    _ => return None,
                };
                let content = match &e.content {
                    Some(text) => Some(base64::engine::general_purpose::STANDARD.decode(text).ok()?),
                    None => None,
                };
                Some(MergedFile {
                    entry: Entry {
                        path: e.path.clone(),
                        kind,
                        mode: e.mode,
                        uid: e.uid,
                        gid: e.gid,
                    },
                    layer,
                    content,
                    sha256: None,
                })
            })
            .collect()
    }
}

impl Image {
    /// The digests the config's [`LAYER_INDEX_LABEL`] names (none when it names none
    /// or one is not a digest).
    pub(crate) fn layer_index_digests(&self) -> Vec<Sha256> {
        let label = self
            .config()
            .config
            .as_ref()
            .and_then(|c| c.labels.get(LAYER_INDEX_LABEL));
        let digests: Option<Vec<Sha256>> = label
            .map(|l| l.split(',').map(|d| Sha256::parse_oci(d).ok()).collect())
            .unwrap_or_default();
        digests.unwrap_or_default()
    }

    /// The files of the final filesystem from the layer indexes the image carries,
    /// with the contents `rules` kept; `None` when the image carries none for `rules`
    /// or one does not check out (missing, another digest, another layer), so the
    /// caller reads the layers instead.
    pub fn indexed_files(&self, rules: &str) -> Option<BTreeMap<RelPath, MergedFile>> {
        let digests = self.layer_index_digests();
        if digests.is_empty() || digests.len() != self.layers().len() {
            tracing::debug!("layer index label does not match the layers; reading the layers");
            return None;
        }
        let mut files = BTreeMap::new();
        for (index, (digest, layer)) in digests.iter().zip(self.layers()).enumerate() {
            let bytes = self.read_extra_blob(digest)?;
            let parsed = LayerIndex::parse(&bytes).ok()?;
            if parsed.diff_id != layer.diff_id || parsed.rules != rules {
                tracing::debug!(
                    layer = index,
                    "layer index is for another layer or rule set; reading the layers"
                );
                return None;
            }
            for file in parsed.merged(index)? {
                if Whiteout::of(&file.entry.path).is_some() {
                    return None;
                }
                if !matches!(file.entry.kind, EntryKind::Directory) {
                    remove_tree(&mut files, &file.entry.path, false);
                }
                files.insert(file.entry.path.clone(), file);
            }
        }
        Some(files)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_index_round_trips_every_entry_kind_with_kept_contents() {
        let file = Entry::file("etc/os-release".parse().unwrap(), 0o644, 3);
        let dir = Entry::directory("etc".parse().unwrap(), 0o755).with_owner(1, 2);
        let link = Entry::symlink("lib".parse().unwrap(), "usr/lib");
        let hard = Entry::hardlink(
            "etc/again".parse().unwrap(),
            "etc/os-release".parse().unwrap(),
            0o644,
        );
        let big = Entry::file("usr/bin/big".parse().unwrap(), 0o755, 1 << 20);
        let index = LayerIndex::new(
            Sha256::of(b"layer"),
            "rules-1",
            [
                (&dir, None),
                (&file, Some(&b"ID="[..])),
                (&hard, None),
                (&link, None),
                (&big, None),
            ],
        );
        let parsed = LayerIndex::parse(&index.to_json().unwrap()).unwrap();
        assert_eq!(parsed, index);
        let merged = parsed.merged(3).unwrap();
        let entries: Vec<&Entry> = merged.iter().map(|m| &m.entry).collect();
        assert_eq!(entries, [&dir, &file, &hard, &link, &big]);
        assert_eq!(merged[1].content.as_deref(), Some(&b"ID="[..]));
        assert!(merged.iter().all(|m| m.layer == 3));
        assert_eq!(merged[4].content, None, "contents not kept are not there");
    }
}
