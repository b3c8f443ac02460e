//! OpenPGP signing keys generated in code, for signing test InRelease files.

use pgp::composed::{
    ArmorOptions, CleartextSignedMessage, KeyType, SecretKeyParamsBuilder, SignedPublicKey, SignedSecretKey,
};
use pgp::packet::{SignatureConfig, SignatureType, Subpacket, SubpacketData};
use pgp::ser::Serialize;
use pgp::types::{KeyDetails, Password, Timestamp};

/// A freshly generated ed25519 signing key.
#[derive(Clone)]
pub struct TestKey {
    secret: SignedSecretKey,
}

impl std::fmt::Debug for TestKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TestKey({})", self.fingerprint())
    }
}

impl TestKey {
    /// Generates a new key with user id `name <name@buckle.test>`.
    pub fn generate(name: &str) -> TestKey {
        let mut params = SecretKeyParamsBuilder::default();
        params
            .key_type(KeyType::Ed25519Legacy)
            .can_certify(true)
            .can_sign(true)
            .primary_user_id(format!("{name} <{name}@buckle.test>"));
        let params = params.build().expect("static key parameters are complete");
        let secret = params
            .generate(rand::thread_rng())
            .expect("ed25519 key generation does not fail");
        TestKey { secret }
    }

    /// The public key.
    pub fn public(&self) -> SignedPublicKey {
        self.secret.to_public_key()
    }

    /// The public key, ASCII-armored (what a keyring file holds).
    pub fn armored_public(&self) -> String {
        self.public()
            .to_armored_string(ArmorOptions::default())
            .expect("a generated key serializes")
    }

    /// The public key as binary OpenPGP packets (what a `.gpg` keyring file holds).
    pub fn binary_public(&self) -> Vec<u8> {
        self.public().to_bytes().expect("a generated key serializes")
    }

    /// The key's fingerprint in uppercase hex.
    pub fn fingerprint(&self) -> String {
        format!("{:X}", self.secret.fingerprint())
    }

    /// Clearsigns `text` with this key, as `InRelease` is signed.
    pub fn clearsign(&self, text: &str) -> String {
        clearsign_with(text, &[self], &[])
    }
}

/// Clearsigns `text` with every key in `good` (one signature each), and adds a
/// signature by each key in `bad` made over other text, so that it does not verify.
pub fn clearsign_with(text: &str, good: &[&TestKey], bad: &[&TestKey]) -> String {
    let message = CleartextSignedMessage::new_many(text, |normalized| {
        let other = format!("{normalized}tampered\r\n");
        let good = good.iter().map(|key| key.sign(normalized));
        let bad = bad.iter().map(|key| key.sign(&other));
        good.chain(bad).collect()
    })
    .expect("signing with a generated key does not fail");
    message
        .to_armored_string(ArmorOptions::default())
        .expect("a signed message serializes")
}

impl TestKey {
    fn sign(&self, normalized: &str) -> pgp::errors::Result<pgp::packet::Signature> {
        let signer = &self.secret.primary_key;
        signature_config(self)?.sign(signer, &Password::empty(), normalized.as_bytes())
    }
}

fn signature_config(key: &TestKey) -> pgp::errors::Result<SignatureConfig> {
    let signer = &key.secret.primary_key;
    let mut config = SignatureConfig::from_key(rand::thread_rng(), signer, SignatureType::Text)?;
    config.hashed_subpackets = vec![
        Subpacket::regular(SubpacketData::SignatureCreationTime(Timestamp::now()))?,
        Subpacket::regular(SubpacketData::IssuerFingerprint(signer.fingerprint()))?,
    ];
    config.unhashed_subpackets = vec![Subpacket::regular(SubpacketData::IssuerKeyId(
        signer.legacy_key_id(),
    ))?];
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clearsigned_text_verifies_with_the_public_key_only() {
        let key = TestKey::generate("archive");
        let other = TestKey::generate("other");
        let signed = key.clearsign("Origin: Test\nSuite: stable\n");
        assert!(signed.starts_with("-----BEGIN PGP SIGNED MESSAGE-----"));
        let (message, _) = CleartextSignedMessage::from_string(&signed).unwrap();
        assert!(message.verify(&key.public()).is_ok());
        assert!(message.verify(&other.public()).is_err());
    }
}
