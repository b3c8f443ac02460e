//! `buckle lock SPEC...`: resolve each spec against the archive into `SPEC.lock`.

use crate::args::{Global, LockArgs};
use crate::exit::UserError;
use crate::files::{self, SpecFile};
use crate::printer::Printer;
use crate::session::Session;
use anyhow::Context;
use buckle_archive::{ReleaseDate, VerifiedRelease};
use buckle_debian::{Arch, MirrorUrl, PackageName, Suite};
use buckle_resolve::{pins_from_lock, resolve, Pins, Resolution, Universe};
use buckle_spec::{Exclude, IndexFile, Lock, SuiteState, Variant};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A spec resolved against today's archive.
pub struct Resolved {
    pub lock: Lock,
    pub resolutions: BTreeMap<(Arch, Variant), Resolution>,
}

pub fn run(args: &LockArgs, global: &Global, printer: &Printer) -> anyhow::Result<()> {
    let session = Session::new(global)?;
    let mut reports = Vec::new();
    for path in &args.specs {
        let spec = SpecFile::load(path)?;
        let old = spec.read_lock().ok().flatten();
        let resolved = resolve_spec(&session, &spec, old.as_ref(), args.update)
            .with_context(|| format!("cannot lock `{}`", spec.path.display()))?;
        let changed = old.as_ref() != Some(&resolved.lock);
        if changed {
            files::write_output(&spec.lock_path(), resolved.lock.to_toml().as_bytes())?;
        }
        reports.push(summary(&spec, &resolved, changed, printer));
    }
    if printer.json {
        printer.json(&json!(reports))?;
    }
    Ok(())
}

