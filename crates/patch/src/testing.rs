//! Values for unit tests.

use buckle_spec::LockedPackage;
use buckle_vuln::{Evidence, Finding, KevEntry};

/// A locked amd64 package whose source is its name without the trailing soname digit.
pub fn locked(name: &str, version: &str, suite: &str) -> LockedPackage {
    let source = name.trim_start_matches("lib").trim_end_matches(char::is_numeric);
    LockedPackage {
        name: name.parse().unwrap(),
        version: version.parse().unwrap(),
        architecture: "amd64".parse().unwrap(),
        source: source.parse().unwrap(),
        source_version: version.parse().unwrap(),
        suite: suite.parse().unwrap(),
        path: format!("pool/main/f/{source}/{name}_{version}_amd64.deb")
            .parse()
            .unwrap(),
        size: 1000,
        sha256: buckle_digest::Sha256::of(format!("{name} {version}").as_bytes()),
    }
}

/// A finding on an installed amd64 package, fixed in `fixed`, on KEV or not.
pub fn finding(id: &str, package: &str, installed: &str, fixed: Option<&str>, kev: bool) -> Finding {
    Finding {
        id: id.parse().unwrap(),
        aliases: Vec::new(),
        package: package.parse().unwrap(),
        arch: "amd64".parse().unwrap(),
        installed: installed.parse().unwrap(),
        source: package.parse().unwrap(),
        source_version: installed.parse().unwrap(),
        purl: None,
        fixed: fixed.map(|v| v.parse().unwrap()),
        available: None,
        severity: None,
        kev: kev.then(|| KevEntry {
            date_added: "2025-08-01".into(),
            due_date: "2025-08-22".into(),
            name: "test flaw".into(),
            ransomware: "Unknown".into(),
        }),
        epss: None,
        evidence: fixed
            .map(|v| Evidence::Changelog {
                version: v.parse().unwrap(),
                distribution: "trixie-security".into(),
                lines: vec![format!("Fix {id}")],
                trimmed: false,
            })
            .into_iter()
            .collect(),
    }
}
