//! dpkg metadata found in an image -> package facts (and file facts).
//!
//! Reads what dpkg and distroless-style images leave behind:
//! - `/var/lib/dpkg/status`, keeping only stanzas whose `Status` says `installed`, with
//!   file lists in `/var/lib/dpkg/info/<name>[:<arch>].md5sums` and `.list`;
//! - `/var/lib/dpkg/status.d/<name>`, one control stanza per file (no `Status` field
//!   needed), with the file list in `status.d/<name>.md5sums`;
//! - `/usr/share/doc/<name>/copyright` for licenses ([`LicenseInfo::from_copyright`]);
//! - `/etc/os-release` (or `/usr/lib/os-release`) for the distribution release.
//!
//! The image is seen through [`ImageFiles`], which the caller backs with whatever holds
//! the files: `buckle-oci`'s merged layers (implemented here, with [`needs_content`] to
//! keep only what is read in memory) or a map of paths to bytes. This module does no I/O
//! of its own.

use crate::app::AppFacts;
use crate::error::{Duplicate, Error, ReadError, Result};
use crate::license::LicenseInfo;
use crate::model::{FileFacts, OsRelease, PackageFacts, PackageKey};
use buckle_debian::relation::{Alternatives, Relations};
use buckle_debian::{deb822, BinaryPackage, PackageName};
use std::collections::{BTreeMap, BTreeSet};
use tracing::{debug, info, instrument};

mod merged;

pub use merged::{needs_content, needs_package_content, PACKAGES_CONTENT_RULES};

const STATUS: &str = "/var/lib/dpkg/status";
const STATUS_D: &str = "/var/lib/dpkg/status.d";
const INFO: &str = "/var/lib/dpkg/info";

/// A read-only view of an image's merged file system. Paths are absolute (`/etc/os-release`).
pub trait ImageFiles {
    /// The content of the regular file at `path`, following symlinks inside the image;
    /// `None` when there is no such file.
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>, ReadError>;
    /// The names (not paths) of the entries of directory `dir`; empty when it does not exist.
    fn list_dir(&self, dir: &str) -> Result<Vec<String>, ReadError>;
    /// The absolute path of every regular file in the image (symlinks and directories left out).
    fn regular_files(&self) -> Result<Vec<String>, ReadError>;
}

/// An in-memory image: absolute path -> content of each regular file. Directories are
/// implied by the paths; there are no symlinks.
impl ImageFiles for BTreeMap<String, Vec<u8>> {
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>, ReadError> {
        Ok(self.get(path).cloned())
    }

    fn list_dir(&self, dir: &str) -> Result<Vec<String>, ReadError> {
        let prefix = format!("{}/", dir.trim_end_matches('/'));
        let names: BTreeSet<String> = self
            .range(prefix.clone()..)
            .take_while(|(path, _)| path.starts_with(&prefix))
            .filter_map(|(path, _)| path.get(prefix.len()..)?.split('/').next().map(str::to_owned))
            .collect();
        Ok(names.into_iter().collect())
    }

    fn regular_files(&self) -> Result<Vec<String>, ReadError> {
        Ok(self.keys().cloned().collect())
    }
}

/// How much to gather.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Packages only.
    Packages,
    /// Packages, and every regular file with its hashes and owning packages.
    Files,
    /// Packages, and every regular file with its owning packages, without reading or
    /// hashing file contents (what vulnerability matching needs).
    Owners,
}

/// What the dpkg metadata of an image says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Installed packages, sorted by name and architecture.
    pub packages: Vec<PackageFacts>,
    /// Every regular file, sorted by path, with [`Detail::Files`].
    pub files: Option<Vec<FileFacts>>,
    /// Every regular file's path and owners, sorted by path, with [`Detail::Owners`].
    pub owners: Option<Vec<FileOwners>>,
    /// With [`Detail::Owners`] and [`Detail::Files`]: each package whose file list is in
    /// the image (`info/<name>[:<arch>].list` or `.md5sums`, `status.d/<name>.md5sums`),
    /// with the path of that list. A package missing here has no list: which of its files
    /// the image holds is not known.
    pub file_lists: Option<BTreeMap<PackageName, String>>,
    /// The image's os-release facts (all `None` when it has no os-release file).
    pub os_release: OsRelease,
    /// The application's packages, when the image is an app image.
    pub app: Option<AppFacts>,
}

