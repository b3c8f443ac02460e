//! The fetch arrow for Python: project pages of a PEP 691 JSON simple index -> the
//! wheel chosen for the target -> bytes whose sha256 the requirements file allows.
//!
//! Downloads stream into the content-addressed cache of `buckle-archive`, keyed by the
//! sha256 the requirements file allows: the content is hashed while written and
//! becomes an entry only if it matches, and every read hashes it again.

use super::install::{install_wheel, InstallOptions, WheelFile};
use super::requirements::{ProjectName, Requirement, Requirements};
use super::tags::{Target, WheelName};
use crate::error::{Error, Result};
use crate::package::AppPackage;
use crate::tree::AppTree;
use buckle_archive::Cache;
use buckle_digest::Sha256;
use buckle_http::{Client, NoReporter, Request};
use serde::Deserialize;
use std::collections::BTreeMap;
use tracing::{debug, info};

/// The media type of PEP 691 project pages.
const SIMPLE_JSON: &str = "application/vnd.pypi.simple.v1+json";
/// Largest project page read (the biggest projects list tens of thousands of files).
const PAGE_LIMIT: u64 = 256 << 20;
/// Largest file downloaded when the index does not give its size (PEP 700 `size`):
/// a server sending without end is cut off here.
const FILE_LIMIT: u64 = 4 << 30;

/// One file of a project page.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct IndexFile {
    /// The file name.
    pub filename: String,
    /// Its URL, absolute or relative to the page.
    pub url: String,
    /// Digests the index declares, by algorithm name.
    #[serde(default)]
    pub hashes: BTreeMap<String, String>,
    /// Its size in bytes (PEP 700), when the index gives it.
    #[serde(default)]
    pub size: Option<u64>,
}

#[derive(Deserialize)]
struct ProjectPage {
    files: Vec<IndexFile>,
}

/// A Python package index speaking the PEP 691 JSON simple API.
#[derive(Debug, Clone)]
pub struct Index {
    client: Client,
    url: String,
    cache: Cache,
}

/// What installing a requirements file produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PythonInstall {
    /// Every installed file.
    pub tree: AppTree,
    /// The installed packages, in requirements-file order.
    pub packages: Vec<AppPackage>,
}

impl Index {
    /// The index at `url` (`.../simple`), downloading into `cache`.
    pub fn new(client: Client, url: &str, cache: Cache) -> Self {
        Index {
            client,
            url: url.trim_end_matches('/').to_owned(),
            cache,
        }
    }

    /// The index URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The URL of a project's page.
    fn page_url(&self, name: &ProjectName) -> String {
        format!("{}/{}/", self.url, name)
    }

    /// The files the index lists for `name`, with absolute URLs.
    pub fn files(&self, name: &ProjectName) -> Result<Vec<IndexFile>> {
        let url = self.page_url(name);
        let request = Request::get(url.clone()).header("Accept", SIMPLE_JSON);
        let response = self.client.send(&request, &NoReporter)?;
        if response.status() == 404 {
            return Err(Error::ProjectNotFound {
                name: name.clone(),
                index: self.url.clone(),
            });
        }
        if !response.is_success() {
            return Err(Error::IndexStatus {
                url,
                status: response.status(),
            });
        }
        let bytes = response.into_bytes(PAGE_LIMIT)?;
        let page: ProjectPage = serde_json::from_slice(&bytes).map_err(|source| Error::IndexPage {
            url: url.clone(),
            source,
        })?;
        Ok(page
            .files
            .into_iter()
            .map(|mut file| {
                file.url = absolute_url(&url, &file.url);
                file
            })
            .collect())
    }

    /// Downloads `file` (or reads it from the cache) and checks it against the
    /// requirement's hashes; returns its bytes and digest.
    pub fn download(&self, requirement: &Requirement, file: &IndexFile) -> Result<(Vec<u8>, Sha256)> {
        let mismatch = |actual: Sha256| Error::HashMismatch {
            name: requirement.name.clone(),
            file_name: file.filename.clone(),
            expected: requirement.hashes.clone(),
            actual,
        };
        let declared = match file.hashes.get("sha256") {
            Some(hex) => Some(
                Sha256::parse_oci(&format!("sha256:{hex}")).map_err(|_| Error::IndexHash {
                    file_name: file.filename.clone(),
                    value: hex.clone(),
                })?,
            ),
            None => None,
        };
        if let Some(declared) = declared {
            if !requirement.hashes.contains(&declared) {
                return Err(mismatch(declared));
            }
            if !self.cache.contains(&declared) {
                debug!(file = %file.filename, "download");
                let stored = match file.size {
                    Some(size) => {
                        let mut writer = self.cache.writer(declared, Some(size))?;
                        self.client.get_to_writer(&file.url, &mut writer)?;
                        writer.commit()
                    }
                    None => {
                        let bytes = self.client.get_bytes(&file.url, FILE_LIMIT)?;
                        self.cache.put_bytes(declared, &bytes)
                    }
                };
                match stored {
                    Err(buckle_archive::Error::CacheMismatch { actual, .. }) => return Err(mismatch(actual)),
                    other => other?,
                };
            }
            return Ok((self.cache.read(&declared)?, declared));
        }
        // The index declares no sha256: download, then judge the bytes themselves.
        let bytes = self
            .client
            .get_bytes(&file.url, file.size.unwrap_or(FILE_LIMIT))?;
        let actual = Sha256::of(&bytes);
        if !requirement.hashes.contains(&actual) {
            return Err(mismatch(actual));
        }
        self.cache.put_bytes(actual, &bytes)?;
        Ok((bytes, actual))
    }

