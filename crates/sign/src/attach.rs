//! Signatures and attestations <-> an OCI layout, in the two places clients look:
//!
//! - cosign's tag scheme: `sha256-<hex>.sig` is an image whose layers are signature
//!   payloads ([`crate::simple_signing::MEDIA_TYPE`]) each annotated with its base64
//!   signature ([`SIGNATURE_ANNOTATION`]); `sha256-<hex>.att` is an image whose layers
//!   are DSSE envelopes ([`ENVELOPE_MEDIA_TYPE`]) annotated with their
//!   [`PREDICATE_TYPE_ANNOTATION`]. The config is the one cosign writes: an OCI config
//!   whose `rootfs.diff_ids` are the layer digests.
//! - OCI 1.1 referrers: artifact manifests whose `subject` is the signed manifest,
//!   with artifact type [`SIGNATURE_ARTIFACT_TYPE`] or [`IN_TOTO_ARTIFACT_TYPE`], the
//!   same blobs as layers, and the predicate type in [`IN_TOTO_PREDICATE_ANNOTATION`].
//!
//! Both places hold the same blobs, so an envelope is stored once.

use crate::dsse::ENVELOPE_MEDIA_TYPE;
use crate::error::{Error, Result};
use crate::simple_signing;
use buckle_digest::Sha256;
use buckle_oci::layout::Layout;
use buckle_oci::{annotation, canonical_json, media_type, Descriptor, ImageManifest};
use std::collections::BTreeSet;

/// Layer annotation with a payload's base64 signature (cosign).
pub const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
/// Layer annotation with an envelope's predicate type (cosign `.att`).
pub const PREDICATE_TYPE_ANNOTATION: &str = "predicateType";
/// Manifest and layer annotation with an envelope's predicate type (referrers).
pub const IN_TOTO_PREDICATE_ANNOTATION: &str = "in-toto.io/predicate-type";
/// Artifact type of a signature referrer (cosign's, for OCI 1.1 referrers).
pub const SIGNATURE_ARTIFACT_TYPE: &str = "application/vnd.dev.cosign.artifact.sig.v1+json";
/// Artifact type of an attestation referrer.
pub const IN_TOTO_ARTIFACT_TYPE: &str = "application/vnd.in-toto+json";

/// cosign's tag suffixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagKind {
    /// `.sig`: signatures.
    Signature,
    /// `.att`: attestations.
    Attestation,
}

/// `sha256-<hex>.sig` or `.att`.
pub fn cosign_tag(digest: &Sha256, kind: TagKind) -> String {
    let suffix = match kind {
        TagKind::Signature => "sig",
        TagKind::Attestation => "att",
    };
    format!("sha256-{}.{suffix}", digest.hex())
}

/// Whether `ref_name` is one of cosign's attachment tags.
pub fn is_cosign_tag(ref_name: &str) -> bool {
    ref_name.strip_prefix("sha256-").is_some_and(|rest| {
        rest.rsplit_once('.')
            .is_some_and(|(hex, suffix)| hex.len() == 64 && matches!(suffix, "sig" | "att" | "sbom"))
    })
}

/// Where an attachment was found.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Place {
    /// Under a cosign tag.
    Tag(String),
    /// As a referrer manifest with this digest.
    Referrer(Sha256),
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Place::Tag(tag) => write!(f, "tag `{tag}`"),
            Place::Referrer(digest) => write!(f, "referrer {}", digest.oci()),
        }
    }
}

/// One blob found attached, with its annotations, or why it could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attached {
    /// Where it was found.
    pub place: Place,
    /// The blob's descriptor in the manifest (annotations included), when the
    /// manifest could be read.
    pub descriptor: Option<Descriptor>,
    /// The blob's bytes (checked against the descriptor), or what went wrong.
    pub content: Result<Vec<u8>, String>,
}

impl Attached {
    /// An annotation of the blob.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.descriptor.as_ref()?.annotations.get(key).map(String::as_str)
    }
}

/// The config of a cosign `.sig` or `.att` image.
fn cosign_config(layers: &[Descriptor]) -> Result<Vec<u8>> {
    let config = serde_json::json!({
        "architecture": "",
        "config": {},
        "created": "0001-01-01T00:00:00Z",
        "history": [{"created": "0001-01-01T00:00:00Z"}],
        "os": "",
        "rootfs": {"type": "layers", "diff_ids": layers.iter().map(|l| l.digest.oci()).collect::<Vec<_>>()},
    });
    canonical_json(&config).map_err(|source| layout_error("encode a cosign config", source))
}

fn layout_error(what: &str, source: buckle_oci::Error) -> Error {
    Error::Layout {
        what: what.to_owned(),
        source,
    }
}

/// The subject descriptor of a referrer: media type, digest and size only.
fn subject_of(descriptor: &Descriptor) -> Descriptor {
    Descriptor::new(descriptor.media_type.clone(), descriptor.digest, descriptor.size)
}

