//! The assemble arrow: the packages of a lock -> one file tree.
//!
//! Every path is canonicalised for merged `/usr` first: a package entry under `bin`,
//! `sbin`, `lib`, `lib32`, `lib64` or `libx32` lands under `usr/` (relative symlink
//! targets of moved entries are rewritten so they still point where they did), the
//! aliased directories themselves are skipped, and [`Tree::link_merged_usr`] adds
//! the top-level symlinks (`bin -> usr/bin`, ...) the way Debian 12 and 13 lay them
//! out.
//!
//! Two packages that put different things at one path are an error naming both,
//! unless one `Replaces` the other (the replacing package wins) or the spec declares
//! a [`Diversion`]. Identical files and directories are shared: every package that
//! ships them is an owner. An entry whose parent directory is a symlink in the tree is
//! refused, and the error says whether the symlink leads outside the root; parents are
//! looked up in the tree, never on the host.

use crate::content::Content;
use crate::deb::{Deb, FileKind, Md5Sum};
use crate::error::{Error, Result};
use buckle_debian::{BinaryPackage, PackageName};
use buckle_oci::RelPath;
use std::collections::{BTreeMap, BTreeSet};

/// Top-level directories that merged `/usr` turns into symlinks into `usr/`.
pub const MERGED_USR_DIRS: [&str; 6] = ["bin", "sbin", "lib", "lib32", "lib64", "libx32"];
/// The aliases created even when nothing is installed under them.
const ALWAYS_LINKED: [&str; 3] = ["bin", "sbin", "lib"];
/// Mode of directories the tree creates because an entry needs a parent.
const IMPLICIT_DIR_MODE: u32 = 0o755;
/// Symlinks followed before a path is declared unresolvable (Linux's `MAXSYMLINKS`).
const MAX_SYMLINK_HOPS: usize = 40;

/// One path of the image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// What it is. Hard links from packages are stored as files sharing the target's
    /// [`Content`]; the layer writer links them again.
    pub kind: FileKind,
    /// Permission bits.
    pub mode: u32,
    /// Owner user id.
    pub uid: u32,
    /// Owner group id.
    pub gid: u32,
    /// The packages that ship this path; empty for what buckle made.
    pub owners: BTreeSet<PackageName>,
}

impl Node {
    /// A root-owned directory made by buckle.
    pub fn directory(mode: u32) -> Self {
        Node::generated(FileKind::Directory, mode)
    }

    /// A root-owned file made by buckle.
    pub fn file(content: impl Into<Content>, mode: u32) -> Self {
        Node::generated(FileKind::File(content.into()), mode)
    }

    /// A symlink made by buckle.
    pub fn symlink(target: impl Into<String>) -> Self {
        Node::generated(FileKind::Symlink(target.into()), 0o777)
    }

    fn generated(kind: FileKind, mode: u32) -> Self {
        Node {
            kind,
            mode,
            uid: 0,
            gid: 0,
            owners: BTreeSet::new(),
        }
    }

    /// The same node owned by `uid:gid`.
    pub fn with_owner(mut self, uid: u32, gid: u32) -> Self {
        self.uid = uid;
        self.gid = gid;
        self
    }

    /// The content, for regular files.
    pub fn content(&self) -> Option<&Content> {
        match &self.kind {
            FileKind::File(content) => Some(content),
            _ => None,
        }
    }

    /// The first owning package, if any.
    pub fn first_owner(&self) -> Option<&PackageName> {
        self.owners.iter().next()
    }

    fn is_dir(&self) -> bool {
        self.kind == FileKind::Directory
    }
}

/// What the tree keeps about each package besides its files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageRecord {
    /// The control fields, parsed.
    pub package: BinaryPackage,
    /// The control file as shipped.
    pub control: String,
    /// `md5sums`, with paths canonicalised like the files.
    pub md5sums: Vec<Md5Sum>,
    /// `conffiles`, canonicalised.
    pub conffiles: Vec<RelPath>,
    /// The `postinst` script, never run.
    pub postinst: String,
}

