//! The application's own files: copied from the project into the app layer,
//! filtered by its ignore file, root-owned and read-only.

use crate::error::{Error, Result};
use crate::ignore::IgnoreRules;
use crate::tree::{AppTree, NodeKind};
use buckle_oci::RelPath;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Mode of application files: readable by everyone, writable by no one.
pub const READ_ONLY_FILE: u32 = 0o444;
/// Mode of application directories and executables.
pub const READ_ONLY_EXEC: u32 = 0o555;

/// The ignore files read, first found wins.
pub const IGNORE_FILES: [&str; 2] = [".buckleignore", ".dockerignore"];

/// One `files` entry: a file or directory of the project and where it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMapping {
    /// Relative to the project root.
    pub from: PathBuf,
    /// The path in the image.
    pub to: RelPath,
}

/// The project's ignore rules: `.buckleignore`, else `.dockerignore`, else none.
/// Returns the rules and the file they came from.
pub fn read_ignore_rules(project: &Path) -> Result<(IgnoreRules, Option<PathBuf>)> {
    for name in IGNORE_FILES {
        let path = project.join(name);
        match std::fs::read_to_string(&path) {
            Ok(text) => return Ok((IgnoreRules::parse(&text), Some(path))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(Error::ProjectRead { path, source }),
        }
    }
    Ok((IgnoreRules::default(), None))
}

/// The files of `mappings` under `project`, minus what `ignore` leaves out, as a tree
/// whose files are [`READ_ONLY_FILE`] (or [`READ_ONLY_EXEC`] when any execute bit was
/// set) and whose directories are [`READ_ONLY_EXEC`]. Symbolic links are kept as links;
/// sockets, devices and FIFOs are an error.
pub fn project_tree(project: &Path, mappings: &[FileMapping], ignore: &IgnoreRules) -> Result<AppTree> {
    let mut tree = AppTree::new();
    for mapping in mappings {
        let source = project.join(&mapping.from);
        let relative = relative_name(&mapping.from);
        add_path(&mut tree, &source, &relative, &mapping.to, ignore)?;
    }
    let dirs: Vec<RelPath> = tree
        .nodes()
        .filter(|(_, node)| node.kind == NodeKind::Directory)
        .map(|(path, _)| path.clone())
        .collect();
    for dir in dirs {
        tree.set_mode(&dir, READ_ONLY_EXEC);
    }
    Ok(tree)
}

/// `src/` as the ignore rules see it: `src`; `.` or empty as the root.
fn relative_name(path: &Path) -> String {
    path.components()
        .filter_map(|c| match c {
            std::path::Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn add_path(
    tree: &mut AppTree,
    source: &Path,
    relative: &str,
    target: &RelPath,
    ignore: &IgnoreRules,
) -> Result<()> {
    let read_error = |source_err| Error::ProjectRead {
        path: source.to_owned(),
        source: source_err,
    };
    let ignored = !relative.is_empty() && ignore.is_ignored(relative);
    let meta = std::fs::symlink_metadata(source).map_err(read_error)?;
    let kind = meta.file_type();
    if kind.is_dir() {
        if ignored && !ignore.has_exceptions() {
            return Ok(());
        }
        let mut names: Vec<String> = Vec::new();
        for entry in std::fs::read_dir(source).map_err(read_error)? {
            let entry = entry.map_err(read_error)?;
            let name = entry.file_name();
            let name = name.to_str().ok_or_else(|| Error::ProjectFile {
                path: entry.path(),
                problem: "its name is not UTF-8".to_owned(),
            })?;
            names.push(name.to_owned());
        }
        names.sort();
        if !ignored {
            tree.add_dir(target)?;
        }
        for name in names {
            let child_relative = if relative.is_empty() {
                name.clone()
            } else {
                format!("{relative}/{name}")
            };
            let child_target = target.join(&name).map_err(|_| Error::ProjectFile {
                path: source.join(&name),
                problem: "its name cannot be a path in the image".to_owned(),
            })?;
            add_path(tree, &source.join(&name), &child_relative, &child_target, ignore)?;
        }
        return Ok(());
    }
    if ignored {
        return Ok(());
    }
    if kind.is_symlink() {
        let link = std::fs::read_link(source).map_err(read_error)?;
        let link = link.to_str().ok_or_else(|| Error::ProjectFile {
            path: source.to_owned(),
            problem: "its link target is not UTF-8".to_owned(),
        })?;
        return tree.add_symlink(target, link, "the application");
    }
    if !kind.is_file() {
        return Err(Error::ProjectFile {
            path: source.to_owned(),
            problem: "it is not a regular file, directory or symbolic link".to_owned(),
        });
    }
    let bytes = std::fs::read(source).map_err(read_error)?;
    let mode = if meta.permissions().mode() & 0o111 != 0 {
        READ_ONLY_EXEC
    } else {
        READ_ONLY_FILE
    };
    tree.add_file(target, bytes, mode, "the application")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, path: &str, text: &str) {
        let full = root.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }

    fn listing(tree: &AppTree) -> Vec<(String, u32)> {
        tree.nodes()
            .map(|(p, n)| (p.as_str().to_owned(), n.mode))
            .collect()
    }

    #[test]
    fn project_files_are_filtered_sorted_and_read_only() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "src/app.py", "print('hi')\n");
        write(root, "src/run.sh", "#!/bin/sh\n");
        std::fs::set_permissions(root.join("src/run.sh"), std::fs::Permissions::from_mode(0o775)).unwrap();
        write(root, "src/__pycache__/app.cpython-313.pyc", "x");
        write(root, "src/tests/test_app.py", "");
        write(root, "src/tests/fixtures/data.json", "{}");
        write(root, "src/.env", "SECRET=1");
        std::os::unix::fs::symlink("app.py", root.join("src/main.py")).unwrap();
        write(
            root,
            ".dockerignore",
            "**/__pycache__\nsrc/tests\n!src/tests/fixtures\nsrc/.env\n",
        );
        let (rules, from) = read_ignore_rules(root).unwrap();
        assert_eq!(from.unwrap(), root.join(".dockerignore"));
        let mappings = [FileMapping {
            from: "src/".into(),
            to: RelPath::new("app").unwrap(),
        }];
        let tree = project_tree(root, &mappings, &rules).unwrap();
        assert_eq!(
            listing(&tree),
            [
                ("app".into(), 0o555),
                ("app/app.py".into(), 0o444),
                ("app/main.py".into(), 0o777),
                ("app/run.sh".into(), 0o555),
                ("app/tests".into(), 0o555),
                ("app/tests/fixtures".into(), 0o555),
                ("app/tests/fixtures/data.json".into(), 0o444),
            ]
        );
        assert_eq!(
            tree.get(&RelPath::new("app/main.py").unwrap()).unwrap().kind,
            NodeKind::Symlink("app.py".into())
        );
    }

    #[test]
    fn buckleignore_is_preferred_over_dockerignore() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), ".dockerignore", "a\n");
        write(dir.path(), ".buckleignore", "b\n");
        let (rules, from) = read_ignore_rules(dir.path()).unwrap();
        assert_eq!(from.unwrap(), dir.path().join(".buckleignore"));
        assert!(rules.is_ignored("b") && !rules.is_ignored("a"));
    }

    #[test]
    fn a_missing_source_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let mappings = [FileMapping {
            from: "nope".into(),
            to: RelPath::new("app").unwrap(),
        }];
        let err = project_tree(dir.path(), &mappings, &IgnoreRules::default()).unwrap_err();
        assert!(err.to_string().contains("nope"), "{err}");
    }
}
