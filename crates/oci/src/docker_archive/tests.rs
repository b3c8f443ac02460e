use super::*;
use crate::config::RootFs;
use std::fs;

fn p(s: &str) -> RelPath {
    RelPath::new(s).unwrap()
}

/// An uncompressed layer holding one file; returns (diff_id, tar bytes).
fn layer(name: &str, text: &str) -> (Sha256, Vec<u8>) {
    let mut w = LayerWriter::new(Vec::new(), Compression::None, 0).unwrap();
    w.append(&Entry::file(p(name), 0o644, text.len() as u64), text.as_bytes())
        .unwrap();
    let (digests, bytes) = w.finish().unwrap();
    (digests.diff_id, bytes)
}

fn config_bytes(diff_ids: Vec<Sha256>) -> Vec<u8> {
    let config = ImageConfig {
        architecture: "amd64".into(),
        os: "linux".into(),
        rootfs: RootFs::layers(diff_ids),
        ..ImageConfig::default()
    };
    canonical_json(&config).unwrap()
}

fn write_archive(target: &Path, layers: &[(Sha256, Vec<u8>)]) -> Vec<u8> {
    let mut w = DockerArchiveWriter::create(target, 1_700_000_000).unwrap();
    for (diff_id, bytes) in layers {
        w.add_layer(*diff_id, bytes.len() as u64, bytes.as_slice())
            .unwrap();
    }
    let config = config_bytes(layers.iter().map(|l| l.0).collect());
    w.finish(&config, &["buckle/test:v1".to_owned()]).unwrap();
    config
}

fn read_member(archive: &DockerArchive, name: &RelPath) -> Result<Vec<u8>> {
    let (mut reader, size) = archive.open_member(name)?;
    let mut out = Vec::new();
    reader
        .read_to_end(&mut out)
        .map_err(|e| from_io(archive.path(), e))?;
    assert_eq!(out.len() as u64, size);
    Ok(out)
}

#[test]
fn docker_archive_round_trips_and_is_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let layers = [layer("a", "first"), layer("b", "second")];
    let target = dir.path().join("image.tar");
    let config = write_archive(&target, &layers);
    let first = fs::read(&target).unwrap();
    write_archive(&target, &layers);
    assert_eq!(fs::read(&target).unwrap(), first, "same image, same bytes");
    assert_eq!(
        fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary file left"
    );

    let archive = DockerArchive::open(&target).unwrap();
    let image = archive.select(Some("v1")).unwrap();
    assert_eq!(image.repo_tags, ["buckle/test:v1"]);
    assert_eq!(image.config, blob_member(&Sha256::of(&config)));
    assert_eq!(archive.read_config(image).unwrap(), config);
    for (member, (diff_id, bytes)) in image.layers.iter().zip(&layers) {
        assert_eq!(member, &blob_member(diff_id));
        assert_eq!(&read_member(&archive, member).unwrap(), bytes);
    }
    let manifest = read_member(&archive, &p(MANIFEST_FILE)).unwrap();
    assert_eq!(
        String::from_utf8(manifest).unwrap(),
        format!(
            r#"[{{"Config":"blobs/sha256/{}","Layers":["blobs/sha256/{}","blobs/sha256/{}"],"RepoTags":["buckle/test:v1"]}}]"#,
            Sha256::of(&config),
            layers[0].0,
            layers[1].0
        )
    );
}

