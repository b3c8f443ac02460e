//! What is attached to each image of a layout (signatures, attestations, SBOMs), as
//! found: nothing is verified here.

use buckle_oci::layout::Layout;
use buckle_sbom::Format;
use buckle_sign::attach::{self, Attached, PREDICATE_TYPE_ANNOTATION};
use buckle_sign::sign::{targets, Target};
use serde::Serialize;

/// One image of the layout (a platform manifest or an index) and what is attached to it.
#[derive(Debug, Serialize)]
pub struct ImageAttachments {
    /// `linux/amd64`, or `index`.
    pub image: String,
    pub digest: String,
    pub attached: Vec<Item>,
    #[serde(skip)]
    pub target: Target,
    /// The SBOM documents and attestation envelopes, for whoever wants the bytes.
    #[serde(skip)]
    pub documents: Vec<(Kind, Vec<u8>)>,
}

/// What an attached document is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Sbom(Format),
    /// An in-toto statement in a DSSE envelope, with its predicate type.
    Attestation(String),
}

/// One thing attached.
#[derive(Debug, Serialize)]
pub struct Item {
    /// `signature`, `attestation` or `sbom`.
    pub kind: &'static str,
    /// The predicate type, or the SBOM's media type.
    #[serde(rename = "type")]
    pub kind_type: String,
    pub size: Option<usize>,
    /// Where it was found: `tag `sha256-….sig``, `referrer sha256:…`.
    #[serde(rename = "where")]
    pub place: String,
    pub digest: Option<String>,
    pub error: Option<String>,
}

/// Everything attached to the images of `layout` (those tagged `tag` when given).
pub fn list(layout: &Layout, tag: Option<&str>) -> anyhow::Result<Vec<ImageAttachments>> {
    let mut images = Vec::new();
    for target in targets(layout, tag)? {
        let digest = target.descriptor.digest;
        let mut attached = Vec::new();
        let mut documents = Vec::new();
        for found in attach::signatures(layout, &digest) {
            attached.push(item("signature", "cosign simple signing".to_owned(), &found));
        }
        for found in attach::attestations(layout, &digest) {
            let kind_type = predicate_type(&found).to_owned();
            if let Ok(bytes) = &found.content {
                documents.push((Kind::Attestation(kind_type.clone()), bytes.clone()));
            }
            attached.push(item("attestation", kind_type, &found));
        }
        for format in Format::ALL {
            if let Some(document) = attach::sbom_document(layout, &digest, format.media_type()) {
                attached.push(Item {
                    kind: "sbom",
                    kind_type: format.media_type().to_owned(),
                    size: document.as_ref().map(Vec::len).ok(),
                    place: "referrer".to_owned(),
                    digest: None,
                    error: document.as_ref().err().cloned(),
                });
                if let Ok(bytes) = document {
                    documents.push((Kind::Sbom(format), bytes));
                }
            }
        }
        images.push(ImageAttachments {
            image: target.label(),
            digest: digest.oci(),
            attached,
            target,
            documents,
        });
    }
    Ok(images)
}

/// The predicate type an attestation is annotated with.
pub fn predicate_type(attached: &Attached) -> &str {
    attached
        .annotation(PREDICATE_TYPE_ANNOTATION)
        .or_else(|| attached.annotation(attach::IN_TOTO_PREDICATE_ANNOTATION))
        .unwrap_or("(unknown)")
}

fn item(kind: &'static str, kind_type: String, attached: &Attached) -> Item {
    Item {
        kind,
        kind_type,
        size: attached.content.as_ref().map(Vec::len).ok(),
        place: attached.place.to_string(),
        digest: attached.descriptor.as_ref().map(|d| d.digest.oci()),
        error: attached.content.as_ref().err().cloned(),
    }
}
