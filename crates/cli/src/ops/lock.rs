//! Locking: a spec resolved against the archive's signed indexes into a lock, and the
//! lock beside a spec read back, checked to belong to it.

use crate::exit::UserError;
use crate::files::{self, SpecFile};
use crate::ops::resolution_memo::{Images, ResolutionMemo};
use crate::printer::Printer;
use crate::session::{IndexKey, Session};
use anyhow::Context;
use buckle_archive::{ReleaseDate, VerifiedRelease};
use buckle_debian::{Arch, MirrorUrl, PackageName, Suite};
use buckle_digest::Sha256;
use buckle_resolve::{pins_from_lock, resolve, Pins, Resolution, Universe};
use buckle_spec::{Exclude, IndexFile, Lock, SuiteState, Variant};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// A spec resolved against today's archive.
pub struct Resolved {
    pub lock: Lock,
    /// Empty when the lock's packages were kept from a remembered resolution
    /// ([`resolve_specs`]).
    pub resolutions: BTreeMap<(Arch, Variant), Resolution>,
}

/// Opens every suite of the spec, builds one universe per architecture and resolves
/// both variants. Without `update`, versions already pinned by `old` are kept while the
/// archive still has them.
pub fn resolve_spec(
    session: &Session,
    spec: &SpecFile,
    old: Option<&Lock>,
    update: bool,
) -> anyhow::Result<Resolved> {
    let mut resolved = resolve_jobs(session, &[LockJob { spec, old }], update, None)?;
    Ok(resolved.remove(0))
}

/// A spec to lock, and the lock it has.
pub struct LockJob<'a> {
    pub spec: &'a SpecFile,
    pub old: Option<&'a Lock>,
}

