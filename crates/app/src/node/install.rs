//! The fetch and install arrows for Node: lockfile entries -> tarballs checked against
//! their `integrity` -> files at the lockfile's paths, with `.bin` links.
//!
//! As npm does, the first directory of every tarball (usually `package/`) is stripped,
//! symbolic and hard links inside tarballs are dropped, files keep only their execute
//! bit (0755 or 0644) and `bin` targets are made executable. Install scripts never
//! run: a package that declares one (in the lockfile or in its own `package.json`) is
//! an error unless it is allowed as shipping prebuilt binaries.

use super::integrity::Integrity;
use super::lock::{platform_allows, LockPackage, PackageLock};
use crate::error::{Error, Result};
use crate::package::{AppPackage, Ecosystem};
use crate::python::Machine;
use crate::tree::{AppTree, EXEC_MODE, FILE_MODE};
use buckle_archive::Cache;
use buckle_digest::Sha256;
use buckle_http::Client;
use buckle_oci::tar::{EntryKind, Reader};
use buckle_oci::RelPath;
use std::collections::BTreeSet;
use std::io::Read;
use tracing::{debug, info};

/// Largest tarball downloaded.
const TARBALL_LIMIT: u64 = 1 << 30;
/// Scripts npm runs at install time.
const INSTALL_SCRIPTS: [&str; 3] = ["preinstall", "install", "postinstall"];

/// How to install a lockfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeOptions {
    /// The application's directory in the image; `node_modules` goes under it.
    pub app_dir: RelPath,
    /// The image's architecture (for `cpu` lists).
    pub machine: Machine,
    /// Packages with install scripts that are accepted because they ship prebuilt
    /// binaries for the target (their scripts still never run).
    pub allow_prebuilt: BTreeSet<String>,
    /// The registry for entries without a `resolved` URL.
    pub registry: String,
}

impl NodeOptions {
    /// Options for `machine`, installing under `app_dir`, with `registry` for entries
    /// without a `resolved` URL (the caller takes it from npm's configuration: buckle
    /// names no registry of its own).
    pub fn new(app_dir: RelPath, machine: Machine, registry: impl Into<String>) -> Self {
        NodeOptions {
            app_dir,
            machine,
            allow_prebuilt: BTreeSet::new(),
            registry: registry.into(),
        }
    }
}

/// What installing a lockfile produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeInstall {
    /// Every installed file.
    pub tree: AppTree,
    /// The installed packages, in lockfile path order.
    pub packages: Vec<AppPackage>,
}

/// Downloads tarballs through `buckle-http`; with a cache, keeps each verified tarball
/// in buckle's content-addressed cache and finds it again by its URL and `integrity`.
#[derive(Debug, Clone)]
pub struct Registry {
    client: Client,
    cache: Option<Cache>,
}

impl Registry {
    /// A registry client that downloads every tarball.
    pub fn new(client: Client) -> Self {
        Registry { client, cache: None }
    }

    /// Reads tarballs from `cache` when it holds them, and keeps what it downloads
    /// there once it matches its integrity.
    pub fn with_cache(mut self, cache: Cache) -> Self {
        self.cache = Some(cache);
        self
    }

    /// Installs `lock` as `options` say.
    pub fn install(&self, lock: &PackageLock, options: &NodeOptions) -> Result<NodeInstall> {
        install(lock, options, |url, integrity| self.fetch(url, integrity))
    }

    fn fetch(&self, url: &str, integrity: &Integrity) -> Result<Vec<u8>> {
        let Some(cache) = &self.cache else {
            return Ok(self.client.get_bytes(url, TARBALL_LIMIT)?);
        };
        // Keyed by the URL too: a lock entry given another package's integrity must
        // still fail on its own tarball, not be served the other package's.
        let key = format!("{url}\n{integrity}");
        let alias = cache.root().join("npm").join(Sha256::of(key.as_bytes()).hex());
        let cached = std::fs::read_to_string(&alias)
            .ok()
            .and_then(|hex| Sha256::parse_oci(&format!("sha256:{}", hex.trim())).ok())
            .and_then(|digest| cache.read(&digest).ok())
            .filter(|bytes| integrity.of(bytes) == *integrity);
        if let Some(bytes) = cached {
            debug!(url, "tarball from the cache");
            return Ok(bytes);
        }
        let bytes = self.client.get_bytes(url, TARBALL_LIMIT)?;
        if integrity.of(&bytes) == *integrity {
            let digest = Sha256::of(&bytes);
            cache.put_bytes(digest, &bytes)?;
            write_atomically(&alias, digest.hex().as_bytes())?;
        }
        Ok(bytes)
    }
}

