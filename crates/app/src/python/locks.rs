//! Python lockfiles other than requirements files, read into [`Requirements`] for one
//! target: uv's `uv.lock`, PEP 751's `pylock.toml` and Poetry 2's `poetry.lock`.
//!
//! Each pins, for every package, one version and the sha256 of each of its files, which
//! is all a build needs. They differ in how they say what a platform installs: uv.lock
//! is a graph from the project with a marker on each edge; pylock.toml and poetry.lock
//! put a marker on each package. Development groups and extras nothing asks for are left
//! out, as `uv export --no-dev` and `poetry install --only main` do. A package that does
//! not come from a package index (git, a directory, a URL) is refused: no index file's
//! hash pins its bytes.

use super::marker;
use super::requirements::{ProjectName, Requirement, Requirements};
use super::tags::Target;
use crate::error::{Error, Result};
use buckle_digest::Sha256;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::Path;
use toml::Spanned;

/// The format of a file named by an app spec's `python.requirements`, told by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockFormat {
    /// A hashed requirements file (`pip-compile --generate-hashes`), any other name.
    Requirements,
    /// `uv.lock`.
    Uv,
    /// `pylock.toml` or `pylock.NAME.toml` (PEP 751).
    Pylock,
    /// `poetry.lock`, as Poetry 2 writes it.
    Poetry,
}

impl LockFormat {
    /// The format of the file at `path`.
    pub fn of(path: &Path) -> Self {
        match path.file_name().and_then(|n| n.to_str()) {
            Some("uv.lock") => LockFormat::Uv,
            Some("poetry.lock") => LockFormat::Poetry,
            Some(name) if name.starts_with("pylock.") && name.ends_with(".toml") => LockFormat::Pylock,
            _ => LockFormat::Requirements,
        }
    }

    fn file(self) -> &'static str {
        match self {
            LockFormat::Requirements => "requirements",
            LockFormat::Uv => "uv.lock",
            LockFormat::Pylock => "pylock.toml",
            LockFormat::Poetry => "poetry.lock",
        }
    }
}

impl Requirements {
    /// Reads the file at `path`, in the format its name says, as the requirements that
    /// `target` installs. A requirements file keeps its markers (see
    /// [`Requirements::for_target`]); a lockfile's are decided here.
    pub fn read(path: &Path, text: &str, target: &Target) -> Result<Requirements> {
        let format = LockFormat::of(path);
        let located = Located { format, text };
        match format {
            LockFormat::Requirements => Requirements::parse(text),
            LockFormat::Uv => uv(&located, target),
            LockFormat::Pylock => pylock(&located, target),
            LockFormat::Poetry => poetry(&located, target),
        }
    }
}

/// A lockfile's text, to turn spans into line numbers in errors.
struct Located<'a> {
    format: LockFormat,
    text: &'a str,
}

impl Located<'_> {
    fn line(&self, offset: usize) -> usize {
        self.text[..offset.min(self.text.len())].matches('\n').count() + 1
    }

    fn error(&self, offset: usize, problem: impl Into<String>) -> Error {
        Error::Lock {
            file: self.format.file(),
            line: self.line(offset),
            problem: problem.into(),
        }
    }

    fn parse<'de, T: Deserialize<'de>>(&self, text: &'de str) -> Result<T> {
        toml::from_str(text).map_err(|e| {
            self.error(
                e.span().map_or(0, |s| s.start),
                format!("not a {} this buckle reads: {}", self.format.file(), e.message()),
            )
        })
    }

    fn marker_holds(&self, offset: usize, name: &str, marker: &str, target: &Target) -> Result<bool> {
        marker::evaluate(marker, target).map_err(|problem| {
            self.error(
                offset,
                format!("cannot evaluate the marker of `{name}` (`{marker}`): {problem}"),
            )
        })
    }

    fn sha256(&self, offset: usize, name: &str, hash: &str) -> Result<Sha256> {
        let hex = hash.strip_prefix("sha256:").ok_or_else(|| {
            self.error(
                offset,
                format!("`{name}` has a file hashed with `{hash}`, not sha256"),
            )
        })?;
        Sha256::parse_oci(&format!("sha256:{hex}"))
            .map_err(|_| self.error(offset, format!("`{name}` has a malformed sha256 `{hash}`")))
    }

    /// The one index every package comes from, when they name one.
    fn one_index(&self, indexes: Vec<(&str, usize)>) -> Result<Option<String>> {
        let mut distinct: BTreeMap<&str, usize> = BTreeMap::new();
        for (url, offset) in indexes {
            distinct.entry(url.trim_end_matches('/')).or_insert(offset);
        }
        let mut distinct = distinct.into_iter();
        let first = distinct.next();
        if let (Some((first, _)), Some((second, offset))) = (first, distinct.next()) {
            return Err(self.error(
                offset,
                format!("packages come from two indexes, `{first}` and `{second}`; buckle installs from one"),
            ));
        }
        Ok(first.map(|(url, _)| url.to_owned()))
    }
}

