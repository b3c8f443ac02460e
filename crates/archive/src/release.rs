//! Release -> checked facts: the fields of a (verified) Release text, and the checks on
//! them (suite, expiry, rollback).

use crate::date::ReleaseDate;
use crate::error::{Error, Result};
use buckle_debian::Suite;
use buckle_debian::{deb822, Arch};
use buckle_digest::Sha256;
use std::collections::BTreeMap;

/// One file listed in Release's `SHA256:` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListedFile {
    /// Its SHA-256.
    pub sha256: Sha256,
    /// Its size in bytes.
    pub size: u64,
}

/// The fields of a Release file that buckle uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    /// `Origin:`
    pub origin: Option<String>,
    /// `Label:`
    pub label: Option<String>,
    /// `Suite:` (e.g. `stable`)
    pub suite: Option<String>,
    /// `Codename:` (e.g. `trixie`)
    pub codename: Option<String>,
    /// `Version:` (e.g. `13.2`)
    pub version: Option<String>,
    /// `Date:`
    pub date: ReleaseDate,
    /// `Valid-Until:`, when the archive sets one.
    pub valid_until: Option<ReleaseDate>,
    /// `Architectures:`
    pub architectures: Vec<Arch>,
    /// `Components:`
    pub components: Vec<String>,
    /// `Acquire-By-Hash: yes`
    pub acquire_by_hash: bool,
    /// `No-Support-for-Architecture-all: Packages`: every architecture's index also
    /// lists the `Architecture: all` packages, so `binary-all` need not be fetched.
    /// (Debian's archive software sets it when it duplicates them; without it a
    /// client must add `binary-all`.)
    pub arch_all_in_arch_indices: bool,
    /// `SHA256:`: path relative to the suite directory -> digest and size.
    pub sha256: BTreeMap<String, ListedFile>,
}

/// What a Release must satisfy to be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReleaseChecks {
    /// The current time, for `Valid-Until`.
    pub now: ReleaseDate,
    /// The oldest acceptable `Date:` (the date recorded in the lock), against rollback.
    pub not_before: Option<ReleaseDate>,
}

impl Release {
    /// Parses Release text (the signed part of InRelease). `url` names it in errors.
    pub fn parse(text: &str, url: &str) -> Result<Release> {
        let paragraph = deb822::paragraphs(text)
            .next()
            .transpose()
            .map_err(|source| Error::ReleaseSyntax {
                url: url.to_owned(),
                source,
            })?
            .ok_or_else(|| field_error(url, "Date", "", "the Release file is empty"))?;
        let owned = |field: &str| paragraph.get(field).map(str::to_owned);
        let date = |field: &str| -> Result<Option<ReleaseDate>> {
            paragraph
                .get(field)
                .map(|v| {
                    v.parse()
                        .map_err(|e: crate::date::DateError| field_error(url, field, v, &e.to_string()))
                })
                .transpose()
        };
        let words = |field: &str| -> Vec<&str> {
            paragraph
                .get(field)
                .unwrap_or_default()
                .split_whitespace()
                .collect()
        };
        let architectures = words("Architectures")
            .into_iter()
            .map(|a| {
                a.parse()
                    .map_err(|e: buckle_debian::Error| field_error(url, "Architectures", a, &e.to_string()))
            })
            .collect::<Result<_>>()?;
        Ok(Release {
            origin: owned("Origin"),
            label: owned("Label"),
            suite: owned("Suite"),
            codename: owned("Codename"),
            version: owned("Version"),
            date: date("Date")?.ok_or_else(|| field_error(url, "Date", "", "the field is missing"))?,
            valid_until: date("Valid-Until")?,
            architectures,
            components: words("Components").into_iter().map(str::to_owned).collect(),
            acquire_by_hash: paragraph.get("Acquire-By-Hash") == Some("yes"),
            arch_all_in_arch_indices: words("No-Support-for-Architecture-all").contains(&"Packages"),
            sha256: parse_file_list(paragraph.get("SHA256").unwrap_or_default(), url)?,
        })
    }

    /// Checks that this is the suite asked for (by `Suite:` or `Codename:`), that it has
    /// not expired and that it is not older than the lock's record.
    pub fn check(&self, asked: &Suite, checks: &ReleaseChecks) -> Result<()> {
        let names = [self.suite.as_deref(), self.codename.as_deref()];
        if !names.contains(&Some(asked.as_str())) {
            return Err(Error::WrongSuite {
                expected: asked.clone(),
                suite: self.suite.clone().unwrap_or_default(),
                codename: self.codename.clone().unwrap_or_default(),
            });
        }
        if let Some(valid_until) = self.valid_until {
            if valid_until < checks.now {
                return Err(Error::Expired {
                    suite: asked.clone(),
                    valid_until,
                    now: checks.now,
                });
            }
        }
        if let Some(not_before) = checks.not_before {
            if self.date < not_before {
                return Err(Error::Rollback {
                    suite: asked.clone(),
                    date: self.date,
                    not_before,
                });
            }
        }
        Ok(())
    }
}