/// A path that one package holds and others' copies of are moved away from, as
/// `dpkg-divert --package <holder> --divert <divert_to> <path>` would do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diversion {
    /// The diverted path.
    pub path: RelPath,
    /// The package whose copy stays at `path`.
    pub holder: PackageName,
    /// Where other packages' copies go.
    pub divert_to: RelPath,
}

impl Diversion {
    /// A diversion to `<path>.distrib`, dpkg-divert's default.
    pub fn new(path: RelPath, holder: PackageName) -> Self {
        let divert_to = RelPath::new(&format!("{}.distrib", path.as_str())).unwrap_or_default();
        Diversion {
            path,
            holder,
            divert_to,
        }
    }
}

/// The file tree of an image: path -> [`Node`], plus the packages that made it.
#[derive(Debug, Clone, Default)]
pub struct Tree {
    nodes: BTreeMap<RelPath, Node>,
    packages: BTreeMap<PackageName, PackageRecord>,
}

impl Tree {
    /// An empty tree (the root directory only).
    pub fn new() -> Self {
        let mut nodes = BTreeMap::new();
        nodes.insert(RelPath::root(), Node::directory(0o755));
        Tree {
            nodes,
            packages: BTreeMap::new(),
        }
    }

    /// Adds every entry of a package; see the module doc for the rules.
    pub fn add_package(&mut self, deb: Deb, diversions: &[Diversion]) -> Result<()> {
        let name = deb.package.name.clone();
        if self.packages.contains_key(&name) {
            return Err(Error::DuplicatePackage { package: name });
        }
        // Regular files seen so far, for hard links: one inode, so one mode too.
        let mut hardlinks: BTreeMap<RelPath, (Content, u32)> = BTreeMap::new();
        for file in deb.files {
            let Some(path) = canonical_entry(&file.path) else {
                continue;
            };
            let mut mode = file.mode;
            let kind = match file.kind {
                FileKind::Symlink(target) if path != file.path => {
                    FileKind::Symlink(retarget(&file.path, &path, &target))
                }
                FileKind::Hardlink(target) => {
                    let (content, target_mode) =
                        hardlinks
                            .get(&canonical(&target))
                            .cloned()
                            .ok_or_else(|| Error::HardlinkTarget {
                                deb: name.to_string(),
                                path: file.path.clone(),
                                target: target.clone(),
                            })?;
                    mode = target_mode;
                    FileKind::File(content)
                }
                kind => kind,
            };
            if let FileKind::File(content) = &kind {
                hardlinks.insert(path.clone(), (content.clone(), mode));
            }
            let node = Node {
                kind,
                mode,
                uid: 0,
                gid: 0,
                owners: BTreeSet::from([name.clone()]),
            };
            self.place(&path, node, &deb.package, diversions)?;
        }
        let record = PackageRecord {
            md5sums: deb
                .md5sums
                .into_iter()
                .map(|sum| Md5Sum {
                    path: canonical(&sum.path),
                    md5: sum.md5,
                })
                .collect(),
            conffiles: deb.conffiles.iter().map(canonical).collect(),
            control: deb.control,
            postinst: deb.postinst,
            package: deb.package,
        };
        tracing::debug!(package = %name, "added to tree");
        self.packages.insert(name, record);
        Ok(())
    }

    /// Adds the merged-`/usr` symlinks: `bin`, `sbin` and `lib` always, `lib32`,
    /// `lib64` and `libx32` when `usr/` has that directory.
    pub fn link_merged_usr(&mut self) {
        for dir in MERGED_USR_DIRS {
            let usr_dir = RelPath::new(&format!("usr/{dir}")).unwrap_or_default();
            if ALWAYS_LINKED.contains(&dir) || self.nodes.contains_key(&usr_dir) {
                let path = RelPath::new(dir).unwrap_or_default();
                self.nodes.insert(path, Node::symlink(format!("usr/{dir}")));
            }
        }
    }

