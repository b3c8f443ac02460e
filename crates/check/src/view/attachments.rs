//! What is attached to an image in an OCI layout: referrers (manifests whose `subject`
//! is the image, OCI image spec 1.1) and cosign's tag scheme (`sha256-<hex>.sig`,
//! `.att`, `.sbom` tags), as the layout lists them (its full index, see
//! `buckle_oci::layout`).

use crate::error::{Error, Result};
use buckle_digest::Sha256;
use buckle_oci::layout::Layout;
use buckle_oci::{media_type, Descriptor, Image};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Attachments of the image, or why it cannot have any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Attachments {
    /// The input cannot carry attachments (a docker archive has no place for them).
    NotApplicable {
        /// Why, for the finding's message.
        reason: String,
    },
    /// Everything found for the image (possibly nothing).
    Found {
        /// The attachments.
        items: Vec<Attachment>,
    },
}

impl Default for Attachments {
    fn default() -> Self {
        Attachments::NotApplicable {
            reason: "attachments were not looked for".to_owned(),
        }
    }
}

/// One artifact attached to the image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attachment {
    /// The attached manifest's digest.
    pub digest: Sha256,
    /// Its `artifactType` (or config media type when it has none).
    pub artifact_type: Option<String>,
    /// The media types of its blobs.
    pub blob_media_types: Vec<String>,
    /// Its annotations and those of its blobs (an in-toto predicate type shows here).
    pub annotations: BTreeMap<String, String>,
    /// The cosign-scheme tag it was found by, when not by `subject`.
    pub tag: Option<String>,
}

/// What an attachment proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentKind {
    /// A software bill of materials (SPDX, CycloneDX, syft).
    Sbom,
    /// Build provenance (SLSA, in-toto attestations).
    Provenance,
    /// A signature (cosign, notation, a sigstore bundle, a DSSE envelope).
    Signature,
}

impl AttachmentKind {
    /// A short name for messages.
    pub fn name(self) -> &'static str {
        match self {
            AttachmentKind::Sbom => "SBOM",
            AttachmentKind::Provenance => "provenance",
            AttachmentKind::Signature => "signature",
        }
    }
}

impl Attachment {
    /// What this attachment counts as, judged from its artifact type, blob media types,
    /// predicate-type annotation and cosign tag suffix. A DSSE envelope or sigstore
    /// bundle is signed, so it also counts as a signature.
    pub fn kinds(&self) -> BTreeSet<AttachmentKind> {
        let types: Vec<String> = self
            .artifact_type
            .iter()
            .chain(&self.blob_media_types)
            .map(|t| t.to_ascii_lowercase())
            .collect();
        let predicates: Vec<String> = self
            .annotations
            .iter()
            .filter(|(key, _)| {
                let key = key.to_ascii_lowercase();
                key.ends_with("predicatetype") || key.ends_with("predicate-type")
            })
            .map(|(_, value)| value.to_ascii_lowercase())
            .collect();
        let any =
            |words: &[&str], within: &[String]| within.iter().any(|t| words.iter().any(|w| t.contains(w)));
        let suffix = self
            .tag
            .as_deref()
            .and_then(|t| t.rsplit_once('.'))
            .map(|(_, s)| s);
        let mut kinds = BTreeSet::new();
        if any(&["spdx", "cyclonedx", "syft"], &types)
            || any(&["spdx", "cyclonedx"], &predicates)
            || suffix == Some("sbom")
        {
            kinds.insert(AttachmentKind::Sbom);
        }
        if any(&["provenance", "slsa"], &types)
            || any(&["provenance", "slsa"], &predicates)
            || suffix == Some("att")
        {
            kinds.insert(AttachmentKind::Provenance);
        }
        if any(&["signature", "sigstore", "cosign.artifact.sig", "dsse"], &types) || suffix == Some("sig") {
            kinds.insert(AttachmentKind::Signature);
        }
        kinds
    }
}

impl Attachments {
    /// For a docker archive, which cannot carry attachments.
    pub fn docker_archive() -> Self {
        Attachments::NotApplicable {
            reason: "a docker archive cannot carry attachments".to_owned(),
        }
    }

    /// The attachments of `image` found in `layout` (the layout it was opened from):
    /// manifests and indexes listed in `index.json` whose `subject` is the image (or an
    /// index in `index.json` that lists it), and cosign-scheme tags for those digests.
    pub fn from_layout(layout: &Layout, image: &Image) -> Result<Self> {
        let image_err = |source| Error::Image {
            image: layout.root().display().to_string(),
            what: "the referrers the layout lists".to_owned(),
            source: Box::new(source),
        };
        let subjects = subjects(layout, image.manifest_digest()).map_err(image_err)?;
        let mut items = Vec::new();
        for descriptor in &layout.index().manifests {
            if subjects.contains(&descriptor.digest) {
                continue;
            }
            if let Some(found) = attachment(layout, descriptor, &subjects).map_err(image_err)? {
                items.push(found);
            }
        }
        tracing::debug!(attachments = items.len(), "attachments found");
        Ok(Attachments::Found { items })
    }

