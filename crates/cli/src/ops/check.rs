//! Checking: an image's view scored against a policy.

use crate::files;
use crate::image_view;
use crate::registry::{image_from_registry, Remote, Wanted};
use anyhow::Context;
use buckle_check::{check_at, Attachments, ImageView, Policy, Report};
use buckle_oci::layout::Layout;
use std::path::Path;

/// The policy in `path`, or the default one (every rule as the catalog defines it).
pub fn load_policy(path: Option<&Path>) -> anyhow::Result<Policy> {
    let Some(path) = path else {
        return Ok(Policy::default());
    };
    let text = files::read_text(path)?;
    Ok(Policy::parse(&text, &path.display().to_string())?)
}

/// Reads `image` (with its attachments when it is a layout or a registry reference,
/// whose referrers and cosign tags are pulled) and checks it; its `arch` image when
/// given, else the host's from a multi-arch index.
pub fn checked(
    image: &Path,
    arch: Option<&str>,
    policy: &Policy,
    remote: &Remote,
) -> anyhow::Result<(ImageView, Report)> {
    let pulled = image_from_registry(image, remote, Wanted::WithAttachments)?;
    let opened = image_view::open_pulled(image, pulled.as_ref().map(|p| p.layout.clone()), arch)?;
    let layout = if opened.path().is_dir() {
        Some(Layout::open(opened.path())?)
    } else {
        None
    };
    let attachments = match &layout {
        Some(layout) => Attachments::from_layout(layout, &opened)?,
        None => Attachments::docker_archive(),
    };
    let mut view = ImageView::from_oci(&opened, attachments)
        .with_context(|| format!("cannot read `{}`", image.display()))?;
    if let Some(pulled) = &pulled {
        // The registry's tags: a pulled layout knows only the digest.
        view.tags = pulled.tags_naming(&top_digest(&opened, layout.as_ref())?)?;
    } else if let Some(layout) = &layout {
        view.tags = layout_tags(layout, &opened)?;
    }
    let report = check_at(&view, policy, Some(crate::clock::now_seconds()));
    Ok((view, report))
}

/// The digest a tag would name for `image`: its own, or that of the multi-arch index
/// in the pulled layout that lists it.
fn top_digest(image: &buckle_oci::Image, layout: Option<&Layout>) -> anyhow::Result<buckle_digest::Sha256> {
    let digest = image.manifest_digest();
    let Some(layout) = layout else { return Ok(digest) };
    for top in &layout.index().manifests {
        let lists_image = buckle_oci::media_type::is_index(&top.media_type)
            && layout
                .read_index(top)?
                .manifests
                .iter()
                .any(|m| m.digest == digest);
        if top.digest == digest || lists_image {
            return Ok(top.digest);
        }
    }
    Ok(digest)
}

/// Every tag in the layout's `index.json` that names `image`, directly or through the
/// multi-arch index that lists it.
fn layout_tags(layout: &Layout, image: &buckle_oci::Image) -> anyhow::Result<Vec<String>> {
    let digest = image.manifest_digest();
    let mut tags = Vec::new();
    for top in &layout.index().manifests {
        let Some(tag) = top.ref_name() else { continue };
        let names_image = top.digest == digest
            || (buckle_oci::media_type::is_index(&top.media_type)
                && layout
                    .read_index(top)?
                    .manifests
                    .iter()
                    .any(|m| m.digest == digest));
        if names_image {
            tags.push(tag.to_owned());
        }
    }
    Ok(tags)
}
