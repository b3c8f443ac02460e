//! Signing a two-platform layout and verifying it; every tampering the verifier must
//! catch, each named in the report.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions: a panic is the failure report

mod common;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use buckle_oci::layout::Layout;
use buckle_oci::{annotation, ImageManifest};
use buckle_sign::attach::{self, cosign_tag, TagKind};
use buckle_sign::dsse::Envelope;
use buckle_sign::policy::Policy;
use buckle_sign::sign::targets;
use buckle_sign::statement::predicate_type;
use buckle_sign::verify::{verify, Report};
use common::*;
use std::path::Path;

fn signed_image() -> (tempfile::TempDir, buckle_sign::key::PrivateKey) {
    let dir = tempfile::tempdir().unwrap();
    write_image(&dir.path().join("img"));
    let key = key();
    sign_layout(&dir.path().join("img"), &key, &lock());
    (dir, key)
}

fn verify_path(path: &Path, key: &buckle_sign::key::PrivateKey, policy: &Policy) -> Report {
    verify(&Layout::open(path).unwrap(), &key.public_key(), policy, None).unwrap()
}

/// "image: check: detail" for every failed check.
fn failures(report: &Report) -> Vec<String> {
    report
        .failures()
        .iter()
        .map(|(image, check)| format!("{}: {}: {}", image.image, check.name, check.detail))
        .collect()
}

fn platform_digest(layout: &Layout, arch: &str) -> buckle_digest::Sha256 {
    targets(layout, None)
        .unwrap()
        .into_iter()
        .find(|t| t.platform.as_ref().is_some_and(|p| p.architecture == arch))
        .unwrap()
        .descriptor
        .digest
}

#[test]
fn signed_layout_verifies_every_image_with_every_attestation() {
    let (dir, key) = signed_image();
    let path = dir.path().join("img");
    let policy = Policy {
        require: vec![
            predicate_type::SLSA_PROVENANCE_V1.into(),
            predicate_type::SPDX.into(),
            predicate_type::CYCLONEDX.into(),
        ],
        builder_id: Some(buckle_sign::provenance::DEFAULT_BUILDER_ID.into()),
    };
    let report = verify_path(&path, &key, &policy);
    assert!(report.passed(), "{:#?}", failures(&report));
    let labels: Vec<&str> = report.images.iter().map(|i| i.image.as_str()).collect();
    assert_eq!(labels, ["linux/amd64", "linux/arm64", "index"]);
    let amd64: Vec<&str> = report.images[0].checks.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        amd64,
        [
            "content",
            "signature",
            "policy requires https://slsa.dev/provenance/v1",
            "policy requires https://spdx.dev/Document",
            "policy requires https://cyclonedx.org/bom",
            "attestation https://slsa.dev/provenance/v1",
            "attestation https://spdx.dev/Document",
            "attestation https://cyclonedx.org/bom",
        ],
        "each attestation is checked once though it is attached both ways"
    );
    let provenance = &report.images[0].checks[5].detail;
    assert!(
        provenance.contains("exactly the image's 2 packages"),
        "{provenance}"
    );
    assert!(report.images[2].checks[2].detail.contains("3 packages"));

    // Both attachment places are there: cosign tags and referrers.
    let layout = Layout::open(&path).unwrap();
    let digest = platform_digest(&layout, "amd64");
    assert_eq!(
        tagged(&layout, &cosign_tag(&digest, TagKind::Attestation))
            .digest
            .oci()
            .len(),
        71
    );
    tagged(&layout, &cosign_tag(&digest, TagKind::Signature));
    let referrers = layout
        .index()
        .manifests
        .iter()
        .filter(|d| d.artifact_type.is_some())
        .count();
    assert_eq!(referrers, 3 + 7, "3 signature and 7 attestation referrers");
}

#[test]
fn signing_again_replaces_attestations_and_keeps_one_signature_per_key() {
    let (dir, key) = signed_image();
    let path = dir.path().join("img");
    let before = Layout::open(&path).unwrap().index().manifests.len();
    sign_layout(&path, &key, &lock());
    let layout = Layout::open(&path).unwrap();
    assert_eq!(
        layout.index().manifests.len(),
        before,
        "same key, same content: nothing new"
    );
    let other = common::key();
    sign_layout(&path, &other, &lock());
    let layout = Layout::open(&path).unwrap();
    let digest = platform_digest(&layout, "amd64");
    assert_eq!(
        attach::signatures(&layout, &digest).len(),
        2,
        "signatures accumulate"
    );
    assert_eq!(
        attach::attestations(&layout, &digest).len(),
        3,
        "attestations are replaced"
    );
    assert!(verify_path(&path, &other, &Policy::default()).passed());
}

