//! Facts about one installed application package, for the SBOM.

use buckle_digest::Sha256;
use buckle_sbom::package_url;

/// Where a package comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Ecosystem {
    /// The Python Package Index (purl type `pypi`).
    Python,
    /// The npm registry (purl type `npm`).
    Npm,
}

/// One installed package: what an SBOM lists for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppPackage {
    /// Its ecosystem.
    pub ecosystem: Ecosystem,
    /// The name as its metadata spells it (`Flask`, `@types/node`).
    pub name: String,
    /// The exact version installed.
    pub version: String,
    /// sha256 of the wheel or tarball that was installed.
    pub sha256: Sha256,
    /// The lockfile's `integrity` (npm only), e.g. `sha512-...`.
    pub integrity: Option<String>,
    /// The license, when the metadata gives one: an SPDX expression
    /// (`License-Expression`, npm's `license`) or the free-text `License` field.
    pub license: Option<String>,
    /// `License ::` trove classifiers from a wheel's METADATA.
    pub license_classifiers: Vec<String>,
    /// Where it was downloaded from.
    pub download_url: String,
    /// The file name of the wheel or tarball.
    pub file_name: String,
}

impl AppPackage {
    /// The package URL: `pkg:pypi/flask@3.1.0`, `pkg:npm/%40types/node@22.0.0`.
    ///
    /// Per the purl specification, PyPI names are lowercased with `_` written as `-`,
    /// and an npm scope is the namespace (with its `@` percent-encoded).
    pub fn purl(&self) -> String {
        match self.ecosystem {
            Ecosystem::Python => {
                let name = self.name.to_ascii_lowercase().replace('_', "-");
                package_url("pypi", None, &name, &self.version, &[])
            }
            Ecosystem::Npm => match self.name.split_once('/') {
                Some((scope, name)) if scope.starts_with('@') => {
                    package_url("npm", Some(scope), name, &self.version, &[])
                }
                _ => package_url("npm", None, &self.name, &self.version, &[]),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(ecosystem: Ecosystem, name: &str, version: &str) -> AppPackage {
        AppPackage {
            ecosystem,
            name: name.into(),
            version: version.into(),
            sha256: Sha256::of(b""),
            integrity: None,
            license: None,
            license_classifiers: Vec::new(),
            download_url: String::new(),
            file_name: String::new(),
        }
    }

    #[test]
    fn purls_follow_each_type_rules() {
        assert_eq!(
            package(Ecosystem::Python, "Flask", "3.1.0").purl(),
            "pkg:pypi/flask@3.1.0"
        );
        assert_eq!(
            package(Ecosystem::Python, "typing_extensions", "4.12.2").purl(),
            "pkg:pypi/typing-extensions@4.12.2"
        );
        assert_eq!(
            package(Ecosystem::Npm, "express", "4.21.2").purl(),
            "pkg:npm/express@4.21.2"
        );
        assert_eq!(
            package(Ecosystem::Npm, "@types/node", "22.0.0").purl(),
            "pkg:npm/%40types/node@22.0.0"
        );
    }
}