/// A regular file of the image and the packages whose dpkg file lists name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileOwners {
    /// Absolute path inside the image.
    pub path: String,
    /// Its packages (usually one; none for files that no package installed).
    pub packages: Vec<PackageName>,
}

/// Gathers package facts (and with [`Detail::Files`], file facts) from an image.
#[instrument(skip_all, fields(detail = ?detail))]
pub fn collect(image: &impl ImageFiles, detail: Detail) -> Result<Found> {
    let installed = installed_packages(image)?;
    let depends = resolve_depends(&installed)?;
    let mut packages = Vec::with_capacity(installed.len());
    for record in &installed {
        let key = record.package_key();
        let license = license(image, &record.package.name)?;
        let depends = depends.get(&key).cloned().unwrap_or_default();
        debug!(package = %key, version = %record.package.version, "installed");
        packages.push(facts(&record.package, license, depends));
    }
    let (files, owners, file_lists) = match detail {
        Detail::Packages => (None, None, None),
        Detail::Files => {
            let (owners, lists) = file_owners(image, &installed)?;
            (Some(files(image, owners)?), None, Some(lists))
        }
        Detail::Owners => {
            let (owners, lists) = file_owners(image, &installed)?;
            (None, Some(owners), Some(lists))
        }
    };
    let os_release = os_release(image)?;
    let app = AppFacts::read(image)?;
    info!(
        packages = packages.len(),
        files = files.as_ref().map(Vec::len),
        "read dpkg metadata"
    );
    Ok(Found {
        packages,
        files,
        owners,
        file_lists,
        os_release,
        app,
    })
}

/// One installed package and the dpkg files that list what it installed.
struct Record {
    package: BinaryPackage,
    /// Where the stanza was read from.
    origin: String,
    /// `.md5sums` and `.list` files that may name its files.
    file_lists: Vec<String>,
    /// Paths from the stanza's `Conffiles` field.
    conffiles: Vec<String>,
}

impl Record {
    fn package_key(&self) -> PackageKey {
        PackageKey {
            name: self.package.name.clone(),
            arch: self.package.arch.clone(),
        }
    }
}

/// Every installed package, sorted by name and architecture, each once.
fn installed_packages(image: &impl ImageFiles) -> Result<Vec<Record>> {
    let mut records = Vec::new();
    if let Some(text) = read_text(image, STATUS)? {
        for (package, conffiles) in stanzas(STATUS, &text)? {
            let qualified = format!("{INFO}/{}:{}", package.name, package.arch);
            let plain = format!("{INFO}/{}", package.name);
            let file_lists = [".md5sums", ".list"]
                .iter()
                .flat_map(|ext| [format!("{qualified}{ext}"), format!("{plain}{ext}")])
                .collect();
            records.push(Record {
                package,
                origin: STATUS.to_owned(),
                file_lists,
                conffiles,
            });
        }
    }
    let mut entries = image.list_dir(STATUS_D).map_err(|source| Error::Read {
        path: STATUS_D.to_owned(),
        source,
    })?;
    entries.sort();
    for entry in entries.iter().filter(|name| !name.ends_with(".md5sums")) {
        let path = format!("{STATUS_D}/{entry}");
        let Some(text) = read_text(image, &path)? else {
            continue;
        };
        for (package, conffiles) in stanzas(&path, &text)? {
            records.push(Record {
                package,
                origin: path.clone(),
                file_lists: vec![format!("{path}.md5sums")],
                conffiles,
            });
        }
    }
    deduplicate(records)
}

/// The installed stanzas of a dpkg database file, with their `Conffiles` paths.
fn stanzas(path: &str, text: &str) -> Result<Vec<(BinaryPackage, Vec<String>)>> {
    let mut out = Vec::new();
    for paragraph in deb822::paragraphs(text) {
        let paragraph = paragraph.map_err(|source| Error::Control {
            path: path.to_owned(),
            source,
        })?;
        let installed = paragraph
            .get("Status")
            .is_none_or(|status| status.split_whitespace().nth(2) == Some("installed"));
        if !installed {
            continue;
        }
        let package = BinaryPackage::from_paragraph(&paragraph).map_err(|source| Error::Stanza {
            path: path.to_owned(),
            source,
        })?;
        let conffiles = paragraph
            .get("Conffiles")
            .unwrap_or_default()
            .lines()
            .filter_map(|line| line.split_whitespace().next())
            .map(absolute)
            .collect();
        out.push((package, conffiles));
    }
    Ok(out)
}

