//! [`Descriptor`] and [`Platform`] (OCI image spec, `descriptor.md` and `image-index.md`).

use crate::json::null_as_default;
use crate::media_type;
use crate::tar::LayerDigests;
use buckle_digest::Sha256;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Points at a blob by media type, digest and size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// The blob's media type.
    pub media_type: String,
    /// The blob's sha256, serialised as `sha256:<hex>`.
    #[serde(with = "oci_digest")]
    pub digest: Sha256,
    /// The blob's size in bytes.
    pub size: u64,
    /// Other places the blob may be fetched from.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub urls: Vec<String>,
    /// Annotations (`org.opencontainers.image.ref.name`, ...).
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub annotations: BTreeMap<String, String>,
    /// The platform an image manifest is for (in an index).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    /// The artifact type of an artifact manifest (in an index or a referrers list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
}

impl Descriptor {
    /// A descriptor with no annotations, platform or artifact type.
    pub fn new(media_type: impl Into<String>, digest: Sha256, size: u64) -> Self {
        Descriptor {
            media_type: media_type.into(),
            digest,
            size,
            urls: Vec::new(),
            annotations: BTreeMap::new(),
            platform: None,
            artifact_type: None,
        }
    }

    /// The descriptor of `bytes`.
    pub fn of(media_type: impl Into<String>, bytes: &[u8]) -> Self {
        Descriptor::new(media_type, Sha256::of(bytes), bytes.len() as u64)
    }

    /// The empty descriptor (`application/vnd.oci.empty.v1+json`, content `{}`), used
    /// as the config of artifact manifests.
    pub fn empty() -> Self {
        Descriptor::of(media_type::OCI_EMPTY, media_type::EMPTY_JSON)
    }

    /// The layer descriptor for a layer written by [`crate::tar::LayerWriter`].
    pub fn layer(digests: &LayerDigests) -> Self {
        Descriptor::new(digests.media_type, digests.digest, digests.size)
    }

    /// Adds (or replaces) an annotation.
    pub fn with_annotation(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.annotations.insert(key.into(), value.into());
        self
    }

    /// Sets the platform.
    pub fn with_platform(mut self, platform: Platform) -> Self {
        self.platform = Some(platform);
        self
    }

    /// The `org.opencontainers.image.ref.name` annotation, if any.
    pub fn ref_name(&self) -> Option<&str> {
        self.annotations.get(annotation::REF_NAME).map(String::as_str)
    }
}

/// The platform an image runs on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Platform {
    /// CPU architecture in Go's spelling (`amd64`, `arm64`).
    pub architecture: String,
    /// Operating system in Go's spelling (`linux`).
    pub os: String,
    /// CPU variant (`v8` for arm64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// Operating system version.
    #[serde(rename = "os.version", default, skip_serializing_if = "Option::is_none")]
    pub os_version: Option<String>,
}

impl Platform {
    /// `linux/<architecture>` with no variant.
    pub fn linux(architecture: impl Into<String>) -> Self {
        Platform {
            architecture: architecture.into(),
            os: "linux".to_owned(),
            variant: None,
            os_version: None,
        }
    }

    /// Whether `self` satisfies a wanted platform: architecture and os equal, and the
    /// variant equal when `wanted` names one.
    pub fn matches(&self, wanted: &Platform) -> bool {
        self.architecture == wanted.architecture
            && self.os == wanted.os
            && (wanted.variant.is_none() || self.variant == wanted.variant)
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(variant) = &self.variant {
            write!(f, "/{variant}")?;
        }
        Ok(())
    }
}

