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
/// that lists them: every image in `index.json`, or those tagged `tag`. Attachments
/// (referrers, cosign tags) are not images; an image under several tags is listed once.
pub fn targets(layout: &Layout, tag: Option<&str>) -> Result<Vec<Target>> {
    let read_error = |source| Error::Layout {
        what: format!("read the images of `{}`", layout.root().display()),
        source,
    };
    let wanted = |ref_name: Option<&str>| tag.is_none() || ref_name == tag;
    let mut seen = BTreeSet::new();
    let mut out: Vec<Target> = layout
        .images()
        .map_err(read_error)?
        .into_iter()
        .filter(|image| {
            let ref_name = image.ref_name.as_deref();
            !ref_name.is_some_and(is_cosign_tag) && wanted(ref_name) && seen.insert(image.descriptor.digest)
        })
        .map(|image| Target {
            descriptor: image.descriptor,
            ref_name: image.ref_name,
            platform: Some(image.platform),
            children: Vec::new(),
        })
        .collect();
    for entry in &layout.index().manifests {
        let ref_name = entry.ref_name();
        let is_image_index = media_type::is_index(&entry.media_type)
            && entry.artifact_type.is_none()
            && !ref_name.is_some_and(is_cosign_tag);
        if !is_image_index || !wanted(ref_name) || !seen.insert(entry.digest) {
            continue;
        }
        let listed: BTreeSet<Sha256> = layout
            .read_index(entry)
            .map_err(read_error)?
            .manifests
            .iter()
            .map(|d| d.digest)
            .collect();
        out.push(Target {
            descriptor: entry.clone(),
            ref_name: ref_name.map(str::to_owned),
            platform: None,
            children: out
                .iter()
                .filter(|t| listed.contains(&t.descriptor.digest))
                .map(|t| t.descriptor.digest)
                .collect(),
        });
    }
    if out.is_empty() {
        return Err(Error::NoImage {
            path: layout.root().to_owned(),
            tag: tag.map(str::to_owned),
        });
    }
    Ok(out)
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
    let attestations = attest_image(layout, subject, reference, key, predicates)?;
    tracing::info!(subject = %subject.digest, attestations = attestations.len(), "signed");
    Ok(Signed {
        subject: subject.digest,
        signature_payload_size: payload.len() as u64,
        attestations,
    })
}

/// Attests each `(predicate type, predicate)` about the image `subject`, known as
/// `reference`, without signing the image itself: a DSSE envelope per statement,
/// attached both ways, replacing attestations of the same types. Returns each
/// predicate type with its envelope's size.
pub fn attest_image(
    layout: &mut Layout,
    subject: &Descriptor,
    reference: &str,
    key: &PrivateKey,
    predicates: Vec<(String, serde_json::Value)>,
) -> Result<Vec<(String, u64)>> {
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
    Ok(envelopes
        .iter()
        .zip(&blobs)
        .map(|((predicate_type, _), blob)| (predicate_type.clone(), blob.size))
        .collect())
}
