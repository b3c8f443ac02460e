//! The install arrow's output: a file tree relative to the image root.
//!
//! Every entry is root-owned; modes are normalised by the installers (0644 for files,
//! 0755 for directories and executables). Parent directories are created as entries
//! are added, so the tree always describes a complete layer. Two packages that put
//! different things at one path are an error naming both.

use crate::error::{Error, Result};
use buckle_oci::tar::{Compression, Entry, LayerDigests, LayerWriter};
use buckle_oci::RelPath;
use std::collections::BTreeMap;
use std::io::Write;

/// Mode of the directories the tree creates.
pub(crate) const DIR_MODE: u32 = 0o755;
/// Mode of regular files.
pub(crate) const FILE_MODE: u32 = 0o644;
/// Mode of executables.
pub(crate) const EXEC_MODE: u32 = 0o755;

/// What a path is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeKind {
    /// A directory.
    Directory,
    /// A regular file with its bytes.
    File(Vec<u8>),
    /// A symbolic link with its target text.
    Symlink(String),
}

/// One path of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppNode {
    /// What it is.
    pub kind: NodeKind,
    /// Permission bits.
    pub mode: u32,
    /// The package that put it there (empty for directories the tree created).
    pub owner: String,
}

/// Files to add to an image, keyed by path; root-owned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppTree {
    nodes: BTreeMap<RelPath, AppNode>,
}

impl AppTree {
    /// An empty tree.
    pub fn new() -> Self {
        AppTree::default()
    }

    /// Adds a file owned by `owner`, creating its parents.
    pub fn add_file(&mut self, path: &RelPath, bytes: Vec<u8>, mode: u32, owner: &str) -> Result<()> {
        self.add(path, NodeKind::File(bytes), mode, owner)
    }

    /// Adds a symbolic link owned by `owner`, creating its parents.
    pub fn add_symlink(&mut self, path: &RelPath, target: &str, owner: &str) -> Result<()> {
        self.add(path, NodeKind::Symlink(target.to_owned()), 0o777, owner)
    }

    /// Adds a directory (and its parents); an existing directory is kept.
    pub fn add_dir(&mut self, path: &RelPath) -> Result<()> {
        if path.is_root() {
            return Ok(());
        }
        match self.nodes.get(path) {
            Some(AppNode {
                kind: NodeKind::Directory,
                ..
            }) => Ok(()),
            Some(other) => Err(Error::TreeConflict {
                path: path.clone(),
                first: other.owner.clone(),
                second: "a directory".to_owned(),
            }),
            None => {
                if let Some(parent) = path.parent() {
                    self.add_dir(&parent)?;
                }
                self.nodes.insert(
                    path.clone(),
                    AppNode {
                        kind: NodeKind::Directory,
                        mode: DIR_MODE,
                        owner: String::new(),
                    },
                );
                Ok(())
            }
        }
    }

    fn add(&mut self, path: &RelPath, kind: NodeKind, mode: u32, owner: &str) -> Result<()> {
        if path.is_root() {
            return Err(Error::TreeConflict {
                path: path.clone(),
                first: "the root directory".to_owned(),
                second: owner.to_owned(),
            });
        }
        if let Some(parent) = path.parent() {
            self.add_dir(&parent)?;
        }
        if let Some(existing) = self.nodes.get(path) {
            if existing.kind == kind && existing.mode == mode {
                return Ok(());
            }
            return Err(Error::TreeConflict {
                path: path.clone(),
                first: if existing.owner.is_empty() {
                    "a directory".to_owned()
                } else {
                    existing.owner.clone()
                },
                second: owner.to_owned(),
            });
        }
        self.nodes.insert(
            path.clone(),
            AppNode {
                kind,
                mode,
                owner: owner.to_owned(),
            },
        );
        Ok(())
    }

    /// Removes the node at `path` (not its children).
    pub(crate) fn remove(&mut self, path: &RelPath) {
        self.nodes.remove(path);
    }

