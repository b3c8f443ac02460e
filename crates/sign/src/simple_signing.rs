//! Image digest -> cosign's signature payload ("simple signing" JSON, from
//! containers/image's `docs/containers-signature.5.md` as cosign uses it): the signed
//! bytes name the manifest digest, so the signature covers the manifest, its config
//! and every layer.

use buckle_digest::Sha256;
use serde::{Deserialize, Serialize};

/// The media type of the payload blob in a cosign `.sig` manifest.
pub const MEDIA_TYPE: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
/// The `critical.type` cosign writes and checks.
pub const SIGNATURE_TYPE: &str = "cosign container image signature";

/// The payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payload {
    /// What must be understood to trust the signature.
    pub critical: Critical,
    /// Free-form claims (cosign writes `null` or annotations).
    #[serde(default)]
    pub optional: Option<serde_json::Value>,
}

/// `critical`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Critical {
    /// The repository the signer meant.
    pub identity: Identity,
    /// The manifest digest.
    pub image: ImageClaim,
    /// [`SIGNATURE_TYPE`].
    #[serde(rename = "type")]
    pub kind: String,
}

/// `critical.identity`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// `docker-reference`: the repository, without tag or digest.
    #[serde(rename = "docker-reference")]
    pub docker_reference: String,
}

/// `critical.image`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageClaim {
    /// `docker-manifest-digest`: `sha256:<hex>`.
    #[serde(rename = "docker-manifest-digest")]
    pub docker_manifest_digest: String,
}

impl Payload {
    /// The payload for manifest `digest` known as `reference`.
    pub fn new(reference: &str, digest: Sha256) -> Payload {
        Payload {
            critical: Critical {
                identity: Identity {
                    docker_reference: reference.to_owned(),
                },
                image: ImageClaim {
                    docker_manifest_digest: digest.oci(),
                },
                kind: SIGNATURE_TYPE.to_owned(),
            },
            optional: None,
        }
    }

    /// The bytes to sign.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a payload of strings always serialises")
    }

    /// Parses payload bytes.
    pub fn from_json(bytes: &[u8]) -> Result<Payload, String> {
        serde_json::from_slice(bytes).map_err(|e| format!("not a cosign signature payload: {e}"))
    }

    /// The digest the payload is about, when it names one.
    pub fn digest(&self) -> Option<Sha256> {
        Sha256::parse_oci(&self.critical.image.docker_manifest_digest).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_has_cosigns_field_names() {
        let digest = Sha256::of(b"m");
        let json = String::from_utf8(Payload::new("registry.example/python", digest).to_json()).unwrap();
        assert_eq!(
            json,
            format!(
                r#"{{"critical":{{"identity":{{"docker-reference":"registry.example/python"}},"image":{{"docker-manifest-digest":"{}"}},"type":"cosign container image signature"}},"optional":null}}"#,
                digest.oci()
            )
        );
        assert_eq!(
            Payload::from_json(json.as_bytes()).unwrap().digest(),
            Some(digest)
        );
    }
}
