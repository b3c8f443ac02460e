//! Copying an image with its referrers and cosign tags from one repository to
//! another: pulled (and so verified) into a temporary layout, then pushed, with
//! blobs mounted instead of sent when both sides are on one registry.

use crate::client::Registry;
use crate::error::{Error, Result};
use crate::pull::{pull, PullOptions, PullReport};
use crate::push::{push, PushOptions, PushReport};
use crate::reference::Reference;
use crate::reporter::Reporter;
use buckle_oci::layout::Layout;
use serde::Serialize;
use std::path::Path;

/// What a mirror did.
#[derive(Debug, Clone, Serialize)]
pub struct MirrorReport {
    /// The pull from the source.
    pub pull: PullReport,
    /// The push to the destination.
    pub push: PushReport,
}

/// Copies `source` to `target` (which keeps the source's tag when it names none),
/// staging the image in a temporary directory under `work_dir`.
pub fn mirror(
    from: &Registry,
    source: &Reference,
    to: &Registry,
    target: &Reference,
    work_dir: &Path,
    reporter: &dyn Reporter,
) -> Result<MirrorReport> {
    std::fs::create_dir_all(work_dir).map_err(|e| io(work_dir, e))?;
    let staging = tempfile::Builder::new()
        .prefix(".buckle-mirror-")
        .tempdir_in(work_dir)
        .map_err(|e| io(work_dir, e))?;
    let layout_path = staging.path().join("layout");
    let pulled = pull(
        from,
        source,
        &layout_path,
        PullOptions { attachments: true },
        reporter,
    )?;
    let layout = Layout::open(&layout_path)?;
    let mut target = target.clone();
    if target.tag.is_none() && target.digest.is_none() {
        target.tag = pulled.tag.clone();
    }
    let options = PushOptions {
        mount_from: (from.host() == to.host()).then(|| source.repository.clone()),
        ..PushOptions::default()
    };
    let pushed = push(to, &layout, None, &target, &options, reporter)?;
    Ok(MirrorReport {
        pull: pulled,
        push: pushed,
    })
}

fn io(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        path: path.to_owned(),
        source,
    }
}
