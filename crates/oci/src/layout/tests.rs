use super::*;
use crate::config::RootFs;
use crate::descriptor::annotation;
use crate::tar::{Entry, Reader};
use std::io::Read;

fn config_for(arch: &str, diff_ids: Vec<Sha256>) -> ImageConfig {
    ImageConfig {
        architecture: arch.to_owned(),
        os: "linux".to_owned(),
        rootfs: RootFs::layers(diff_ids),
        ..ImageConfig::default()
    }
}

/// Writes a one-layer image whose only file is `hello` with `text`; returns the
/// manifest descriptor.
fn put_image(writer: &LayoutWriter, arch: &str, text: &str) -> Descriptor {
    let mut layer = writer.layer_writer(Compression::Gzip, 0).unwrap();
    layer
        .append(
            &Entry::file("hello".parse().unwrap(), 0o644, text.len() as u64),
            text.as_bytes(),
        )
        .unwrap();
    let (layer, digests) = writer.commit_layer(layer).unwrap();
    let config = writer
        .put_config(&config_for(arch, vec![digests.diff_id]))
        .unwrap();
    writer
        .put_manifest(&ImageManifest::new(config, vec![layer]))
        .unwrap()
}

fn tagged(descriptor: Descriptor, tag: &str) -> Descriptor {
    descriptor.with_annotation(annotation::REF_NAME, tag)
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn layout_round_trips_through_open() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("img");
    let writer = LayoutWriter::create(&target).unwrap();
    let manifest = put_image(&writer, "amd64", "hi there");
    writer
        .finish(&ImageIndex::new(vec![tagged(manifest.clone(), "latest")]))
        .unwrap();

    assert_eq!(names_in(dir.path()), ["img"]);
    assert_eq!(
        fs::read_to_string(target.join(OCI_LAYOUT_FILE)).unwrap(),
        r#"{"imageLayoutVersion":"1.0.0"}"#
    );
    let layout = Layout::open(&target).unwrap();
    let image = layout
        .select(&Selector {
            ref_name: Some("latest".into()),
            platform: None,
        })
        .unwrap();
    assert_eq!(image.descriptor.digest, manifest.digest);
    assert_eq!(image.platform, Platform::linux("amd64"));
    let config = layout.read_config(&image.manifest.config).unwrap();
    let layer = &image.manifest.layers[0];
    assert_eq!(layer.media_type, media_type::OCI_LAYER_GZIP);

    let unzipped = flate2::read::GzDecoder::new(layout.open_blob(layer).unwrap());
    let mut tar = Reader::new(unzipped);
    let mut texts = Vec::new();
    for item in tar.entries().unwrap() {
        let (entry, mut content) = item.unwrap();
        let mut text = String::new();
        content.read_to_string(&mut text).unwrap();
        texts.push((entry.path.to_string(), text));
    }
    assert_eq!(texts, [("hello".to_owned(), "hi there".to_owned())]);
    tar.finish().unwrap();
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(layout.open_blob(layer).unwrap())
        .read_to_end(&mut raw)
        .unwrap();
    assert_eq!(config.rootfs.diff_ids, [Sha256::of(&raw)]);
}

#[test]
fn one_image_under_two_tags_is_selected_without_a_tag_but_two_images_are_ambiguous() {
    let dir = tempfile::tempdir().unwrap();
    let writer = LayoutWriter::create(dir.path().join("img")).unwrap();
    let manifest = put_image(&writer, "amd64", "one");
    let other = put_image(&writer, "amd64", "two");
    let layout = writer
        .finish(&ImageIndex::new(vec![
            tagged(manifest.clone(), "latest"),
            tagged(manifest.clone(), "1.0"),
        ]))
        .unwrap();
    let image = layout.select(&Selector::default()).unwrap();
    assert_eq!(image.descriptor.digest, manifest.digest);

    let mut layout = layout;
    layout
        .add_manifest(&layout.read_manifest(&other).unwrap(), &[])
        .unwrap();
    let err = layout.select(&Selector::default()).unwrap_err();
    assert!(matches!(err, Error::AmbiguousImage { .. }), "{err}");
}

