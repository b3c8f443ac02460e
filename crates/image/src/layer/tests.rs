use super::*;
use crate::testing::{path, tree_of};
use buckle_oci::tar::{Compression, EntryKind, LayerDigests, Reader};
use buckle_testkit::deb::DebBuilder;

fn names(plans: &[LayerPlan]) -> Vec<&str> {
    plans.iter().map(|p| p.name.as_str()).collect()
}

fn big() -> Vec<u8> {
    vec![7u8; (MIN_OWN_LAYER_BYTES + 1) as usize]
}

fn base() -> Vec<DebBuilder> {
    vec![
        DebBuilder::new("base-files", "13", "amd64")
            .dir("tmp", 0o1777)
            .file("etc/debian_version", b"13.0\n", 0o644),
        DebBuilder::new("libc6", "2.41-12", "amd64")
            .field("Source", "glibc")
            .file("usr/lib/x86_64-linux-gnu/libc.so.6", b"libc", 0o755),
        DebBuilder::new("libc-bin", "2.41-12", "amd64")
            .field("Source", "glibc")
            .file("usr/bin/ldd", b"ldd", 0o755),
    ]
}

fn python() -> Vec<DebBuilder> {
    let mut packages = base();
    packages.extend([
        DebBuilder::new("libpython3.13", "3.13.5-2", "amd64")
            .field("Source", "python3.13")
            .file("usr/lib/x86_64-linux-gnu/libpython3.13.so.1.0", &big(), 0o644),
        DebBuilder::new("libffi8", "3.4.8-2", "amd64").file(
            "usr/lib/x86_64-linux-gnu/libffi.so.8",
            b"ffi",
            0o644,
        ),
        DebBuilder::new("libssl3t64", "3.5.1-1", "amd64")
            .field("Source", "openssl")
            .file("usr/lib/x86_64-linux-gnu/libssl.so.3", b"ssl", 0o644),
    ]);
    packages
}

fn write(tree: &Tree, plan: &LayerPlan) -> (LayerDigests, Vec<u8>) {
    let mut out = LayerWriter::new(Vec::new(), Compression::None, 1_700_000_000).unwrap();
    let entries = layer_entries(tree, plan).unwrap();
    write_layer(&plan.name, &entries, &mut out).unwrap();
    out.finish().unwrap()
}

fn entries(tar: &[u8]) -> Vec<(String, EntryKind, u32, u32)> {
    let mut reader = Reader::new(tar);
    let entries = reader.entries().unwrap();
    entries
        .map(|item| {
            item.map(|(e, _)| (e.path.to_string(), e.kind, e.mode, e.uid))
                .unwrap()
        })
        .collect()
}

#[test]
fn anchors_big_sources_rest_and_buckle_in_that_order() {
    let mut tree = tree_of(python());
    tree.insert(
        &path("etc/passwd"),
        Node::file("root:x:0:0::/root:/usr/sbin/nologin\n", 0o644),
    )
    .unwrap();
    let plans = plan_layers(&tree, DEFAULT_LAYER_BUDGET);
    assert_eq!(
        names(&plans),
        ["base-files", "glibc", "openssl", "python3.13", "rest", "buckle"]
    );
    let rest = plans.iter().find(|p| p.name == "rest").unwrap();
    assert_eq!(rest.sources, ["libffi8".parse::<PackageName>().unwrap()]);
    let buckle = plans.last().unwrap();
    assert!(buckle.paths.contains(&path("etc/passwd")));
    assert!(
        buckle.paths.contains(&path("bin")),
        "merged-/usr links are buckle's"
    );
}

#[test]
fn small_budget_merges_what_does_not_fit_into_rest() {
    let tree = tree_of(python());
    let plans = plan_layers(&tree, 3);
    assert_eq!(names(&plans), ["base-files", "rest", "buckle"]);
    let rest = &plans[1];
    assert!(rest
        .paths
        .contains(&path("usr/lib/x86_64-linux-gnu/libpython3.13.so.1.0")));
    assert!(rest.paths.contains(&path("usr/lib/x86_64-linux-gnu/libc.so.6")));
}

