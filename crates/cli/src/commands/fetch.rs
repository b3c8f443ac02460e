//! `buckle fetch LOCK...`: download and verify every .deb of a lock into the cache.

use crate::args::{FetchArgs, Global};
use crate::commands::lock::suite_mirrors;
use crate::exit::UserError;
use crate::files::SpecFile;
use crate::printer::Printer;
use crate::progress::Downloads;
use crate::session::Session;
use anyhow::Context;
use buckle_archive::{DebFile, FetchSummary};
use buckle_spec::Lock;
use serde_json::json;
use std::collections::BTreeMap;

pub fn run(args: &FetchArgs, global: &Global, printer: &Printer) -> anyhow::Result<()> {
    let session = Session::new(global)?;
    let mut reports = Vec::new();
    for path in &args.locks {
        let spec = SpecFile::load(path)?;
        let lock = require_lock(&spec)?;
        let summary = fetch_lock(&session, &spec, &lock, args.jobs, printer)?;
        reports.push(json!({"lock": spec.lock_path(), "downloaded": summary.downloaded, "cached": summary.cached, "bytes": summary.bytes}));
    }
    if printer.json {
        printer.json(&json!(reports))?;
    }
    Ok(())
}

/// The lock beside a spec, which must exist and have been made from the spec as it is.
pub fn require_lock(spec: &SpecFile) -> anyhow::Result<Lock> {
    let lock = spec.read_lock()?.ok_or_else(|| {
        UserError::with_hint(
            format!("`{}` has no lock", spec.path.display()),
            format!("run `buckle lock {}` first", spec.path.display()),
        )
    })?;
    lock.check_fresh(&spec.spec).with_context(|| {
        format!(
            "`{}` does not match `{}`",
            spec.lock_path().display(),
            spec.path.display()
        )
    })?;
    Ok(lock)
}

/// Downloads what the cache does not have yet; every file is checked against the lock.
pub fn fetch_lock(
    session: &Session,
    spec: &SpecFile,
    lock: &Lock,
    jobs: usize,
    printer: &Printer,
) -> anyhow::Result<FetchSummary> {
    let mirrors = suite_mirrors(session, spec)?;
    let mut debs: BTreeMap<_, DebFile> = BTreeMap::new();
    for package in lock.images.values().flat_map(|v| v.values()).flatten() {
        let mirror = mirrors.get(&package.suite).ok_or_else(|| {
            UserError::with_hint(
                format!(
                    "`{}` comes from suite `{}`, which the spec no longer names",
                    package.name, package.suite
                ),
                format!("run `buckle lock {}` to update the lock", spec.path.display()),
            )
        })?;
        debs.entry(package.sha256).or_insert_with(|| DebFile {
            mirror: mirror.clone(),
            path: package.path.clone(),
            sha256: package.sha256,
            size: package.size,
        });
    }
    let debs: Vec<DebFile> = debs.into_values().collect();
    let progress = Downloads::new(printer);
    let summary = session
        .archive
        .fetch_debs(&debs, jobs, &progress)
        .with_context(|| format!("cannot fetch the packages of `{}`", spec.lock_path().display()));
    progress.finish();
    let mut summary = summary?;
    let upstream = crate::upstream::fetch_upstream(session, lock)?;
    summary.downloaded += upstream;
    summary.cached += lock.upstream.len() - upstream;
    printer.status(
        "Fetched",
        format!(
            "{}: {} downloaded ({}), {} already cached",
            spec.lock_path().display(),
            summary.downloaded,
            crate::commands::inspect::human_size(summary.bytes),
            summary.cached
        ),
    );
    Ok(summary)
}