#[test]
fn tampered_blob_is_caught_on_read_with_both_digests() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("img");
    let writer = LayoutWriter::create(&target).unwrap();
    let manifest = put_image(&writer, "amd64", "hi");
    let layout = writer.finish(&ImageIndex::new(vec![manifest])).unwrap();
    let image = layout.select(&Selector::default()).unwrap();

    let config_path = layout.blob_path(&image.manifest.config.digest);
    let mut bytes = fs::read(&config_path).unwrap();
    bytes[2] ^= 0x20; // flip a case: same size, other digest
    fs::write(&config_path, &bytes).unwrap();
    let err = layout.read_config(&image.manifest.config).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "blob `{}` does not match its digest: expected sha256:{}, found sha256:{}",
            config_path.display(),
            image.manifest.config.digest,
            Sha256::of(&bytes)
        )
    );
    assert!(err.hint().is_some());

    let layer = &image.manifest.layers[0];
    let layer_path = layout.blob_path(&layer.digest);
    let mut bytes = fs::read(&layer_path).unwrap();
    bytes.push(0);
    fs::write(&layer_path, &bytes).unwrap();
    let mut streamed = Vec::new();
    let err = layout
        .open_blob(layer)
        .unwrap()
        .read_to_end(&mut streamed)
        .unwrap_err();
    let err = crate::blob::from_io(&layer_path, err);
    assert!(
        matches!(err, Error::BlobSize { expected, .. } if expected == layer.size),
        "{err}"
    );
}

#[test]
fn dropped_writer_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let writer = LayoutWriter::create(dir.path().join("img")).unwrap();
    put_image(&writer, "amd64", "partial");
    let blob = writer.blob_writer().unwrap();
    assert_eq!(
        names_in(dir.path()).len(),
        1,
        "the temporary sibling exists while writing"
    );
    drop(blob);
    drop(writer);
    assert!(names_in(dir.path()).is_empty());
}

#[test]
fn a_layout_in_a_directory_that_does_not_exist_yet_creates_it() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out/images/img");
    let writer = LayoutWriter::create(&target).unwrap();
    let manifest = put_image(&writer, "amd64", "nested");
    writer.finish(&ImageIndex::new(vec![manifest])).unwrap();
    assert_eq!(names_in(&dir.path().join("out/images")), ["img"]);
    Layout::open(&target).unwrap();
}

#[test]
fn finish_replaces_an_existing_layout_and_cleans_up() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("img");
    for text in ["first", "second"] {
        let writer = LayoutWriter::create(&target).unwrap();
        let manifest = put_image(&writer, "amd64", text);
        writer.finish(&ImageIndex::new(vec![manifest])).unwrap();
    }
    assert_eq!(names_in(dir.path()), ["img"]);
    let layout = Layout::open(&target).unwrap();
    let layer = &layout.select(&Selector::default()).unwrap().manifest.layers[0];
    let mut tar = Reader::new(flate2::read::GzDecoder::new(layout.open_blob(layer).unwrap()));
    let (_, mut content) = tar.entries().unwrap().next().unwrap().unwrap();
    let mut text = String::new();
    content.read_to_string(&mut text).unwrap();
    assert_eq!(text, "second");
}

#[test]
fn a_directory_that_is_not_a_layout_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("home");
    fs::create_dir(&target).unwrap();
    fs::write(target.join("notes.txt"), "keep me").unwrap();
    let err = LayoutWriter::create(&target).err().unwrap();
    assert!(matches!(err, Error::BadTarget { .. }), "{err}");
    assert_eq!(fs::read_to_string(target.join("notes.txt")).unwrap(), "keep me");
    assert_eq!(names_in(dir.path()), ["home"]);
}

#[test]
fn finish_refuses_a_target_that_became_a_directory_that_is_not_a_layout() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("home");
    let writer = LayoutWriter::create(&target).unwrap();
    let manifest = put_image(&writer, "amd64", "x");
    fs::create_dir(&target).unwrap();
    fs::write(target.join("notes.txt"), "keep me").unwrap();
    let err = writer.finish(&ImageIndex::new(vec![manifest])).unwrap_err();
    assert!(matches!(err, Error::BadTarget { .. }), "{err}");
    assert_eq!(fs::read_to_string(target.join("notes.txt")).unwrap(), "keep me");
    assert_eq!(names_in(dir.path()), ["home"]);
}