/// Resolves every job, one package universe (an architecture of a set of suites) at a
/// time: each is built once, serves every spec that reads it, and is dropped, with the
/// indexes no later universe reads, before the next one is built. However many specs
/// and architectures there are, memory holds one universe. The results are in `jobs`'
/// order; a failure names its spec.
///
/// A job whose lock was made from the same spec, archive state, pins and buckle keeps
/// its packages without a universe ([`ResolutionMemo`]).
pub fn resolve_specs(session: &Session, jobs: &[LockJob<'_>], update: bool) -> anyhow::Result<Vec<Resolved>> {
    let memo = ResolutionMemo::new(session.archive.cache().root());
    resolve_jobs(session, jobs, update, Some(&memo))
}

fn resolve_jobs(
    session: &Session,
    jobs: &[LockJob<'_>],
    update: bool,
    memo: Option<&ResolutionMemo>,
) -> anyhow::Result<Vec<Resolved>> {
    prefetch_releases(session, jobs);
    let suites: Vec<OpenSuites> = jobs
        .iter()
        .map(|job| {
            open_suites(session, job.spec, job.old)
                .with_context(|| format!("cannot lock `{}`", job.spec.path.display()))
        })
        .collect::<anyhow::Result<_>>()?;
    // (universe key, job, architecture), and the universes in the order they are built:
    // architecture by architecture, so that one architecture's indexes serve all its
    // universes before they are dropped.
    let keys: Vec<Option<Sha256>> = jobs
        .iter()
        .zip(&suites)
        .map(|(job, suites)| {
            let pins = job.old.filter(|_| !update);
            memo.and_then(|memo| memo.key(job.spec, suites, pins))
        })
        .collect();
    let mut kept: Vec<Option<Images>> = jobs
        .iter()
        .zip(&keys)
        .map(|(job, key)| {
            let old = job.old?;
            let remembered = memo.zip(key.as_ref())?;
            remembered
                .0
                .gave(remembered.1, &old.images)
                .then(|| old.images.clone())
        })
        .collect();
    let mut work: Vec<(String, usize, Arch)> = Vec::new();
    for (i, job) in jobs.iter().enumerate().filter(|(i, _)| kept[*i].is_none()) {
        for arch in &job.spec.spec.architectures {
            work.push((universe_key(&suites[i], arch), i, arch.clone()));
        }
    }
    let mut order: Vec<(Arch, String)> = Vec::new();
    for (key, _, arch) in &work {
        if !order.iter().any(|(_, k)| k == key) {
            order.push((arch.clone(), key.clone()));
        }
    }
    order.sort_by(|a, b| a.0.cmp(&b.0));
    let index_keys = |i: usize, arch: &Arch| -> Vec<IndexKey> {
        suites[i]
            .iter()
            .flat_map(|(source, release)| {
                source.components.iter().map(move |component| {
                    (
                        release.mirror.clone(),
                        release.suite.clone(),
                        component.clone(),
                        arch.clone(),
                    )
                })
            })
            .collect()
    };
    let mut resolutions: Vec<BTreeMap<(Arch, Variant), Resolution>> =
        jobs.iter().map(|_| BTreeMap::new()).collect();
    for (n, (_, key)) in order.iter().enumerate() {
        for (_, i, arch) in work.iter().filter(|(k, _, _)| k == key) {
            let job = &jobs[*i];
            let universe = universe(session, job.spec, &suites[*i], arch)
                .with_context(|| format!("cannot lock `{}`", job.spec.path.display()))?;
            for variant in Variant::ALL {
                let pins = match (job.old, update) {
                    (Some(lock), false) => pins_from_lock(lock.packages(arch, variant)),
                    _ => Pins::new(),
                };
                let roots = job.spec.spec.roots(variant);
                let resolution = resolve(&universe, &roots, &excludes(job.spec, variant), &pins)
                    .with_context(|| format!("cannot resolve the {variant} image for {arch}"))
                    .with_context(|| format!("cannot lock `{}`", job.spec.path.display()))?;
                resolutions[*i].insert((arch.clone(), variant), resolution);
            }
        }
        let later: Vec<&String> = order[n + 1..].iter().map(|(_, k)| k).collect();
        let keep: BTreeSet<IndexKey> = work
            .iter()
            .filter(|(k, _, _)| later.contains(&k))
            .flat_map(|(_, i, arch)| index_keys(*i, arch))
            .collect();
        session.release_universe(key, &keep);
    }
    jobs.iter()
        .zip(suites)
        .zip(resolutions)
        .enumerate()
        .map(|(i, ((job, suites), resolutions))| {
            let images = match kept[i].take() {
                Some(images) => images,
                None => {
                    let images = images(&resolutions)?;
                    if let (Some(memo), Some(key)) = (memo, &keys[i]) {
                        memo.remember(key, &images);
                    }
                    images
                }
            };
            locked(session, job, &suites, images, resolutions, update)
                .with_context(|| format!("cannot lock `{}`", job.spec.path.display()))
        })
        .collect()
}

/// The lockfile entries of each resolution.
fn images(resolutions: &BTreeMap<(Arch, Variant), Resolution>) -> anyhow::Result<Images> {
    let mut images: Images = BTreeMap::new();
    for ((arch, variant), resolution) in resolutions {
        images
            .entry(arch.clone())
            .or_default()
            .insert(*variant, resolution.locked()?);
    }
    Ok(images)
}

/// The lock of one job with its packages.
fn locked(
    session: &Session,
    job: &LockJob<'_>,
    suites: &OpenSuites,
    images: Images,
    resolutions: BTreeMap<(Arch, Variant), Resolution>,
    update: bool,
) -> anyhow::Result<Resolved> {
    let spec = job.spec;
    let archive: Vec<SuiteState> = suites
        .iter()
        .map(|(source, release)| suite_state(source, release, &spec.spec.architectures))
        .collect::<anyhow::Result<_>>()?;
    let mut lock = Lock {
        spec_sha256: spec.spec.sha256(),
        source_date_epoch: 0,
        archive,
        images,
        upstream: crate::upstream::lock_upstream(session, spec, job.old, update)?,
    };
    lock.sort();
    lock.source_date_epoch = source_date_epoch(job.old, &lock, suites);
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

/// Opens every suite the jobs read at once, one thread each, so that the InRelease
/// round trips overlap; [`open_suites`] then finds them opened. A failure is left for
/// `open_suites` to report, with the spec it belongs to.
fn prefetch_releases(session: &Session, jobs: &[LockJob<'_>]) {
    let mut wanted: BTreeMap<(MirrorUrl, Suite, String), (MirrorUrl, Suite, buckle_archive::Keyring)> =
        BTreeMap::new();
    for job in jobs {
        for source in &job.spec.spec.sources {
            let (Ok(mirror), Ok(keyring)) = (session.mirror_url(source), session.keyring(job.spec, source))
            else {
                continue;
            };
            for suite in &source.suites {
                let key = (mirror.clone(), suite.clone(), keyring.name().to_owned());
                wanted
                    .entry(key)
                    .or_insert_with(|| (mirror.clone(), suite.clone(), keyring.clone()));
            }
        }
    }
    if wanted.len() < 2 {
        return;
    }
    std::thread::scope(|scope| {
        for (mirror, suite, keyring) in wanted.values() {
            scope.spawn(move || session.release(mirror, suite, keyring, None));
        }
    });
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

/// The name of the universe of `arch` over `suites`: specs that read the same suites
/// (the same InRelease files and components) share it.
fn universe_key(suites: &OpenSuites, arch: &Arch) -> String {
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
    key
}

fn universe(
    session: &Session,
    spec: &SpecFile,
    suites: &OpenSuites,
    arch: &Arch,
) -> anyhow::Result<Arc<Universe>> {
    session.universe(universe_key(suites, arch), || {
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

/// The lock beside the spec when it is fresh, else a new one (written).
pub fn current_lock(session: &Session, spec: &SpecFile, printer: &Printer) -> anyhow::Result<Lock> {
    let old = spec.read_lock()?;
    if let Some(lock) = &old {
        if lock.check_fresh(&spec.spec).is_ok() {
            return Ok(lock.clone());
        }
    }
    let resolved = resolve_spec(session, spec, old.as_ref(), false)?;
    files::write_output(&spec.lock_path(), resolved.lock.to_toml().as_bytes())?;
    printer.status(
        "Locked",
        format!("{} -> {}", spec.path.display(), spec.lock_path().display()),
    );
    Ok(resolved.lock)
}

/// Why a package is in a locked image: the chain from a root of the spec.
pub struct Why {
    pub package: PackageName,
    pub arch: Arch,
    pub variant: Variant,
    pub chain: buckle_resolve::Chain,
}

impl Why {
    /// What `buckle why --json` prints.
    pub fn to_json(&self) -> serde_json::Value {
        let steps: Vec<_> = self
            .chain
            .steps
            .iter()
            .map(|s| {
                serde_json::json!({"package": s.package.as_str(), "version": s.version.as_ref().map(|v| v.as_str()),
                        "needed_by": s.needed_by.as_ref().map(|n| serde_json::json!({"parent": n.parent.as_str(), "relation": n.relation}))})
            })
            .collect();
        serde_json::json!({"package": self.package.as_str(), "arch": self.arch.as_str(), "variant": self.variant.as_str(), "chain": steps})
    }
}

/// Re-resolves `spec` with its lock's versions pinned (the same closure, with its
/// reasons) and finds the chain that pulled `package` into the `variant` image for
/// `arch` (default: the lock's first architecture).
pub fn why(
    session: &Session,
    spec: &SpecFile,
    package: &PackageName,
    arch: Option<&str>,
    variant: Variant,
) -> anyhow::Result<Why> {
    let lock = require_lock(spec)?;
    let arch: Arch = match arch {
        Some(arch) => arch
            .parse()
            .map_err(|e: buckle_debian::Error| UserError::new(e.to_string()))?,
        None => lock
            .images
            .keys()
            .next()
            .cloned()
            .ok_or_else(|| UserError::new("the lock has no images"))?,
    };
    let resolved = resolve_spec(session, spec, Some(&lock), false)?;
    let resolution = resolved
        .resolutions
        .get(&(arch.clone(), variant))
        .ok_or_else(|| UserError::new(format!("the lock has no {variant} image for {arch}")))?;
    let Some(chain) = buckle_resolve::why(resolution, package) else {
        anyhow::bail!(UserError::with_hint(
            format!("`{package}` is not in the {variant} image for {arch}"),
            "`buckle inspect` lists the packages of a built image"
        ));
    };
    Ok(Why {
        package: package.clone(),
        arch,
        variant,
        chain,
    })
}
