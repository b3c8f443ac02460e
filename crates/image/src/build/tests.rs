use super::*;
use crate::harden::elf::test_object;
use buckle_oci::layout::{Layout, LayoutWriter};
use buckle_testkit::deb::DebBuilder;
use std::sync::atomic::{AtomicUsize, Ordering};

const EPOCH: u64 = 1_750_000_000;

fn packages() -> Vec<DebBuilder> {
    vec![
        DebBuilder::new("base-files", "13.8", "amd64")
            .dir("tmp", 0o1777)
            .file(
                "usr/lib/os-release",
                b"PRETTY_NAME=\"Debian GNU/Linux 13 (trixie)\"\nID=debian\n",
                0o644,
            )
            .symlink("etc/os-release", "../usr/lib/os-release")
            .file("usr/share/doc/base-files/copyright", b"GPL\n", 0o644),
        DebBuilder::new("libc6", "2.41-12", "amd64")
            .field("Source", "glibc")
            .file(
                "etc/ld.so.conf.d/x86_64-linux-gnu.conf",
                b"/usr/lib/x86_64-linux-gnu\n",
                0o644,
            )
            .file(
                "usr/lib/x86_64-linux-gnu/libc.so.6",
                &test_object(true, 62, Some("libc.so.6")),
                0o755,
            ),
        DebBuilder::new("ca-certificates", "20250419", "all").file(
            "usr/share/ca-certificates/mozilla/Test_Root.crt",
            b"-----BEGIN CERTIFICATE-----\nMII=\n-----END CERTIFICATE-----\n",
            0o644,
        ),
        DebBuilder::new("hello", "1.0-1", "amd64").file("usr/bin/hello", b"#!hello\n", 0o4755),
    ]
}

fn inputs(builders: &[DebBuilder]) -> Vec<PackageInput> {
    builders
        .iter()
        .map(|b| PackageInput {
            name: format!(
                "{}.deb",
                b.control_text()
                    .lines()
                    .next()
                    .unwrap()
                    .trim_start_matches("Package: ")
            ),
            locked: None,
            deb: Box::new(std::io::Cursor::new(b.build())),
        })
        .collect()
}

fn options() -> BuildOptions {
    let mut config = ImageConfig {
        entrypoint: vec!["/usr/bin/hello".to_owned()],
        ..ImageConfig::default()
    };
    config
        .labels
        .insert("com.example.team".to_owned(), "platform".to_owned());
    let mut options = BuildOptions::new(
        "amd64".parse().unwrap(),
        Variant::Runtime,
        config,
        OsRelease::debian("13", "trixie"),
        EPOCH,
    );
    options
        .annotations
        .insert(annotation::TITLE.to_owned(), "hello".to_owned());
    options
}

fn build_into(dir: &std::path::Path, options: &BuildOptions) -> Result<BuiltImage> {
    let layout = LayoutWriter::create(dir.join("image")).unwrap();
    let built = build(inputs(&packages()), options, &layout, &NoReporter)?;
    layout.finish(&image_index(vec![built.manifest.clone()])).unwrap();
    Ok(built)
}

#[test]
fn two_builds_in_different_places_give_the_same_digest() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let first = build_into(a.path(), &options()).unwrap();
    let second = build_into(b.path(), &options()).unwrap();
    assert_eq!(first.manifest.digest, second.manifest.digest);
    let mut later = options();
    later.source_date_epoch += 1;
    let third = build_into(b.path(), &later).unwrap();
    assert_ne!(
        first.manifest.digest, third.manifest.digest,
        "SOURCE_DATE_EPOCH is part of the image"
    );
}

#[test]
fn config_runs_as_nonroot_with_path_and_certificates() {
    let dir = tempfile::tempdir().unwrap();
    let built = build_into(dir.path(), &options()).unwrap();
    let config = built.config.config.as_ref().unwrap();
    assert_eq!(config.user.as_deref(), Some("65532:65532"));
    assert_eq!(
        config.env,
        [
            format!("PATH={DEFAULT_PATH}"),
            "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt".to_owned()
        ]
    );
    assert_eq!(
        config.entrypoint.as_deref(),
        Some(&["/usr/bin/hello".to_owned()][..])
    );
    assert_eq!(config.working_dir.as_deref(), Some("/home/nonroot"));
    assert_eq!(
        config.labels.get(annotation::TITLE).map(String::as_str),
        Some("hello")
    );
    assert_eq!(
        config.labels.get("com.example.team").map(String::as_str),
        Some("platform")
    );
    assert_eq!(built.config.created.as_deref(), Some("2025-06-15T15:06:40Z"));
    assert_eq!(built.manifest.platform, Some(Platform::linux("amd64")));
    assert_eq!(built.config.rootfs.diff_ids.len(), built.layers.len());
    let names: Vec<&str> = built.layers.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(
        names,
        ["base-files", "ca-certificates", "glibc", "rest", "buckle"]
    );

    let layout = Layout::open(dir.path().join("image")).unwrap();
    let manifest = layout.read_manifest(&built.manifest).unwrap();
    assert_eq!(
        manifest.annotations.get(annotation::CREATED).map(String::as_str),
        Some("2025-06-15T15:06:40Z")
    );
}