    /// Puts a node made by buckle at `path` (canonicalised), replacing what was there
    /// and creating missing parent directories.
    pub fn insert(&mut self, path: &RelPath, node: Node) -> Result<()> {
        let path = canonical(path);
        self.check_parents(&path, None)?;
        self.nodes.insert(path, node);
        Ok(())
    }

    /// The node at `path` (canonicalised, not following symlinks).
    pub fn get(&self, path: &RelPath) -> Option<&Node> {
        self.nodes.get(&canonical(path))
    }

    /// The node at `path` for changing it.
    pub fn get_mut(&mut self, path: &RelPath) -> Option<&mut Node> {
        self.nodes.get_mut(&canonical(path))
    }

    /// Removes `path` and everything under it; returns how many nodes went.
    pub fn remove_all(&mut self, path: &RelPath) -> usize {
        let path = canonical(path);
        let doomed: Vec<RelPath> = self
            .nodes
            .range(path.clone()..)
            .take_while(|(p, _)| p.starts_with(&path))
            .map(|(p, _)| p.clone())
            .collect();
        for p in &doomed {
            self.nodes.remove(p);
        }
        doomed.len()
    }

    /// Keeps only the nodes for which `keep` says yes (the root always stays).
    pub fn retain(&mut self, mut keep: impl FnMut(&RelPath, &Node) -> bool) {
        self.nodes.retain(|p, n| p.is_root() || keep(p, n));
    }

    /// All nodes in path order (a directory before its contents).
    pub fn nodes(&self) -> impl Iterator<Item = (&RelPath, &Node)> {
        self.nodes.iter()
    }

    /// All nodes, for changing modes and owners.
    pub fn nodes_mut(&mut self) -> impl Iterator<Item = (&RelPath, &mut Node)> {
        self.nodes.iter_mut()
    }

