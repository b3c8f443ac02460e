use super::*;
use crate::deb::{read_deb, Limits};
use buckle_testkit::deb::DebBuilder;

fn deb(builder: DebBuilder) -> Deb {
    read_deb("test.deb", &builder.build()[..], &Limits::default()).unwrap()
}

fn path(p: &str) -> RelPath {
    RelPath::new(p).unwrap()
}

fn name(n: &str) -> PackageName {
    n.parse().unwrap()
}

fn tree_of(builders: Vec<DebBuilder>) -> Result<Tree> {
    let mut tree = Tree::new();
    for b in builders {
        tree.add_package(deb(b), &[])?;
    }
    Ok(tree)
}

fn text(tree: &Tree, p: &str) -> String {
    let content = tree.get(&path(p)).and_then(Node::content).unwrap();
    String::from_utf8(content.bytes().to_vec()).unwrap()
}

#[test]
fn different_content_at_one_path_names_both_packages() {
    let err = tree_of(vec![
        DebBuilder::new("alpha", "1", "all").file("etc/motd", b"a\n", 0o644),
        DebBuilder::new("beta", "1", "all").file("etc/motd", b"b\n", 0o644),
    ])
    .unwrap_err();
    let message = err.to_string();
    assert!(
        message.starts_with("`alpha` and `beta` both ship `etc/motd`: different content (sha256 "),
        "{message}"
    );
    assert!(err.hint().is_some());
}

#[test]
fn identical_files_are_shared_by_both_owners() {
    let tree = tree_of(vec![
        DebBuilder::new("alpha", "1", "all").file("etc/motd", b"same\n", 0o644),
        DebBuilder::new("beta", "1", "all").file("etc/motd", b"same\n", 0o644),
    ])
    .unwrap();
    let node = tree.get(&path("etc/motd")).unwrap();
    assert_eq!(node.owners, BTreeSet::from([name("alpha"), name("beta")]));
}

#[test]
fn replacing_package_wins_in_either_order() {
    let old = || DebBuilder::new("old-tool", "1", "all").file("usr/bin/tool", b"old", 0o755);
    let new = || {
        DebBuilder::new("new-tool", "2", "all")
            .field("Replaces", "old-tool (<< 2)")
            .file("usr/bin/tool", b"new", 0o755)
    };
    for order in [vec![old(), new()], vec![new(), old()]] {
        let tree = tree_of(order).unwrap();
        assert_eq!(text(&tree, "usr/bin/tool"), "new");
        assert_eq!(
            tree.get(&path("usr/bin/tool")).unwrap().first_owner(),
            Some(&name("new-tool"))
        );
    }
}

#[test]
fn replaces_with_an_unmet_version_constraint_is_still_a_conflict() {
    let err = tree_of(vec![
        DebBuilder::new("old-tool", "3", "all").file("usr/bin/tool", b"old", 0o755),
        DebBuilder::new("new-tool", "2", "all")
            .field("Replaces", "old-tool (<< 2)")
            .file("usr/bin/tool", b"new", 0o755),
    ])
    .unwrap_err();
    assert!(matches!(err, Error::Conflict { .. }), "{err}");
}

#[test]
fn declared_diversion_moves_the_other_copy_aside() {
    let mut tree = Tree::new();
    let diversion = Diversion::new(path("usr/bin/tool"), name("local-tool"));
    tree.add_package(
        deb(DebBuilder::new("distro-tool", "1", "all").file("usr/bin/tool", b"distro", 0o755)),
        std::slice::from_ref(&diversion),
    )
    .unwrap();
    tree.add_package(
        deb(DebBuilder::new("local-tool", "1", "all").file("usr/bin/tool", b"local", 0o755)),
        &[diversion],
    )
    .unwrap();
    assert_eq!(text(&tree, "usr/bin/tool"), "local");
    assert_eq!(text(&tree, "usr/bin/tool.distrib"), "distro");
}

#[test]
fn directory_and_symlink_at_one_path_conflict() {
    let err = tree_of(vec![
        DebBuilder::new("alpha", "1", "all").file("usr/share/doc/alpha/copyright", b"c", 0o644),
        DebBuilder::new("beta", "1", "all").symlink("usr/share/doc/alpha", "beta"),
    ])
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "`alpha` and `beta` both ship `usr/share/doc/alpha`: a directory and a symlink"
    );
}

#[test]
fn entry_through_a_symlink_leaving_the_root_is_rejected() {
    let err = tree_of(vec![DebBuilder::new("evil", "1", "all")
        .symlink("usr/lib/evil", "../../../../etc")
        .file("usr/lib/evil/cron.d/x", b"* * * * * root sh", 0o644)])
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "`evil` ships `usr/lib/evil/cron.d` under `usr/lib/evil`, a symlink to `../../../../etc` that leads outside the root"
    );
}

#[test]
fn entry_through_an_absolute_symlink_is_rejected() {
    let err = tree_of(vec![
        DebBuilder::new("linker", "1", "all").symlink("usr/lib/data", "/etc"),
        DebBuilder::new("writer", "1", "all").raw_file("./usr/lib/data/passwd", b"root::0:0"),
    ])
    .unwrap_err();
    assert!(
        matches!(&err, Error::ThroughSymlink { package, escapes: false, .. } if package == "writer"),
        "{err}"
    );
}

#[test]
fn entry_under_a_file_is_rejected() {
    let err = tree_of(vec![DebBuilder::new("odd", "1", "all")
        .file("etc/a", b"x", 0o644)
        .file("etc/a/b", b"y", 0o644)])
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "`odd` ships `etc/a/b`, but `etc/a` is not a directory"
    );
}

