//! File modes: `tmp` for a tmpfs, no setuid/setgid, nothing world-writable.

use super::ensure_dir;
use crate::deb::FileKind;
use crate::error::Result;
use crate::tree::Tree;

/// Makes `tmp` a directory with mode 1777 (sticky, writable by all): the mount
/// point for a tmpfs in a read-only container.
pub fn tmp(tree: &mut Tree) -> Result<()> {
    ensure_dir(tree, "tmp", 0o1777, 0, 0)
}

/// Clears the setuid and setgid bits everywhere: nothing in the image can raise its
/// privileges.
pub fn strip_special_bits(tree: &mut Tree) {
    for (path, node) in tree.nodes_mut() {
        if node.mode & 0o6000 != 0 && !matches!(node.kind, FileKind::Symlink(_)) {
            tracing::debug!(%path, mode = format!("{:o}", node.mode), "setuid/setgid cleared");
            node.mode &= !0o6000;
        }
    }
}

/// Clears the world-writable bit (and the sticky bit that only makes sense with it)
/// outside `tmp`.
pub fn remove_world_writable(tree: &mut Tree) {
    for (path, node) in tree.nodes_mut() {
        let in_tmp = path.components().next() == Some("tmp");
        if node.mode & 0o002 != 0 && !in_tmp && !matches!(node.kind, FileKind::Symlink(_)) {
            tracing::debug!(%path, mode = format!("{:o}", node.mode), "world-writable cleared");
            node.mode &= !0o1002;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{path, tree_of};
    use buckle_testkit::deb::DebBuilder;

    fn mode(tree: &Tree, p: &str) -> u32 {
        tree.get(&path(p)).unwrap().mode
    }

    #[test]
    fn tmp_is_sticky_and_world_writable() {
        let mut tree = tree_of(vec![
            DebBuilder::new("base-files", "13", "amd64").dir("tmp", 0o755)
        ]);
        tmp(&mut tree).unwrap();
        assert_eq!(mode(&tree, "tmp"), 0o1777);
    }

    #[test]
    fn setuid_and_setgid_bits_are_cleared() {
        let mut tree = tree_of(vec![DebBuilder::new("login", "1", "amd64")
            .file("usr/bin/su", b"su", 0o4755)
            .file("usr/bin/wall", b"wall", 0o2755)
            .dir("var/mail", 0o2775)]);
        strip_special_bits(&mut tree);
        assert_eq!(mode(&tree, "usr/bin/su"), 0o755);
        assert_eq!(mode(&tree, "usr/bin/wall"), 0o755);
        assert_eq!(mode(&tree, "var/mail"), 0o775);
    }

    #[test]
    fn world_writable_is_cleared_outside_tmp_only() {
        let mut tree = tree_of(vec![DebBuilder::new("base-files", "13", "amd64")
            .dir("var/tmp", 0o1777)
            .file("etc/open", b"x", 0o666)
            .dir("tmp", 0o1777)]);
        remove_world_writable(&mut tree);
        assert_eq!(mode(&tree, "var/tmp"), 0o775);
        assert_eq!(mode(&tree, "etc/open"), 0o664);
        assert_eq!(mode(&tree, "tmp"), 0o1777);
    }
}