/// Writes `path` through a temporary file beside it, so that a reader never sees half.
fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    let failed = |source| Error::CacheWrite {
        path: path.to_owned(),
        source,
    };
    let dir = path.parent().unwrap_or(path);
    std::fs::create_dir_all(dir).map_err(failed)?;
    let temporary = dir.join(format!(".{}.{}", std::process::id(), Sha256::of(bytes).hex()));
    std::fs::write(&temporary, bytes).map_err(failed)?;
    std::fs::rename(&temporary, path).map_err(failed)
}

/// The packages of `lock` to install, after the dev, platform and script rules.
fn selected<'a>(lock: &'a PackageLock, options: &NodeOptions) -> Result<Vec<&'a LockPackage>> {
    let mut out = Vec::new();
    for package in &lock.packages {
        if package.dev || package.in_bundle {
            continue;
        }
        let fits = platform_allows(&package.os, "linux")
            && platform_allows(&package.cpu, options.machine.node_name());
        if !fits {
            if package.optional {
                debug!(package = %package.name, "optional package for another platform skipped");
                continue;
            }
            return Err(Error::LockEntry {
                path: package.path.clone(),
                problem: format!(
                    "`{}` {} is only for os {:?} and cpu {:?}, not linux on {}",
                    package.name,
                    package.version,
                    package.os,
                    package.cpu,
                    options.machine.node_name()
                ),
            });
        }
        if package.link {
            return Err(Error::LockEntry {
                path: package.path.clone(),
                problem: "it links to a local folder; buckle installs registry packages only".to_owned(),
            });
        }
        if package.has_install_script && !options.allow_prebuilt.contains(&package.name) {
            return Err(install_script(package));
        }
        out.push(package);
    }
    Ok(out)
}

fn install_script(package: &LockPackage) -> Error {
    Error::InstallScript {
        name: package.name.clone(),
        version: package.version.clone(),
        path: package.path.clone(),
    }
}

/// Installs `lock`: every package is fetched with `fetch(url, integrity)`, checked
/// against its integrity and unpacked. Nothing is returned unless every package succeeds.
pub fn install(
    lock: &PackageLock,
    options: &NodeOptions,
    mut fetch: impl FnMut(&str, &Integrity) -> Result<Vec<u8>>,
) -> Result<NodeInstall> {
    let packages = selected(lock, options)?;
    let mut tree = AppTree::new();
    let mut facts = Vec::new();
    for package in packages {
        let integrity_text = package.integrity.as_deref().ok_or_else(|| Error::LockEntry {
            path: package.path.clone(),
            problem: format!(
                "`{}` {} has no `integrity`; every package must be hashed",
                package.name, package.version
            ),
        })?;
        let integrity = Integrity::parse(integrity_text).ok_or_else(|| Error::LockEntry {
            path: package.path.clone(),
            problem: format!("`{integrity_text}` has no sha512 or sha1 digest"),
        })?;
        let url = tarball_url(package, &options.registry)?;
        let bytes = fetch(&url, &integrity)?;
        let actual = integrity.of(&bytes);
        if actual != integrity {
            return Err(Error::IntegrityMismatch {
                name: package.name.clone(),
                version: package.version.clone(),
                expected: integrity.to_string(),
                actual: actual.to_string(),
            });
        }
        let (files, license) = unpack_tarball(package, &bytes, options)?;
        tree.merge(files)?;
        facts.push(AppPackage {
            ecosystem: Ecosystem::Npm,
            name: package.name.clone(),
            version: package.version.clone(),
            sha256: Sha256::of(&bytes),
            integrity: Some(integrity.to_string()),
            license: package.license.clone().or(license),
            license_classifiers: Vec::new(),
            download_url: url.clone(),
            file_name: url.rsplit('/').next().unwrap_or(&url).to_owned(),
        });
    }
    link_bins(&mut tree, lock, &facts, options)?;
    info!(packages = facts.len(), "node packages installed");
    Ok(NodeInstall {
        tree,
        packages: facts,
    })
}

fn tarball_url(package: &LockPackage, registry: &str) -> Result<String> {
    match &package.resolved {
        Some(url) if url.starts_with("https://") || url.starts_with("http://") => Ok(url.clone()),
        Some(other) => Err(Error::LockEntry {
            path: package.path.clone(),
            problem: format!("`resolved` is `{other}`; buckle installs registry tarballs only"),
        }),
        None => {
            let base = package.name.rsplit('/').next().unwrap_or(&package.name);
            Ok(format!(
                "{}/{}/-/{base}-{}.tgz",
                registry.trim_end_matches('/'),
                package.name,
                package.version
            ))
        }
    }
}

