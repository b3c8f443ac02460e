//! `etc/os-release` (os-release(5)): base-files' copy when it is there, else one
//! written from the distribution's values.

use super::rel;
use crate::deb::FileKind;
use crate::error::Result;
use crate::tree::{Node, Tree};

/// The values of a written `etc/os-release`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OsRelease {
    /// `ID`, such as `debian`.
    pub id: String,
    /// `NAME`, such as `Debian GNU/Linux`.
    pub name: String,
    /// `VERSION_ID`, such as `13`.
    pub version_id: String,
    /// `VERSION_CODENAME`, such as `trixie`.
    pub version_codename: String,
    /// `PRETTY_NAME`, such as `Debian GNU/Linux 13 (trixie)`.
    pub pretty_name: String,
}

impl OsRelease {
    /// Debian's values for a release: `OsRelease::debian("13", "trixie")`.
    pub fn debian(version_id: &str, codename: &str) -> Self {
        let name = "Debian GNU/Linux".to_owned();
        OsRelease {
            id: "debian".to_owned(),
            pretty_name: format!("{name} {version_id} ({codename})"),
            name,
            version_id: version_id.to_owned(),
            version_codename: codename.to_owned(),
        }
    }

    /// The file's text.
    pub fn render(&self) -> String {
        format!(
            "PRETTY_NAME=\"{}\"\nNAME=\"{}\"\nVERSION_ID=\"{}\"\nVERSION=\"{} ({})\"\nVERSION_CODENAME={}\nID={}\n",
            self.pretty_name,
            self.name,
            self.version_id,
            self.version_id,
            self.version_codename,
            self.version_codename,
            self.id
        )
    }
}

/// Keeps `etc/os-release` when it leads to a file (base-files ships
/// `usr/lib/os-release` and the `etc/os-release` symlink); otherwise writes it.
pub fn os_release(tree: &mut Tree, values: &OsRelease) -> Result<()> {
    let path = rel("etc/os-release");
    let shipped = tree
        .resolve(&path)
        .and_then(|target| tree.get(&target))
        .is_some_and(|node| matches!(node.kind, FileKind::File(_)));
    if shipped {
        return Ok(());
    }
    tree.insert(&path, Node::file(values.render().as_str(), 0o644))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{text, tree_of};
    use buckle_testkit::deb::DebBuilder;

    #[test]
    fn base_files_os_release_is_kept() {
        let mut tree = tree_of(vec![DebBuilder::new("base-files", "13", "amd64")
            .file("usr/lib/os-release", b"ID=debian\nVERSION_ID=\"13\"\n", 0o644)
            .symlink("etc/os-release", "../usr/lib/os-release")]);
        os_release(&mut tree, &OsRelease::debian("99", "nope")).unwrap();
        assert_eq!(
            text(&tree, "usr/lib/os-release"),
            "ID=debian\nVERSION_ID=\"13\"\n"
        );
    }

    #[test]
    fn missing_os_release_is_written_from_the_values() {
        let mut tree = tree_of(vec![]);
        os_release(&mut tree, &OsRelease::debian("13", "trixie")).unwrap();
        assert_eq!(
            text(&tree, "etc/os-release"),
            "PRETTY_NAME=\"Debian GNU/Linux 13 (trixie)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"13\"\nVERSION=\"13 (trixie)\"\nVERSION_CODENAME=trixie\nID=debian\n"
        );
    }
}
