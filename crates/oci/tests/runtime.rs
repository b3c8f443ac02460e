//! Checks written images with the tools people use on them: `skopeo` must agree on
//! the manifest digest, and `umoci` must unpack the layout. Needs both on PATH; runs
//! with `--features runtime` (and then fails, never skips, without them).
#![cfg(feature = "runtime")]
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use buckle_oci::layout::LayoutWriter;
use buckle_oci::tar::{Compression, Entry};
use buckle_oci::{
    annotation, open_image, Descriptor, ImageConfig, ImageIndex, ImageManifest, RelPath, RootFs,
};
use std::path::Path;
use std::process::Command;

const TAG: &str = "v1";

fn p(s: &str) -> RelPath {
    RelPath::new(s).unwrap()
}

/// Writes a one-layer image tagged [`TAG`]; returns the manifest descriptor.
fn write_tiny_image(target: &Path) -> Descriptor {
    let writer = LayoutWriter::create(target).unwrap();
    let mut layer = writer.layer_writer(Compression::Gzip, 1_700_000_000).unwrap();
    let hello = b"hello from buckle\n";
    layer
        .append(&Entry::directory(p("etc"), 0o755), std::io::empty())
        .unwrap();
    layer
        .append(
            &Entry::file(p("etc/hello"), 0o644, hello.len() as u64),
            &hello[..],
        )
        .unwrap();
    layer
        .append(&Entry::directory(p("tmp"), 0o1777), std::io::empty())
        .unwrap();
    let (layer, digests) = writer.commit_layer(layer).unwrap();
    let config = ImageConfig {
        created: Some(buckle_oci::rfc3339_utc(1_700_000_000)),
        architecture: "amd64".into(),
        os: "linux".into(),
        rootfs: RootFs::layers(vec![digests.diff_id]),
        ..ImageConfig::default()
    };
    let config = writer.put_config(&config).unwrap();
    let manifest = writer
        .put_manifest(&ImageManifest::new(config, vec![layer]))
        .unwrap();
    writer
        .finish(&ImageIndex::new(vec![manifest
            .clone()
            .with_annotation(annotation::REF_NAME, TAG)]))
        .unwrap();
    manifest
}

fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("`{program}` must be installed for the runtime tests: {e}"));
    assert!(
        out.status.success(),
        "`{program} {}` failed: {}\n{}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn skopeo_reports_the_manifest_digest_buckle_computed() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("image");
    let manifest = write_tiny_image(&layout);
    let out = run("skopeo", &["inspect", &format!("oci:{}:{TAG}", layout.display())]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["Digest"], manifest.digest.oci());
    assert_eq!(report["Architecture"], "amd64");
    assert_eq!(report["Layers"].as_array().map(Vec::len), Some(1));
}

#[test]
fn umoci_unpacks_the_layout() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("image");
    write_tiny_image(&layout);
    let bundle = dir.path().join("bundle");
    run(
        "umoci",
        &[
            "unpack",
            "--rootless",
            "--image",
            &format!("{}:{TAG}", layout.display()),
            &bundle.display().to_string(),
        ],
    );
    let hello = std::fs::read_to_string(bundle.join("rootfs/etc/hello")).unwrap();
    assert_eq!(hello, "hello from buckle\n");
    assert!(bundle.join("config.json").is_file());
}

#[test]
fn skopeo_copies_the_docker_archive_with_the_same_layers() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("image");
    write_tiny_image(&layout);
    let image = open_image(&layout, &Default::default()).unwrap();
    let archive = dir.path().join("image.tar");
    image
        .write_docker_archive(&archive, &["buckle/tiny:v1".to_owned()], 1_700_000_000)
        .unwrap();
    let out = run(
        "skopeo",
        &["inspect", &format!("docker-archive:{}", archive.display())],
    );
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["Layers"][0], image.layers()[0].diff_id.oci());
    assert_eq!(report["Architecture"], "amd64");

    let copied = dir.path().join("copied");
    let from = format!("docker-archive:{}", archive.display());
    run(
        "skopeo",
        &[
            "copy",
            "--quiet",
            &from,
            &format!("oci:{}:{TAG}", copied.display()),
        ],
    );
    let round_tripped = open_image(&copied, &Default::default()).unwrap();
    // skopeo rewrites the config for OCI, keeping the diff_ids.
    assert_eq!(round_tripped.config().rootfs, image.config().rootfs);
    assert_eq!(
        round_tripped.merged_files(|_| true).unwrap(),
        image.merged_files(|_| true).unwrap()
    );
}
