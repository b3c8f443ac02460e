//! The Debian packages of an image as a set, to compare what a provenance or an SBOM
//! claims with what the image's dpkg metadata says.

use buckle_sbom::PackageFacts;
use std::collections::BTreeSet;
use std::fmt;

/// A binary package by name, version and architecture.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PackageId {
    /// Package name.
    pub name: String,
    /// Version, as dpkg writes it.
    pub version: String,
    /// Architecture (`all` for architecture-independent packages).
    pub architecture: String,
}

impl fmt::Display for PackageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}:{}", self.name, self.version, self.architecture)
    }
}

impl From<&PackageFacts> for PackageId {
    fn from(facts: &PackageFacts) -> Self {
        PackageId {
            name: facts.name.to_string(),
            version: facts.version.to_string(),
            architecture: facts.arch.to_string(),
        }
    }
}

/// A set of packages.
pub type PackageSet = BTreeSet<PackageId>;

/// `None` when `claimed` (what `what` lists) equals `actual` (the image's dpkg
/// metadata), else a message naming the differences (at most a few of each).
pub fn compare(what: &str, claimed: &PackageSet, actual: &PackageSet) -> Option<String> {
    let missing: Vec<&PackageId> = actual.difference(claimed).collect();
    let extra: Vec<&PackageId> = claimed.difference(actual).collect();
    if missing.is_empty() && extra.is_empty() {
        return None;
    }
    let mut parts = Vec::new();
    if !missing.is_empty() {
        parts.push(format!("the image has {} not in {what}", sample(&missing)));
    }
    if !extra.is_empty() {
        parts.push(format!("{what} lists {} not in the image", sample(&extra)));
    }
    Some(parts.join("; "))
}

fn sample(packages: &[&PackageId]) -> String {
    const SHOWN: usize = 5;
    let mut names: Vec<String> = packages.iter().take(SHOWN).map(|p| format!("`{p}`")).collect();
    if packages.len() > SHOWN {
        names.push(format!("and {} more", packages.len() - SHOWN));
    }
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(name: &str, version: &str) -> PackageId {
        PackageId {
            name: name.into(),
            version: version.into(),
            architecture: "amd64".into(),
        }
    }

    #[test]
    fn comparison_names_both_directions() {
        let actual = PackageSet::from([id("libc6", "2.41-12"), id("tzdata", "2025b-4")]);
        assert_eq!(compare("the provenance", &actual.clone(), &actual), None);
        let claimed = PackageSet::from([id("libc6", "2.41-11"), id("tzdata", "2025b-4")]);
        assert_eq!(
            compare("the provenance", &claimed, &actual).unwrap(),
            "the image has `libc6=2.41-12:amd64` not in the provenance; \
             the provenance lists `libc6=2.41-11:amd64` not in the image"
        );
    }
}
