//! What one `buckle` invocation shares across specs: the archive client and cache, the
//! host's mirrors, and every suite and index already opened (so `buckle lock
//! catalog/*.toml` reads each index once).

use crate::args::Global;
use crate::exit::UserError;
use crate::files::SpecFile;
use anyhow::Context;
use buckle_archive::{
    verify_inrelease, Archive, Cache, Keyring, ReleaseChecks, ReleaseDate, VerifiedRelease,
};
use buckle_bundle::imported::Imports;
use buckle_debian::{Arch, BinaryPackage, Component, MirrorUrl, Suite};
use buckle_resolve::Universe;
use buckle_spec::{Mirror, Source};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Where an index came from: mirror, suite, component and architecture.
pub type IndexKey = (MirrorUrl, Suite, Component, Arch);

/// Shared state of one invocation.
pub struct Session {
    pub archive: Archive,
    offline: bool,
    mirror_override: Option<MirrorUrl>,
    security_override: Option<MirrorUrl>,
    apt_dir: PathBuf,
    now: ReleaseDate,
    npm_registry: std::sync::OnceLock<Result<String, String>>,
    python_index: std::sync::OnceLock<Result<String, String>>,
    http: buckle_http::Client,
    /// By mirror, suite and the name of the keyring that verified it.
    releases: Mutex<BTreeMap<(MirrorUrl, Suite, String), Arc<VerifiedRelease>>>,
    indexes: Mutex<BTreeMap<IndexKey, Arc<Vec<Arc<BinaryPackage>>>>>,
    universes: Mutex<BTreeMap<String, Arc<Universe>>>,
}

impl Session {
    pub fn new(global: &Global) -> anyhow::Result<Session> {
        let cache_dir = match &global.cache {
            Some(dir) => dir.clone(),
            None => default_cache_dir()?,
        };
        let parse_url = |value: &Option<String>, var: &str| -> anyhow::Result<Option<MirrorUrl>> {
            value
                .as_deref()
                .map(|v| {
                    v.trim_end_matches('/')
                        .parse()
                        .map_err(|e| anyhow::Error::new(UserError::new(format!("{var}: {e}"))))
                })
                .transpose()
        };
        // The host's CA store, as for registries: upstream artifacts, package indexes
        // and https mirrors are reached through whatever CAs the host trusts.
        let http = buckle_http::Client::builder()
            .tls_roots(buckle_http::TlsRoots::system())
            .offline(global.offline)
            .build();
        Ok(Session {
            archive: Archive::new(http.clone(), Cache::new(cache_dir)),
            offline: global.offline,
            http,
            python_index: std::sync::OnceLock::new(),
            mirror_override: parse_url(&global.mirror, "--mirror / BUCKLE_MIRROR")?,
            security_override: parse_url(
                &global.security_mirror,
                "--security-mirror / BUCKLE_SECURITY_MIRROR",
            )?,
            apt_dir: PathBuf::from("/etc/apt"),
            now: ReleaseDate::from_system_time(std::time::SystemTime::now()),
            npm_registry: std::sync::OnceLock::new(),
            releases: Mutex::default(),
            indexes: Mutex::default(),
            universes: Mutex::default(),
        })
    }

    /// The npm registry upstream npm artifacts come from: npm's own `registry`
    /// setting from the environment (`npm_config_registry`), else what `npm config
    /// get registry` says (the user's .npmrc, or npm's default). Asked once, when needed.
    pub fn npm_registry(&self) -> anyhow::Result<&str> {
        match self.npm_registry.get_or_init(npm_registry) {
            Ok(registry) => Ok(registry),
            Err(why) => Err(crate::exit::UserError::with_hint(
                format!("no npm registry is configured: {why}"),
                "set npm_config_registry to the registry's URL, or install npm (its configuration names one)",
            )
            .into()),
        }
    }

    /// The Python package index pip would use: `PIP_INDEX_URL`, else pip's configured
    /// `global.index-url`, else pip's own default. Asked once, when needed.
    pub fn python_index(&self) -> anyhow::Result<&str> {
        match self.python_index.get_or_init(python_index) {
            Ok(index) => Ok(index),
            Err(why) => Err(crate::exit::UserError::with_hint(
                format!("no Python package index is configured: {why}"),
                "set PIP_INDEX_URL or the app spec's `python.index` to the index's simple API URL, or install pip (its configuration names one)",
            )
            .into()),
        }
    }

    /// The HTTP client (the host's CAs), for package indexes and registries.
    pub fn http(&self) -> &buckle_http::Client {
        &self.http
    }

    /// The layer cache beside the downloads: `<cache>/layers`.
    pub fn layer_cache(&self) -> buckle_image::cache::LayerCache {
        buckle_image::cache::LayerCache::new(self.archive.cache().root().join("layers"))
    }

    /// The vulnerability feed store, in the cache directory.
    pub fn feed_store(&self) -> buckle_feeds::Store {
        buckle_feeds::Store::new(self.archive.cache().root())
    }

