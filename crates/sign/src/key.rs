//! ECDSA P-256 keys in cosign's files: the private key as PKCS#8, encrypted with a
//! password ([`crate::encrypted`]) and armoured as PEM `ENCRYPTED SIGSTORE PRIVATE KEY`
//! (older cosign releases wrote `ENCRYPTED COSIGN PRIVATE KEY`, read here too), the
//! public key as PEM `PUBLIC KEY` (SubjectPublicKeyInfo). Signatures are ECDSA over
//! SHA-256, ASN.1 DER encoded, as cosign makes them.
//!
//! Neither type prints its secret: `Debug` shows the public key only.

use crate::encrypted::{self, ScryptParams};
use crate::error::{Error, Result};
use buckle_digest::Sha256;
use p256::ecdsa::signature::{Signer as _, Verifier as _};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use p256::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use rand_core::CryptoRngCore;
use std::fmt;

/// The PEM label cosign writes on encrypted private keys.
pub const SIGSTORE_PRIVATE_KEY_LABEL: &str = "ENCRYPTED SIGSTORE PRIVATE KEY";
/// The PEM label older cosign releases wrote.
pub const COSIGN_PRIVATE_KEY_LABEL: &str = "ENCRYPTED COSIGN PRIVATE KEY";
const PUBLIC_KEY_LABEL: &str = "PUBLIC KEY";

/// A private signing key.
#[derive(Clone)]
pub struct PrivateKey {
    key: SigningKey,
}

/// A public verification key.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    key: VerifyingKey,
}

impl PrivateKey {
    /// A new random key.
    pub fn generate(rng: &mut impl CryptoRngCore) -> PrivateKey {
        PrivateKey {
            key: SigningKey::random(rng),
        }
    }

    /// The encrypted PEM file cosign reads (`cosign.key`), with cosign's scrypt cost.
    pub fn to_encrypted_pem(&self, password: &[u8], rng: &mut impl CryptoRngCore) -> Result<String> {
        self.to_encrypted_pem_with(password, ScryptParams::COSIGN, rng)
    }

    /// [`PrivateKey::to_encrypted_pem`] with other scrypt parameters (cheap ones make
    /// tests fast; cosign reads any).
    pub fn to_encrypted_pem_with(
        &self,
        password: &[u8],
        params: ScryptParams,
        rng: &mut impl CryptoRngCore,
    ) -> Result<String> {
        let der = self
            .key
            .to_pkcs8_der()
            .map_err(|e| Error::Internal(format!("cannot encode the key as PKCS#8: {e}")))?;
        let container = encrypted::encrypt(der.as_bytes(), password, params, rng)?;
        pem_rfc7468::encode_string(SIGSTORE_PRIVATE_KEY_LABEL, LineEnding::LF, &container)
            .map_err(|e| Error::Internal(format!("cannot armour the key: {e}")))
    }

    /// Reads an encrypted private key file made by buckle or cosign.
    pub fn from_encrypted_pem(pem: &str, password: &[u8]) -> Result<PrivateKey> {
        let (label, container) =
            pem_rfc7468::decode_vec(pem.trim().as_bytes()).map_err(|e| Error::KeyFormat {
                reason: format!("not a PEM file: {e}"),
            })?;
        if label != SIGSTORE_PRIVATE_KEY_LABEL && label != COSIGN_PRIVATE_KEY_LABEL {
            return Err(Error::KeyFormat {
                reason: format!(
                    "the PEM block is `{label}`: expected `{SIGSTORE_PRIVATE_KEY_LABEL}` (a key from `buckle keygen` or `cosign generate-key-pair`)"
                ),
            });
        }
        let der = encrypted::decrypt(&container, password)?;
        let key = SigningKey::from_pkcs8_der(&der).map_err(|e| Error::KeyFormat {
            reason: format!("the decrypted key is not an ECDSA P-256 PKCS#8 key: {e}"),
        })?;
        Ok(PrivateKey { key })
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey {
            key: *self.key.verifying_key(),
        }
    }

    /// Signs `message` (ECDSA P-256 over its SHA-256); the signature in ASN.1 DER.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let signature: Signature = self.key.sign(message);
        signature.to_der().as_bytes().to_vec()
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrivateKey(public {})", self.public_key().fingerprint())
    }
}

