//! Fetching: every .deb and upstream artifact of a lock, downloaded and verified into
//! the cache.

use crate::exit::UserError;
use crate::files::SpecFile;
use crate::ops::lock::suite_mirrors;
use crate::printer::Printer;
use crate::progress::Downloads;
use crate::session::Session;
use anyhow::Context;
use buckle_archive::{DebFile, FetchSummary};
use buckle_spec::Lock;
use std::collections::BTreeMap;

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
            crate::printer::human_size(summary.bytes),
            summary.cached
        ),
    );
    Ok(summary)
}
