//! Where `-o` writes: a regular file or new path is replaced atomically, a FIFO or a
//! device is written in place and stays what it is, a symbolic link is followed to the
//! file it names, and `-` is stdout (or a clear refusal where a command writes a
//! directory or two files).

use crate::fixture::Fixture;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

fn built() -> Fixture {
    let f = Fixture::new();
    f.buckle.run(&["build", "hello.toml"]).ok();
    f
}

fn mkfifo(path: &Path) {
    assert!(std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap()
        .success());
}

/// Reads `fifo` to its end on another thread.
fn read_in_background(fifo: &Path) -> std::thread::JoinHandle<Vec<u8>> {
    let fifo = fifo.to_owned();
    std::thread::spawn(move || std::fs::read(fifo).unwrap())
}

/// The repository tags of the docker archive made of `bytes`.
fn archive_tags(f: &Fixture, bytes: &[u8]) -> Vec<String> {
    let path = f.path("received.tar");
    std::fs::write(&path, bytes).unwrap();
    let archive = buckle_oci::docker_archive::DockerArchive::open(&path).unwrap();
    archive
        .images()
        .iter()
        .flat_map(|i| i.repo_tags.clone())
        .collect()
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

#[test]
fn sbom_into_a_fifo_reaches_its_reader_and_the_fifo_stays_a_fifo() {
    let f = built();
    let fifo = f.path("sbom.pipe");
    mkfifo(&fifo);
    let reader = read_in_background(&fifo);
    f.buckle
        .run(&["sbom", "out/hello", "-o", fifo.to_str().unwrap()])
        .ok();
    let document: serde_json::Value = serde_json::from_slice(&reader.join().unwrap()).unwrap();
    assert_eq!(document["spdxVersion"], "SPDX-2.3");
    assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
}

#[test]
fn sbom_through_a_symlink_replaces_the_file_it_names_and_keeps_the_link() {
    let f = built();
    std::fs::create_dir(f.path("reports")).unwrap();
    std::fs::write(f.path("reports/hello.spdx.json"), "old").unwrap();
    std::os::unix::fs::symlink("reports/hello.spdx.json", f.path("latest.json")).unwrap();
    f.buckle.run(&["sbom", "out/hello", "-o", "latest.json"]).ok();
    let link = std::fs::symlink_metadata(f.path("latest.json")).unwrap();
    assert!(link.file_type().is_symlink());
    let document: serde_json::Value = serde_json::from_str(&f.read("reports/hello.spdx.json")).unwrap();
    assert_eq!(document["spdxVersion"], "SPDX-2.3");
}

#[test]
fn sbom_into_a_character_device_leaves_the_device_in_place() {
    let f = built();
    if !is_root() {
        // mknod needs root; /dev/null is the device every machine has.
        eprintln!("not root: the mknod device is skipped; writing to /dev/null instead");
        f.buckle.run(&["sbom", "out/hello", "-o", "/dev/null"]).ok();
        assert!(std::fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device());
        return;
    }
    let device = f.path("null");
    assert!(std::process::Command::new("mknod")
        .arg(&device)
        .args(["c", "1", "3"])
        .status()
        .unwrap()
        .success());
    f.buckle
        .run(&["sbom", "out/hello", "-o", device.to_str().unwrap()])
        .ok();
    let meta = std::fs::symlink_metadata(&device).unwrap();
    assert!(meta.file_type().is_char_device(), "{meta:?}");
    assert_eq!(meta.rdev(), std::fs::metadata("/dev/null").unwrap().rdev());
}

#[test]
fn dash_is_stdout_for_every_writer_that_can_stream() {
    let f = built();
    let sbom = f.buckle.run(&["sbom", "out/hello", "-o", "-"]).ok();
    assert_eq!(sbom.json()["spdxVersion"], "SPDX-2.3");
    assert!(!f.path("-").exists());

    f.update_archive_feed();
    let scan = f
        .buckle
        .run(&[
            "scan",
            "out/hello",
            "--release",
            "trixie",
            "-f",
            "json",
            "-o",
            "-",
        ])
        .ok();
    assert!(scan.json()["findings"].is_array(), "{}", scan.stdout);
    assert!(!f.path("-").exists());

    let archive = f
        .buckle
        .command()
        .args(["build", "hello.toml", "--format", "docker-archive", "-o", "-"])
        .output()
        .unwrap();
    assert!(
        archive.status.success(),
        "{}",
        String::from_utf8_lossy(&archive.stderr)
    );
    assert_eq!(archive_tags(&f, &archive.stdout), ["buckle/hello:latest"]);
    assert!(!f.path("-").exists());
}

#[test]
fn dash_is_refused_where_the_output_is_a_directory_or_two_files() {
    let f = Fixture::new();
    let layout = f.buckle.run(&["build", "hello.toml", "-o", "-"]).fails_with(2);
    assert!(
        layout.stderr.contains("an OCI layout is a directory"),
        "{}",
        layout.stderr
    );
    let keys = f
        .buckle
        .run_with_password(Some("pw"), &["keygen", "-o", "-"])
        .fails_with(2);
    assert!(keys.stderr.contains("NAME.key and NAME.pub"), "{}", keys.stderr);
    assert!(!f.path("-").exists() && !f.path("-.key").exists());
}

#[test]
fn a_layout_into_a_fifo_is_refused_and_the_fifo_stays() {
    let f = Fixture::new();
    let fifo = f.path("image.pipe");
    mkfifo(&fifo);
    let run = f.buckle.run(&["build", "hello.toml", "-o", "image.pipe"]);
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("exists and is not a directory"),
        "{}",
        run.stderr
    );
    assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
}

#[test]
fn a_docker_archive_streams_into_a_fifo() {
    let f = Fixture::new();
    let fifo = f.path("load.pipe");
    mkfifo(&fifo);
    let reader = read_in_background(&fifo);
    f.buckle
        .run(&[
            "build",
            "hello.toml",
            "--format",
            "docker-archive",
            "-o",
            "load.pipe",
        ])
        .ok();
    assert_eq!(archive_tags(&f, &reader.join().unwrap()), ["buckle/hello:latest"]);
    assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
}
