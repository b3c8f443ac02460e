//! The SARIF log's shape: every rule described, failures as results with locations.

use crate::support::*;
use buckle_check::{check, sarif, Policy};

/// An image that fails path rules and config rules, with one excepted finding.
pub fn failing_report() -> buckle_check::Report {
    let view = TestImage::hardened()
        .user(None)
        .env("API_TOKEN=abcdef")
        .layer(vec![
            file("usr/bin/su", 0o4755, b"\x7fELF su"),
            file("usr/bin/passwd", 0o4755, b"\x7fELF passwd"),
            file("root/.ssh/id_rsa", 0o600, PRIVATE_KEY.as_bytes()),
        ])
        .view();
    let policy = Policy::parse(
        "[[exception]]\nrule = \"BKL-SECRET-PRIVATE-KEY\"\npath = \"/root/**\"\nreason = \"test fixture key\"\n",
        "p.toml",
    )
    .unwrap();
    check(&view, &policy)
}

#[test]
fn sarif_lists_rules_and_results_with_physical_and_logical_locations() {
    let report = failing_report();
    let log = sarif::to_sarif(&report, "out/app");
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), buckle_check::rules::catalog().len());
    assert_eq!(rules[0]["id"], "BKL-USER-ROOT");
    assert_eq!(rules[0]["name"], "RunsAsRoot");
    assert_eq!(rules[0]["properties"]["security-severity"], "8.0");
    assert_eq!(rules[0]["properties"]["cis"], "4.1");
    assert!(rules[0]["help"]["text"]
        .as_str()
        .unwrap()
        .contains("Fix: set `USER 65532:65532`"));

    let results = run["results"].as_array().unwrap();
    let by_rule = |id: &str| {
        results
            .iter()
            .find(|r| r["ruleId"] == id)
            .unwrap_or_else(|| panic!("{id}"))
    };
    let setuid = by_rule("BKL-SETUID");
    assert_eq!(setuid["level"], "error");
    let uris: Vec<&str> = setuid["locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["physicalLocation"]["artifactLocation"]["uri"].as_str().unwrap())
        .collect();
    assert_eq!(uris, ["usr/bin/passwd", "usr/bin/su"]);
    let index = setuid["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(rules[index]["id"], "BKL-SETUID");

    let root = by_rule("BKL-USER-ROOT");
    assert_eq!(
        root["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "out/app"
    );
    assert_eq!(
        root["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        "config:User"
    );

    let key = by_rule("BKL-SECRET-PRIVATE-KEY");
    assert_eq!(key["suppressions"][0]["kind"], "external");
    assert_eq!(key["suppressions"][0]["justification"], "test fixture key");
    assert!(results
        .iter()
        .all(|r| r["partialFingerprints"]["buckleFinding/v1"].is_string()));
    assert!(
        !results.iter().any(|r| r["ruleId"] == "BKL-TMP"),
        "passing rules are not results"
    );
}