#[test]
fn added_referrer_is_listed_but_not_taken_for_an_image() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("img");
    let writer = LayoutWriter::create(&target).unwrap();
    let manifest = put_image(&writer, "amd64", "hi");
    let mut layout = writer
        .finish(&ImageIndex::new(vec![tagged(manifest.clone(), "v1")]))
        .unwrap();

    let sbom = layout
        .put_blob("application/spdx+json", br#"{"spdxVersion":"SPDX-2.3"}"#)
        .unwrap();
    let artifact = ImageManifest::artifact("application/spdx+json", vec![sbom], manifest.clone());
    let added = layout.add_manifest(&artifact, &[]).unwrap();

    let reopened = Layout::open(&target).unwrap();
    assert_eq!(reopened.index().manifests.len(), 2);
    assert_eq!(reopened.index().manifests[1], added);
    assert_eq!(added.artifact_type.as_deref(), Some("application/spdx+json"));
    let read_back = reopened.read_manifest(&added).unwrap();
    assert_eq!(read_back.subject.map(|s| s.digest), Some(manifest.digest));
    let images = reopened.images().unwrap();
    assert_eq!(images.len(), 1);
    assert_eq!(images[0].ref_name.as_deref(), Some("v1"));
    assert_eq!(
        names_in(&target),
        ["blobs", FULL_INDEX_FILE, "index.json", "oci-layout"]
    );
    // index.json still lists the image alone: the referrer is in the full index.
    assert_eq!(only_entry_of_index_json(&target).digest, manifest.digest);
    let empty_config = reopened.read_manifest(&added).unwrap().config;
    assert_eq!(reopened.read_blob(&empty_config).unwrap(), media_type::EMPTY_JSON);
}

#[test]
fn nested_index_is_resolved_by_platform() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("multi");
    let writer = LayoutWriter::create(&target).unwrap();
    let amd64 = put_image(&writer, "amd64", "x86").with_platform(Platform::linux("amd64"));
    let arm64 = put_image(&writer, "arm64", "arm").with_platform(Platform {
        variant: Some("v8".into()),
        ..Platform::linux("arm64")
    });
    let nested = writer
        .put_index(&ImageIndex::new(vec![amd64, arm64.clone()]))
        .unwrap();
    let layout = writer
        .finish(&ImageIndex::new(vec![tagged(nested, "latest")]))
        .unwrap();

    let picked = layout
        .select(&Selector {
            ref_name: Some("latest".into()),
            platform: Some(Platform::linux("arm64")),
        })
        .unwrap();
    assert_eq!(picked.descriptor.digest, arm64.digest);
    assert_eq!(picked.ref_name.as_deref(), Some("latest"));

    let err = layout.select(&Selector::default()).unwrap_err();
    match &err {
        Error::AmbiguousImage { candidates, .. } => {
            assert_eq!(candidates.len(), 2);
            assert!(
                candidates[1].starts_with("latest linux/arm64/v8 sha256:"),
                "{candidates:?}"
            );
        }
        other => panic!("expected ambiguity, got {other}"),
    }
    let err = layout
        .select(&Selector {
            ref_name: Some("nope".into()),
            platform: None,
        })
        .unwrap_err();
    assert!(
        err.to_string().ends_with("holds no image matching `nope`"),
        "{err}"
    );
}

#[test]
fn directory_without_oci_layout_file_is_not_a_layout() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join(INDEX_FILE), "{}").unwrap();
    let err = Layout::open(dir.path()).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("is not an OCI image layout: no readable `oci-layout` file"),
        "{err}"
    );
}

#[test]
fn cosign_signature_tag_is_not_taken_for_an_image_and_can_be_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("img");
    let writer = LayoutWriter::create(&target).unwrap();
    let manifest = put_image(&writer, "amd64", "hi");
    let mut layout = writer
        .finish(&ImageIndex::new(vec![tagged(manifest.clone(), "v1")]))
        .unwrap();
    // cosign's `.sig` tag: an OCI config, and a payload blob that is not a layer.
    let tag = format!("sha256-{}.sig", manifest.digest.hex());
    let config = layout
        .put_blob(
            media_type::OCI_CONFIG,
            br#"{"rootfs":{"type":"layers","diff_ids":[]}}"#,
        )
        .unwrap();
    let payload = layout
        .put_blob("application/vnd.dev.cosign.simplesigning.v1+json", b"{}")
        .unwrap();
    let signature = ImageManifest::new(config, vec![payload]);
    layout
        .add_manifest(&signature, &[(annotation::REF_NAME, &tag)])
        .unwrap();
    assert_eq!(layout.images().unwrap().len(), 1);
    assert_eq!(
        layout.select(&Selector::default()).unwrap().descriptor.digest,
        manifest.digest
    );

    layout
        .retain_manifests(|d| d.ref_name() != Some(tag.as_str()))
        .unwrap();
    let reopened = Layout::open(&target).unwrap();
    assert_eq!(reopened.index().manifests, [tagged(manifest, "v1")]);
}

/// The one entry of the layout's `index.json`.
fn only_entry_of_index_json(layout: &Path) -> Descriptor {
    let public = ImageIndex::from_json(&fs::read(layout.join(INDEX_FILE)).unwrap()).unwrap();
    match public.manifests.as_slice() {
        [entry] => entry.clone(),
        more => panic!("index.json lists {} entries, expected one", more.len()),
    }
}

