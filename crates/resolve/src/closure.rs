//! roots + universe -> closure: the packages an image needs, chosen the way apt would
//! for `--no-install-recommends`, minus the cuts.
//!
//! Breadth-first from the roots, each `Pre-Depends` and `Depends` entry is met by the
//! first alternative that is already chosen, else the first alternative that is cut,
//! else the first alternative that can be chosen (a real package before a virtual
//! one). A package's version is the highest that satisfies the relation, across all
//! suites, unless a pin asks for an older one that still fits. When a package already
//! chosen is later asked for at a version it does not have, the walk starts again with
//! that requirement known from the outset, so the first choice already honours it.

use crate::error::{Error, Result, Unsatisfiable};
use crate::resolution::{Cut, Field, Need, Pins, Resolution, Selected};
use crate::universe::{Id, Universe};
use buckle_debian::relation::{Alternatives, Relation};
use buckle_debian::{BinaryPackage, PackageName};
use buckle_spec::Exclude;
use std::collections::{BTreeMap, VecDeque};

/// Resolves the closure of `roots` in `universe`. `excludes` are cut: dependencies on
/// them count as satisfied and they never enter the closure. `pins` keep a version
/// while the universe still has it and it still satisfies every relation on it.
#[tracing::instrument(skip_all, fields(arch = %universe.arch(), roots = roots.len()))]
pub fn resolve(
    universe: &Universe,
    roots: &[PackageName],
    excludes: &[Exclude],
    pins: &Pins,
) -> Result<Resolution> {
    let excludes: BTreeMap<&PackageName, &str> =
        excludes.iter().map(|e| (&e.package, e.reason.as_str())).collect();
    let mut required: Required = BTreeMap::new();
    loop {
        let mut walk = Walk {
            universe,
            excludes: &excludes,
            pins,
            required: &required,
            selected: BTreeMap::new(),
            queue: VecDeque::new(),
            cuts: BTreeMap::new(),
        };
        match walk.run(roots)? {
            None => {
                let resolution = walk.finish(roots);
                tracing::info!(
                    packages = resolution.packages.len(),
                    cuts = resolution.cuts.len(),
                    "resolved"
                );
                return Ok(resolution);
            }
            Some(conflict) => {
                tracing::debug!(
                    package = %conflict.package,
                    relation = %conflict.requirement.relation,
                    "chosen version does not fit a later relation; starting again"
                );
                required
                    .entry(conflict.package)
                    .or_default()
                    .push(conflict.requirement);
            }
        }
    }
}

/// Relations a package must satisfy whenever it is chosen, learnt from conflicts.
type Required = BTreeMap<PackageName, Vec<Requirement>>;

#[derive(Debug, Clone)]
struct Requirement {
    relation: Relation,
    /// Root first, ending with the package that has the relation.
    path: Vec<PackageName>,
}

struct Conflict {
    package: PackageName,
    requirement: Requirement,
}

enum Choice {
    Pick(Id),
    /// The package is already chosen at a version that does not fit; another would.
    Blocked(PackageName),
    Nothing,
}

struct Walk<'a> {
    universe: &'a Universe,
    excludes: &'a BTreeMap<&'a PackageName, &'a str>,
    pins: &'a Pins,
    required: &'a Required,
    selected: BTreeMap<PackageName, (Id, Option<Need>)>,
    queue: VecDeque<PackageName>,
    cuts: BTreeMap<PackageName, Vec<Need>>,
}