fn pinned(
    located: &Located<'_>,
    offset: usize,
    name: &str,
    version: Option<&str>,
    hashes: Vec<Sha256>,
) -> Result<Requirement> {
    let version = version.ok_or_else(|| located.error(offset, format!("`{name}` has no version")))?;
    if hashes.is_empty() {
        return Err(located.error(
            offset,
            format!("`{name}` {version} has no sha256 hash for any of its files"),
        ));
    }
    Ok(Requirement {
        name: ProjectName::new(name),
        version: version.to_owned(),
        hashes,
        marker: None,
        line: located.line(offset),
    })
}

fn sorted(mut requirements: Vec<Requirement>, index_url: Option<String>) -> Requirements {
    requirements.sort_by(|a, b| a.name.cmp(&b.name));
    Requirements {
        requirements,
        index_url,
    }
}

#[derive(Deserialize)]
struct UvLock {
    #[serde(default)]
    package: Vec<UvPackage>,
}

#[derive(Deserialize)]
struct UvPackage {
    name: Spanned<String>,
    version: Option<String>,
    #[serde(default)]
    source: BTreeMap<String, toml::Value>,
    #[serde(default)]
    dependencies: Vec<UvDependency>,
    #[serde(default, rename = "optional-dependencies")]
    optional_dependencies: BTreeMap<String, Vec<UvDependency>>,
    sdist: Option<UvFile>,
    #[serde(default)]
    wheels: Vec<UvFile>,
}

#[derive(Deserialize)]
struct UvDependency {
    name: String,
    version: Option<String>,
    marker: Option<String>,
    #[serde(default)]
    extra: Vec<String>,
}

#[derive(Deserialize)]
struct UvFile {
    hash: Option<String>,
}

impl UvPackage {
    fn is_project(&self) -> bool {
        ["editable", "virtual"]
            .iter()
            .any(|kind| self.source.get(*kind).and_then(toml::Value::as_str) == Some("."))
    }
}

