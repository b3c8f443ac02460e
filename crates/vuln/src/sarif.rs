//! Findings as SARIF 2.1.0 (OASIS), in the subset GitHub code scanning reads: one rule
//! per vulnerability id with a `security-severity` score, one result per finding,
//! located at the image's dpkg record of the package (GitHub requires a physical
//! location), with a stable fingerprint. Findings suppressed by VEX carry an
//! external suppression with the statement's justification.

use crate::advisory::Severity;
use crate::scan::Finding;
use crate::vex::Decided;
use buckle_digest::Sha256;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The schema URI written into `$schema` (OASIS errata 01).
pub const SARIF_SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The findings as a SARIF log. `image` is the scanned image as a relative path
/// (`out/python`): each result points at `<image>/var/lib/dpkg/status.d/<package>`.
pub fn to_sarif(decided: &[Decided], image: &str) -> Value {
    let mut rules: BTreeMap<&str, Value> = BTreeMap::new();
    for d in decided {
        rules
            .entry(d.finding.id.as_str())
            .or_insert_with(|| rule(&d.finding));
    }
    let index: BTreeMap<&str, usize> = rules.keys().enumerate().map(|(i, id)| (*id, i)).collect();
    let image = image
        .trim_start_matches("./")
        .trim_start_matches('/')
        .trim_end_matches('/');
    let results: Vec<Value> = decided
        .iter()
        .map(|d| {
            let f = &d.finding;
            let mut result = json!({
                "ruleId": f.id.as_str(),
                "ruleIndex": index.get(f.id.as_str()).copied().unwrap_or(0),
                "level": level(f),
                "message": { "text": message(f) },
                "locations": [{
                    "physicalLocation": { "artifactLocation": {
                        "uri": format!("{image}/var/lib/dpkg/status.d/{}", f.package)
                    } },
                    "logicalLocations": [{ "fullyQualifiedName": format!("{}:{}", f.package, f.arch), "kind": "package" }],
                }],
                "partialFingerprints": {
                    "buckleVuln/v1": Sha256::of(format!("{}\n{}\n{}", f.id, f.package, f.arch).as_bytes()).hex()
                },
                "properties": {
                    "package": f.package.as_str(),
                    "installed": f.installed.as_str(),
                    "fixed": f.fixed.as_ref().map(|v| v.as_str()),
                    "kev": f.kev.is_some(),
                    "epss": f.epss.map(|e| e.score),
                },
            });
            if let Some(vex) = d.vex.as_ref().filter(|v| v.suppresses()) {
                let justification = vex
                    .justification
                    .map(|j| j.label().to_owned())
                    .into_iter()
                    .chain(vex.note.clone())
                    .collect::<Vec<_>>()
                    .join(": ");
                result["suppressions"] = json!([{ "kind": "external", "justification": format!("VEX ({}) {justification}", vex.origin) }]);
            }
            if let Some(reason) = &d.no_automatic_vex {
                result["properties"]["noAutomaticVex"] = json!(reason);
            }
            result
        })
        .collect();
    json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "buckle",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules.into_values().collect::<Vec<_>>(),
            } },
            "results": results,
        }],
    })
}

fn message(f: &Finding) -> String {
    let fix = match &f.fixed {
        Some(fixed) => format!("fixed in {} {fixed}", f.source),
        None => "no fix yet".to_owned(),
    };
    let kev = f.kev.as_ref().map_or(String::new(), |k| {
        format!(
            "; known exploited (KEV since {}, due {})",
            k.date_added, k.due_date
        )
    });
    format!("{} in {} {} ({fix}){kev}", f.id, f.package, f.installed)
}

fn rule(f: &Finding) -> Value {
    let score = security_severity(f);
    json!({
        "id": f.id.as_str(),
        "shortDescription": { "text": format!("{} in Debian source package {}", f.id, f.source) },
        "helpUri": help_uri(f),
        "help": { "text": "Rebuild the image so that it takes the fixed package from the Debian archive." },
        "properties": {
            "tags": ["security", "vulnerability", "debian"],
            "security-severity": format!("{score:.1}"),
        },
    })
}

fn help_uri(f: &Finding) -> String {
    if f.id.is_cve() {
        format!("https://www.cve.org/CVERecord?id={}", f.id)
    } else {
        format!("https://osv.dev/vulnerability/{}", f.id)
    }
}

/// GitHub's `security-severity` bands (9.0+ critical, 7.0+ high, 4.0+ medium, else
/// low): a known-exploited vulnerability is critical whatever its rating.
fn security_severity(f: &Finding) -> f64 {
    if f.kev.is_some() {
        return 9.5;
    }
    match f.severity {
        Some(Severity::Critical) => 9.5,
        Some(Severity::High) => 8.0,
        Some(Severity::Medium) | None => 5.5,
        Some(Severity::Low) => 3.0,
        Some(Severity::Negligible) => 1.0,
    }
}

fn level(f: &Finding) -> &'static str {
    match security_severity(f) {
        s if s >= 7.0 => "error",
        s if s >= 4.0 => "warning",
        _ => "note",
    }
}
