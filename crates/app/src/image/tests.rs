use super::*;
use buckle_oci::layout::Selector;
use buckle_oci::{ContainerConfig, ImageIndex, Platform, RelPath, RootFs};

fn path(s: &str) -> RelPath {
    RelPath::new(s).unwrap()
}

/// A one-layer base image in a layout of its own, as a base build leaves it.
fn base_layout(dir: &std::path::Path) -> (Layout, LayoutImage) {
    let writer = LayoutWriter::create(dir.join("base")).unwrap();
    let mut tree = AppTree::new();
    tree.add_file(&path("usr/bin/python3"), b"\x7fELF".to_vec(), 0o755, "python3")
        .unwrap();
    let mut layer = writer.layer_writer(Compression::Gzip, 100).unwrap();
    tree.append_all(&mut layer).unwrap();
    let (layer, digests) = writer.commit_layer(layer).unwrap();
    let config = OciConfig {
        created: Some(rfc3339_utc(100)),
        architecture: "amd64".into(),
        os: "linux".into(),
        config: Some(ContainerConfig {
            user: Some("65532:65532".into()),
            env: vec!["PATH=/usr/bin".into(), "PYTHONUNBUFFERED=1".into()],
            entrypoint: Some(vec!["/usr/bin/python3".into()]),
            cmd: Some(vec!["--version".into()]),
            working_dir: Some("/home/nonroot".into()),
            ..ContainerConfig::default()
        }),
        rootfs: RootFs::layers(vec![digests.diff_id]),
        history: vec![History {
            created_by: Some("buckle: python3 layer".into()),
            ..History::default()
        }],
        ..OciConfig::default()
    };
    let config = writer.put_config(&config).unwrap();
    let mut manifest = ImageManifest::new(config, vec![layer]);
    manifest
        .annotations
        .insert(annotation::TITLE.into(), "python".into());
    let manifest = writer
        .put_manifest(&manifest)
        .unwrap()
        .with_platform(Platform::linux("amd64"));
    let layout = writer.finish(&ImageIndex::new(vec![manifest])).unwrap();
    let image = layout.select(&Selector::default()).unwrap();
    (layout, image)
}

fn app_layers() -> Vec<AppLayer> {
    let mut deps = AppTree::new();
    deps.add_file(
        &path("usr/lib/python3/dist-packages/six.py"),
        b"# six".to_vec(),
        0o644,
        "six 1.17.0",
    )
    .unwrap();
    let mut app = AppTree::new();
    app.add_file(
        &path("app/main.py"),
        b"print('hi')".to_vec(),
        0o444,
        "the application",
    )
    .unwrap();
    vec![
        AppLayer {
            name: "dependencies".into(),
            tree: deps,
        },
        AppLayer {
            name: "application".into(),
            tree: app,
        },
    ]
}

fn run_config() -> RunConfig {
    RunConfig {
        entrypoint: vec!["/usr/bin/python3".into(), "/app/main.py".into()],
        env: BTreeMap::from([("PYTHONUNBUFFERED".into(), "0".into())]),
        ports: vec![8080],
        volumes: vec!["/tmp".into()],
        workdir: Some("/app".into()),
        annotations: BTreeMap::from([(annotation::TITLE.into(), "myapp".into())]),
        ..RunConfig::default()
    }
}

fn extend(base: &Layout, image: &LayoutImage, out: &std::path::Path) -> (ExtendedImage, Layout) {
    let writer = LayoutWriter::create(out).unwrap();
    let extended = extend_image(
        base,
        image,
        &app_layers(),
        &run_config(),
        &writer,
        Compression::Gzip,
        200,
    )
    .unwrap();
    let layout = writer
        .finish(&ImageIndex::new(vec![extended.manifest.clone()]))
        .unwrap();
    (extended, layout)
}

#[test]
fn base_layers_are_copied_byte_for_byte_and_app_layers_follow() {
    let dir = tempfile::tempdir().unwrap();
    let (base, image) = base_layout(dir.path());
    let (extended, out) = extend(&base, &image, &dir.path().join("app"));
    assert_eq!(extended.base_layers, 1);
    assert_eq!(extended.layers.len(), 3);
    let base_layer = &image.manifest.layers[0];
    assert_eq!(extended.layers[0].descriptor.digest, base_layer.digest);
    assert_eq!(
        out.read_blob(&extended.layers[0].descriptor).unwrap(),
        base.read_blob(base_layer).unwrap()
    );
    let names: Vec<&str> = extended.layers.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "buckle: python3 layer",
            "buckle: dependencies layer",
            "buckle: application layer"
        ]
    );
}

#[test]
fn config_runs_the_app_as_nonroot_with_its_ports_volumes_and_env() {
    let dir = tempfile::tempdir().unwrap();
    let (base, image) = base_layout(dir.path());
    let (extended, _) = extend(&base, &image, &dir.path().join("app"));
    let container = extended.config.config.unwrap();
    assert_eq!(container.user.as_deref(), Some("65532:65532"));
    assert_eq!(
        container.entrypoint.unwrap(),
        ["/usr/bin/python3", "/app/main.py"]
    );
    assert_eq!(container.cmd, None, "a new entrypoint drops the base's arguments");
    assert_eq!(container.env, ["PATH=/usr/bin", "PYTHONUNBUFFERED=0"]);
    assert!(container.exposed_ports.contains_key("8080/tcp"));
    assert!(container.volumes.contains_key("/tmp"));
    assert_eq!(container.working_dir.as_deref(), Some("/app"));
    assert_eq!(
        container.labels.get(annotation::TITLE).map(String::as_str),
        Some("myapp")
    );
    assert_eq!(extended.config.rootfs.diff_ids.len(), 3);
    assert_eq!(extended.config.history.len(), 3);
    assert_eq!(
        extended.config.created.as_deref(),
        Some(rfc3339_utc(200).as_str())
    );
}

#[test]
fn the_same_inputs_give_the_same_manifest_digest() {
    let dir = tempfile::tempdir().unwrap();
    let (base, image) = base_layout(dir.path());
    let (one, _) = extend(&base, &image, &dir.path().join("one"));
    let (two, _) = extend(&base, &image, &dir.path().join("two"));
    assert_eq!(one.manifest.digest, two.manifest.digest);
}
