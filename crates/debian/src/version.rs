//! Debian package versions, ordered exactly as dpkg orders them.

use crate::error::{Error, Result};
use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// A Debian version `[epoch:]upstream[-revision]`, parsed once.
///
/// Equality follows dpkg's ordering, so `1.0` equals `0:1.0-0`; `Display` prints the
/// string as it was given.
#[derive(Clone)]
pub struct Version {
    text: String,
    epoch: u32,
    upstream: (usize, usize),
    revision: (usize, usize),
}

impl Version {
    /// The epoch (0 when absent).
    pub fn epoch(&self) -> u32 {
        self.epoch
    }

    /// The upstream part.
    pub fn upstream(&self) -> &str {
        self.text
            .get(self.upstream.0..self.upstream.1)
            .unwrap_or_default()
    }

    /// The Debian revision ("" when absent).
    pub fn revision(&self) -> &str {
        self.text
            .get(self.revision.0..self.revision.1)
            .unwrap_or_default()
    }

    /// The version as given.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

fn invalid(version: &str, reason: &'static str) -> Error {
    Error::Version {
        version: version.to_owned(),
        reason,
    }
}

impl FromStr for Version {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let text = s.trim();
        if text.is_empty() {
            return Err(invalid(s, "it is empty"));
        }
        if text.contains(char::is_whitespace) {
            return Err(invalid(s, "it contains white space"));
        }
        let (epoch, rest_start) = match text.find(':') {
            Some(colon) => {
                let digits = text.get(..colon).unwrap_or_default();
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(invalid(s, "the epoch is not a number"));
                }
                let epoch = digits.parse().map_err(|_| invalid(s, "the epoch is too large"))?;
                (epoch, colon + 1)
            }
            None => (0, 0),
        };
        let (upstream, revision) = match text.rfind('-') {
            Some(hyphen) if hyphen >= rest_start => ((rest_start, hyphen), (hyphen + 1, text.len())),
            _ => ((rest_start, text.len()), (text.len(), text.len())),
        };
        let version = Version {
            text: text.to_owned(),
            epoch,
            upstream,
            revision,
        };
        version.validate(s)?;
        Ok(version)
    }
}

impl Version {
    fn validate(&self, given: &str) -> Result<()> {
        let upstream = self.upstream();
        if !upstream.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(invalid(given, "the upstream version does not start with a digit"));
        }
        let upstream_ok = |c: char| c.is_ascii_alphanumeric() || ".+~-:".contains(c);
        if !upstream.chars().all(upstream_ok) {
            return Err(invalid(
                given,
                "the upstream version has a character outside `A-Za-z0-9.+~-:`",
            ));
        }
        if self.revision.0 != self.revision.1 || self.text.ends_with('-') {
            let revision = self.revision();
            if revision.is_empty() {
                return Err(invalid(given, "the revision after `-` is empty"));
            }
            if !revision
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".+~".contains(c))
            {
                return Err(invalid(
                    given,
                    "the revision has a character outside `A-Za-z0-9.+~`",
                ));
            }
        }
        Ok(())
    }
}

/// The weight dpkg gives a non-digit character: `~` sorts before everything, even the
/// end of the string; letters sort before other symbols.
fn weight(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(b'~') => -1,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(c) => i32::from(c) + 256,
    }
}

/// dpkg's `verrevcmp`: alternating runs of non-digits (compared by weight) and digits
/// (compared as numbers of any length).
fn compare_part(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    while !a.is_empty() || !b.is_empty() {
        while a.first().is_some_and(|c| !c.is_ascii_digit()) || b.first().is_some_and(|c| !c.is_ascii_digit())
        {
            let (wa, wb) = (weight(a.first().copied()), weight(b.first().copied()));
            if wa != wb {
                return wa.cmp(&wb);
            }
            a = a.get(1..).unwrap_or_default();
            b = b.get(1..).unwrap_or_default();
        }
        let (digits_a, rest_a) = split_digits(a);
        let (digits_b, rest_b) = split_digits(b);
        let order = compare_numbers(digits_a, digits_b);
        if order != Ordering::Equal {
            return order;
        }
        (a, b) = (rest_a, rest_b);
    }
    Ordering::Equal
}

fn split_digits(s: &[u8]) -> (&[u8], &[u8]) {
    let n = s.iter().take_while(|c| c.is_ascii_digit()).count();
    s.split_at(n)
}

fn compare_numbers(a: &[u8], b: &[u8]) -> Ordering {
    let strip = |s: &[u8]| -> usize { s.iter().take_while(|&&c| c == b'0').count() };
    let a = a.get(strip(a)..).unwrap_or_default();
    let b = b.get(strip(b)..).unwrap_or_default();
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| compare_part(self.upstream(), other.upstream()))
            .then_with(|| compare_part(self.revision(), other.revision()))
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Version({})", self.text)
    }
}

impl serde::Serialize for Version {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> serde::Deserialize<'de> for Version {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests;
