//! Damaged images give errors that name the broken link, through `ImageView::from_oci`.

use crate::support::*;
use buckle_digest::Sha256;
use buckle_oci::layout::LayoutWriter;
use buckle_oci::tar::{Compression, Entry};
use buckle_oci::{media_type, ImageConfig, ImageIndex, ImageManifest, RootFs};
use std::error::Error as _;
use std::path::Path;

/// A layout with one plain-tar layer holding `etc/hostname`; the layer blob's path.
fn plain_layout(target: &Path) -> std::path::PathBuf {
    let writer = LayoutWriter::create(target).unwrap();
    let mut layer = writer.layer_writer(Compression::None, 0).unwrap();
    layer
        .append(&Entry::file(p("etc/hostname"), 0o644, 8), &b"box-0001"[..])
        .unwrap();
    let (descriptor, digests) = writer.commit_layer(layer).unwrap();
    let config = ImageConfig {
        architecture: "amd64".into(),
        os: "linux".into(),
        rootfs: RootFs::layers(vec![digests.diff_id]),
        ..ImageConfig::default()
    };
    let config = writer.put_config(&config).unwrap();
    let manifest = writer
        .put_manifest(&ImageManifest::new(config, vec![descriptor.clone()]))
        .unwrap();
    writer.finish(&ImageIndex::new(vec![manifest])).unwrap();
    target.join("blobs/sha256").join(descriptor.digest.hex())
}

/// The error and its causes, outermost first.
fn chain(err: &buckle_check::Error) -> Vec<String> {
    let mut out = vec![err.to_string()];
    let mut source = err.source();
    while let Some(cause) = source {
        out.push(cause.to_string());
        source = cause.source();
    }
    out
}

#[test]
fn a_layer_blob_that_does_not_match_its_digest_is_named_with_both_digests() {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("image");
    let blob = plain_layout(&image);
    let bytes = std::fs::read(&blob).unwrap();
    let changed = String::from_utf8_lossy(&bytes).replace("box-0001", "box-0002");
    std::fs::write(&blob, changed.as_bytes()).unwrap();
    let err = view_of_layout(&image).unwrap_err();
    let causes = chain(&err);
    assert_eq!(
        causes[0],
        format!("cannot read layer 0 of image `{}`", image.display())
    );
    let expected = blob.file_name().unwrap().to_string_lossy().into_owned();
    let actual = Sha256::of(changed.as_bytes()).hex();
    assert_eq!(
        causes[1],
        format!(
            "blob `{}` does not match its digest: expected sha256:{expected}, found sha256:{actual}",
            blob.display()
        )
    );
    assert!(err.hint().is_some());
}

#[test]
fn a_missing_layer_blob_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("image");
    let blob = plain_layout(&image);
    std::fs::remove_file(&blob).unwrap();
    let causes = chain(&view_of_layout(&image).unwrap_err());
    assert_eq!(
        causes[0],
        format!("cannot read layer 0 of image `{}`", image.display())
    );
    assert_eq!(causes[1], format!("cannot read `{}`", blob.display()));
}

#[test]
fn a_layer_that_is_not_a_tar_is_a_tar_error() {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("image");
    let writer = LayoutWriter::create(&image).unwrap();
    let garbage = vec![0x5a_u8; 1024];
    let layer = writer.put_blob(media_type::OCI_LAYER_TAR, &garbage).unwrap();
    let config = ImageConfig {
        architecture: "amd64".into(),
        os: "linux".into(),
        rootfs: RootFs::layers(vec![Sha256::of(&garbage)]),
        ..ImageConfig::default()
    };
    let config = writer.put_config(&config).unwrap();
    let manifest = writer
        .put_manifest(&ImageManifest::new(config, vec![layer]))
        .unwrap();
    writer.finish(&ImageIndex::new(vec![manifest])).unwrap();
    let causes = chain(&view_of_layout(&image).unwrap_err());
    assert_eq!(
        causes[0],
        format!("cannot read layer 0 of image `{}`", image.display())
    );
    assert_eq!(causes[1], "cannot read tar entry #0");
}

#[test]
fn a_config_that_lies_about_a_diff_id_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("image");
    let writer = LayoutWriter::create(&image).unwrap();
    let mut layer = writer.layer_writer(Compression::Gzip, 0).unwrap();
    layer.append(&Entry::file(p("a"), 0o644, 1), &b"a"[..]).unwrap();
    let (descriptor, digests) = writer.commit_layer(layer).unwrap();
    let claimed = Sha256::of(b"some other layer");
    let config = ImageConfig {
        architecture: "amd64".into(),
        os: "linux".into(),
        rootfs: RootFs::layers(vec![claimed]),
        ..ImageConfig::default()
    };
    let config = writer.put_config(&config).unwrap();
    let manifest = writer
        .put_manifest(&ImageManifest::new(config, vec![descriptor]))
        .unwrap();
    writer.finish(&ImageIndex::new(vec![manifest])).unwrap();
    let causes = chain(&view_of_layout(&image).unwrap_err());
    assert_eq!(
        causes[1],
        format!(
            "layer 0 does not match its diff_id: expected sha256:{}, found sha256:{}",
            claimed.hex(),
            digests.diff_id.hex()
        )
    );
}