#[test]
fn package_that_differs_from_its_lock_entry_is_rejected() {
    let builders = packages();
    let mut inputs = inputs(&builders);
    let locked = LockedPackage {
        name: "hello".parse().unwrap(),
        version: "1.0-2".parse().unwrap(),
        architecture: "amd64".parse().unwrap(),
        source: "hello".parse().unwrap(),
        source_version: "1.0-2".parse().unwrap(),
        suite: "trixie".parse().unwrap(),
        path: "pool/main/h/hello/hello_1.0-2_amd64.deb".parse().unwrap(),
        size: 1,
        sha256: Sha256::of(b"x"),
    };
    inputs[3].locked = Some(locked);
    let dir = tempfile::tempdir().unwrap();
    let layout = LayoutWriter::create(dir.path().join("image")).unwrap();
    let err = build(inputs, &options(), &layout, &NoReporter).unwrap_err();
    assert_eq!(
        err.to_string(),
        "`hello.deb` does not match the lock: expected Version `1.0-2`, found `1.0-1`"
    );
}

#[test]
fn package_for_another_architecture_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = options();
    options.arch = "arm64".parse().unwrap();
    let err = build_into(dir.path(), &options).unwrap_err();
    assert!(
        err.to_string()
            .contains("expected Architecture `arm64 or all`, found `amd64`"),
        "{err}"
    );
}

#[derive(Default)]
struct Counting {
    packages: AtomicUsize,
    layers: AtomicUsize,
}

impl Reporter for Counting {
    fn on_package_unpacked(&self, _package: &str) {
        self.packages.fetch_add(1, Ordering::Relaxed);
    }
    fn on_layer_written(&self, _layer: &str, _descriptor: &Descriptor) {
        self.layers.fetch_add(1, Ordering::Relaxed);
    }
}

#[test]
fn reporter_hears_every_package_and_layer() {
    let dir = tempfile::tempdir().unwrap();
    let layout = LayoutWriter::create(dir.path().join("image")).unwrap();
    let reporter = Counting::default();
    let built = build(inputs(&packages()), &options(), &layout, &reporter).unwrap();
    assert_eq!(reporter.packages.load(Ordering::Relaxed), 4);
    assert_eq!(reporter.layers.load(Ordering::Relaxed), built.layers.len());
}

#[test]
fn multi_arch_index_lists_each_platform() {
    let amd64 = Descriptor::new(buckle_oci::media_type::OCI_MANIFEST, Sha256::of(b"a"), 1)
        .with_platform(Platform::linux("amd64"));
    let arm64 =
        Descriptor::new(buckle_oci::media_type::OCI_MANIFEST, Sha256::of(b"b"), 1).with_platform(Platform {
            variant: Some("v8".into()),
            ..Platform::linux("arm64")
        });
    let index = image_index(vec![amd64, arm64]);
    let platforms: Vec<String> = index
        .manifests
        .iter()
        .map(|m| m.platform.as_ref().unwrap().to_string())
        .collect();
    assert_eq!(platforms, ["linux/amd64", "linux/arm64/v8"]);
}

#[test]
fn spec_files_replace_package_files_through_symlinks() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = options();
    options
        .extra_files
        .insert("etc/os-release".parse().unwrap(), b"ID=custom\n".to_vec());
    build_into(dir.path(), &options).unwrap();
    let image = buckle_oci::open_image(&dir.path().join("image"), &Default::default()).unwrap();
    let files = image.merged_files(|_| true).unwrap();
    let real = &files[&"usr/lib/os-release".parse::<RelPath>().unwrap()];
    assert_eq!(real.content.as_deref(), Some(&b"ID=custom\n"[..]));
    assert_eq!(real.entry.mode & 0o7777, 0o644);
    assert!(matches!(
        files[&"etc/os-release".parse::<RelPath>().unwrap()].entry.kind,
        buckle_oci::tar::EntryKind::Symlink { .. }
    ));
}