impl PublicKey {
    /// Reads a `PUBLIC KEY` PEM (`cosign.pub`, `buckle keygen`'s `.pub`).
    pub fn from_pem(pem: &str) -> Result<PublicKey> {
        let (label, _) = pem_rfc7468::decode_vec(pem.trim().as_bytes()).map_err(|e| Error::KeyFormat {
            reason: format!("not a PEM file: {e}"),
        })?;
        if label != PUBLIC_KEY_LABEL {
            return Err(Error::KeyFormat {
                reason: format!("the PEM block is `{label}`: expected `{PUBLIC_KEY_LABEL}`"),
            });
        }
        let key = VerifyingKey::from_public_key_pem(pem.trim()).map_err(|e| Error::KeyFormat {
            reason: format!("not an ECDSA P-256 public key: {e}"),
        })?;
        Ok(PublicKey { key })
    }

    /// The `PUBLIC KEY` PEM text.
    pub fn to_pem(&self) -> String {
        self.key
            .to_public_key_pem(LineEnding::LF)
            .expect("a P-256 public key always encodes as SubjectPublicKeyInfo")
    }

    /// SHA-256 of the DER SubjectPublicKeyInfo: a name for the key in messages.
    pub fn fingerprint(&self) -> Sha256 {
        let der = self
            .key
            .to_public_key_der()
            .expect("a P-256 public key always encodes as SubjectPublicKeyInfo");
        Sha256::of(der.as_bytes())
    }

    /// Checks an ECDSA P-256 SHA-256 signature over `message`, DER encoded (as cosign
    /// writes) or as 64 raw bytes (r then s).
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), SignatureError> {
        let signature = Signature::from_der(signature)
            .or_else(|_| Signature::from_slice(signature))
            .map_err(|_| SignatureError::Malformed)?;
        self.key
            .verify(message, &signature)
            .map_err(|_| SignatureError::Mismatch)
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.fingerprint())
    }
}

/// Why a signature did not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// Not an ECDSA signature in DER or raw form.
    #[error("the signature is not an ECDSA P-256 signature")]
    Malformed,
    /// Well formed, but not made by this key over these bytes.
    #[error("the signature was not made by this key over these bytes")]
    Mismatch,
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAST: ScryptParams = ScryptParams { n: 16, r: 8, p: 1 };

    #[test]
    fn private_key_round_trips_through_its_encrypted_pem() {
        let key = PrivateKey::generate(&mut rand::rngs::OsRng);
        let pem = key
            .to_encrypted_pem_with(b"pw", FAST, &mut rand::rngs::OsRng)
            .unwrap();
        assert!(
            pem.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"),
            "{pem}"
        );
        assert!(pem.lines().all(|line| line.len() <= 64));
        let read = PrivateKey::from_encrypted_pem(&pem, b"pw").unwrap();
        assert_eq!(read.public_key(), key.public_key());
        let err = PrivateKey::from_encrypted_pem(&pem, b"nope").unwrap_err();
        assert_eq!(err.to_string(), "wrong password for the private key");
    }

    #[test]
    fn a_key_with_the_old_cosign_label_is_read() {
        let key = PrivateKey::generate(&mut rand::rngs::OsRng);
        let pem = key
            .to_encrypted_pem_with(b"", FAST, &mut rand::rngs::OsRng)
            .unwrap()
            .replace(SIGSTORE_PRIVATE_KEY_LABEL, COSIGN_PRIVATE_KEY_LABEL);
        assert_eq!(
            PrivateKey::from_encrypted_pem(&pem, b"").unwrap().public_key(),
            key.public_key()
        );
    }

    #[test]
    fn signatures_verify_with_the_public_key_only() {
        let key = PrivateKey::generate(&mut rand::rngs::OsRng);
        let other = PrivateKey::generate(&mut rand::rngs::OsRng);
        let signature = key.sign(b"payload");
        let public = PublicKey::from_pem(&key.public_key().to_pem()).unwrap();
        assert_eq!(public.verify(b"payload", &signature), Ok(()));
        assert_eq!(
            public.verify(b"payloaD", &signature),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            other.public_key().verify(b"payload", &signature),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(public.verify(b"payload", b"junk"), Err(SignatureError::Malformed));
    }

    #[test]
    fn a_public_key_is_not_taken_for_a_private_key_and_back() {
        let key = PrivateKey::generate(&mut rand::rngs::OsRng);
        let public = key.public_key().to_pem();
        let err = PrivateKey::from_encrypted_pem(&public, b"").unwrap_err();
        assert!(err.to_string().contains("the PEM block is `PUBLIC KEY`"), "{err}");
        let private = key
            .to_encrypted_pem_with(b"", FAST, &mut rand::rngs::OsRng)
            .unwrap();
        let err = PublicKey::from_pem(&private).unwrap_err();
        assert!(err.to_string().contains("expected `PUBLIC KEY`"), "{err}");
        assert!(!format!("{key:?}").contains("BEGIN"));
    }
}
