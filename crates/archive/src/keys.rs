//! Keyrings: the Debian archive signing keys shipped inside buckle, and custom ones.
//!
//! The shipped keys were exported from the Debian package `debian-archive-keyring`;
//! `crates/archive/keys/README.md` lists where each file came from and its fingerprint.

use crate::date::ReleaseDate;
use crate::error::{Error, Result};
use pgp::composed::{Deserializable, SignedPublicKey};
use pgp::packet::{PublicKey, PublicSubkey, Signature, SignatureType};
use pgp::types::{KeyDetails, KeyId};
use std::io::Cursor;

/// The shipped keys: (file name, armored key), from package `debian-archive-keyring`.
const DEBIAN_KEYS: [(&str, &str); 9] = [
    (
        "debian-archive-trixie-automatic.asc",
        include_str!("../keys/debian-archive-trixie-automatic.asc"),
    ),
    (
        "debian-archive-trixie-security-automatic.asc",
        include_str!("../keys/debian-archive-trixie-security-automatic.asc"),
    ),
    (
        "debian-archive-trixie-stable.asc",
        include_str!("../keys/debian-archive-trixie-stable.asc"),
    ),
    (
        "debian-archive-bookworm-automatic.asc",
        include_str!("../keys/debian-archive-bookworm-automatic.asc"),
    ),
    (
        "debian-archive-bookworm-security-automatic.asc",
        include_str!("../keys/debian-archive-bookworm-security-automatic.asc"),
    ),
    (
        "debian-archive-bookworm-stable.asc",
        include_str!("../keys/debian-archive-bookworm-stable.asc"),
    ),
    (
        "debian-archive-bullseye-automatic.asc",
        include_str!("../keys/debian-archive-bullseye-automatic.asc"),
    ),
    (
        "debian-archive-bullseye-security-automatic.asc",
        include_str!("../keys/debian-archive-bullseye-security-automatic.asc"),
    ),
    (
        "debian-archive-bullseye-stable.asc",
        include_str!("../keys/debian-archive-bullseye-stable.asc"),
    ),
];

/// A key (primary or signing subkey) that may sign InRelease files.
#[derive(Debug, Clone)]
pub(crate) struct Signer {
    pub(crate) key: SignerKey,
    /// Uppercase hex fingerprint of this (sub)key.
    pub(crate) fingerprint: String,
    pub(crate) key_id: KeyId,
    /// The primary key's user id, for messages.
    pub(crate) owner: String,
    pub(crate) expires: Option<ReleaseDate>,
    pub(crate) revoked: bool,
}

#[derive(Debug, Clone)]
pub(crate) enum SignerKey {
    Primary(PublicKey),
    Sub(PublicSubkey),
}

/// A set of OpenPGP public keys trusted to sign a repository's InRelease.
#[derive(Debug, Clone)]
pub struct Keyring {
    name: String,
    pub(crate) signers: Vec<Signer>,
}

impl Keyring {
    /// The Debian archive keys shipped with buckle: the archive, security archive and
    /// stable release keys of trixie, bookworm and bullseye.
    /// They are read (and their self-signatures checked) once per process.
    pub fn debian() -> Keyring {
        static DEBIAN: std::sync::OnceLock<Keyring> = std::sync::OnceLock::new();
        DEBIAN
            .get_or_init(|| {
                let mut ring = Keyring {
                    name: "buckle's Debian archive keys".to_owned(),
                    signers: Vec::new(),
                };
                for (file, armored) in DEBIAN_KEYS {
                    let keys = Keyring::from_bytes(file, armored.as_bytes())
                        .expect("the shipped Debian keys parse (tested in keys::tests)");
                    ring.signers.extend(keys.signers);
                }
                ring
            })
            .clone()
    }

    /// Reads a keyring file's bytes: ASCII-armored or binary OpenPGP keys, one or many.
    /// `name` (usually the file path) names it in errors.
    pub fn from_bytes(name: &str, bytes: &[u8]) -> Result<Keyring> {
        let bad = |reason: String| Error::Keyring {
            keyring: name.to_owned(),
            reason,
        };
        let (keys, _) =
            SignedPublicKey::from_reader_many(Cursor::new(bytes)).map_err(|e| bad(e.to_string()))?;
        let mut signers = Vec::new();
        for key in keys {
            let key = key.map_err(|e| bad(e.to_string()))?;
            signers.extend(signers_of(&key).map_err(bad)?);
        }
        if signers.is_empty() {
            return Err(bad("it holds no public key".to_owned()));
        }
        Ok(Keyring {
            name: name.to_owned(),
            signers,
        })
    }

    /// Adds the keys of `other`.
    pub fn extend(&mut self, other: Keyring) {
        self.signers.extend(other.signers);
    }