#[test]
fn a_changed_layer_byte_fails_content_naming_the_digests() {
    let (dir, key) = signed_image();
    let path = dir.path().join("img");
    let layout = Layout::open(&path).unwrap();
    let digest = platform_digest(&layout, "arm64");
    let manifest = layout
        .read_manifest(&targets(&layout, None).unwrap()[1].descriptor)
        .unwrap();
    let blob = layout.blob_path(&manifest.layers[0].digest);
    flip_last_byte(&blob);
    let report = verify_path(&path, &key, &Policy::default());
    let failed = failures(&report);
    assert!(
        failed
            .iter()
            .any(|f| f.starts_with("linux/arm64: content: ") && f.contains(&manifest.layers[0].digest.hex())),
        "{failed:#?}"
    );
    assert!(failed
        .iter()
        .any(|f| f.starts_with("index: content: the platform image") && f.contains(&digest.oci())));
    assert!(
        !failed.iter().any(|f| f.starts_with("linux/amd64")),
        "{failed:#?}"
    );
}

#[test]
fn a_changed_config_byte_fails_content() {
    let (dir, key) = signed_image();
    let path = dir.path().join("img");
    let layout = Layout::open(&path).unwrap();
    let manifest = layout
        .read_manifest(&targets(&layout, None).unwrap()[0].descriptor)
        .unwrap();
    flip_last_byte(&layout.blob_path(&manifest.config.digest));
    let failed = failures(&verify_path(&path, &key, &Policy::default()));
    assert!(
        failed
            .iter()
            .any(|f| f.starts_with("linux/amd64: content: ") && f.contains(&manifest.config.digest.hex())),
        "{failed:#?}"
    );
}

#[test]
fn a_changed_sbom_byte_fails_that_attestation() {
    let (dir, key) = signed_image();
    let path = dir.path().join("img");
    let layout = Layout::open(&path).unwrap();
    let digest = platform_digest(&layout, "amd64");
    let spdx = attestation_blob(&layout, &digest, predicate_type::SPDX);
    flip_last_byte(&layout.blob_path(&spdx));
    let failed = failures(&verify_path(&path, &key, &Policy::default()));
    assert_eq!(failed.len(), 1, "{failed:#?}");
    assert!(
        failed[0].starts_with("linux/amd64: attestation https://spdx.dev/Document: tag `sha256-")
            && failed[0].contains(&spdx.hex()),
        "{failed:#?}"
    );
}

#[test]
fn a_provenance_repackaged_with_a_changed_byte_fails_its_signature() {
    let (dir, key) = signed_image();
    let path = dir.path().join("img");
    let mut layout = Layout::open(&path).unwrap();
    let digest = platform_digest(&layout, "amd64");
    // An attacker edits the provenance and stores it properly (new blob, new manifest),
    // keeping the old signature.
    let tag = cosign_tag(&digest, TagKind::Attestation);
    let entry = tagged(&layout, &tag);
    let mut manifest = layout.read_manifest(&entry).unwrap();
    let position = manifest
        .layers
        .iter()
        .position(|l| {
            l.annotations.get("predicateType").map(String::as_str) == Some(predicate_type::SLSA_PROVENANCE_V1)
        })
        .unwrap();
    let mut envelope = Envelope::from_json(&layout.read_blob(&manifest.layers[position]).unwrap()).unwrap();
    let payload = String::from_utf8(BASE64.decode(&envelope.payload).unwrap()).unwrap();
    envelope.payload = BASE64.encode(payload.replace("2.41-12", "2.41-13"));
    let blob = layout
        .put_blob(&manifest.layers[position].media_type, &envelope.to_json())
        .unwrap();
    manifest.layers[position].digest = blob.digest;
    manifest.layers[position].size = blob.size;
    layout
        .retain_manifests(|d| d.ref_name() != Some(tag.as_str()))
        .unwrap();
    layout
        .add_manifest(&manifest, &[(annotation::REF_NAME, &tag)])
        .unwrap();
    let failed = failures(&verify_path(&path, &key, &Policy::default()));
    assert!(
        failed.iter().any(|f| f.starts_with("linux/amd64: attestation https://slsa.dev/provenance/v1: tag")
            && f.ends_with("no signature in the envelope verifies with the key: the signature was not made by this key over these bytes")),
        "{failed:#?}"
    );
}

