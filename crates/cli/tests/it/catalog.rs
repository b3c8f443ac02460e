//! One small built catalog shared by the site and MCP tests, built once per test
//! binary: `hello` signed in both variants, `foo` (whose libfoo1 has a KEV-listed CVE)
//! rebuilt by `update --rebuild --sign` with the fix, so it has an advisory; the feed
//! store holds the test KEV file, a tracker export and the archive's data.

use crate::fixture::{packages, Fixture, FIXED_CVE, KEV};
use std::path::PathBuf;
#[cfg(feature = "clients")]
use std::process::Command;
use std::sync::OnceLock;

pub const PASSWORD: &str = "catalog test";

pub fn built() -> &'static Fixture {
    static CATALOG: OnceLock<Fixture> = OnceLock::new();
    CATALOG.get_or_init(build)
}

fn build() -> Fixture {
    let f = Fixture::new();
    std::fs::create_dir(f.path("catalog")).unwrap();
    std::fs::rename(f.path("hello.toml"), f.path("catalog/hello.toml")).unwrap();
    std::fs::copy(f.path("archive.asc"), f.path("catalog/archive.asc")).unwrap();
    f.write_spec(
        "catalog/foo.toml",
        "name = \"foo\"\ndescription = \"an image with libfoo\"\npackages = [\"base-files\", \"libfoo1\"]\n",
    );
    let password = Some(PASSWORD);
    f.buckle
        .run_with_password(password, &["keygen", "-o", "release"])
        .ok();
    for args in [
        &[
            "build",
            "catalog/hello.toml",
            "catalog/foo.toml",
            "--sign",
            "release.key",
        ][..],
        &[
            "build",
            "catalog/hello.toml",
            "--variant",
            "dev",
            "--sign",
            "release.key",
        ][..],
    ] {
        f.buckle.run_with_password(password, args).ok();
    }
    std::fs::write(f.path("kev.json"), KEV).unwrap();
    std::fs::write(
        f.path("tracker.json"),
        format!(
            r#"{{"foo": {{"{FIXED_CVE}": {{"releases": {{"trixie": {{"status": "resolved", "fixed_version": "1.0-1+deb13u1", "urgency": "high"}}}}}}}},
                "hello": {{"CVE-2099-0003": {{"releases": {{"trixie": {{"status": "open", "urgency": "low"}}}}}}}}}}"#
        ),
    )
    .unwrap();
    f.buckle
        .run(&["feeds", "import", "kev.json", "tracker.json"])
        .ok();
    f.republish_now(packages(2));
    f.update_archive_feed();
    let update = [
        "update",
        "catalog/foo.toml",
        "--rebuild",
        "--sign",
        "release.key",
        "--variant",
        "runtime",
    ];
    f.buckle.run_with_password(password, &update).ok();
    // The catalog outlives the tests (a static is never dropped): say where it is.
    eprintln!("the built catalog: {}", f.dir.path().display());
    f
}

/// The Python of the test environment scripts/test makes (target/test-venv), with the
/// official MCP SDK, Selenium; else the first `python3` on the PATH.
#[cfg(feature = "clients")]
pub fn python() -> Command {
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/test-venv/bin/python3");
    let python = if venv.exists() {
        venv
    } else {
        PathBuf::from("python3")
    };
    let mut command = Command::new(python);
    command.env("PYTHONDONTWRITEBYTECODE", "1");
    command
}

/// A test driver beside a crate's sources (`crates/site/tests/browser.py`).
#[cfg(feature = "clients")]
pub fn driver(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").join(path)
}

/// Where a test leaves files for people to look at: `target/test-artifacts/NAME`.
#[cfg(feature = "clients")]
pub fn artifacts(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/test-artifacts")
        .join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
