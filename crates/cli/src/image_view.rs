//! Opening an IMAGE argument and reading what is installed in it.

use crate::registry::{image_from_registry, Remote, Wanted};
use anyhow::Context;
use buckle_oci::{Image, MergedFile, RelPath};
use buckle_sbom::dpkg::{self, Detail, Found};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Opens an OCI layout directory or docker-archive tar (`path` or `path:tag`), or a
/// registry reference pulled into the cache, picking the host's platform from a
/// multi-arch index.
pub fn open(arg: &Path, remote: &Remote) -> anyhow::Result<Image> {
    open_arch(arg, None, remote)
}

/// Opens an image like [`open`], picking `arch` from a multi-arch index when given.
pub fn open_arch(arg: &Path, arch: Option<&str>, remote: &Remote) -> anyhow::Result<Image> {
    let pulled = image_from_registry(arg, remote, Wanted::Image)?;
    open_pulled(arg, pulled.map(|p| p.layout), arch)
}

/// Where the layout of `arg` with what is attached to it is: a local path (`dir` or
/// `dir:tag`), or a registry reference pulled with its referrers and cosign tags.
pub fn attached_layout(
    arg: &Path,
    remote: &Remote,
) -> anyhow::Result<(PathBuf, buckle_oci::layout::Selector)> {
    Ok(match image_from_registry(arg, remote, Wanted::WithAttachments)? {
        Some(pulled) => (pulled.layout, buckle_oci::layout::Selector::default()),
        None => buckle_oci::parse_image_arg(&arg.to_string_lossy()),
    })
}

/// Opens a local image (a layout or docker archive, never a registry reference),
/// picking `arch` from a multi-arch index when given.
pub fn open_local(arg: &Path, arch: Option<&str>) -> anyhow::Result<Image> {
    open_pulled(arg, None, arch)
}

/// `--memory-budget`: how much memory reading one image's files may take.
static MEMORY_BUDGET: std::sync::OnceLock<u64> = std::sync::OnceLock::new();

/// Sets the memory budget of every image opened from now on (once, at startup).
pub fn set_memory_budget(bytes: u64) {
    MEMORY_BUDGET.get_or_init(|| bytes);
}

/// Opens `arg`, or the layout `pulled` for it from a registry.
pub fn open_pulled(arg: &Path, pulled: Option<PathBuf>, arch: Option<&str>) -> anyhow::Result<Image> {
    let (path, mut selector) = locate(arg, pulled)?;
    if let Some(arch) = arch {
        selector.platform = Some(buckle_oci::Platform::linux(arch));
    }
    let image = buckle_oci::open_image(&path, &selector);
    let image = match image {
        Err(buckle_oci::Error::AmbiguousImage { .. }) => {
            selector.platform = Some(buckle_oci::Platform::linux(host_arch()));
            buckle_oci::open_image(&path, &selector)
        }
        other => other,
    };
    let budget = *MEMORY_BUDGET.get_or_init(|| buckle_oci::DEFAULT_MEMORY_BUDGET);
    image
        .map(|image| image.with_memory_budget(budget))
        .with_context(|| format!("cannot open image `{}`", arg.display()))
}

/// The architectures a local IMAGE argument has images for, sorted.
pub fn architectures(arg: &Path) -> anyhow::Result<Vec<String>> {
    let (path, selector) = locate(arg, None)?;
    if !path.is_dir() {
        let image = buckle_oci::open_image(&path, &selector)
            .with_context(|| format!("cannot open image `{}`", arg.display()))?;
        return Ok(vec![image.config().architecture.clone()]);
    }
    let layout = buckle_oci::layout::Layout::open(&path)
        .with_context(|| format!("cannot open image `{}`", arg.display()))?;
    let images = layout
        .images()
        .with_context(|| format!("cannot read the images of `{}`", arg.display()))?;
    let architectures: BTreeSet<String> = images
        .into_iter()
        .filter(|image| selector.ref_name.is_none() || image.ref_name == selector.ref_name)
        .map(|image| image.platform.architecture)
        .collect();
    Ok(architectures.into_iter().collect())
}

/// Where an IMAGE argument is on disk (the layout `pulled` for it from a registry, if
/// any) and which of its images it names.
fn locate(arg: &Path, pulled: Option<PathBuf>) -> anyhow::Result<(PathBuf, buckle_oci::layout::Selector)> {
    let (path, selector) = match pulled {
        Some(pulled) => (pulled, buckle_oci::layout::Selector::default()),
        None => buckle_oci::parse_image_arg(&arg.to_string_lossy()),
    };
    if !path.exists() {
        anyhow::bail!(crate::exit::UserError::with_hint(
            format!("no image at `{}`", path.display()),
            "an IMAGE is an OCI layout directory (buckle build's output), a docker-archive tar or a registry reference (HOST[:PORT]/REPOSITORY[:TAG])"
        ));
    }
    Ok((path, selector))
}

/// The merged file system with the contents dpkg metadata needs, and the packages it lists.
/// For [`Detail::Packages`] the layer indexes a buckle image carries stand in for its
/// layers when they check out (the same files, without inflating a layer).
pub fn packages(image: &Image, detail: Detail) -> anyhow::Result<(BTreeMap<RelPath, MergedFile>, Found)> {
    packages_via(image, detail, true)
}

/// [`packages`], reading every layer when `use_indexes` is false.
pub fn packages_via(
    image: &Image,
    detail: Detail,
    use_indexes: bool,
) -> anyhow::Result<(BTreeMap<RelPath, MergedFile>, Found)> {
    let indexed = (use_indexes && detail == Detail::Packages)
        .then(|| image.indexed_files(dpkg::PACKAGES_CONTENT_RULES))
        .flatten();
    let files = match indexed {
        Some(files) => files,
        None => merged_files(image, |entry| dpkg::needs_content(entry.path.as_str(), detail))?,
    };
    let found = installed(&files, detail)?;
    Ok((files, found))
}

/// The final file system of `image`, keeping the contents `keep` asks for.
pub fn merged_files(
    image: &Image,
    keep: impl Fn(&buckle_oci::tar::Entry) -> bool + Sync,
) -> anyhow::Result<BTreeMap<RelPath, MergedFile>> {
    image
        .merged_files(keep)
        .with_context(|| format!("cannot read the layers of `{}`", image.path().display()))
}

/// The final file system of `image` with every file's SHA-256, keeping the contents
/// dpkg metadata needs at `detail`.
pub fn merged_files_hashed(image: &Image, detail: Detail) -> anyhow::Result<BTreeMap<RelPath, MergedFile>> {
    image
        .merged_files_hashed(|entry| dpkg::needs_content(entry.path.as_str(), detail))
        .with_context(|| format!("cannot read the layers of `{}`", image.path().display()))
}

/// The packages the dpkg metadata in `files` lists.
pub fn installed(files: &BTreeMap<RelPath, MergedFile>, detail: Detail) -> anyhow::Result<Found> {
    dpkg::collect(files, detail).context("cannot read the image's dpkg metadata")
}

/// The OCI architecture name of the machine buckle runs on.
pub fn host_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        other => other,
    }
}
