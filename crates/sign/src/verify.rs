//! Layout + public key + policy -> a verification report: for each image (platform
//! manifests and the index over them) every check, passed or failed, with what was
//! wrong. The checks:
//!
//! - **content**: the manifest, config and every layer read back and match their
//!   digests (a changed byte anywhere fails here), and the dpkg metadata is readable;
//! - **signature**: a cosign signature whose payload names this digest verifies with
//!   the key (a platform manifest is also covered by a verified signature on its index);
//! - **attestation** (each one found): the DSSE signature verifies with the key, the
//!   statement is about this digest, its predicate type is the one annotated; a SLSA
//!   provenance names exactly the image's packages among its `.deb` dependencies (and
//!   the policy's builder id); an SPDX or CycloneDX predicate lists exactly the image's
//!   packages;
//! - **SBOM referrer** (unsigned SBOM artifacts, as `buckle build` attaches them): the
//!   document lists exactly the image's packages;
//! - **policy**: every required predicate type has a verified attestation.

use crate::attach::{self, Attached, PREDICATE_TYPE_ANNOTATION, SIGNATURE_ANNOTATION};
use crate::dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE};
use crate::error::Result;
use crate::key::PublicKey;
use crate::package_set::{compare, PackageId, PackageSet};
use crate::policy::Policy;
use crate::provenance::Provenance;
use crate::sbom_predicate;
use crate::sign::{targets, Target};
use crate::simple_signing;
use crate::statement::{predicate_type, Statement, STATEMENT_TYPE, STATEMENT_TYPE_V01};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use buckle_digest::Sha256;
use buckle_oci::layout::Layout;
use buckle_sbom::dpkg::{self, needs_content, Detail};
use buckle_sbom::Format;
use serde::Serialize;
use std::collections::BTreeMap;

/// The outcome for every image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// One entry per image, platform manifests before their index.
    pub images: Vec<ImageReport>,
}

/// The checks of one image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageReport {
    /// Its digest.
    #[serde(serialize_with = "oci_digest")]
    pub digest: Sha256,
    /// `linux/amd64`, or `index`.
    pub image: String,
    /// The checks, in order.
    pub checks: Vec<Check>,
}

/// One check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// What was checked (`signature`, `attestation https://slsa.dev/provenance/v1`).
    pub name: String,
    /// Whether it passed.
    pub passed: bool,
    /// What was found, or what was wrong.
    pub detail: String,
}

fn oci_digest<S: serde::Serializer>(digest: &Sha256, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&digest.oci())
}

impl Check {
    fn new(name: impl Into<String>, outcome: std::result::Result<String, String>) -> Check {
        let (passed, detail) = match outcome {
            Ok(detail) => (true, detail),
            Err(detail) => (false, detail),
        };
        Check {
            name: name.into(),
            passed,
            detail,
        }
    }
}

impl Report {
    /// Whether every check passed.
    pub fn passed(&self) -> bool {
        self.images
            .iter()
            .all(|image| image.checks.iter().all(|c| c.passed))
    }

    /// The failed checks, with the image each is about.
    pub fn failures(&self) -> Vec<(&ImageReport, &Check)> {
        self.images
            .iter()
            .flat_map(|image| image.checks.iter().filter(|c| !c.passed).map(move |c| (image, c)))
            .collect()
    }
}