    /// The bundles imported into the cache.
    pub fn imports(&self) -> Imports {
        Imports::new(self.archive.cache().root())
    }

    /// For an offline build from `lock`: the imported bundle its suites came from,
    /// and whether that bundle's Releases are past `Valid-Until` now. None online.
    pub fn offline_build(
        &self,
        lock: &buckle_spec::Lock,
    ) -> anyhow::Result<Option<buckle_sign::provenance::OfflineBuild>> {
        if !self.offline {
            return Ok(None);
        }
        let inreleases: Vec<_> = lock.archive.iter().map(|s| s.inrelease_sha256).collect();
        let record = self.imports().holding(&inreleases)?;
        Ok(Some(buckle_sign::provenance::OfflineBuild {
            stale: record.as_ref().is_some_and(|r| {
                r.suites
                    .iter()
                    .any(|s| inreleases.contains(&s.inrelease) && s.expired_at(self.now))
            }),
            bundle: record.map(|r| (r.digest, r.created.to_string())),
        }))
    }

    /// The time this invocation checks signatures at.
    pub fn now(&self) -> ReleaseDate {
        self.now
    }

    /// The URL a spec source reads from: its own, an override, or the host's apt mirror.
    pub fn mirror_url(&self, source: &Source) -> anyhow::Result<MirrorUrl> {
        Ok(match &source.mirror {
            Mirror::Url(url) => url.clone(),
            Mirror::Debian => match &self.mirror_override {
                Some(url) => url.clone(),
                None => buckle_archive::from_apt_config(&self.apt_dir)?.archive()?.clone(),
            },
            Mirror::DebianSecurity => match (&self.security_override, &self.mirror_override) {
                (Some(url), _) => url.clone(),
                (None, Some(main)) => format!("{main}-security").parse()?,
                (None, None) => buckle_archive::from_apt_config(&self.apt_dir)?
                    .security()?
                    .clone(),
            },
        })
    }

    /// The keyring a source's InRelease must be signed with.
    pub fn keyring(&self, spec: &SpecFile, source: &Source) -> anyhow::Result<Keyring> {
        match &source.keyring {
            buckle_spec::Keyring::Debian => Ok(Keyring::debian()),
            buckle_spec::Keyring::File(path) => {
                let path = resolve(spec.dir(), path);
                let bytes = std::fs::read(&path)
                    .with_context(|| format!("cannot read keyring `{}`", path.display()))?;
                Ok(Keyring::from_bytes(&path.display().to_string(), &bytes)?)
            }
        }
    }

    /// The verified Release of `suite` at `mirror`, opened once per invocation.
    pub fn release(
        &self,
        mirror: &MirrorUrl,
        suite: &Suite,
        keyring: &Keyring,
        not_before: Option<ReleaseDate>,
    ) -> anyhow::Result<Arc<VerifiedRelease>> {
        let key = (mirror.clone(), suite.clone(), keyring.name().to_owned());
        if let Some(found) = lock(&self.releases).get(&key).cloned() {
            // Opened for another spec: this one's lock may record a later date.
            return match not_before {
                Some(not_before) if found.release.date < not_before => Err(buckle_archive::Error::Rollback {
                    suite: suite.clone(),
                    date: found.release.date,
                    not_before,
                })
                .with_context(|| format!("cannot open suite `{suite}`")),
                _ => Ok(found),
            };
        }
        let release = if self.offline {
            self.imported_release(mirror, suite, keyring, not_before)
        } else {
            Ok(self
                .archive
                .open_suite(mirror, suite, keyring, self.now, not_before)?)
        }
        .with_context(|| format!("cannot open suite `{suite}`"))?;
        let release = Arc::new(release);
        lock(&self.releases).insert(key, release.clone());
        Ok(release)
    }

    /// The InRelease of `suite` from the newest imported bundle holding it, verified as
    /// online. Offline, a bundle is judged as of the day it was made: a Release past
    /// `Valid-Until` now is accepted if it was valid then (and builds say so).
    fn imported_release(
        &self,
        mirror: &MirrorUrl,
        suite: &Suite,
        keyring: &Keyring,
        not_before: Option<ReleaseDate>,
    ) -> anyhow::Result<VerifiedRelease> {
        let (record, found) = self.imports().suite(mirror.as_str(), suite.as_str())?.ok_or_else(|| {
            UserError::with_hint(
                format!("--offline: no imported bundle holds suite `{suite}`"),
                "on a connected machine, `buckle bundle create` a bundle of the specs that use it; then `buckle bundle import` it here",
            )
        })?;
        let bytes = self.archive.cache().read(&found.inrelease)?;
        let now = if found.expired_at(self.now) {
            record.created
        } else {
            self.now
        };
        Ok(verify_inrelease(
            mirror,
            suite,
            &bytes,
            keyring,
            &ReleaseChecks { now, not_before },
        )?)
    }

