//! Against the real Debian mirror that the host's apt uses (feature `mirror`). With the
//! feature on, the network is required: these tests fail without it, never skip.
#![cfg(feature = "mirror")]
#![allow(clippy::unwrap_used)]

use buckle_archive::{from_apt_config, Archive, Cache, Keyring, ReleaseDate, VerifiedRelease};
use buckle_debian::{BinaryPackage, MirrorUrl, Version};
use std::collections::BTreeSet;
use std::process::Command;
use std::time::SystemTime;

fn archive(dir: &tempfile::TempDir) -> Archive {
    Archive::new(buckle_http::Client::new(), Cache::new(dir.path()))
}

fn now() -> ReleaseDate {
    ReleaseDate::from_system_time(SystemTime::now())
}

fn mirror() -> MirrorUrl {
    from_apt_config("/etc/apt".as_ref())
        .unwrap()
        .archive()
        .unwrap()
        .clone()
}

fn open(archive: &Archive, mirror: &MirrorUrl, suite: &str) -> VerifiedRelease {
    archive
        .open_suite(mirror, &suite.parse().unwrap(), &Keyring::debian(), now(), None)
        .unwrap_or_else(|e| panic!("{suite}: {e}: {:?}", std::error::Error::source(&e)))
}

#[test]
fn real_trixie_and_bookworm_inrelease_verify_with_the_shipped_keys() {
    let dir = tempfile::tempdir().unwrap();
    let archive = archive(&dir);
    let mirror = mirror();
    for (suite, codename) in [
        ("trixie", "trixie"),
        ("bookworm", "bookworm"),
        ("stable", "trixie"),
    ] {
        let release = open(&archive, &mirror, suite);
        assert_eq!(release.release.codename.as_deref(), Some(codename));
        assert!(release.release.acquire_by_hash);
        assert!(release
            .release
            .sha256
            .contains_key("main/binary-amd64/Packages.xz"));
    }
    assert!(open(&archive, &mirror, "trixie").release.arch_all_in_arch_indices);
}

#[test]
fn real_security_inrelease_verifies_and_has_a_current_valid_until() {
    let dir = tempfile::tempdir().unwrap();
    let security = from_apt_config("/etc/apt".as_ref())
        .unwrap()
        .security()
        .unwrap()
        .clone();
    let release = open(&archive(&dir), &security, "trixie-security");
    assert!(release.release.valid_until.unwrap() > now());
}

#[test]
fn real_trixie_inrelease_signed_only_by_an_unknown_key_fails() {
    let dir = tempfile::tempdir().unwrap();
    let stranger = buckle_testkit::keys::TestKey::generate("stranger");
    let keyring = Keyring::from_bytes("stranger", stranger.armored_public().as_bytes()).unwrap();
    let err = archive(&dir)
        .open_suite(&mirror(), &"trixie".parse().unwrap(), &keyring, now(), None)
        .unwrap_err();
    let message = err.to_string();
    // Debian's trixie automatic signing subkey is among the signers named.
    assert!(
        message.contains("B8E5F13176D2A7A75220028078DBA3BC47EF2265"),
        "{message}"
    );
}

#[test]
fn real_trixie_amd64_index_is_fetched_verified_cached_and_parsed() {
    let dir = tempfile::tempdir().unwrap();
    let archive = archive(&dir);
    let release = open(&archive, &mirror(), "trixie");
    let (main, amd64) = ("main".parse().unwrap(), "amd64".parse().unwrap());
    let packages = archive.index(&release, &main, &amd64).unwrap();
    assert!(packages.len() > 50_000, "{} packages", packages.len());
    assert!(packages
        .iter()
        .any(|p| p.name.as_str() == "libc6" && p.arch.as_str() == "amd64"));
    let decoded = release.release.sha256["main/binary-amd64/Packages"].sha256;
    assert!(archive.cache().contains(&decoded));
    assert_eq!(
        archive.index(&release, &main, &amd64).unwrap().len(),
        packages.len()
    );
}

#[test]
fn real_trixie_and_bookworm_packages_include_arch_all_packages() {
    let dir = tempfile::tempdir().unwrap();
    let archive = archive(&dir);
    for suite in ["trixie", "bookworm"] {
        let release = open(&archive, &mirror(), suite);
        let index = archive
            .packages(&release, &"main".parse().unwrap(), &"amd64".parse().unwrap())
            .unwrap();
        assert!(
            index.packages.len() > 50_000,
            "{suite}: {} packages",
            index.packages.len()
        );
        assert!(index.packages.iter().any(|p| p.name.as_str() == "libc6"));
        assert!(index
            .packages
            .iter()
            .any(|p| p.name.as_str() == "tzdata" && p.arch.is_all()));
    }
}

#[test]
fn version_order_of_every_real_trixie_version_agrees_with_dpkg() {
    let dir = tempfile::tempdir().unwrap();
    let archive = archive(&dir);
    let release = open(&archive, &mirror(), "trixie");
    let packages = archive
        .index(&release, &"main".parse().unwrap(), &"amd64".parse().unwrap())
        .unwrap();
    let versions = distinct_sorted_versions(&packages);
    assert!(versions.len() > 20_000, "{} versions", versions.len());
    // Every adjacent pair would be ~50,000 dpkg runs; check an evenly spread sample of
    // 2,500 pairs plus every pair that compares equal with different spellings.
    let step = (versions.len() / 2500).max(1);
    let mut pairs: Vec<(&Version, &Version)> = versions
        .windows(2)
        .step_by(step)
        .map(|w| (&w[0], &w[1]))
        .collect();
    pairs.extend(
        versions
            .windows(2)
            .filter(|w| w[0] == w[1])
            .map(|w| (&w[0], &w[1])),
    );
    let disagreements = dpkg_disagreements(&pairs);
    assert!(disagreements.is_empty(), "dpkg disagrees on {disagreements:?}");
    assert!(pairs.len() >= 2500);
}

fn distinct_sorted_versions(packages: &[BinaryPackage]) -> Vec<Version> {
    let strings: BTreeSet<&str> = packages.iter().map(|p| p.version.as_str()).collect();
    let mut versions: Vec<Version> = strings.into_iter().map(|s| s.parse().unwrap()).collect();
    versions.sort();
    versions
}

/// Runs one shell loop over all pairs (one `dpkg --compare-versions` each) and returns
/// the pairs where dpkg does not agree that `a < b` (or `a = b` when buckle says equal).
fn dpkg_disagreements(pairs: &[(&Version, &Version)]) -> Vec<String> {
    let input: String = pairs
        .iter()
        .map(|(a, b)| {
            let op = if a == b { "eq" } else { "lt" };
            format!("{a} {op} {b}\n")
        })
        .collect();
    let script = r#"while read a op b; do dpkg --compare-versions "$a" "$op" "$b" || echo "$a $op $b"; done"#;
    let mut child = Command::new("sh")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || std::io::Write::write_all(&mut stdin, input.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}