/// Verifies every image of the layout (or the one tagged `tag`) with `key` under
/// `policy`. Fails only when the layout cannot be read at all; everything about the
/// images themselves is in the report.
pub fn verify(layout: &Layout, key: &PublicKey, policy: &Policy, tag: Option<&str>) -> Result<Report> {
    let targets = targets(layout, tag)?;
    let signatures: BTreeMap<Sha256, SignatureOutcome> = targets
        .iter()
        .map(|t| {
            (
                t.descriptor.digest,
                check_signature(layout, key, &t.descriptor.digest),
            )
        })
        .collect();
    let mut contents: BTreeMap<Sha256, std::result::Result<PackageSet, String>> = BTreeMap::new();
    for target in targets.iter().filter(|t| !t.is_index()) {
        contents.insert(target.descriptor.digest, read_packages(layout, target));
    }
    for index in targets.iter().filter(|t| t.is_index()) {
        let union = union_of_children(index, &contents);
        contents.insert(index.descriptor.digest, union);
    }
    let mut images = Vec::new();
    for target in &targets {
        let digest = target.descriptor.digest;
        let packages = &contents[&digest];
        let mut checks = vec![Check::new(
            "content",
            packages
                .as_ref()
                .map(|p| format!("every blob matches its digest; {} packages", p.len()))
                .map_err(Clone::clone),
        )];
        checks.push(signature_check(target, &targets, &signatures));
        let attestations = attestation_checks(layout, key, policy, &digest, packages.as_ref().ok());
        checks.extend(sbom_referrer_checks(layout, &digest, packages.as_ref().ok()));
        if !target.is_index() {
            for required in &policy.require {
                let found = attestations
                    .iter()
                    .any(|(t, c)| c.passed && t.as_deref() == Some(required.as_str()));
                checks.push(Check::new(
                    format!("policy requires {required}"),
                    if found {
                        Ok("a verified attestation of this type is attached".to_owned())
                    } else {
                        Err("no verified attestation of this type is attached".to_owned())
                    },
                ));
            }
        }
        checks.extend(attestations.into_iter().map(|(_, check)| check));
        images.push(ImageReport {
            digest,
            image: target.label(),
            checks,
        });
    }
    let report = Report { images };
    tracing::info!(images = report.images.len(), passed = report.passed(), "verified");
    Ok(report)
}

/// The packages of a platform image, reading (and so checking) every blob.
fn read_packages(layout: &Layout, target: &Target) -> std::result::Result<PackageSet, String> {
    let image = buckle_oci::open_image(layout.root(), &target.selector()).map_err(|e| error_chain(&e))?;
    if image.manifest_digest() != target.descriptor.digest {
        return Err(format!(
            "the layout's {} image is {}, expected {}",
            target.label(),
            image.manifest_digest().oci(),
            target.descriptor.digest.oci()
        ));
    }
    for (index, layer) in image.layers().iter().enumerate() {
        let blob = layout.open_blob(&layer.descriptor).map_err(|e| error_chain(&e))?;
        std::io::copy(&mut std::io::BufReader::new(blob), &mut std::io::sink()).map_err(|e| {
            format!(
                "layer {index} ({}): {}",
                layer.descriptor.digest.oci(),
                error_chain(&e)
            )
        })?;
    }
    let files = image
        .merged_files(|entry| needs_content(entry.path.as_str(), Detail::Packages))
        .map_err(|e| error_chain(&e))?;
    let found = dpkg::collect(&files, Detail::Packages).map_err(|e| error_chain(&e))?;
    Ok(found.packages.iter().map(PackageId::from).collect())
}

fn union_of_children(
    index: &Target,
    contents: &BTreeMap<Sha256, std::result::Result<PackageSet, String>>,
) -> std::result::Result<PackageSet, String> {
    let mut union = PackageSet::new();
    for child in &index.children {
        match contents.get(child) {
            Some(Ok(packages)) => union.extend(packages.iter().cloned()),
            Some(Err(_)) => return Err(format!("the platform image {} did not verify", child.oci())),
            None => return Err(format!("the platform image {} was not read", child.oci())),
        }
    }
    Ok(union)
}

/// An error and its causes on one line.
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

enum SignatureOutcome {
    Verified(String),
    Missing,
    Failed(Vec<String>),
}

