//! A normal Debian image: `mmdebstrap --variant=minbase` bookworm from the mirror the
//! host's apt uses, turned into a one-layer OCI layout with `buckle-oci`, plus an app
//! layer that runs as root, adds a setuid binary and a private key, and starts through
//! a shell script. Each of those fails its rule with a message that names it.
//!
//! Needs `mmdebstrap`, root (or a working unshare mode) and the mirror named in
//! `/etc/apt/sources.list.d/debian.sources`; with the `mirror` feature on they are
//! required.

use crate::support::*;
use buckle_check::{check, Policy, Status};
use buckle_oci::layout::LayoutWriter;
use buckle_oci::tar::{Compression, EntryKind, Reader};
use buckle_oci::{annotation, ContainerConfig, History, ImageConfig, ImageIndex, ImageManifest, RootFs};
use std::path::{Path, PathBuf};
use std::process::Command;

const SOURCES: &str = "/etc/apt/sources.list.d/debian.sources";

/// The first `URIs` of the host's deb822 sources whose `Suites` list `suite`.
fn host_mirror(suite: &str) -> String {
    let text = std::fs::read_to_string(SOURCES).unwrap_or_else(|e| panic!("cannot read {SOURCES}: {e}"));
    for stanza in text.split("\n\n") {
        let field = |name: &str| {
            stanza
                .lines()
                .find_map(|line| line.strip_prefix(name).and_then(|rest| rest.strip_prefix(':')))
                .map(str::trim)
        };
        let has_suite = field("Suites").is_some_and(|suites| suites.split_whitespace().any(|s| s == suite));
        if let (true, Some(uris)) = (has_suite, field("URIs")) {
            return uris.split_whitespace().next().unwrap().to_owned();
        }
    }
    panic!("{SOURCES} has no stanza for `{suite}`");
}

