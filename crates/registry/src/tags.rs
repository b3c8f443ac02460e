//! Tags (distribution spec, "Listing Tags"): what a repository has, and which of its
//! tags name one manifest, for rules that judge how an image is tagged.

use crate::client::{expect, pull_scope, Registry};
use crate::error::{Error, Result};
use crate::manifests::MAX_MANIFEST;
use crate::referrers::next_link;
use crate::reporter::NoReporter;
use buckle_digest::Sha256;
use buckle_http::Request;
use serde::Deserialize;

/// The most pages of a tag list followed.
const MAX_PAGES: usize = 64;

/// The most tags looked at (one HEAD request each) to find those naming a manifest.
pub const MAX_TAGS_RESOLVED: usize = 512;

#[derive(Deserialize)]
struct TagList {
    #[serde(default)]
    tags: Option<Vec<String>>,
}

impl Registry {
    /// Every tag of `repository`, in the registry's order.
    pub fn tags(&self, repository: &str) -> Result<Vec<String>> {
        let mut url = self.url(&format!("{repository}/tags/list"));
        let mut tags = Vec::new();
        for _ in 0..MAX_PAGES {
            let response = self.send(&[pull_scope(repository)], Request::get(url.clone()), &NoReporter)?;
            let response = expect(response, &[200])?;
            let next = response
                .header("link")
                .and_then(next_link)
                .map(|l| self.absolute(&l));
            let body = response.into_bytes(MAX_MANIFEST)?;
            let list: TagList = serde_json::from_slice(&body).map_err(|e| Error::Protocol {
                url: url.clone(),
                reason: format!("the tag list is not JSON of the distribution spec: {e}"),
            })?;
            tags.extend(list.tags.unwrap_or_default());
            match next {
                Some(next) => url = next,
                None => return Ok(tags),
            }
        }
        Err(Error::Protocol {
            url,
            reason: format!("the tag list goes on past {MAX_PAGES} pages"),
        })
    }

    /// The tags of `repository` that name `digest`, leaving out the referrers and
    /// cosign tags (`sha256-...`), which name documents about an image. An error when
    /// the repository has more than [`MAX_TAGS_RESOLVED`] other tags: the answer would
    /// be a guess.
    pub fn tags_naming(&self, repository: &str, digest: &Sha256) -> Result<Vec<String>> {
        let tags: Vec<String> = self
            .tags(repository)?
            .into_iter()
            .filter(|t| !t.starts_with("sha256-"))
            .collect();
        if tags.len() > MAX_TAGS_RESOLVED {
            return Err(Error::Protocol {
                url: self.url(&format!("{repository}/tags/list")),
                reason: format!(
                    "{} tags: more than the {MAX_TAGS_RESOLVED} buckle resolves to find those naming {}",
                    tags.len(),
                    digest.oci()
                ),
            });
        }
        let mut naming = Vec::new();
        for tag in tags {
            // A registry need not send the digest with HEAD; then the manifest is read.
            let named = match self.manifest_head(repository, &tag)? {
                None => None,
                Some(head) => match head.digest {
                    Some(named) => Some(named),
                    None => self.manifest(repository, &tag)?.map(|m| m.descriptor.digest),
                },
            };
            if named == Some(*digest) {
                naming.push(tag);
            }
        }
        Ok(naming)
    }
}