fn check_signature(layout: &Layout, key: &PublicKey, digest: &Sha256) -> SignatureOutcome {
    let found = attach::signatures(layout, digest);
    if found.is_empty() {
        return SignatureOutcome::Missing;
    }
    let mut reasons = Vec::new();
    for attached in &found {
        match verify_signature(attached, key, digest) {
            Ok(()) => {
                return SignatureOutcome::Verified(format!("verified with the key ({})", attached.place))
            }
            Err(reason) => reasons.push(format!("{}: {reason}", attached.place)),
        }
    }
    SignatureOutcome::Failed(reasons)
}

fn verify_signature(
    attached: &Attached,
    key: &PublicKey,
    digest: &Sha256,
) -> std::result::Result<(), String> {
    let payload = attached.content.as_ref().map_err(Clone::clone)?;
    let signature = attached
        .annotation(SIGNATURE_ANNOTATION)
        .ok_or("the payload has no signature annotation")?;
    let signature = BASE64
        .decode(signature)
        .map_err(|_| "the signature annotation is not base64")?;
    key.verify(payload, &signature).map_err(|e| e.to_string())?;
    let payload = simple_signing::Payload::from_json(payload)?;
    match payload.digest() {
        Some(signed) if signed == *digest => Ok(()),
        _ => Err(format!(
            "the signature is for {}, not this image",
            payload.critical.image.docker_manifest_digest
        )),
    }
}

fn signature_check(
    target: &Target,
    targets: &[Target],
    outcomes: &BTreeMap<Sha256, SignatureOutcome>,
) -> Check {
    let digest = target.descriptor.digest;
    let covering_index = targets.iter().find(|index| {
        index.children.contains(&digest)
            && matches!(
                outcomes.get(&index.descriptor.digest),
                Some(SignatureOutcome::Verified(_))
            )
    });
    let outcome = match (&outcomes[&digest], covering_index) {
        (SignatureOutcome::Verified(detail), _) => Ok(detail.clone()),
        (SignatureOutcome::Missing, Some(index)) => Ok(format!(
            "covered by the verified signature of the index {}",
            index.descriptor.digest.oci()
        )),
        (SignatureOutcome::Missing, None) => Err(format!(
            "no signature attached (looked for tag `{}` and signature referrers)",
            attach::cosign_tag(&digest, attach::TagKind::Signature)
        )),
        (SignatureOutcome::Failed(reasons), _) => Err(format!(
            "no signature verifies with the key: {}",
            reasons.join("; ")
        )),
    };
    Check::new("signature", outcome)
}

/// One check per attestation found, with the predicate type it claims.
fn attestation_checks(
    layout: &Layout,
    key: &PublicKey,
    policy: &Policy,
    digest: &Sha256,
    packages: Option<&PackageSet>,
) -> Vec<(Option<String>, Check)> {
    attach::attestations(layout, digest)
        .iter()
        .map(|attached| {
            let annotated = attached
                .annotation(PREDICATE_TYPE_ANNOTATION)
                .or_else(|| attached.annotation(attach::IN_TOTO_PREDICATE_ANNOTATION))
                .map(str::to_owned);
            let outcome = verify_attestation(attached, key, policy, digest, annotated.as_deref(), packages);
            let (predicate_type, outcome) = match outcome {
                Ok((predicate_type, detail)) => (Some(predicate_type), Ok(detail)),
                Err(reason) => (annotated, Err(format!("{}: {reason}", attached.place))),
            };
            let name = format!(
                "attestation {}",
                predicate_type.as_deref().unwrap_or("(unknown type)")
            );
            (predicate_type, Check::new(name, outcome))
        })
        .collect()
}

