//! Debian security tracker data -> [`Advisory`] records.
//!
//! Two published shapes are read:
//! - the tracker's own JSON export (`/tracker/data/json`): `{source: {CVE: {releases:
//!   {release: {status, fixed_version, urgency}}}}}`, where `status` is `resolved`
//!   (fixed; `fixed_version` `0` means not affected), `open` or `undetermined`;
//! - per-record JSON files of the tracker's `CVE/list`, `DSA/list` and `DLA/list`
//!   (`{"Header": {"ID": …}, "Annotations": [...]}`, as the vuln-list-debian mirror
//!   publishes them): package annotations `[release] - source version` or
//!   `- source <kind> (severity)`, and `{…}` cross-references.

use crate::advisory::{Advisory, Severity, State};
use crate::error::{Error, Result};
use crate::id::VulnId;
use crate::release::Release;
use buckle_debian::PackageName;
use serde_json::Value;

/// Reads tracker JSON of either shape; `origin` names the file in errors and evidence.
pub fn parse(origin: &str, bytes: &[u8]) -> Result<Vec<Advisory>> {
    let value: Value = serde_json::from_slice(bytes).map_err(|source| Error::Json {
        origin: origin.to_owned(),
        source,
    })?;
    if value.get("Header").is_some() {
        record(origin, &value)
    } else {
        export(origin, &value)
    }
}

fn bad(origin: &str, problem: impl Into<String>) -> Error {
    Error::Feed {
        origin: origin.to_owned(),
        problem: problem.into(),
    }
}

/// The tracker's JSON export.
fn export(origin: &str, value: &Value) -> Result<Vec<Advisory>> {
    let sources = value
        .as_object()
        .ok_or_else(|| bad(origin, "expected an object of source packages"))?;
    let mut out = Vec::new();
    for (source, vulns) in sources {
        let Ok(source_name) = source.parse::<PackageName>() else {
            continue;
        };
        let Some(vulns) = vulns.as_object() else { continue };
        for (id, vuln) in vulns {
            // TEMP-… ids name issues without a CVE; they have no public identity.
            let Ok(id) = id.parse::<VulnId>() else { continue };
            let Some(releases) = vuln.get("releases").and_then(Value::as_object) else {
                continue;
            };
            for (release, facts) in releases {
                let Ok(release) = release.parse::<Release>() else {
                    continue;
                };
                let status = facts.get("status").and_then(Value::as_str).unwrap_or_default();
                let fixed = facts.get("fixed_version").and_then(Value::as_str);
                let state = match (status, fixed) {
                    ("resolved", Some("0")) => State::NotAffected,
                    ("resolved", Some(version)) => match version.parse() {
                        Ok(version) => State::Fixed(version),
                        Err(_) => continue,
                    },
                    ("open", _) => State::Unfixed,
                    _ => State::Undetermined,
                };
                let severity = facts
                    .get("urgency")
                    .and_then(Value::as_str)
                    .and_then(Severity::from_word);
                out.push(Advisory {
                    id: id.clone(),
                    aliases: Vec::new(),
                    source: source_name.clone(),
                    release: (release.as_str() != "sid").then_some(release),
                    state,
                    severity,
                    record: format!("tracker {id}"),
                });
            }
        }
    }
    Ok(out)
}

/// One `CVE/list`, `DSA/list` or `DLA/list` record.
fn record(origin: &str, value: &Value) -> Result<Vec<Advisory>> {
    let header_id = value
        .pointer("/Header/ID")
        .and_then(Value::as_str)
        .ok_or_else(|| bad(origin, "the record has no `Header.ID`"))?;
    let own: VulnId = header_id
        .parse()
        .map_err(|_| bad(origin, format!("`{header_id}` is not a CVE, DSA or DLA id")))?;
    let annotations = value
        .get("Annotations")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let xrefs: Vec<VulnId> = annotations
        .iter()
        .filter(|a| a.get("Type").and_then(Value::as_str) == Some("xref"))
        .flat_map(|a| {
            a.get("Bugs")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|b| b.as_str().and_then(|b| b.parse().ok()))
        .collect();
    // An advisory fixes the CVEs it cross-references; one without any is its own id.
    let (ids, aliases): (Vec<VulnId>, Vec<VulnId>) = if own.is_cve() {
        (vec![own.clone()], xrefs)
    } else {
        let cves: Vec<VulnId> = xrefs.into_iter().filter(VulnId::is_cve).collect();
        if cves.is_empty() {
            (vec![own.clone()], Vec::new())
        } else {
            (cves, vec![own.clone()])
        }
    };
    let mut out = Vec::new();
    for annotation in &annotations {
        if annotation.get("Type").and_then(Value::as_str) != Some("package") {
            continue;
        }
        let text = |key: &str| annotation.get(key).and_then(Value::as_str);
        let Some(Ok(source)) = text("Package").map(str::parse::<PackageName>) else {
            continue;
        };
        let release = match text("Release") {
            Some(release) => Some(release.parse::<Release>()?),
            None => None,
        };
        let state = match text("Kind") {
            Some("fixed") => match text("Version").map(str::parse) {
                Some(Ok(version)) => State::Fixed(version),
                _ => State::Unfixed,
            },
            Some("not-affected") => State::NotAffected,
            Some("unfixed" | "no-dsa" | "postponed" | "ignored" | "end-of-life") => State::Unfixed,
            _ => State::Undetermined,
        };
        for id in &ids {
            out.push(Advisory {
                id: id.clone(),
                aliases: aliases.clone(),
                source: source.clone(),
                release: release.clone(),
                state: state.clone(),
                severity: text("Severity").and_then(Severity::from_word),
                record: format!("tracker {own}"),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_export_gives_per_release_states() {
        let json = br#"{"apache2": {"CVE-2024-38475": {"releases": {
            "bookworm": {"status": "resolved", "fixed_version": "2.4.61-1~deb12u1", "urgency": "not yet assigned"},
            "trixie": {"status": "resolved", "fixed_version": "0", "urgency": "unimportant"},
            "sid": {"status": "open", "urgency": "high"}}},
            "TEMP-0000000-ABCDEF": {"releases": {}}}}"#;
        let advisories = parse("tracker.json", json).unwrap();
        assert_eq!(advisories.len(), 3);
        let bookworm = advisories
            .iter()
            .find(|a| a.release.as_ref().is_some_and(|r| r.as_str() == "bookworm"))
            .unwrap();
        assert_eq!(bookworm.state, State::Fixed("2.4.61-1~deb12u1".parse().unwrap()));
        assert_eq!(bookworm.severity, None);
        let trixie = advisories
            .iter()
            .find(|a| a.release.as_ref().is_some_and(|r| r.as_str() == "trixie"))
            .unwrap();
        assert_eq!(trixie.state, State::NotAffected);
        let sid = advisories.iter().find(|a| a.release.is_none()).unwrap();
        assert_eq!(
            (sid.state.clone(), sid.severity),
            (State::Unfixed, Some(Severity::High))
        );
    }

    #[test]
    fn neither_shape_is_an_error_naming_the_file() {
        let err = parse("x.json", b"[1, 2]").unwrap_err();
        assert_eq!(err.to_string(), "`x.json`: expected an object of source packages");
        let err = parse("x.json", b"{\"Header\": {\"ID\": \"RHSA-1\"}}").unwrap_err();
        assert_eq!(err.to_string(), "`x.json`: `RHSA-1` is not a CVE, DSA or DLA id");
        assert!(parse("x.json", b"{")
            .unwrap_err()
            .to_string()
            .starts_with("`x.json` is not valid JSON"));
    }
}
