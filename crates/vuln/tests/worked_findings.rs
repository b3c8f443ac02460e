//! Every worked finding of the real data (`example-findings.json`, 185 rows) is
//! reproduced: installed version -> the CVEs the newest archive version fixes, with the
//! fixed version, the changelog line as evidence, the KEV flag and date, and the
//! advisories that confirm it.
#![allow(clippy::unwrap_used)]

mod common;

use buckle_debian::BinaryPackage;
use buckle_vuln::{scan, Evidence, Installed};
use serde_json::Value;
use std::collections::BTreeMap;

/// The installed package: the point release's stanza when the data has it (binNMUs
/// carry `Source: name (version)`), else the version the scenario gives.
fn installed(release: &str, package: &Value) -> Installed {
    let text = |k: &str| package[k].as_str().unwrap().to_owned();
    let stanza: Option<BinaryPackage> = common::packages(release)
        .into_iter()
        .find(|p| p.name.as_str() == text("binary") && p.version.as_str() == text("installed"));
    match stanza {
        Some(p) => Installed {
            name: p.name,
            version: p.version,
            arch: p.arch,
            source: p.source,
            source_version: p.source_version,
            purl: None,
        },
        None => Installed {
            name: text("binary").parse().unwrap(),
            version: text("installed").parse().unwrap(),
            arch: "amd64".parse().unwrap(),
            source: text("source").parse().unwrap(),
            source_version: text("installed").parse().unwrap(),
            purl: None,
        },
    }
}

#[test]
fn every_worked_finding_is_reproduced_with_its_evidence_kev_and_confirming_advisories() {
    let examples: Value = serde_json::from_slice(&common::read("example-findings.json")).unwrap();
    let mut checked = 0;
    for scenario in examples["scenarios"].as_array().unwrap() {
        let release = scenario["release"].as_str().unwrap();
        let db = common::database(release);
        for package in scenario["packages"].as_array().unwrap() {
            let installed = installed(release, package);
            let findings = scan(&db, &release.parse().unwrap(), std::slice::from_ref(&installed));
            let context = format!("{} {} {}", scenario["id"], installed.name, installed.version);
            let expected: BTreeMap<&str, &Value> = package["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| (f["cve"].as_str().unwrap(), f))
                .collect();
            let cves: Vec<&str> = findings
                .iter()
                .filter(|f| f.id.is_cve())
                .map(|f| f.id.as_str())
                .collect();
            let mut want: Vec<&str> = expected.keys().copied().collect();
            let mut got = cves.clone();
            want.sort_unstable();
            got.sort_unstable();
            assert_eq!(got, want, "{context}");
            for finding in findings.iter().filter(|f| f.id.is_cve()) {
                let want = expected[finding.id.as_str()];
                let context = format!("{context} {}", finding.id);
                assert_eq!(
                    finding.fixed.as_ref().unwrap().as_str(),
                    want["fixed_version"].as_str().unwrap(),
                    "{context}"
                );
                let available = finding.available.as_ref().unwrap();
                assert_eq!(
                    format!("{} ({})", available.version, available.suite),
                    want["fix_available_as"].as_str().unwrap(),
                    "{context}"
                );
                let Some(Evidence::Changelog {
                    lines,
                    version,
                    distribution,
                    ..
                }) = finding.evidence.first()
                else {
                    panic!("{context}: no changelog evidence");
                };
                assert_eq!(lines.join(" | "), want["evidence"].as_str().unwrap(), "{context}");
                assert_eq!(
                    format!("{version} ({distribution})"),
                    want["first_mentioned_in"].as_str().unwrap(),
                    "{context}"
                );
                assert_eq!(finding.kev.is_some(), want["kev"].as_bool().unwrap(), "{context}");
                assert_eq!(
                    finding.kev.as_ref().map(|k| k.date_added.as_str()),
                    want["kev_date_added"].as_str(),
                    "{context}"
                );
                let confirms: Vec<String> = finding
                    .evidence
                    .iter()
                    .filter_map(|e| match e {
                        Evidence::Advisory { record, .. } => {
                            record.strip_prefix("tracker ").map(str::to_owned)
                        }
                        Evidence::Changelog { .. } => None,
                    })
                    .filter(|r| !r.starts_with("CVE-"))
                    .collect();
                let want_confirms: Vec<String> = want["tracker_confirms"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap().to_owned())
                    .collect();
                assert_eq!(confirms, want_confirms, "{context}");
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 185, "the data has 185 worked findings");
}