/// Attaches a signature over the payload to `subject`: a layer added to its `.sig`
/// tag (signatures already there are kept) and a signature referrer.
pub fn attach_signature(
    layout: &mut Layout,
    subject: &Descriptor,
    payload: &[u8],
    signature: &str,
) -> Result<()> {
    let blob = layout
        .put_blob(simple_signing::MEDIA_TYPE, payload)
        .map_err(|e| layout_error("store a signature payload", e))?
        .with_annotation(SIGNATURE_ANNOTATION, signature);
    let tag = cosign_tag(&subject.digest, TagKind::Signature);
    let mut layers = existing_layers(layout, &tag)?;
    layers.retain(|layer| layer != &blob);
    layers.push(blob.clone());
    replace_tag(layout, &tag, layers)?;
    let referrer = ImageManifest::artifact(SIGNATURE_ARTIFACT_TYPE, vec![blob], subject_of(subject));
    add_once(layout, &referrer, &[])
}

/// Attaches DSSE envelopes (predicate type, envelope JSON) to `subject`: as layers of
/// its `.att` tag, replacing envelopes of the same predicate types, and as one referrer
/// each, replacing referrers of the same predicate types. Returns each envelope's
/// descriptor.
pub fn attach_attestations(
    layout: &mut Layout,
    subject: &Descriptor,
    envelopes: &[(String, Vec<u8>)],
) -> Result<Vec<Descriptor>> {
    if envelopes.is_empty() {
        return Ok(Vec::new());
    }
    let replaced: BTreeSet<&str> = envelopes.iter().map(|(t, _)| t.as_str()).collect();
    let mut blobs = Vec::new();
    for (predicate_type, envelope) in envelopes {
        let blob = layout
            .put_blob(ENVELOPE_MEDIA_TYPE, envelope)
            .map_err(|e| layout_error("store an attestation", e))?;
        blobs.push((predicate_type, blob));
    }
    let tag = cosign_tag(&subject.digest, TagKind::Attestation);
    let mut layers = existing_layers(layout, &tag)?;
    layers.retain(|layer| {
        !layer
            .annotations
            .get(PREDICATE_TYPE_ANNOTATION)
            .is_some_and(|t| replaced.contains(t.as_str()))
    });
    layers.extend(blobs.iter().map(|(predicate_type, blob)| {
        blob.clone()
            .with_annotation(SIGNATURE_ANNOTATION, "")
            .with_annotation(PREDICATE_TYPE_ANNOTATION, predicate_type.as_str())
    }));
    replace_tag(layout, &tag, layers)?;

    let stale = referrers(layout, &subject.digest, IN_TOTO_ARTIFACT_TYPE)
        .into_iter()
        .filter(|(descriptor, _)| {
            descriptor
                .annotations
                .get(IN_TOTO_PREDICATE_ANNOTATION)
                .is_some_and(|t| replaced.contains(t.as_str()))
        })
        .map(|(descriptor, _)| descriptor.digest)
        .collect::<BTreeSet<_>>();
    layout
        .retain_manifests(|d| !stale.contains(&d.digest))
        .map_err(|e| layout_error("drop replaced attestations", e))?;
    let mut out = Vec::new();
    for (predicate_type, blob) in blobs {
        let layer = blob
            .clone()
            .with_annotation(IN_TOTO_PREDICATE_ANNOTATION, predicate_type.as_str());
        let mut referrer = ImageManifest::artifact(IN_TOTO_ARTIFACT_TYPE, vec![layer], subject_of(subject));
        referrer
            .annotations
            .insert(IN_TOTO_PREDICATE_ANNOTATION.to_owned(), predicate_type.clone());
        add_once(
            layout,
            &referrer,
            &[(IN_TOTO_PREDICATE_ANNOTATION, predicate_type.as_str())],
        )?;
        out.push(blob);
    }
    Ok(out)
}

/// The layers of the image under `tag`, if there is one.
fn existing_layers(layout: &Layout, tag: &str) -> Result<Vec<Descriptor>> {
    let Some(entry) = layout
        .index()
        .manifests
        .iter()
        .find(|d| d.ref_name() == Some(tag))
    else {
        return Ok(Vec::new());
    };
    let manifest = layout
        .read_manifest(entry)
        .map_err(|e| layout_error(&format!("read the manifest tagged `{tag}`"), e))?;
    Ok(manifest.layers)
}

/// Points `tag` at a cosign image of `layers` (added first, then the old entry
/// dropped, so the tag is never missing).
fn replace_tag(layout: &mut Layout, tag: &str, layers: Vec<Descriptor>) -> Result<()> {
    let config = cosign_config(&layers)?;
    let config = layout
        .put_blob(media_type::OCI_CONFIG, &config)
        .map_err(|e| layout_error("store a cosign config", e))?;
    let manifest = ImageManifest::new(config, layers);
    let (descriptor, _) = manifest
        .descriptor()
        .map_err(|e| layout_error("encode a cosign manifest", e))?;
    let listed = layout
        .index()
        .manifests
        .iter()
        .any(|d| d.ref_name() == Some(tag) && d.digest == descriptor.digest);
    if !listed {
        layout
            .add_manifest(&manifest, &[(annotation::REF_NAME, tag)])
            .map_err(|e| layout_error(&format!("tag `{tag}`"), e))?;
    }
    layout
        .retain_manifests(|d| d.ref_name() != Some(tag) || d.digest == descriptor.digest)
        .map_err(|e| layout_error(&format!("tag `{tag}`"), e))
}

