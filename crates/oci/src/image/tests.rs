use super::*;
use crate::config::RootFs;
use crate::descriptor::annotation;
use crate::layout::LayoutWriter;
use crate::manifest::ImageIndex;
use crate::tar::Compression;

fn p(s: &str) -> RelPath {
    RelPath::new(s).unwrap()
}

fn dir(path: &str) -> (Entry, Vec<u8>) {
    (Entry::directory(p(path), 0o755), vec![])
}

fn file(path: &str, text: &str) -> (Entry, Vec<u8>) {
    (
        Entry::file(p(path), 0o644, text.len() as u64),
        text.as_bytes().to_vec(),
    )
}

/// Writes a layout tagged `latest` with one layer per element of `layers`. When
/// `lie_about` is set, the config lists a wrong diff_id for that layer.
fn layout_with(
    target: &Path,
    layers: &[Vec<(Entry, Vec<u8>)>],
    compression: Compression,
    lie_about: Option<usize>,
) -> Descriptor {
    let writer = LayoutWriter::create(target).unwrap();
    let mut descriptors = Vec::new();
    let mut diff_ids = Vec::new();
    for (i, entries) in layers.iter().enumerate() {
        let mut layer = writer.layer_writer(compression, 0).unwrap();
        for (entry, content) in entries {
            layer.append(entry, content.as_slice()).unwrap();
        }
        let (descriptor, digests) = writer.commit_layer(layer).unwrap();
        descriptors.push(descriptor);
        diff_ids.push(if lie_about == Some(i) {
            Sha256::of(b"not this layer")
        } else {
            digests.diff_id
        });
    }
    let config = ImageConfig {
        architecture: "amd64".into(),
        os: "linux".into(),
        rootfs: RootFs::layers(diff_ids),
        ..ImageConfig::default()
    };
    let config = writer.put_config(&config).unwrap();
    let manifest = writer
        .put_manifest(&ImageManifest::new(config, descriptors))
        .unwrap();
    let index = ImageIndex::new(vec![manifest
        .clone()
        .with_annotation(annotation::REF_NAME, "latest")]);
    writer.finish(&index).unwrap();
    manifest
}

fn three_layers() -> Vec<Vec<(Entry, Vec<u8>)>> {
    vec![
        vec![
            dir("etc"),
            file("etc/a", "a"),
            file("etc/b", "b"),
            dir("var"),
            dir("var/lib"),
            file("var/lib/x", "x"),
            file("var/y", "y"),
        ],
        vec![
            file("etc/.wh.a", ""),
            dir("var"),
            file("var/.wh..wh..opq", ""),
            file("var/new", "new"),
            file("tmpfile", "short-lived"),
        ],
        vec![file(".wh.tmpfile", ""), file("etc/b", "b2")],
    ]
}

fn summary(files: &BTreeMap<RelPath, MergedFile>) -> Vec<(String, usize)> {
    files
        .values()
        .map(|f| (f.entry.path.to_string(), f.layer))
        .collect()
}

#[test]
fn whiteouts_are_applied_across_layers() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("img");
    let manifest = layout_with(&target, &three_layers(), Compression::Gzip, None);
    let image = open_image(&target, &Selector::default()).unwrap();
    assert_eq!(image.manifest_digest(), manifest.digest);
    assert_eq!(image.ref_name(), Some("latest"));
    let files = image
        .merged_files(|entry| entry.path.as_str() == "etc/b")
        .unwrap();
    assert_eq!(
        summary(&files),
        [
            ("etc".to_owned(), 0),
            ("etc/b".to_owned(), 2),
            ("var".to_owned(), 1),
            ("var/new".to_owned(), 1)
        ]
    );
    assert_eq!(files[&p("etc/b")].content.as_deref(), Some(&b"b2"[..]));
    assert_eq!(files[&p("var/new")].content, None, "content only when asked");
}

#[test]
fn file_replacing_a_directory_hides_its_contents() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("img");
    let layers = vec![
        vec![self::dir("opt"), file("opt/x", "x")],
        vec![file("opt", "now a file")],
    ];
    layout_with(&target, &layers, Compression::None, None);
    let files = open_image(&target, &Selector::default())
        .unwrap()
        .merged_files(|_| false)
        .unwrap();
    assert_eq!(summary(&files), [("opt".to_owned(), 1)]);
}

#[test]
fn zstd_and_plain_layers_are_recognised_by_magic() {
    for compression in [Compression::Zstd, Compression::None] {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("img");
        layout_with(&target, &three_layers(), compression, None);
        let image = open_image(&target, &Selector::default()).unwrap();
        assert_eq!(
            image.layers()[0].descriptor.media_type,
            compression.layer_media_type()
        );
        assert_eq!(image.merged_files(|_| true).unwrap().len(), 4, "{compression:?}");
    }
}

#[test]
fn layer_that_does_not_match_its_diff_id_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("img");
    layout_with(&target, &three_layers(), Compression::Gzip, Some(1));
    let image = open_image(&target, &Selector::default()).unwrap();
    let err = image.merged_files(|_| false).unwrap_err();
    match err {
        Error::LayerDiffId {
            layer: 1, expected, ..
        } => assert_eq!(expected, Sha256::of(b"not this layer")),
        other => panic!("expected a diff_id mismatch, got {other}"),
    }
}

#[test]
fn docker_archive_written_from_a_layout_reads_back_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("img");
    layout_with(&target, &three_layers(), Compression::Gzip, None);
    let from_layout = open_image(&target, &Selector::default()).unwrap();
    let archive = dir.path().join("img.tar");
    from_layout
        .write_docker_archive(&archive, &["buckle/t:latest".to_owned()], 0)
        .unwrap();

    let (path, selector) = parse_image_arg(&format!("{}:latest", archive.display()));
    let from_archive = open_image(&path, &selector).unwrap();
    assert_eq!(from_archive.config_bytes(), from_layout.config_bytes());
    assert_eq!(from_archive.ref_name(), Some("buckle/t:latest"));
    let diff_ids: Vec<Sha256> = from_archive
        .layers()
        .iter()
        .map(|l| l.descriptor.digest)
        .collect();
    assert_eq!(diff_ids, from_layout.config().rootfs.diff_ids);
    assert_eq!(
        from_archive.merged_files(|_| true).unwrap(),
        from_layout.merged_files(|_| true).unwrap()
    );
}

#[test]
fn image_argument_with_a_tag_is_split() {
    let dir = tempfile::tempdir().unwrap();
    let arg = format!("{}:v1", dir.path().display());
    let (path, selector) = parse_image_arg(&arg);
    assert_eq!(path, dir.path());
    assert_eq!(selector.ref_name.as_deref(), Some("v1"));
    let (path, selector) = parse_image_arg(&dir.path().display().to_string());
    assert_eq!((path.as_path(), selector), (dir.path(), Selector::default()));
}