    /// The attachments of `kind`, or `None` when the input cannot carry any.
    pub fn of_kind(&self, kind: AttachmentKind) -> Option<Vec<&Attachment>> {
        match self {
            Attachments::NotApplicable { .. } => None,
            Attachments::Found { items } => {
                Some(items.iter().filter(|a| a.kinds().contains(&kind)).collect())
            }
        }
    }
}

/// The image's manifest digest and the digests of the indexes in `index.json` that
/// list it (a signature may be about the multi-platform index).
fn subjects(layout: &Layout, manifest: Sha256) -> buckle_oci::Result<BTreeSet<Sha256>> {
    let mut subjects = BTreeSet::from([manifest]);
    for descriptor in &layout.index().manifests {
        if media_type::is_index(&descriptor.media_type)
            && layout
                .read_index(descriptor)?
                .manifests
                .iter()
                .any(|d| d.digest == manifest)
        {
            subjects.insert(descriptor.digest);
        }
    }
    Ok(subjects)
}

/// `descriptor` as an attachment of one of `subjects`, if it is one.
fn attachment(
    layout: &Layout,
    descriptor: &Descriptor,
    subjects: &BTreeSet<Sha256>,
) -> buckle_oci::Result<Option<Attachment>> {
    if let Some(tag) = descriptor.ref_name().filter(|tag| is_cosign_tag(tag, subjects)) {
        return Ok(Some(Attachment {
            digest: descriptor.digest,
            artifact_type: descriptor.artifact_type.clone(),
            blob_media_types: Vec::new(),
            annotations: descriptor.annotations.clone(),
            tag: Some(tag.to_owned()),
        }));
    }
    if media_type::is_manifest(&descriptor.media_type) {
        let manifest = layout.read_manifest(descriptor)?;
        if !manifest
            .subject
            .as_ref()
            .is_some_and(|s| subjects.contains(&s.digest))
        {
            return Ok(None);
        }
        let mut annotations = manifest.annotations.clone();
        for blob in &manifest.layers {
            annotations.extend(blob.annotations.clone());
        }
        let artifact_type = manifest
            .artifact_type
            .clone()
            .or_else(|| Some(manifest.config.media_type.clone()));
        return Ok(Some(Attachment {
            digest: descriptor.digest,
            artifact_type,
            blob_media_types: manifest.layers.iter().map(|l| l.media_type.clone()).collect(),
            annotations,
            tag: None,
        }));
    }
    if media_type::is_index(&descriptor.media_type) {
        let index = layout.read_index(descriptor)?;
        if index
            .subject
            .as_ref()
            .is_some_and(|s| subjects.contains(&s.digest))
        {
            return Ok(Some(Attachment {
                digest: descriptor.digest,
                artifact_type: index.artifact_type.clone(),
                blob_media_types: index
                    .manifests
                    .iter()
                    .filter_map(|m| m.artifact_type.clone())
                    .collect(),
                annotations: index.annotations.clone(),
                tag: None,
            }));
        }
    }
    Ok(None)
}

/// cosign's tag scheme: `sha256-<hex of the subject>.<sig|att|sbom>`.
fn is_cosign_tag(tag: &str, subjects: &BTreeSet<Sha256>) -> bool {
    let Some((name, suffix)) = tag.rsplit_once('.') else {
        return false;
    };
    matches!(suffix, "sig" | "att" | "sbom")
        && name
            .strip_prefix("sha256-")
            .is_some_and(|hex| subjects.iter().any(|s| s.hex() == hex))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attachment(artifact_type: Option<&str>, blobs: &[&str], tag: Option<&str>) -> Attachment {
        Attachment {
            digest: Sha256::of(b"x"),
            artifact_type: artifact_type.map(str::to_owned),
            blob_media_types: blobs.iter().map(|b| (*b).to_owned()).collect(),
            annotations: BTreeMap::new(),
            tag: tag.map(str::to_owned),
        }
    }

    #[test]
    fn kinds_come_from_artifact_types_blobs_and_cosign_tags() {
        let spdx = attachment(Some("application/spdx+json"), &[], None);
        assert_eq!(spdx.kinds(), BTreeSet::from([AttachmentKind::Sbom]));
        let signed_provenance = Attachment {
            annotations: BTreeMap::from([(
                "in-toto.io/predicate-type".to_owned(),
                "https://slsa.dev/provenance/v1".to_owned(),
            )]),
            ..attachment(
                Some("application/vnd.in-toto+json"),
                &["application/vnd.dsse.envelope.v1+json"],
                None,
            )
        };
        assert_eq!(
            signed_provenance.kinds(),
            BTreeSet::from([AttachmentKind::Provenance, AttachmentKind::Signature])
        );
        let cosign_sig = attachment(None, &[], Some("sha256-ab.sig"));
        assert_eq!(cosign_sig.kinds(), BTreeSet::from([AttachmentKind::Signature]));
        let unrelated = attachment(Some("application/vnd.example.readme"), &["text/markdown"], None);
        assert!(unrelated.kinds().is_empty());
    }
}