    /// Sets the mode of the node at `path`; false when there is none.
    pub(crate) fn set_mode(&mut self, path: &RelPath, mode: u32) -> bool {
        match self.nodes.get_mut(path) {
            Some(node) => {
                node.mode = mode;
                true
            }
            None => false,
        }
    }

    /// The node at `path`.
    pub fn get(&self, path: &RelPath) -> Option<&AppNode> {
        self.nodes.get(path)
    }

    /// All nodes in path order (a directory before its contents).
    pub fn nodes(&self) -> impl Iterator<Item = (&RelPath, &AppNode)> {
        self.nodes.iter()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the tree has no entries.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Adds every node of `other`, with the same conflict rules.
    pub fn merge(&mut self, other: AppTree) -> Result<()> {
        for (path, node) in other.nodes {
            match node.kind {
                NodeKind::Directory => self.add_dir(&path)?,
                kind => self.add(&path, kind, node.mode, &node.owner)?,
            }
        }
        Ok(())
    }

    /// Appends every node, in path order, to a layer being written.
    pub fn append_all<W: Write>(&self, writer: &mut LayerWriter<W>) -> Result<()> {
        for (path, node) in &self.nodes {
            match &node.kind {
                NodeKind::Directory => {
                    writer.append(&Entry::directory(path.clone(), node.mode), std::io::empty())?
                }
                NodeKind::File(bytes) => writer.append(
                    &Entry::file(path.clone(), node.mode, bytes.len() as u64),
                    bytes.as_slice(),
                )?,
                NodeKind::Symlink(target) => {
                    writer.append(&Entry::symlink(path.clone(), target.clone()), std::io::empty())?
                }
            }
        }
        Ok(())
    }

    /// Writes the tree as one deterministic layer (every entry root-owned, mtime
    /// `source_date_epoch`) into `out`; returns the layer's digests.
    pub fn write_layer<W: Write>(
        &self,
        out: W,
        compression: Compression,
        source_date_epoch: u64,
    ) -> Result<(LayerDigests, W)> {
        let mut writer = LayerWriter::new(out, compression, source_date_epoch)?;
        self.append_all(&mut writer)?;
        Ok(writer.finish()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(s: &str) -> RelPath {
        RelPath::new(s).unwrap()
    }

    #[test]
    fn adding_a_file_creates_its_parent_directories() {
        let mut tree = AppTree::new();
        tree.add_file(&path("a/b/c.txt"), b"x".to_vec(), FILE_MODE, "p 1")
            .unwrap();
        let kinds: Vec<_> = tree
            .nodes()
            .map(|(p, n)| (p.as_str().to_owned(), n.mode))
            .collect();
        assert_eq!(
            kinds,
            [
                ("a".into(), 0o755),
                ("a/b".into(), 0o755),
                ("a/b/c.txt".into(), 0o644)
            ]
        );
    }

    #[test]
    fn two_packages_with_different_files_at_one_path_conflict() {
        let mut tree = AppTree::new();
        tree.add_file(&path("x"), b"1".to_vec(), FILE_MODE, "one 1.0")
            .unwrap();
        tree.add_file(&path("x"), b"1".to_vec(), FILE_MODE, "two 1.0")
            .unwrap();
        let err = tree
            .add_file(&path("x"), b"2".to_vec(), FILE_MODE, "two 1.0")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "`x` is installed by both `one 1.0` and `two 1.0` with different content"
        );
    }

    #[test]
    fn layer_is_the_same_bytes_every_time() {
        let mut tree = AppTree::new();
        tree.add_file(&path("usr/bin/tool"), b"#!/bin/true\n".to_vec(), EXEC_MODE, "t")
            .unwrap();
        tree.add_symlink(&path("usr/bin/alias"), "tool", "t").unwrap();
        let (one, a) = tree.write_layer(Vec::new(), Compression::Gzip, 0).unwrap();
        let (two, b) = tree.write_layer(Vec::new(), Compression::Gzip, 0).unwrap();
        assert_eq!(a, b);
        assert_eq!(one.diff_id, two.diff_id);
    }
}
