//! Vulnerability and advisory identifiers, parsed once.

use crate::error::{Error, Result};
use std::fmt;
use std::str::FromStr;

/// What an identifier names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IdKind {
    /// `CVE-YYYY-NNNN…` (MITRE).
    Cve,
    /// `GHSA-xxxx-xxxx-xxxx` (GitHub security advisory).
    Ghsa,
    /// `DSA-NNNN-N` (Debian security advisory).
    Dsa,
    /// `DLA-NNNN-N` (Debian LTS advisory).
    Dla,
}

/// A vulnerability or advisory identifier: `CVE-2024-38475`, `GHSA-5qpq-xqfv-j9pg`,
/// `DSA-5729-1`, `DLA-4820-1`. Upper-cased on parsing.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VulnId {
    kind: IdKind,
    text: String,
}

impl VulnId {
    /// The identifier's kind.
    pub fn kind(&self) -> IdKind {
        self.kind
    }

    /// Whether this is a CVE id.
    pub fn is_cve(&self) -> bool {
        self.kind == IdKind::Cve
    }

    /// The identifier as text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// A CVE id from its year and number (`2025`, `49796`), as changelogs abbreviate
    /// a second id (`CVE-2025-49794 and -49796`).
    pub(crate) fn cve(year: &str, number: &str) -> Result<VulnId> {
        format!("CVE-{year}-{number}").parse()
    }
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// GHSA ids are three groups of four characters from `23456789cfghjmpqrvwx`.
fn ghsa_group(s: &str) -> bool {
    s.len() == 4
        && s.bytes()
            .all(|b| b"23456789cfghjmpqrvwx".contains(&b.to_ascii_lowercase()))
}

impl FromStr for VulnId {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let bad = || Error::BadId { id: s.to_owned() };
        let parts: Vec<&str> = s.trim().split('-').collect();
        let (kind, text) = match parts.as_slice() {
            [prefix, year, number] if prefix.eq_ignore_ascii_case("CVE") => {
                if year.len() != 4 || !digits(year) || number.len() < 4 || !digits(number) {
                    return Err(bad());
                }
                (IdKind::Cve, format!("CVE-{year}-{number}"))
            }
            [prefix, a, b, c] if prefix.eq_ignore_ascii_case("GHSA") => {
                if ![a, b, c].iter().all(|g| ghsa_group(g)) {
                    return Err(bad());
                }
                let lower = |g: &str| g.to_ascii_lowercase();
                (
                    IdKind::Ghsa,
                    format!("GHSA-{}-{}-{}", lower(a), lower(b), lower(c)),
                )
            }
            [prefix, number, revision]
                if prefix.eq_ignore_ascii_case("DSA") || prefix.eq_ignore_ascii_case("DLA") =>
            {
                if !digits(number) || !digits(revision) {
                    return Err(bad());
                }
                let kind = if prefix.eq_ignore_ascii_case("DSA") {
                    IdKind::Dsa
                } else {
                    IdKind::Dla
                };
                (
                    kind,
                    format!("{}-{number}-{revision}", prefix.to_ascii_uppercase()),
                )
            }
            _ => return Err(bad()),
        };
        Ok(VulnId { kind, text })
    }
}

impl fmt::Display for VulnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for VulnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VulnId({})", self.text)
    }
}

impl serde::Serialize for VulnId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> serde::Deserialize<'de> for VulnId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

/// Every identifier in `text`, in order, each once: CVE ids (with abbreviated
/// followers such as `CVE-2025-49794 and -49796` expanded), GHSA, DSA and DLA ids.
pub fn find_ids(text: &str) -> Vec<VulnId> {
    let mut found: Vec<VulnId> = Vec::new();
    let mut push = |id: VulnId| {
        if !found.contains(&id) {
            found.push(id);
        }
    };
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let rest = text.get(i..).unwrap_or_default();
        let starts_word = i == 0 || !bytes.get(i - 1).is_some_and(u8::is_ascii_alphanumeric);
        if !starts_word {
            i += 1;
            continue;
        }
        if let Some((id, len)) = id_at(rest) {
            let year = id.as_str().get(4..8).map(str::to_owned);
            i += len;
            let is_cve = id.is_cve();
            push(id);
            if is_cve {
                if let Some(year) = year {
                    i += abbreviated_followers(text.get(i..).unwrap_or_default(), &year, &mut push);
                }
            }
        } else {
            i += rest.chars().next().map_or(1, char::len_utf8);
        }
    }
    found
}

