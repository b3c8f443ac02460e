//! Statement -> DSSE envelope: signing and verifying Dead Simple Signing Envelopes
//! (secure-systems-lab/dsse, `envelope.md` and `protocol.md`). The signature is over
//! the pre-authentication encoding (PAE) of the payload type and the payload bytes,
//! never over the JSON envelope.

use crate::key::{PrivateKey, PublicKey, SignatureError};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

/// The payload type of an in-toto statement.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
/// The media type of a DSSE envelope stored as a blob.
pub const ENVELOPE_MEDIA_TYPE: &str = "application/vnd.dsse.envelope.v1+json";

/// A DSSE envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    /// What the payload is ([`IN_TOTO_PAYLOAD_TYPE`]).
    pub payload_type: String,
    /// The payload, standard base64.
    pub payload: String,
    /// One signature per key.
    pub signatures: Vec<EnvelopeSignature>,
}

/// One signature in an envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvelopeSignature {
    /// Key hint; empty, as cosign writes it (verifiers try the keys they are given).
    #[serde(default)]
    pub keyid: String,
    /// The signature, standard base64 of ASN.1 DER.
    pub sig: String,
}

/// Why an envelope did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// The blob is not an envelope.
    #[error("not a DSSE envelope: {0}")]
    Malformed(String),
    /// The envelope carries no signature.
    #[error("the envelope has no signature")]
    Unsigned,
    /// No signature verifies with the key.
    #[error("no signature in the envelope verifies with the key: {0}")]
    BadSignature(SignatureError),
}

/// PAE(type, body) = "DSSEv1" SP len(type) SP type SP len(body) SP body, lengths in
/// ASCII decimal.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!("DSSEv1 {} {payload_type} {} ", payload_type.len(), payload.len()).into_bytes();
    out.extend_from_slice(payload);
    out
}

impl Envelope {
    /// Signs `payload` of `payload_type` with `key`.
    pub fn sign(payload_type: &str, payload: &[u8], key: &PrivateKey) -> Envelope {
        let signature = key.sign(&pae(payload_type, payload));
        Envelope {
            payload_type: payload_type.to_owned(),
            payload: BASE64.encode(payload),
            signatures: vec![EnvelopeSignature {
                keyid: String::new(),
                sig: BASE64.encode(signature),
            }],
        }
    }

    /// Parses an envelope blob.
    pub fn from_json(bytes: &[u8]) -> Result<Envelope, EnvelopeError> {
        serde_json::from_slice(bytes).map_err(|e| EnvelopeError::Malformed(e.to_string()))
    }

    /// The envelope as JSON bytes.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("an envelope of strings always serialises")
    }

    /// The payload bytes, NOT verified: for showing what an envelope says; trust
    /// comes from [`Envelope::verify`].
    pub fn unverified_payload(&self) -> Result<Vec<u8>, EnvelopeError> {
        BASE64
            .decode(&self.payload)
            .map_err(|e| EnvelopeError::Malformed(format!("the payload is not base64: {e}")))
    }

    /// Checks that a signature verifies with `key`, and returns the payload bytes.
    pub fn verify(&self, key: &PublicKey) -> Result<Vec<u8>, EnvelopeError> {
        let payload = self.unverified_payload()?;
        let message = pae(&self.payload_type, &payload);
        let mut last = EnvelopeError::Unsigned;
        for signature in &self.signatures {
            let Ok(bytes) = BASE64.decode(&signature.sig) else {
                last = EnvelopeError::BadSignature(SignatureError::Malformed);
                continue;
            };
            match key.verify(&message, &bytes) {
                Ok(()) => return Ok(payload),
                Err(e) => last = EnvelopeError::BadSignature(e),
            }
        }
        Err(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_dsse_protocol_example() {
        // protocol.md: PAE("http://example.com/HelloWorld", "hello world")
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
        );
    }

    #[test]
    fn envelope_verifies_and_any_changed_byte_fails() {
        let key = PrivateKey::generate(&mut rand::rngs::OsRng);
        let envelope = Envelope::sign(IN_TOTO_PAYLOAD_TYPE, br#"{"a":1}"#, &key);
        let read = Envelope::from_json(&envelope.to_json()).unwrap();
        assert_eq!(read.verify(&key.public_key()).unwrap(), br#"{"a":1}"#);

        let mut changed_payload = read.clone();
        changed_payload.payload = BASE64.encode(br#"{"a":2}"#);
        assert_eq!(
            changed_payload.verify(&key.public_key()),
            Err(EnvelopeError::BadSignature(SignatureError::Mismatch))
        );
        let mut changed_type = read.clone();
        changed_type.payload_type = "text/plain".into();
        assert!(changed_type.verify(&key.public_key()).is_err());
        let other = PrivateKey::generate(&mut rand::rngs::OsRng);
        assert!(read.verify(&other.public_key()).is_err());
        let mut unsigned = read;
        unsigned.signatures.clear();
        assert_eq!(unsigned.verify(&key.public_key()), Err(EnvelopeError::Unsigned));
    }
}
