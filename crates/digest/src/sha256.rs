//! The [`Sha256`] digest newtype.

use crate::error::{Error, Result};
use sha2::Digest as _;
use std::fmt;
use std::str::FromStr;

/// A SHA-256 digest. `Display` gives 64 lowercase hex digits; [`Sha256::oci`] gives the
/// OCI form `sha256:<hex>`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sha256([u8; 32]);

impl Sha256 {
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Sha256(sha2::Sha256::digest(bytes).into())
    }

    /// Wraps raw digest bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Sha256(bytes)
    }

    /// The raw digest bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The lowercase hex form (same as `Display`).
    pub fn hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The OCI digest form, `sha256:<hex>`.
    pub fn oci(&self) -> String {
        format!("sha256:{}", self.hex())
    }

    /// Parses the OCI digest form, `sha256:<hex>`.
    pub fn parse_oci(s: &str) -> Result<Self> {
        let hex = s
            .strip_prefix("sha256:")
            .ok_or_else(|| Error::BadOciDigest(s.to_owned()))?;
        hex.parse().map_err(|_| Error::BadOciDigest(s.to_owned()))
    }

    /// The first `n` hex digits, for short display.
    pub fn short(&self, n: usize) -> String {
        let mut hex = self.hex();
        hex.truncate(n);
        hex
    }
}

impl FromStr for Sha256 {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let valid = s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if !valid {
            return Err(Error::BadHex(s.to_owned()));
        }
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).map_err(|_| Error::BadHex(s.to_owned()))?;
        Ok(Sha256(out))
    }
}

impl fmt::Display for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hex())
    }
}

impl fmt::Debug for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256({})", self.hex())
    }
}

impl serde::Serialize for Sha256 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.hex())
    }
}

impl<'de> serde::Deserialize<'de> for Sha256 {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_round_trips_through_from_str() {
        let d = Sha256::of(b"abc");
        assert_eq!(
            d.to_string(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(d.to_string().parse::<Sha256>().unwrap(), d);
        assert_eq!(Sha256::parse_oci(&d.oci()).unwrap(), d);
    }

    #[test]
    fn uppercase_short_and_prefixed_hex_are_rejected() {
        let hex = Sha256::of(b"abc").hex();
        assert!(hex.to_uppercase().parse::<Sha256>().is_err());
        assert!(hex[..63].parse::<Sha256>().is_err());
        assert!(Sha256::parse_oci(&format!("sha512:{hex}")).is_err());
        assert_eq!(
            "zz".parse::<Sha256>().unwrap_err().to_string(),
            "`zz` is not a SHA-256 digest: expected 64 lowercase hex digits"
        );
    }
}
