//! Manifests and indexes (distribution spec, "Pulling manifests", "Pushing
//! manifests"): fetched with every media type buckle reads in `Accept`, checked
//! against the digest asked for, pushed byte for byte under their media type.

use crate::client::{expect, pull_scope, push_scope, registry_error, Registry};
use crate::error::{Error, Result};
use crate::reporter::NoReporter;
use buckle_digest::Sha256;
use buckle_http::{Body, Method, Request};
use buckle_oci::{media_type, Descriptor};

/// The largest manifest read (the distribution spec asks registries to accept 4 MiB).
pub const MAX_MANIFEST: u64 = 4 << 20;

/// Every manifest media type buckle reads, for `Accept`.
const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.docker.distribution.manifest.v2+json";

/// A manifest or index as the registry stores it.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// Media type, digest (of `bytes`) and size.
    pub descriptor: Descriptor,
    /// The exact bytes.
    pub bytes: Vec<u8>,
}

/// What a `HEAD` of a manifest says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestHead {
    /// `Docker-Content-Digest`.
    pub digest: Option<Sha256>,
    /// `Content-Type`.
    pub media_type: Option<String>,
}

impl Registry {
    /// Fetches the manifest `reference` (a tag or `sha256:<hex>`) of `repository`;
    /// `None` when there is none. One fetched by digest must have that digest.
    pub fn manifest(&self, repository: &str, reference: &str) -> Result<Option<Manifest>> {
        let request =
            Request::get(self.url(&format!("{repository}/manifests/{reference}"))).header("accept", ACCEPT);
        let response = self.send(&[pull_scope(repository)], request, &NoReporter)?;
        if response.status() == 404 {
            return Ok(None);
        }
        let response = expect(response, &[200])?;
        let content_type = response.header("content-type").map(clean_media_type);
        let bytes = response.into_bytes(MAX_MANIFEST)?;
        let digest = Sha256::of(&bytes);
        if let Ok(expected) = Sha256::parse_oci(reference) {
            if expected != digest {
                return Err(Error::ManifestDigest {
                    reference: format!("{}/{repository}@{reference}", self.host()),
                    expected: expected.oci(),
                    actual: digest.oci(),
                });
            }
        }
        let media_type =
            media_type_of(&bytes)
                .or(content_type)
                .ok_or_else(|| Error::UnexpectedMediaType {
                    reference: format!("{}/{repository}:{reference}", self.host()),
                    media_type: "(none)".to_owned(),
                })?;
        let mut descriptor = Descriptor::new(media_type, digest, bytes.len() as u64);
        descriptor.artifact_type = artifact_type_of(&bytes);
        Ok(Some(Manifest { descriptor, bytes }))
    }

    /// What `repository` has under `reference`, without the body; `None` when nothing.
    pub fn manifest_head(&self, repository: &str, reference: &str) -> Result<Option<ManifestHead>> {
        let request = Request::new(
            Method::Head,
            self.url(&format!("{repository}/manifests/{reference}")),
        )
        .header("accept", ACCEPT);
        let response = self.send(&[pull_scope(repository)], request, &NoReporter)?;
        match response.status() {
            200..=299 => Ok(Some(ManifestHead {
                digest: response
                    .header("docker-content-digest")
                    .and_then(|d| Sha256::parse_oci(d.trim()).ok()),
                media_type: response.header("content-type").map(clean_media_type),
            })),
            404 => Ok(None),
            _ => Err(registry_error(response)),
        }
    }

    /// Stores `bytes` under `reference` (a tag or its digest). Returns whether the
    /// registry processed a `subject` itself (the `OCI-Subject` header).
    pub fn put_manifest(
        &self,
        repository: &str,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<bool> {
        let request = Request::new(
            Method::Put,
            self.url(&format!("{repository}/manifests/{reference}")),
        )
        .header("content-type", media_type)
        .body(Body::Bytes(bytes));
        let response = expect(
            self.send(&[push_scope(repository)], request, &NoReporter)?,
            &[200, 201],
        )?;
        if let Some(returned) = response.header("docker-content-digest") {
            let expected = Sha256::of(bytes).oci();
            if returned.trim() != expected {
                return Err(Error::Protocol {
                    url: response.url().to_owned(),
                    reason: format!("it stored the manifest as {returned}, expected {expected}"),
                });
            }
        }
        Ok(response.header("oci-subject").is_some())
    }
}

/// `application/json; charset=utf-8` to `application/json`.
fn clean_media_type(value: &str) -> String {
    value.split(';').next().unwrap_or(value).trim().to_owned()
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Probe {
    media_type: Option<String>,
    artifact_type: Option<String>,
    manifests: Option<serde_json::Value>,
    config: Option<serde_json::Value>,
}

fn probe(bytes: &[u8]) -> Option<Probe> {
    serde_json::from_slice(bytes).ok()
}

/// The `mediaType` a manifest names, or what its shape says it is.
pub(crate) fn media_type_of(bytes: &[u8]) -> Option<String> {
    let probe = probe(bytes)?;
    match (probe.media_type, probe.manifests, probe.config) {
        (Some(media_type), _, _) => Some(media_type),
        (None, Some(_), _) => Some(media_type::OCI_INDEX.to_owned()),
        (None, None, Some(_)) => Some(media_type::OCI_MANIFEST.to_owned()),
        _ => None,
    }
}

/// The `artifactType` a manifest names.
pub(crate) fn artifact_type_of(bytes: &[u8]) -> Option<String> {
    probe(bytes)?.artifact_type
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_type_comes_from_the_document_or_its_shape() {
        assert_eq!(
            media_type_of(br#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{}}"#).as_deref(),
            Some(media_type::DOCKER_MANIFEST)
        );
        assert_eq!(
            media_type_of(br#"{"schemaVersion":2,"manifests":[]}"#).as_deref(),
            Some(media_type::OCI_INDEX)
        );
        assert_eq!(
            media_type_of(br#"{"schemaVersion":2,"config":{}}"#).as_deref(),
            Some(media_type::OCI_MANIFEST)
        );
        assert_eq!(media_type_of(b"not json"), None);
        assert_eq!(
            clean_media_type("application/json; charset=utf-8"),
            "application/json"
        );
    }
}