    /// The keyring's name (file name or description), for messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Uppercase hex fingerprints of every key and signing subkey.
    pub fn fingerprints(&self) -> Vec<String> {
        self.signers.iter().map(|s| s.fingerprint.clone()).collect()
    }

    pub(crate) fn signers(&self) -> &[Signer] {
        &self.signers
    }
}

/// The primary key and its signing subkeys, with their self-signatures checked.
fn signers_of(key: &SignedPublicKey) -> Result<Vec<Signer>, String> {
    let primary = &key.primary_key;
    let fingerprint = hex_fingerprint(primary);
    key.details
        .verify_bindings(primary)
        .map_err(|e| format!("key {fingerprint} has a bad self-signature: {e}"))?;
    let owner = key
        .details
        .users
        .first()
        .map(|u| String::from_utf8_lossy(u.id.id()).into_owned())
        .unwrap_or_else(|| fingerprint.clone());
    let primary_expires = newest(key.details.users.iter().flat_map(|u| &u.signatures))
        .and_then(|sig| expiry(primary.created_at(), sig));
    let revoked = !key.details.revocation_signatures.is_empty();
    let mut signers = vec![Signer {
        key: SignerKey::Primary(primary.clone()),
        key_id: primary.legacy_key_id(),
        fingerprint,
        owner: owner.clone(),
        expires: primary_expires,
        revoked,
    }];
    for sub in &key.public_subkeys {
        let Some(binding) = newest(
            sub.signatures
                .iter()
                .filter(|s| s.typ() == Some(SignatureType::SubkeyBinding)),
        ) else {
            continue;
        };
        if !binding.key_flags().sign() || sub.verify_bindings(primary).is_err() {
            continue;
        }
        let sub_revoked = sub
            .signatures
            .iter()
            .any(|s| s.typ() == Some(SignatureType::SubkeyRevocation));
        let expires = [primary_expires, expiry(sub.key.created_at(), binding)]
            .into_iter()
            .flatten()
            .min();
        signers.push(Signer {
            key: SignerKey::Sub(sub.key.clone()),
            fingerprint: hex_fingerprint(&sub.key),
            key_id: sub.key.legacy_key_id(),
            owner: owner.clone(),
            expires,
            revoked: revoked || sub_revoked,
        });
    }
    Ok(signers)
}

fn newest<'a>(sigs: impl Iterator<Item = &'a Signature>) -> Option<&'a Signature> {
    sigs.max_by_key(|s| s.created().map(|t| t.as_secs()).unwrap_or(0))
}

/// When a key created at `created` expires per `sig` (no subpacket or zero: never).
fn expiry(created: pgp::types::Timestamp, sig: &Signature) -> Option<ReleaseDate> {
    let duration = sig.key_expiration_time().filter(|d| d.as_secs() != 0)?;
    let secs = i64::from(created.as_secs()) + i64::from(duration.as_secs());
    Some(ReleaseDate::from_unix(secs))
}

pub(crate) fn hex_fingerprint(key: &impl KeyDetails) -> String {
    format!("{:X}", key.fingerprint())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_debian_keys_parse_with_their_signing_subkeys() {
        let ring = Keyring::debian();
        let fps = ring.fingerprints();
        for fp in [
            // trixie stable release key (ed25519, signs with the primary key)
            "41587F7DB8C774BCCF131416762F67A0B2C39DE4",
            // trixie automatic key's signing subkey
            "B8E5F13176D2A7A75220028078DBA3BC47EF2265",
            // bookworm automatic and security automatic signing subkeys
            "4CB50190207B4758A3F73A796ED0E7B82643E131",
            "B0CAB9266E8C3929798B3EEEBDE6D2B9216EC7A8",
            // trixie security automatic signing subkey
            "89C87ACEA5DD6B8E6A7068808E9F831205B4BA95",
        ] {
            assert!(fps.iter().any(|f| f == fp), "{fp} missing from {fps:?}");
        }
        let trixie = ring
            .signers()
            .iter()
            .find(|s| s.fingerprint.starts_with("B8E5F131"))
            .unwrap();
        assert!(trixie.owner.contains("13/trixie"));
        // 2058-03-28, from `gpg --with-colons` on the keyring file.
        assert_eq!(trixie.expires, Some(ReleaseDate::from_unix(2058699029)));
        assert!(ring.signers().iter().all(|s| !s.revoked));
    }

    #[test]
    fn garbage_keyring_is_an_error_naming_the_file() {
        let err = Keyring::from_bytes("/etc/keys/x.gpg", b"not a key").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("cannot read keyring `/etc/keys/x.gpg`"),
            "{err}"
        );
    }
}
