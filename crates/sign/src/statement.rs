//! in-toto Statement v1 (in-toto/attestation, `spec/v1/statement.md`): what is being
//! attested (subjects by digest) and the predicate that says something about them.

use buckle_digest::Sha256;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The statement `_type`.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// The previous `_type`, which cosign still writes; its subject and predicate fields are
/// the same, so it is read too.
pub const STATEMENT_TYPE_V01: &str = "https://in-toto.io/Statement/v0.1";

/// Predicate types buckle writes and checks.
pub mod predicate_type {
    /// SLSA Provenance v1 (`cosign verify-attestation --type slsaprovenance1`).
    pub const SLSA_PROVENANCE_V1: &str = "https://slsa.dev/provenance/v1";
    /// An SPDX document (`--type spdxjson`).
    pub const SPDX: &str = "https://spdx.dev/Document";
    /// A CycloneDX BOM (`--type cyclonedx`).
    pub const CYCLONEDX: &str = "https://cyclonedx.org/bom";
    /// cosign's vulnerability scan record (`--type vuln`).
    pub const COSIGN_VULN: &str = "https://cosign.sigstore.dev/attestation/vuln/v1";
}

/// An in-toto statement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Statement {
    /// [`STATEMENT_TYPE`].
    #[serde(rename = "_type")]
    pub statement_type: String,
    /// The artifacts the predicate is about.
    pub subject: Vec<Subject>,
    /// The predicate's type URI.
    pub predicate_type: String,
    /// The predicate.
    pub predicate: serde_json::Value,
}

/// One subject of a statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    /// A name for the artifact (the image reference).
    #[serde(default)]
    pub name: String,
    /// Digests by algorithm (`sha256` -> hex).
    pub digest: BTreeMap<String, String>,
}

impl Subject {
    /// A subject known by its SHA-256.
    pub fn sha256(name: impl Into<String>, digest: Sha256) -> Subject {
        Subject {
            name: name.into(),
            digest: BTreeMap::from([("sha256".to_owned(), digest.hex())]),
        }
    }
}

impl Statement {
    /// A statement of `predicate_type` about `subjects`.
    pub fn new(subjects: Vec<Subject>, predicate_type: &str, predicate: serde_json::Value) -> Statement {
        Statement {
            statement_type: STATEMENT_TYPE.to_owned(),
            subject: subjects,
            predicate_type: predicate_type.to_owned(),
            predicate,
        }
    }

    /// Whether one of the subjects has SHA-256 `digest`.
    pub fn is_about(&self, digest: &Sha256) -> bool {
        let hex = digest.hex();
        self.subject.iter().any(|s| {
            s.digest
                .get("sha256")
                .is_some_and(|d| d.eq_ignore_ascii_case(&hex))
        })
    }

    /// The SHA-256 digests of the subjects, for messages.
    pub fn subject_digests(&self) -> Vec<String> {
        self.subject
            .iter()
            .filter_map(|s| s.digest.get("sha256").map(|d| format!("sha256:{d}")))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statement_serialises_with_the_spec_field_names() {
        let digest = Sha256::of(b"manifest");
        let statement = Statement::new(
            vec![Subject::sha256("python", digest)],
            predicate_type::SPDX,
            serde_json::json!({"spdxVersion": "SPDX-2.3"}),
        );
        let json = serde_json::to_value(&statement).unwrap();
        assert_eq!(json["_type"], STATEMENT_TYPE);
        assert_eq!(json["predicateType"], "https://spdx.dev/Document");
        assert_eq!(json["subject"][0]["digest"]["sha256"], digest.hex());
        assert!(statement.is_about(&digest));
        assert!(!statement.is_about(&Sha256::of(b"other")));
    }
}
