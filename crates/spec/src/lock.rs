//! The lockfile: every package of every image, pinned by version, pool path and
//! SHA-256, with the archive state it was resolved against. Never a mirror URL: locks
//! are committed, and the pool path and suite identify each file on any mirror.

use crate::error::{Error, Result};
use crate::input::Input;
use crate::model::{Spec, Variant};
use base64::Engine as _;
use buckle_debian::{Arch, PackageName, Version};
use buckle_debian::{Component, PoolPath, Suite};
use buckle_digest::Sha256;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use toml::Spanned;

/// The lockfile format version this crate reads and writes.
pub const LOCK_VERSION: u32 = 1;

/// A lockfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lock {
    /// SHA-256 of the spec text the lock was made from.
    pub spec_sha256: Sha256,
    /// The time images built from this lock carry (seconds since 1970): the newest
    /// Release date when the package set last changed, so a relock that changes no
    /// package keeps it and rebuilt images keep their digests.
    pub source_date_epoch: u64,
    /// The state of each suite the lock was resolved against, sorted by suite.
    pub archive: Vec<SuiteState>,
    /// The packages of each image, by architecture and variant, sorted by name.
    pub images: BTreeMap<Arch, BTreeMap<Variant, Vec<LockedPackage>>>,
    /// The spec's `[[upstream]]` artifacts, one per architecture, sorted by name
    /// and architecture; both variants of an architecture carry them.
    pub upstream: Vec<LockedUpstream>,
}

/// One pinned upstream artifact for one architecture.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LockedUpstream {
    /// The spec's `upstream.name`.
    pub name: String,
    /// The architecture it is for.
    pub architecture: Arch,
    /// The exact version.
    pub version: String,
    /// The npm package it is, for npm artifacts (its tarball URL is derived from the
    /// configured registry, so the lock names no host).
    pub npm: Option<String>,
    /// The URL it was downloaded from, for URL artifacts (the spec names it).
    pub url: Option<String>,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the archive.
    pub sha256: Sha256,
    /// For npm artifacts: the registry's `dist.integrity` (`sha512-<base64>`),
    /// checked on every download.
    pub integrity: Option<String>,
}

impl LockedUpstream {
    /// The SHA-512 of an npm artifact's `integrity`, in hex.
    pub fn sha512_hex(&self) -> Option<String> {
        let b64 = self.integrity.as_deref()?.strip_prefix("sha512-")?;
        let bytes = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
        Some(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// The package URL (purl) naming it: `pkg:npm/<name>@<version>` for npm
    /// artifacts, `pkg:generic/<name>@<version>?download_url=<url>` for the others.
    pub fn purl(&self) -> String {
        match (&self.npm, &self.url) {
            (Some(npm), _) => format!("pkg:npm/{}@{}", npm.replace('@', "%40"), self.version),
            (None, Some(url)) => format!(
                "pkg:generic/{}@{}?download_url={}",
                self.name,
                self.version,
                percent_encode(url)
            ),
            (None, None) => format!("pkg:generic/{}@{}", self.name, self.version),
        }
    }
}

/// Percent-encodes what a purl qualifier value may not hold.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/:".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// One suite's Release as it was when the lock was made.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SuiteState {
    /// The suite as configured, e.g. `trixie-security`.
    pub suite: Suite,
    /// Release's `Codename:`.
    pub codename: Suite,
    /// Release's `Date:`, verbatim (RFC 2822).
    pub date: String,
    /// SHA-256 of the InRelease file.
    pub inrelease_sha256: Sha256,
    /// The Packages indexes the packages were resolved from, as Release listed them,
    /// sorted by path. Empty in locks written before buckle recorded them.
    #[serde(default)]
    pub indexes: Vec<IndexFile>,
}

/// One Packages index file of a suite, as its Release lists it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct IndexFile {
    /// Where it is below `dists/<suite>/`, e.g. `main/binary-amd64/Packages.xz`.
    pub path: IndexPath,
    /// Its size in bytes.
    pub size: u64,
    /// Its SHA-256.
    pub sha256: Sha256,
}

/// The path of a Packages index below `dists/<suite>/`:
/// `<component>/binary-<arch>/Packages`, optionally compressed (`.xz`, `.gz`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub struct IndexPath {
    path: String,
    component: Component,
    arch: Arch,
}