fn mmdebstrap(dir: &Path) -> PathBuf {
    let tar = dir.join("rootfs.tar");
    let out = Command::new("mmdebstrap")
        .args(["--variant=minbase", "--format=tar", "--quiet", "bookworm"])
        .arg(&tar)
        .arg(host_mirror("bookworm"))
        .output()
        .expect("mmdebstrap on PATH (apt-get install mmdebstrap)");
    assert!(
        out.status.success(),
        "mmdebstrap failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    tar
}

/// The app layer: a shell entrypoint script, a setuid helper, a private key.
fn app_layer() -> Vec<(buckle_oci::tar::Entry, Vec<u8>)> {
    vec![
        dir("app", 0o755),
        file(
            "app/entrypoint.sh",
            0o755,
            b"#!/bin/sh\nset -e\nexec /usr/local/bin/helper \"$@\"\n",
        ),
        dir("usr/local/bin", 0o755),
        file("usr/local/bin/helper", 0o4755, b"#!/bin/sh\nid\n"),
        dir("root/.ssh", 0o700),
        file("root/.ssh/id_rsa", 0o600, PRIVATE_KEY.as_bytes()),
    ]
}

/// The root file system tar as the first layer (device nodes left out: buckle's
/// layer writer refuses them), the app layer second.
fn write_layout(rootfs: &Path, target: &Path) -> usize {
    let writer = LayoutWriter::create(target).unwrap();
    let mut base = writer.layer_writer(Compression::Gzip, 0).unwrap();
    let mut reader = Reader::new(std::fs::File::open(rootfs).unwrap());
    let mut devices = 0;
    for item in reader.entries().unwrap() {
        let (entry, content) = item.unwrap();
        if matches!(
            entry.kind,
            EntryKind::CharDevice | EntryKind::BlockDevice | EntryKind::Fifo
        ) {
            devices += 1;
            continue;
        }
        if !entry.path.is_root() {
            base.append(&entry, content).unwrap();
        }
    }
    let (base, base_digests) = writer.commit_layer(base).unwrap();
    let mut app = writer.layer_writer(Compression::Gzip, 0).unwrap();
    for (entry, content) in app_layer() {
        app.append(&entry, content.as_slice()).unwrap();
    }
    let (app, app_digests) = writer.commit_layer(app).unwrap();
    let history = ["mmdebstrap --variant=minbase bookworm", "COPY app / # buildkit"]
        .map(|c| History {
            created_by: Some(c.to_owned()),
            ..History::default()
        })
        .to_vec();
    let config = ImageConfig {
        architecture: "amd64".into(),
        os: "linux".into(),
        config: Some(ContainerConfig {
            entrypoint: Some(vec!["/app/entrypoint.sh".into()]),
            env: vec!["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into()],
            ..ContainerConfig::default()
        }),
        rootfs: RootFs::layers(vec![base_digests.diff_id, app_digests.diff_id]),
        history,
        ..ImageConfig::default()
    };
    let config = writer.put_config(&config).unwrap();
    let manifest = writer
        .put_manifest(&ImageManifest::new(config, vec![base, app]))
        .unwrap();
    writer
        .finish(&ImageIndex::new(vec![
            manifest.with_annotation(annotation::REF_NAME, "latest")
        ]))
        .unwrap();
    devices
}

#[test]
fn a_minbase_debian_app_image_fails_root_setuid_key_shell_and_entrypoint_rules() {
    let dir = tempfile::tempdir().unwrap();
    let rootfs = mmdebstrap(dir.path());
    let layout = dir.path().join("image");
    write_layout(&rootfs, &layout);
    let view = view_of_layout(&layout).unwrap();
    let report = check(&view, &Policy::default());
    let failed = |rule: &str| {
        let f = finding(&report, rule);
        assert_eq!(f.status, Status::Fail, "{rule}: {}", f.message);
        f.message.clone()
    };

    assert_eq!(
        failed("BKL-USER-ROOT"),
        "the image runs as root: `User` is not set: config:User (not set)"
    );
    let setuid = failed("BKL-SETUID");
    assert!(
        setuid.contains("/usr/bin/passwd (setuid uid 0, package `passwd`)") || setuid.contains(" more"),
        "{setuid}"
    );
    let setuid_paths: Vec<&str> = finding(&report, "BKL-SETUID")
        .evidence
        .iter()
        .map(|e| e.location.as_str())
        .collect();
    assert!(
        setuid_paths.contains(&"/usr/local/bin/helper"),
        "{setuid_paths:?}"
    );
    assert!(setuid_paths.contains(&"/usr/bin/passwd"), "{setuid_paths:?}");
    assert_eq!(
        failed("BKL-SECRET-PRIVATE-KEY"),
        "private keys are in the image: /root/.ssh/id_rsa (PEM `PRIVATE KEY`)"
    );
    assert_eq!(
        failed("BKL-ENTRYPOINT-SHELL"),
        "`/app/entrypoint.sh` is a shell script (`#!/bin/sh`) and breaks without a shell: /app/entrypoint.sh (`#!/bin/sh`)"
    );
    let shell = failed("BKL-SHELL");
    assert!(shell.contains("bash (package `bash`)"), "{shell}");
    assert!(shell.contains("dash (package `dash`)"), "{shell}");
    let managers = failed("BKL-PACKAGE-MANAGER");
    assert!(managers.contains("/apt-get (package `apt`)"), "{managers}");
    assert!(managers.contains("/dpkg (package `dpkg`)"), "{managers}");
    assert_eq!(
        failed("BKL-TAG-LATEST"),
        "the image is tagged only `latest`: tag:latest"
    );

    let metadata = finding(&report, "BKL-PACKAGE-METADATA-MISSING");
    assert_eq!(metadata.status, Status::Pass, "{}", metadata.message);
    let stale = finding(&report, "BKL-PACKAGE-METADATA-STALE");
    assert_eq!(
        stale.status,
        Status::Pass,
        "every minbase binary belongs to a package: {}",
        stale.message
    );
    assert_eq!(finding(&report, "BKL-TMP").status, Status::Pass);
    assert!(report.score < 50, "{}", report.explanation());
}
