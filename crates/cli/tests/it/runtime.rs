//! The test archive's image run with runc and read by umoci and skopeo.

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

#[test]
fn umoci_unpacks_and_skopeo_reads_the_layout_and_the_docker_archive() {
    let f = Fixture::new();
    f.buckle.run(&["build", "hello.toml"]).ok();
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
    let digest = f.buckle.run(&["inspect", "out/hello", "--json"]).ok().json()["digest"]
        .as_str()
        .unwrap()
        .to_owned();

    let bundle = f.path("bundle");
    let out = Command::new("umoci")
        .args(["unpack", "--rootless", "--image"])
        .arg(format!("{}:latest", f.path("out/hello").display()))
        .arg(&bundle)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "umoci: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read(bundle.join("rootfs/usr/bin/hello")).unwrap(),
        crate::fixture::static_hello()
    );

    let skopeo = |image: String| {
        let out = Command::new("skopeo").args(["inspect", &image]).output().unwrap();
        assert!(
            out.status.success(),
            "skopeo {image}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let layout = skopeo(format!("oci:{}:latest", f.path("out/hello").display()));
    assert_eq!(layout["Digest"], digest.as_str());
    assert_eq!(layout["Architecture"], "amd64");
    let archive = skopeo(format!("docker-archive:{}", f.path("hello.tar").display()));
    assert_eq!(
        archive["Layers"].as_array().unwrap().len(),
        layout["Layers"].as_array().unwrap().len()
    );
}
