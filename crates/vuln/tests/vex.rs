//! VEX statements from a user's OpenVEX file and automatic ones, applied to findings
//! from the real data; documents out.
#![allow(clippy::unwrap_used)]

mod common;

use buckle_vuln::vex::{parse_openvex, to_cyclonedx, to_openvex};
use buckle_vuln::{apply, sarif, scan, Database, Installed, Justification, Presence, VexStatus};

fn findings() -> Vec<buckle_vuln::Finding> {
    let mut db = Database::new();
    for h in common::histories("bookworm") {
        db.add_history(h);
    }
    let p = common::packages("bookworm")
        .into_iter()
        .find(|p| p.name.as_str() == "libssh2-1")
        .unwrap();
    let installed = Installed {
        purl: Some(format!(
            "pkg:deb/debian/{}@{}?arch=amd64&distro=debian-12",
            p.name,
            p.version.as_str().replace('+', "%2B")
        )),
        name: p.name,
        version: p.version,
        arch: p.arch,
        source: p.source,
        source_version: p.source_version,
    };
    scan(&db, &"bookworm".parse().unwrap(), &[installed])
}

const USER_VEX: &str = r#"{"@context": "https://openvex.dev/ns/v0.2.0", "@id": "urn:x", "author": "team", "timestamp": "2026-11-23T00:00:00Z", "version": 1,
  "statements": [
    {"vulnerability": {"name": "CVE-2025-15661"}, "products": [{"@id": "pkg:deb/debian/libssh2-1@1.10.0-3%2Bb1"}], "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path", "impact_statement": "SFTP is not used"},
    {"vulnerability": {"name": "CVE-2026-7598"}, "products": [{"@id": "pkg:deb/debian/openssl"}], "status": "not_affected", "justification": "component_not_present"}
  ]}"#;

#[test]
fn user_statements_suppress_only_the_findings_they_name() {
    let statements = parse_openvex("vex.json", USER_VEX.as_bytes()).unwrap();
    let decided = apply(findings(), &statements, |_| Presence::Present);
    assert_eq!(decided.len(), 6);
    let suppressed: Vec<&str> = decided
        .iter()
        .filter(|d| d.vex.as_ref().is_some_and(|v| v.suppresses()))
        .map(|d| d.finding.id.as_str())
        .collect();
    assert_eq!(
        suppressed,
        ["CVE-2025-15661"],
        "the openssl statement names another product"
    );
    let vex = decided.iter().find_map(|d| d.vex.as_ref()).unwrap();
    assert_eq!(
        vex.justification,
        Some(Justification::VulnerableCodeNotInExecutePath)
    );
    assert_eq!(vex.origin, "vex.json");
}

#[test]
fn not_affected_without_a_justification_is_an_error_naming_the_statement() {
    let doc = r#"{"@context": "https://openvex.dev/ns/v0.2.0", "statements": [{"vulnerability": {"name": "CVE-2025-1"}, "status": "not_affected"}]}"#;
    let err = parse_openvex("spec/vex.json", doc.as_bytes()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "VEX document `spec/vex.json`: statement 1 (CVE-2025-1) says not_affected without a `justification`"
    );
    assert!(err.hint().unwrap().contains("vulnerable_code_not_present"));
    let doc = r#"{"@context": "https://openvex.dev/ns/v0.2.0", "statements": [{"vulnerability": {"name": "CVE-2025-1"}, "status": "not_affected", "justification": "trust me"}]}"#;
    let err = parse_openvex("v.json", doc.as_bytes()).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("has the unknown justification `trust me`"),
        "{err}"
    );
    let err = parse_openvex("v.json", br#"{"statements": []}"#).unwrap_err();
    assert!(err.to_string().contains("`@context`"), "{err}");
}

