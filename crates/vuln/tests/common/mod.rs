//! The real vulnerability data (see `buckle_testkit::vulndata`) as buckle-vuln values.
#![allow(dead_code, clippy::unwrap_used)]

use buckle_debian::{deb822, BinaryPackage};
use buckle_vuln::{kev, newest_sources, tracker, Changelog, Database, Release, SourceHistory};

pub use buckle_testkit::vulndata::{dir as data_dir, gunzip, read};

/// `dpkg --compare-versions a lt b`, the oracle for version order.
pub fn dpkg_lt(a: &str, b: &str) -> bool {
    std::process::Command::new("dpkg")
        .args(["--compare-versions", a, "lt", b])
        .status()
        .expect("dpkg is installed")
        .success()
}

/// A changelog excerpt of `testdata/changelogs` (see its README).
pub fn excerpt(name: &str) -> Changelog {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/changelogs")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Changelog::parse(&text).unwrap()
}

/// A history of `source` in `release` whose newest version is the changelog's top entry.
pub fn history_of(release: &str, source: &str, binary: &str, changelog: Changelog) -> SourceHistory {
    let version = changelog.entries[0].version.clone();
    SourceHistory {
        release: release.parse().unwrap(),
        source: source.parse().unwrap(),
        version: version.clone(),
        suite: format!("{release}-security"),
        binary: binary.parse().unwrap(),
        binary_version: version,
        deb_sha256: None,
        changelog_path: format!("usr/share/doc/{binary}/changelog.Debian.gz"),
        changelog,
    }
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

/// Everything the data holds for a release: its histories, the KEV catalog and the
/// tracker records.
pub fn database(release: &str) -> Database {
    let mut db = Database::new();
    for history in histories(release) {
        db.add_history(history);
    }
    db.set_kev(kev::parse("kev", &read("kev/known_exploited_vulnerabilities.json")).unwrap());
    for record in [
        "DSA-5729-1",
        "DSA-6000-1",
        "DSA-6537-1",
        "DSA-6545-1",
        "DLA-4820-1",
        "CVE-2024-38475",
        "CVE-2025-27363",
    ] {
        let path = format!("tracker/{record}.json");
        db.add_advisories(tracker::parse(&path, &read(&path)).unwrap());
    }
    db
}