#[test]
fn base_layers_are_identical_in_images_that_add_packages() {
    let base_tree = tree_of(base());
    let python_tree = tree_of(python());
    let base_plans = plan_layers(&base_tree, DEFAULT_LAYER_BUDGET);
    let python_plans = plan_layers(&python_tree, DEFAULT_LAYER_BUDGET);
    for name in ["base-files", "glibc"] {
        let a = base_plans.iter().find(|p| p.name == name).unwrap();
        let b = python_plans.iter().find(|p| p.name == name).unwrap();
        assert_eq!(
            write(&base_tree, a).0.diff_id,
            write(&python_tree, b).0.diff_id,
            "{name}"
        );
    }
}

#[test]
fn layer_has_sorted_entries_with_their_parent_directories() {
    let tree = tree_of(base());
    let plans = plan_layers(&tree, DEFAULT_LAYER_BUDGET);
    let glibc = plans.iter().find(|p| p.name == "glibc").unwrap();
    let (_, tar) = write(&tree, glibc);
    let listed: Vec<String> = entries(&tar).into_iter().map(|e| e.0).collect();
    assert_eq!(
        listed,
        [
            "usr",
            "usr/bin",
            "usr/bin/ldd",
            "usr/lib",
            "usr/lib/x86_64-linux-gnu",
            "usr/lib/x86_64-linux-gnu/libc.so.6"
        ]
    );
}

#[test]
fn hard_linked_files_are_written_once_and_linked() {
    let tree = tree_of(vec![DebBuilder::new("perl-base", "5.40", "amd64")
        .file("usr/bin/perl5.40.1", b"perl", 0o755)
        .hardlink("usr/bin/perl", "usr/bin/perl5.40.1")
        .file("usr/bin/other", b"perl", 0o755)]);
    let plans = plan_layers(&tree, DEFAULT_LAYER_BUDGET);
    let (_, tar) = write(&tree, &plans[0]);
    let found = entries(&tar);
    let kind = |p: &str| found.iter().find(|e| e.0 == p).unwrap().1.clone();
    assert_eq!(
        kind("usr/bin/perl"),
        EntryKind::File { size: 4 },
        "first in path order carries the bytes"
    );
    assert_eq!(
        kind("usr/bin/perl5.40.1"),
        EntryKind::Hardlink {
            target: path("usr/bin/perl")
        }
    );
    assert_eq!(
        kind("usr/bin/other"),
        EntryKind::File { size: 4 },
        "equal bytes from elsewhere are not a link"
    );
}

#[test]
fn owners_and_modes_come_from_the_tree() {
    let mut tree = tree_of(vec![]);
    tree.insert(
        &path("home/nonroot"),
        Node::directory(0o700).with_owner(65532, 65532),
    )
    .unwrap();
    let plans = plan_layers(&tree, DEFAULT_LAYER_BUDGET);
    let (_, tar) = write(&tree, plans.last().unwrap());
    let home = entries(&tar).into_iter().find(|e| e.0 == "home/nonroot").unwrap();
    assert_eq!((home.2, home.3), (0o700, 65532));
}

#[test]
fn file_shipped_by_two_sources_is_in_both_layers() {
    let tree = tree_of(vec![
        DebBuilder::new("alpha", "1", "all")
            .file("etc/shared", b"same", 0o644)
            .file("a", &big(), 0o644),
        DebBuilder::new("beta", "1", "all")
            .file("etc/shared", b"same", 0o644)
            .file("b", &big(), 0o644),
    ]);
    let plans = plan_layers(&tree, DEFAULT_LAYER_BUDGET);
    for name in ["alpha", "beta"] {
        let plan = plans.iter().find(|p| p.name == name).unwrap();
        assert!(plan.paths.contains(&path("etc/shared")), "{name}");
    }
}