#[test]
fn index_json_lists_one_image_under_its_first_tag_and_names_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("img");
    let writer = LayoutWriter::create(&target).unwrap();
    let manifest = put_image(&writer, "amd64", "hi");
    writer
        .finish(&ImageIndex::new(vec![
            tagged(manifest.clone(), "latest"),
            tagged(manifest.clone(), "1.0-trixie"),
        ]))
        .unwrap();

    let entry = only_entry_of_index_json(&target);
    assert_eq!(entry.digest, manifest.digest);
    assert_eq!(entry.ref_name(), Some("latest"));
    assert_eq!(entry.annotations[TAGS_ANNOTATION], "latest 1.0-trixie");
    let layout = Layout::open(&target).unwrap();
    assert_eq!(layout.index().manifests.len(), 2);
    let by_version = layout
        .select(&Selector {
            ref_name: Some("1.0-trixie".into()),
            platform: None,
        })
        .unwrap();
    assert_eq!(by_version.descriptor.digest, manifest.digest);
}

#[test]
fn index_json_shows_a_multi_platform_image_by_its_first_platform() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("multi");
    let writer = LayoutWriter::create(&target).unwrap();
    let amd64 = put_image(&writer, "amd64", "x86").with_platform(Platform::linux("amd64"));
    let arm64 = put_image(&writer, "arm64", "arm").with_platform(Platform::linux("arm64"));
    let nested = writer
        .put_index(&ImageIndex::new(vec![amd64.clone(), arm64.clone()]))
        .unwrap();
    writer
        .finish(&ImageIndex::new(vec![tagged(nested.clone(), "latest")]))
        .unwrap();

    let entry = only_entry_of_index_json(&target);
    assert_eq!(entry.digest, amd64.digest);
    assert_eq!(entry.media_type, media_type::OCI_MANIFEST);
    assert_eq!(entry.platform, Some(Platform::linux("amd64")));
    assert_eq!(entry.ref_name(), Some("latest"));
    assert_eq!(entry.annotations[INDEX_ANNOTATION], nested.digest.oci());
    // buckle still sees every platform, through the full index.
    let layout = Layout::open(&target).unwrap();
    let platforms: Vec<_> = layout
        .images()
        .unwrap()
        .into_iter()
        .map(|i| i.descriptor.digest)
        .collect();
    assert_eq!(platforms, [amd64.digest, arm64.digest]);
}

#[test]
fn a_layout_without_a_full_index_is_read_and_changed_through_index_json() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("old");
    let writer = LayoutWriter::create(&target).unwrap();
    let manifest = put_image(&writer, "amd64", "hi");
    writer
        .finish(&ImageIndex::new(vec![tagged(manifest.clone(), "latest")]))
        .unwrap();
    // The layout as buckle wrote it before the full index: everything in index.json.
    fs::rename(target.join(FULL_INDEX_FILE), target.join(INDEX_FILE)).unwrap();

    let mut layout = Layout::open(&target).unwrap();
    let sbom = layout.put_blob("application/spdx+json", b"{}").unwrap();
    let artifact = ImageManifest::artifact("application/spdx+json", vec![sbom], manifest.clone());
    let added = layout.add_manifest(&artifact, &[]).unwrap();

    assert!(!target.join(FULL_INDEX_FILE).exists());
    let index = ImageIndex::from_json(&fs::read(target.join(INDEX_FILE)).unwrap()).unwrap();
    assert_eq!(index.manifests.len(), 2);
    assert_eq!(index.manifests[1], added);
    assert_eq!(Layout::open(&target).unwrap().index(), &index);
}

#[test]
fn entries_another_tool_adds_to_index_json_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("img");
    let writer = LayoutWriter::create(&target).unwrap();
    let manifest = put_image(&writer, "amd64", "hi");
    let other = put_image(&writer, "amd64", "other");
    writer
        .finish(&ImageIndex::new(vec![tagged(manifest, "latest")]))
        .unwrap();
    let mut public = ImageIndex::from_json(&fs::read(target.join(INDEX_FILE)).unwrap()).unwrap();
    public.manifests.push(tagged(other.clone(), "copied"));
    fs::write(target.join(INDEX_FILE), public.to_json().unwrap()).unwrap();

    let layout = Layout::open(&target).unwrap();
    assert_eq!(layout.index().manifests.len(), 2);
    assert_eq!(layout.index().manifests[1], tagged(other, "copied"));
}
