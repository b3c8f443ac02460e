//! `etc/passwd`, `etc/group` and `etc/nsswitch.conf`, written by buckle: `root`,
//! `nobody` and `nonroot` (65532), whose home is `home/nonroot`.

use super::{ensure_dir, rel};
use crate::error::Result;
use crate::tree::{Node, Tree};
use buckle_spec::{Variant, NONROOT_ID};

/// The home of `nonroot`, relative to the root.
pub const NONROOT_HOME: &str = "home/nonroot";

/// The name service switch for an image with only files: users and groups from
/// `etc/passwd` and `etc/group`, hosts from `etc/hosts` then DNS.
const NSSWITCH: &str = "\
passwd:         files
group:          files
shadow:         files
gshadow:        files

hosts:          files dns
networks:       files

protocols:      files
services:       files
ethers:         files
rpc:            files
";

/// Writes the account files and the home directories. Runtime images have no shell,
/// so every login shell is `/usr/sbin/nologin`; dev images get `/bin/sh`.
pub fn accounts(tree: &mut Tree, variant: Variant) -> Result<()> {
    let shell = match variant {
        Variant::Runtime => "/usr/sbin/nologin",
        Variant::Dev => "/bin/sh",
    };
    let passwd = format!(
        "root:x:0:0:root:/root:{shell}\n\
         nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n\
         nonroot:x:{NONROOT_ID}:{NONROOT_ID}:nonroot:/{NONROOT_HOME}:{shell}\n"
    );
    let group = format!("root:x:0:\nnogroup:x:65534:\nnonroot:x:{NONROOT_ID}:\n");
    tree.insert(&rel("etc/passwd"), Node::file(passwd.as_str(), 0o644))?;
    tree.insert(&rel("etc/group"), Node::file(group.as_str(), 0o644))?;
    tree.insert(&rel("etc/nsswitch.conf"), Node::file(NSSWITCH, 0o644))?;
    ensure_dir(tree, "root", 0o700, 0, 0)?;
    ensure_dir(tree, "home", 0o755, 0, 0)?;
    ensure_dir(tree, NONROOT_HOME, 0o700, NONROOT_ID, NONROOT_ID)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{path, text, tree_of};
    use buckle_testkit::deb::DebBuilder;

    #[test]
    fn nonroot_and_root_exist_and_nonroot_owns_its_home() {
        let mut tree = tree_of(vec![
            DebBuilder::new("base-files", "13", "amd64").dir("root", 0o700)
        ]);
        accounts(&mut tree, Variant::Runtime).unwrap();
        let passwd = text(&tree, "etc/passwd");
        assert!(
            passwd.starts_with("root:x:0:0:root:/root:/usr/sbin/nologin\n"),
            "{passwd}"
        );
        assert!(passwd.contains("\nnonroot:x:65532:65532:nonroot:/home/nonroot:/usr/sbin/nologin\n"));
        assert!(text(&tree, "etc/group").contains("\nnonroot:x:65532:\n"));
        assert!(text(&tree, "etc/nsswitch.conf").contains("passwd:         files\n"));
        let home = tree.get(&path("home/nonroot")).unwrap();
        assert_eq!((home.mode, home.uid, home.gid), (0o700, 65532, 65532));
        let root = tree.get(&path("root")).unwrap();
        assert_eq!(
            root.first_owner().map(|p| p.as_str()),
            Some("base-files"),
            "shipped dirs keep their owner"
        );
    }

    #[test]
    fn dev_images_get_a_login_shell() {
        let mut tree = tree_of(vec![]);
        accounts(&mut tree, Variant::Dev).unwrap();
        assert!(text(&tree, "etc/passwd").starts_with("root:x:0:0:root:/root:/bin/sh\n"));
    }
}