fn field_error(url: &str, field: &str, value: &str, reason: &str) -> Error {
    Error::ReleaseField {
        url: url.to_owned(),
        field: field.to_owned(),
        value: value.to_owned(),
        reason: reason.to_owned(),
    }
}

/// Parses ` <sha256> <size> <path>` lines.
fn parse_file_list(field: &str, url: &str) -> Result<BTreeMap<String, ListedFile>> {
    let mut files = BTreeMap::new();
    for line in field.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let bad = |reason: &str| field_error(url, "SHA256", line, reason);
        let mut parts = line.split_whitespace();
        let (Some(hex), Some(size), Some(path), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad("expected `<sha256> <size> <path>`"));
        };
        let sha256 = hex
            .parse()
            .map_err(|e: buckle_digest::Error| bad(&e.to_string()))?;
        let size = size.parse().map_err(|_| bad("the size is not a number"))?;
        files.insert(path.to_owned(), ListedFile { sha256, size });
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "Origin: Debian\nLabel: Debian\nSuite: stable\nVersion: 13.2\nCodename: trixie\nDate: Sat, 21 Nov 2026 09:15:44 UTC\nValid-Until: Sat, 28 Nov 2026 09:15:44 UTC\nAcquire-By-Hash: yes\nNo-Support-for-Architecture-all: Packages\nArchitectures: all amd64 arm64\nComponents: main contrib\nDescription: Debian 13.2\nMD5Sum:\n 3e498904a30e240573dac8ddac594e6f  1961125 contrib/Contents-all\nSHA256:\n 2efd6103f013081f8118f4c9f228739bc97bff2e4e1de496f80458c7e72a24ac 56634892 main/binary-amd64/Packages\n be3d7d96a040eda0505c1808cccc67f183bbc05dff0842c50f88e6c396557412  9679304 main/binary-amd64/Packages.xz\n";

    fn release() -> Release {
        Release::parse(TEXT, "http://mirror/dists/trixie/InRelease").unwrap()
    }

    fn checks(now: &str) -> ReleaseChecks {
        ReleaseChecks {
            now: now.parse().unwrap(),
            not_before: None,
        }
    }

    #[test]
    fn fields_and_sha256_list_are_read() {
        let r = release();
        assert_eq!(
            (r.suite.as_deref(), r.codename.as_deref()),
            (Some("stable"), Some("trixie"))
        );
        assert_eq!(r.date.to_string(), "Sat, 21 Nov 2026 09:15:44 UTC");
        assert!(r.acquire_by_hash && r.arch_all_in_arch_indices);
        assert_eq!(r.architectures.len(), 3);
        assert_eq!(r.components, ["main", "contrib"]);
        assert_eq!(r.sha256.len(), 2);
        assert_eq!(r.sha256["main/binary-amd64/Packages.xz"].size, 9679304);
    }

    #[test]
    fn suite_matches_by_suite_or_codename() {
        let r = release();
        let now = checks("Sun, 22 Nov 2026 00:00:00 UTC");
        r.check(&"trixie".parse().unwrap(), &now).unwrap();
        r.check(&"stable".parse().unwrap(), &now).unwrap();
        let err = r.check(&"bookworm".parse().unwrap(), &now).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Release is not for suite `bookworm`: it says Suite `stable`, Codename `trixie`"
        );
    }

    #[test]
    fn release_past_valid_until_is_expired() {
        let err = release()
            .check(
                &"trixie".parse().unwrap(),
                &checks("Sun, 29 Nov 2026 00:00:00 UTC"),
            )
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Release of `trixie` expired: Valid-Until is Sat, 28 Nov 2026 09:15:44 UTC, now is Sun, 29 Nov 2026 00:00:00 UTC"
        );
    }

    #[test]
    fn release_older_than_the_lock_is_a_rollback() {
        let mut c = checks("Sun, 22 Nov 2026 00:00:00 UTC");
        c.not_before = Some("Sat, 21 Nov 2026 09:15:44 UTC".parse().unwrap());
        release().check(&"trixie".parse().unwrap(), &c).unwrap();
        c.not_before = Some("Sat, 21 Nov 2026 09:15:45 UTC".parse().unwrap());
        let err = release().check(&"trixie".parse().unwrap(), &c).unwrap_err();
        assert!(matches!(err, Error::Rollback { .. }));
        assert!(err
            .to_string()
            .contains("dated Sat, 21 Nov 2026 09:15:44 UTC, older than Sat, 21 Nov 2026 09:15:45 UTC"));
    }

    #[test]
    fn malformed_file_list_and_dates_name_the_field() {
        let bad = TEXT.replace(" 9679304 main", " lots main");
        let err = Release::parse(&bad, "u").unwrap_err();
        assert!(err.to_string().contains("`SHA256`"), "{err}");
        let bad = TEXT.replace("Date: Sat, 21 Nov 2026 09:15:44 UTC", "Date: yesterday");
        let err = Release::parse(&bad, "u").unwrap_err();
        assert!(
            err.to_string().contains("`Date`") && err.to_string().contains("yesterday"),
            "{err}"
        );
        let bad = TEXT.replace("Date: Sat, 21 Nov 2026 09:15:44 UTC\n", "");
        assert!(Release::parse(&bad, "u").is_err());
    }
}
