//! [`ImageManifest`] and [`ImageIndex`] (OCI image spec, `manifest.md` and
//! `image-index.md`); Docker v2 manifests and manifest lists read into the same types.

use crate::descriptor::Descriptor;
use crate::error::{Error, Result};
use crate::json::{canonical_json, null_as_default};
use crate::media_type;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An image (or artifact) manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageManifest {
    /// Always 2.
    pub schema_version: u32,
    /// [`media_type::OCI_MANIFEST`] (or the Docker one when read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// The artifact type, for artifact manifests (SBOMs, signatures).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    /// The config blob.
    pub config: Descriptor,
    /// The layers, bottom first.
    #[serde(default, deserialize_with = "null_as_default")]
    pub layers: Vec<Descriptor>,
    /// The manifest this one refers to (for referrers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Descriptor>,
    /// Annotations.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub annotations: BTreeMap<String, String>,
}

impl ImageManifest {
    /// An OCI image manifest for `config` and `layers`.
    pub fn new(config: Descriptor, layers: Vec<Descriptor>) -> Self {
        ImageManifest {
            schema_version: 2,
            media_type: Some(media_type::OCI_MANIFEST.to_owned()),
            artifact_type: None,
            config,
            layers,
            subject: None,
            annotations: BTreeMap::new(),
        }
    }

    /// An artifact manifest (OCI image spec 1.1, "Guidelines for Artifact Usage"):
    /// the empty config, `blobs` as layers, and `subject` naming the manifest it is about.
    pub fn artifact(artifact_type: impl Into<String>, blobs: Vec<Descriptor>, subject: Descriptor) -> Self {
        ImageManifest {
            artifact_type: Some(artifact_type.into()),
            subject: Some(subject),
            ..ImageManifest::new(Descriptor::empty(), blobs)
        }
    }

    /// Canonical JSON bytes (see [`canonical_json`]).
    pub fn to_json(&self) -> Result<Vec<u8>> {
        canonical_json(self)
    }

    /// Parses a manifest, OCI or Docker v2.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        let manifest: ImageManifest = serde_json::from_slice(bytes).map_err(|source| Error::JsonDecode {
            what: "image manifest",
            source,
        })?;
        if manifest.schema_version != 2 {
            return Err(Error::SchemaVersion {
                what: "image manifest",
                found: manifest.schema_version,
            });
        }
        Ok(manifest)
    }

    /// The descriptor of this manifest's canonical JSON, and the bytes.
    pub fn descriptor(&self) -> Result<(Descriptor, Vec<u8>)> {
        let bytes = self.to_json()?;
        let mut descriptor = Descriptor::of(self.media_type_or_oci(), &bytes);
        descriptor.artifact_type = self.artifact_type.clone();
        Ok((descriptor, bytes))
    }

    fn media_type_or_oci(&self) -> &str {
        self.media_type.as_deref().unwrap_or(media_type::OCI_MANIFEST)
    }
}

/// An image index (or Docker manifest list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageIndex {
    /// Always 2.
    pub schema_version: u32,
    /// [`media_type::OCI_INDEX`] (or the Docker one when read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// The artifact type, when the index is an artifact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    /// The manifests (or nested indexes) listed.
    #[serde(default, deserialize_with = "null_as_default")]
    pub manifests: Vec<Descriptor>,
    /// The manifest this one refers to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Descriptor>,
    /// Annotations.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub annotations: BTreeMap<String, String>,
}

impl ImageIndex {
    /// An OCI index listing `manifests`.
    pub fn new(manifests: Vec<Descriptor>) -> Self {
        ImageIndex {
            schema_version: 2,
            media_type: Some(media_type::OCI_INDEX.to_owned()),
            artifact_type: None,
            manifests,
            subject: None,
            annotations: BTreeMap::new(),
        }
    }

    /// Canonical JSON bytes (see [`canonical_json`]).
    pub fn to_json(&self) -> Result<Vec<u8>> {
        canonical_json(self)
    }

    /// Parses an index, OCI or Docker manifest list.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        let index: ImageIndex = serde_json::from_slice(bytes).map_err(|source| Error::JsonDecode {
            what: "image index",
            source,
        })?;
        if index.schema_version != 2 {
            return Err(Error::SchemaVersion {
                what: "image index",
                found: index.schema_version,
            });
        }
        Ok(index)
    }

    /// The descriptor of this index's canonical JSON, and the bytes.
    pub fn descriptor(&self) -> Result<(Descriptor, Vec<u8>)> {
        let bytes = self.to_json()?;
        let media_type = self.media_type.as_deref().unwrap_or(media_type::OCI_INDEX);
        Ok((Descriptor::of(media_type, &bytes), bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use buckle_digest::Sha256;

    #[test]
    fn manifest_json_is_canonical_and_round_trips() {
        let layer = Descriptor::new(media_type::OCI_LAYER_GZIP, Sha256::of(b"l"), 1);
        let m = ImageManifest::new(Descriptor::of(media_type::OCI_CONFIG, b"{}"), vec![layer]);
        let json = String::from_utf8(m.to_json().unwrap()).unwrap();
        assert!(json.starts_with(r#"{"config":{"digest":"sha256:"#), "{json}");
        assert!(
            json.ends_with(r#""mediaType":"application/vnd.oci.image.manifest.v1+json","schemaVersion":2}"#)
        );
        assert_eq!(ImageManifest::from_json(json.as_bytes()).unwrap(), m);
        let (d, bytes) = m.descriptor().unwrap();
        assert_eq!(
            (d.digest, d.size),
            (Sha256::of(json.as_bytes()), json.len() as u64)
        );
        assert_eq!(bytes, json.as_bytes());
    }

    #[test]
    fn artifact_manifest_points_at_its_subject_with_the_empty_config() {
        let subject = Descriptor::new(media_type::OCI_MANIFEST, Sha256::of(b"img"), 3);
        let sbom = Descriptor::of("application/spdx+json", b"{}");
        let m = ImageManifest::artifact("application/spdx+json", vec![sbom], subject.clone());
        let json = String::from_utf8(m.to_json().unwrap()).unwrap();
        assert!(json.contains(r#""artifactType":"application/spdx+json""#));
        assert!(json.contains(r#""config":{"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","mediaType":"application/vnd.oci.empty.v1+json","size":2}"#), "{json}");
        assert_eq!(m.subject, Some(subject));
        assert_eq!(
            m.descriptor().unwrap().0.artifact_type.as_deref(),
            Some("application/spdx+json")
        );
    }

    #[test]
    fn docker_manifest_list_reads_as_an_index() {
        let json = format!(
            r#"{{"schemaVersion":2,"mediaType":"{}","manifests":[{{"mediaType":"{}","digest":"{}","size":7,
              "platform":{{"architecture":"arm64","os":"linux","variant":"v8"}}}}]}}"#,
            media_type::DOCKER_MANIFEST_LIST,
            media_type::DOCKER_MANIFEST,
            Sha256::of(b"m").oci()
        );
        let index = ImageIndex::from_json(json.as_bytes()).unwrap();
        assert!(media_type::is_index(index.media_type.as_deref().unwrap()));
        assert_eq!(
            index.manifests[0].platform.as_ref().unwrap().variant.as_deref(),
            Some("v8")
        );
    }

    #[test]
    fn schema_version_one_is_rejected() {
        let err = ImageManifest::from_json(br#"{"schemaVersion":1,"config":{"mediaType":"x","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2}}"#).unwrap_err();
        assert_eq!(err.to_string(), "image manifest has schemaVersion 1: expected 2");
    }
}
