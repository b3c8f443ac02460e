//! Referrers (distribution spec 1.1, "Listing Referrers", "Referrers Tag Schema",
//! "Pushing Manifests with Subject"): the referrers API where the registry has it,
//! else the image index tagged `sha256-<hex>` that clients keep up to date; and
//! cosign's `sha256-<hex>.sig`, `.att` and `.sbom` tags.

use crate::client::{expect, pull_scope, registry_error, Registry};
use crate::error::{Error, Result};
use crate::manifests::MAX_MANIFEST;
use crate::reporter::NoReporter;
use buckle_digest::Sha256;
use buckle_http::Request;
use buckle_oci::{media_type, Descriptor, ImageIndex, ImageManifest};

/// The suffixes of cosign's tags: signatures, attestations, SBOMs.
pub const COSIGN_SUFFIXES: [&str; 3] = ["sig", "att", "sbom"];

/// The most pages of a referrers answer followed.
const MAX_PAGES: usize = 64;

/// How the referrers of a manifest were found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferrersSource {
    /// The registry's referrers API.
    Api,
    /// The index under the referrers tag (the registry has no referrers API).
    TagSchema,
}

/// The referrers tag of `digest`: `sha256-<hex>` (for sha256 the algorithm and the
/// encoded part are both under the schema's truncation limits).
pub fn referrers_tag(digest: &Sha256) -> String {
    format!("sha256-{}", digest.hex())
}

/// Cosign's tag for `suffix` (`sig`, `att`, `sbom`) about `digest`.
pub fn cosign_tag(digest: &Sha256, suffix: &str) -> String {
    format!("sha256-{}.{suffix}", digest.hex())
}

/// The digest a cosign tag is about, when `tag` is one.
pub fn cosign_subject(tag: &str) -> Option<Sha256> {
    let rest = tag.strip_prefix("sha256-")?;
    let (hex, suffix) = rest.split_once('.')?;
    COSIGN_SUFFIXES.contains(&suffix).then_some(())?;
    hex.parse().ok()
}

/// The descriptor a referrers list holds for an artifact `manifest` stored as
/// `descriptor`: its `artifactType` (else its config's media type) and annotations.
pub fn referrer_descriptor(descriptor: &Descriptor, manifest: &ImageManifest) -> Descriptor {
    let mut entry = Descriptor::new(descriptor.media_type.clone(), descriptor.digest, descriptor.size);
    entry.artifact_type = Some(
        manifest
            .artifact_type
            .clone()
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| manifest.config.media_type.clone()),
    );
    entry.annotations = manifest.annotations.clone();
    entry
}

impl Registry {
    /// The manifests in `repository` whose `subject` is `subject`.
    pub fn referrers(
        &self,
        repository: &str,
        subject: &Sha256,
    ) -> Result<(Vec<Descriptor>, ReferrersSource)> {
        let mut url = self.url(&format!("{repository}/referrers/{}", subject.oci()));
        let mut found = Vec::new();
        for page in 0..MAX_PAGES {
            let response = self.send(&[pull_scope(repository)], Request::get(url.clone()), &NoReporter)?;
            if response.status() == 404 && page == 0 {
                return Ok((
                    self.tagged_referrers(repository, subject)?.manifests,
                    ReferrersSource::TagSchema,
                ));
            }
            let response = expect(response, &[200])?;
            let next = response
                .header("link")
                .and_then(next_link)
                .map(|l| self.absolute(&l));
            let index = ImageIndex::from_json(&response.into_bytes(MAX_MANIFEST)?)?;
            found.extend(index.manifests);
            match next {
                Some(next) => url = next,
                None => return Ok((found, ReferrersSource::Api)),
            }
        }
        Err(Error::Protocol {
            url,
            reason: format!("the referrers list goes on past {MAX_PAGES} pages"),
        })
    }

    /// The index under the referrers tag of `subject`, or an empty one.
    fn tagged_referrers(&self, repository: &str, subject: &Sha256) -> Result<ImageIndex> {
        let tag = referrers_tag(subject);
        let Some(found) = self.manifest(repository, &tag)? else {
            return Ok(ImageIndex::new(Vec::new()));
        };
        if !media_type::is_index(&found.descriptor.media_type) {
            return Err(Error::UnexpectedMediaType {
                reference: format!("{}/{repository}:{tag}", self.host()),
                media_type: found.descriptor.media_type,
            });
        }
        Ok(ImageIndex::from_json(&found.bytes)?)
    }

    /// Lists `entry` in the referrers tag index of `subject` (for a registry that did
    /// not take the `subject` itself). Returns whether the index changed.
    pub(crate) fn add_to_referrers_tag(
        &self,
        repository: &str,
        subject: &Sha256,
        entry: Descriptor,
    ) -> Result<bool> {
        let mut index = self.tagged_referrers(repository, subject)?;
        if index.manifests.iter().any(|d| d.digest == entry.digest) {
            return Ok(false);
        }
        index.manifests.push(entry);
        let (descriptor, bytes) = index.descriptor()?;
        self.put_manifest(
            repository,
            &referrers_tag(subject),
            &descriptor.media_type,
            &bytes,
        )?;
        Ok(true)
    }

    /// Whether the registry has the referrers API (a 404 means it has not).
    pub fn has_referrers_api(&self, repository: &str, subject: &Sha256) -> Result<bool> {
        let url = self.url(&format!("{repository}/referrers/{}", subject.oci()));
        let response = self.send(&[pull_scope(repository)], Request::get(url), &NoReporter)?;
        match response.status() {
            200 => Ok(true),
            404 => Ok(false),
            _ => Err(registry_error(response)),
        }
    }
}

/// The target of `Link: <url>; rel="next"`.
pub(crate) fn next_link(value: &str) -> Option<String> {
    value.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        params.contains("rel=\"next\"").then(|| {
            target
                .trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_owned()
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_names_follow_the_referrers_schema_and_cosign() {
        let digest = Sha256::of(b"image");
        assert_eq!(referrers_tag(&digest), format!("sha256-{}", digest.hex()));
        assert_eq!(cosign_subject(&cosign_tag(&digest, "att")), Some(digest));
        assert_eq!(cosign_subject(&referrers_tag(&digest)), None);
        assert_eq!(cosign_subject(&format!("sha256-{}.txt", digest.hex())), None);
        assert_eq!(cosign_subject("latest"), None);
    }

    #[test]
    fn referrer_entry_takes_the_artifact_type_or_the_config_media_type() {
        let subject = Descriptor::of(media_type::OCI_MANIFEST, b"s");
        let mut artifact = ImageManifest::artifact("application/spdx+json", vec![], subject.clone());
        artifact.annotations.insert("k".into(), "v".into());
        let (stored, _) = artifact.descriptor().unwrap();
        let entry = referrer_descriptor(&stored, &artifact);
        assert_eq!(entry.artifact_type.as_deref(), Some("application/spdx+json"));
        assert_eq!(entry.annotations.get("k").map(String::as_str), Some("v"));
        let mut plain = artifact.clone();
        plain.artifact_type = None;
        assert_eq!(
            referrer_descriptor(&stored, &plain).artifact_type.as_deref(),
            Some(media_type::OCI_EMPTY)
        );
    }

    #[test]
    fn next_link_is_found_among_others() {
        assert_eq!(
            next_link(r#"</v2/a/referrers/x?n=2>; rel="next", </v2/a/referrers/x>; rel="first""#).as_deref(),
            Some("/v2/a/referrers/x?n=2")
        );
        assert_eq!(next_link(r#"</x>; rel="prev""#), None);
    }
}
