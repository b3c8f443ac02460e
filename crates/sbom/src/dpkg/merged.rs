//! [`ImageFiles`] over `buckle-oci`'s merged file map ([`buckle_oci::Image::merged_files`]),
//! following symlinks (at any component, relative or absolute, kept inside the root) and
//! hard links the way the kernel would inside the image.

use super::{Detail, ImageFiles};
use crate::error::ReadError;
use buckle_oci::tar::EntryKind;
use buckle_oci::{MergedFile, RelPath};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Symlinks followed before a path counts as a loop (Linux's limit).
const MAX_SYMLINKS: usize = 40;

/// Names what [`needs_content`] keeps for [`Detail::Packages`], for layer indexes that
/// carry those contents (`buckle_oci::layer_index`): change it whenever that changes,
/// so that images indexed under the old rules are read in full.
pub const PACKAGES_CONTENT_RULES: &str = "buckle-sbom dpkg packages 1";

/// [`needs_content`] for [`Detail::Packages`].
pub fn needs_package_content(path: &str) -> bool {
    needs_content(path, Detail::Packages)
}

/// Whether [`super::collect`] at `detail` reads the content of the file at `path` (relative
/// to the image root): pass this to [`buckle_oci::Image::merged_files`] so that only those
/// files are held in memory.
///
/// ```
/// use buckle_sbom::dpkg::{needs_content, Detail};
///
/// assert!(needs_content("var/lib/dpkg/status", Detail::Packages));
/// assert!(needs_content("usr/share/doc/libc6/copyright", Detail::Packages));
/// assert!(!needs_content("usr/bin/python3.13", Detail::Packages));
/// assert!(needs_content("usr/bin/python3.13", Detail::Files));
/// assert!(needs_content("var/lib/dpkg/info/libc6:amd64.list", Detail::Owners));
/// assert!(!needs_content("var/lib/dpkg/info/libc6:amd64.list", Detail::Packages));
/// assert!(!needs_content("usr/bin/python3.13", Detail::Owners));
/// ```
pub fn needs_content(path: &str, detail: Detail) -> bool {
    if detail == Detail::Files {
        return true;
    }
    let file_list = path
        .strip_prefix("var/lib/dpkg/info/")
        .is_some_and(|name| name.ends_with(".list") || name.ends_with(".md5sums"));
    if detail == Detail::Owners && file_list {
        return true;
    }
    let doc_copyright = path
        .strip_prefix("usr/share/doc/")
        .and_then(|rest| rest.strip_suffix("/copyright"))
        .is_some_and(|package| !package.contains('/'));
    doc_copyright
        || path == "var/lib/dpkg/status"
        || path.starts_with("var/lib/dpkg/status.d/")
        || path == crate::app::APP_PACKAGES.trim_start_matches('/')
        || path == "etc/os-release"
        || path == "usr/lib/os-release"
}

impl ImageFiles for BTreeMap<RelPath, MergedFile> {
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>, ReadError> {
        let Some(file) = resolve(self, path)?.and_then(|path| regular_file(self, &path)) else {
            return Ok(None);
        };
        match &file.content {
            Some(content) => Ok(Some(content.clone())),
            None => Err(format!(
                "the content of `{}` was not kept when the layers were read (see `needs_content`)",
                file.entry.path
            )
            .into()),
        }
    }

    fn list_dir(&self, dir: &str) -> Result<Vec<String>, ReadError> {
        let Some(dir) = resolve(self, dir)? else {
            return Ok(Vec::new());
        };
        let prefix = if dir.is_root() {
            String::new()
        } else {
            format!("{dir}/")
        };
        let names: BTreeSet<String> = self
            .range(dir.clone()..)
            .map(|(path, _)| path)
            .take_while(|path| path.starts_with(&dir))
            .filter_map(|path| path.as_str().strip_prefix(prefix.as_str()))
            .filter_map(|rest| rest.split('/').next())
            .filter(|name| !name.is_empty())
            .map(str::to_owned)
            .collect();
        Ok(names.into_iter().collect())
    }

    fn regular_files(&self) -> Result<Vec<String>, ReadError> {
        Ok(self
            .keys()
            .filter(|path| regular_file(self, path).is_some())
            .map(|path| format!("/{path}"))
            .collect())
    }
}

/// The file at `path` when it is a regular file or a hard link to one.
fn regular_file<'a>(files: &'a BTreeMap<RelPath, MergedFile>, path: &RelPath) -> Option<&'a MergedFile> {
    let file = files.get(path)?;
    match &file.entry.kind {
        EntryKind::File { .. } => Some(file),
        EntryKind::Hardlink { target } => files
            .get(target)
            .filter(|target| matches!(target.entry.kind, EntryKind::File { .. })),
        _ => None,
    }
}

