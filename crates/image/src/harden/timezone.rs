//! Time zones: kept only when asked for, with UTC as the local time.

use super::rel;
use crate::error::Result;
use crate::tree::{Node, Tree};

const ZONEINFO: &str = "usr/share/zoneinfo";

/// Without `keep`, removes `usr/share/zoneinfo`, `etc/localtime` and
/// `etc/timezone`. With it, and when the zone data has `Etc/UTC`, sets
/// `etc/localtime` and `etc/timezone` to UTC as tzdata's postinst does on a fresh
/// system (unless a package already ships them).
pub fn timezone(tree: &mut Tree, keep: bool) -> Result<()> {
    if !keep {
        for path in [ZONEINFO, "etc/localtime", "etc/timezone"] {
            tree.remove_all(&rel(path));
        }
        return Ok(());
    }
    if tree.get(&rel("usr/share/zoneinfo/Etc/UTC")).is_none() {
        return Ok(());
    }
    if tree.get(&rel("etc/localtime")).is_none() {
        tree.insert(
            &rel("etc/localtime"),
            Node::symlink("/usr/share/zoneinfo/Etc/UTC"),
        )?;
    }
    if tree.get(&rel("etc/timezone")).is_none() {
        tree.insert(&rel("etc/timezone"), Node::file("Etc/UTC\n", 0o644))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{path, text, tree_of};
    use buckle_testkit::deb::DebBuilder;

    fn tzdata() -> Tree {
        tree_of(vec![DebBuilder::new("tzdata", "2025b", "all")
            .file("usr/share/zoneinfo/Etc/UTC", b"TZif", 0o644)
            .file("usr/share/zoneinfo/Europe/Paris", b"TZif", 0o644)])
    }

    #[test]
    fn zoneinfo_goes_unless_asked_for() {
        let mut tree = tzdata();
        timezone(&mut tree, false).unwrap();
        assert!(tree.get(&path("usr/share/zoneinfo")).is_none());
        assert!(tree.get(&path("etc/localtime")).is_none());
    }

    #[test]
    fn kept_zoneinfo_sets_utc_as_local_time() {
        let mut tree = tzdata();
        timezone(&mut tree, true).unwrap();
        assert_eq!(
            tree.resolve(&path("etc/localtime")),
            Some(path("usr/share/zoneinfo/Etc/UTC"))
        );
        assert_eq!(text(&tree, "etc/timezone"), "Etc/UTC\n");
        assert!(tree.get(&path("usr/share/zoneinfo/Europe/Paris")).is_some());
    }
}
