//! A [`Report`] as SARIF 2.1.0 (OASIS), in the subset GitHub code scanning reads.
//!
//! Every rule of the catalog is listed under `tool.driver.rules` with its help text,
//! default level and properties (`security-severity` for GitHub, the CIS id, the
//! weight). Failed and warned findings become results; excepted ones become results
//! with an external suppression that carries the policy's reasons. Each result has a
//! physical location, as GitHub requires: the in-image path of each piece of evidence
//! (relative, without the leading `/`), or for config and history evidence the image
//! itself, with the field as a logical location.

use crate::error::{Error, Result};
use crate::report::{Evidence, Finding, Report, Severity, Status};
use crate::rules;
use buckle_digest::Sha256;
use serde_json::{json, Value};

/// The schema URI written into `$schema` (OASIS errata 01).
pub const SARIF_SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
/// GitHub reads at most this many locations of a result.
const MAX_LOCATIONS: usize = 1000;

/// The report as a SARIF log. `image` names the image for results that are about
/// its config rather than a file (a repository-relative path such as `out/python`).
pub fn to_sarif(report: &Report, image: &str) -> Value {
    let image_uri = relative_uri(image);
    let rules: Vec<Value> = report.findings.iter().map(rule_descriptor).collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .enumerate()
        .filter(|(_, f)| matches!(f.status, Status::Fail | Status::Warn | Status::Excepted))
        .map(|(index, finding)| result(finding, index, &image_uri))
        .collect();
    log(
        rules,
        results,
        json!({ "score": report.score, "minScore": report.min_score }),
    )
}

/// A SARIF log of one run of buckle: `rules` as made by [`reporting_descriptor`],
/// `results` referring to them by index, and the run's `properties`. Every buckle
/// command that reports findings by rule writes its SARIF through this.
pub fn log(rules: Vec<Value>, results: Vec<Value>, properties: Value) -> Value {
    json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "buckle",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "results": results,
            "properties": properties,
        }],
    })
}

/// A rule as SARIF's `reportingDescriptor`, with GitHub's `security-severity`.
#[derive(Debug, Clone)]
pub struct RuleText<'a> {
    /// Stable id.
    pub id: &'a str,
    /// One-line title.
    pub title: &'a str,
    /// Why it matters.
    pub description: &'a str,
    /// How to fix a failure.
    pub hint: &'a str,
    /// Its severity.
    pub severity: Severity,
    /// Tags besides `security`.
    pub tags: Vec<String>,
}

/// The `reportingDescriptor` of `rule`; `properties` are added to its own.
pub fn reporting_descriptor(rule: &RuleText<'_>, properties: Value) -> Value {
    let mut tags = vec!["security".to_owned()];
    tags.extend(rule.tags.iter().cloned());
    let mut descriptor = json!({
        "id": rule.id,
        "name": pascal_case(rule.title),
        "shortDescription": { "text": rule.title },
        "fullDescription": { "text": rule.description },
        "help": {
            "text": format!("{}\n\nFix: {}", rule.description, rule.hint),
            "markdown": format!("{}\n\n**Fix:** {}", rule.description, rule.hint),
        },
        "defaultConfiguration": { "level": level(rule.severity) },
        "properties": {
            "tags": tags,
            "precision": "high",
            "security-severity": security_severity(rule.severity),
            "severity": rule.severity,
        },
    });
    if let (Some(own), Value::Object(extra)) = (descriptor["properties"].as_object_mut(), properties) {
        own.extend(extra);
    }
    descriptor
}

/// [`to_sarif`] as pretty JSON text.
pub fn to_sarif_json(report: &Report, image: &str) -> Result<String> {
    serde_json::to_string_pretty(&to_sarif(report, image)).map_err(|source| Error::Json { source })
}

