//! The CA bundle, as `update-ca-certificates` (package ca-certificates) writes it.
//!
//! Facts from ca-certificates: its postinst lists every `*.crt` under
//! `/usr/share/ca-certificates` in `/etc/ca-certificates.conf`, sorted; the script
//! then concatenates the listed certificates in that order into
//! `/etc/ssl/certs/ca-certificates.crt`, adding a final newline to any that lacks
//! one, and appends local certificates after them.

use super::rel;
use crate::error::Result;
use crate::tree::{Node, Tree};

/// Where the bundle goes.
pub const CA_BUNDLE: &str = "etc/ssl/certs/ca-certificates.crt";
const CERT_DIR: &str = "usr/share/ca-certificates";

/// Writes [`CA_BUNDLE`] from every `.crt` file under `usr/share/ca-certificates`
/// (sorted by path) followed by `extra` PEM certificates. Without either, there is
/// no bundle.
pub fn ca_bundle(tree: &mut Tree, extra: &[String]) -> Result<()> {
    let dir = rel(CERT_DIR);
    let mut certs: Vec<(&str, &[u8])> = tree
        .under(&dir)
        .filter(|(path, _)| path.as_str().ends_with(".crt"))
        .filter_map(|(path, node)| Some((path.as_str(), node.content()?.bytes())))
        .collect();
    // ca-certificates.conf is sorted as plain bytes.
    certs.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    if certs.is_empty() && extra.is_empty() {
        return Ok(());
    }
    let mut bundle = Vec::new();
    for pem in certs
        .iter()
        .map(|(_, bytes)| *bytes)
        .chain(extra.iter().map(|s| s.as_bytes()))
    {
        bundle.extend_from_slice(pem);
        if !pem.is_empty() && !pem.ends_with(b"\n") {
            bundle.push(b'\n');
        }
    }
    tracing::debug!(certificates = certs.len(), extra = extra.len(), "CA bundle");
    tree.insert(&rel(CA_BUNDLE), Node::file(bundle, 0o644))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{path, text, tree_of};
    use buckle_testkit::deb::DebBuilder;

    #[test]
    fn bundle_concatenates_sorted_certificates_then_extra_ones() {
        let mut tree = tree_of(vec![DebBuilder::new("ca-certificates", "1", "all")
            .file("usr/share/ca-certificates/mozilla/B_Root.crt", b"B\n", 0o644)
            .file("usr/share/ca-certificates/mozilla/A_Root.crt", b"A", 0o644)
            .file("usr/share/ca-certificates/mozilla/README", b"not a cert", 0o644)
            .file("usr/share/ca-certificates/extra/C.crt", b"C\n", 0o644)]);
        ca_bundle(&mut tree, &["LOCAL".to_owned()]).unwrap();
        assert_eq!(text(&tree, CA_BUNDLE), "C\nA\nB\nLOCAL\n");
        assert_eq!(tree.get(&path(CA_BUNDLE)).unwrap().mode, 0o644);
    }

    #[test]
    fn no_certificates_means_no_bundle() {
        let mut tree = tree_of(vec![]);
        ca_bundle(&mut tree, &[]).unwrap();
        assert!(tree.get(&path(CA_BUNDLE)).is_none());
    }
}