#[test]
fn merged_usr_moves_aliased_paths_and_links_the_top_level() {
    let mut tree = tree_of(vec![
        DebBuilder::new("libc6", "2.36", "amd64")
            .file("lib/x86_64-linux-gnu/libc.so.6", b"libc", 0o644)
            .symlink(
                "lib64/ld-linux-x86-64.so.2",
                "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
            )
            .file("usr/lib/x86_64-linux-gnu/libm.so.6", b"libm", 0o644),
        DebBuilder::new("dash", "0.5", "amd64")
            .file("bin/dash", b"dash", 0o755)
            .symlink("bin/sh", "dash")
            .symlink("bin/rel", "../usr/bin/true")
            .symlink("sbin/up", "../lib/x"),
        DebBuilder::new("base-files", "13", "amd64")
            .symlink("bin", "usr/bin")
            .dir("lib", 0o755),
    ])
    .unwrap();
    tree.link_merged_usr();
    assert_eq!(text(&tree, "usr/lib/x86_64-linux-gnu/libc.so.6"), "libc");
    let link = |p: &str| match &tree.get(&path(p)).unwrap().kind {
        FileKind::Symlink(t) => t.clone(),
        other => panic!("{p} is {other:?}"),
    };
    assert_eq!(
        link("usr/lib64/ld-linux-x86-64.so.2"),
        "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
    );
    assert_eq!(link("usr/bin/sh"), "dash");
    assert_eq!(
        link("usr/bin/rel"),
        "true",
        "`../usr/bin/true` from bin/ is usr/bin/true"
    );
    assert_eq!(link("usr/sbin/up"), "../lib/x");
    for (alias, target) in [
        ("bin", "usr/bin"),
        ("sbin", "usr/sbin"),
        ("lib", "usr/lib"),
        ("lib64", "usr/lib64"),
    ] {
        assert_eq!(link(alias), target);
    }
    assert!(
        tree.get(&path("lib32")).is_none(),
        "no usr/lib32, so no lib32 link"
    );
    assert_eq!(tree.resolve(&path("bin/sh")), Some(path("usr/bin/dash")));
    assert_eq!(
        tree.resolve(&path("lib64/ld-linux-x86-64.so.2")),
        None,
        "the loader itself is not in this tree"
    );
    assert_eq!(
        tree.get(&path("bin/dash")).map(|n| n.mode),
        Some(0o755),
        "get canonicalises"
    );
}

#[test]
fn md5sums_and_conffiles_follow_the_canonical_paths() {
    let tree = tree_of(vec![DebBuilder::new("dash", "0.5", "amd64")
        .file("bin/dash", b"dash", 0o755)
        .file("etc/dash.conf", b"x", 0o644)
        .conffile("/etc/dash.conf")])
    .unwrap();
    let record = &tree.packages()[&name("dash")];
    assert_eq!(record.md5sums[0].path, path("usr/bin/dash"));
    assert_eq!(record.conffiles, [path("etc/dash.conf")]);
}

#[test]
fn hard_links_share_the_target_content() {
    let tree = tree_of(vec![DebBuilder::new("perl", "5", "amd64")
        .file("usr/bin/perl5.40", b"perl", 0o755)
        .hardlink("usr/bin/perl", "usr/bin/perl5.40")])
    .unwrap();
    let a = tree.get(&path("usr/bin/perl")).and_then(Node::content).unwrap();
    let b = tree
        .get(&path("usr/bin/perl5.40"))
        .and_then(Node::content)
        .unwrap();
    assert!(a.same_bytes(b));
}

#[test]
fn implicit_parents_take_the_mode_a_package_ships_later() {
    let tree = tree_of(vec![
        DebBuilder::new("alpha", "1", "all").raw_file("./var/cache/x/file", b"x"),
        DebBuilder::new("beta", "1", "all").dir("var/cache/x", 0o700),
    ])
    .unwrap();
    let node = tree.get(&path("var/cache/x")).unwrap();
    assert_eq!((node.mode, node.owners.len()), (0o700, 1));
}

#[test]
fn resolve_follows_links_inside_the_tree_and_clamps_at_the_root() {
    let mut tree = tree_of(vec![DebBuilder::new("alpha", "1", "all")
        .file("usr/share/real/file", b"x", 0o644)
        .symlink("usr/share/alias", "real")
        .symlink("usr/share/up", "../../../../usr/share/alias")
        .symlink("loop1", "loop2")
        .symlink("loop2", "loop1")])
    .unwrap();
    tree.link_merged_usr();
    assert_eq!(
        tree.resolve(&path("usr/share/up/file")),
        Some(path("usr/share/real/file"))
    );
    assert_eq!(tree.resolve(&path("loop1")), None);
    assert_eq!(tree.resolve(&path("usr/share/missing")), None);
}

#[test]
fn same_package_twice_is_an_error() {
    let err = tree_of(vec![
        DebBuilder::new("alpha", "1", "all"),
        DebBuilder::new("alpha", "1", "all"),
    ])
    .unwrap_err();
    assert_eq!(err.to_string(), "package `alpha` is given twice");
}

#[test]
fn remove_all_takes_the_subtree_only() {
    let mut tree = tree_of(vec![DebBuilder::new("alpha", "1", "all")
        .file("usr/share/man/man1/a.1", b"x", 0o644)
        .file("usr/share/mane", b"x", 0o644)])
    .unwrap();
    assert_eq!(tree.remove_all(&path("usr/share/man")), 3);
    assert!(tree.get(&path("usr/share/mane")).is_some());
}
