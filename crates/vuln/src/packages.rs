//! Application packages (PyPI, npm) against OSV records of those ecosystems.
//!
//! Per the OSV schema, each `affected[]` entry names a `package.{ecosystem,name}` and
//! says which versions are affected by `ranges[]` (`ECOSYSTEM` or `SEMVER` events:
//! `introduced`, `fixed`, `last_affected`, in order) and by an explicit `versions[]`
//! list. A package is affected when its version is listed, or lies in a range:
//! `introduced <= version < fixed` (or `<= last_affected`). Versions compare as PEP 440
//! (PyPI) and SemVer (npm) order them; PyPI names compare normalised (PEP 503).

use crate::advisory::Severity;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::cmp::Ordering;

/// The ecosystems matched here, by their OSV names.
pub const ECOSYSTEMS: [&str; 2] = ["PyPI", "npm"];

/// One OSV record's word on one application package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageAdvisory {
    /// The vulnerability: the record's CVE alias when it has one, else its own id.
    pub id: String,
    /// The record's other ids (its own GHSA or PYSEC id when `id` is the CVE).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// `PyPI` or `npm`.
    pub ecosystem: String,
    /// The package name as the record gives it.
    pub name: String,
    /// Affected intervals.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<AffectedRange>,
    /// Versions listed as affected.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<String>,
    /// The record's severity word (GHSA's `database_specific.severity`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// The record's one-line summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// `osv GHSA-…`.
    pub record: String,
}

/// `introduced <= v < fixed` (or `<= last_affected`); no end: every later version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffectedRange {
    /// `None` (or `0`): from the first version.
    pub introduced: Option<String>,
    /// The first version with the fix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed: Option<String>,
    /// The last affected version, when no fix is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_affected: Option<String>,
}

/// An installed application package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppInstalled {
    /// `PyPI` or `npm`.
    pub ecosystem: String,
    /// Its name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// Its package URL.
    pub purl: String,
}

/// A vulnerability that applies to an installed application package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageFinding {
    /// The vulnerability id.
    pub id: String,
    /// Its other ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// The package's ecosystem.
    pub ecosystem: String,
    /// The package.
    pub name: String,
    /// Its installed version.
    pub installed: String,
    /// Its package URL.
    pub purl: String,
    /// The first fixed version after the installed one, when one is known.
    pub fixed: Option<String>,
    /// Severity, when the record gives one.
    pub severity: Option<Severity>,
    /// The record's summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The record it came from.
    pub record: String,
}

/// The PyPI and npm advisories of one OSV record (records of other ecosystems give
/// none); `origin` names it in errors.
pub fn parse_osv(origin: &str, bytes: &[u8]) -> Result<Vec<PackageAdvisory>> {
    let (value, own) = crate::osv::record(origin, bytes)?;
    let own = own.as_str();
    if value.get("withdrawn").is_some_and(|w| !w.is_null()) {
        return Ok(Vec::new());
    }
    let aliases: Vec<String> = value
        .get("aliases")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|a| a.as_str().map(str::to_owned))
        .collect();
    let (id, aliases) = match aliases.iter().find(|a| a.starts_with("CVE-")) {
        Some(cve) if !own.starts_with("CVE-") => {
            let mut others: Vec<String> = vec![own.to_owned()];
            others.extend(aliases.iter().filter(|a| *a != cve).cloned());
            (cve.clone(), others)
        }
        _ => (own.to_owned(), aliases),
    };
    let severity = value
        .pointer("/database_specific/severity")
        .and_then(Value::as_str)
        .and_then(Severity::from_word);
    let summary = value.get("summary").and_then(Value::as_str).map(str::to_owned);
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
        if !ECOSYSTEMS.contains(&ecosystem) {
            continue;
        }
        let Some(name) = affected.pointer("/package/name").and_then(Value::as_str) else {
            return Err(Error::Feed {
                origin: origin.to_owned(),
                problem: format!("`{own}` has an affected {ecosystem} package without a name"),
            });
        };
        let mut ranges = Vec::new();
        for range in affected
            .get("ranges")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if !matches!(
                range.get("type").and_then(Value::as_str),
                Some("ECOSYSTEM" | "SEMVER")
            ) {
                continue;
            }
            ranges.extend(intervals(
                range
                    .get("events")
                    .and_then(Value::as_array)
                    .map(Vec::as_slice)
                    .unwrap_or_default(),
            ));
        }
        let versions = affected
            .get("versions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        out.push(PackageAdvisory {
            id: id.clone(),
            aliases: aliases.clone(),
            ecosystem: ecosystem.to_owned(),
            name: name.to_owned(),
            ranges,
            versions,
            severity,
            summary: summary.clone(),
            record: format!("osv {own}"),
        });
    }
    Ok(out)
}

/// The events of one range as intervals, each opened by an `introduced`.
fn intervals(events: &[Value]) -> Vec<AffectedRange> {
    let mut out: Vec<AffectedRange> = Vec::new();
    for event in events {
        let field = |key: &str| event.get(key).and_then(Value::as_str).map(str::to_owned);
        if let Some(introduced) = field("introduced") {
            out.push(AffectedRange {
                introduced: Some(introduced).filter(|v| v != "0"),
                fixed: None,
                last_affected: None,
            });
        } else if let Some(open) = out
            .last_mut()
            .filter(|r| r.fixed.is_none() && r.last_affected.is_none())
        {
            open.fixed = field("fixed");
            open.last_affected = field("last_affected");
        }
    }
    out
}

