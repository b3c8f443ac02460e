//! Password-encrypted bytes in the JSON container that cosign's private keys use
//! (secure-systems-lab's `encrypted` format): scrypt derives a 32-byte key from the
//! password and a random salt, and NaCl secretbox (XSalsa20-Poly1305) seals the data.
//!
//! ```json
//! {"kdf":{"name":"scrypt","params":{"N":65536,"r":8,"p":1},"salt":"<base64>"},
//!  "cipher":{"name":"nacl/secretbox","nonce":"<base64>"},
//!  "ciphertext":"<base64 of the 16-byte Poly1305 tag, then the encrypted bytes>"}
//! ```

use crate::error::{Error, Result};
use base64::engine::general_purpose::STANDARD as BASE64;
use crypto_secretbox::aead::{AeadInPlace, KeyInit};
use crypto_secretbox::{Nonce, Tag, XSalsa20Poly1305};
use rand_core::CryptoRngCore;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

const KDF_NAME: &str = "scrypt";
const CIPHER_NAME: &str = "nacl/secretbox";
const SALT_LEN: usize = 32;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
const KEY_LEN: usize = 32;

/// scrypt's cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScryptParams {
    /// CPU/memory cost, a power of two.
    #[serde(rename = "N")]
    pub n: u64,
    /// Block size.
    pub r: u32,
    /// Parallelism.
    pub p: u32,
}

impl ScryptParams {
    /// What cosign writes today: N = 65536, r = 8, p = 1 (64 MiB, a fraction of a second).
    pub const COSIGN: ScryptParams = ScryptParams { n: 65536, r: 8, p: 1 };

    /// The most a key file may ask for: N = 2^20 with r = 8 is 1 GiB of memory, which
    /// is past anything a real key uses and stops a hostile file from exhausting memory.
    const MAX_MEMORY: u128 = 1 << 30;

    fn to_scrypt(self) -> Result<scrypt::Params> {
        let bad = |reason: &str| Error::KeyFormat {
            reason: format!(
                "scrypt parameters N={} r={} p={} {reason}",
                self.n, self.r, self.p
            ),
        };
        if !self.n.is_power_of_two() || self.n < 2 {
            return Err(bad("are invalid: N must be a power of two above 1"));
        }
        let memory = 128 * u128::from(self.r) * u128::from(self.n) * u128::from(self.p.max(1));
        if memory > Self::MAX_MEMORY {
            return Err(bad("ask for more than 1 GiB of memory"));
        }
        let log_n = u8::try_from(self.n.trailing_zeros()).map_err(|_| bad("are invalid"))?;
        scrypt::Params::new(log_n, self.r, self.p, KEY_LEN).map_err(|_| bad("are invalid"))
    }
}