impl IndexPath {
    /// The path text.
    pub fn as_str(&self) -> &str {
        &self.path
    }

    /// The archive component (`main`).
    pub fn component(&self) -> &Component {
        &self.component
    }

    /// The architecture the index is for (`all` for `binary-all`).
    pub fn arch(&self) -> &Arch {
        &self.arch
    }
}

impl std::str::FromStr for IndexPath {
    type Err = String;

    fn from_str(path: &str) -> std::result::Result<IndexPath, String> {
        let bad = || format!("`{path}` is not `<component>/binary-<arch>/Packages[.xz|.gz]`");
        let [component, dir, file] = path.split('/').collect::<Vec<_>>()[..] else {
            return Err(bad());
        };
        if !matches!(file, "Packages" | "Packages.xz" | "Packages.gz") {
            return Err(bad());
        }
        let arch = dir.strip_prefix("binary-").ok_or_else(bad)?;
        Ok(IndexPath {
            path: path.to_owned(),
            component: component
                .parse()
                .map_err(|e: buckle_debian::NameError| e.to_string())?,
            arch: arch.parse().map_err(|e: buckle_debian::Error| e.to_string())?,
        })
    }
}

impl TryFrom<String> for IndexPath {
    type Error = String;

    fn try_from(path: String) -> std::result::Result<IndexPath, String> {
        path.parse()
    }
}

impl std::fmt::Display for IndexPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.path)
    }
}

/// One pinned `.deb`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LockedPackage {
    /// Binary package name.
    pub name: PackageName,
    /// Exact version.
    pub version: Version,
    /// Its architecture (`all` for architecture-independent packages).
    pub architecture: Arch,
    /// Source package name.
    pub source: PackageName,
    /// Source package version.
    pub source_version: Version,
    /// The suite it was found in.
    pub suite: Suite,
    /// `Filename:` from the Packages index.
    pub path: PoolPath,
    /// Size of the `.deb` in bytes.
    pub size: u64,
    /// SHA-256 of the `.deb`.
    pub sha256: Sha256,
}

