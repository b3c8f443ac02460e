//! buckle's signatures against the real tools (feature `interop`): cosign (the Debian
//! package, fetched by scripts/tools/cosign.sh) verifies what buckle signed after
//! buckle's registry client pushed it to a loopback docker-registry; buckle verifies
//! what cosign signed (pulled back with skopeo); keys move both ways; securesystemslib
//! verifies buckle's DSSE envelopes.
#![cfg(feature = "interop")]
#![allow(clippy::unwrap_used, clippy::print_stderr)] // test helpers: a panic is the failure report

mod common;

use buckle_oci::layout::Layout;
use buckle_sign::dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE};
use buckle_sign::key::{PrivateKey, PublicKey};
use buckle_sign::policy::Policy;
use buckle_sign::sign::{targets, Target};
use buckle_sign::statement::predicate_type;
use buckle_sign::verify::verify;
use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const PASSWORD: &str = "correct horse battery staple";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// cosign from target/tools (scripts/tools/cosign.sh downloads it on first use).
fn cosign_binary() -> PathBuf {
    let out = Command::new("bash")
        .arg(workspace().join("scripts/tools/cosign.sh"))
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "scripts/tools/cosign.sh failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

/// cosign with a private HOME, no terminal and no transparency log.
fn cosign(home: &Path, args: &[&str]) -> Output {
    let out = Command::new(cosign_binary())
        .args(args)
        .env("HOME", home)
        .env("TUF_ROOT", home.join("tuf"))
        .env("COSIGN_PASSWORD", PASSWORD)
        .env("COSIGN_YES", "true")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    eprintln!(
        "cosign {}\n{}\n{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn run(program: &str, args: &[&str]) {
    let out = Command::new(program).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{program} {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

use buckle_testkit::registry::DockerRegistry as Registry;

/// The test repository in `registry`.
fn repository(registry: &Registry) -> String {
    format!("{}/buckle/test", registry.address)
}

/// Pushes the layout's `latest` image (all platforms), its referrers and every cosign
/// tag present, the way `buckle push` does.
fn push(layout_path: &Path, registry: &Registry) {
    let layout = Layout::open(layout_path).unwrap();
    let target: buckle_registry::Reference = format!("{}:latest", repository(registry)).parse().unwrap();
    let options = buckle_registry::Options {
        insecure: true,
        ..Default::default()
    };
    let client = buckle_registry::Registry::connect(&target.registry, &options).unwrap();
    let push = buckle_registry::PushOptions {
        tags: vec!["latest".to_owned()],
        ..Default::default()
    };
    buckle_registry::push(
        &client,
        &layout,
        Some("latest"),
        &target,
        &push,
        &buckle_registry::NoReporter,
    )
    .unwrap();
}

/// Copies `latest` and every cosign tag of the repository back into a new layout.
fn pull(registry: &Registry, layout_path: &Path) {
    let repository = repository(registry);
    let tags = Command::new("skopeo")
        .args([
            "list-tags",
            "--tls-verify=false",
            &format!("docker://{repository}"),
        ])
        .output()
        .unwrap();
    let tags: serde_json::Value = serde_json::from_slice(&tags.stdout).unwrap();
    for tag in tags["Tags"].as_array().unwrap() {
        let tag = tag.as_str().unwrap();
        run(
            "skopeo",
            &[
                "copy",
                "--all",
                "--preserve-digests",
                "--src-tls-verify=false",
                &format!("docker://{repository}:{tag}"),
                &format!("oci:{}:{tag}", layout_path.display()),
            ],
        );
    }
}

fn write_keys(dir: &Path, key: &PrivateKey) -> (PathBuf, PathBuf) {
    let private = dir.join("buckle.key");
    let public = dir.join("buckle.pub");
    std::fs::write(
        &private,
        key.to_encrypted_pem_with(PASSWORD.as_bytes(), FAST, &mut rand::rngs::OsRng)
            .unwrap(),
    )
    .unwrap();
    std::fs::write(&public, key.public_key().to_pem()).unwrap();
    (private, public)
}

fn image_targets(path: &Path) -> Vec<Target> {
    targets(&Layout::open(path).unwrap(), Some("latest")).unwrap()
}

#[test]
fn cosign_verifies_buckle_signatures_and_attestations_from_a_registry() {
    let dir = tempfile::tempdir().unwrap();
    let layout_path = dir.path().join("img");
    write_image(&layout_path);
    let key = key();
    sign_layout(&layout_path, &key, &lock());
    attest_a_scan(&layout_path, &key);
    let (_, public) = write_keys(dir.path(), &key);
    let registry = Registry::start();
    push(&layout_path, &registry);

    let public = public.to_str().unwrap();
    for target in image_targets(&layout_path) {
        let reference = format!("{}@{}", repository(&registry), target.descriptor.digest.oci());
        let out = cosign(
            dir.path(),
            &["verify", "--key", public, "--insecure-ignore-tlog", &reference],
        );
        assert!(out.status.success(), "cosign verify {}", target.label());
        let claims: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            claims[0]["critical"]["image"]["docker-manifest-digest"],
            target.descriptor.digest.oci()
        );
        let types: &[&str] = if target.is_index() {
            &["slsaprovenance1", "vuln"]
        } else {
            &["slsaprovenance1", "spdxjson", "cyclonedx", "vuln"]
        };
        for kind in types {
            let out = cosign(
                dir.path(),
                &[
                    "verify-attestation",
                    "--key",
                    public,
                    "--insecure-ignore-tlog",
                    "--type",
                    kind,
                    &reference,
                ],
            );
            assert!(
                out.status.success(),
                "cosign verify-attestation --type {kind} {}",
                target.label()
            );
        }
    }
    // cosign reads the scan record's fields: a CUE policy on them passes, and fails
    // when it asks for another scanner.
    let platform = image_targets(&layout_path).remove(0);
    let reference = format!("{}@{}", repository(&registry), platform.descriptor.digest.oci());
    for (scanner, accepted) in [("pkg:cargo/buckle-cli@0.1.0", true), ("pkg:other/scanner", false)] {
        let policy = dir.path().join("vuln.cue");
        std::fs::write(
            &policy,
            format!(
                "predicateType: \"https://cosign.sigstore.dev/attestation/vuln/v1\"\n\
                 predicate: {{\n  scanner: {{ uri: \"{scanner}\", db: {{ version: \"2026-11-23\" }} }}\n  \
                 metadata: {{ scanStartedOn: \"2026-11-23T10:00:00Z\" }}\n}}\n"
            ),
        )
        .unwrap();
        let out = cosign(
            dir.path(),
            &[
                "verify-attestation",
                "--key",
                public,
                "--insecure-ignore-tlog",
                "--type",
                "vuln",
                "--policy",
                policy.to_str().unwrap(),
                &reference,
            ],
        );
        assert_eq!(
            out.status.success(),
            accepted,
            "CUE policy with scanner {scanner}"
        );
    }

    // The check can fail: another key is refused.
    let other_dir = dir.path().join("other");
    std::fs::create_dir_all(&other_dir).unwrap();
    let (_, other) = write_keys(&other_dir, &common::key());
    let index = image_targets(&layout_path).pop().unwrap();
    let reference = format!("{}@{}", repository(&registry), index.descriptor.digest.oci());
    let out = cosign(
        dir.path(),
        &[
            "verify",
            "--key",
            other.to_str().unwrap(),
            "--insecure-ignore-tlog",
            &reference,
        ],
    );
    assert!(
        !out.status.success(),
        "cosign accepted a signature made with another key"
    );
}

/// Attaches a vulnerability scan record, as `buckle scan --attest` does, to every image.
fn attest_a_scan(path: &Path, key: &PrivateKey) {
    use buckle_sign::vuln_predicate::*;
    let mut layout = Layout::open(path).unwrap();
    for target in targets(&layout, None).unwrap() {
        let predicate = VulnPredicate {
            invocation: ScanInvocation {
                parameters: vec!["scan".into(), "--attest".into()],
                ..ScanInvocation::default()
            },
            scanner: Scanner {
                uri: buckle_scanner_uri("0.1.0"),
                version: "0.1.0".into(),
                db: ScannerDb {
                    uri: "tracker,kev".into(),
                    version: "2026-11-23".into(),
                },
                result: serde_json::json!({"images": [{"digest": target.descriptor.digest.oci(), "findings": []}]}),
            },
            metadata: ScanMetadata {
                scan_started_on: "2026-11-23T10:00:00Z".into(),
                scan_finished_on: "2026-11-23T10:00:02Z".into(),
            },
        };
        buckle_sign::sign::attest_image(
            &mut layout,
            &target.descriptor,
            REFERENCE,
            key,
            vec![(
                predicate_type::COSIGN_VULN.to_owned(),
                serde_json::to_value(predicate).unwrap(),
            )],
        )
        .unwrap();
    }
}

#[test]
fn buckle_verifies_what_cosign_signed_and_attested() {
    let dir = tempfile::tempdir().unwrap();
    let layout_path = dir.path().join("img");
    write_image(&layout_path);
    let registry = Registry::start();
    push(&layout_path, &registry);
    let out = cosign(
        dir.path(),
        &[
            "generate-key-pair",
            "--output-key-prefix",
            &dir.path().join("cosign").display().to_string(),
        ],
    );
    assert!(out.status.success());
    let cosign_key = dir.path().join("cosign.key");

    // A buckle provenance predicate about the amd64 image, attested by cosign.
    let scratch_dir = tempfile::tempdir().unwrap();
    let scratch = scratch_dir.path().join("img");
    write_image(&scratch);
    sign_layout(&scratch, &key(), &lock());
    let amd64 = image_targets(&layout_path).remove(0);
    let envelope = attestation(
        &scratch,
        &amd64.descriptor.digest,
        predicate_type::SLSA_PROVENANCE_V1,
    );
    let statement: serde_json::Value = serde_json::from_slice(&envelope).unwrap();
    let predicate = dir.path().join("provenance.json");
    std::fs::write(&predicate, serde_json::to_vec(&statement["predicate"]).unwrap()).unwrap();

    let key_arg = cosign_key.to_str().unwrap();
    let index = image_targets(&layout_path).pop().unwrap();
    let index_ref = format!("{}@{}", repository(&registry), index.descriptor.digest.oci());
    let amd64_ref = format!("{}@{}", repository(&registry), amd64.descriptor.digest.oci());
    let sign = cosign(
        dir.path(),
        &[
            "sign",
            "--key",
            key_arg,
            "--tlog-upload=false",
            "--recursive",
            &index_ref,
        ],
    );
    assert!(sign.status.success());
    let attest = cosign(
        dir.path(),
        &[
            "attest",
            "--key",
            key_arg,
            "--tlog-upload=false",
            "--type",
            "slsaprovenance1",
            "--predicate",
            predicate.to_str().unwrap(),
            &amd64_ref,
        ],
    );
    assert!(attest.status.success());

    let pulled = dir.path().join("pulled");
    pull(&registry, &pulled);
    let public =
        PublicKey::from_pem(&std::fs::read_to_string(dir.path().join("cosign.pub")).unwrap()).unwrap();
    let layout = Layout::open(&pulled).unwrap();
    let policy = Policy::default();
    let report = verify(&layout, &public, &policy, Some("latest")).unwrap();
    let failures: Vec<String> = report
        .failures()
        .iter()
        .map(|(i, c)| format!("{}: {}: {}", i.image, c.name, c.detail))
        .collect();
    assert!(report.passed(), "{failures:#?}");
    let amd64_checks: Vec<&str> = report.images[0].checks.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        amd64_checks,
        [
            "content",
            "signature",
            "attestation https://slsa.dev/provenance/v1"
        ]
    );
    assert!(report.images[0].checks[1]
        .detail
        .starts_with("verified with the key (tag `sha256-"));

    // And with buckle's own key instead, nothing verifies.
    let report = verify(&layout, &key().public_key(), &policy, Some("latest")).unwrap();
    assert_eq!(report.failures().len(), 4, "3 signatures and the attestation");
}

#[test]
fn keys_move_between_buckle_and_cosign_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    // cosign's key pair read by buckle.
    let out = cosign(
        dir.path(),
        &[
            "generate-key-pair",
            "--output-key-prefix",
            &dir.path().join("cosign").display().to_string(),
        ],
    );
    assert!(out.status.success());
    let private = PrivateKey::from_encrypted_pem(
        &std::fs::read_to_string(dir.path().join("cosign.key")).unwrap(),
        PASSWORD.as_bytes(),
    )
    .unwrap();
    let public =
        PublicKey::from_pem(&std::fs::read_to_string(dir.path().join("cosign.pub")).unwrap()).unwrap();
    assert_eq!(private.public_key(), public);
    let wrong = PrivateKey::from_encrypted_pem(
        &std::fs::read_to_string(dir.path().join("cosign.key")).unwrap(),
        b"nope",
    );
    assert_eq!(
        wrong.unwrap_err().to_string(),
        "wrong password for the private key"
    );

    // buckle's key pair (with cosign's own scrypt cost) read by cosign.
    let key = key();
    let private_path = dir.path().join("buckle.key");
    std::fs::write(
        &private_path,
        key.to_encrypted_pem(PASSWORD.as_bytes(), &mut rand::rngs::OsRng)
            .unwrap(),
    )
    .unwrap();
    let out = cosign(
        dir.path(),
        &["public-key", "--key", private_path.to_str().unwrap()],
    );
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), key.public_key().to_pem());

    // A blob signed by cosign with buckle's key verifies in buckle, and back.
    let blob = dir.path().join("blob");
    std::fs::write(&blob, b"some bytes").unwrap();
    let out = cosign(
        dir.path(),
        &[
            "sign-blob",
            "--key",
            private_path.to_str().unwrap(),
            "--tlog-upload=false",
            blob.to_str().unwrap(),
        ],
    );
    assert!(out.status.success());
    let signature = base64_decode(String::from_utf8(out.stdout).unwrap().trim());
    assert_eq!(key.public_key().verify(b"some bytes", &signature), Ok(()));
}

