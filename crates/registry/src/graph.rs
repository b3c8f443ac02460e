//! [`Graph`]: the documents (indexes and manifests, children before parents) and the
//! blobs of what one transfer moves, gathered from a layout or a registry.

use crate::error::{Error, Result};
use buckle_digest::Sha256;
use buckle_oci::{media_type, Descriptor, ImageIndex, ImageManifest};
use std::collections::{BTreeMap, BTreeSet};

/// How deep indexes may nest.
const MAX_DEPTH: usize = 4;

/// A manifest or index and its exact bytes.
#[derive(Debug, Clone)]
pub(crate) struct Document {
    pub descriptor: Descriptor,
    pub bytes: Vec<u8>,
}

impl Document {
    /// The `subject` this document names, if any.
    pub fn subject(&self) -> Option<Descriptor> {
        if media_type::is_index(&self.descriptor.media_type) {
            ImageIndex::from_json(&self.bytes).ok()?.subject
        } else {
            ImageManifest::from_json(&self.bytes).ok()?.subject
        }
    }
}

/// Documents in push order and the blobs they reference.
#[derive(Debug, Default)]
pub(crate) struct Graph {
    pub documents: Vec<Document>,
    pub blobs: BTreeMap<Sha256, Descriptor>,
    seen: BTreeSet<Sha256>,
}

impl Graph {
    /// Adds `document` and everything under it; `fetch` reads a child document
    /// (verified against its descriptor).
    pub fn add(
        &mut self,
        document: Document,
        fetch: &mut dyn FnMut(&Descriptor) -> Result<Vec<u8>>,
    ) -> Result<()> {
        self.add_at(document, fetch, 0)
    }

    /// Whether the graph holds the document with `digest`.
    pub fn contains(&self, digest: &Sha256) -> bool {
        self.seen.contains(digest)
    }

    /// Total bytes of the blobs.
    pub fn blob_bytes(&self) -> u64 {
        self.blobs.values().map(|d| d.size).sum()
    }

    fn add_at(
        &mut self,
        document: Document,
        fetch: &mut dyn FnMut(&Descriptor) -> Result<Vec<u8>>,
        depth: usize,
    ) -> Result<()> {
        if !self.seen.insert(document.descriptor.digest) {
            return Ok(());
        }
        let media_type = document.descriptor.media_type.as_str();
        if media_type::is_index(media_type) {
            if depth >= MAX_DEPTH {
                return Err(Error::Protocol {
                    url: document.descriptor.digest.oci(),
                    reason: format!("indexes nest deeper than {MAX_DEPTH}"),
                });
            }
            let index = ImageIndex::from_json(&document.bytes)?;
            for child in &index.manifests {
                if self.seen.contains(&child.digest) {
                    continue;
                }
                let bytes = fetch(child)?;
                let child = Document {
                    descriptor: child.clone(),
                    bytes,
                };
                self.add_at(child, fetch, depth + 1)?;
            }
        } else if media_type::is_manifest(media_type) {
            let manifest = ImageManifest::from_json(&document.bytes)?;
            for blob in std::iter::once(&manifest.config).chain(&manifest.layers) {
                self.blobs.entry(blob.digest).or_insert_with(|| blob.clone());
            }
        } else {
            return Err(Error::UnexpectedMediaType {
                reference: document.descriptor.digest.oci(),
                media_type: media_type.to_owned(),
            });
        }
        self.documents.push(document);
        Ok(())
    }
}