/// `path` with every symlink on the way replaced by its target; `None` when a component
/// is missing (directories without entries of their own still count as present).
fn resolve(files: &BTreeMap<RelPath, MergedFile>, path: &str) -> Result<Option<RelPath>, ReadError> {
    let mut pending: VecDeque<String> = components(path).collect();
    let mut current: Vec<String> = Vec::new();
    let mut followed = 0;
    while let Some(component) = pending.pop_front() {
        if component == ".." {
            current.pop();
            continue;
        }
        current.push(component);
        let here = relative(&current)?;
        match files.get(&here).map(|file| &file.entry.kind) {
            Some(EntryKind::Symlink { target }) => {
                followed += 1;
                if followed > MAX_SYMLINKS {
                    return Err(format!("too many levels of symbolic links resolving `{path}`").into());
                }
                current.pop();
                if target.starts_with('/') {
                    current.clear();
                }
                for part in components(target).rev() {
                    pending.push_front(part);
                }
            }
            Some(_) => {}
            None if has_children(files, &here) => {}
            None => return Ok(None),
        }
    }
    Ok(Some(relative(&current)?))
}

fn relative(components: &[String]) -> Result<RelPath, ReadError> {
    if components.is_empty() {
        return Ok(RelPath::root());
    }
    Ok(RelPath::new(&components.join("/"))?)
}

fn components(path: &str) -> impl DoubleEndedIterator<Item = String> + '_ {
    path.split('/')
        .filter(|part| !part.is_empty() && *part != ".")
        .map(str::to_owned)
}

fn has_children(files: &BTreeMap<RelPath, MergedFile>, dir: &RelPath) -> bool {
    files
        .range(dir.clone()..)
        .next()
        .is_some_and(|(path, _)| path.starts_with(dir))
}

#[cfg(test)]
mod tests {
    use super::*;
    use buckle_oci::tar::Entry;

    fn rel(path: &str) -> RelPath {
        RelPath::new(path).unwrap()
    }

    fn merged(entries: Vec<(Entry, Option<&[u8]>)>) -> BTreeMap<RelPath, MergedFile> {
        entries
            .into_iter()
            .map(|(entry, content)| {
                let file = MergedFile {
                    entry,
                    layer: 0,
                    content: content.map(<[u8]>::to_vec),
                    sha256: None,
                };
                (file.entry.path.clone(), file)
            })
            .collect()
    }

    fn image() -> BTreeMap<RelPath, MergedFile> {
        merged(vec![
            (
                Entry::symlink(rel("etc/os-release"), "../usr/lib/os-release"),
                None,
            ),
            (
                Entry::file(rel("usr/lib/os-release"), 0o644, 9),
                Some(b"ID=debian"),
            ),
            (
                Entry::symlink(rel("usr/share/doc/libgcc-s1"), "gcc-14-base"),
                None,
            ),
            (Entry::directory(rel("usr/share/doc/gcc-14-base"), 0o755), None),
            (
                Entry::file(rel("usr/share/doc/gcc-14-base/copyright"), 0o644, 3),
                Some(b"gcc"),
            ),
            (Entry::symlink(rel("bin"), "/usr/bin"), None),
            (Entry::file(rel("usr/bin/dash"), 0o755, 4), None),
            (
                Entry::hardlink(rel("usr/bin/sh.hard"), rel("usr/bin/dash"), 0o755),
                None,
            ),
            (Entry::symlink(rel("loop"), "loop"), None),
        ])
    }