/// Annotation keys defined by the OCI image spec (`annotations.md`).
pub mod annotation {
    /// Date and time the image was created (RFC 3339).
    pub const CREATED: &str = "org.opencontainers.image.created";
    /// Contact details of the people or organisation responsible for the image.
    pub const AUTHORS: &str = "org.opencontainers.image.authors";
    /// URL to find more information on the image.
    pub const URL: &str = "org.opencontainers.image.url";
    /// URL to get documentation on the image.
    pub const DOCUMENTATION: &str = "org.opencontainers.image.documentation";
    /// URL to get the source code for building the image.
    pub const SOURCE: &str = "org.opencontainers.image.source";
    /// Version of the packaged software.
    pub const VERSION: &str = "org.opencontainers.image.version";
    /// Source control revision identifier.
    pub const REVISION: &str = "org.opencontainers.image.revision";
    /// Name of the distributing entity.
    pub const VENDOR: &str = "org.opencontainers.image.vendor";
    /// License(s) as an SPDX expression.
    pub const LICENSES: &str = "org.opencontainers.image.licenses";
    /// Name of the reference for a target (the tag, in an OCI layout's `index.json`).
    pub const REF_NAME: &str = "org.opencontainers.image.ref.name";
    /// Human-readable title.
    pub const TITLE: &str = "org.opencontainers.image.title";
    /// Human-readable description.
    pub const DESCRIPTION: &str = "org.opencontainers.image.description";
    /// Digest of the image this image is based on.
    pub const BASE_DIGEST: &str = "org.opencontainers.image.base.digest";
    /// Reference of the image this image is based on.
    pub const BASE_NAME: &str = "org.opencontainers.image.base.name";
}

/// Serde for a [`Sha256`] in OCI form, `sha256:<hex>`.
pub mod oci_digest {
    use buckle_digest::Sha256;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes `sha256:<hex>`.
    pub fn serialize<S: Serializer>(digest: &Sha256, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&digest.oci())
    }

    /// Reads `sha256:<hex>`; other algorithms are an error.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Sha256, D::Error> {
        let s = String::deserialize(d)?;
        Sha256::parse_oci(&s).map_err(serde::de::Error::custom)
    }

    /// Serde for a list of digests (`rootfs.diff_ids`).
    pub mod list {
        use buckle_digest::Sha256;
        use serde::ser::SerializeSeq;
        use serde::{Deserialize, Deserializer, Serializer};

        /// Writes each digest as `sha256:<hex>`.
        pub fn serialize<S: Serializer>(digests: &[Sha256], s: S) -> Result<S::Ok, S::Error> {
            let mut seq = s.serialize_seq(Some(digests.len()))?;
            for digest in digests {
                seq.serialize_element(&digest.oci())?;
            }
            seq.end()
        }

        /// Reads a list of `sha256:<hex>`.
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Sha256>, D::Error> {
            let raw = Vec::<String>::deserialize(d)?;
            raw.iter()
                .map(|s| Sha256::parse_oci(s).map_err(serde::de::Error::custom))
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical_json;

    #[test]
    fn descriptor_uses_spec_field_names_and_skips_empty_fields() {
        let d = Descriptor::of(media_type::OCI_CONFIG, b"{}");
        let json = String::from_utf8(canonical_json(&d).unwrap()).unwrap();
        assert_eq!(
            json,
            format!(
                r#"{{"digest":"sha256:{}","mediaType":"application/vnd.oci.image.config.v1+json","size":2}}"#,
                Sha256::of(b"{}")
            )
        );
        let with_all = d
            .with_annotation(annotation::REF_NAME, "latest")
            .with_platform(Platform {
                variant: Some("v8".into()),
                ..Platform::linux("arm64")
            });
        let json = String::from_utf8(canonical_json(&with_all).unwrap()).unwrap();
        assert!(
            json.contains(r#""annotations":{"org.opencontainers.image.ref.name":"latest"}"#),
            "{json}"
        );
        assert!(
            json.contains(r#""platform":{"architecture":"arm64","os":"linux","variant":"v8"}"#),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<Descriptor>(&json).unwrap(), with_all);
    }

    #[test]
    fn descriptor_with_another_digest_algorithm_is_rejected() {
        let json = format!(
            r#"{{"mediaType":"x","digest":"sha512:{}","size":1}}"#,
            "ab".repeat(64)
        );
        let err = serde_json::from_str::<Descriptor>(&json).unwrap_err();
        assert!(err.to_string().contains("not an OCI sha256 digest"), "{err}");
    }

    #[test]
    fn platform_match_ignores_variant_only_when_not_wanted() {
        let v8 = Platform {
            variant: Some("v8".into()),
            ..Platform::linux("arm64")
        };
        assert!(v8.matches(&Platform::linux("arm64")));
        assert!(!Platform::linux("arm64").matches(&v8));
        assert!(!v8.matches(&Platform::linux("amd64")));
        assert_eq!(v8.to_string(), "linux/arm64/v8");
    }
}