impl Walk<'_> {
    fn run(&mut self, roots: &[PackageName]) -> Result<Option<Conflict>> {
        for root in roots {
            if let Some(conflict) = self.root(root)? {
                return Ok(Some(conflict));
            }
        }
        while let Some(name) = self.queue.pop_front() {
            let Some(package) = self
                .selected
                .get(&name)
                .and_then(|(id, _)| self.universe.get(*id))
                .map(|c| &c.package)
            else {
                continue;
            };
            let fields = [
                (Field::PreDepends, &package.pre_depends),
                (Field::Depends, &package.depends),
            ];
            for (field, relations) in fields {
                let groups = relations.parse().map_err(|source| Error::BadRelation {
                    package: package.name.clone(),
                    version: package.version.to_string(),
                    field: field.name(),
                    source,
                })?;
                for group in &groups {
                    if let Some(conflict) = self.group(&name, field, group)? {
                        return Ok(Some(conflict));
                    }
                }
            }
        }
        Ok(None)
    }

    fn root(&mut self, root: &PackageName) -> Result<Option<Conflict>> {
        if !self.universe.knows(root) {
            return Err(Error::UnknownRoot {
                root: root.clone(),
                arch: self.universe.arch().clone(),
                suites: self.universe.suites().to_vec(),
                suggestion: self.universe.closest_name(root.as_str()).cloned(),
            });
        }
        let relation = Relation {
            name: root.clone(),
            qualifier: None,
            constraint: None,
        };
        if self.satisfied(&relation) {
            return Ok(None);
        }
        match self.choose(&relation) {
            Choice::Pick(id) => {
                self.select(id, None);
                Ok(None)
            }
            Choice::Blocked(package) => Ok(Some(Conflict {
                package,
                requirement: Requirement {
                    relation,
                    path: Vec::new(),
                },
            })),
            Choice::Nothing => Err(self.unsatisfiable(Vec::new(), std::slice::from_ref(&relation))),
        }
    }

    fn group(
        &mut self,
        parent: &PackageName,
        field: Field,
        group: &Alternatives,
    ) -> Result<Option<Conflict>> {
        if group.is_empty() || group.iter().any(|r| self.satisfied(r)) {
            return Ok(None);
        }
        let need = || Need {
            parent: parent.clone(),
            field,
            relation: relation_text(group),
        };
        let mut blocked = None;
        for relation in group {
            if let Some(cut) = self.cut_for(relation) {
                self.cuts.entry(cut).or_default().push(need());
                return Ok(None);
            }
            match self.choose(relation) {
                Choice::Pick(id) => {
                    self.select(id, Some(need()));
                    return Ok(None);
                }
                Choice::Blocked(package) => {
                    blocked.get_or_insert((package, relation));
                }
                Choice::Nothing => {}
            }
        }
        match blocked {
            Some((package, relation)) => Ok(Some(Conflict {
                package,
                requirement: Requirement {
                    relation: relation.clone(),
                    path: self.path(parent),
                },
            })),
            None => Err(self.unsatisfiable(self.path(parent), group)),
        }
    }

    /// Whether a chosen package already satisfies `relation`.
    fn satisfied(&self, relation: &Relation) -> bool {
        let chosen = |name: &PackageName| self.selected.get(name).map(|(id, _)| *id);
        chosen(&relation.name).is_some_and(|id| self.universe.satisfies(id, relation))
            || self
                .universe
                .providers_of(&relation.name)
                .iter()
                .filter_map(|(id, _)| self.universe.get(*id).map(|c| (*id, &c.package.name)))
                .any(|(id, name)| {
                    chosen(name) == Some(id) && self.universe.satisfies_as_provider(id, relation)
                })
    }

    /// The excluded package that satisfies `relation`: the package it names, or, for a
    /// name no real package satisfies, an excluded provider.
    fn cut_for(&self, relation: &Relation) -> Option<PackageName> {
        if self.excludes.contains_key(&relation.name) {
            return Some(relation.name.clone());
        }
        if self
            .universe
            .ids(&relation.name)
            .any(|id| self.universe.satisfies_as_real(id, relation))
        {
            return None;
        }
        self.universe
            .providers_of(&relation.name)
            .iter()
            .filter(|(id, _)| self.universe.satisfies_as_provider(*id, relation))
            .filter_map(|(id, _)| self.universe.get(*id))
            .map(|c| &c.package.name)
            .find(|name| self.excludes.contains_key(name))
            .cloned()
    }

    /// A candidate for `relation`: the real package first, then the best provider.
    fn choose(&self, relation: &Relation) -> Choice {
        let fits = |id: Id| self.universe.satisfies_as_real(id, relation) && self.meets_required(id);
        let real: Vec<Id> = self.universe.ids(&relation.name).filter(|&id| fits(id)).collect();
        if !real.is_empty() {
            if self.selected.contains_key(&relation.name) {
                return Choice::Blocked(relation.name.clone());
            }
            return self.pinned_or_best(&relation.name, &real);
        }
        self.best_provider(relation)
    }

    fn best_provider(&self, relation: &Relation) -> Choice {
        let mut by_name: BTreeMap<&PackageName, Vec<Id>> = BTreeMap::new();
        for (id, _) in self.universe.providers_of(&relation.name) {
            let Some(c) = self.universe.get(*id) else {
                continue;
            };
            let name = &c.package.name;
            let usable = !self.selected.contains_key(name)
                && !self.excludes.contains_key(name)
                && self.universe.satisfies_as_provider(*id, relation)
                && self.meets_required(*id);
            if usable {
                by_name.entry(name).or_default().push(*id);
            }
        }
        by_name
            .into_iter()
            .min_by_key(|(name, ids)| {
                let priority = ids
                    .first()
                    .and_then(|id| self.universe.get(*id))
                    .and_then(|c| c.package.priority.as_deref());
                (priority_rank(priority), *name)
            })
            .map_or(Choice::Nothing, |(name, mut ids)| {
                ids.sort_by(|a, b| {
                    let version = |id: &Id| self.universe.get(*id).map(|c| &c.package.version);
                    version(b).cmp(&version(a))
                });
                self.pinned_or_best(name, &ids)
            })
    }

    /// Whether candidate `id` satisfies what earlier conflicts require of its package.
    fn meets_required(&self, id: Id) -> bool {
        let Some(c) = self.universe.get(id) else {
            return false;
        };
        self.required.get(&c.package.name).is_none_or(|reqs| {
            reqs.iter()
                .all(|r| self.universe.satisfies_as_real(id, &r.relation))
        })
    }

    /// The pinned version among `ids` (best first), else the first.
    fn pinned_or_best(&self, name: &PackageName, ids: &[Id]) -> Choice {
        let pinned = self.pins.get(name).and_then(|pin| {
            ids.iter()
                .copied()
                .find(|id| self.universe.get(*id).is_some_and(|c| c.package.version == *pin))
        });
        pinned
            .or_else(|| ids.first().copied())
            .map_or(Choice::Nothing, Choice::Pick)
    }

    fn select(&mut self, id: Id, need: Option<Need>) {
        let Some(c) = self.universe.get(id) else {
            return;
        };
        let name = c.package.name.clone();
        tracing::debug!(package = %name, version = %c.package.version, suite = %c.suite, "selected");
        self.queue.push_back(name.clone());
        self.selected.insert(name, (id, need));
    }

    /// The chain of packages from a root to `package`.
    fn path(&self, package: &PackageName) -> Vec<PackageName> {
        let mut path = vec![package.clone()];
        let mut current = package;
        while let Some((_, Some(need))) = self.selected.get(current) {
            if path.len() > self.selected.len() {
                break;
            }
            path.push(need.parent.clone());
            current = &need.parent;
        }
        path.reverse();
        path
    }

    fn unsatisfiable(&self, path: Vec<PackageName>, group: &[Relation]) -> Error {
        let universe = self.universe;
        let mut available: Vec<String> = Vec::new();
        let mut also = Vec::new();
        for relation in group {
            for c in universe.versions(&relation.name) {
                available.push(if group.len() == 1 {
                    c.package.version.to_string()
                } else {
                    format!("{} {}", c.package.name, c.package.version)
                });
            }
            for (id, version) in universe.providers_of(&relation.name) {
                if let Some(c) = universe.get(*id) {
                    let provided = version.as_ref().map(|v| format!(" (= {v})")).unwrap_or_default();
                    available.push(format!(
                        "{} {} (provides {}{provided})",
                        c.package.name, c.package.version, relation.name
                    ));
                }
            }
            for r in self.required.get(&relation.name).into_iter().flatten() {
                also.push((r.relation.to_string(), r.path.clone()));
            }
        }
        available.dedup();
        Error::Unsatisfiable(Box::new(Unsatisfiable {
            path,
            relation: relation_text(group),
            suites: universe.suites().to_vec(),
            available,
            also,
        }))
    }

    fn finish(self, roots: &[PackageName]) -> Resolution {
        let universe = self.universe;
        let packages = self
            .selected
            .into_iter()
            .filter_map(|(_, (id, needed_by))| {
                universe.get(id).map(|c| Selected {
                    package: BinaryPackage::clone(&c.package),
                    suite: c.suite.clone(),
                    needed_by,
                })
            })
            .collect();
        let cuts = self
            .cuts
            .into_iter()
            .map(|(package, needed_by)| Cut {
                reason: self
                    .excludes
                    .get(&package)
                    .copied()
                    .unwrap_or_default()
                    .to_owned(),
                package,
                needed_by,
            })
            .collect();
        Resolution {
            arch: universe.arch().clone(),
            roots: roots.to_vec(),
            packages,
            cuts,
        }
    }
}

fn relation_text(group: &[Relation]) -> String {
    group
        .iter()
        .map(Relation::to_string)
        .collect::<Vec<_>>()
        .join(" | ")
}

/// apt's order of `Priority:` values, most important first.
fn priority_rank(priority: Option<&str>) -> u8 {
    match priority {
        Some("required") => 0,
        Some("important") => 1,
        Some("standard") => 2,
        Some("optional") => 3,
        Some("extra") => 4,
        _ => 5,
    }
}

#[cfg(test)]
pub(crate) mod tests;
