//! The image's merged file system as retrofit sees it: every path with its kind, mode
//! and owner, symlinks resolved inside the image, and the contents of the few files
//! that are read.

use buckle_oci::tar::{Entry, EntryKind};
use buckle_oci::RelPath;
use std::collections::BTreeMap;

/// More hops than this is a loop (the kernel's limit).
const MAX_SYMLINK_HOPS: usize = 40;

/// The image's final file system: path -> its topmost entry.
#[derive(Debug, Clone, Default)]
pub struct Files {
    entries: BTreeMap<RelPath, Entry>,
    contents: BTreeMap<RelPath, Vec<u8>>,
}

/// Where a path leads: the path itself after every symlink is followed, and the
/// symlinks it leads through as a whole (the path itself first, when it is one), not
/// those of its directories (`/lib` -> `usr/lib`, whose owners are not the file's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub target: RelPath,
    pub links: Vec<RelPath>,
}

impl Files {
    /// The file system of `entries` (the merged view, one entry per path).
    pub fn new(entries: impl IntoIterator<Item = Entry>) -> Self {
        Files {
            entries: entries.into_iter().map(|e| (e.path.clone(), e)).collect(),
            contents: BTreeMap::new(),
        }
    }

    /// Adds the content of the regular file at `path` (those [`crate::wants_content`] asks for).
    pub fn add_content(&mut self, path: RelPath, content: Vec<u8>) {
        self.contents.insert(path, content);
    }

    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.values()
    }

    pub fn get(&self, path: &RelPath) -> Option<&Entry> {
        self.entries.get(path)
    }

    /// The content of the regular file at `path`, when it was added.
    pub fn content(&self, path: &RelPath) -> Option<&[u8]> {
        self.contents.get(path).map(Vec::as_slice)
    }

    /// Follows every symlink of `path` (absolute or not, taken from the root) inside the
    /// image; `None` when some component is missing or the links loop.
    pub fn resolve(&self, path: &str) -> Option<Resolved> {
        self.walk(path)
    }

    /// Follows the symlinks of `path`'s directories but not of its last component: where a
    /// package's file list entry `/lib/x/libz.so.1` is in a merged-/usr image. `None`
    /// when a directory is missing.
    pub fn resolve_parent(&self, path: &str) -> Option<RelPath> {
        let trimmed = path.trim_matches('/');
        let (dir, name) = trimmed.rsplit_once('/').unwrap_or(("", trimmed));
        let parent = self.walk(dir)?.target;
        if name.is_empty() {
            return Some(parent);
        }
        parent.join(name).ok()
    }

    fn walk(&self, path: &str) -> Option<Resolved> {
        let mut pending: Vec<String> = path.split('/').rev().map(str::to_owned).collect();
        let mut current = RelPath::root();
        let mut links = Vec::new();
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
            let entry = self.entries.get(&next)?;
            match &entry.kind {
                EntryKind::Symlink { target } => {
                    if links.len() >= MAX_SYMLINK_HOPS {
                        return None;
                    }
                    if pending.is_empty() {
                        links.push(next);
                    }
                    if target.starts_with('/') {
                        current = RelPath::root();
                    }
                    pending.extend(target.split('/').rev().map(str::to_owned));
                }
                _ => current = next,
            }
        }
        Some(Resolved {
            target: current,
            links,
        })
    }

    /// Whether `path` is a regular file (or a hard link to one).
    pub fn is_file(&self, path: &RelPath) -> bool {
        self.entries
            .get(path)
            .is_some_and(|e| matches!(e.kind, EntryKind::File { .. } | EntryKind::Hardlink { .. }))
    }
}