#[derive(Serialize, Deserialize)]
struct Container {
    kdf: Kdf,
    cipher: Cipher,
    #[serde(with = "base64_bytes")]
    ciphertext: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
struct Kdf {
    name: String,
    params: ScryptParams,
    #[serde(with = "base64_bytes")]
    salt: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
struct Cipher {
    name: String,
    #[serde(with = "base64_bytes")]
    nonce: Vec<u8>,
}

/// Encrypts `plaintext` with `password`; returns the JSON container.
pub fn encrypt(
    plaintext: &[u8],
    password: &[u8],
    params: ScryptParams,
    rng: &mut impl CryptoRngCore,
) -> Result<Vec<u8>> {
    let mut salt = vec![0u8; SALT_LEN];
    rng.fill_bytes(&mut salt);
    let mut nonce = [0u8; NONCE_LEN];
    rng.fill_bytes(&mut nonce);
    let cipher = secretbox(password, &salt, params)?;
    let mut sealed = Zeroizing::new(plaintext.to_vec());
    let tag = cipher
        .encrypt_in_place_detached(Nonce::from_slice(&nonce), b"", &mut sealed)
        .map_err(|_| Error::Internal("secretbox refused to encrypt".into()))?;
    let mut ciphertext = tag.to_vec();
    ciphertext.extend_from_slice(&sealed);
    let container = Container {
        kdf: Kdf {
            name: KDF_NAME.to_owned(),
            params,
            salt,
        },
        cipher: Cipher {
            name: CIPHER_NAME.to_owned(),
            nonce: nonce.to_vec(),
        },
        ciphertext,
    };
    serde_json::to_vec(&container)
        .map_err(|e| Error::Internal(format!("cannot encode the key container: {e}")))
}

/// Decrypts a JSON container made by [`encrypt`] (or by cosign); a wrong password is
/// [`Error::WrongPassword`].
pub fn decrypt(container: &[u8], password: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    let container: Container = serde_json::from_slice(container).map_err(|e| Error::KeyFormat {
        reason: format!("the encrypted key is not the scrypt + secretbox JSON container: {e}"),
    })?;
    if container.kdf.name != KDF_NAME || container.cipher.name != CIPHER_NAME {
        return Err(Error::KeyFormat {
            reason: format!(
                "the key is encrypted with `{}` + `{}`: expected `{KDF_NAME}` + `{CIPHER_NAME}`",
                container.kdf.name, container.cipher.name
            ),
        });
    }
    if container.cipher.nonce.len() != NONCE_LEN || container.ciphertext.len() < TAG_LEN {
        return Err(Error::KeyFormat {
            reason: "the encrypted key's nonce or ciphertext is too short".to_owned(),
        });
    }
    let cipher = secretbox(password, &container.kdf.salt, container.kdf.params)?;
    let (tag, sealed) = container.ciphertext.split_at(TAG_LEN);
    let mut plaintext = Zeroizing::new(sealed.to_vec());
    cipher
        .decrypt_in_place_detached(
            Nonce::from_slice(&container.cipher.nonce),
            b"",
            &mut plaintext,
            Tag::from_slice(tag),
        )
        .map_err(|_| Error::WrongPassword)?;
    Ok(plaintext)
}

fn secretbox(password: &[u8], salt: &[u8], params: ScryptParams) -> Result<XSalsa20Poly1305> {
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    scrypt::scrypt(password, salt, &params.to_scrypt()?, key.as_mut())
        .map_err(|_| Error::Internal("scrypt output length".into()))?;
    Ok(XSalsa20Poly1305::new(key.as_ref().into()))
}

/// Serde for bytes as standard base64 (what Go's encoding/json does with `[]byte`).
mod base64_bytes {
    use super::BASE64;
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&BASE64.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        BASE64.decode(text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cheap parameters so the tests run fast; the format is the same.
    const FAST: ScryptParams = ScryptParams { n: 16, r: 8, p: 1 };

    #[test]
    fn encrypted_bytes_decrypt_with_the_password_only() {
        let sealed = encrypt(b"secret key bytes", b"pw", FAST, &mut rand::rngs::OsRng).unwrap();
        let text = String::from_utf8(sealed.clone()).unwrap();
        assert!(
            text.starts_with(r#"{"kdf":{"name":"scrypt","params":{"N":16,"r":8,"p":1},"salt":""#),
            "{text}"
        );
        assert!(!text.contains("key bytes"));
        assert_eq!(decrypt(&sealed, b"pw").unwrap().as_slice(), b"secret key bytes");
        assert!(matches!(decrypt(&sealed, b"other"), Err(Error::WrongPassword)));
    }

    #[test]
    fn hostile_scrypt_parameters_are_refused_before_deriving() {
        let sealed = encrypt(b"x", b"pw", FAST, &mut rand::rngs::OsRng).unwrap();
        let text = String::from_utf8(sealed).unwrap();
        let huge = text.replace(r#""N":16"#, r#""N":1099511627776"#);
        let err = decrypt(huge.as_bytes(), b"pw").unwrap_err();
        assert!(err.to_string().contains("more than 1 GiB"), "{err}");
        let odd = text.replace(r#""N":16"#, r#""N":17"#);
        let err = decrypt(odd.as_bytes(), b"pw").unwrap_err();
        assert!(err.to_string().contains("power of two"), "{err}");
    }

    #[test]
    fn a_container_with_another_cipher_is_named() {
        let sealed = encrypt(b"x", b"pw", FAST, &mut rand::rngs::OsRng).unwrap();
        let text = String::from_utf8(sealed)
            .unwrap()
            .replace("nacl/secretbox", "aes-gcm");
        let err = decrypt(text.as_bytes(), b"pw").unwrap_err();
        assert!(err.to_string().contains("`aes-gcm`"), "{err}");
    }
}