fn rule_descriptor(finding: &Finding) -> Value {
    let description = rules::find(&finding.rule).map_or("", |r| r.description);
    let mut tags = vec!["container".to_owned()];
    if let Some(cis) = &finding.cis {
        tags.push(format!("CIS-Docker-{cis}"));
    }
    let rule = RuleText {
        id: &finding.rule,
        title: &finding.title,
        description,
        hint: &finding.hint,
        severity: finding.severity,
        tags,
    };
    reporting_descriptor(&rule, json!({ "weight": finding.weight, "cis": finding.cis }))
}

fn result(finding: &Finding, index: usize, image_uri: &str) -> Value {
    let mut evidence: Vec<&Evidence> = finding.evidence.iter().collect();
    evidence.extend(finding.exceptions.iter().flat_map(|e| &e.covered));
    let mut locations: Vec<Value> = evidence
        .iter()
        .take(MAX_LOCATIONS)
        .map(|e| location(e, image_uri))
        .collect();
    if locations.is_empty() {
        locations.push(json!({ "physicalLocation": { "artifactLocation": { "uri": image_uri } } }));
    }
    let fingerprint_text: Vec<&str> = evidence.iter().map(|e| e.location.as_str()).collect();
    let fingerprint = Sha256::of(format!("{}\n{}", finding.rule, fingerprint_text.join("\n")).as_bytes());
    let level = match finding.status {
        Status::Warn if finding.severity >= Severity::Medium => "warning",
        Status::Warn => "note",
        _ => level(finding.severity),
    };
    let mut result = json!({
        "ruleId": finding.rule,
        "ruleIndex": index,
        "level": level,
        "message": { "text": finding.message },
        "locations": locations,
        "partialFingerprints": { "buckleFinding/v1": fingerprint.hex() },
        "properties": {
            "status": finding.status,
            "deduction": finding.deduction,
        },
    });
    if finding.status == Status::Excepted {
        let reasons: Vec<&str> = finding.exceptions.iter().map(|e| e.reason.as_str()).collect();
        result["suppressions"] = json!([{ "kind": "external", "justification": reasons.join("; ") }]);
    }
    result
}

fn location(evidence: &Evidence, image_uri: &str) -> Value {
    let message = evidence.to_string();
    if evidence.is_path() {
        return json!({
            "physicalLocation": { "artifactLocation": { "uri": relative_uri(&evidence.location) } },
            "message": { "text": message },
        });
    }
    json!({
        "physicalLocation": { "artifactLocation": { "uri": image_uri } },
        "logicalLocations": [{ "fullyQualifiedName": evidence.location, "kind": "property" }],
        "message": { "text": message },
    })
}

/// A relative URI reference: no leading `/` or `./`, spaces and `%` escaped.
pub fn relative_uri(path: &str) -> String {
    let trimmed = path.trim_start_matches("./").trim_start_matches('/');
    let escaped: String = trimmed
        .chars()
        .map(|c| match c {
            ' ' => "%20".to_owned(),
            '%' => "%25".to_owned(),
            '#' => "%23".to_owned(),
            '?' => "%3F".to_owned(),
            c => c.to_string(),
        })
        .collect();
    if escaped.is_empty() {
        "image".to_owned()
    } else {
        escaped
    }
}

/// The SARIF `level` of a failure of this severity.
pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub's `security-severity` score for a severity (its bands: 9.0+ critical,
/// 7.0+ high, 4.0+ medium, else low).
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

/// `runs as root` -> `RunsAsRoot`.
fn pascal_case(title: &str) -> String {
    title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_and_escaped_and_names_are_identifiers() {
        assert_eq!(relative_uri("/usr/bin/passwd"), "usr/bin/passwd");
        assert_eq!(relative_uri("./out/my image"), "out/my%20image");
        assert_eq!(relative_uri("/"), "image");
        assert_eq!(pascal_case("a shell is present"), "AShellIsPresent");
        assert_eq!(
            pascal_case("/tmp is missing or not mode 1777"),
            "TmpIsMissingOrNotMode1777"
        );
    }
}