/// Sorts records and merges those that describe the same package at the same version
/// (an image may carry both a status file and status.d entries).
fn deduplicate(mut records: Vec<Record>) -> Result<Vec<Record>> {
    records.sort_by_key(Record::package_key);
    let mut out: Vec<Record> = Vec::with_capacity(records.len());
    for record in records {
        match out.last_mut() {
            Some(last) if last.package_key() == record.package_key() => {
                if last.package.version.as_str() != record.package.version.as_str() {
                    return Err(Error::DuplicatePackage(Box::new(Duplicate {
                        name: record.package.name.clone(),
                        arch: record.package.arch.clone(),
                        first: last.package.version.to_string(),
                        first_path: last.origin.clone(),
                        second: record.package.version.to_string(),
                        second_path: record.origin,
                    })));
                }
                last.file_lists.extend(record.file_lists);
                last.conffiles.extend(record.conffiles);
            }
            _ => out.push(record),
        }
    }
    Ok(out)
}

/// For each package, the packages of the set that satisfy its `Pre-Depends` and
/// `Depends`: per group, the first alternative that an installed package is (or, failing
/// that, provides).
fn resolve_depends(records: &[Record]) -> Result<BTreeMap<PackageKey, Vec<PackageName>>> {
    let mut real: BTreeSet<&str> = BTreeSet::new();
    let mut providers: BTreeMap<&str, BTreeSet<&PackageName>> = BTreeMap::new();
    for record in records {
        real.insert(record.package.name.as_str());
        for provided in &record.package.provides {
            providers
                .entry(provided.name.as_str())
                .or_default()
                .insert(&record.package.name);
        }
    }
    let mut out = BTreeMap::new();
    for record in records {
        let package = &record.package;
        let parse = |field: &'static str, relations: &Relations| {
            relations.parse().map_err(|source| Error::Relation {
                path: record.origin.clone(),
                package: package.name.clone(),
                field,
                source,
            })
        };
        let mut groups: Vec<Alternatives> = parse("Pre-Depends", &package.pre_depends)?;
        groups.extend(parse("Depends", &package.depends)?);
        let mut depends = BTreeSet::new();
        for group in &groups {
            let satisfied = group.iter().find_map(|relation| {
                let name = relation.name.as_str();
                if real.contains(name) {
                    return Some(vec![&relation.name]);
                }
                let provided: Vec<&PackageName> = providers
                    .get(name)?
                    .iter()
                    .copied()
                    .filter(|provider| **provider != package.name)
                    .collect();
                (!provided.is_empty()).then_some(provided)
            });
            depends.extend(
                satisfied
                    .into_iter()
                    .flatten()
                    .filter(|name| **name != package.name),
            );
        }
        out.insert(record.package_key(), depends.into_iter().cloned().collect());
    }
    Ok(out)
}

fn facts(package: &BinaryPackage, license: LicenseInfo, depends: Vec<PackageName>) -> PackageFacts {
    PackageFacts {
        name: package.name.clone(),
        version: package.version.clone(),
        arch: package.arch.clone(),
        source: package.source.clone(),
        source_version: package.source_version.clone(),
        maintainer: package.maintainer.clone(),
        homepage: package.homepage.clone(),
        deb_sha256: package.sha256,
        download_location: None,
        license,
        depends,
    }
}

fn license(image: &impl ImageFiles, name: &PackageName) -> Result<LicenseInfo> {
    let path = format!("/usr/share/doc/{name}/copyright");
    Ok(read_text(image, &path)?.map_or(LicenseInfo::NoAssertion, |text| {
        LicenseInfo::from_copyright(&text)
    }))
}

fn os_release(image: &impl ImageFiles) -> Result<OsRelease> {
    for path in ["/etc/os-release", "/usr/lib/os-release"] {
        if let Some(text) = read_text(image, path)? {
            return Ok(OsRelease::parse(&text));
        }
    }
    Ok(OsRelease::default())
}