/// Walks uv.lock's graph from the project at `.`, following the edges whose markers
/// hold for `target` and the extras they ask for.
fn uv(located: &Located<'_>, target: &Target) -> Result<Requirements> {
    let lock: UvLock = located.parse(located.text)?;
    let packages = &lock.package;
    let root = packages.iter().position(UvPackage::is_project).ok_or_else(|| {
        located.error(
            0,
            "no package of the lock is the project at `.` (source `editable` or `virtual` \".\")",
        )
    })?;
    let find = |from: &UvPackage, dependency: &UvDependency| -> Result<usize> {
        let wanted = ProjectName::new(&dependency.name);
        let matches: Vec<usize> = (0..packages.len())
            .filter(|&i| ProjectName::new(packages[i].name.get_ref()) == wanted)
            .filter(|&i| dependency.version.is_none() || packages[i].version == dependency.version)
            .collect();
        match matches[..] {
            [one] => Ok(one),
            [] => Err(located.error(
                from.name.span().start,
                format!(
                    "`{}` depends on `{}`, which the lock does not hold",
                    from.name.get_ref(),
                    dependency.name
                ),
            )),
            _ => Err(located.error(
                from.name.span().start,
                format!(
                    "`{}` depends on `{}`, which the lock holds at several versions",
                    from.name.get_ref(),
                    dependency.name
                ),
            )),
        }
    };
    let mut reached = BTreeSet::new();
    let mut seen = BTreeSet::from([(root, None)]);
    let mut queue = VecDeque::from([(root, None::<String>)]);
    while let Some((index, extra)) = queue.pop_front() {
        let package = &packages[index];
        let edges = match &extra {
            None => Some(&package.dependencies),
            Some(extra) => package.optional_dependencies.get(extra),
        };
        for dependency in edges.into_iter().flatten() {
            if let Some(marker) = &dependency.marker {
                if !located.marker_holds(package.name.span().start, &dependency.name, marker, target)? {
                    continue;
                }
            }
            let next = find(package, dependency)?;
            reached.insert(next);
            let extras = std::iter::once(None).chain(dependency.extra.iter().cloned().map(Some));
            for extra in extras {
                if seen.insert((next, extra.clone())) {
                    queue.push_back((next, extra));
                }
            }
        }
    }
    let mut indexes = Vec::new();
    let mut out = Vec::new();
    for index in reached {
        let package = &packages[index];
        let (name, offset) = (package.name.get_ref(), package.name.span().start);
        let Some(registry) = package.source.get("registry").and_then(toml::Value::as_str) else {
            let kind = package.source.keys().next().map_or("no", String::as_str);
            return Err(located.error(
                offset,
                format!("`{name}` comes from a {kind} source, not a package index; publish it as a wheel to your index"),
            ));
        };
        indexes.push((registry, offset));
        let hashes = package
            .wheels
            .iter()
            .chain(&package.sdist)
            .filter_map(|f| f.hash.as_deref())
            .map(|h| located.sha256(offset, name, h))
            .collect::<Result<Vec<_>>>()?;
        out.push(pinned(located, offset, name, package.version.as_deref(), hashes)?);
    }
    Ok(sorted(out, located.one_index(indexes)?))
}

#[derive(Deserialize)]
struct Pylock {
    #[serde(rename = "lock-version")]
    lock_version: Spanned<String>,
    #[serde(default)]
    packages: Vec<PylockPackage>,
}

#[derive(Deserialize)]
struct PylockPackage {
    name: Spanned<String>,
    version: Option<String>,
    marker: Option<String>,
    index: Option<String>,
    vcs: Option<toml::Value>,
    directory: Option<toml::Value>,
    archive: Option<toml::Value>,
    sdist: Option<PylockFile>,
    #[serde(default)]
    wheels: Vec<PylockFile>,
}

#[derive(Deserialize)]
struct PylockFile {
    #[serde(default)]
    hashes: BTreeMap<String, String>,
}

fn pylock(located: &Located<'_>, target: &Target) -> Result<Requirements> {
    let lock: Pylock = located.parse(located.text)?;
    if !lock.lock_version.get_ref().starts_with("1.") {
        return Err(located.error(
            lock.lock_version.span().start,
            format!(
                "lock-version {} is not one this buckle reads (1.x)",
                lock.lock_version.get_ref()
            ),
        ));
    }
    let mut indexes = Vec::new();
    let mut out = Vec::new();
    for package in &lock.packages {
        let (name, offset) = (package.name.get_ref(), package.name.span().start);
        if let Some(marker) = &package.marker {
            if !located.marker_holds(offset, name, marker, target)? {
                continue;
            }
        }
        let other = [
            ("vcs", &package.vcs),
            ("directory", &package.directory),
            ("archive", &package.archive),
        ];
        if let Some((kind, _)) = other.iter().find(|(_, source)| source.is_some()) {
            return Err(located.error(
                offset,
                format!(
                    "`{name}` comes from a {kind}, not a package index; publish it as a wheel to your index"
                ),
            ));
        }
        if let Some(index) = &package.index {
            indexes.push((index.as_str(), offset));
        }
        let hashes = package
            .wheels
            .iter()
            .chain(&package.sdist)
            .map(|file| {
                let hex = file.hashes.get("sha256").ok_or_else(|| {
                    located.error(offset, format!("`{name}` has a file without a sha256 hash"))
                })?;
                located.sha256(offset, name, &format!("sha256:{hex}"))
            })
            .collect::<Result<Vec<_>>>()?;
        out.push(pinned(located, offset, name, package.version.as_deref(), hashes)?);
    }
    Ok(sorted(out, located.one_index(indexes)?))
}

