//! Subresource-integrity strings as package-lock.json writes them: `sha512-<base64>`,
//! older packages `sha1-<base64>`; several may be listed, the strongest is checked.

use base64::Engine;
use sha1::Digest as _;
use std::fmt;

/// The strongest digest of an `integrity` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Integrity {
    algorithm: &'static str,
    digest: Vec<u8>,
}

impl Integrity {
    /// Parses an `integrity` value; `None` when it has no sha512 or sha1 entry.
    pub fn parse(text: &str) -> Option<Integrity> {
        let mut best: Option<Integrity> = None;
        for item in text.split_whitespace() {
            let Some((algorithm, value)) = item.split_once('-') else {
                continue;
            };
            // Options after `?` are allowed by the SRI grammar and carry nothing here.
            let value = value.split('?').next().unwrap_or(value);
            let (algorithm, len) = match algorithm {
                "sha512" => ("sha512", 64),
                "sha1" => ("sha1", 20),
                _ => continue,
            };
            let Ok(digest) = base64::engine::general_purpose::STANDARD.decode(value) else {
                continue;
            };
            if digest.len() != len {
                continue;
            }
            if best
                .as_ref()
                .is_none_or(|b| b.algorithm == "sha1" && algorithm == "sha512")
            {
                best = Some(Integrity { algorithm, digest });
            }
        }
        best
    }

    /// The same algorithm's digest of `bytes`.
    pub fn of(&self, bytes: &[u8]) -> Integrity {
        let digest = match self.algorithm {
            "sha512" => sha2::Sha512::digest(bytes).to_vec(),
            _ => sha1::Sha1::digest(bytes).to_vec(),
        };
        Integrity {
            algorithm: self.algorithm,
            digest,
        }
    }
}

impl fmt::Display for Integrity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = base64::engine::general_purpose::STANDARD.encode(&self.digest);
        write!(f, "{}-{value}", self.algorithm)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_strongest_digest_is_chosen_and_round_trips() {
        let sha512 = Integrity::parse("sha512-AAAA").is_none();
        assert!(sha512, "a digest of the wrong length is no digest");
        let bytes = b"tarball";
        let sha1 = Integrity::parse("sha1-AAAAAAAAAAAAAAAAAAAAAAAAAAA=")
            .unwrap()
            .of(bytes);
        let strong = Integrity::parse(&format!(
            "sha1-AAAAAAAAAAAAAAAAAAAAAAAAAAA= sha512-{}",
            "A".repeat(86) + "=="
        ))
        .unwrap()
        .of(bytes);
        assert!(sha1.to_string().starts_with("sha1-"));
        assert!(strong.to_string().starts_with("sha512-"));
        assert_eq!(Integrity::parse(&strong.to_string()), Some(strong));
    }
}