    /// The nodes directly or indirectly under `dir`, not `dir` itself.
    pub fn under<'a>(&'a self, dir: &RelPath) -> impl Iterator<Item = (&'a RelPath, &'a Node)> + 'a {
        let dir = canonical(dir);
        self.nodes
            .range(dir.clone()..)
            .skip_while({
                let dir = dir.clone();
                move |(p, _)| **p == dir
            })
            .take_while(move |(p, _)| p.starts_with(&dir))
    }

    /// The packages, by name.
    pub fn packages(&self) -> &BTreeMap<PackageName, PackageRecord> {
        &self.packages
    }

    /// Follows symlinks (in every component) inside the tree, as the kernel would
    /// inside the container: `..` at the root stays at the root. `None` when the path
    /// does not exist or has too many levels of links.
    pub fn resolve(&self, path: &RelPath) -> Option<RelPath> {
        let mut pending: Vec<String> = path.components().map(str::to_owned).collect();
        pending.reverse();
        let mut current = RelPath::root();
        let mut hops = 0;
        while let Some(component) = pending.pop() {
            match component.as_str() {
                "" | "." => continue,
                ".." => {
                    current = current.parent().unwrap_or_default();
                    continue;
                }
                _ => {}
            }
            let next = current.join(&component).ok()?;
            match &self.nodes.get(&next)?.kind {
                FileKind::Symlink(target) => {
                    hops += 1;
                    if hops > MAX_SYMLINK_HOPS {
                        return None;
                    }
                    if target.starts_with('/') {
                        current = RelPath::root();
                    }
                    pending.extend(target.split('/').rev().map(str::to_owned));
                }
                _ => current = next,
            }
        }
        Some(current)
    }

    fn place(
        &mut self,
        path: &RelPath,
        node: Node,
        package: &BinaryPackage,
        diversions: &[Diversion],
    ) -> Result<()> {
        self.check_parents(path, Some(&package.name))?;
        let Some(existing) = self.nodes.get_mut(path) else {
            self.nodes.insert(path.clone(), node);
            return Ok(());
        };
        if existing.owners.is_empty() && existing.is_dir() && node.is_dir() {
            // A parent the tree made, now shipped by a package: take its mode.
            *existing = node;
            return Ok(());
        }
        if existing.kind == node.kind {
            existing.owners.extend(node.owners);
            return Ok(());
        }
        let first = existing.first_owner().cloned();
        let Some(first) = first else {
            return Err(Error::Conflict {
                path: path.clone(),
                first: "buckle".into(),
                second: package.name.to_string(),
                detail: describe_difference(existing, &node),
            });
        };
        if let Some(diversion) = diversions.iter().find(|d| &d.path == path) {
            return self.divert(diversion, node, package);
        }
        let both_plain = !existing.is_dir() && !node.is_dir();
        let first_record = self.packages.get(&first).map(|r| &r.package);
        if both_plain && first_record.is_some_and(|f| replaces(package, f)) {
            tracing::debug!(%path, winner = %package.name, loser = %first, "replaced");
            *existing = node;
            return Ok(());
        }
        if both_plain && first_record.is_some_and(|f| replaces(f, package)) {
            tracing::debug!(%path, winner = %first, loser = %package.name, "replaced");
            return Ok(());
        }
        Err(Error::Conflict {
            path: path.clone(),
            first: first.to_string(),
            second: package.name.to_string(),
            detail: describe_difference(existing, &node),
        })
    }

    fn divert(&mut self, diversion: &Diversion, node: Node, package: &BinaryPackage) -> Result<()> {
        if package.name == diversion.holder {
            if let Some(other) = self.nodes.remove(&diversion.path) {
                self.check_parents(&diversion.divert_to, Some(&package.name))?;
                self.nodes.insert(diversion.divert_to.clone(), other);
            }
            self.nodes.insert(diversion.path.clone(), node);
        } else {
            self.check_parents(&diversion.divert_to, Some(&package.name))?;
            self.nodes.insert(diversion.divert_to.clone(), node);
        }
        Ok(())
    }

    /// Checks (and creates) the parent directories of `path`.
    fn check_parents(&mut self, path: &RelPath, package: Option<&PackageName>) -> Result<()> {
        let mut parent = RelPath::root();
        let mut components = path.components().peekable();
        while let Some(component) = components.next() {
            if components.peek().is_none() {
                break;
            }
            parent = parent.join(component).map_err(|_| Error::Internal {
                what: format!("a component of `{path}` is not a valid path"),
            })?;
            let who = || package.map_or_else(|| "buckle".to_owned(), ToString::to_string);
            match self.nodes.get(&parent).map(|n| &n.kind) {
                None => {
                    self.nodes
                        .insert(parent.clone(), Node::directory(IMPLICIT_DIR_MODE));
                }
                Some(FileKind::Directory) => {}
                Some(FileKind::Symlink(target)) => {
                    let escapes = escapes_root(&parent, target);
                    return Err(Error::ThroughSymlink {
                        package: who(),
                        path: path.clone(),
                        link: parent,
                        target: target.clone(),
                        escapes,
                    });
                }
                Some(_) => {
                    return Err(Error::NotADirectory {
                        package: who(),
                        path: path.clone(),
                        parent,
                    })
                }
            }
        }
        Ok(())
    }
}

/// `path` with a merged-`/usr` alias prefix (`bin/...`, `lib/...`) moved under `usr/`.
/// The aliases themselves (`bin`, `lib`) stay: they are the symlinks.
pub fn canonical(path: &RelPath) -> RelPath {
    let mut components = path.components();
    match (components.next(), components.next()) {
        (Some(first), Some(_)) if MERGED_USR_DIRS.contains(&first) => RelPath::new("usr")
            .map(|usr| usr.join_rel(path))
            .unwrap_or_else(|_| path.clone()),
        _ => path.clone(),
    }
}