/// Every regular file, hashed, with the packages whose file lists name it.
fn files(image: &impl ImageFiles, owners: Vec<FileOwners>) -> Result<Vec<FileFacts>> {
    owners
        .into_iter()
        .map(|FileOwners { path, packages }| {
            let content = image
                .read(&path)
                .map_err(|source| Error::Read {
                    path: path.clone(),
                    source,
                })?
                .unwrap_or_default();
            Ok(FileFacts::from_content(path, packages, &content))
        })
        .collect()
}

/// Every regular file of the image, sorted by path, with the packages that list it; and
/// the packages whose file list the image has, with its path.
fn file_owners(
    image: &impl ImageFiles,
    records: &[Record],
) -> Result<(Vec<FileOwners>, BTreeMap<PackageName, String>)> {
    let mut paths = image.regular_files().map_err(|source| Error::Read {
        path: "/".to_owned(),
        source,
    })?;
    paths.sort();
    paths.dedup();
    let existing: BTreeSet<&str> = paths.iter().map(String::as_str).collect();
    let mut owners: BTreeMap<String, BTreeSet<PackageName>> = BTreeMap::new();
    let mut lists = BTreeMap::new();
    for record in records {
        let (owned, list) = owned_paths(image, record)?;
        if let Some(list) = list {
            lists.entry(record.package.name.clone()).or_insert(list);
        }
        for listed in owned {
            if let Some(path) = in_image(&existing, &listed) {
                owners
                    .entry(path.to_owned())
                    .or_default()
                    .insert(record.package.name.clone());
            }
        }
    }
    let owners = paths
        .iter()
        .map(|path| FileOwners {
            path: path.clone(),
            packages: owners.remove(path).unwrap_or_default().into_iter().collect(),
        })
        .collect();
    Ok((owners, lists))
}

/// The path as the image has it: as listed, or under `/usr` when a merged-/usr image
/// keeps `/bin`, `/sbin` and `/lib*` as symlinks into `/usr`.
fn in_image<'a>(existing: &BTreeSet<&'a str>, listed: &str) -> Option<&'a str> {
    if let Some(path) = existing.get(listed) {
        return Some(path);
    }
    let merged = ["/bin/", "/sbin/", "/lib/", "/lib32/", "/lib64/", "/libx32/"]
        .iter()
        .any(|top| listed.starts_with(top));
    if merged {
        return existing.get(format!("/usr{listed}").as_str()).copied();
    }
    None
}

/// Paths named by a package's `.md5sums` and `.list` files and its `Conffiles`, and the
/// first of those files the image has.
fn owned_paths(image: &impl ImageFiles, record: &Record) -> Result<(Vec<String>, Option<String>)> {
    let mut out = record.conffiles.clone();
    let mut found = None;
    for list in &record.file_lists {
        let Some(text) = read_text(image, list)? else {
            continue;
        };
        found.get_or_insert_with(|| list.clone());
        if list.ends_with(".md5sums") {
            out.extend(md5sums_paths(list, &text)?);
        } else {
            out.extend(text.lines().filter(|line| !line.trim().is_empty()).map(absolute));
        }
    }
    Ok((out, found))
}

/// The paths of a `.md5sums` file: lines of `<md5 hex>  <path relative to the root>`.
fn md5sums_paths(path: &str, text: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let parsed = line.split_once(char::is_whitespace).and_then(|(hash, rest)| {
            let valid = hash.len() == 32 && hash.bytes().all(|b| b.is_ascii_hexdigit());
            let file = rest.trim_start();
            (valid && !file.is_empty()).then_some(file)
        });
        let Some(file) = parsed else {
            return Err(Error::Md5sums {
                path: path.to_owned(),
                line: index + 1,
                found: line.chars().take(80).collect(),
            });
        };
        out.push(absolute(file));
    }
    Ok(out)
}

fn absolute(path: &str) -> String {
    let trimmed = path.trim();
    let relative = trimmed
        .strip_prefix("./")
        .unwrap_or(trimmed)
        .trim_start_matches('/');
    format!("/{relative}")
}

fn read_text(image: &impl ImageFiles, path: &str) -> Result<Option<String>> {
    let bytes = image.read(path).map_err(|source| Error::Read {
        path: path.to_owned(),
        source,
    })?;
    Ok(bytes.map(|bytes| String::from_utf8_lossy(&bytes).into_owned()))
}

#[cfg(test)]
mod tests;
