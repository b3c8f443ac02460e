//! OSV records for Debian (`ecosystem` `Debian:12`, `Debian:13`, …) -> [`Advisory`].
//!
//! Per the OSV schema: `id`, `aliases`, `upstream`, and `affected[]` with
//! `package.{ecosystem,name}` (the Debian source package) and `ranges[]` of type
//! `ECOSYSTEM` whose `events` hold `introduced` and `fixed` versions. Debian's ids are
//! `DSA-…`, `DLA-…` and `DEBIAN-CVE-…`; the CVEs a record covers come from `upstream`
//! and `aliases`. Records of other ecosystems are skipped.

use crate::advisory::{Advisory, Severity, State};
use crate::error::{Error, Result};
use crate::id::VulnId;
use crate::release::Release;
use buckle_debian::PackageName;
use serde_json::Value;

/// One OSV record as JSON, and its `id`; `origin` names it in errors.
pub(crate) fn record(origin: &str, bytes: &[u8]) -> Result<(Value, String)> {
    let value: Value = serde_json::from_slice(bytes).map_err(|source| Error::Json {
        origin: origin.to_owned(),
        source,
    })?;
    let id = value
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::Feed {
            origin: origin.to_owned(),
            problem: "the record has no `id`".to_owned(),
        })?
        .to_owned();
    Ok((value, id))
}

/// Reads one OSV record; `origin` names it in errors.
pub fn parse(origin: &str, bytes: &[u8]) -> Result<Vec<Advisory>> {
    let (value, raw_id) = record(origin, bytes)?;
    let raw_id = raw_id.as_str();
    let own = raw_id.strip_prefix("DEBIAN-").unwrap_or(raw_id);
    let Ok(own) = own.parse::<VulnId>() else {
        return Ok(Vec::new());
    };
    let listed = |key: &str| -> Vec<VulnId> {
        value
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str()?.parse().ok())
            .collect()
    };
    let mut cves: Vec<VulnId> = listed("upstream");
    cves.extend(listed("aliases"));
    cves.retain(VulnId::is_cve);
    cves.dedup();
    let (ids, aliases) = if own.is_cve() || cves.is_empty() {
        (vec![own.clone()], Vec::new())
    } else {
        (cves, vec![own.clone()])
    };
    let severity = value
        .pointer("/database_specific/urgency")
        .or_else(|| value.pointer("/database_specific/severity"))
        .and_then(Value::as_str)
        .and_then(Severity::from_word);
    let mut out = Vec::new();
    for affected in value
        .get("affected")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let ecosystem = affected
            .pointer("/package/ecosystem")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let release = match ecosystem.split_once(':') {
            None if ecosystem == "Debian" => None,
            Some(("Debian", number)) => match Release::of_version_id(number) {
                Some(release) => Some(release),
                None => continue,
            },
            _ => continue,
        };
        let Some(Ok(source)) = affected
            .pointer("/package/name")
            .and_then(Value::as_str)
            .map(str::parse::<PackageName>)
        else {
            continue;
        };
        let fixed = affected
            .get("ranges")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|r| r.get("type").and_then(Value::as_str) == Some("ECOSYSTEM"))
            .flat_map(|r| {
                r.get("events")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default()
            })
            .find_map(|e| e.get("fixed").and_then(Value::as_str).map(str::to_owned));
        let state = match fixed {
            Some(version) => State::Fixed(version.parse().map_err(|source| Error::FeedVersion {
                origin: origin.to_owned(),
                source,
            })?),
            None => State::Unfixed,
        };
        for id in &ids {
            out.push(Advisory {
                id: id.clone(),
                aliases: aliases.clone(),
                source: source.clone(),
                release: release.clone(),
                state: state.clone(),
                severity,
                record: format!("osv {raw_id}"),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_debian_advisory_fixes_its_upstream_cves_per_release() {
        let json = br#"{"id": "DSA-5729-1", "upstream": ["CVE-2024-38475", "CVE-2024-38476"],
          "affected": [
            {"package": {"ecosystem": "Debian:12", "name": "apache2"},
             "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.4.61-1~deb12u1"}]}]},
            {"package": {"ecosystem": "PyPI", "name": "apache2"}, "ranges": []}
          ]}"#;
        let advisories = parse("DSA-5729-1.json", json).unwrap();
        assert_eq!(advisories.len(), 2);
        assert_eq!(advisories[0].id.as_str(), "CVE-2024-38475");
        assert_eq!(advisories[0].aliases[0].as_str(), "DSA-5729-1");
        assert_eq!(advisories[0].release.as_ref().unwrap().as_str(), "bookworm");
        assert_eq!(
            advisories[0].state,
            State::Fixed("2.4.61-1~deb12u1".parse().unwrap())
        );
    }

    #[test]
    fn a_record_without_a_fixed_event_is_open_and_debian_cve_ids_are_cves() {
        let json = br#"{"id": "DEBIAN-CVE-2026-1234", "affected": [{"package": {"ecosystem": "Debian:13", "name": "vim"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]}"#;
        let advisories = parse("x.json", json).unwrap();
        assert_eq!(advisories[0].id.as_str(), "CVE-2026-1234");
        assert_eq!(advisories[0].state, State::Unfixed);
        let err = parse("y.json", br#"{"affected": []}"#).unwrap_err();
        assert_eq!(err.to_string(), "`y.json`: the record has no `id`");
    }
}