/// The canonical path for a package entry, or `None` for the aliased top-level
/// directories themselves, which the tree makes as symlinks.
fn canonical_entry(path: &RelPath) -> Option<RelPath> {
    let mut components = path.components();
    match (components.next(), components.next()) {
        (Some(first), None) if MERGED_USR_DIRS.contains(&first) => None,
        _ => Some(canonical(path)),
    }
}

/// The target for a symlink moved from `from` to `to` that keeps pointing where it
/// did: absolute targets are canonicalised, relative ones resolved against the old
/// place and made relative to the new one.
fn retarget(from: &RelPath, to: &RelPath, target: &str) -> String {
    if let Some(absolute) = target.strip_prefix('/') {
        let canonical_target = lexical(&RelPath::root(), absolute);
        return format!("/{}", canonical(&canonical_target).as_str());
    }
    let old_dir = from.parent().unwrap_or_default();
    let pointed = canonical(&lexical(&old_dir, target));
    relative(&to.parent().unwrap_or_default(), &pointed)
}

/// `dir/target` with `.` and `..` applied (clamped at the root), no symlinks followed.
fn lexical(dir: &RelPath, target: &str) -> RelPath {
    let mut parts: Vec<&str> = dir.components().collect();
    for component in target.split('/') {
        match component {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            name => parts.push(name),
        }
    }
    RelPath::new(&parts.join("/")).unwrap_or_default()
}

/// A relative symlink target that leads from directory `dir` to `to`.
fn relative(dir: &RelPath, to: &RelPath) -> String {
    let from: Vec<&str> = dir.components().collect();
    let dest: Vec<&str> = to.components().collect();
    let common = from.iter().zip(&dest).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<&str> = vec![".."; from.len() - common];
    parts.extend(dest.iter().skip(common));
    if parts.is_empty() {
        ".".to_owned()
    } else {
        parts.join("/")
    }
}

/// Whether a symlink at `link` to `target` climbs above the root.
fn escapes_root(link: &RelPath, target: &str) -> bool {
    if target.starts_with('/') {
        return target.split('/').try_fold(0usize, depth_step).is_none();
    }
    let start = link.parent().unwrap_or_default().components().count();
    target.split('/').try_fold(start, depth_step).is_none()
}

fn depth_step(depth: usize, component: &str) -> Option<usize> {
    match component {
        "" | "." => Some(depth),
        ".." => depth.checked_sub(1),
        _ => Some(depth + 1),
    }
}

/// Whether `winner` declares `Replaces` on `loser` (name and version constraint).
/// (The field was checked when the control file was read.)
fn replaces(winner: &BinaryPackage, loser: &BinaryPackage) -> bool {
    let groups = winner.replaces.parse().unwrap_or_default();
    groups.iter().flatten().any(|relation| {
        relation.name == loser.name
            && relation
                .constraint
                .as_ref()
                .is_none_or(|c| c.allows(&loser.version))
    })
}

fn describe_difference(existing: &Node, new: &Node) -> String {
    match (&existing.kind, &new.kind) {
        (FileKind::File(a), FileKind::File(b)) => format!(
            "different content (sha256 {} and {})",
            a.digest().short(12),
            b.digest().short(12)
        ),
        (FileKind::Symlink(a), FileKind::Symlink(b)) => {
            format!("symlinks to `{a}` and `{b}`")
        }
        (a, b) => format!("a {} and a {}", kind_name(a), kind_name(b)),
    }
}

fn kind_name(kind: &FileKind) -> &'static str {
    match kind {
        FileKind::Directory => "directory",
        FileKind::File(_) => "file",
        FileKind::Symlink(_) => "symlink",
        FileKind::Hardlink(_) => "hard link",
    }
}

#[cfg(test)]
mod tests;