#[test]
fn packages_whose_file_list_proves_no_files_are_automatically_not_affected() {
    let list = "/var/lib/dpkg/info/libssh2-1:amd64.list";
    let decided = apply(findings(), &[], |_| Presence::Absent {
        list: list.to_owned(),
    });
    assert_eq!(decided.len(), 6);
    assert!(decided.iter().all(|d| {
        let vex = d.vex.as_ref().unwrap();
        vex.status == VexStatus::NotAffected
            && vex.justification == Some(Justification::VulnerableCodeNotPresent)
            && vex.origin == "automatic"
            && vex.note.as_deref().is_some_and(|n| n.contains(list))
            && d.no_automatic_vex.is_none()
    }));
}

#[test]
fn unknown_files_are_not_absent_the_findings_stay_and_say_why() {
    let reason = "the image has no dpkg file list for this package";
    let decided = apply(findings(), &[], |_| Presence::Unknown {
        reason: reason.to_owned(),
    });
    assert_eq!(decided.len(), 6);
    assert!(decided
        .iter()
        .all(|d| d.vex.is_none() && d.no_automatic_vex.as_deref() == Some(reason)));
    let json = serde_json::to_value(&decided[0]).unwrap();
    assert_eq!(json["no_automatic_vex"], reason);
    let openvex = to_openvex(&decided, "2026-11-23T00:00:00Z");
    let statement = &openvex["statements"][0];
    assert_eq!(statement["status"], "affected");
    assert_eq!(statement["status_notes"], format!("no automatic VEX: {reason}"));
    let sarif = sarif::to_sarif(&decided, "out/bookworm");
    let result = &sarif["runs"][0]["results"][0];
    assert!(result.get("suppressions").is_none());
    assert_eq!(result["properties"]["noAutomaticVex"], reason);
    let cdx = to_cyclonedx(&decided, "2026-11-23T00:00:00Z");
    assert_eq!(
        cdx["vulnerabilities"][0]["properties"][0],
        serde_json::json!({ "name": "buckle:noAutomaticVex", "value": reason })
    );

    // A user's statement decides on its own: no note about the automatic rule.
    let statements = parse_openvex("vex.json", USER_VEX.as_bytes()).unwrap();
    let decided = apply(findings(), &statements, |_| Presence::Unknown {
        reason: reason.to_owned(),
    });
    let stated = decided.iter().find(|d| d.vex.is_some()).unwrap();
    assert_eq!(stated.finding.id.as_str(), "CVE-2025-15661");
    assert!(stated.no_automatic_vex.is_none());
}

#[test]
fn documents_carry_every_finding_with_its_status() {
    let statements = parse_openvex("vex.json", USER_VEX.as_bytes()).unwrap();
    let decided = apply(findings(), &statements, |_| Presence::Present);
    let openvex = to_openvex(&decided, "2026-11-23T00:00:00Z");
    let statuses: Vec<&str> = openvex["statements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses.iter().filter(|s| **s == "affected").count(), 5);
    assert_eq!(statuses.iter().filter(|s| **s == "not_affected").count(), 1);
    let not_affected = openvex["statements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["status"] == "not_affected")
        .unwrap();
    assert!(
        not_affected.get("impact_statement").is_none(),
        "OpenVEX allows a justification or an impact statement, not both"
    );
    assert_eq!(
        to_openvex(&decided, "2026-11-23T00:00:00Z"),
        openvex,
        "same findings, same document"
    );
    let cdx = to_cyclonedx(&decided, "2026-11-23T00:00:00Z");
    assert_eq!(cdx["specVersion"], "1.6");
    assert_eq!(cdx["vulnerabilities"].as_array().unwrap().len(), 6);
    assert_eq!(cdx["components"].as_array().unwrap().len(), 1);
    let sarif = sarif::to_sarif(&decided, "out/bookworm");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 6);
    assert_eq!(
        results.iter().filter(|r| r.get("suppressions").is_some()).count(),
        1
    );
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "out/bookworm/var/lib/dpkg/status.d/libssh2-1"
    );
}
