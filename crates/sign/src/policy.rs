//! What `verify` requires beyond a valid signature: attestation types each platform
//! image must carry, and the builder its provenance must name. A TOML file:
//!
//! ```toml
//! require = ["slsaprovenance1", "spdxjson", "https://cyclonedx.org/bom"]
//! builder-id = "https://ci.example.com/buckle"
//! ```

use crate::error::{Error, Result};
use crate::statement::predicate_type;
use serde::Deserialize;

/// A verification policy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    /// Predicate types every platform image must have a verified attestation of.
    pub require: Vec<String>,
    /// The `runDetails.builder.id` every provenance must name.
    pub builder_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawPolicy {
    #[serde(default)]
    require: Vec<String>,
    builder_id: Option<String>,
}

/// The short names cosign's `--type` takes, and the predicate types they stand for.
const ALIASES: &[(&str, &str)] = &[
    ("slsaprovenance1", predicate_type::SLSA_PROVENANCE_V1),
    ("spdxjson", predicate_type::SPDX),
    ("cyclonedx", predicate_type::CYCLONEDX),
    ("vuln", predicate_type::COSIGN_VULN),
];

/// A predicate type from a short name (`slsaprovenance1`, `spdxjson`, `cyclonedx`, `vuln`) or
/// a URI; anything else is an error listing the short names.
pub fn predicate_type_named(name: &str) -> Result<String> {
    if let Some((_, uri)) = ALIASES.iter().find(|(alias, _)| *alias == name) {
        return Ok((*uri).to_owned());
    }
    if name.contains("://") {
        return Ok(name.to_owned());
    }
    Err(Error::PredicateType {
        name: name.to_owned(),
        known: ALIASES
            .iter()
            .map(|(alias, _)| format!("`{alias}`"))
            .collect::<Vec<_>>()
            .join(", "),
    })
}

impl Policy {
    /// Parses a policy file's text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Policy> {
        let raw: RawPolicy = toml::from_str(text).map_err(|e| Error::Policy {
            reason: format!("`{file}`: {}", e.message()),
        })?;
        Ok(Policy {
            require: raw
                .require
                .iter()
                .map(|name| predicate_type_named(name))
                .collect::<Result<_>>()
                .map_err(|e| Error::Policy {
                    reason: format!("`{file}`: {e}"),
                })?,
            builder_id: raw.builder_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_takes_short_names_and_uris_and_names_unknown_keys() {
        let policy = Policy::parse(
            "require = [\"slsaprovenance1\", \"https://example.com/p\"]\nbuilder-id = \"https://ci\"\n",
            "p.toml",
        )
        .unwrap();
        assert_eq!(
            policy.require,
            [predicate_type::SLSA_PROVENANCE_V1, "https://example.com/p"]
        );
        assert_eq!(policy.builder_id.as_deref(), Some("https://ci"));
        let err = Policy::parse("requires = []\n", "p.toml").unwrap_err();
        assert!(
            err.to_string().contains("`p.toml`: unknown field `requires`"),
            "{err}"
        );
        let err = Policy::parse("require = [\"slsa\"]\n", "p.toml").unwrap_err();
        assert!(
            err.to_string().contains("`slsa` is not a predicate type"),
            "{err}"
        );
    }
}
