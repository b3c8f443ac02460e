//! An application's own packages (PyPI wheels, npm tarballs), as an app image records
//! them in [`APP_PACKAGES`]: each one with its purl, digests, license and origin, and
//! the application that depends on them.
//!
//! The record is written at build time, when the lockfile's hashes and the download
//! URLs are known, and read back by `buckle sbom` and `buckle scan` like dpkg's status
//! files are: the image describes itself.

use crate::dpkg::ImageFiles;
use crate::error::{Error, Result};
use buckle_digest::Sha256;
use serde::{Deserialize, Serialize};

/// Where an app image records its packages (an absolute path in the image).
pub const APP_PACKAGES: &str = "/usr/share/buckle/app-packages.json";

/// The application and what it depends on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppFacts {
    /// The application's name (the app spec's `name`).
    pub name: String,
    /// The installed packages, in lockfile order.
    pub packages: Vec<AppPackageFacts>,
}

/// One installed application package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppPackageFacts {
    /// `pypi` or `npm`: the purl type, and the OSV ecosystem it maps to.
    pub ecosystem: AppEcosystem,
    /// The name as its metadata spells it.
    pub name: String,
    /// The exact version.
    pub version: String,
    /// Its package URL.
    pub purl: String,
    /// SHA-256 of the wheel or tarball, hex.
    pub sha256: String,
    /// SHA-512 of the tarball, hex, when the lockfile gives it (npm).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha512: Option<String>,
    /// The license as the metadata states it, when it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    /// Where the file was downloaded from.
    pub download_location: String,
    /// The wheel or tarball file name.
    pub file_name: String,
}

/// The ecosystem of an application package.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AppEcosystem {
    /// The Python Package Index.
    Pypi,
    /// The npm registry.
    Npm,
}

impl AppEcosystem {
    /// The name OSV uses: `PyPI`, `npm`.
    pub fn osv_name(self) -> &'static str {
        match self {
            AppEcosystem::Pypi => "PyPI",
            AppEcosystem::Npm => "npm",
        }
    }
}

impl AppPackageFacts {
    /// The license as an SPDX expression, when the metadata states one.
    pub fn declared_license(&self) -> Option<String> {
        self.license.as_deref().and_then(crate::license::spdx_expression)
    }

    /// The SHA-256 as a digest.
    pub fn sha256_digest(&self) -> Option<Sha256> {
        Sha256::parse_oci(&format!("sha256:{}", self.sha256)).ok()
    }
}

impl AppFacts {
    /// The record's bytes: pretty JSON with a final newline, stable for the same facts.
    pub fn to_json(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }

    /// The record in `image`, when it has one.
    pub fn read(image: &impl ImageFiles) -> Result<Option<AppFacts>> {
        let Some(bytes) = image.read(APP_PACKAGES).map_err(|source| Error::Read {
            path: APP_PACKAGES.to_owned(),
            source,
        })?
        else {
            return Ok(None);
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|source| Error::AppPackages {
                path: APP_PACKAGES.to_owned(),
                problem: source.to_string(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    pub(crate) fn flask() -> AppFacts {
        AppFacts {
            name: "myapp".into(),
            packages: vec![AppPackageFacts {
                ecosystem: AppEcosystem::Pypi,
                name: "Flask".into(),
                version: "3.1.0".into(),
                purl: "pkg:pypi/flask@3.1.0".into(),
                sha256: Sha256::of(b"wheel").hex(),
                sha512: None,
                license: Some("BSD-3-Clause".into()),
                download_location: "https://index.example/flask-3.1.0-py3-none-any.whl".into(),
                file_name: "flask-3.1.0-py3-none-any.whl".into(),
            }],
        }
    }

    #[test]
    fn the_record_reads_back_from_the_image() {
        let facts = flask();
        let mut image: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        assert_eq!(AppFacts::read(&image).unwrap(), None);
        image.insert(APP_PACKAGES.into(), facts.to_json());
        assert_eq!(AppFacts::read(&image).unwrap(), Some(facts));
        image.insert(APP_PACKAGES.into(), b"{\"name\": 1}".to_vec());
        let err = AppFacts::read(&image).unwrap_err().to_string();
        assert!(err.contains(APP_PACKAGES), "{err}");
    }
}