/// The id at the start of `text` and its length in bytes.
fn id_at(text: &str) -> Option<(VulnId, usize)> {
    let upper = text.get(..4)?.to_ascii_uppercase();
    // Digits and dashes after the four-character prefix.
    let numeric_len = || {
        let rest = text.get(4..).unwrap_or_default();
        4 + rest
            .bytes()
            .position(|b| !(b.is_ascii_digit() || b == b'-'))
            .unwrap_or(rest.len())
    };
    let len = match upper.as_str() {
        "CVE-" | "DSA-" | "DLA-" => numeric_len(),
        "GHSA" => 19.min(text.len()),
        _ => return None,
    };
    let candidate = text.get(..len)?.trim_end_matches('-');
    if candidate.len() < 4 {
        return None;
    }
    // A longer run of id characters (`CVE-2026-49975_1.patch` is fine, `DSA-1-2-3` is not).
    let id: VulnId = candidate.parse().ok()?;
    if id.kind == IdKind::Ghsa && text.as_bytes().get(19).is_some_and(u8::is_ascii_alphanumeric) {
        return None;
    }
    Some((id, candidate.len()))
}

/// After a CVE id: `, -49796`, ` and -49796`, `/-49796` name more CVEs of the same year.
fn abbreviated_followers(text: &str, year: &str, push: &mut impl FnMut(VulnId)) -> usize {
    let mut consumed = 0;
    loop {
        let rest = text.get(consumed..).unwrap_or_default();
        let after_sep = rest
            .strip_prefix(", ")
            .or_else(|| rest.strip_prefix(" and "))
            .or_else(|| rest.strip_prefix(" & "))
            .or_else(|| rest.strip_prefix('/'))
            .or_else(|| rest.strip_prefix(','));
        let Some(after_sep) = after_sep else { break };
        let Some(number_text) = after_sep.strip_prefix('-') else {
            break;
        };
        let number_len = number_text.bytes().take_while(u8::is_ascii_digit).count();
        let number = number_text.get(..number_len).unwrap_or_default();
        let Ok(id) = VulnId::cve(year, number) else { break };
        push(id);
        consumed = text.len() - number_text.len() + number_len;
    }
    consumed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_and_print_in_canonical_case() {
        for (given, want) in [
            ("cve-2024-38475", "CVE-2024-38475"),
            ("CVE-2026-106023", "CVE-2026-106023"),
            ("GHSA-5QPQ-xqfv-j9pg", "GHSA-5qpq-xqfv-j9pg"),
            ("dsa-5729-1", "DSA-5729-1"),
            ("DLA-4820-1", "DLA-4820-1"),
        ] {
            assert_eq!(given.parse::<VulnId>().unwrap().to_string(), want);
        }
        for bad in [
            "CVE-24-1234",
            "CVE-2024-123",
            "GHSA-aaaa-bbbb-cccc",
            "DSA-12",
            "RHSA-2024:1",
            "",
        ] {
            let err = bad.parse::<VulnId>().unwrap_err();
            assert!(err.to_string().contains(&format!("`{bad}`")), "{err}");
        }
    }

    #[test]
    fn ids_are_found_in_changelog_text_with_abbreviations_expanded() {
        let ids = |t: &str| find_ids(t).iter().map(ToString::to_string).collect::<Vec<_>>();
        assert_eq!(
            ids("* New upstream release (Closes: #1153732, CVE-2026-119618, CVE-2026-106023,"),
            ["CVE-2026-119618", "CVE-2026-106023"]
        );
        assert_eq!(
            ids("Fix unit tests for CVE-2025-49794 and -49796."),
            ["CVE-2025-49794", "CVE-2025-49796"]
        );
        assert_eq!(
            ids("* Drop CVE-2026-49975_1.patch, now included"),
            ["CVE-2026-49975"]
        );
        assert_eq!(
            ids("security fix for GHSA-5qpq-xqfv-j9pg (Closes: #1147318)"),
            ["GHSA-5qpq-xqfv-j9pg"]
        );
        assert_eq!(
            ids("0003-CVE-2015-1782.patch and xCVE-2020-1234"),
            ["CVE-2015-1782"]
        );
        assert_eq!(ids("see DSA-5729-1, CVE-2024-1 is no id"), ["DSA-5729-1"]);
    }
}