/// Adds `manifest` to the layout's index unless it is already listed.
fn add_once(layout: &mut Layout, manifest: &ImageManifest, annotations: &[(&str, &str)]) -> Result<()> {
    let (descriptor, _) = manifest
        .descriptor()
        .map_err(|e| layout_error("encode a referrer", e))?;
    if layout
        .index()
        .manifests
        .iter()
        .any(|d| d.digest == descriptor.digest)
    {
        return Ok(());
    }
    layout
        .add_manifest(manifest, annotations)
        .map_err(|e| layout_error("add a referrer", e))?;
    Ok(())
}

/// The referrers of `subject` with `artifact_type` the layout lists: their index
/// entry and manifest. Entries that cannot be read are left out here; [`signatures`]
/// and [`attestations`] report them.
fn referrers(layout: &Layout, subject: &Sha256, artifact_type: &str) -> Vec<(Descriptor, ImageManifest)> {
    let mut out = Vec::new();
    for entry in &layout.index().manifests {
        if entry.artifact_type.as_deref() != Some(artifact_type) {
            continue;
        }
        if let Ok(manifest) = layout.read_manifest(entry) {
            if manifest.subject.as_ref().is_some_and(|s| s.digest == *subject) {
                out.push((entry.clone(), manifest));
            }
        }
    }
    out
}

/// The signature payloads attached to `subject`, from its `.sig` tag and signature
/// referrers.
pub fn signatures(layout: &Layout, subject: &Sha256) -> Vec<Attached> {
    attached(
        layout,
        subject,
        TagKind::Signature,
        SIGNATURE_ARTIFACT_TYPE,
        simple_signing::MEDIA_TYPE,
    )
}

/// The DSSE envelopes attached to `subject`, from its `.att` tag and in-toto
/// referrers; a blob found in both places is listed once (under the tag).
pub fn attestations(layout: &Layout, subject: &Sha256) -> Vec<Attached> {
    attached(
        layout,
        subject,
        TagKind::Attestation,
        IN_TOTO_ARTIFACT_TYPE,
        ENVELOPE_MEDIA_TYPE,
    )
}

fn attached(
    layout: &Layout,
    subject: &Sha256,
    kind: TagKind,
    artifact_type: &str,
    blob_type: &str,
) -> Vec<Attached> {
    let tag = cosign_tag(subject, kind);
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for entry in &layout.index().manifests {
        let place = if entry.ref_name() == Some(tag.as_str()) {
            Place::Tag(tag.clone())
        } else if entry.artifact_type.as_deref() == Some(artifact_type) {
            Place::Referrer(entry.digest)
        } else {
            continue;
        };
        let manifest = match layout.read_manifest(entry) {
            Ok(manifest) => manifest,
            Err(e) => {
                out.push(Attached {
                    place,
                    descriptor: None,
                    content: Err(format!("cannot read its manifest: {e}")),
                });
                continue;
            }
        };
        if let Place::Referrer(_) = place {
            if manifest.subject.as_ref().is_none_or(|s| s.digest != *subject) {
                continue;
            }
        }
        for layer in manifest.layers.iter().filter(|l| l.media_type == blob_type) {
            let signature = match kind {
                TagKind::Signature => layer.annotations.get(SIGNATURE_ANNOTATION).cloned(),
                TagKind::Attestation => None,
            };
            if !seen.insert((layer.digest, signature)) {
                continue;
            }
            out.push(Attached {
                place: place.clone(),
                descriptor: Some(layer.clone()),
                content: layout.read_blob(layer).map_err(|e| e.to_string()),
            });
        }
    }
    out
}

/// The document of an SBOM referrer of `subject` with artifact type `media_type` (as
/// `buckle build` attaches them), if there is one, or why it could not be read.
pub fn sbom_document(layout: &Layout, subject: &Sha256, media_type: &str) -> Option<Result<Vec<u8>, String>> {
    let (entry, manifest) = referrers(layout, subject, media_type).into_iter().next()?;
    let [blob] = manifest.layers.as_slice() else {
        return Some(Err(format!(
            "the SBOM referrer {} has {} blobs, expected one",
            entry.digest.oci(),
            manifest.layers.len()
        )));
    };
    Some(layout.read_blob(blob).map_err(|e| e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosign_tags_are_recognised_by_shape() {
        let digest = Sha256::of(b"m");
        assert_eq!(
            cosign_tag(&digest, TagKind::Attestation),
            format!("sha256-{}.att", digest.hex())
        );
        assert!(is_cosign_tag(&cosign_tag(&digest, TagKind::Signature)));
        assert!(!is_cosign_tag("latest"));
        assert!(!is_cosign_tag("sha256-abc.sig"));
    }
}
