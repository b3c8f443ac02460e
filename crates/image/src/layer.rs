//! The layer arrow: the hardened tree -> deterministic layer tars.
//!
//! # Grouping rule
//!
//! Files are grouped by the *source* package of the binary packages that ship them,
//! so that images built from the same lock versions share layer digests:
//!
//! 1. **Anchors.** Each source in [`ANCHOR_SOURCES`] that is present gets a layer of
//!    its own, in that order: `base-files`, `netbase`, `tzdata`, `ca-certificates`,
//!    `glibc`, `gcc-*` (libgcc, libstdc++) and `openssl`. A catalog image's base set
//!    therefore forms the same layers in `base`, `cc`, `python`, `node` and `nginx`.
//! 2. **Big sources.** The remaining sources, largest first (by the bytes of their
//!    files; ties by name), get a layer each while the budget allows and they hold
//!    at least [`MIN_OWN_LAYER_BYTES`].
//! 3. **Rest.** Every other source shares one layer.
//! 4. **buckle.** What buckle made (passwd, status.d, the CA bundle, ld.so.cache, the
//!    merged-`/usr` links) goes in a last, small layer.
//!
//! With a budget of `n` layers, anchors and big sources together get at most `n - 2`
//! (anchors first); what does not fit joins the rest. A path that packages of two
//! sources ship identically is written in both layers, and every layer repeats the
//! directories above its entries (with the tree's modes), so a layer's bytes depend
//! only on its own packages.
//!
//! Within a layer, entries are sorted by path, every mtime is `SOURCE_DATE_EPOCH`,
//! owners come from the tree (0, or 65532 for `home/nonroot`), and the paths of one
//! hard-linked file are written as one file and hard links to it.

use crate::content::Content;
use crate::deb::FileKind;
use crate::error::{Error, Result};
use crate::tree::{Node, Tree};
use buckle_debian::PackageName;
use buckle_digest::{Hasher, Sha256};
use buckle_oci::tar::{Compression, Entry, LayerWriter};
use buckle_oci::RelPath;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

/// Sources that always get a layer of their own, in this order. An entry ending in
/// `*` matches every source starting with what comes before it.
pub const ANCHOR_SOURCES: [&str; 7] = [
    "base-files",
    "netbase",
    "tzdata",
    "ca-certificates",
    "glibc",
    "gcc-*",
    "openssl",
];

/// Sources smaller than this share the rest layer even when the budget has room.
pub const MIN_OWN_LAYER_BYTES: u64 = 1 << 20;

/// The default layer budget.
pub const DEFAULT_LAYER_BUDGET: usize = 10;

/// The group name of what buckle made.
const BUCKLE: &str = "buckle";
/// The group name of the shared layer.
const REST: &str = "rest";

/// One planned layer: a name for humans, the sources in it and its paths, sorted,
/// with the directories above them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerPlan {
    /// A source name, `rest` or `buckle`.
    pub name: String,
    /// The source packages whose files the layer holds.
    pub sources: Vec<PackageName>,
    /// Every path written, sorted (a directory before its contents).
    pub paths: Vec<RelPath>,
}

/// Splits the tree into at most `budget` layers (at least 2); see the module doc.
pub fn plan_layers(tree: &Tree, budget: usize) -> Vec<LayerPlan> {
    let groups = group_paths(tree);
    let mut sizes: BTreeMap<&PackageName, u64> = BTreeMap::new();
    for (source, paths) in &groups.by_source {
        let bytes = paths
            .iter()
            .filter_map(|p| tree.get(p)?.content())
            .map(Content::size)
            .sum();
        sizes.insert(source, bytes);
    }
    let own_slots = budget.max(2) - 2;
    let mut own: Vec<&PackageName> = Vec::new();
    for anchor in ANCHOR_SOURCES {
        own.extend(sizes.keys().filter(|s| matches_anchor(anchor, s.as_str())));
    }
    own.truncate(own_slots);
    let mut big: Vec<(&PackageName, u64)> = sizes
        .iter()
        .filter(|(s, &bytes)| !own.contains(s) && bytes >= MIN_OWN_LAYER_BYTES)
        .map(|(s, &bytes)| (*s, bytes))
        .collect();
    big.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    own.extend(
        big.iter()
            .map(|(s, _)| *s)
            .take(own_slots.saturating_sub(own.len())),
    );

    let mut plans: Vec<LayerPlan> = own
        .iter()
        .map(|source| {
            let paths = groups.by_source.get(*source).cloned().unwrap_or_default();
            plan(source.to_string(), vec![(*source).clone()], paths)
        })
        .collect();
    let rest_sources: Vec<PackageName> = groups
        .by_source
        .keys()
        .filter(|s| !own.contains(s))
        .cloned()
        .collect();
    if !rest_sources.is_empty() {
        let paths = rest_sources
            .iter()
            .flat_map(|s| groups.by_source[s].iter().cloned())
            .collect();
        plans.push(plan(REST.to_owned(), rest_sources, paths));
    }
    if !groups.buckle.is_empty() {
        plans.push(plan(BUCKLE.to_owned(), Vec::new(), groups.buckle));
    }
    plans
}

fn matches_anchor(anchor: &str, source: &str) -> bool {
    match anchor.strip_suffix('*') {
        Some(prefix) => source.starts_with(prefix),
        None => source == anchor,
    }
}