    /// Chooses, downloads, verifies and installs every requirement that applies to
    /// `target`.
    pub fn install(
        &self,
        requirements: &Requirements,
        target: &Target,
        options: &InstallOptions,
    ) -> Result<PythonInstall> {
        let mut tree = AppTree::new();
        let mut packages = Vec::new();
        for requirement in requirements.for_target(target)? {
            let files = self.files(&requirement.name)?;
            let file = choose_wheel(&files, requirement, target)?;
            let (bytes, sha256) = self.download(requirement, file)?;
            let (files, package) = install_wheel(
                WheelFile {
                    file_name: &file.filename,
                    bytes: &bytes,
                    sha256,
                    url: &file.url,
                },
                target,
                options,
            )?;
            debug!(package = %requirement.name, version = %requirement.version, file = %file.filename, "installed");
            tree.merge(files)?;
            packages.push(package);
        }
        info!(packages = packages.len(), index = %self.url, "python packages installed");
        Ok(PythonInstall { tree, packages })
    }
}

/// The best wheel of `requirement`'s version for `target`, by tag preference (ties
/// broken by file name, so the choice is stable).
pub fn choose_wheel<'a>(
    files: &'a [IndexFile],
    requirement: &Requirement,
    target: &Target,
) -> Result<&'a IndexFile> {
    let supported = target.supported_tags();
    let mut wheels = Vec::new();
    let mut sdists = Vec::new();
    for file in files {
        if let Some(stem) = file.filename.strip_suffix(".whl") {
            let Ok(name) = WheelName::parse(&file.filename) else {
                debug!(file = %stem, "not a wheel name");
                continue;
            };
            if ProjectName::new(&name.distribution) == requirement.name
                && same_version(&name.version, &requirement.version)
            {
                wheels.push((name.rank(&supported), file));
            }
        } else if is_sdist_of(&file.filename, requirement) {
            sdists.push(file.filename.clone());
        }
    }
    if wheels.is_empty() {
        return Err(if sdists.is_empty() {
            Error::VersionNotFound {
                name: requirement.name.clone(),
                version: requirement.version.clone(),
            }
        } else {
            Error::SdistOnly {
                name: requirement.name.clone(),
                version: requirement.version.clone(),
                sdists,
            }
        });
    }
    wheels
        .iter()
        .filter_map(|(rank, file)| rank.map(|r| (r, *file)))
        .min_by(|(a, fa), (b, fb)| a.cmp(b).then_with(|| fa.filename.cmp(&fb.filename)))
        .map(|(_, file)| file)
        .ok_or_else(|| Error::NoCompatibleWheel {
            name: requirement.name.clone(),
            version: requirement.version.clone(),
            target: *target,
            wheels: wheels.iter().map(|(_, f)| f.filename.clone()).collect(),
        })
}

fn same_version(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b) || a.replace('_', "-").eq_ignore_ascii_case(&b.replace('_', "-"))
}

fn is_sdist_of(file_name: &str, requirement: &Requirement) -> bool {
    let stem = [".tar.gz", ".zip", ".tar.bz2", ".tgz"]
        .iter()
        .find_map(|suffix| file_name.strip_suffix(suffix));
    let Some(stem) = stem else { return false };
    stem.rsplit_once('-').is_some_and(|(name, version)| {
        ProjectName::new(name) == requirement.name && same_version(version, &requirement.version)
    })
}

/// `href` resolved against the page at `base` (absolute, host-relative or relative).
fn absolute_url(base: &str, href: &str) -> String {
    if href.contains("://") {
        return href.to_owned();
    }
    let origin_end = base
        .find("://")
        .and_then(|scheme| base[scheme + 3..].find('/').map(|slash| scheme + 3 + slash))
        .unwrap_or(base.len());
    if let Some(path) = href.strip_prefix('/') {
        return format!("{}/{path}", &base[..origin_end]);
    }
    let dir_end = base
        .rfind('/')
        .filter(|i| *i >= origin_end)
        .map_or(base.len(), |i| i + 1);
    let mut parts: Vec<&str> = base[origin_end..dir_end]
        .split('/')
        .filter(|p| !p.is_empty())
        .collect();
    for part in href.split('/') {
        match part {
            ".." => {
                parts.pop();
            }
            "." => {}
            p => parts.push(p),
        }
    }
    format!("{}/{}", &base[..origin_end], parts.join("/"))
}

#[cfg(test)]
mod tests;