impl PackageAdvisory {
    /// Whether it is about `package` (same ecosystem, same name).
    fn names(&self, package: &AppInstalled) -> bool {
        self.ecosystem == package.ecosystem
            && match self.ecosystem.as_str() {
                "PyPI" => pep503(&self.name) == pep503(&package.name),
                _ => self.name == package.name,
            }
    }

    /// Whether `version` is affected; the fix to move to when it is.
    fn affects(&self, version: &str) -> Option<Option<String>> {
        let listed = self
            .versions
            .iter()
            .any(|v| compare(v, version) == Ordering::Equal);
        let range = self.ranges.iter().find(|r| {
            let after_start = r
                .introduced
                .as_deref()
                .is_none_or(|start| compare(version, start) != Ordering::Less);
            let before_end = match (&r.fixed, &r.last_affected) {
                (Some(fixed), _) => compare(version, fixed) == Ordering::Less,
                (None, Some(last)) => compare(version, last) != Ordering::Greater,
                (None, None) => true,
            };
            after_start && before_end
        });
        match range {
            Some(range) => Some(range.fixed.clone()),
            None if listed => Some(
                self.ranges
                    .iter()
                    .filter_map(|r| r.fixed.clone())
                    .filter(|f| compare(f, version) == Ordering::Greater)
                    .min_by(|a, b| compare(a, b)),
            ),
            None => None,
        }
    }
}

/// Every advisory that applies to one of `packages`, sorted by package then id.
pub fn scan_packages(advisories: &[PackageAdvisory], packages: &[AppInstalled]) -> Vec<PackageFinding> {
    let mut out: Vec<PackageFinding> = Vec::new();
    for package in packages {
        for advisory in advisories.iter().filter(|a| a.names(package)) {
            let Some(fixed) = advisory.affects(&package.version) else {
                continue;
            };
            let duplicate = out.iter().any(|f| f.purl == package.purl && f.id == advisory.id);
            if duplicate {
                continue;
            }
            out.push(PackageFinding {
                id: advisory.id.clone(),
                aliases: advisory.aliases.clone(),
                ecosystem: package.ecosystem.clone(),
                name: package.name.clone(),
                installed: package.version.clone(),
                purl: package.purl.clone(),
                fixed,
                severity: advisory.severity,
                summary: advisory.summary.clone(),
                record: advisory.record.clone(),
            });
        }
    }
    out.sort_by(|a, b| (&a.name, &a.installed, &a.id).cmp(&(&b.name, &b.installed, &b.id)));
    out
}

/// PEP 503: lowercase, runs of `-`, `_` and `.` as one `-`.
fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// A version as PEP 440 and SemVer both order it: epoch, release numbers (trailing
/// zeros ignored), then dev < pre-release (`a`/`alpha`, `b`/`beta`, `rc`, SemVer's
/// `-tag`) < final < post; local and build metadata (`+…`) ignored.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct VersionKey {
    epoch: u64,
    release: Vec<u64>,
    phase: (i8, Vec<Part>),
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Part {
    Number(u64),
    Word(String),
}

fn compare(a: &str, b: &str) -> Ordering {
    version_key(a).cmp(&version_key(b))
}

fn version_key(text: &str) -> VersionKey {
    let text = text.trim().trim_start_matches(['v', 'V']).to_ascii_lowercase();
    let text = text.split('+').next().unwrap_or_default();
    let (epoch, rest) = match text.split_once('!') {
        Some((e, rest)) => (e.parse().unwrap_or(0), rest),
        None => (0, text),
    };
    let release_end = rest
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || *c == '.'))
        .map_or(rest.len(), |(i, _)| i);
    let (numbers, suffix) = rest.split_at(release_end);
    let mut release: Vec<u64> = numbers
        .split('.')
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap_or(u64::MAX))
        .collect();
    while release.last() == Some(&0) {
        release.pop();
    }
    let suffix = suffix.trim_start_matches(['-', '_', '.']);
    let parts: Vec<Part> = split_parts(suffix);
    let rank = match parts.first() {
        None => 1,
        Some(Part::Word(w)) if w == "post" || w == "r" || w == "rev" => 2,
        Some(Part::Word(w)) if w == "dev" => -3,
        Some(Part::Word(w)) if w == "a" || w == "alpha" => -2,
        Some(Part::Word(w)) if w == "b" || w == "beta" => -1,
        Some(_) => 0,
    };
    VersionKey {
        epoch,
        release,
        phase: (rank, parts),
    }
}

/// `rc1.dev2` -> [rc, 1, dev, 2].
fn split_parts(text: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut digits = false;
    let flush = |current: &mut String, digits: bool, parts: &mut Vec<Part>| {
        if !current.is_empty() {
            parts.push(if digits {
                Part::Number(current.parse().unwrap_or(u64::MAX))
            } else {
                Part::Word(std::mem::take(current))
            });
            current.clear();
        }
    };
    for c in text.chars() {
        if matches!(c, '.' | '-' | '_') {
            flush(&mut current, digits, &mut parts);
            continue;
        }
        if !current.is_empty() && c.is_ascii_digit() != digits {
            flush(&mut current, digits, &mut parts);
        }
        digits = c.is_ascii_digit();
        current.push(c);
    }
    flush(&mut current, digits, &mut parts);
    parts
}

#[cfg(test)]
mod tests;