/// Builds an archive the way older `docker save` did (`<id>/layer.tar`,
/// `<hex>.json`), with one layer reached through a symlink as Docker 25 writes them.
fn legacy_archive(target: &Path, layers: &[(Sha256, Vec<u8>)]) -> Vec<u8> {
    let config = config_bytes(layers.iter().map(|l| l.0).collect());
    let config_name = format!("{}.json", Sha256::of(&config));
    let out = fs::File::create(target).unwrap();
    let mut w = LayerWriter::new(out, Compression::None, 0).unwrap();
    let (first, second) = (&layers[0], &layers[1]);
    w.append(&Entry::directory(p("blobs/sha256"), 0o755), std::io::empty())
        .unwrap();
    w.append(
        &Entry::file(
            p(&format!("blobs/sha256/{}", second.0)),
            0o644,
            second.1.len() as u64,
        ),
        second.1.as_slice(),
    )
    .unwrap();
    w.append(&Entry::directory(p("aaa"), 0o755), std::io::empty())
        .unwrap();
    w.append(
        &Entry::file(p("aaa/layer.tar"), 0o644, first.1.len() as u64),
        first.1.as_slice(),
    )
    .unwrap();
    w.append(&Entry::directory(p("bbb"), 0o755), std::io::empty())
        .unwrap();
    w.append(
        &Entry::symlink(p("bbb/layer.tar"), format!("../blobs/sha256/{}", second.0)),
        std::io::empty(),
    )
    .unwrap();
    w.append(
        &Entry::file(p(&config_name), 0o644, config.len() as u64),
        config.as_slice(),
    )
    .unwrap();
    let manifest = format!(
        r#"[{{"Config":"{config_name}","RepoTags":null,"Layers":["aaa/layer.tar","bbb/layer.tar"]}}]"#
    );
    w.append(
        &Entry::file(p(MANIFEST_FILE), 0o644, manifest.len() as u64),
        manifest.as_bytes(),
    )
    .unwrap();
    w.finish().unwrap();
    config
}

#[test]
fn legacy_layer_tar_names_and_symlinked_layers_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("saved.tar");
    let layers = [layer("a", "one"), layer("b", "two")];
    let config = legacy_archive(&target, &layers);
    let archive = DockerArchive::open(&target).unwrap();
    let image = archive.select(None).unwrap();
    assert!(image.repo_tags.is_empty());
    assert_eq!(archive.read_config(image).unwrap(), config);
    assert_eq!(read_member(&archive, &image.layers[0]).unwrap(), layers[0].1);
    assert_eq!(read_member(&archive, &image.layers[1]).unwrap(), layers[1].1);
}

#[test]
fn tampered_config_in_archive_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("image.tar");
    let config = write_archive(&target, &[layer("a", "x")]);
    let mut bytes = fs::read(&target).unwrap();
    let at = bytes
        .windows(config.len())
        .position(|w| w == config.as_slice())
        .unwrap();
    bytes[at + 3] ^= 0x20;
    fs::write(&target, &bytes).unwrap();
    let archive = DockerArchive::open(&target).unwrap();
    let err = archive.read_config(archive.select(None).unwrap()).unwrap_err();
    match err {
        Error::BlobDigest {
            expected,
            actual,
            path,
        } => {
            assert_eq!(expected, Sha256::of(&config));
            assert_ne!(actual, expected);
            assert!(path
                .to_string_lossy()
                .ends_with(&format!("image.tar:blobs/sha256/{expected}")));
        }
        other => panic!("expected a digest mismatch, got {other}"),
    }
}

#[test]
fn layer_with_wrong_diff_id_is_refused_and_nothing_is_left() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("image.tar");
    let (_, bytes) = layer("a", "x");
    let mut w = DockerArchiveWriter::create(&target, 0).unwrap();
    let claimed = Sha256::of(b"something else");
    let err = w
        .add_layer(claimed, bytes.len() as u64, bytes.as_slice())
        .unwrap_err();
    assert!(
        matches!(err, Error::LayerDiffId { layer: 0, expected, .. } if expected == claimed),
        "{err}"
    );
    drop(w);
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn config_that_does_not_list_the_layers_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (diff_id, bytes) = layer("a", "x");
    let mut w = DockerArchiveWriter::create(dir.path().join("image.tar"), 0).unwrap();
    w.add_layer(diff_id, bytes.len() as u64, bytes.as_slice())
        .unwrap();
    let err = w.finish(&config_bytes(vec![]), &[]).unwrap_err();
    assert!(
        matches!(err, Error::LayersDoNotMatchConfig { config: 0, layers: 1 }),
        "{err}"
    );
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn symlink_leaving_the_archive_is_not_followed() {
    assert_eq!(resolve_link(&p("a/layer.tar"), "../../etc/passwd"), None);
    assert_eq!(resolve_link(&p("a/layer.tar"), "/etc/passwd"), None);
    assert_eq!(resolve_link(&p("a/layer.tar"), "../blobs/x"), Some(p("blobs/x")));
}
