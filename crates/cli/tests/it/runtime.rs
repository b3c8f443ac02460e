//! The test archive's image run with runc, and read as it is by syft, umoci, skopeo and oras.

use crate::fixture::{static_probe, Fixture, PROBE_EXPECT};
use std::process::Command;

#[test]
fn the_smoke_test_passes_in_runc_and_a_wrong_expectation_fails_the_gate() {
    let f = Fixture::new();
    f.buckle.run(&["build", "hello.toml"]).ok();
    let run = f.buckle.run(&["test", "hello.toml"]).ok();
    assert!(run.stdout.contains("hello from buckle"), "{}", run.stdout);
    f.write_spec(
        "wrong.toml",
        &crate::fixture::SPEC.replace("expect = \"hello from buckle\"", "expect = \"goodbye\""),
    );
    let run = f
        .buckle
        .run(&["test", "wrong.toml", "--image", "out/hello"])
        .fails_with(1);
    assert!(run.stderr.contains("goodbye"), "{}", run.stderr);
}

#[test]
fn the_image_runs_as_nonroot_with_a_read_only_root_a_writable_tmp_and_no_shell() {
    let f = Fixture::new();
    f.buckle.run(&["build", "hello.toml"]).ok();
    std::fs::write(f.path("probe"), static_probe()).unwrap();
    std::fs::set_permissions(
        f.path("probe"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    f.write_spec("probe.toml", &probe_spec());
    let probe = format!("{}:/probe", f.path("probe").display());
    let run = f
        .buckle
        .run(&["test", "probe.toml", "--image", "out/hello", "--mount", &probe])
        .ok();
    assert!(run.stdout.contains(PROBE_EXPECT), "{}", run.stdout);
}

/// A spec whose smoke test is the probe (mounted at /probe).
pub fn probe_spec() -> String {
    format!(
        "name = \"probe\"\npackages = [\"base-files\"]\n\n[test]\ncommand = [\"/probe\"]\nexpect = {:?}\n",
        PROBE_EXPECT
    )
}

/// oras, from the trixie .deb that scripts/tools/oras.sh fetches on first use.
fn oras() -> std::path::PathBuf {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/tools/oras.sh");
    std::path::PathBuf::from(tool(Command::new("bash").arg(script)).trim())
}

/// Runs a command, panicking with its output unless it succeeds; returns stdout.
fn tool(command: &mut Command) -> String {
    let out = command.output().unwrap();
    assert!(
        out.status.success(),
        "{command:?}:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The (name, version) pairs of the deb packages of a syft JSON document.
pub fn syft_debs(syft: &serde_json::Value) -> std::collections::BTreeSet<(String, String)> {
    syft["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["type"] == "deb")
        .map(|a| {
            (
                a["name"].as_str().unwrap().to_owned(),
                a["version"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The (name, version) pairs of the Debian packages of an SPDX document (not the image,
/// not upstream artifacts).
pub fn spdx_packages(spdx: &serde_json::Value) -> std::collections::BTreeSet<(String, String)> {
    spdx["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["SPDXID"] != "SPDXRef-Image")
        .filter(|p| {
            !p["SPDXID"]
                .as_str()
                .unwrap()
                .starts_with("SPDXRef-Package-upstream-")
        })
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_owned(),
                p["versionInfo"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn syft_umoci_skopeo_and_oras_read_a_signed_build_as_it_is_and_skopeo_its_docker_archive() {
    let f = Fixture::new();
    let password = Some("test password");
    f.buckle
        .run_with_password(password, &["keygen", "-o", "release"])
        .ok();
    f.buckle
        .run_with_password(password, &["build", "hello.toml", "--sign", "release.key"])
        .ok();
    f.buckle
        .run(&[
            "build",
            "hello.toml",
            "--format",
            "docker-archive",
            "-o",
            "hello.tar",
        ])
        .ok();
    let layout = f.path("out/hello");
    let digest = f.buckle.run(&["inspect", "out/hello", "--json"]).ok().json()["digest"]
        .as_str()
        .unwrap()
        .to_owned();

    // syft finds exactly the packages of buckle's SBOM.
    let syft = tool(
        Command::new("syft")
            .args(["scan", "-q", "-o", "json"])
            .arg(format!("oci-dir:{}", layout.display()))
            .env("SYFT_CHECK_FOR_APP_UPDATE", "false"),
    );
    let theirs = syft_debs(&serde_json::from_str(&syft).unwrap());
    let spdx = f
        .buckle
        .run(&["sbom", "out/hello", "--lock", "hello.lock"])
        .ok()
        .json();
    let ours = spdx_packages(&spdx);
    assert!(ours.iter().any(|(name, _)| name == "hello"), "{ours:?}");
    assert_eq!(ours, theirs, "buckle's SBOM and syft disagree");

    let reference = format!("{}:latest", layout.display());
    let bundle = f.path("bundle");
    tool(
        Command::new("umoci")
            .args(["unpack", "--rootless", "--image", &reference])
            .arg(&bundle),
    );
    assert_eq!(
        std::fs::read(bundle.join("rootfs/usr/bin/hello")).unwrap(),
        crate::fixture::static_hello()
    );
    let skopeo = |image: String| -> serde_json::Value {
        serde_json::from_str(&tool(Command::new("skopeo").args(["inspect", &image]))).unwrap()
    };
    let seen = skopeo(format!("oci:{reference}"));
    assert_eq!(seen["Digest"], digest.as_str());
    assert_eq!(seen["Architecture"], "amd64");
    let archive = skopeo(format!("docker-archive:{}", f.path("hello.tar").display()));
    assert_eq!(
        archive["Layers"].as_array().unwrap().len(),
        seen["Layers"].as_array().unwrap().len()
    );

    let oras = oras();
    let manifest = tool(Command::new(&oras).args(["manifest", "fetch", "--oci-layout", &reference]));
    assert_eq!(
        format!("sha256:{}", buckle_digest::Sha256::of(manifest.as_bytes()).hex()),
        digest
    );
    let copy = f.path("oras-copy");
    tool(Command::new(&oras).args([
        "copy",
        "--from-oci-layout",
        &reference,
        "--to-oci-layout",
        &format!("{}:latest", copy.display()),
    ]));
    assert_eq!(
        f.buckle.run(&["inspect", "oras-copy", "--json"]).ok().json()["digest"],
        digest.as_str()
    );
}
