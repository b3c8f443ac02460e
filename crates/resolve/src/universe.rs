//! The package universe: every binary package of one architecture (and `all`) from
//! every configured suite, indexed by name and by what it provides.

use buckle_debian::relation::{ArchQualifier, Relation};
use buckle_debian::{Arch, BinaryPackage, MultiArch, PackageName, Version};
use buckle_spec::Suite;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// One package as found in one suite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The suite whose Packages index lists it.
    pub suite: Suite,
    /// The package (shared with the index it was read from).
    pub package: Arc<BinaryPackage>,
}

/// Index of a candidate in [`Universe::candidates`].
pub(crate) type Id = usize;

/// Every package the resolver may choose from, for one target architecture.
#[derive(Debug, Clone)]
pub struct Universe {
    arch: Arch,
    suites: Vec<Suite>,
    /// Sorted by name, then best first: highest version, then suite name. A name's
    /// candidates are found by binary search.
    candidates: Vec<Candidate>,
    /// Who provides a name, with the provided version for versioned Provides.
    providers: BTreeMap<PackageName, Vec<(Id, Option<Version>)>>,
}

impl Universe {
    /// Builds the universe for `arch` from `(suite, package)` pairs. Packages of other
    /// architectures are left out; `all` packages are kept. The order of the input does
    /// not matter: among equal versions in several suites, the suite whose name sorts
    /// first is preferred.
    pub fn new<P: Into<Arc<BinaryPackage>>>(
        arch: Arch,
        packages: impl IntoIterator<Item = (Suite, P)>,
    ) -> Universe {
        let all: Arch = "all".parse().expect("`all` is a valid architecture name");
        let mut candidates: Vec<Candidate> = packages
            .into_iter()
            .map(|(suite, package)| Candidate {
                suite,
                package: package.into(),
            })
            .filter(|c| c.package.arch == arch || c.package.arch == all)
            .collect();
        candidates.sort_by(|a, b| {
            let (x, y) = (&a.package, &b.package);
            x.name
                .cmp(&y.name)
                .then_with(|| y.version.cmp(&x.version))
                .then_with(|| a.suite.cmp(&b.suite))
                .then_with(|| x.arch.cmp(&y.arch))
                .then_with(|| x.version.as_str().cmp(y.version.as_str()))
        });
        candidates.dedup_by(|a, b| a.suite == b.suite && a.package == b.package);
        let suites: BTreeSet<Suite> = candidates.iter().map(|c| c.suite.clone()).collect();
        let mut providers: BTreeMap<PackageName, Vec<(Id, Option<Version>)>> = BTreeMap::new();
        for (id, c) in candidates.iter().enumerate() {
            for p in &c.package.provides {
                let version = p.constraint.as_ref().map(|c| c.version.clone());
                providers.entry(p.name.clone()).or_default().push((id, version));
            }
        }
        tracing::debug!(arch = %arch, packages = candidates.len(), "universe built");
        Universe {
            arch,
            suites: suites.into_iter().collect(),
            candidates,
            providers,
        }
    }

    /// The target architecture.
    pub fn arch(&self) -> &Arch {
        &self.arch
    }

    /// The suites the packages came from, sorted.
    pub fn suites(&self) -> &[Suite] {
        &self.suites
    }

    /// Every candidate, sorted by name, then best first.
    pub fn candidates(&self) -> &[Candidate] {
        &self.candidates
    }

    /// The versions of a real package, best first (highest version).
    pub fn versions<'a>(&'a self, name: &PackageName) -> impl Iterator<Item = &'a Candidate> + 'a {
        self.candidates.get(self.ids(name)).unwrap_or_default().iter()
    }

    /// True when `name` is a real package or provided by one.
    pub fn knows(&self, name: &PackageName) -> bool {
        !self.ids(name).is_empty() || self.providers.contains_key(name)
    }

    /// The real package name closest to `name`, for a "did you mean" hint.
    pub fn closest_name(&self, name: &str) -> Option<&PackageName> {
        self.candidates
            .chunk_by(|a, b| a.package.name == b.package.name)
            .filter_map(|same| same.first())
            .map(|c| &c.package.name)
            .map(|n| (strsim::jaro_winkler(name, n.as_str()), n))
            .filter(|(score, _)| *score >= 0.85)
            .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
            .map(|(_, n)| n)
    }

    pub(crate) fn get(&self, id: Id) -> Option<&Candidate> {
        self.candidates.get(id)
    }

    /// The ids of `name`'s candidates, best first.
    pub(crate) fn ids(&self, name: &PackageName) -> std::ops::Range<Id> {
        let start = self.candidates.partition_point(|c| c.package.name < *name);
        let rest = self.candidates.get(start..).unwrap_or_default();
        start..start + rest.partition_point(|c| c.package.name == *name)
    }

    pub(crate) fn providers_of(&self, name: &PackageName) -> &[(Id, Option<Version>)] {
        self.providers.get(name).map_or(&[], Vec::as_slice)
    }

    /// Whether candidate `id`, as the real package named by `relation`, satisfies it.
    pub(crate) fn satisfies_as_real(&self, id: Id, relation: &Relation) -> bool {
        self.get(id).is_some_and(|c| {
            c.package.name == relation.name
                && self.qualifier_allows(&c.package, relation)
                && relation
                    .constraint
                    .as_ref()
                    .is_none_or(|k| k.allows(&c.package.version))
        })
    }

    /// Whether candidate `id` satisfies `relation` through its `Provides`. Versioned
    /// relations are only satisfied by versioned provides.
    pub(crate) fn satisfies_as_provider(&self, id: Id, relation: &Relation) -> bool {
        self.get(id).is_some_and(|c| {
            self.qualifier_allows(&c.package, relation)
                && c.package.provides.iter().any(|p| {
                    p.name == relation.name
                        && match (&relation.constraint, &p.constraint) {
                            (None, _) => true,
                            (Some(wanted), Some(given)) => wanted.allows(&given.version),
                            (Some(_), None) => false,
                        }
                })
        })
    }

    /// Whether candidate `id` satisfies `relation` at all.
    pub(crate) fn satisfies(&self, id: Id, relation: &Relation) -> bool {
        self.satisfies_as_real(id, relation) || self.satisfies_as_provider(id, relation)
    }

    /// `:any` needs `Multi-Arch: allowed` or `foreign`; a concrete `:arch` must be the
    /// target; no qualifier and `:native` accept the target and `all`.
    fn qualifier_allows(&self, package: &BinaryPackage, relation: &Relation) -> bool {
        match &relation.qualifier {
            None | Some(ArchQualifier::Native) => true,
            Some(ArchQualifier::Any) => {
                matches!(package.multi_arch, MultiArch::Allowed | MultiArch::Foreign)
            }
            Some(ArchQualifier::Arch(arch)) => *arch == self.arch,
        }
    }
}
