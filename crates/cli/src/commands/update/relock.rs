//! Relocking each spec against today's archive and saying what changed and why: the
//! new versions' changelogs join the stored feeds, the committed packages are scanned
//! against them, and each change is classified (`buckle_patch::classify`).

use crate::exit::UserError;
use crate::files::SpecFile;
use crate::ops::lock::{resolve_spec, suite_mirrors};
use crate::printer::Printer;
use crate::progress::Downloads;
use crate::session::Session;
use anyhow::Context;
use buckle_archive::{DebFile, ReleaseDate};
use buckle_debian::PackageName;
use buckle_feeds::archive::changelog_in_deb;
use buckle_feeds::Store;
use buckle_patch::{classify, ImageUpdate, SuiteDate};
use buckle_spec::diff::{diff, LockDiff};
use buckle_spec::{Lock, LockedPackage, Variant};
use buckle_vuln::{scan, Database, Finding, Installed, Release, SourceHistory};
use std::collections::BTreeMap;
use std::path::Path;

/// One spec: the lock today's archive gives, how it differs from the committed one,
/// and the images of it that changed.
pub struct SpecPlan {
    pub spec: SpecFile,
    pub new: Lock,
    pub diff: LockDiff,
    /// The selected variants whose lock changed, classified once the database is
    /// built.
    pub images: Vec<ImageUpdate>,
    /// The selected variants whose lock did not change.
    pub unchanged: Vec<String>,
}

impl SpecPlan {
    pub fn changed(&self) -> bool {
        !self.images.is_empty()
    }

    /// The new packages that differ from the committed ones, each `.deb` once.
    fn changed_packages(&self) -> Vec<&LockedPackage> {
        let mut by_sha: BTreeMap<_, &LockedPackage> = BTreeMap::new();
        for image in &self.diff.images {
            for package in image.changed.iter().map(|c| &c.new).chain(&image.added) {
                by_sha.insert(package.sha256, package);
            }
        }
        by_sha.into_values().collect()
    }
}

/// The image name of a spec's variant: `hello` or `hello-dev`.
pub fn image_name(spec: &SpecFile, variant: Variant) -> String {
    match variant {
        Variant::Runtime => spec.spec.name.to_string(),
        Variant::Dev => format!("{}-dev", spec.spec.name),
    }
}

/// Relocks `path` against today's archive and compares with the committed lock.
pub fn relock(session: &Session, path: &Path, variants: &[Variant]) -> anyhow::Result<SpecPlan> {
    let spec = SpecFile::load(path)?;
    let old = spec.read_lock()?.ok_or_else(|| {
        UserError::with_hint(
            format!("`{}` has no lock to update", spec.path.display()),
            format!(
                "run `buckle lock {}` and commit the lock first",
                spec.path.display()
            ),
        )
    })?;
    let new = resolve_spec(session, &spec, Some(&old), true)?.lock;
    let diff = diff(&old, &new);
    let spec_changed = old.spec_sha256 != new.spec_sha256;
    let mut images = Vec::new();
    let mut unchanged = Vec::new();
    for &variant in variants {
        let name = image_name(&spec, variant);
        if spec_changed || diff.images.iter().any(|d| d.variant == variant) {
            images.push(ImageUpdate {
                image: name,
                spec: spec.path.display().to_string(),
                variant,
                changes: Vec::new(),
            });
        } else {
            unchanged.push(name);
        }
    }
    Ok(SpecPlan {
        spec,
        new,
        diff,
        images,
        unchanged,
    })
}

/// Classifies the changes of every plan: fixes from the stored feeds and from the
/// changelogs of the new versions.
pub fn classify_plans(session: &Session, plans: &mut [SpecPlan], printer: &Printer) -> anyhow::Result<()> {
    if plans.iter().all(|p| !p.changed()) {
        return Ok(());
    }
    let store = Store::new(session.archive.cache().root());
    let mut database = store
        .load()
        .context("cannot load the stored vulnerability feeds")?
        .database;
    add_changelogs(session, &store, plans, &mut database, printer)?;
    for plan in plans.iter_mut().filter(|p| p.changed()) {
        let findings = findings(&database, plan)?;
        let dates = suite_dates(&plan.new)?;
        for image in &mut plan.images {
            let diffs: Vec<_> = plan
                .diff
                .images
                .iter()
                .filter(|d| d.variant == image.variant)
                .cloned()
                .collect();
            image.changes = classify(&diffs, &findings, &dates);
        }
    }
    Ok(())
}

