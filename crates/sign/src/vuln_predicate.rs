//! A scan's findings -> cosign's vulnerability scan record predicate
//! (`https://cosign.sigstore.dev/attestation/vuln/v1`, cosign's
//! `specs/COSIGN_VULN_ATTESTATION_SPEC.md`): who scanned, with which data, when, and the
//! scanner's result as it reported it. `cosign verify-attestation --type vuln` reads it.

use serde::{Deserialize, Serialize};

/// The predicate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VulnPredicate {
    /// How the scan was started.
    pub invocation: ScanInvocation,
    /// The scanner, its data and its result.
    pub scanner: Scanner,
    /// When the scan ran.
    pub metadata: ScanMetadata,
}

/// `invocation`: cosign's fields, empty where there is nothing to say.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ScanInvocation {
    /// The command's arguments.
    pub parameters: Vec<String>,
    /// Where the invocation can be looked up (a CI run); empty for a local scan.
    pub uri: String,
    /// The CI event id; empty for a local scan.
    pub event_id: String,
    /// Who ran the scan.
    #[serde(rename = "builder.id")]
    pub builder_id: String,
}

/// `scanner`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scanner {
    /// The scanner, as a package URL.
    pub uri: String,
    /// Its version.
    pub version: String,
    /// The vulnerability data it used.
    pub db: ScannerDb,
    /// What it found, in its own format.
    pub result: serde_json::Value,
}

/// `scanner.db`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScannerDb {
    /// Which data (the feeds, by kind and source).
    pub uri: String,
    /// Its version (the feeds' dates).
    pub version: String,
}

/// `metadata`: RFC 3339 times.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScanMetadata {
    /// When the scan started.
    pub scan_started_on: String,
    /// When it finished.
    pub scan_finished_on: String,
}

/// The package URL naming buckle's scanner at `version`.
pub fn buckle_scanner_uri(version: &str) -> String {
    format!("pkg:cargo/buckle-cli@{version}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_are_cosigns() {
        let predicate = VulnPredicate {
            invocation: ScanInvocation {
                parameters: vec!["scan".into(), "out/python".into()],
                builder_id: "https://ci.example/runner".into(),
                ..ScanInvocation::default()
            },
            scanner: Scanner {
                uri: buckle_scanner_uri("0.1.0"),
                version: "0.1.0".into(),
                db: ScannerDb {
                    uri: "debian-archive,kev".into(),
                    version: "2026-11-23".into(),
                },
                result: serde_json::json!({"findings": []}),
            },
            metadata: ScanMetadata {
                scan_started_on: "2026-11-23T10:00:00Z".into(),
                scan_finished_on: "2026-11-23T10:00:01Z".into(),
            },
        };
        let json = serde_json::to_value(&predicate).unwrap();
        assert_eq!(json["invocation"]["builder.id"], "https://ci.example/runner");
        assert_eq!(json["invocation"]["event_id"], "");
        assert_eq!(json["scanner"]["db"]["version"], "2026-11-23");
        assert_eq!(json["metadata"]["scanStartedOn"], "2026-11-23T10:00:00Z");
        assert_eq!(json["scanner"]["uri"], "pkg:cargo/buckle-cli@0.1.0");
        let back: VulnPredicate = serde_json::from_value(json).unwrap();
        assert_eq!(back, predicate);
    }
}
