//! Registry images as local layouts for commands that read an IMAGE: pulled once per
//! manifest digest into a cache directory, verified like any pull. What is attached to
//! an image (referrers, cosign tags) can change under the same digest, so a pull that
//! asks for attachments always reads them afresh.

use crate::client::Registry;
use crate::error::{Error, Result};
use crate::pull::{pull_reusing, PullOptions};
use crate::reference::Reference;
use crate::reporter::Reporter;
use buckle_oci::layout::Layout;
use std::path::{Path, PathBuf};

/// The layout holding `reference` under `cache_dir`: `<cache_dir>/<manifest hex>`.
/// Without attachments it is pulled only when not there yet; with them (`options`),
/// it is pulled again, with the registry's referrers and cosign tags of today, taking
/// the blobs the previous pull fetched from it (each verified again).
pub fn pull_cached(
    registry: &Registry,
    reference: &Reference,
    cache_dir: &Path,
    options: PullOptions,
    reporter: &dyn Reporter,
) -> Result<PathBuf> {
    let repository = reference.repository.as_str();
    let digest = match reference.digest {
        Some(digest) => digest,
        None => {
            let found = registry
                .manifest(repository, &reference.manifest_reference())?
                .ok_or_else(|| Error::ManifestNotFound {
                    reference: reference.to_string(),
                })?;
            found.descriptor.digest
        }
    };
    let dir = cache_dir.join(digest.hex());
    let pulled =
        Layout::open(&dir).is_ok_and(|layout| layout.index().manifests.iter().any(|d| d.digest == digest));
    if !options.attachments && pulled {
        tracing::debug!(path = %dir.display(), "image already pulled");
        return Ok(dir);
    }
    let reuse = pulled.then_some(dir.as_path());
    pull_reusing(
        registry,
        &reference.with_digest(digest),
        &dir,
        options,
        reuse,
        reporter,
    )?;
    Ok(dir)
}