    /// The packages of one index (arch plus `all`), read once per invocation.
    pub fn packages(
        &self,
        release: &VerifiedRelease,
        component: &Component,
        arch: &Arch,
    ) -> anyhow::Result<Arc<Vec<Arc<BinaryPackage>>>> {
        let key = (
            release.mirror.clone(),
            release.suite.clone(),
            component.clone(),
            arch.clone(),
        );
        if let Some(found) = lock(&self.indexes).get(&key) {
            return Ok(found.clone());
        }
        let index = self
            .archive
            .packages(release, component, arch)
            .with_context(|| format!("cannot read the {arch} packages of `{}`", release.suite))?;
        let packages = Arc::new(index.packages.into_iter().map(Arc::new).collect());
        lock(&self.indexes).insert(key, Arc::clone(&packages));
        Ok(packages)
    }
}

impl Session {
    /// The universe named `key` (its suites, their InRelease digests, components and
    /// architecture), built by `build` the first time: specs that read the same
    /// archive share one.
    pub fn universe(
        &self,
        key: String,
        build: impl FnOnce() -> anyhow::Result<Universe>,
    ) -> anyhow::Result<Arc<Universe>> {
        if let Some(found) = lock(&self.universes).get(&key) {
            return Ok(found.clone());
        }
        let universe = Arc::new(build()?);
        lock(&self.universes).insert(key, universe.clone());
        Ok(universe)
    }
}

impl Session {
    /// Forgets the universe `key` and every index not in `keep`, freeing their memory
    /// now: a lock of many specs holds one universe at a time.
    pub fn release_universe(&self, key: &str, keep: &std::collections::BTreeSet<IndexKey>) {
        let universe = lock(&self.universes).remove(key);
        let mut indexes = lock(&self.indexes);
        let dropped: Vec<_> = indexes.keys().filter(|k| !keep.contains(*k)).cloned().collect();
        let freed: Vec<_> = dropped.iter().filter_map(|k| indexes.remove(k)).collect();
        drop(indexes);
        drop((universe, freed));
    }
}

impl Drop for Session {
    /// Freeing millions of parsed index entries takes longer than a warm `buckle lock`
    /// itself: a thread frees them, so the command's result is not held up (when the
    /// process exits first, the OS reclaims the memory at once).
    fn drop(&mut self) {
        let indexes = std::mem::take(&mut *lock(&self.indexes));
        let universes = std::mem::take(&mut *lock(&self.universes));
        if !indexes.is_empty() || !universes.is_empty() {
            std::thread::spawn(move || drop((indexes, universes)));
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A path from a spec: relative ones are relative to the spec's directory.
/// npm's `registry` setting as npm reads it from the environment, else as npm itself
/// reports it: buckle names no registry of its own.
fn npm_registry() -> Result<String, String> {
    if let Some(registry) = ["npm_config_registry", "NPM_CONFIG_REGISTRY"]
        .iter()
        .find_map(|var| std::env::var(var).ok().filter(|v| !v.is_empty()))
    {
        return Ok(registry);
    }
    let output = std::process::Command::new("npm")
        .args(["config", "get", "registry"])
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("npm_config_registry is not set and `npm` cannot be run ({e})"))?;
    let registry = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if !output.status.success() || !registry.contains("://") {
        return Err(format!(
            "npm_config_registry is not set and `npm config get registry` answered `{registry}`"
        ));
    }
    Ok(registry)
}

/// pip's index as pip reads it from the environment, else as pip itself reports it:
/// buckle names no index of its own.
fn python_index() -> Result<String, String> {
    if let Some(index) = std::env::var("PIP_INDEX_URL").ok().filter(|v| !v.is_empty()) {
        return Ok(index);
    }
    let ask = |args: &[&str]| -> Option<String> {
        let output = std::process::Command::new("python3")
            .args(args)
            .stdin(std::process::Stdio::null())
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        (output.status.success() && text.contains("://")).then_some(text)
    };
    ask(&["-m", "pip", "config", "get", "global.index-url"])
        .or_else(|| {
            ask(&[
                "-c",
                "from pip._internal.models.index import PyPI; print(PyPI.simple_url)",
            ])
        })
        .ok_or_else(|| "PIP_INDEX_URL is not set and `python3 -m pip` names no index".to_owned())
}

pub fn resolve(dir: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_owned()
    } else {
        dir.join(path)
    }
}

/// `$XDG_CACHE_HOME/buckle`, else `~/.cache/buckle`.
pub fn default_cache_dir() -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir).join("buckle"));
    }
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .ok_or_else(|| {
            UserError::with_hint(
                "no cache directory: neither XDG_CACHE_HOME nor HOME is set",
                "set BUCKLE_CACHE or pass --cache DIR",
            )
        })?;
    Ok(PathBuf::from(home).join(".cache").join("buckle"))
}
