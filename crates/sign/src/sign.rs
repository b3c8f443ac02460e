//! Image -> signatures and attestations: finds the images of a layout to sign (each
//! platform manifest and the index over them), and signs one: cosign's signature over
//! its digest, and a DSSE envelope per predicate, attached both ways
//! ([`crate::attach`]).

use crate::attach::{self, is_cosign_tag};
use crate::dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE};
use crate::error::{Error, Result};
use crate::key::PrivateKey;
use crate::simple_signing;
use crate::statement::{Statement, Subject};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use buckle_digest::Sha256;
use buckle_oci::layout::{Layout, Selector};
use buckle_oci::{media_type, Descriptor, Platform};
use std::collections::BTreeSet;

/// An image in a layout that can be signed: a platform manifest, or an index of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Its descriptor in `index.json` or in its index.
    pub descriptor: Descriptor,
    /// The tag of its `index.json` entry (for a platform manifest, its index's tag).
    pub ref_name: Option<String>,
    /// The platform of a manifest; `None` for an index.
    pub platform: Option<Platform>,
    /// For an index: the digests of the platform manifests it lists.
    pub children: Vec<Sha256>,
}

impl Target {
    /// Whether this is an index.
    pub fn is_index(&self) -> bool {
        self.platform.is_none()
    }

    /// The selector that opens this platform image with [`buckle_oci::open_image`].
    pub fn selector(&self) -> Selector {
        Selector {
            ref_name: self.ref_name.clone(),
            platform: self.platform.clone(),
        }
    }

    /// `linux/amd64` or `index`, for messages.
    pub fn label(&self) -> String {
        match &self.platform {
            Some(platform) => platform.to_string(),
            None => "index".to_owned(),
        }
    }
}

/// The images of the layout to sign or verify, platform manifests before the index
/// that lists them: every image in `index.json`, or the one tagged `tag`. Attachments
/// (referrers, cosign tags) are not images; an image under several tags is listed once.
pub fn targets(layout: &Layout, tag: Option<&str>) -> Result<Vec<Target>> {
    let read_error = |source| Error::Layout {
        what: format!("read the images of `{}`", layout.root().display()),
        source,
    };
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for entry in &layout.index().manifests {
        let ref_name = entry.ref_name().map(str::to_owned);
        if entry.artifact_type.is_some() || ref_name.as_deref().is_some_and(is_cosign_tag) {
            continue;
        }
        if tag.is_some() && ref_name.as_deref() != tag {
            continue;
        }
        if !seen.insert(entry.digest) {
            continue;
        }
        if media_type::is_index(&entry.media_type) {
            let index = layout.read_index(entry).map_err(read_error)?;
            let mut children = Vec::new();
            for child in &index.manifests {
                if let Some(platform) = image_platform(layout, child).map_err(read_error)? {
                    children.push(child.digest);
                    out.push(Target {
                        descriptor: child.clone(),
                        ref_name: ref_name.clone(),
                        platform: Some(platform),
                        children: Vec::new(),
                    });
                }
            }
            out.push(Target {
                descriptor: entry.clone(),
                ref_name,
                platform: None,
                children,
            });
        } else if let Some(platform) = image_platform(layout, entry).map_err(read_error)? {
            out.push(Target {
                descriptor: entry.clone(),
                ref_name,
                platform: Some(platform),
                children: Vec::new(),
            });
        }
    }
    if out.is_empty() {
        return Err(Error::NoImage {
            path: layout.root().to_owned(),
            tag: tag.map(str::to_owned),
        });
    }
    Ok(out)
}

/// The platform of the image manifest `descriptor` points at; `None` when it is not
/// an image (an artifact, a cosign attachment, another media type).
fn image_platform(layout: &Layout, descriptor: &Descriptor) -> buckle_oci::Result<Option<Platform>> {
    if !media_type::is_manifest(&descriptor.media_type) || descriptor.artifact_type.is_some() {
        return Ok(None);
    }
    let manifest = layout.read_manifest(descriptor)?;
    let image = manifest.artifact_type.is_none()
        && media_type::is_config(&manifest.config.media_type)
        && manifest
            .layers
            .iter()
            .all(|l| media_type::is_layer(&l.media_type));
    if !image {
        return Ok(None);
    }
    if let Some(platform) = &descriptor.platform {
        return Ok(Some(platform.clone()));
    }
    let config = layout.read_config(&manifest.config)?;
    Ok(Some(Platform {
        architecture: config.architecture,
        os: config.os,
        variant: config.variant,
        os_version: None,
    }))
}

/// What signing one image attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// The image's digest.
    pub subject: Sha256,
    /// Size of the signature payload.
    pub signature_payload_size: u64,
    /// Each attestation: predicate type and envelope size.
    pub attestations: Vec<(String, u64)>,
}

/// Signs the image `subject` as `reference` (the repository it is known by: the
/// signature payload's `docker-reference` and the statements' subject name) and
/// attests each `(predicate type, predicate)` about it.
pub fn sign_image(
    layout: &mut Layout,
    subject: &Descriptor,
    reference: &str,
    key: &PrivateKey,
    predicates: Vec<(String, serde_json::Value)>,
) -> Result<Signed> {
    let payload = simple_signing::Payload::new(reference, subject.digest).to_json();
    let signature = BASE64.encode(key.sign(&payload));
    attach::attach_signature(layout, subject, &payload, &signature)?;
    let mut envelopes = Vec::new();
    for (predicate_type, predicate) in predicates {
        let statement = Statement::new(
            vec![Subject::sha256(reference, subject.digest)],
            &predicate_type,
            predicate,
        );
        let bytes = serde_json::to_vec(&statement)
            .map_err(|e| Error::Internal(format!("cannot encode a statement: {e}")))?;
        let envelope = Envelope::sign(IN_TOTO_PAYLOAD_TYPE, &bytes, key);
        envelopes.push((predicate_type, envelope.to_json()));
    }
    let blobs = attach::attach_attestations(layout, subject, &envelopes)?;
    tracing::info!(subject = %subject.digest, attestations = blobs.len(), "signed");
    Ok(Signed {
        subject: subject.digest,
        signature_payload_size: payload.len() as u64,
        attestations: envelopes
            .iter()
            .zip(&blobs)
            .map(|((predicate_type, _), blob)| (predicate_type.clone(), blob.size))
            .collect(),
    })
}
