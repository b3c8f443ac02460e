//! `buckle keygen`, `build --sign`, `sign`, `verify` and `attestations` as users run
//! them, on the generated archive's image; and the ways they refuse.

use crate::cli::Run;
use crate::fixture::Fixture;

const PASSWORD: &str = "test password";

fn run_with_password(f: &Fixture, password: Option<&str>, args: &[&str]) -> Run {
    f.buckle.run_with_password(password, args)
}

fn signed_build() -> Fixture {
    let f = Fixture::new();
    run_with_password(&f, Some(PASSWORD), &["keygen", "-o", "release"]).ok();
    run_with_password(
        &f,
        Some(PASSWORD),
        &["build", "hello.toml", "--sign", "release.key"],
    )
    .ok();
    f
}

#[test]
fn build_with_sign_makes_an_image_that_verifies_with_every_attestation() {
    let f = signed_build();
    assert!(f
        .read("release.key")
        .starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"));
    assert!(!f.read("release.key").contains(PASSWORD));
    let report = assert_signed_and_attested(&f, "out/hello");
    let checks: Vec<&str> = report["images"][0]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(
        checks.contains(&"attestation https://slsa.dev/provenance/v1"),
        "{checks:?}"
    );
    assert!(
        checks.contains(&"SBOM referrer application/spdx+json"),
        "{checks:?}"
    );
}

/// What `buckle build --sign` attaches to the image, as `buckle attestations` lists it.
const EVERY_ATTACHMENT: [&str; 6] = [
    "signature",
    "attestation",
    "attestation",
    "attestation",
    "sbom",
    "sbom",
];

/// The kinds of what `buckle attestations` finds attached to the image at `layout`.
fn attached_kinds(f: &Fixture, layout: &str) -> Vec<String> {
    let listed = f.buckle.run(&["attestations", layout, "--json"]).ok().json();
    listed["images"][0]["attached"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap().to_owned())
        .collect()
}

/// Asserts that the image at `layout` verifies with its provenance and both SBOMs,
/// lists every attachment, and that `check` finds its SBOM, provenance and signature;
/// returns the verify report.
fn assert_signed_and_attested(f: &Fixture, layout: &str) -> serde_json::Value {
    let report = f
        .buckle
        .run(&[
            "verify",
            layout,
            "--key",
            "release.pub",
            "--require",
            "slsaprovenance1",
            "--require",
            "spdxjson",
            "--require",
            "cyclonedx",
            "--json",
        ])
        .ok()
        .json();
    assert_eq!(report["passed"], true, "{layout}: {report:#}");
    assert_eq!(attached_kinds(f, layout), EVERY_ATTACHMENT, "{layout}");
    let check = f.buckle.run(&["check", layout, "--json"]).ok().json();
    for rule in ["BKL-ATTACH-SBOM", "BKL-ATTACH-PROVENANCE", "BKL-ATTACH-SIGNATURE"] {
        let finding = check["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|finding| finding["rule"] == rule)
            .unwrap_or_else(|| panic!("{layout}: no {rule} finding: {check:#}"));
        assert_eq!(finding["status"], "pass", "{layout}: {finding:#}");
    }
    report
}

#[test]
fn a_layout_in_the_older_format_with_attachments_in_index_json_still_verifies() {
    let f = signed_build();
    // Before buckle-index.json, index.json listed the tags and every attachment.
    std::fs::rename(
        f.path("out/hello/buckle-index.json"),
        f.path("out/hello/index.json"),
    )
    .unwrap();
    let index: serde_json::Value = serde_json::from_str(&f.read("out/hello/index.json")).unwrap();
    assert!(index["manifests"].as_array().unwrap().len() > 2, "{index:#}");
    assert_signed_and_attested(&f, "out/hello");
}

#[cfg(feature = "registry")]
#[test]
fn a_signed_image_pushed_and_pulled_back_keeps_every_attachment_in_the_same_layout_design() {
    use buckle_testkit::registry::DockerRegistry;
    let f = signed_build();
    let registry = DockerRegistry::start();
    let reference = format!("{}/hardened/hello:latest", registry.address);
    f.buckle
        .run(&["push", "--insecure", "out/hello", &reference])
        .ok();
    f.buckle.run(&["pull", "--insecure", &reference, "pulled"]).ok();
    assert_signed_and_attested(&f, "pulled");
    let index: serde_json::Value = serde_json::from_str(&f.read("pulled/index.json")).unwrap();
    assert_eq!(index["manifests"].as_array().unwrap().len(), 1, "{index:#}");
    let full = |layout: &str| -> usize {
        let index: serde_json::Value =
            serde_json::from_str(&f.read(&format!("{layout}/buckle-index.json"))).unwrap();
        index["manifests"].as_array().unwrap().len()
    };
    // The pulled layout lists the image once (under the tag pulled) where the built one
    // lists it under `latest` and a version tag; every attachment comes along.
    assert_eq!(full("pulled"), full("out/hello") - 1);
}

#[test]
fn provenance_names_the_inrelease_the_packages_index_and_every_deb_by_digest() {
    let f = signed_build();
    let shown = f
        .buckle
        .run(&["attestations", "out/hello", "--show", "slsaprovenance1"])
        .ok();
    assert!(shown.stderr.contains("Unverified"), "{}", shown.stderr);
    let statements: Vec<serde_json::Value> = shown
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // One per platform image and one for the index.
    assert!(!statements.is_empty(), "{}", shown.stdout);
    let sha = |path: &str| buckle_digest::Sha256::of(&f.original(path)).hex();
    let url = f.server.url();
    for statement in &statements {
        assert_eq!(statement["predicateType"], "https://slsa.dev/provenance/v1");
        let deps = statement["predicate"]["buildDefinition"]["resolvedDependencies"]
            .as_array()
            .unwrap();
        let digest_of = |uri: String| {
            deps.iter()
                .find(|d| d["uri"] == uri.as_str())
                .unwrap_or_else(|| panic!("{uri} not in {deps:#?}"))["digest"]["sha256"]
                .clone()
        };
        let metadata = &statement["predicate"]["runDetails"]["metadata"];
        let (started, finished) = (
            metadata["startedOn"].as_str().unwrap(),
            metadata["finishedOn"].as_str().unwrap(),
        );
        assert!(started.ends_with('Z') && started <= finished, "{metadata:#}");
        for path in [
            "/dists/trixie/InRelease",
            "/dists/trixie/main/binary-amd64/Packages.xz",
            "/pool/main/h/hello/hello_2.10-3_amd64.deb",
        ] {
            assert_eq!(digest_of(format!("{url}{path}")), sha(path), "{path}");
        }
    }
    let missing = f
        .buckle
        .run(&["attestations", "out/hello", "--show", "https://example.com/none"])
        .fails_with(2);
    assert!(
        missing
            .stderr
            .contains("no https://example.com/none attestation is attached"),
        "{}",
        missing.stderr
    );
    let unknown = f
        .buckle
        .run(&["attestations", "out/hello", "--show", "slsa"])
        .fails_with(2);
    assert!(
        unknown
            .stderr
            .contains("error: `slsa` is not a predicate type: use a URI or one of `slsaprovenance1`"),
        "{}",
        unknown.stderr
    );
}

#[test]
fn a_scan_is_attested_to_every_image_and_verifies_as_a_vuln_attestation() {
    let f = signed_build();
    // The tracker's export shape: hello 2.10-3 in the image, fixed in 2.10-4.
    std::fs::write(
        f.path("tracker.json"),
        r#"{"hello": {"CVE-2099-0001": {"description": "test", "releases": {"trixie": {"status": "resolved", "fixed_version": "2.10-4", "urgency": "high"}}}}}"#,
    )
    .unwrap();
    f.buckle.run(&["feeds", "import", "tracker.json"]).ok();
    f.update_archive_feed();
    let scanned = run_with_password(
        &f,
        Some(PASSWORD),
        &[
            "scan",
            "out/hello",
            "--release",
            "trixie",
            "--attest",
            "release.key",
        ],
    )
    .ok();
    assert!(scanned.stdout.contains("CVE-2099-0001"), "{}", scanned.stdout);
    let attested = scanned.stderr.matches("Attested scan of ").count();
    assert!(
        scanned.stderr.contains("Attested scan of linux/amd64"),
        "{}",
        scanned.stderr
    );

    f.buckle
        .run(&["verify", "out/hello", "--key", "release.pub", "--require", "vuln"])
        .ok();
    let shown = f
        .buckle
        .run(&["attestations", "out/hello", "--show", "vuln"])
        .ok();
    let statements: Vec<serde_json::Value> = shown
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(statements.len(), attested, "{}", shown.stdout);
    for statement in &statements {
        assert_eq!(
            statement["predicateType"],
            "https://cosign.sigstore.dev/attestation/vuln/v1"
        );
        let predicate = &statement["predicate"];
        assert!(predicate["metadata"]["scanFinishedOn"]
            .as_str()
            .unwrap()
            .ends_with('Z'));
        let images = predicate["scanner"]["result"]["images"].as_array().unwrap();
        assert_eq!(images.len(), 1, "{predicate:#}");
        let finding = &images[0]["findings"][0];
        assert_eq!(finding["id"], "CVE-2099-0001", "{predicate:#}");
        assert_eq!(finding["installed"], "2.10-3");
        assert_eq!(finding["fixed"], "2.10-4");
        // The fixture builds one platform image: its record names the image it is about.
        let subject = statement["subject"][0]["digest"]["sha256"].as_str().unwrap();
        assert_eq!(images[0]["digest"], format!("sha256:{subject}"));
        assert_eq!(images[0]["platform"], "linux/amd64");
    }

    // Another key's signature does not count.
    run_with_password(&f, Some("other"), &["keygen", "-o", "other"]).ok();
    let refused = f
        .buckle
        .run(&["verify", "out/hello", "--key", "other.pub", "--require", "vuln"])
        .fails_with(1);
    assert!(
        refused
            .stdout
            .contains("FAIL attestation https://cosign.sigstore.dev/attestation/vuln/v1"),
        "{}",
        refused.stdout
    );
    // A docker archive cannot carry it: refused before anything is scanned.
    f.buckle
        .run(&[
            "build",
            "-q",
            "hello.toml",
            "--format",
            "docker-archive",
            "-o",
            "hello.tar",
        ])
        .ok();
    let refused = run_with_password(
        &f,
        Some(PASSWORD),
        &[
            "scan",
            "hello.tar",
            "--release",
            "trixie",
            "--attest",
            "release.key",
        ],
    );
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains("--attest needs an OCI layout directory: `hello.tar` is not one"),
        "{}",
        refused.stderr
    );
    assert!(!refused.stderr.contains("Scanned"), "{}", refused.stderr);
}

#[test]
fn sign_resigns_an_existing_image_with_the_lock_and_another_key_verifies_nothing() {
    let f = signed_build();
    run_with_password(&f, Some("other"), &["keygen", "-o", "other"]).ok();
    let signed = run_with_password(
        &f,
        Some("other"),
        &[
            "sign",
            "out/hello",
            "--key",
            "other.key",
            "--lock",
            "hello.lock",
            "--json",
        ],
    )
    .ok()
    .json();
    let attestations = signed["images"][0]["attestations"].as_array().unwrap();
    assert_eq!(attestations[0]["predicateType"], "https://slsa.dev/provenance/v1");
    assert!(attestations[0]["size"].as_u64().unwrap() > 1000);
    // The new key's signature is added beside the first; attestations are replaced.
    f.buckle.run(&["verify", "out/hello", "--key", "other.pub"]).ok();
    let refused = f
        .buckle
        .run(&["verify", "out/hello", "--key", "release.pub"])
        .fails_with(1);
    assert!(
        refused
            .stdout
            .contains("FAIL attestation https://slsa.dev/provenance/v1"),
        "{}",
        refused.stdout
    );
    assert!(
        refused
            .stderr
            .contains("error: verification of `out/hello` failed"),
        "{}",
        refused.stderr
    );
}

#[test]
fn verify_names_a_changed_layer_byte_and_exits_1() {
    let f = signed_build();
    let layout = buckle_oci::layout::Layout::open(f.path("out/hello")).unwrap();
    let image = layout.images().unwrap().remove(0);
    let layer = &image.manifest.layers[0];
    let path = layout.blob_path(&layer.digest);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[100] ^= 1;
    std::fs::write(&path, bytes).unwrap();
    let run = f
        .buckle
        .run(&["verify", "out/hello", "--key", "release.pub"])
        .fails_with(1);
    assert!(
        run.stdout.contains("FAIL content")
            && run.stdout.contains(&format!("expected {}", layer.digest.oci())),
        "{}",
        run.stdout
    );
}

#[test]
fn keygen_without_a_password_or_a_terminal_is_refused() {
    let f = Fixture::new();
    let run = run_with_password(&f, None, &["keygen", "-o", "release"]).fails_with(2);
    assert!(
        run.stderr.contains("error: no password for the private key"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("hint: set BUCKLE_PASSWORD"), "{}", run.stderr);
    assert!(!f.path("release.key").exists());
    run_with_password(&f, Some(PASSWORD), &["keygen", "-o", "release"]).ok();
    let again = run_with_password(&f, Some(PASSWORD), &["keygen", "-o", "release"]).fails_with(2);
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
}

#[test]
fn sign_with_a_wrong_password_or_a_lock_of_another_build_is_refused() {
    let f = signed_build();
    let run =
        run_with_password(&f, Some("wrong"), &["sign", "out/hello", "--key", "release.key"]).fails_with(2);
    assert!(
        run.stderr.contains("wrong password for the private key"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("hint: set BUCKLE_PASSWORD"), "{}", run.stderr);

    // A lock for the same spec but another build (another SOURCE_DATE_EPOCH).
    let lock = f.read("hello.lock");
    let other = lock
        .lines()
        .map(|l| {
            if l.starts_with("source-date-epoch") {
                "source-date-epoch = 1".to_owned()
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(f.path("other.lock"), other).unwrap();
    let run = run_with_password(
        &f,
        Some(PASSWORD),
        &[
            "sign",
            "out/hello",
            "--key",
            "release.key",
            "--spec",
            "hello.toml",
            "--lock",
            "other.lock",
        ],
    )
    .fails_with(2);
    assert!(
        run.stderr
            .contains("the image was built from the lock with SHA-256"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_docker_archive_cannot_be_signed() {
    let f = Fixture::new();
    run_with_password(&f, Some(PASSWORD), &["keygen", "-o", "release"]).ok();
    run_with_password(
        &f,
        Some(PASSWORD),
        &["build", "hello.toml", "--format", "docker-archive"],
    )
    .ok();
    let run = run_with_password(
        &f,
        Some(PASSWORD),
        &["sign", "out/hello.tar", "--key", "release.key"],
    )
    .fails_with(2);
    assert!(
        run.stderr.contains("is not an OCI layout directory"),
        "{}",
        run.stderr
    );
    let run = f
        .buckle
        .run(&["verify", "out/hello.tar", "--key", "release.pub"])
        .fails_with(2);
    assert!(
        run.stderr.contains("a docker archive carries none"),
        "{}",
        run.stderr
    );
}
