use super::*;
use buckle_oci::tar::{Compression, Entry, LayerWriter};
use buckle_spec::UpstreamOrigin;

fn archive(compression: Compression, entries: &[(Entry, &[u8])]) -> Vec<u8> {
    let mut writer = LayerWriter::new(Vec::new(), compression, 0).unwrap();
    for (entry, content) in entries {
        writer.append(entry, *content).unwrap();
    }
    writer.finish().unwrap().1
}

#[derive(Clone, Copy)]
enum Packed {
    Gzip,
    Xz,
}

fn node_tarball(packed: Packed) -> Vec<u8> {
    let p = |s: &str| -> RelPath { s.parse().unwrap() };
    let tar = archive(
        Compression::None,
        &[
            (Entry::directory(p("package"), 0o777), b""),
            (Entry::directory(p("package/bin"), 0o775), b""),
            (
                Entry::file(p("package/bin/node"), 0o4777, 4).with_owner(1000, 1000),
                b"ELF!",
            ),
            (Entry::file(p("package/LICENSE"), 0o666, 3), b"MIT"),
            (
                Entry::hardlink(p("package/bin/nodejs"), p("package/bin/node"), 0o4777),
                b"",
            ),
            (Entry::file(p("package/include/node/v8.h"), 0o644, 2), b"//"),
        ],
    );
    match packed {
        Packed::Gzip => {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            std::io::Write::write_all(&mut gz, &tar).unwrap();
            gz.finish().unwrap()
        }
        Packed::Xz => {
            let mut xz = liblzma::write::XzEncoder::new(Vec::new(), 1);
            std::io::Write::write_all(&mut xz, &tar).unwrap();
            xz.finish().unwrap()
        }
    }
}

fn spec(paths: &[&str]) -> Upstream {
    Upstream {
        name: "node".into(),
        version: "22".into(),
        origin: UpstreamOrigin::Npm(BTreeMap::new()),
        prefix: "/opt/node".into(),
        strip_components: 1,
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
        links: BTreeMap::from([("/usr/bin/node".to_owned(), "/opt/node/bin/node".to_owned())]),
    }
}

fn node<'a>(layer: &'a UpstreamLayer, path: &str) -> Option<&'a Node> {
    layer.tree.get(&path.parse().unwrap())
}

#[test]
fn artifact_lands_under_its_prefix_root_owned_with_normalised_modes() {
    for compression in [Packed::Gzip, Packed::Xz] {
        let bytes = node_tarball(compression);
        let layer =
            unpack_upstream(&spec(&[]), "22.23.5", "node.tgz", &bytes[..], &Limits::default()).unwrap();
        let binary = node(&layer, "opt/node/bin/node").unwrap();
        assert_eq!(
            (binary.mode, binary.uid, binary.gid),
            (0o755, 0, 0),
            "setuid and world-write dropped"
        );
        assert_eq!(node(&layer, "opt/node/LICENSE").unwrap().mode, 0o644);
        assert_eq!(node(&layer, "opt/node/bin").unwrap().mode, 0o755);
        let copy = node(&layer, "opt/node/bin/nodejs").unwrap();
        assert!(copy.content().unwrap().same_bytes(binary.content().unwrap()));
        assert_eq!(copy.mode, 0o755);
        assert_eq!(
            node(&layer, "usr/bin/node").unwrap().kind,
            FileKind::Symlink("/opt/node/bin/node".into())
        );
        assert!(
            node(&layer, "package").is_none(),
            "the first component is stripped"
        );
    }
}

#[test]
fn paths_keep_only_what_the_spec_lists() {
    let bytes = node_tarball(Packed::Gzip);
    let layer = unpack_upstream(
        &spec(&["bin/node", "LICENSE"]),
        "22.23.5",
        "node.tgz",
        &bytes[..],
        &Limits::default(),
    )
    .unwrap();
    assert!(node(&layer, "opt/node/bin/node").is_some());
    assert!(node(&layer, "opt/node/include").is_none());
    assert!(node(&layer, "opt/node/bin/nodejs").is_none());
}

#[test]
fn a_listed_path_the_archive_lacks_is_an_error() {
    let bytes = node_tarball(Packed::Gzip);
    let err = unpack_upstream(
        &spec(&["bin/npm"]),
        "22.23.5",
        "node.tgz",
        &bytes[..],
        &Limits::default(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "upstream artifact `node` (`node.tgz`) cannot be used: it has no `bin/npm` (after dropping 1 leading path components)"
    );
}

#[test]
fn an_archive_that_is_not_a_compressed_tar_is_refused() {
    let err = unpack_upstream(
        &spec(&[]),
        "1",
        "node.zip",
        &b"PK\x03\x04"[..],
        &Limits::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("neither gzip nor xz"), "{err}");
}

#[test]
fn tar_entry_escaping_root_is_rejected() {
    let mut raw = ::std::vec::Vec::new();
    {
        // A hand-made ustar header naming `../etc/passwd`.
        let mut header = [0u8; 512];
        header[..13].copy_from_slice(b"../etc/passwd");
        header[100..107].copy_from_slice(b"0000644");
        header[124..135].copy_from_slice(b"00000000000");
        header[156] = b'0';
        header[257..263].copy_from_slice(b"ustar\0");
        header[263..265].copy_from_slice(b"00");
        header[148..156].copy_from_slice(b"        ");
        let sum: u32 = header.iter().map(|b| u32::from(*b)).sum();
        header[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        raw.extend_from_slice(&header);
        raw.extend_from_slice(&[0u8; 1024]);
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &raw).unwrap();
    let bytes = gz.finish().unwrap();
    let err = unpack_upstream(&spec(&[]), "1", "evil.tgz", &bytes[..], &Limits::default()).unwrap_err();
    let chain = format!(
        "{err}: {}",
        std::error::Error::source(&err)
            .map(ToString::to_string)
            .unwrap_or_default()
    );
    assert!(chain.contains("evil.tgz"), "{chain}");
}

#[test]
fn artifact_replacing_a_package_file_or_a_merged_usr_link_is_a_conflict() {
    let bytes = node_tarball(Packed::Gzip);
    let mut layer = unpack_upstream(
        &spec(&["bin/node"]),
        "22.23.5",
        "node.tgz",
        &bytes[..],
        &Limits::default(),
    )
    .unwrap();
    let mut image = Tree::new();
    image
        .insert(&"usr/bin".parse().unwrap(), Node::directory(0o755))
        .unwrap();
    merge_check(&image, &mut layer).unwrap();
    image
        .insert(&"usr/bin/node".parse().unwrap(), Node::file("debian node", 0o755))
        .unwrap();
    let err = merge_check(&image, &mut layer).unwrap_err();
    assert_eq!(
        err.to_string(),
        "upstream artifact `node` would replace `/usr/bin/node`, which `buckle` puts in the image"
    );
}
