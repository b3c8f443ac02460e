//! Documentation out, licences in: `usr/share/doc` keeps only each package's
//! `copyright`; man pages, info, locales and lintian overrides go.

use super::rel;
use crate::deb::FileKind;
use crate::tree::Tree;
use buckle_oci::RelPath;

/// Directories removed whole.
pub const DROPPED_DIRS: [&str; 5] = [
    "usr/share/man",
    "usr/share/info",
    "usr/share/locale",
    "usr/share/lintian",
    "usr/share/linda",
];

const DOC_DIR: &str = "usr/share/doc";

/// Removes [`DROPPED_DIRS`] and everything in `usr/share/doc` except
/// `usr/share/doc/<package>/copyright`. A `usr/share/doc/<package>` symlink to another
/// package's doc directory stays while its target does; doc directories left empty
/// go.
pub fn drop_docs(tree: &mut Tree) {
    let before = tree.nodes().count();
    for dir in DROPPED_DIRS {
        tree.remove_all(&rel(dir));
    }
    let doc = rel(DOC_DIR);
    tree.retain(|path, _| !path.starts_with(&doc) || kept_doc(&doc, path));
    // Directories that ended up empty, then symlinks whose target went.
    let empty: Vec<RelPath> = tree
        .under(&doc)
        .filter(|(path, node)| node.kind == FileKind::Directory && tree.under(path).next().is_none())
        .map(|(path, _)| path.clone())
        .collect();
    for path in &empty {
        tree.remove_all(path);
    }
    let dangling: Vec<RelPath> = tree
        .under(&doc)
        .filter(|(_, node)| matches!(node.kind, FileKind::Symlink(_)))
        .filter(|(path, _)| tree.resolve(path).is_none())
        .map(|(path, _)| path.clone())
        .collect();
    for path in &dangling {
        tree.remove_all(path);
    }
    tracing::debug!(removed = before - tree.nodes().count(), "docs dropped");
}

/// `usr/share/doc/<package>` and `usr/share/doc/<package>/copyright` stay.
fn kept_doc(doc: &RelPath, path: &RelPath) -> bool {
    let depth = path.components().count() - doc.components().count();
    match depth {
        0 | 1 => true,
        2 => path.file_name() == Some("copyright"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{path, tree_of};
    use buckle_testkit::deb::DebBuilder;

    fn exists(tree: &Tree, p: &str) -> bool {
        tree.get(&path(p)).is_some()
    }

    #[test]
    fn copyright_files_stay_and_other_docs_go() {
        let mut tree = tree_of(vec![
            DebBuilder::new("libfoo1", "1", "amd64")
                .file("usr/share/doc/libfoo1/copyright", b"MIT", 0o644)
                .file("usr/share/doc/libfoo1/changelog.Debian.gz", b"log", 0o644)
                .file("usr/share/doc/libfoo1/examples/a.c", b"int main;", 0o644)
                .file("usr/share/man/man1/foo.1.gz", b"man", 0o644)
                .file("usr/share/info/foo.info.gz", b"info", 0o644)
                .file("usr/share/locale/de/LC_MESSAGES/foo.mo", b"mo", 0o644)
                .file("usr/share/lintian/overrides/libfoo1", b"x", 0o644)
                .file("usr/lib/locale/C.utf8/LC_CTYPE", b"ctype", 0o644),
            DebBuilder::new("nodocs", "1", "amd64").file("usr/share/doc/nodocs/README", b"x", 0o644),
        ]);
        drop_docs(&mut tree);
        assert!(exists(&tree, "usr/share/doc/libfoo1/copyright"));
        for gone in [
            "usr/share/doc/libfoo1/changelog.Debian.gz",
            "usr/share/doc/libfoo1/examples",
            "usr/share/man",
            "usr/share/info",
            "usr/share/locale",
            "usr/share/lintian",
            "usr/share/doc/nodocs",
        ] {
            assert!(!exists(&tree, gone), "{gone} should be gone");
        }
        assert!(
            exists(&tree, "usr/lib/locale/C.utf8/LC_CTYPE"),
            "the C.UTF-8 locale is not a translation"
        );
    }

    #[test]
    fn doc_symlinks_stay_consistent() {
        let mut tree = tree_of(vec![
            DebBuilder::new("libfoo1", "1", "amd64").file("usr/share/doc/libfoo1/copyright", b"MIT", 0o644),
            DebBuilder::new("libfoo-bin", "1", "amd64").symlink("usr/share/doc/libfoo-bin", "libfoo1"),
            DebBuilder::new("libbar1", "1", "amd64").file("usr/share/doc/libbar1/NEWS", b"news", 0o644),
            DebBuilder::new("libbar-bin", "1", "amd64").symlink("usr/share/doc/libbar-bin", "libbar1"),
        ]);
        drop_docs(&mut tree);
        assert!(
            exists(&tree, "usr/share/doc/libfoo-bin"),
            "its target keeps a copyright"
        );
        assert_eq!(
            tree.resolve(&path("usr/share/doc/libfoo-bin/copyright")),
            Some(path("usr/share/doc/libfoo1/copyright"))
        );
        assert!(!exists(&tree, "usr/share/doc/libbar1"));
        assert!(
            !exists(&tree, "usr/share/doc/libbar-bin"),
            "a link to a removed doc dir goes too"
        );
    }
}