#[test]
fn securesystemslib_verifies_buckle_dsse_envelopes() {
    let dir = tempfile::tempdir().unwrap();
    let key = key();
    let envelope = Envelope::sign(
        IN_TOTO_PAYLOAD_TYPE,
        br#"{"_type":"https://in-toto.io/Statement/v1"}"#,
        &key,
    );
    std::fs::write(dir.path().join("envelope.json"), envelope.to_json()).unwrap();
    let mut tampered = envelope.clone();
    tampered.payload_type = "application/json".into();
    std::fs::write(dir.path().join("tampered.json"), tampered.to_json()).unwrap();
    std::fs::write(dir.path().join("key.pub"), key.public_key().to_pem()).unwrap();
    let script = r#"
import json, sys
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from securesystemslib.dsse import Envelope
from securesystemslib.signer import SSlibKey
from securesystemslib.exceptions import VerificationError
# DSSE signatures from buckle (and cosign) carry an empty keyid; securesystemslib
# matches keyids, so the key gets the same one.
parsed = SSlibKey.from_crypto(load_pem_public_key(open("key.pub", "rb").read()))
key = SSlibKey("", parsed.keytype, parsed.scheme, parsed.keyval)
assert key.scheme == "ecdsa-sha2-nistp256", key.scheme
good = Envelope.from_dict(json.load(open("envelope.json")))
assert good.verify([key], 1) == {"": key}
print(good.payload.decode())
bad = Envelope.from_dict(json.load(open("tampered.json")))
try:
    bad.verify([key], 1)
    sys.exit("tampered envelope verified")
except VerificationError:
    pass
"#;
    let out = Command::new("python3")
        .args(["-c", script])
        .current_dir(dir.path())
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "securesystemslib (scripts/test installs it in target/test-venv): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim(),
        r#"{"_type":"https://in-toto.io/Statement/v1"}"#
    );
}

/// The decoded statement of the `predicate` attestation of `digest` in the layout.
fn attestation(layout_path: &Path, digest: &buckle_digest::Sha256, predicate: &str) -> Vec<u8> {
    let layout = Layout::open(layout_path).unwrap();
    let found = buckle_sign::attach::attestations(&layout, digest)
        .into_iter()
        .find(|a| a.annotation("predicateType") == Some(predicate))
        .unwrap();
    let envelope = Envelope::from_json(found.content.as_ref().unwrap()).unwrap();
    base64_decode(&envelope.payload)
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(text).unwrap()
}
