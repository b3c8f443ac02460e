//! Which installed package owns each path, from dpkg's file lists.

use crate::files::Files;
use buckle_debian::PackageName;
use buckle_oci::RelPath;
use std::collections::{BTreeMap, BTreeSet};

/// The installed packages and the paths their file lists name, as the image has them
/// (a merged-/usr image keeps `/lib/...` of a list under `/usr/lib/...`).
#[derive(Debug, Clone, Default)]
pub struct Owners {
    installed: BTreeSet<PackageName>,
    owners: BTreeMap<RelPath, BTreeSet<PackageName>>,
}

impl Owners {
    /// Reads each installed package's file list: a `.list` (one absolute path a line) or
    /// an `.md5sums` (`HASH  relative/path` lines); `None` when the package has none.
    pub fn from_lists<'a>(
        files: &Files,
        lists: impl IntoIterator<Item = (PackageName, Option<&'a str>)>,
    ) -> Self {
        let mut out = Owners::default();
        for (package, list) in lists {
            for line in list.unwrap_or_default().lines() {
                let listed = match line.split_once("  ") {
                    Some((hash, path)) if !line.starts_with('/') && !hash.contains('/') => path,
                    _ => line,
                };
                let Some(path) = files.resolve_parent(listed.trim_end()) else {
                    continue;
                };
                if !path.is_root() {
                    out.owners.entry(path).or_default().insert(package.clone());
                }
            }
            out.installed.insert(package);
        }
        out
    }

    /// The packages whose lists name `path` (empty for the app's own files).
    pub fn of(&self, path: &RelPath) -> impl Iterator<Item = &PackageName> {
        self.owners.get(path).into_iter().flatten()
    }

    pub fn owns(&self, path: &RelPath) -> bool {
        self.owners.contains_key(path)
    }

    pub fn installed(&self) -> &BTreeSet<PackageName> {
        &self.installed
    }
}
