//! lock, lock -> what changed: packages added, removed and changed, per image.

use crate::lock::{Lock, LockedPackage};
use crate::model::Variant;
use buckle_debian::{Arch, PackageName};
use std::collections::{BTreeMap, BTreeSet};

/// What changed between two locks, image by image.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LockDiff {
    /// One entry per image that changed (or appeared, or disappeared), sorted by
    /// architecture then variant. Images that did not change are left out.
    pub images: Vec<ImageDiff>,
}

impl LockDiff {
    /// True when no image changed.
    pub fn is_empty(&self) -> bool {
        self.images.is_empty()
    }
}

/// What changed in one image (one architecture and variant).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageDiff {
    /// The architecture.
    pub arch: Arch,
    /// The variant.
    pub variant: Variant,
    /// Packages only in the new lock, sorted by name.
    pub added: Vec<LockedPackage>,
    /// Packages only in the old lock, sorted by name.
    pub removed: Vec<LockedPackage>,
    /// Packages in both whose version or `.deb` digest differ, sorted by name.
    pub changed: Vec<Change>,
}

/// A package in both locks with a different version or `.deb`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// As the old lock has it.
    pub old: LockedPackage,
    /// As the new lock has it.
    pub new: LockedPackage,
}

/// Compares two locks. Packages are matched by name and architecture; a package whose
/// version and SHA-256 are unchanged does not count as changed even if it moved to
/// another suite (the same file, found elsewhere).
pub fn diff(old: &Lock, new: &Lock) -> LockDiff {
    let images: BTreeSet<(&Arch, Variant)> = [old, new]
        .iter()
        .flat_map(|lock| {
            lock.images
                .iter()
                .flat_map(|(arch, variants)| variants.keys().map(move |v| (arch, *v)))
        })
        .collect();
    LockDiff {
        images: images
            .into_iter()
            .map(|(arch, variant)| {
                image_diff(
                    arch,
                    variant,
                    old.packages(arch, variant),
                    new.packages(arch, variant),
                )
            })
            .filter(|d| !(d.added.is_empty() && d.removed.is_empty() && d.changed.is_empty()))
            .collect(),
    }
}

type Key<'a> = (&'a PackageName, &'a Arch);

fn by_key(packages: &[LockedPackage]) -> BTreeMap<Key<'_>, &LockedPackage> {
    packages.iter().map(|p| ((&p.name, &p.architecture), p)).collect()
}

fn image_diff(arch: &Arch, variant: Variant, old: &[LockedPackage], new: &[LockedPackage]) -> ImageDiff {
    let (old, new) = (by_key(old), by_key(new));
    let only = |a: &BTreeMap<Key<'_>, &LockedPackage>, b: &BTreeMap<Key<'_>, &LockedPackage>| {
        a.iter()
            .filter(|(k, _)| !b.contains_key(*k))
            .map(|(_, p)| (*p).clone())
            .collect()
    };
    ImageDiff {
        arch: arch.clone(),
        variant,
        added: only(&new, &old),
        removed: only(&old, &new),
        changed: old
            .iter()
            .filter_map(|(k, o)| new.get(k).map(|n| (*o, *n)))
            .filter(|(o, n)| o.version.as_str() != n.version.as_str() || o.sha256 != n.sha256)
            .map(|(o, n)| Change {
                old: o.clone(),
                new: n.clone(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests;