#[derive(Deserialize)]
struct Header {
    version: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawLock {
    #[serde(rename = "version")]
    _version: i64,
    spec_sha256: Sha256,
    source_date_epoch: u64,
    #[serde(default)]
    archive: Vec<Spanned<SuiteState>>,
    #[serde(default)]
    images: BTreeMap<String, Spanned<RawImages>>,
    #[serde(default)]
    upstream: Vec<Spanned<LockedUpstream>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawImages {
    runtime: Option<Vec<Spanned<LockedPackage>>>,
    dev: Option<Vec<Spanned<LockedPackage>>>,
}

impl Lock {
    /// Puts the suites and upstream artifacts in the order the file keeps them, so that
    /// a lock made afresh equals the same lock read back.
    pub fn sort(&mut self) {
        self.archive.sort_by(|a, b| a.suite.cmp(&b.suite));
        self.upstream
            .sort_by(|a, b| upstream_key(a).cmp(&upstream_key(b)));
    }

    /// The packages of one image; empty when the lock has no such image.
    pub fn packages(&self, arch: &Arch, variant: Variant) -> &[LockedPackage] {
        self.images
            .get(arch)
            .and_then(|v| v.get(&variant))
            .map_or(&[], Vec::as_slice)
    }

    /// The upstream artifacts of the images for `arch`.
    pub fn upstream_for<'a>(&'a self, arch: &'a Arch) -> impl Iterator<Item = &'a LockedUpstream> + 'a {
        self.upstream.iter().filter(move |u| &u.architecture == arch)
    }

    /// Fails with [`Error::StaleLock`] when the lock was made from another spec text.
    pub fn check_fresh(&self, spec: &Spec) -> Result<()> {
        if self.spec_sha256 == spec.sha256() {
            Ok(())
        } else {
            Err(Error::StaleLock {
                locked: self.spec_sha256,
                current: spec.sha256(),
            })
        }
    }

    /// Parses and checks a lockfile. `file` is only used in error messages.
    pub fn parse(text: &str, file: impl AsRef<Path>) -> Result<Lock> {
        let input = Input::new(text, file.as_ref());
        check_version(&input)?;
        let raw: RawLock = input.deserialize()?;
        let archive = unique_suites(&input, raw.archive)?;
        let mut images = BTreeMap::new();
        for (arch, variants) in raw.images {
            let span = variants.span();
            let arch: Arch = arch
                .parse()
                .map_err(|e: buckle_debian::Error| input.invalid(&span, "images", e.to_string(), None))?;
            let RawImages { runtime, dev } = variants.into_inner();
            let mut by_variant = BTreeMap::new();
            for (variant, packages) in [(Variant::Runtime, runtime), (Variant::Dev, dev)] {
                if let Some(packages) = packages {
                    by_variant.insert(variant, unique_packages(&input, packages)?);
                }
            }
            images.insert(arch, by_variant);
        }
        let upstream = unique_upstream(&input, raw.upstream)?;
        Ok(Lock {
            spec_sha256: raw.spec_sha256,
            source_date_epoch: raw.source_date_epoch,
            archive,
            images,
            upstream,
        })
    }

    /// The lockfile text. The same lock always gives the same bytes: suites and
    /// packages are written sorted, whatever order the fields hold them in.
    pub fn to_toml(&self) -> String {
        let mut out = String::new();
        self.write_toml(&mut out)
            .expect("writing to a String cannot fail");
        out
    }

    fn write_toml(&self, out: &mut String) -> std::fmt::Result {
        writeln!(out, "# Written by `buckle lock`. Edit the spec and run `buckle lock` again instead of editing this file.")?;
        writeln!(out, "version = {LOCK_VERSION}")?;
        writeln!(out, "spec-sha256 = {}", quoted(&self.spec_sha256.hex()))?;
        writeln!(out, "source-date-epoch = {}", self.source_date_epoch)?;
        if !self.upstream.is_empty() {
            let mut upstream: Vec<&LockedUpstream> = self.upstream.iter().collect();
            upstream.sort_by(|a, b| upstream_key(a).cmp(&upstream_key(b)));
            writeln!(out, "upstream = [")?;
            for u in upstream {
                writeln!(out, "  {},", upstream_table(u))?;
            }
            writeln!(out, "]")?;
        }
        let mut archive: Vec<&SuiteState> = self.archive.iter().collect();
        archive.sort_by(|a, b| a.suite.cmp(&b.suite));
        for s in archive {
            writeln!(out, "\n[[archive]]")?;
            writeln!(out, "suite = {}", quoted(s.suite.as_str()))?;
            writeln!(out, "codename = {}", quoted(s.codename.as_str()))?;
            writeln!(out, "date = {}", quoted(&s.date))?;
            writeln!(out, "inrelease-sha256 = {}", quoted(&s.inrelease_sha256.hex()))?;
            if !s.indexes.is_empty() {
                let mut indexes: Vec<&IndexFile> = s.indexes.iter().collect();
                indexes.sort_by(|a, b| a.path.cmp(&b.path));
                writeln!(out, "indexes = [")?;
                for index in indexes {
                    writeln!(
                        out,
                        "  {{ path = {}, size = {}, sha256 = {} }},",
                        quoted(index.path.as_str()),
                        index.size,
                        quoted(&index.sha256.hex())
                    )?;
                }
                writeln!(out, "]")?;
            }
        }
        for (arch, variants) in &self.images {
            writeln!(out, "\n[images.{arch}]")?;
            for (variant, packages) in variants {
                writeln!(out, "{variant} = [")?;
                let mut packages: Vec<&LockedPackage> = packages.iter().collect();
                packages.sort_by(|a, b| package_key(a).cmp(&package_key(b)));
                for p in packages {
                    writeln!(out, "  {},", inline_table(p))?;
                }
                writeln!(out, "]")?;
            }
        }
        Ok(())
    }
}

fn check_version(input: &Input<'_>) -> Result<()> {
    let header: Header = input.deserialize()?;
    match header.version {
        Some(v) if *v.get_ref() == i64::from(LOCK_VERSION) => Ok(()),
        Some(v) => Err(input.invalid(
            &v.span(),
            "version",
            format!(
                "lock format version {} is not supported: expected {LOCK_VERSION}",
                v.get_ref()
            ),
            Some("this lock was written by another buckle release; run `buckle lock` to rewrite it".into()),
        )),
        None => Err(input.invalid(&(0..0), "version", "the lock has no `version`", None)),
    }
}

fn unique_suites(input: &Input<'_>, raw: Vec<Spanned<SuiteState>>) -> Result<Vec<SuiteState>> {
    let mut seen: BTreeMap<Suite, usize> = BTreeMap::new();
    let mut out = Vec::with_capacity(raw.len());
    for state in raw {
        let span = state.span();
        let mut state = state.into_inner();
        if let Some(&first) = seen.get(&state.suite) {
            let value = Spanned::new(span, state.suite.to_string());
            return Err(input.duplicate("archive.suite", &value, &(first..first)));
        }
        seen.insert(state.suite.clone(), span.start);
        state.indexes.sort_by(|a, b| a.path.cmp(&b.path));
        out.push(state);
    }
    out.sort_by(|a, b| a.suite.cmp(&b.suite));
    Ok(out)
}

fn unique_packages(input: &Input<'_>, raw: Vec<Spanned<LockedPackage>>) -> Result<Vec<LockedPackage>> {
    let mut seen: BTreeMap<(PackageName, Arch), usize> = BTreeMap::new();
    let mut out = Vec::with_capacity(raw.len());
    for package in raw {
        let span = package.span();
        let package = package.into_inner();
        let key = (package.name.clone(), package.architecture.clone());
        if let Some(&first) = seen.get(&key) {
            let value = Spanned::new(span, format!("{}:{}", key.0, key.1));
            return Err(input.duplicate("images", &value, &(first..first)));
        }
        seen.insert(key, span.start);
        out.push(package);
    }
    out.sort_by(|a, b| package_key(a).cmp(&package_key(b)));
    Ok(out)
}

fn unique_upstream(input: &Input<'_>, raw: Vec<Spanned<LockedUpstream>>) -> Result<Vec<LockedUpstream>> {
    let mut seen: BTreeMap<(String, Arch), usize> = BTreeMap::new();
    let mut out = Vec::with_capacity(raw.len());
    for entry in raw {
        let span = entry.span();
        let entry = entry.into_inner();
        if entry.npm.is_some() == entry.url.is_some() {
            return Err(input.invalid(
                &span,
                "upstream",
                format!("`{}` must have exactly one of `npm` and `url`", entry.name),
                Some("run `buckle lock` to rewrite the lock".into()),
            ));
        }
        let key = (entry.name.clone(), entry.architecture.clone());
        if let Some(&first) = seen.get(&key) {
            let value = Spanned::new(span, format!("{}:{}", key.0, key.1));
            return Err(input.duplicate("upstream", &value, &(first..first)));
        }
        seen.insert(key, span.start);
        out.push(entry);
    }
    out.sort_by(|a, b| upstream_key(a).cmp(&upstream_key(b)));
    Ok(out)
}

fn upstream_key(u: &LockedUpstream) -> (&str, &Arch) {
    (&u.name, &u.architecture)
}

fn upstream_table(u: &LockedUpstream) -> String {
    let mut fields = vec![
        format!("name = {}", quoted(&u.name)),
        format!("architecture = {}", quoted(u.architecture.as_str())),
        format!("version = {}", quoted(&u.version)),
    ];
    if let Some(npm) = &u.npm {
        fields.push(format!("npm = {}", quoted(npm)));
    }
    if let Some(url) = &u.url {
        fields.push(format!("url = {}", quoted(url)));
    }
    fields.push(format!("size = {}", u.size));
    fields.push(format!("sha256 = {}", quoted(&u.sha256.hex())));
    if let Some(integrity) = &u.integrity {
        fields.push(format!("integrity = {}", quoted(integrity)));
    }
    format!("{{ {} }}", fields.join(", "))
}

fn package_key(p: &LockedPackage) -> (&PackageName, &Arch) {
    (&p.name, &p.architecture)
}

fn inline_table(p: &LockedPackage) -> String {
    format!(
        "{{ name = {}, version = {}, architecture = {}, source = {}, source-version = {}, suite = {}, path = {}, size = {}, sha256 = {} }}",
        quoted(p.name.as_str()),
        quoted(p.version.as_str()),
        quoted(p.architecture.as_str()),
        quoted(p.source.as_str()),
        quoted(p.source_version.as_str()),
        quoted(p.suite.as_str()),
        quoted(p.path.as_str()),
        p.size,
        quoted(&p.sha256.hex()),
    )
}

/// A TOML basic string.
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
pub(crate) mod tests;
