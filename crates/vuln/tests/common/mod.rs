//! Access to the real vulnerability data kept beside the repository
//! (`../shared/data/vulndata`: Packages stanzas, changelogs from real .debs, tracker
//! records, the CISA KEV catalog and worked findings; see its README).
#![allow(dead_code, clippy::unwrap_used)]

use buckle_debian::{deb822, BinaryPackage};
use buckle_vuln::{newest_sources, Changelog, Release, SourceHistory};
use std::io::Read;
use std::path::PathBuf;

/// The data directory: `$BUCKLE_VULNDATA`, else `shared/data/vulndata` beside the checkout.
pub fn data_dir() -> PathBuf {
    let dir = std::env::var_os("BUCKLE_VULNDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/vulndata"));
    assert!(
        dir.join("README.md").is_file(),
        "the real vulnerability data is missing at {} (set BUCKLE_VULNDATA)",
        dir.display()
    );
    dir
}

pub fn read(path: &str) -> Vec<u8> {
    let path = data_dir().join(path);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn gunzip(bytes: &[u8]) -> String {
    let mut text = String::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut text)
        .unwrap();
    text
}

/// The packages of `packages/<suite>.Packages`.
pub fn packages(suite: &str) -> Vec<BinaryPackage> {
    let text = String::from_utf8(read(&format!("packages/{suite}.Packages"))).unwrap();
    deb822::paragraphs(&text)
        .map(|p| BinaryPackage::from_paragraph(&p.unwrap()).unwrap())
        .collect()
}

/// The stored changelog of a binary package version from a suite (directory names
/// write `:` as `%3a`).
pub fn changelog_file(suite: &str, binary: &str, version: &str) -> (String, String) {
    let dir = data_dir()
        .join("changelogs")
        .join(suite)
        .join(format!("{binary}_{}", version.replace(':', "%3a")));
    for name in ["changelog.Debian.gz", "changelog.gz"] {
        let path = dir.join(name);
        if path.is_file() {
            return (name.to_owned(), gunzip(&std::fs::read(&path).unwrap()));
        }
    }
    panic!("no changelog in {}", dir.display());
}

/// The release's histories as `buckle feeds update` builds them: for every source
/// package, the newest version across the release's suites (by dpkg order) and the
/// changelog of that version's binary package.
pub fn histories(release: &str) -> Vec<SourceHistory> {
    let suites = [release.to_owned(), format!("{release}-security")];
    let indexes: Vec<(String, Vec<BinaryPackage>)> =
        suites.iter().map(|s| (s.clone(), packages(s))).collect();
    let newest = newest_sources(indexes.iter().map(|(s, p)| (s.as_str(), p.as_slice())));
    newest
        .into_iter()
        .map(|(source, newest)| {
            let binary = &newest.binaries[0];
            let (file, text) = changelog_file(&newest.suite, binary.name.as_str(), binary.version.as_str());
            SourceHistory {
                release: release.parse::<Release>().unwrap(),
                source,
                version: newest.version.clone(),
                suite: newest.suite.clone(),
                binary: binary.name.clone(),
                binary_version: binary.version.clone(),
                deb_sha256: binary.sha256,
                changelog_path: format!("usr/share/doc/{}/{file}", binary.name),
                changelog: Changelog::parse(&text).unwrap(),
            }
        })
        .collect()
}
