//! What a resolution is: the chosen packages, why each is there, and what was cut.

use crate::error::{Error, Result};
use buckle_debian::{Arch, BinaryPackage, PackageName, Version};
use buckle_spec::{LockedPackage, PoolPath, Suite};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Versions to keep from an existing lock while they still fit (`buckle lock` without
/// `--update`).
pub type Pins = BTreeMap<PackageName, Version>;

/// The pins of an existing lock's image: each package's locked version.
pub fn pins_from_lock(packages: &[LockedPackage]) -> Pins {
    packages
        .iter()
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect()
}

/// The relation field a dependency comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    /// `Pre-Depends:`
    PreDepends,
    /// `Depends:`
    Depends,
}

impl Field {
    /// The field's name in a stanza.
    pub fn name(self) -> &'static str {
        match self {
            Field::PreDepends => "Pre-Depends",
            Field::Depends => "Depends",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a package is needed: which package's which relation asked for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    /// The package whose relation it satisfies.
    pub parent: PackageName,
    /// The field the relation is in.
    pub field: Field,
    /// The relation as written, alternatives included: `libssl3t64 (>= 3.0.0)`.
    pub relation: String,
}

impl fmt::Display for Need {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.parent, self.field, self.relation)
    }
}

/// A package in the closure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selected {
    /// The chosen package.
    pub package: BinaryPackage,
    /// The suite it was chosen from.
    pub suite: Suite,
    /// The first relation that pulled it in (breadth-first, so on a shortest chain from a
    /// root); `None` for a root.
    pub needed_by: Option<Need>,
}

/// A package left out on purpose (`[[exclude]]`) that something depended on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cut {
    /// The excluded package.
    pub package: PackageName,
    /// The reason the spec gives.
    pub reason: String,
    /// Every relation that the cut satisfied, in the order they were met.
    pub needed_by: Vec<Need>,
}

/// The dependency closure of some roots for one architecture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    /// The target architecture.
    pub arch: Arch,
    /// The roots, as given.
    pub roots: Vec<PackageName>,
    /// The chosen packages, sorted by name.
    pub packages: Vec<Selected>,
    /// Cut dependencies, sorted by package name.
    pub cuts: Vec<Cut>,
}

impl Resolution {
    /// The chosen package named `name`.
    pub fn get(&self, name: &PackageName) -> Option<&Selected> {
        self.packages
            .binary_search_by(|s| s.package.name.cmp(name))
            .ok()
            .and_then(|i| self.packages.get(i))
    }

    /// The cut named `name`.
    pub fn cut(&self, name: &PackageName) -> Option<&Cut> {
        self.cuts.iter().find(|c| c.package == *name)
    }

    /// The packages as lockfile entries, sorted by name. Fails when a package lacks
    /// the download facts a Packages index always has (`Filename`, `Size`, `SHA256`).
    pub fn locked(&self) -> Result<Vec<LockedPackage>> {
        self.packages.iter().map(locked).collect()
    }

    /// Compares the chosen names with another tool's answer for the same roots (say,
    /// what `apt-get install --no-install-recommends` would install), to test the
    /// resolver against apt on a real archive.
    pub fn compare_names(&self, other: impl IntoIterator<Item = PackageName>) -> NameComparison {
        let mine: BTreeSet<&PackageName> = self.packages.iter().map(|s| &s.package.name).collect();
        let theirs: BTreeSet<PackageName> = other.into_iter().collect();
        NameComparison {
            only_resolved: mine
                .iter()
                .filter(|n| !theirs.contains(**n))
                .map(|n| (*n).clone())
                .collect(),
            only_other: theirs.iter().filter(|n| !mine.contains(n)).cloned().collect(),
        }
    }
}

/// The difference between a resolution's package names and another set of names.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NameComparison {
    /// Chosen here but not in the other set, sorted.
    pub only_resolved: Vec<PackageName>,
    /// In the other set but not chosen here, sorted.
    pub only_other: Vec<PackageName>,
}

fn locked(s: &Selected) -> Result<LockedPackage> {
    let p = &s.package;
    let missing = |field: &'static str| Error::NotLockable {
        package: p.name.clone(),
        version: p.version.to_string(),
        field,
    };
    let filename = p.filename.as_deref().ok_or_else(|| missing("Filename"))?;
    let path: PoolPath = filename.parse().map_err(|e| Error::PoolPath {
        package: p.name.clone(),
        version: p.version.to_string(),
        source: e,
    })?;
    Ok(LockedPackage {
        name: p.name.clone(),
        version: p.version.clone(),
        architecture: p.arch.clone(),
        source: p.source.clone(),
        source_version: p.source_version.clone(),
        suite: s.suite.clone(),
        path,
        size: p.size.ok_or_else(|| missing("Size"))?,
        sha256: p.sha256.ok_or_else(|| missing("SHA256"))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::closure::tests::universe;
    use crate::resolve;

    fn resolution() -> Resolution {
        let u = universe(&[
            (
                "trixie",
                "Package: app\nVersion: 1.0-1+b1\nSource: app-src (1.0-1)\nDepends: tzdata\n",
            ),
            (
                "trixie-security",
                "Package: tzdata\nVersion: 2025b-4+deb13u1\nArchitecture: all\n",
            ),
        ]);
        resolve(&u, &["app".parse().unwrap()], &[], &Pins::new()).unwrap()
    }

    #[test]
    fn resolution_converts_to_lock_entries_with_source_suite_and_pool_path() {
        let locked = resolution().locked().unwrap();
        assert_eq!(locked.len(), 2);
        let app = &locked[0];
        assert_eq!(app.name.as_str(), "app");
        assert_eq!(app.source.as_str(), "app-src");
        assert_eq!(app.source_version.as_str(), "1.0-1");
        assert_eq!(app.path.as_str(), "pool/main/app_1.0-1+b1_amd64.deb");
        let tzdata = &locked[1];
        assert_eq!(tzdata.architecture.as_str(), "all");
        assert_eq!(tzdata.suite.as_str(), "trixie-security");
        let pins = pins_from_lock(&locked);
        assert_eq!(
            pins[&"tzdata".parse::<PackageName>().unwrap()].as_str(),
            "2025b-4+deb13u1"
        );
    }

    #[test]
    fn package_without_download_facts_cannot_be_locked() {
        let mut r = resolution();
        r.packages[0].package.sha256 = None;
        let err = r.locked().unwrap_err();
        assert_eq!(
            err.to_string(),
            "`app` 1.0-1+b1 has no `SHA256` field, so it cannot be locked"
        );
        r.packages[0].package.sha256 = Some(buckle_digest::Sha256::of(b"x"));
        r.packages[0].package.filename = Some("../../etc/passwd".into());
        assert!(matches!(r.locked().unwrap_err(), Error::PoolPath { .. }));
    }

    #[test]
    fn name_comparison_lists_what_each_side_has_alone() {
        let other = ["app", "tzdata", "debconf"].map(|n| n.parse().unwrap());
        let cmp = resolution().compare_names(other);
        assert!(cmp.only_resolved.is_empty());
        assert_eq!(cmp.only_other, ["debconf".parse::<PackageName>().unwrap()]);
    }
}
