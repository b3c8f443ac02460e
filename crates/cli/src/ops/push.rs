//! Pushing a build to a registry under an immutable version tag and floating tags.

use crate::args::FormatArg;
use crate::exit::UserError;
use crate::files::SpecFile;
use crate::ops::build::PushRequest;
use crate::printer::Printer;
use crate::registry::{self, with_progress};
use anyhow::Context;
use buckle_oci::layout::Layout;
use buckle_registry::{push, PushOptions, PushReport, Reference};
use buckle_spec::{Lock, Variant};
use serde_json::json;
use std::path::Path;
use std::time::Instant;

/// How many hex digits of the lock's digest go into a version tag.
const LOCK_HASH_DIGITS: usize = 12;

/// After `buckle build --push REF`: pushes the layout at `output` to REF's repository
/// under the version tag `<main package version>-<codename>[-dev]-<lock hash>` (never
/// moved) and the floating tags (REF's own and `--tag`).
pub fn push_build(
    spec: &SpecFile,
    lock: &Lock,
    variant: Variant,
    output: &Path,
    format: FormatArg,
    request: &PushRequest,
    printer: &Printer,
) -> anyhow::Result<serde_json::Value> {
    if format != FormatArg::Oci {
        anyhow::bail!(UserError::with_hint(
            "--push needs an OCI layout",
            "drop --format docker-archive"
        ));
    }
    push_layout(output, request, vec![version_tag(spec, lock, variant)?], printer)
}

/// Pushes the layout at `output` as `request` says, setting `immutable_tags` too.
pub fn push_layout(
    output: &Path,
    request: &PushRequest,
    immutable_tags: Vec<String>,
    printer: &Printer,
) -> anyhow::Result<serde_json::Value> {
    let target = registry::reference(&request.reference)?;
    let layout = Layout::open(output)?;
    let options = registry::options(&request.registry, None)?;
    let client = registry::connect(&target.registry, &options, printer)?;
    let push_options = PushOptions {
        tags: request.tags.clone(),
        immutable_tags,
        mount_from: None,
    };
    let started = Instant::now();
    let report = with_progress(printer, "Pushing", |bar| {
        push(&client, &layout, None, &target, &push_options, bar)
    })
    .with_context(|| format!("cannot push `{}` to `{target}`", output.display()))?;
    let mut human = *printer;
    human.json = false;
    show(&report, &target, started, &human)?;
    Ok(serde_json::to_value(&report)?)
}

/// `<main package version>-<codename>[-dev]-<first 12 hex digits of the lock's sha256>`.
/// The main package is the first the spec lists whose name starts with the image's
/// name (`python3` for `python`), else `base-files` (the Debian release).
pub fn version_tag(spec: &SpecFile, lock: &Lock, variant: Variant) -> anyhow::Result<String> {
    let name = spec.spec.name.to_string();
    let main = spec
        .spec
        .packages
        .iter()
        .map(|p| p.as_str())
        .find(|p| p.starts_with(&name))
        .unwrap_or("base-files");
    let version = lock
        .images
        .values()
        .flat_map(|variants| variants.get(&variant))
        .flatten()
        .find(|p| p.name.as_str() == main)
        .map(|p| p.version.to_string())
        .ok_or_else(|| {
            UserError::with_hint(
                format!("the lock has no `{main}` to name a version tag after"),
                format!("run `buckle lock {}`", spec.path.display()),
            )
        })?;
    let codename = spec.spec.distribution.codename();
    let dev = match variant {
        Variant::Runtime => "",
        Variant::Dev => "-dev",
    };
    let lock_hash = buckle_digest::Sha256::of(lock.to_toml().as_bytes()).short(LOCK_HASH_DIGITS);
    Ok(buckle_registry::sanitize_tag(&format!(
        "{version}-{codename}{dev}-{lock_hash}"
    )))
}

pub fn show(
    report: &PushReport,
    target: &Reference,
    started: Instant,
    printer: &Printer,
) -> anyhow::Result<()> {
    if printer.json {
        return printer.json(&json!(report));
    }
    let seconds = started.elapsed().as_secs_f64();
    let size = crate::printer::human_size;
    printer.status(
        "Pushed",
        format!("{} {} in {seconds:.1} s", report.repository, report.digest),
    );
    printer.result(format!(
        "blobs:      {} uploaded ({}, {}), {} resumed, {} mounted, {} skipped ({})",
        report.blobs_uploaded,
        size(report.bytes_uploaded),
        registry::rate(report.bytes_uploaded, seconds),
        report.blobs_resumed,
        report.blobs_mounted,
        report.blobs_skipped,
        size(report.bytes_skipped),
    ));
    printer.result(format!(
        "manifests:  {} pushed, {} already there",
        report.manifests_pushed, report.manifests_skipped
    ));
    let list = |tags: &[String]| {
        if tags.is_empty() {
            "-".to_owned()
        } else {
            tags.join(", ")
        }
    };
    printer.result(format!("tags set:   {}", list(&report.tags_set)));
    printer.result(format!("unchanged:  {}", list(&report.tags_unchanged)));
    printer.result(format!(
        "attached:   {} referrers ({} listed under the referrers tag), {} cosign tags",
        report.referrers.len(),
        report.referrers_tagged,
        report.cosign_tags.len()
    ));
    if target.tag.is_none() && report.tags_set.is_empty() && report.tags_unchanged.is_empty() {
        printer.status(
            "Note",
            format!("no tag given: pull it as {}@{}", report.repository, report.digest),
        );
    }
    Ok(())
}