    #[test]
    fn reads_follow_relative_absolute_and_directory_symlinks() {
        let image = image();
        assert_eq!(image.read("/etc/os-release").unwrap().unwrap(), b"ID=debian");
        assert_eq!(
            image.read("/usr/share/doc/libgcc-s1/copyright").unwrap().unwrap(),
            b"gcc"
        );
        assert_eq!(image.read("/usr/share/doc/missing/copyright").unwrap(), None);
        assert_eq!(
            image.read("/usr/share/doc/gcc-14-base").unwrap(),
            None,
            "a directory"
        );
    }

    #[test]
    fn content_that_was_not_kept_is_an_error_not_an_absent_file() {
        let err = image().read("/bin/dash").unwrap_err();
        assert_eq!(
            err.to_string(),
            "the content of `usr/bin/dash` was not kept when the layers were read (see `needs_content`)"
        );
    }

    #[test]
    fn symlink_loops_are_an_error() {
        let err = image().read("/loop/x").unwrap_err();
        assert_eq!(
            err.to_string(),
            "too many levels of symbolic links resolving `/loop/x`"
        );
    }

    #[test]
    fn regular_files_include_hard_links_and_leave_out_symlinks_and_directories() {
        assert_eq!(
            image().regular_files().unwrap(),
            [
                "/usr/bin/dash",
                "/usr/bin/sh.hard",
                "/usr/lib/os-release",
                "/usr/share/doc/gcc-14-base/copyright"
            ]
        );
    }

    #[test]
    fn directories_list_through_symlinks_and_implied_parents() {
        let image = image();
        assert_eq!(image.list_dir("/usr/share/doc/libgcc-s1").unwrap(), ["copyright"]);
        assert_eq!(image.list_dir("/bin").unwrap(), ["dash", "sh.hard"]);
        assert_eq!(image.list_dir("/usr/share").unwrap(), ["doc"]);
        assert!(image.list_dir("/var/lib/dpkg/status.d").unwrap().is_empty());
    }

    #[test]
    fn packages_detail_keeps_only_what_collect_reads() {
        for wanted in [
            "var/lib/dpkg/status",
            "var/lib/dpkg/status.d/tzdata",
            "usr/share/doc/tzdata/copyright",
            "etc/os-release",
            "usr/lib/os-release",
        ] {
            assert!(needs_content(wanted, Detail::Packages), "{wanted}");
        }
        for unwanted in [
            "usr/share/doc/tzdata/changelog.gz",
            "usr/share/doc/a/b/copyright",
            "usr/bin/tzselect",
        ] {
            assert!(!needs_content(unwanted, Detail::Packages), "{unwanted}");
        }
    }

    #[test]
    fn owners_detail_reads_only_the_file_lists_it_keeps() {
        let status =
            b"Package: dash\nStatus: install ok installed\nVersion: 0.5.12-12\nArchitecture: amd64\n";
        let list = b"/.\n/usr\n/usr/bin\n/usr/bin/dash\n";
        let entries = vec![
            (Entry::file(rel("var/lib/dpkg/status"), 0o644, 0), &status[..]),
            (
                Entry::file(rel("var/lib/dpkg/info/dash.list"), 0o644, 0),
                &list[..],
            ),
            (Entry::file(rel("usr/bin/dash"), 0o755, 0), b"\x7fELF"),
        ];
        // Held in memory only where needs_content says so, as Image::merged_files does.
        let files = merged(
            entries
                .into_iter()
                .map(|(entry, content)| {
                    let keep = needs_content(entry.path.as_str(), Detail::Owners);
                    (entry, keep.then_some(content))
                })
                .collect(),
        );
        assert!(files[&rel("usr/bin/dash")].content.is_none());
        let found = crate::dpkg::collect(&files, Detail::Owners).unwrap();
        let dash = found
            .owners
            .unwrap()
            .into_iter()
            .find(|o| o.path == "/usr/bin/dash")
            .unwrap();
        assert_eq!(
            dash.packages,
            ["dash".parse::<buckle_debian::PackageName>().unwrap()]
        );
    }
}
