//! dpkg metadata as flat files, the layout distroless uses and syft, trivy and grype
//! read: `var/lib/dpkg/status.d/<package>` holds the package's control fields
//! (`Source:` included) and `<package>.md5sums` its files. There is no
//! `var/lib/dpkg/status`.

use super::rel;
use crate::deb::FileKind;
use crate::error::Result;
use crate::tree::{Node, Tree};
use std::fmt::Write as _;

/// The directory of per-package status files.
pub const STATUS_DIR: &str = "var/lib/dpkg/status.d";

/// Writes one status file and one md5sums file per package. The md5sums list only
/// the package's regular files still in the image (docs dropped, files another
/// package replaced left out), with their canonical (merged-`/usr`) paths. A package
/// whose `.deb` listed files of which none is left gets an empty md5sums: the proof
/// that its code is not in the image (a scan assumes nothing without one).
pub fn dpkg_metadata(tree: &mut Tree) -> Result<()> {
    tree.remove_all(&rel("var/lib/dpkg/status"));
    let mut files = Vec::new();
    for (name, record) in tree.packages() {
        let mut control = record.control.trim_end().to_owned();
        control.push('\n');
        files.push((format!("{STATUS_DIR}/{name}"), control));
        let mut md5sums = String::new();
        for sum in &record.md5sums {
            let owned_file = tree
                .get(&sum.path)
                .is_some_and(|node| matches!(node.kind, FileKind::File(_)) && node.owners.contains(name));
            if owned_file {
                let _ = writeln!(md5sums, "{}  {}", sum.md5, sum.path.as_str());
            }
        }
        if !record.md5sums.is_empty() {
            files.push((format!("{STATUS_DIR}/{name}.md5sums"), md5sums));
        }
    }
    for (path, text) in files {
        tree.insert(&rel(&path), Node::file(text.as_str(), 0o644))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{path, text, tree_of};
    use buckle_testkit::deb::DebBuilder;

    #[test]
    fn status_files_hold_control_fields_and_md5sums_of_present_files() {
        let mut tree = tree_of(vec![
            DebBuilder::new("dash", "0.5.12-9", "amd64")
                .field("Source", "dash (0.5.12-9)")
                .file("bin/dash", b"dash", 0o755)
                .file("usr/share/doc/dash/README", b"x", 0o644),
            DebBuilder::new("other", "1", "all").file("var/lib/dpkg/status", b"Package: other\n", 0o644),
            DebBuilder::new("unlisted", "1", "all")
                .file("usr/lib/unlisted/data", b"x", 0o644)
                .without_md5sums(),
        ]);
        tree.remove_all(&path("usr/share/doc/dash/README"));
        dpkg_metadata(&mut tree).unwrap();
        let status = text(&tree, "var/lib/dpkg/status.d/dash");
        assert!(
            status.starts_with("Package: dash\nVersion: 0.5.12-9\nArchitecture: amd64\n"),
            "{status}"
        );
        assert!(status.contains("\nSource: dash (0.5.12-9)\n"), "{status}");
        let md5sums = text(&tree, "var/lib/dpkg/status.d/dash.md5sums");
        // md5("dash"), from `printf dash | md5sum`.
        assert_eq!(md5sums, "b999a7c3bcc5535b4c8e277e18b7b6e1  usr/bin/dash\n");
        assert!(tree.get(&path("var/lib/dpkg/status")).is_none());
        assert_eq!(
            text(&tree, "var/lib/dpkg/status.d/other.md5sums"),
            "",
            "its only file was status: none of its files is left"
        );
        assert!(
            tree.get(&path("var/lib/dpkg/status.d/unlisted.md5sums"))
                .is_none(),
            "no list in the .deb: its files are not known"
        );
    }
}