/// Fetches the changed `.deb`s and puts the changelog of each changed source package's
/// new version into `database` (cached in the feed store by `.deb` digest).
fn add_changelogs(
    session: &Session,
    store: &Store,
    plans: &[SpecPlan],
    database: &mut Database,
    printer: &Printer,
) -> anyhow::Result<()> {
    let mut debs: BTreeMap<_, DebFile> = BTreeMap::new();
    // The binaries of each new source version, smallest `.deb` first.
    let mut sources: BTreeMap<(Release, PackageName), Vec<&LockedPackage>> = BTreeMap::new();
    for plan in plans.iter().filter(|p| p.changed()) {
        let mirrors = suite_mirrors(session, &plan.spec)?;
        for package in plan.changed_packages() {
            let Some(mirror) = mirrors.get(&package.suite) else {
                continue;
            };
            debs.entry(package.sha256).or_insert_with(|| DebFile {
                mirror: mirror.clone(),
                path: package.path.clone(),
                sha256: package.sha256,
                size: package.size,
            });
            let release = Release::of_suite(package.suite.as_str())?;
            let binaries = sources.entry((release, package.source.clone())).or_default();
            match binaries.first() {
                Some(first) if first.source_version > package.source_version => {}
                Some(first) if first.source_version < package.source_version => *binaries = vec![package],
                _ => binaries.push(package),
            }
        }
    }
    let debs: Vec<DebFile> = debs.into_values().collect();
    let progress = Downloads::new(printer);
    let fetched = session.archive.fetch_debs(&debs, 6, &progress);
    progress.finish();
    fetched.context("cannot fetch the updated packages")?;
    for ((release, source), mut binaries) in sources {
        binaries.sort_by_key(|p| (p.size, p.name.clone()));
        for binary in binaries {
            let cached = match store.changelog(&binary.sha256)? {
                Some(found) => Some(found),
                None => {
                    let bytes = session.archive.cache().read(&binary.sha256)?;
                    let found = changelog_in_deb(binary.path.as_str(), &binary.name, &bytes)?;
                    if let Some(found) = &found {
                        store.put_changelog(&binary.sha256, found)?;
                    }
                    found
                }
            };
            let Some(cached) = cached else { continue };
            database.add_history(SourceHistory {
                release: release.clone(),
                source: source.clone(),
                version: binary.source_version.clone(),
                suite: binary.suite.to_string(),
                binary: binary.name.clone(),
                binary_version: binary.version.clone(),
                deb_sha256: Some(binary.sha256),
                changelog_path: cached.path,
                changelog: cached.changelog,
            });
            break;
        }
    }
    Ok(())
}

/// The vulnerabilities of the committed versions of the packages that changed.
fn findings(database: &Database, plan: &SpecPlan) -> anyhow::Result<Vec<Finding>> {
    let mut by_release: BTreeMap<Release, Vec<Installed>> = BTreeMap::new();
    for change in plan.diff.images.iter().flat_map(|d| &d.changed) {
        let old = &change.old;
        by_release
            .entry(Release::of_suite(old.suite.as_str())?)
            .or_default()
            .push(Installed {
                name: old.name.clone(),
                version: old.version.clone(),
                arch: old.architecture.clone(),
                source: old.source.clone(),
                source_version: old.source_version.clone(),
                purl: None,
            });
    }
    Ok(by_release
        .iter()
        .flat_map(|(release, installed)| scan(database, release, installed))
        .collect())
}

/// Each suite of a lock with its Release date.
fn suite_dates(lock: &Lock) -> anyhow::Result<Vec<SuiteDate>> {
    lock.archive
        .iter()
        .map(|state| {
            let date: ReleaseDate = state.date.parse().map_err(|e| {
                UserError::new(format!(
                    "the Release date of `{}` (`{}`) is not a date: {e}",
                    state.suite, state.date
                ))
            })?;
            Ok(SuiteDate {
                suite: state.suite.clone(),
                date: state.date.clone(),
                unix: date.unix(),
            })
        })
        .collect()
}