#[derive(Deserialize)]
struct PoetryLock {
    #[serde(default)]
    package: Vec<PoetryPackage>,
    metadata: PoetryMetadata,
}

#[derive(Deserialize)]
struct PoetryMetadata {
    #[serde(rename = "lock-version")]
    lock_version: Spanned<String>,
}

#[derive(Deserialize)]
struct PoetryPackage {
    name: Spanned<String>,
    version: String,
    #[serde(default)]
    optional: bool,
    groups: Option<Vec<String>>,
    markers: Option<PoetryMarkers>,
    #[serde(default)]
    files: Vec<PoetryFile>,
    source: Option<PoetrySource>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum PoetryMarkers {
    All(String),
    ByGroup(BTreeMap<String, String>),
}

#[derive(Deserialize)]
struct PoetryFile {
    hash: String,
}

#[derive(Deserialize)]
struct PoetrySource {
    #[serde(rename = "type")]
    kind: String,
    url: Option<String>,
}

/// The packages of Poetry's `main` group whose markers hold; extras (`optional`) are
/// left out. Poetry 2 (lock-version 2.1) writes each package's groups and markers;
/// older locks do not, and are refused.
fn poetry(located: &Located<'_>, target: &Target) -> Result<Requirements> {
    let lock: PoetryLock = located.parse(located.text)?;
    let version = &lock.metadata.lock_version;
    let newer_than_2_0 = version
        .get_ref()
        .split_once('.')
        .and_then(|(major, minor)| Some((major.parse::<u32>().ok()?, minor.parse::<u32>().ok()?)))
        .is_some_and(|v| v >= (2, 1));
    if !newer_than_2_0 {
        return Err(located.error(
            version.span().start,
            format!(
                "lock-version {} does not say which group each package is in (Poetry 2 writes 2.1); run `poetry lock` with Poetry 2, or export a hashed requirements file with `poetry export -o requirements.txt` and name that",
                version.get_ref()
            ),
        ));
    }
    let mut indexes = Vec::new();
    let mut out = Vec::new();
    for package in &lock.package {
        let (name, offset) = (package.name.get_ref(), package.name.span().start);
        let in_main = package
            .groups
            .as_ref()
            .is_some_and(|g| g.iter().any(|g| g == "main"));
        if !in_main || package.optional {
            continue;
        }
        let marker = match &package.markers {
            None => None,
            Some(PoetryMarkers::All(marker)) => Some(marker),
            Some(PoetryMarkers::ByGroup(by_group)) => by_group.get("main"),
        };
        if let Some(marker) = marker {
            if !located.marker_holds(offset, name, marker, target)? {
                continue;
            }
        }
        match &package.source {
            None => {}
            Some(PoetrySource { kind, url: Some(url) }) if kind == "legacy" => {
                indexes.push((url.as_str(), offset));
            }
            Some(PoetrySource { kind, .. }) => {
                return Err(located.error(
                    offset,
                    format!("`{name}` comes from a {kind} source, not a package index; publish it as a wheel to your index"),
                ))
            }
        }
        let hashes = package
            .files
            .iter()
            .map(|f| located.sha256(offset, name, &f.hash))
            .collect::<Result<Vec<_>>>()?;
        out.push(pinned(located, offset, name, Some(&package.version), hashes)?);
    }
    Ok(sorted(out, located.one_index(indexes)?))
}

#[cfg(test)]
mod tests;
