//! Helpers shared by this crate's unit tests.

use crate::deb::{read_deb, Limits};
use crate::tree::{Node, Tree};
use buckle_oci::RelPath;
use buckle_testkit::deb::DebBuilder;

/// A tree made from test packages, merged-`/usr` links included.
pub(crate) fn tree_of(builders: Vec<DebBuilder>) -> Tree {
    let mut tree = Tree::new();
    for builder in builders {
        let deb = read_deb("test.deb", &builder.build()[..], &Limits::default()).unwrap();
        tree.add_package(deb, &[]).unwrap();
    }
    tree.link_merged_usr();
    tree
}

pub(crate) fn path(p: &str) -> RelPath {
    RelPath::new(p).unwrap()
}

/// The text of a regular file in the tree.
pub(crate) fn text(tree: &Tree, p: &str) -> String {
    let content = tree
        .get(&path(p))
        .and_then(Node::content)
        .unwrap_or_else(|| panic!("no file `{p}`"));
    String::from_utf8(content.bytes().to_vec()).unwrap()
}
