//! Policies applied to real images: exceptions, disabled rules, severities, scores.

use crate::support::*;
use buckle_check::{check, Policy, Severity, Status};

fn with_setuid() -> TestImage {
    TestImage::hardened().layer(vec![
        dir("usr/bin", 0o755),
        file("usr/bin/passwd", 0o4755, b"passwd"),
        file("usr/bin/su", 0o4755, b"su"),
    ])
}

const EXCEPT_PASSWD: &str = r#"
[[exception]]
rule = "BKL-SETUID"
path = "/usr/bin/passwd"
reason = "users change their own password"
"#;

#[test]
fn an_exception_removes_only_the_evidence_it_matches() {
    let view = with_setuid().view();
    let policy = Policy::parse(EXCEPT_PASSWD, "p.toml").unwrap();
    let report = check(&view, &policy);
    let f = finding(&report, "BKL-SETUID");
    assert_eq!(f.status, Status::Fail);
    assert_eq!(
        f.message,
        "setuid or setgid files are present: /usr/bin/su (setuid uid 0)"
    );
    assert_eq!(f.exceptions.len(), 1);
    assert_eq!(f.exceptions[0].covered[0].location, "/usr/bin/passwd");
    assert_eq!(f.deduction, 20);
}

#[test]
fn an_exception_covering_all_evidence_excepts_the_rule_with_its_reason() {
    let view = with_setuid().view();
    let policy = Policy::parse(&EXCEPT_PASSWD.replace("/usr/bin/passwd", "/usr/bin/*"), "p.toml").unwrap();
    let report = check(&view, &policy);
    let f = finding(&report, "BKL-SETUID");
    assert_eq!((f.status, f.deduction), (Status::Excepted, 0));
    assert_eq!(
        f.message,
        "setuid or setgid files are present: /usr/bin/passwd (setuid uid 0), /usr/bin/su (setuid uid 0) (excepted: users change their own password)"
    );
    assert_eq!(report.score, 100);
}

#[test]
fn disabled_rules_severity_changes_and_min_score_shape_the_report() {
    let view = with_setuid().tag(Some("latest")).view();
    let plain = check(&view, &Policy::default());
    assert_eq!(plain.score, 100 - 20 - 4);
    assert_eq!(
        plain.explanation(),
        "100 - 20 (BKL-SETUID fail) - 4 (BKL-TAG-LATEST fail) = 76"
    );

    let text =
        "min_score = 90\ndisable = [\"BKL-SETUID\"]\n[rules.BKL-TAG-LATEST]\nseverity = \"critical\"\n";
    let policy = Policy::parse(text, "strict.toml").unwrap();
    let report = check(&view, &policy);
    let setuid = finding(&report, "BKL-SETUID");
    assert_eq!(setuid.status, Status::NotApplicable);
    assert_eq!(setuid.message, "disabled by the policy `strict.toml`");
    let latest = finding(&report, "BKL-TAG-LATEST");
    assert_eq!(
        (latest.severity, latest.weight, latest.deduction),
        (Severity::Critical, 30, 30)
    );
    assert_eq!(report.score, 70);
    assert_eq!(report.min_score, Some(90));
    assert!(!report.meets(None));
    assert!(report.meets(Some(70)));
}

#[test]
fn the_report_serialises_every_finding_to_json() {
    let report = with_setuid().report();
    let json: serde_json::Value = serde_json::from_str(&report.to_json().unwrap()).unwrap();
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(findings.len(), buckle_check::rules::catalog().len());
    let setuid = findings.iter().find(|f| f["rule"] == "BKL-SETUID").unwrap();
    assert_eq!(setuid["status"], "fail");
    assert_eq!(setuid["severity"], "high");
    assert_eq!(setuid["cis"], "4.8");
    assert_eq!(setuid["evidence"][0]["location"], "/usr/bin/passwd");
    assert_eq!(json["score"], report.score);
    assert_eq!(json["variant"], "runtime");
}
