//! Debian releases by codename: the unit that fixes are matched in.

use crate::error::{Error, Result};
use std::fmt;
use std::str::FromStr;

/// A Debian release codename (`bookworm`, `trixie`, `sid`). Suites map onto their
/// release: `bookworm-security` and `bookworm-updates` are `bookworm`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Release(String);

/// Numbered releases (os-release `VERSION_ID`) and their codenames, from Debian's
/// release history.
const NUMBERED: &[(&str, &str)] = &[
    ("9", "stretch"),
    ("10", "buster"),
    ("11", "bullseye"),
    ("12", "bookworm"),
    ("13", "trixie"),
    ("14", "forky"),
    ("15", "duke"),
];

impl Release {
    /// The codename.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The release a suite belongs to: the part before `-security`, `-updates`,
    /// `-proposed-updates` or `-backports`; `unstable` is `sid`.
    pub fn of_suite(suite: &str) -> Result<Release> {
        let base = ["-security", "-updates", "-proposed-updates", "-backports"]
            .iter()
            .find_map(|suffix| suite.strip_suffix(suffix))
            .unwrap_or(suite);
        match base {
            "unstable" => Ok(Release("sid".to_owned())),
            other => other.parse(),
        }
    }

    /// The release of an os-release `VERSION_ID` (`12` -> `bookworm`).
    pub fn of_version_id(version_id: &str) -> Option<Release> {
        let major = version_id.split('.').next()?;
        NUMBERED
            .iter()
            .find(|(number, _)| *number == major)
            .map(|(_, name)| Release((*name).to_owned()))
    }

    /// The release number (`bookworm` -> `12`), for OSV's `Debian:12` ecosystems.
    pub fn number(&self) -> Option<&'static str> {
        NUMBERED
            .iter()
            .find(|(_, name)| *name == self.0)
            .map(|(number, _)| *number)
    }
}

impl FromStr for Release {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let ok = !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        if !ok {
            return Err(Error::BadRelease {
                release: s.to_owned(),
            });
        }
        Ok(Release(s.to_owned()))
    }
}

impl fmt::Display for Release {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Release {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Release({})", self.0)
    }
}

impl serde::Serialize for Release {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Release {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suites_and_version_ids_map_to_releases() {
        for (suite, release) in [
            ("bookworm", "bookworm"),
            ("bookworm-security", "bookworm"),
            ("trixie-updates", "trixie"),
            ("unstable", "sid"),
        ] {
            assert_eq!(Release::of_suite(suite).unwrap().as_str(), release);
        }
        assert_eq!(Release::of_version_id("12").unwrap().as_str(), "bookworm");
        assert_eq!(Release::of_version_id("13.1").unwrap().as_str(), "trixie");
        assert_eq!(Release::of_version_id("99"), None);
        assert_eq!("trixie".parse::<Release>().unwrap().number(), Some("13"));
        assert!(Release::of_suite("Bookworm").is_err());
    }
}