fn summary(spec: &SpecFile, resolved: &Resolved, changed: bool, printer: &Printer) -> serde_json::Value {
    let counts: BTreeMap<String, usize> = resolved
        .lock
        .images
        .iter()
        .flat_map(|(arch, variants)| {
            variants
                .iter()
                .map(move |(v, p)| (format!("{arch}/{v}"), p.len()))
        })
        .collect();
    let text = counts
        .iter()
        .map(|(image, n)| format!("{image} {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let verb = if changed { "Locked" } else { "Unchanged" };
    printer.status(
        verb,
        format!(
            "{} -> {} (packages: {text})",
            spec.path.display(),
            spec.lock_path().display()
        ),
    );
    json!({"spec": spec.path, "lock": spec.lock_path(), "changed": changed, "packages": counts})
}

/// Opens every suite of the spec, builds one universe per architecture and resolves
/// both variants. Without `update`, versions pinned by `old` are kept while the
/// archive still has them.
pub fn resolve_spec(
    session: &Session,
    spec: &SpecFile,
    old: Option<&Lock>,
    update: bool,
) -> anyhow::Result<Resolved> {
    let suites = open_suites(session, spec, old)?;
    let universes = universes(session, spec, &suites)?;
    let mut resolutions = BTreeMap::new();
    let mut images: BTreeMap<Arch, BTreeMap<Variant, Vec<_>>> = BTreeMap::new();
    for (arch, universe) in spec.spec.architectures.iter().zip(universes) {
        for variant in Variant::ALL {
            let pins = match (old, update) {
                (Some(lock), false) => pins_from_lock(lock.packages(arch, variant)),
                _ => Pins::new(),
            };
            let roots = spec.spec.roots(variant);
            let resolution = resolve(&universe, &roots, &excludes(spec, variant), &pins)
                .with_context(|| format!("cannot resolve the {variant} image for {arch}"))?;
            images
                .entry(arch.clone())
                .or_default()
                .insert(variant, resolution.locked()?);
            resolutions.insert((arch.clone(), variant), resolution);
        }
    }
    let archive: Vec<SuiteState> = suites
        .iter()
        .map(|(source, release)| suite_state(source, release, &spec.spec.architectures))
        .collect::<anyhow::Result<_>>()?;
    let mut lock = Lock {
        spec_sha256: spec.spec.sha256(),
        source_date_epoch: 0,
        archive,
        images,
        upstream: crate::upstream::lock_upstream(session, spec, old, update)?,
    };
    lock.source_date_epoch = source_date_epoch(old, &lock, &suites);
    Ok(Resolved { lock, resolutions })
}

/// The spec's cuts for `variant`: the dev variant keeps what it names as a root.
fn excludes(spec: &SpecFile, variant: Variant) -> Vec<Exclude> {
    let roots = spec.spec.roots(variant);
    spec.spec
        .excludes
        .iter()
        .filter(|e| !roots.contains(&e.package))
        .cloned()
        .collect()
}

type OpenSuites = Vec<(Arc<buckle_spec::Source>, Arc<VerifiedRelease>)>;

fn open_suites(session: &Session, spec: &SpecFile, old: Option<&Lock>) -> anyhow::Result<OpenSuites> {
    let mut out = Vec::new();
    for source in &spec.spec.sources {
        let mirror = session.mirror_url(source)?;
        let keyring = session.keyring(spec, source)?;
        for suite in &source.suites {
            let not_before = recorded_date(old, suite)?;
            let release = session.release(&mirror, suite, &keyring, not_before)?;
            out.push((Arc::new(source.clone()), release));
        }
    }
    Ok(out)
}

/// The Release date a lock recorded for `suite`: the archive may not go back before it.
fn recorded_date(old: Option<&Lock>, suite: &Suite) -> anyhow::Result<Option<ReleaseDate>> {
    let Some(state) = old.and_then(|lock| lock.archive.iter().find(|s| &s.suite == suite)) else {
        return Ok(None);
    };
    let date = state.date.parse().map_err(|e| {
        UserError::new(format!(
            "the lock's date for `{suite}` (`{}`) is not a date: {e}",
            state.date
        ))
    })?;
    Ok(Some(date))
}

/// The universe of each of the spec's architectures, in the spec's order, built side by
/// side: reading one architecture's indexes overlaps indexing the other's.
fn universes(session: &Session, spec: &SpecFile, suites: &OpenSuites) -> anyhow::Result<Vec<Arc<Universe>>> {
    std::thread::scope(|scope| {
        let builds: Vec<_> = spec
            .spec
            .architectures
            .iter()
            .map(|arch| scope.spawn(move || universe(session, spec, suites, arch)))
            .collect();
        builds
            .into_iter()
            .map(|build| {
                build
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

fn universe(
    session: &Session,
    spec: &SpecFile,
    suites: &OpenSuites,
    arch: &Arch,
) -> anyhow::Result<Arc<Universe>> {
    let mut key = arch.to_string();
    for (source, release) in suites {
        let components: Vec<String> = source.components.iter().map(ToString::to_string).collect();
        key.push_str(&format!(
            " {}/{}@{}:{}",
            release.mirror,
            release.suite,
            release.inrelease_sha256.hex(),
            components.join(",")
        ));
    }
    session.universe(key, || {
        let mut packages = Vec::new();
        for (source, release) in suites {
            for component in &source.components {
                let index = session.packages(release, component, arch)?;
                packages.extend(index.iter().map(|p| (release.suite.clone(), Arc::clone(p))));
            }
        }
        tracing::debug!(spec = %spec.path.display(), %arch, packages = packages.len(), "universe");
        Ok(Universe::new(arch.clone(), packages))
    })
}

/// What the lock records of one suite: its Release, and each index read for `arches`.
fn suite_state(
    source: &buckle_spec::Source,
    release: &VerifiedRelease,
    arches: &[Arch],
) -> anyhow::Result<SuiteState> {
    let codename = release
        .release
        .codename
        .as_deref()
        .unwrap_or(release.suite.as_str());
    let mut indexes: BTreeMap<String, IndexFile> = BTreeMap::new();
    for component in &source.components {
        for arch in arches {
            for choice in release.index_files(component, arch)? {
                let path = choice.path.parse().map_err(|e: String| {
                    anyhow::anyhow!("Release of `{}` lists an odd index: {e}", release.suite)
                })?;
                indexes.insert(
                    choice.path,
                    IndexFile {
                        path,
                        size: choice.listed.size,
                        sha256: choice.listed.sha256,
                    },
                );
            }
        }
    }
    Ok(SuiteState {
        indexes: indexes.into_values().collect(),
        suite: release.suite.clone(),
        codename: codename
            .parse()
            .with_context(|| format!("Release of `{}` has a bad Codename", release.suite))?,
        date: release.release.date.to_string(),
        inrelease_sha256: release.inrelease_sha256,
    })
}

/// Kept from `old` when no package changed, else the newest Release date.
fn source_date_epoch(old: Option<&Lock>, new: &Lock, suites: &OpenSuites) -> u64 {
    if let Some(old) = old {
        if old.images == new.images {
            return old.source_date_epoch;
        }
    }
    let newest = suites
        .iter()
        .map(|(_, release)| release.release.date.unix())
        .max()
        .unwrap_or(0);
    u64::try_from(newest).unwrap_or(0)
}

/// Which mirror serves each suite of a spec, for downloading the lock's files.
pub fn suite_mirrors(session: &Session, spec: &SpecFile) -> anyhow::Result<BTreeMap<Suite, MirrorUrl>> {
    let mut out = BTreeMap::new();
    for source in &spec.spec.sources {
        let mirror = session.mirror_url(source)?;
        for suite in &source.suites {
            out.insert(suite.clone(), mirror.clone());
        }
    }
    Ok(out)
}

/// Fails when `name` is not a package name, with the reason.
pub fn package_name(name: &str) -> anyhow::Result<PackageName> {
    name.parse()
        .map_err(|e: buckle_debian::Error| UserError::new(e.to_string()).into())
}
