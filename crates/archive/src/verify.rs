//! InRelease -> signed Release text: OpenPGP cleartext signature verification.
//!
//! Only the signed part is returned; nothing outside it is ever looked at. One good
//! signature from a key in the keyring is enough, but a signature from a known key
//! that does not verify fails the whole file, and signatures from keys not in the
//! keyring are ignored (Debian signs with the previous release's key too).

use crate::date::ReleaseDate;
use crate::error::{Error, Result};
use crate::keys::{Keyring, Signer, SignerKey};
use pgp::composed::CleartextSignedMessage;
use pgp::packet::Signature;
use tracing::debug;

/// The text that a trusted key signed, and who signed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedText {
    /// The signed text, with `\n` line endings.
    pub text: String,
    /// Fingerprint of the (sub)key whose signature verified.
    pub signer: String,
    /// The user id of that key's primary key.
    pub signer_name: String,
}

/// Verifies a clearsigned message (an InRelease file) against `keyring` at time `now`;
/// `url` names it in errors.
pub fn verify_clearsigned(
    bytes: &[u8],
    keyring: &Keyring,
    now: ReleaseDate,
    url: &str,
) -> Result<SignedText> {
    let not_clearsigned = |reason: String| Error::NotClearsigned {
        url: url.to_owned(),
        reason,
    };
    let text = std::str::from_utf8(bytes).map_err(|_| not_clearsigned("it is not UTF-8 text".into()))?;
    if !text.starts_with("-----BEGIN PGP SIGNED MESSAGE-----") {
        return Err(not_clearsigned(
            "it does not start with `-----BEGIN PGP SIGNED MESSAGE-----`".into(),
        ));
    }
    let (message, _) =
        CleartextSignedMessage::from_string(text).map_err(|e| not_clearsigned(e.to_string()))?;
    if message.signatures().is_empty() {
        return Err(not_clearsigned("it carries no signature".into()));
    }
    let signed = message.signed_text();
    let mut unknown = Vec::new();
    let mut expired = None;
    let mut good = None;
    for signature in message.signatures() {
        let known: Vec<&Signer> = keyring
            .signers()
            .iter()
            .filter(|s| issued_by(signature, s))
            .collect();
        if known.is_empty() {
            unknown.push(issuer(signature));
            continue;
        }
        let Some(signer) = known
            .into_iter()
            .find(|s| verifies(signature, s, signed.as_bytes()))
        else {
            return Err(Error::BadSignature {
                url: url.to_owned(),
                key: issuer(signature),
            });
        };
        match usable(signer, now) {
            Ok(()) => good = good.or(Some(signer)),
            Err(reason) => expired = Some((signer, reason)),
        }
    }
    if let Some(signer) = good {
        debug!(url, signer = %signer.fingerprint, "InRelease signature verified");
        return Ok(SignedText {
            text: signed.replace("\r\n", "\n"),
            signer: signer.fingerprint.clone(),
            signer_name: signer.owner.clone(),
        });
    }
    if let Some((signer, reason)) = expired {
        return Err(Error::KeyNotValid {
            url: url.to_owned(),
            key: signer.fingerprint.clone(),
            reason,
        });
    }
    Err(Error::UnknownKey {
        url: url.to_owned(),
        keys: unknown,
        keyring: keyring.name().to_owned(),
    })
}

/// Whether `signature` names `signer` as its issuer (by fingerprint or key id).
fn issued_by(signature: &Signature, signer: &Signer) -> bool {
    let by_fingerprint = signature
        .issuer_fingerprint()
        .iter()
        .any(|fp| format!("{fp:X}") == signer.fingerprint);
    by_fingerprint || signature.issuer_key_id().contains(&&signer.key_id)
}

/// The issuer for messages: the fingerprint when the signature gives one, else the key id.
fn issuer(signature: &Signature) -> String {
    if let Some(fp) = signature.issuer_fingerprint().first() {
        return format!("{fp:X}");
    }
    match signature.issuer_key_id().first() {
        Some(id) => format!("key id {}", id.to_string().to_uppercase()),
        None => "an unnamed key".to_owned(),
    }
}

fn verifies(signature: &Signature, signer: &Signer, text: &[u8]) -> bool {
    match &signer.key {
        SignerKey::Primary(key) => signature.verify(key, text).is_ok(),
        SignerKey::Sub(key) => signature.verify(key, text).is_ok(),
    }
}

fn usable(signer: &Signer, now: ReleaseDate) -> Result<(), String> {
    if signer.revoked {
        return Err("the key is revoked".to_owned());
    }
    match signer.expires {
        Some(expires) if expires < now => Err(format!("the key expired on {expires}")),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use buckle_testkit::keys::TestKey;

    fn date(s: &str) -> ReleaseDate {
        s.parse().unwrap()
    }

    fn keyring(key: &TestKey) -> Keyring {
        Keyring::from_bytes("test", key.armored_public().as_bytes()).unwrap()
    }

    #[test]
    fn signed_text_is_returned_with_unix_line_endings() {
        let key = TestKey::generate("archive");
        let signed = key.clearsign("Origin: Test\n- dashed line\nSuite: x\n");
        let out = verify_clearsigned(
            signed.as_bytes(),
            &keyring(&key),
            date("Sun, 22 Nov 2026 00:00:00 UTC"),
            "u",
        )
        .unwrap();
        assert_eq!(out.text, "Origin: Test\n- dashed line\nSuite: x\n");
        assert_eq!(out.signer, key.fingerprint());
        assert!(out.signer_name.contains("archive@buckle.test"));
    }

    #[test]
    fn signature_by_an_expired_key_is_not_accepted() {
        let key = TestKey::generate("archive");
        let signed = key.clearsign("Origin: Test\n");
        let mut ring = keyring(&key);
        for signer in &mut ring.signers {
            signer.expires = Some(date("Sat, 21 Nov 2026 00:00:00 UTC"));
        }
        let err = verify_clearsigned(
            signed.as_bytes(),
            &ring,
            date("Sun, 22 Nov 2026 00:00:00 UTC"),
            "u",
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "`u` is signed by key {}, which is no longer valid: the key expired on Sat, 21 Nov 2026 00:00:00 UTC",
                key.fingerprint()
            )
        );
        for signer in &mut ring.signers {
            signer.expires = None;
            signer.revoked = true;
        }
        let err = verify_clearsigned(
            signed.as_bytes(),
            &ring,
            date("Sun, 22 Nov 2026 00:00:00 UTC"),
            "u",
        )
        .unwrap_err();
        assert!(err.to_string().ends_with("the key is revoked"), "{err}");
    }
}