#[test]
fn an_attestation_moved_to_another_image_fails_its_subject() {
    let (dir, key) = signed_image();
    let path = dir.path().join("img");
    let mut layout = Layout::open(&path).unwrap();
    let amd64 = platform_digest(&layout, "amd64");
    let arm64 = platform_digest(&layout, "arm64");
    // Swap the subject: amd64's attestations presented as arm64's.
    let amd64_att = tagged(&layout, &cosign_tag(&amd64, TagKind::Attestation));
    let manifest: ImageManifest = layout.read_manifest(&amd64_att).unwrap();
    let arm64_tag = cosign_tag(&arm64, TagKind::Attestation);
    layout
        .retain_manifests(|d| d.ref_name() != Some(arm64_tag.as_str()))
        .unwrap();
    layout
        .retain_manifests(|d| {
            d.artifact_type.is_none() || d.artifact_type.as_deref() == Some(attach::SIGNATURE_ARTIFACT_TYPE)
        })
        .unwrap();
    layout
        .add_manifest(&manifest, &[(annotation::REF_NAME, &arm64_tag)])
        .unwrap();
    let failed = failures(&verify_path(&path, &key, &Policy::default()));
    let expected = format!(
        "the statement is about {}, not this image {}",
        amd64.oci(),
        arm64.oci()
    );
    assert_eq!(
        failed
            .iter()
            .filter(|f| f.starts_with("linux/arm64: attestation") && f.ends_with(&expected))
            .count(),
        3,
        "{failed:#?}"
    );
}

#[test]
fn a_wrong_key_fails_every_signature_and_attestation() {
    let (dir, _) = signed_image();
    let path = dir.path().join("img");
    let failed = failures(&verify_path(&path, &common::key(), &Policy::default()));
    assert_eq!(
        failed
            .iter()
            .filter(|f| f.contains(": signature: no signature verifies with the key"))
            .count(),
        3
    );
    assert_eq!(
        failed
            .iter()
            .filter(|f| f.contains("no signature in the envelope verifies with the key"))
            .count(),
        7
    );
}

#[test]
fn an_unsigned_image_fails_naming_where_signatures_were_looked_for() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("img");
    write_image(&path);
    let failed = failures(&verify_path(&path, &common::key(), &Policy::default()));
    assert_eq!(failed.len(), 3, "{failed:#?}");
    assert!(failed[0].starts_with("linux/amd64: signature: no signature attached (looked for tag `sha256-"));
}

#[test]
fn provenance_from_another_lock_fails_naming_the_packages() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("img");
    write_image(&path);
    let key = common::key();
    sign_layout(&path, &key, &lock_with("2.41-11"));
    let failed = failures(&verify_path(&path, &key, &Policy::default()));
    let expected = "the image has `libc6=2.41-12:amd64` not in the provenance's .deb dependencies; \
        the provenance's .deb dependencies lists `libc6=2.41-11:amd64` not in the image";
    assert!(
        failed[0].starts_with("linux/amd64: attestation https://slsa.dev/provenance/v1: tag `sha256-")
            && failed[0].ends_with(expected),
        "{failed:#?}"
    );
    assert_eq!(failed.len(), 3, "both platform images and the index: {failed:#?}");
}

#[test]
fn policy_requirements_and_builder_id_are_enforced() {
    let (dir, key) = signed_image();
    let path = dir.path().join("img");
    let policy = Policy {
        require: vec!["https://example.com/vuln-scan".into()],
        builder_id: Some("https://ci.example.com/trusted".into()),
    };
    let failed = failures(&verify_path(&path, &key, &policy));
    assert!(failed.contains(&"linux/amd64: policy requires https://example.com/vuln-scan: no verified attestation of this type is attached".to_owned()), "{failed:#?}");
    assert!(failed.iter().any(|f| f.ends_with(
        "the builder is `https://buckle.invalid/slsa/builder/cli/v1`, the policy requires `https://ci.example.com/trusted`"
    )));
}

#[test]
fn an_index_signature_covers_its_unsigned_platform_images() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("img");
    write_image(&path);
    let key = common::key();
    let mut layout = Layout::open(&path).unwrap();
    let index = targets(&layout, None).unwrap().pop().unwrap();
    buckle_sign::sign::sign_image(&mut layout, &index.descriptor, REFERENCE, &key, vec![]).unwrap();
    let report = verify_path(&path, &key, &Policy::default());
    assert!(report.passed(), "{:#?}", failures(&report));
    assert!(report.images[0].checks[1]
        .detail
        .starts_with("covered by the verified signature of the index sha256:"));
}

fn attestation_blob(
    layout: &Layout,
    digest: &buckle_digest::Sha256,
    predicate: &str,
) -> buckle_digest::Sha256 {
    attach::attestations(layout, digest)
        .into_iter()
        .find(|a| a.annotation("predicateType") == Some(predicate))
        .and_then(|a| a.descriptor)
        .unwrap()
        .digest
}

fn flip_last_byte(path: &Path) {
    let mut bytes = std::fs::read(path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    std::fs::write(path, bytes).unwrap();
}