/// Unpacks one verified tarball at its lockfile path; returns the files and the
/// `license` of its package.json.
pub fn unpack_tarball(
    package: &LockPackage,
    bytes: &[u8],
    options: &NodeOptions,
) -> Result<(AppTree, Option<String>)> {
    let bad = |problem: String| Error::BadTarball {
        name: package.name.clone(),
        version: package.version.clone(),
        problem,
    };
    let root = RelPath::new(&package.path)
        .map(|p| options.app_dir.join_rel(&p))
        .map_err(|_| {
            bad(format!(
                "the lockfile path `{}` leaves the application",
                package.path
            ))
        })?;
    let owner = format!("{} {}", package.name, package.version);
    let mut tree = AppTree::new();
    tree.add_dir(&root)?;
    let mut manifest = None;
    let tar_error = |source| Error::TarballEntry {
        name: package.name.clone(),
        version: package.version.clone(),
        source: Box::new(source),
    };
    let mut reader = Reader::new(flate2::read::GzDecoder::new(bytes));
    for item in reader.entries().map_err(tar_error)? {
        let (entry, mut content) = item.map_err(tar_error)?;
        let inner: Vec<&str> = entry.path.components().skip(1).collect();
        if inner.is_empty() {
            continue;
        }
        let inner = RelPath::new(&inner.join("/")).map_err(|e| bad(e.to_string()))?;
        let path = root.join_rel(&inner);
        match entry.kind {
            EntryKind::Directory => tree.add_dir(&path)?,
            EntryKind::File { .. } => {
                let mut data = Vec::new();
                content
                    .read_to_end(&mut data)
                    .map_err(|e| bad(format!("`{}` cannot be read: {e}", entry.path)))?;
                let mode = if entry.mode & 0o111 != 0 {
                    EXEC_MODE
                } else {
                    FILE_MODE
                };
                if inner.as_str() == "package.json" {
                    manifest = Some(data.clone());
                }
                // Tarballs may repeat a path; as with tar, the last one wins.
                tree.remove(&path);
                tree.add_file(&path, data, mode, &owner)?;
            }
            _ => {
                debug!(path = %entry.path, kind = entry.kind.name(), "link in a tarball dropped, as npm does")
            }
        }
    }
    let manifest = manifest.ok_or_else(|| bad("it has no `package.json`".to_owned()))?;
    let manifest: serde_json::Value =
        serde_json::from_slice(&manifest).map_err(|e| bad(format!("its package.json is not JSON: {e}")))?;
    let scripts = manifest.get("scripts").and_then(|s| s.as_object());
    let declares_script = scripts.is_some_and(|s| INSTALL_SCRIPTS.iter().any(|k| s.contains_key(*k)))
        || tree
            .get(&root.join_rel(&RelPath::new("binding.gyp").unwrap_or_default()))
            .is_some();
    if declares_script && !options.allow_prebuilt.contains(&package.name) {
        return Err(install_script(package));
    }
    let license = manifest
        .get("license")
        .and_then(|l| l.as_str())
        .map(str::to_owned);
    Ok((tree, license))
}

/// `node_modules/.bin/<name>` -> `../<package folder>/<path>` for every installed
/// package's `bin`, in the `node_modules` that holds the package; targets become
/// executable.
fn link_bins(
    tree: &mut AppTree,
    lock: &PackageLock,
    installed: &[AppPackage],
    options: &NodeOptions,
) -> Result<()> {
    let installed: BTreeSet<(&str, &str)> = installed
        .iter()
        .map(|p| (p.name.as_str(), p.version.as_str()))
        .collect();
    for package in &lock.packages {
        if package.bin.is_empty() || !installed.contains(&(package.name.as_str(), package.version.as_str())) {
            continue;
        }
        let Some((modules, folder)) = package.path.rsplit_once("node_modules/") else {
            continue;
        };
        for (name, target) in &package.bin {
            let bad = |problem: String| Error::LockEntry {
                path: package.path.clone(),
                problem,
            };
            let name = name.rsplit('/').next().unwrap_or(name);
            if name.is_empty() || name.starts_with('.') {
                return Err(bad(format!("the bin name `{name}` is not a file name")));
            }
            let target = RelPath::new(target)
                .map_err(|_| bad(format!("the bin target `{target}` leaves the package")))?;
            let file = RelPath::new(&format!("{}/{target}", package.path))
                .map(|p| options.app_dir.join_rel(&p))
                .map_err(|_| bad(format!("the bin target `{target}` leaves the package")))?;
            if !tree.set_mode(&file, EXEC_MODE) {
                return Err(bad(format!(
                    "the bin `{name}` points at `{target}`, which the package does not ship"
                )));
            }
            let link = RelPath::new(&format!("{modules}node_modules/.bin/{name}"))
                .map(|p| options.app_dir.join_rel(&p))
                .map_err(|_| bad(format!("the bin name `{name}` is not a file name")))?;
            tree.add_symlink(
                &link,
                &format!("../{folder}/{target}"),
                &format!("{} {}", package.name, package.version),
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