struct Groups {
    by_source: BTreeMap<PackageName, BTreeSet<RelPath>>,
    buckle: BTreeSet<RelPath>,
}

/// Each path under the sources of its owners, or under buckle when it has none.
fn group_paths(tree: &Tree) -> Groups {
    let mut groups = Groups {
        by_source: BTreeMap::new(),
        buckle: BTreeSet::new(),
    };
    let source_of: BTreeMap<&PackageName, &PackageName> = tree
        .packages()
        .iter()
        .map(|(name, record)| (name, &record.package.source))
        .collect();
    for (path, node) in tree.nodes() {
        if path.is_root() {
            continue;
        }
        if node.owners.is_empty() {
            // Directories buckle had to create only appear as parents of entries.
            if node.kind != FileKind::Directory || tree.under(path).next().is_none() {
                groups.buckle.insert(path.clone());
            }
            continue;
        }
        for owner in &node.owners {
            let source = source_of.get(owner).copied().unwrap_or(owner);
            groups
                .by_source
                .entry(source.clone())
                .or_default()
                .insert(path.clone());
        }
    }
    groups
}

/// A plan for `paths` plus every directory above them.
fn plan(name: String, sources: Vec<PackageName>, paths: BTreeSet<RelPath>) -> LayerPlan {
    let mut all = paths.clone();
    for path in &paths {
        let mut parent = path.parent();
        while let Some(dir) = parent.filter(|d| !d.is_root()) {
            parent = dir.parent();
            if !all.insert(dir) {
                break;
            }
        }
    }
    LayerPlan {
        name,
        sources,
        paths: all.into_iter().collect(),
    }
}

/// The tar entries of `plan`, in path order, each file with its content (`None` for
/// every other kind, and for a path written as a hard link to an earlier one).
pub fn layer_entries<'t>(tree: &'t Tree, plan: &LayerPlan) -> Result<Vec<(Entry, Option<&'t Content>)>> {
    // The first path written for each hard-linked file, by content digest.
    let mut written: BTreeMap<Sha256, Vec<(&Node, &RelPath)>> = BTreeMap::new();
    let mut entries = Vec::with_capacity(plan.paths.len());
    for path in &plan.paths {
        let node = tree.get(path).ok_or_else(|| Error::Internal {
            what: format!("layer `{}` lists `{path}`, which is not in the tree", plan.name),
        })?;
        let (entry, content) = match &node.kind {
            FileKind::Directory => (Entry::directory(path.clone(), node.mode), None),
            FileKind::Symlink(target) => (Entry::symlink(path.clone(), target.clone()), None),
            FileKind::Hardlink(target) => (Entry::hardlink(path.clone(), target.clone(), node.mode), None),
            FileKind::File(content) => {
                let same = written.entry(content.digest()).or_default();
                let link = same.iter().find(|(first, _)| is_same_file(first, node));
                match link {
                    Some((_, target)) => (Entry::hardlink(path.clone(), (*target).clone(), node.mode), None),
                    None => {
                        same.push((node, path));
                        (
                            Entry::file(path.clone(), node.mode, content.size()),
                            Some(content),
                        )
                    }
                }
            }
        };
        entries.push((entry.with_owner(node.uid, node.gid), content));
    }
    Ok(entries)
}

/// Appends `entries` (from [`layer_entries`]) to `out`.
pub fn write_layer<W: Write>(
    name: &str,
    entries: &[(Entry, Option<&Content>)],
    out: &mut LayerWriter<W>,
) -> Result<()> {
    for (entry, content) in entries {
        out.append(entry, content.map(|c| c.bytes()).unwrap_or_default())
            .map_err(|source| Error::LayerWrite {
                layer: name.to_owned(),
                source: Box::new(source),
            })?;
    }
    tracing::debug!(layer = %name, entries = entries.len(), "layer written");
    Ok(())
}

/// The layer cache's key for `entries` written with `compression` at
/// `source_date_epoch`, with a layer index under `index_rules` (see [`crate::cache`]):
/// the same key means the same blob and index.
pub fn layer_key(
    entries: &[(Entry, Option<&Content>)],
    compression: Compression,
    source_date_epoch: u64,
    index_rules: Option<&str>,
) -> Sha256 {
    let mut hasher = Hasher::new();
    let head = format!(
        "{}\n{compression:?} level {}\nSOURCE_DATE_EPOCH {source_date_epoch}\nindex {index_rules:?}\n",
        crate::cache::builder_id(),
        compression.level()
    );
    hasher.update(head.as_bytes());
    for (entry, content) in entries {
        hasher.update(format!("{entry:?}").as_bytes());
        if let Some(content) = content {
            hasher.update(content.digest().as_bytes());
        }
        hasher.update(b"\n");
    }
    hasher.finish().0
}

/// Whether two file nodes are paths of one hard-linked file: one buffer, one mode,
/// one owner.
fn is_same_file(a: &Node, b: &Node) -> bool {
    let same_bytes = match (a.content(), b.content()) {
        (Some(x), Some(y)) => x.same_bytes(y),
        _ => false,
    };
    same_bytes && a.mode == b.mode && a.uid == b.uid && a.gid == b.gid
}

#[cfg(test)]
mod tests;
