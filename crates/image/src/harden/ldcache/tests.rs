use super::*;
use crate::harden::elf::test_object;
use crate::testing::{path, tree_of};
use buckle_testkit::deb::DebBuilder;
use std::process::Command;

const X86_64: u16 = 62;
const AARCH64: u16 = 183;
const I386: u16 = 3;

fn libraries(arch: &str, machine: u16) -> DebBuilder {
    let dir = match arch {
        "amd64" => "usr/lib/x86_64-linux-gnu",
        _ => "usr/lib/aarch64-linux-gnu",
    };
    let triplet = dir.trim_start_matches("usr/lib/");
    DebBuilder::new("libs", "1", arch)
        .file(
            &format!("etc/ld.so.conf.d/{triplet}.conf"),
            format!("# Multiarch support\n/usr/local/lib/{triplet}\n/lib/{triplet}\n/usr/lib/{triplet}\n")
                .as_bytes(),
            0o644,
        )
        .file(
            &format!("{dir}/libfoo.so.1.2.3"),
            &test_object(true, machine, Some("libfoo.so.1")),
            0o644,
        )
        .symlink(&format!("{dir}/libfoo.so.1"), "libfoo.so.1.2.3")
        .symlink(&format!("{dir}/libfoo.so"), "libfoo.so.1")
        .file(
            &format!("{dir}/libbar.so.2.0"),
            &test_object(true, machine, Some("libbar.so.2")),
            0o644,
        )
        .file(
            &format!("{dir}/libc.so"),
            b"/* GNU ld script */\nGROUP ( libc.so.6 )\n",
            0o644,
        )
        .file(
            &format!("{dir}/libi386.so.1"),
            &test_object(false, I386, Some("libi386.so.1")),
            0o644,
        )
        .file(
            &format!("{dir}/notalib.so.1"),
            &test_object(true, machine, Some("notalib.so.1")),
            0o644,
        )
        .file(
            "usr/lib/libplain.so.5",
            &test_object(true, machine, Some("libplain.so.5")),
            0o644,
        )
}

/// `ldconfig -p` run on the cache built for the tree: the real glibc reader.
fn ldconfig_print(tree: &Tree) -> Vec<String> {
    let cache = tree
        .get(&path(LD_SO_CACHE))
        .and_then(Node::content)
        .expect("a cache was written");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ld.so.cache");
    std::fs::write(&file, cache.bytes()).unwrap();
    let out = Command::new("ldconfig")
        .arg("-p")
        .arg("-C")
        .arg(&file)
        .output()
        .expect("ldconfig (libc-bin)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn glibc_ldconfig_reads_the_cache_for_amd64() {
    let mut tree = tree_of(vec![libraries("amd64", X86_64)]);
    ld_so_cache(&mut tree, &"amd64".parse().unwrap()).unwrap();
    let lines = ldconfig_print(&tree);
    assert_eq!(
        lines,
        [
            "4 libs found in cache `CACHE'".replace(
                "CACHE",
                &lines[0][lines[0].find('`').unwrap() + 1..lines[0].len() - 1]
            ),
            "\tlibplain.so.5 (libc6,x86-64) => /usr/lib/libplain.so.5".to_owned(),
            "\tlibfoo.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libfoo.so.1".to_owned(),
            "\tlibfoo.so (libc6,x86-64) => /lib/x86_64-linux-gnu/libfoo.so".to_owned(),
            "\tlibbar.so.2 (libc6,x86-64) => /lib/x86_64-linux-gnu/libbar.so.2".to_owned(),
        ]
    );
}

#[test]
fn glibc_ldconfig_reads_the_cache_for_arm64() {
    let mut tree = tree_of(vec![libraries("arm64", AARCH64)]);
    ld_so_cache(&mut tree, &"arm64".parse().unwrap()).unwrap();
    let lines = ldconfig_print(&tree);
    assert_eq!(lines.len(), 5, "{lines:?}");
    assert_eq!(
        lines[2],
        "\tlibfoo.so.1 (libc6,AArch64) => /lib/aarch64-linux-gnu/libfoo.so.1"
    );
}

#[test]
fn missing_soname_link_is_created_as_ldconfig_would() {
    let mut tree = tree_of(vec![libraries("amd64", X86_64)]);
    ld_so_cache(&mut tree, &"amd64".parse().unwrap()).unwrap();
    let link = tree.get(&path("usr/lib/x86_64-linux-gnu/libbar.so.2")).unwrap();
    assert_eq!(link.kind, FileKind::Symlink("libbar.so.2.0".into()));
    assert!(link.owners.is_empty());
}

#[test]
fn image_without_libraries_gets_no_cache() {
    let mut tree = tree_of(vec![DebBuilder::new("base-files", "13", "amd64").file(
        "etc/hostname",
        b"x",
        0o644,
    )]);
    ld_so_cache(&mut tree, &"amd64".parse().unwrap()).unwrap();
    assert!(tree.get(&path(LD_SO_CACHE)).is_none());
}

#[test]
fn unknown_architecture_is_an_error() {
    let mut tree = tree_of(vec![]);
    let err = ld_so_cache(&mut tree, &"mips64el".parse().unwrap()).unwrap_err();
    assert!(err.to_string().contains("`mips64el`"), "{err}");
}

#[test]
fn libcmp_compares_digit_runs_as_numbers() {
    let cmp = |a: &str, b: &str| libcmp(a.as_bytes(), b.as_bytes());
    assert_eq!(cmp("libfoo.so.10", "libfoo.so.9"), Ordering::Greater);
    assert_eq!(cmp("libfoo.so.1", "libfoo.so"), Ordering::Greater);
    assert_eq!(cmp("libfoo.so", "libfoo.so"), Ordering::Equal);
    assert_eq!(
        cmp("lib1", "liba"),
        Ordering::Greater,
        "a digit sorts after a letter"
    );
    assert_eq!(cmp("libb", "liba"), Ordering::Greater);
}

/// The keys of the host's own cache, in file order, as glibc's ldconfig sorted them.
fn host_cache_keys() -> Vec<String> {
    let bytes = std::fs::read("/etc/ld.so.cache").expect("the host has an ld.so.cache");
    assert_eq!(&bytes[..17], MAGIC, "the host cache is in the new format");
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
    let nlibs = u32_at(20);
    (0..nlibs)
        .map(|i| {
            let key = u32_at(HEADER_LEN + i * ENTRY_LEN + 4);
            let end = bytes[key..].iter().position(|&b| b == 0).unwrap();
            String::from_utf8(bytes[key..key + end].to_vec()).unwrap()
        })
        .collect()
}

#[test]
fn sort_order_matches_the_hosts_ldconfig() {
    let keys = host_cache_keys();
    assert!(keys.len() > 50, "{} keys", keys.len());
    let mut shuffled = keys.clone();
    shuffled.reverse();
    shuffled.rotate_left(keys.len() / 3);
    shuffled.sort_by(|a, b| libcmp(b.as_bytes(), a.as_bytes()));
    assert_eq!(shuffled, keys);
}
