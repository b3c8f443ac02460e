//! A built image read by real OCI tools: `umoci unpack --rootless` and `skopeo
//! inspect`. Needs both on PATH (feature `runtime`; `.ci/run` turns it on).
#![cfg(feature = "runtime")]
#![allow(clippy::unwrap_used)]

use buckle_image::build::{build, image_index, BuildOptions, NoReporter, PackageInput};
use buckle_image::harden::OsRelease;
use buckle_oci::annotation;
use buckle_oci::layout::LayoutWriter;
use buckle_spec::{ImageConfig, Variant};
use buckle_testkit::deb::{Compression, DebBuilder};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

fn packages() -> Vec<DebBuilder> {
    vec![
        DebBuilder::new("base-files", "13.8", "amd64")
            .dir("tmp", 0o1777)
            .dir("var/tmp", 0o1777)
            .file(
                "usr/lib/os-release",
                b"ID=debian\nVERSION_CODENAME=trixie\n",
                0o644,
            )
            .symlink("etc/os-release", "../usr/lib/os-release")
            .file("usr/share/doc/base-files/copyright", b"GPL\n", 0o644)
            .file("usr/share/doc/base-files/README", b"docs\n", 0o644),
        DebBuilder::new("hello", "1.0-1", "amd64")
            .data_compression(Compression::Zstd)
            .file("bin/hello", b"#!hello\n", 0o4755)
            .hardlink("bin/hello-again", "bin/hello")
            .file("usr/share/man/man1/hello.1.gz", b"man", 0o644),
        DebBuilder::new("ca-certificates", "20250419", "all")
            .data_compression(Compression::Gzip)
            .file(
                "usr/share/ca-certificates/mozilla/A.crt",
                b"-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----\n",
                0o644,
            ),
    ]
}

fn build_layout(dir: &Path) -> std::path::PathBuf {
    let target = dir.join("image");
    let layout = LayoutWriter::create(&target).unwrap();
    let inputs = packages()
        .iter()
        .enumerate()
        .map(|(i, b)| PackageInput {
            name: format!("{i}.deb"),
            locked: None,
            deb: Box::new(std::io::Cursor::new(b.build())),
        })
        .collect();
    let options = BuildOptions::new(
        "amd64".parse().unwrap(),
        Variant::Runtime,
        ImageConfig::default(),
        OsRelease::debian("13", "trixie"),
        1_750_000_000,
    );
    let built = build(inputs, &options, &layout, &NoReporter).unwrap();
    let manifest = built.manifest.with_annotation(annotation::REF_NAME, "latest");
    layout.finish(&image_index(vec![manifest])).unwrap();
    target
}

fn run(command: &mut Command) -> String {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?}: {e} (is it installed?)"));
    assert!(
        out.status.success(),
        "{command:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path).unwrap().permissions().mode() & 0o7777
}

#[test]
fn umoci_unpacks_the_image_with_the_expected_files_and_modes() {
    let dir = tempfile::tempdir().unwrap();
    let layout = build_layout(dir.path());
    let bundle = dir.path().join("bundle");
    run(Command::new("umoci")
        .args(["unpack", "--rootless", "--image"])
        .arg(format!("{}:latest", layout.display()))
        .arg(&bundle));
    let root = bundle.join("rootfs");
    assert_eq!(mode(&root.join("usr/bin/hello")), 0o755, "setuid stripped");
    assert_eq!(mode(&root.join("tmp")), 0o1777);
    assert_eq!(mode(&root.join("var/tmp")), 0o775, "world-writable only in /tmp");
    assert_eq!(
        std::fs::read_link(root.join("bin")).unwrap(),
        Path::new("usr/bin")
    );
    assert_eq!(
        std::fs::read_to_string(root.join("bin/hello-again")).unwrap(),
        "#!hello\n"
    );
    assert!(std::fs::read_to_string(root.join("etc/passwd"))
        .unwrap()
        .contains("nonroot:x:65532:65532"));
    assert!(
        std::fs::read_to_string(root.join("etc/ssl/certs/ca-certificates.crt"))
            .unwrap()
            .starts_with("-----BEGIN")
    );
    assert!(root.join("var/lib/dpkg/status.d/hello.md5sums").is_file());
    assert!(!root.join("var/lib/dpkg/status").exists());
    assert!(root.join("usr/share/doc/base-files/copyright").is_file());
    assert!(!root.join("usr/share/doc/base-files/README").exists());
    assert!(!root.join("usr/share/man").exists());
    assert!(!root.join("usr/bin/sh").exists());
    let config = std::fs::read_to_string(bundle.join("config.json")).unwrap();
    assert!(
        config.contains("\"cwd\": \"/home/nonroot\"") || config.contains("\"cwd\":\"/home/nonroot\""),
        "{config}"
    );
}

#[test]
fn skopeo_inspects_the_image() {
    let dir = tempfile::tempdir().unwrap();
    let layout = build_layout(dir.path());
    let out = run(Command::new("skopeo")
        .arg("inspect")
        .arg(format!("oci:{}:latest", layout.display())));
    assert!(out.contains("\"Architecture\": \"amd64\""), "{out}");
    assert!(out.contains("\"Os\": \"linux\""), "{out}");
}