/// Verifies one envelope; returns its predicate type and what was checked.
fn verify_attestation(
    attached: &Attached,
    key: &PublicKey,
    policy: &Policy,
    digest: &Sha256,
    annotated: Option<&str>,
    packages: Option<&PackageSet>,
) -> std::result::Result<(String, String), String> {
    let bytes = attached.content.as_ref().map_err(Clone::clone)?;
    let envelope = Envelope::from_json(bytes).map_err(|e| e.to_string())?;
    let payload = envelope.verify(key).map_err(|e| e.to_string())?;
    if envelope.payload_type != IN_TOTO_PAYLOAD_TYPE {
        return Err(format!(
            "the payload type is `{}`, expected `{IN_TOTO_PAYLOAD_TYPE}`",
            envelope.payload_type
        ));
    }
    let statement: Statement = serde_json::from_slice(&payload)
        .map_err(|e| format!("the payload is not an in-toto statement: {e}"))?;
    if statement.statement_type != STATEMENT_TYPE && statement.statement_type != STATEMENT_TYPE_V01 {
        return Err(format!(
            "the statement type is `{}`, expected `{STATEMENT_TYPE}`",
            statement.statement_type
        ));
    }
    if !statement.is_about(digest) {
        return Err(format!(
            "the statement is about {}, not this image {}",
            statement.subject_digests().join(", "),
            digest.oci()
        ));
    }
    if let Some(annotated) = annotated.filter(|a| *a != statement.predicate_type) {
        return Err(format!(
            "annotated as `{annotated}` but the statement's predicate type is `{}`",
            statement.predicate_type
        ));
    }
    let detail = check_predicate(&statement, policy, packages)?;
    Ok((
        statement.predicate_type.clone(),
        format!("signed by the key, about this image; {detail}"),
    ))
}

fn check_predicate(
    statement: &Statement,
    policy: &Policy,
    packages: Option<&PackageSet>,
) -> std::result::Result<String, String> {
    let claimed = if statement.predicate_type == predicate_type::SLSA_PROVENANCE_V1 {
        let provenance: Provenance = serde_json::from_value(statement.predicate.clone())
            .map_err(|e| format!("the predicate is not SLSA provenance v1: {e}"))?;
        let builder = &provenance.run_details.builder.id;
        if let Some(wanted) = policy.builder_id.as_ref().filter(|w| *w != builder) {
            return Err(format!(
                "the builder is `{builder}`, the policy requires `{wanted}`"
            ));
        }
        let compared = matches_image(
            "the provenance's .deb dependencies",
            &provenance.debian_packages()?,
            packages,
        )?;
        return Ok(match provenance.offline_note() {
            Some(note) => format!("{compared}; {note}"),
            None => compared,
        });
    } else if let Some(format) = sbom_predicate::format_of(&statement.predicate_type) {
        (
            "the SBOM",
            sbom_predicate::packages(format, &statement.predicate)?,
        )
    } else {
        return Ok("predicate not interpreted".to_owned());
    };
    matches_image(claimed.0, &claimed.1, packages)
}

fn matches_image(
    what: &str,
    claimed: &PackageSet,
    packages: Option<&PackageSet>,
) -> std::result::Result<String, String> {
    let Some(actual) = packages else {
        return Ok(format!("{what} not compared: the image's content did not verify"));
    };
    match compare(what, claimed, actual) {
        None => Ok(format!("{what}: exactly the image's {} packages", actual.len())),
        Some(difference) => Err(difference),
    }
}

/// Unsigned SBOM referrers (SPDX, CycloneDX) compared with the image.
fn sbom_referrer_checks(layout: &Layout, digest: &Sha256, packages: Option<&PackageSet>) -> Vec<Check> {
    let mut checks = Vec::new();
    for format in Format::ALL {
        let Some(document) = attach::sbom_document(layout, digest, format.media_type()) else {
            continue;
        };
        let outcome = document
            .and_then(|document| {
                serde_json::from_slice(&document).map_err(|e| format!("the document is not JSON: {e}"))
            })
            .map_err(|e| format!("the document is not JSON: {e}"))
            .and_then(|json| sbom_predicate::packages(format, &json))
            .and_then(|claimed| matches_image("the SBOM", &claimed, packages));
        checks.push(Check::new(
            format!("SBOM referrer {}", format.media_type()),
            outcome,
        ));
    }
    checks
}
