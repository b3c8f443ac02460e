//! The upstream artifact arrow's unpack: a verified archive (`.tar.gz`, `.tgz`,
//! `.tar.xz`) -> the files of a layer of its own.
//!
//! Entries go through the same safe tar reader as a `.deb`'s `data.tar` (no absolute
//! or `..` paths, no device nodes, size caps). `strip-components` leading components
//! are dropped, only the spec's `paths` are kept (all when it lists none), and what
//! remains lands under `prefix`. Ownership and modes are normalised: everything is
//! root's, directories are 0755, files 0755 when any execute bit was set and 0644
//! otherwise (no setuid, setgid, sticky or world-writable bit survives), and hard
//! links become files sharing one content. The spec's `links` are added as symlinks.

use crate::content::Content;
use crate::deb::{read_data, FileKind, Limits};
use crate::error::{Error, Result};
use crate::tree::{Node, Tree};
use buckle_oci::RelPath;
use buckle_spec::Upstream;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};

/// An upstream artifact unpacked: the tree of its layer.
#[derive(Debug, Clone)]
pub struct UpstreamLayer {
    /// The spec's `upstream.name`.
    pub name: String,
    /// The exact version.
    pub version: String,
    /// Its files, their parent directories, and the spec's links.
    pub tree: Tree,
}

impl UpstreamLayer {
    /// The layer's name in the manifest history: `upstream-<name>`.
    pub fn layer_name(&self) -> String {
        format!("upstream-{}", self.name)
    }
}

/// Unpacks `archive` (gzip or xz compressed tar, told apart by its magic bytes) as
/// `upstream` declares it; `file` names the archive in errors.
pub fn unpack_upstream(
    upstream: &Upstream,
    version: &str,
    file: &str,
    archive: impl Read,
    limits: &Limits,
) -> Result<UpstreamLayer> {
    let format = |problem: String| Error::UpstreamFormat {
        name: upstream.name.clone(),
        file: file.to_owned(),
        problem,
    };
    let mut input = BufReader::new(archive);
    let magic = input.fill_buf().map_err(|source| Error::DebRead {
        deb: file.to_owned(),
        member: "archive".to_owned(),
        source,
    })?;
    let stream: Box<dyn Read> = if magic.starts_with(&[0x1f, 0x8b]) {
        Box::new(flate2::read::MultiGzDecoder::new(input))
    } else if magic.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        Box::new(liblzma::read::XzDecoder::new_multi_decoder(input))
    } else {
        return Err(format(
            "it is neither gzip nor xz compressed: expected a `.tar.gz` or `.tar.xz`".into(),
        ));
    };
    let entries = read_data(file, "archive", stream, limits)?;
    let prefix = RelPath::new(upstream.prefix.trim_start_matches('/'))
        .map_err(|e| format(format!("prefix `{}`: {e}", upstream.prefix)))?;
    let mut tree = Tree::new();
    let mut contents: BTreeMap<RelPath, Content> = BTreeMap::new();
    let mut kept = 0usize;
    for entry in entries {
        let Some(inner) = strip(&entry.path, upstream.strip_components) else {
            continue;
        };
        if !wanted(&inner, &upstream.paths) {
            continue;
        }
        let path = prefix.join_rel(&inner);
        let node = match entry.kind {
            FileKind::Directory => Node::directory(0o755),
            FileKind::File(content) => {
                contents.insert(entry.path.clone(), content.clone());
                Node::file(content, file_mode(entry.mode))
            }
            FileKind::Hardlink(target) => {
                let content = contents.get(&target).cloned().ok_or_else(|| {
                    format(format!(
                        "hard link `{}` points at `{target}`, which is not kept",
                        entry.path
                    ))
                })?;
                Node::file(content, file_mode(entry.mode))
            }
            FileKind::Symlink(target) => Node::symlink(target),
        };
        tree.insert(&path, node)?;
        kept += 1;
    }
    if let Some(missing) = upstream
        .paths
        .iter()
        .find(|p| !tree.nodes().any(|(path, _)| under(path, &prefix, p)))
    {
        return Err(format(format!(
            "it has no `{missing}` (after dropping {} leading path components)",
            upstream.strip_components
        )));
    }
    if kept == 0 {
        return Err(format(
            "no entry is left after `strip-components` and `paths`".into(),
        ));
    }
    for (link, target) in &upstream.links {
        let path =
            RelPath::new(link.trim_start_matches('/')).map_err(|e| format(format!("link `{link}`: {e}")))?;
        tree.insert(&path, Node::symlink(target.clone()))?;
    }
    tracing::debug!(name = %upstream.name, version, files = kept, "upstream artifact unpacked");
    Ok(UpstreamLayer {
        name: upstream.name.clone(),
        version: version.to_owned(),
        tree,
    })
}

/// `path` without its first `n` components; `None` when nothing is left.
fn strip(path: &RelPath, n: usize) -> Option<RelPath> {
    let rest: Vec<&str> = path.as_str().split('/').skip(n).collect();
    if rest.is_empty() {
        return None;
    }
    RelPath::new(&rest.join("/")).ok().filter(|p| !p.is_root())
}

/// Whether `path` (relative to the archive) is kept: one of `paths`, under one, or a
/// directory above one.
fn wanted(path: &RelPath, paths: &[String]) -> bool {
    let p = path.as_str();
    paths.is_empty()
        || paths.iter().any(|keep| {
            p == keep
                || p.strip_prefix(keep.as_str())
                    .is_some_and(|rest| rest.starts_with('/'))
                || keep.strip_prefix(p).is_some_and(|rest| rest.starts_with('/'))
        })
}

/// Whether `path` in the image is `keep` under `prefix`, or below it.
fn under(path: &RelPath, prefix: &RelPath, keep: &str) -> bool {
    prefix.join(keep).is_ok_and(|full| path.starts_with(&full))
}

/// 0755 when any execute bit is set, else 0644.
fn file_mode(mode: u32) -> u32 {
    if mode & 0o111 != 0 {
        0o755
    } else {
        0o644
    }
}

/// Checks that `layer` only adds to `tree` (the image's Debian files): no file or
/// link of the artifact replaces one of a package, and no directory of it stands
/// where the image has a file or symlink (such as merged `/usr`'s `/lib`). Shared
/// directories take the image's mode and owner, so the layer does not change them.
pub fn merge_check(tree: &Tree, layer: &mut UpstreamLayer) -> Result<()> {
    adopt_directories(tree, &mut layer.tree).map_err(|(path, owner)| Error::UpstreamConflict {
        name: layer.name.clone(),
        path,
        owner,
    })
}

/// Gives each directory of `layer` that `tree` has too the tree's mode and owner. A
/// path both have that is not a directory in both is a conflict: that path and who
/// puts it in `tree` (a package, or `buckle`).
pub(crate) fn adopt_directories(tree: &Tree, layer: &mut Tree) -> std::result::Result<(), (RelPath, String)> {
    for (path, node) in layer.nodes_mut() {
        if path.is_root() {
            continue;
        }
        let Some(existing) = tree.get(path) else {
            continue;
        };
        let both_dirs = existing.kind == FileKind::Directory && node.kind == FileKind::Directory;
        if !both_dirs {
            let owner = existing
                .first_owner()
                .map_or_else(|| "buckle".to_owned(), ToString::to_string);
            return Err((path.clone(), owner));
        }
        node.mode = existing.mode;
        node.uid = existing.uid;
        node.gid = existing.gid;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
