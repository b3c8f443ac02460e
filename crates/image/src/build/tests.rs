use super::*;
use crate::cache::{LayerCache, PruneRule};
use crate::harden::elf::test_object;
use buckle_oci::layout::{Layout, LayoutWriter};
use buckle_spec::LockedPackage;
use buckle_testkit::deb::DebBuilder;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

const EPOCH: u64 = 1_750_000_000;

fn packages() -> Vec<DebBuilder> {
    vec![
        DebBuilder::new("base-files", "13.8", "amd64")
            .dir("tmp", 0o1777)
            .file(
                "usr/lib/os-release",
                b"PRETTY_NAME=\"Debian GNU/Linux 13 (trixie)\"\nID=debian\n",
                0o644,
            )
            .symlink("etc/os-release", "../usr/lib/os-release")
            .file("usr/share/doc/base-files/copyright", b"GPL\n", 0o644),
        DebBuilder::new("libc6", "2.41-12", "amd64")
            .field("Source", "glibc")
            .file(
                "etc/ld.so.conf.d/x86_64-linux-gnu.conf",
                b"/usr/lib/x86_64-linux-gnu\n",
                0o644,
            )
            .file(
                "usr/lib/x86_64-linux-gnu/libc.so.6",
                &test_object(true, 62, Some("libc.so.6")),
                0o755,
            ),
        DebBuilder::new("ca-certificates", "20250419", "all").file(
            "usr/share/ca-certificates/mozilla/Test_Root.crt",
            b"-----BEGIN CERTIFICATE-----\nMII=\n-----END CERTIFICATE-----\n",
            0o644,
        ),
        DebBuilder::new("hello", "1.0-1", "amd64").file("usr/bin/hello", b"#!hello\n", 0o4755),
    ]
}

fn inputs(builders: &[DebBuilder]) -> Vec<PackageInput> {
    builders
        .iter()
        .map(|b| PackageInput {
            name: format!(
                "{}.deb",
                b.control_text()
                    .lines()
                    .next()
                    .unwrap()
                    .trim_start_matches("Package: ")
            ),
            locked: None,
            deb: Box::new(std::io::Cursor::new(b.build())),
        })
        .collect()
}

fn options() -> BuildOptions {
    let mut config = ImageConfig {
        entrypoint: vec!["/usr/bin/hello".to_owned()],
        ..ImageConfig::default()
    };
    config
        .labels
        .insert("com.example.team".to_owned(), "platform".to_owned());
    let mut options = BuildOptions::new(
        "amd64".parse().unwrap(),
        Variant::Runtime,
        config,
        OsRelease::debian("13", "trixie"),
        EPOCH,
    );
    options
        .annotations
        .insert(annotation::TITLE.to_owned(), "hello".to_owned());
    options.layer_index = Some(COPYRIGHTS);
    options
}

/// Layer indexes keeping copyright files and os-release.
const COPYRIGHTS: IndexRules = IndexRules {
    name: "test copyrights 1",
    keep: |path| path.ends_with("/copyright") || path.ends_with("os-release"),
};

fn build_into(dir: &std::path::Path, options: &BuildOptions) -> Result<BuiltImage> {
    let layout = LayoutWriter::create(dir.join("image")).unwrap();
    let built = build(inputs(&packages()), options, &layout, &NoReporter)?;
    layout.finish(&image_index(vec![built.manifest.clone()])).unwrap();
    Ok(built)
}

#[test]
fn two_builds_in_different_places_give_the_same_digest() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let first = build_into(a.path(), &options()).unwrap();
    let second = build_into(b.path(), &options()).unwrap();
    assert_eq!(first.manifest.digest, second.manifest.digest);
    let mut later = options();
    later.source_date_epoch += 1;
    let third = build_into(b.path(), &later).unwrap();
    assert_ne!(
        first.manifest.digest, third.manifest.digest,
        "SOURCE_DATE_EPOCH is part of the image"
    );
}

#[test]
fn config_runs_as_nonroot_with_path_and_certificates() {
    let dir = tempfile::tempdir().unwrap();
    let built = build_into(dir.path(), &options()).unwrap();
    let config = built.config.config.as_ref().unwrap();
    assert_eq!(config.user.as_deref(), Some("65532:65532"));
    assert_eq!(
        config.env,
        [
            format!("PATH={DEFAULT_PATH}"),
            "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt".to_owned()
        ]
    );
    assert_eq!(
        config.entrypoint.as_deref(),
        Some(&["/usr/bin/hello".to_owned()][..])
    );
    assert_eq!(config.working_dir.as_deref(), Some("/home/nonroot"));
    assert_eq!(
        config.labels.get(annotation::TITLE).map(String::as_str),
        Some("hello")
    );
    assert_eq!(
        config.labels.get("com.example.team").map(String::as_str),
        Some("platform")
    );
    assert_eq!(built.config.created.as_deref(), Some("2025-06-15T15:06:40Z"));
    assert_eq!(built.manifest.platform, Some(Platform::linux("amd64")));
    assert_eq!(built.config.rootfs.diff_ids.len(), built.layers.len());
    let names: Vec<&str> = built.layers.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(
        names,
        ["base-files", "ca-certificates", "glibc", "rest", "buckle"]
    );

    let layout = Layout::open(dir.path().join("image")).unwrap();
    let manifest = layout.read_manifest(&built.manifest).unwrap();
    assert_eq!(
        manifest.annotations.get(annotation::CREATED).map(String::as_str),
        Some("2025-06-15T15:06:40Z")
    );
}

#[test]
fn package_that_differs_from_its_lock_entry_is_rejected() {
    let builders = packages();
    let mut inputs = inputs(&builders);
    let locked = LockedPackage {
        name: "hello".parse().unwrap(),
        version: "1.0-2".parse().unwrap(),
        architecture: "amd64".parse().unwrap(),
        source: "hello".parse().unwrap(),
        source_version: "1.0-2".parse().unwrap(),
        suite: "trixie".parse().unwrap(),
        path: "pool/main/h/hello/hello_1.0-2_amd64.deb".parse().unwrap(),
        size: 1,
        sha256: Sha256::of(b"x"),
    };
    inputs[3].locked = Some(locked);
    let dir = tempfile::tempdir().unwrap();
    let layout = LayoutWriter::create(dir.path().join("image")).unwrap();
    let err = build(inputs, &options(), &layout, &NoReporter).unwrap_err();
    assert_eq!(
        err.to_string(),
        "`hello.deb` does not match the lock: expected Version `1.0-2`, found `1.0-1`"
    );
}

#[test]
fn package_for_another_architecture_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = options();
    options.arch = "arm64".parse().unwrap();
    let err = build_into(dir.path(), &options).unwrap_err();
    assert!(
        err.to_string()
            .contains("expected Architecture `arm64 or all`, found `amd64`"),
        "{err}"
    );
}

#[derive(Default)]
struct Counting {
    packages: AtomicUsize,
    layers: AtomicUsize,
}

impl Reporter for Counting {
    fn on_package_unpacked(&self, _package: &str) {
        self.packages.fetch_add(1, Ordering::Relaxed);
    }
    fn on_layer_written(&self, _layer: &str, _descriptor: &Descriptor) {
        self.layers.fetch_add(1, Ordering::Relaxed);
    }
}

#[test]
fn reporter_hears_every_package_and_layer() {
    let dir = tempfile::tempdir().unwrap();
    let layout = LayoutWriter::create(dir.path().join("image")).unwrap();
    let reporter = Counting::default();
    let built = build(inputs(&packages()), &options(), &layout, &reporter).unwrap();
    assert_eq!(reporter.packages.load(Ordering::Relaxed), 4);
    assert_eq!(reporter.layers.load(Ordering::Relaxed), built.layers.len());
}

#[test]
fn multi_arch_index_lists_each_platform() {
    let amd64 = Descriptor::new(buckle_oci::media_type::OCI_MANIFEST, Sha256::of(b"a"), 1)
        .with_platform(Platform::linux("amd64"));
    let arm64 =
        Descriptor::new(buckle_oci::media_type::OCI_MANIFEST, Sha256::of(b"b"), 1).with_platform(Platform {
            variant: Some("v8".into()),
            ..Platform::linux("arm64")
        });
    let index = image_index(vec![amd64, arm64]);
    let platforms: Vec<String> = index
        .manifests
        .iter()
        .map(|m| m.platform.as_ref().unwrap().to_string())
        .collect();
    assert_eq!(platforms, ["linux/amd64", "linux/arm64/v8"]);
}

#[test]
fn spec_files_replace_package_files_through_symlinks() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = options();
    options
        .extra_files
        .insert("etc/os-release".parse().unwrap(), b"ID=custom\n".to_vec());
    build_into(dir.path(), &options).unwrap();
    let image = buckle_oci::open_image(&dir.path().join("image"), &Default::default()).unwrap();
    let files = image.merged_files(|_| true).unwrap();
    let real = &files[&"usr/lib/os-release".parse::<RelPath>().unwrap()];
    assert_eq!(real.content.as_deref(), Some(&b"ID=custom\n"[..]));
    assert_eq!(real.entry.mode & 0o7777, 0o644);
    assert!(matches!(
        files[&"etc/os-release".parse::<RelPath>().unwrap()].entry.kind,
        buckle_oci::tar::EntryKind::Symlink { .. }
    ));
}

#[test]
fn spec_links_name_the_architecture_and_must_lead_somewhere() {
    let dir = tempfile::tempdir().unwrap();
    let mut linked = options();
    // `{arch}` is filled in in targets; one link may lead through another.
    linked.config.links = BTreeMap::from([
        ("/usr/lib/hello-amd64".to_owned(), "/usr/bin".to_owned()),
        (
            "/usr/bin/greet".to_owned(),
            "../lib/hello-{arch}/hello".to_owned(),
        ),
    ]);
    build_into(dir.path(), &linked).unwrap();
    let image = buckle_oci::open_image(&dir.path().join("image"), &Default::default()).unwrap();
    let files = image.merged_files(|_| true).unwrap();
    let kind = |p: &str| files[&p.parse::<RelPath>().unwrap()].entry.kind.clone();
    assert_eq!(
        kind("usr/bin/greet"),
        buckle_oci::tar::EntryKind::Symlink {
            target: "../lib/hello-amd64/hello".to_owned()
        }
    );

    let mut dangling = options();
    dangling.config.links.insert(
        "/usr/bin/java".to_owned(),
        "/usr/lib/jvm/java-21-openjdk-{arch}/bin/java".to_owned(),
    );
    let err = build_into(tempfile::tempdir().unwrap().path(), &dangling).unwrap_err();
    assert!(matches!(err, Error::DanglingLink { .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.contains("/usr/bin/java") && message.contains("java-21-openjdk-amd64"),
        "{message}"
    );
}

#[test]
fn extra_layers_keep_owners_and_modes_on_top_and_never_replace_package_files() {
    let dir = tempfile::tempdir().unwrap();
    let mut with_app = options();
    let mut app = Tree::new();
    app.insert(
        &"app".parse().unwrap(),
        Node::directory(0o750).with_owner(1000, 1000),
    )
    .unwrap();
    app.insert(
        &"app/server".parse().unwrap(),
        Node::file(b"server".to_vec(), 0o700).with_owner(1000, 1000),
    )
    .unwrap();
    app.insert(&"usr/bin/server".parse().unwrap(), Node::symlink("/app/server"))
        .unwrap();
    with_app.extra_layers.push(ExtraLayer {
        name: "app".into(),
        tree: app,
    });
    with_app.exposed_ports.push("8080/tcp".into());
    let built = build_into(dir.path(), &with_app).unwrap();
    assert_eq!(built.layers.last().unwrap().name, "app");
    let ports: Vec<&String> = built
        .config
        .config
        .as_ref()
        .unwrap()
        .exposed_ports
        .keys()
        .collect();
    assert_eq!(ports, ["8080/tcp"]);
    let image = buckle_oci::open_image(&dir.path().join("image"), &Default::default()).unwrap();
    let files = image.merged_files(|_| true).unwrap();
    let server = &files[&"app/server".parse::<RelPath>().unwrap()];
    assert_eq!(
        (server.entry.uid, server.entry.gid, server.entry.mode & 0o7777),
        (1000, 1000, 0o700)
    );
    assert_eq!(server.layer, built.layers.len() - 1);
    // usr/bin is the package's directory: the layer does not change its mode or owner.
    let usr_bin = &files[&"usr/bin".parse::<RelPath>().unwrap()];
    assert_eq!((usr_bin.entry.uid, usr_bin.entry.mode & 0o7777), (0, 0o755));

    let mut conflict = options();
    let mut replaces = Tree::new();
    replaces
        .insert(
            &"usr/bin/hello".parse().unwrap(),
            Node::file(b"mine".to_vec(), 0o755),
        )
        .unwrap();
    conflict.extra_layers.push(ExtraLayer {
        name: "app".into(),
        tree: replaces,
    });
    let other = tempfile::tempdir().unwrap();
    let error = build_into(other.path(), &conflict).unwrap_err();
    assert!(
        matches!(&error, Error::LayerConflict { path, owner, .. } if path.as_str() == "usr/bin/hello" && owner == "hello"),
        "{error}"
    );
}

// The layer cache (crate::cache) as builds use it.

/// Inputs with lock entries (what names their .debs in the image key).
fn locked_inputs(builders: &[DebBuilder]) -> Vec<PackageInput> {
    builders
        .iter()
        .map(|b| {
            let bytes = b.build();
            let deb = read_deb("test.deb", &bytes[..], &Limits::default()).unwrap();
            let package = deb.package;
            let name = format!("{}_{}_{}.deb", package.name, package.version, package.arch);
            PackageInput {
                locked: Some(LockedPackage {
                    path: format!("pool/main/t/{name}").parse().unwrap(),
                    name: package.name,
                    version: package.version,
                    architecture: package.arch,
                    source: package.source,
                    source_version: package.source_version,
                    suite: "trixie".parse().unwrap(),
                    size: bytes.len() as u64,
                    sha256: Sha256::of(&bytes),
                }),
                name,
                deb: Box::new(std::io::Cursor::new(bytes)),
            }
        })
        .collect()
}

fn build_with(
    dir: &Path,
    builders: &[DebBuilder],
    options: &BuildOptions,
    cache: Option<&LayerCache>,
) -> BuiltImage {
    let layout = LayoutWriter::create(dir).unwrap();
    let built = build_cached(locked_inputs(builders), options, &layout, &NoReporter, cache).unwrap();
    layout.finish(&image_index(vec![built.manifest.clone()])).unwrap();
    built
}

/// Every file of a layout, by relative path.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let name = path.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.insert(name, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn bumped_hello() -> Vec<DebBuilder> {
    let mut builders = packages();
    builders.pop();
    builders.push(DebBuilder::new("hello", "1.0-2", "amd64").file("usr/bin/hello", b"#!hello 2\n", 0o4755));
    builders
}

fn layer_names(built: &BuiltImage, reused: bool) -> Vec<&str> {
    built
        .layers
        .iter()
        .filter(|l| l.reused == reused)
        .map(|l| l.name.as_str())
        .collect()
}

#[test]
fn a_cache_miss_and_a_cache_hit_write_the_layout_a_build_without_cache_writes() {
    let dir = tempfile::tempdir().unwrap();
    let cache = LayerCache::new(dir.path().join("cache"));
    let plain = build_with(&dir.path().join("plain"), &packages(), &options(), None);
    let miss = build_with(&dir.path().join("miss"), &packages(), &options(), Some(&cache));
    let hit = build_with(&dir.path().join("hit"), &packages(), &options(), Some(&cache));
    assert_eq!(
        (miss.reused_layers(), miss.rebuilt_layers()),
        (0, plain.layers.len())
    );
    assert_eq!(
        (hit.reused_layers(), hit.rebuilt_layers()),
        (plain.layers.len(), 0)
    );
    assert_eq!(hit.packages, plain.packages);
    let expected = files(&dir.path().join("plain"));
    assert_eq!(files(&dir.path().join("miss")), expected, "miss differs");
    assert_eq!(files(&dir.path().join("hit")), expected, "hit differs");
}

#[test]
fn a_one_package_bump_rebuilds_only_the_layers_holding_that_package() {
    let dir = tempfile::tempdir().unwrap();
    let cache = LayerCache::new(dir.path().join("cache"));
    build_with(&dir.path().join("before"), &packages(), &options(), Some(&cache));
    let bumped = build_with(
        &dir.path().join("after"),
        &bumped_hello(),
        &options(),
        Some(&cache),
    );
    // hello is in the rest layer; the buckle layer holds its status.d entry.
    assert_eq!(layer_names(&bumped, false), ["rest", "buckle"]);
    assert_eq!(
        layer_names(&bumped, true),
        ["base-files", "ca-certificates", "glibc"]
    );
    build_with(&dir.path().join("plain"), &bumped_hello(), &options(), None);
    assert_eq!(files(&dir.path().join("after")), files(&dir.path().join("plain")));
}

#[test]
fn damaged_blobs_and_leftovers_of_a_killed_build_are_never_used() {
    let dir = tempfile::tempdir().unwrap();
    let cache = LayerCache::new(dir.path().join("cache"));
    let first = build_with(&dir.path().join("first"), &packages(), &options(), Some(&cache));
    // A killed build leaves temporary files; a disk error truncates a blob.
    for kind in ["blobs", "layer", "image"] {
        std::fs::write(cache.root().join(kind).join(".tmp-killed"), b"half").unwrap();
    }
    let glibc = first.layers.iter().find(|l| l.name == "glibc").unwrap();
    let blob = cache.blob_path(&glibc.descriptor.digest);
    let bytes = std::fs::read(&blob).unwrap();
    std::fs::write(&blob, &bytes[..bytes.len() / 2]).unwrap();
    let again = build_with(&dir.path().join("again"), &packages(), &options(), Some(&cache));
    assert_eq!(layer_names(&again, false), ["glibc"]);
    assert_eq!(files(&dir.path().join("again")), files(&dir.path().join("first")));
    assert_eq!(
        std::fs::read(&blob).unwrap(),
        bytes,
        "the damaged blob is written again"
    );
    assert_eq!(cache.usage().unwrap().temporary.entries, 3);
    let later = SystemTime::now() + Duration::from_secs(2 * 3600);
    let removed = cache.prune(&PruneRule::default(), later).unwrap();
    assert_eq!(removed.temporary.entries, 3, "stale temporary files are pruned");
    assert_eq!((removed.blobs.entries, removed.layers.entries), (0, 0));
}

#[test]
fn eight_concurrent_builds_sharing_a_cache_give_the_digests_of_uncached_builds() {
    let dir = tempfile::tempdir().unwrap();
    let cache = LayerCache::new(dir.path().join("cache"));
    let jobs: Vec<(Vec<DebBuilder>, BuildOptions)> = (0..8)
        .map(|i| {
            let mut options = options();
            options.source_date_epoch += i / 4;
            let builders = if i % 2 == 0 { packages() } else { bumped_hello() };
            (builders, options)
        })
        .collect();
    let shared: Vec<Sha256> = std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .iter()
            .enumerate()
            .map(|(i, (builders, options))| {
                let (dir, cache) = (dir.path(), &cache);
                scope.spawn(move || {
                    build_with(&dir.join(format!("shared-{i}")), builders, options, Some(cache))
                        .manifest
                        .digest
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (i, (builders, options)) in jobs.iter().enumerate() {
        let alone = build_with(&dir.path().join(format!("alone-{i}")), builders, options, None);
        assert_eq!(shared[i], alone.manifest.digest, "build {i}");
    }
    assert_eq!(cache.usage().unwrap().temporary.entries, 0);
}

#[test]
fn prune_removes_what_no_kept_deb_made_and_what_is_older_than_asked() {
    let dir = tempfile::tempdir().unwrap();
    let cache = LayerCache::new(dir.path().join("cache"));
    let before = build_with(&dir.path().join("before"), &packages(), &options(), Some(&cache));
    build_with(
        &dir.path().join("after"),
        &bumped_hello(),
        &options(),
        Some(&cache),
    );
    let usage = cache.usage().unwrap();
    // 5 layers, then rest and buckle again, each with its index; one image record each.
    assert_eq!(
        (usage.blobs.entries, usage.layers.entries, usage.images.entries),
        (14, 7, 2)
    );
    let keep: BTreeSet<Sha256> = locked_inputs(&bumped_hello())
        .iter()
        .map(|p| p.locked.as_ref().unwrap().sha256)
        .collect();
    let rule = PruneRule {
        keep_debs: Some(keep),
        older_than: None,
    };
    let removed = cache.prune(&rule, SystemTime::now()).unwrap();
    assert_eq!(
        (
            removed.blobs.entries,
            removed.layers.entries,
            removed.images.entries
        ),
        (4, 2, 1)
    );
    let rest = before.layers.iter().find(|l| l.name == "rest").unwrap();
    assert!(!cache.blob_path(&rest.descriptor.digest).exists());
    let hit = build_with(&dir.path().join("hit"), &bumped_hello(), &options(), Some(&cache));
    assert_eq!(hit.rebuilt_layers(), 0, "what the kept debs made is still there");
    let rule = PruneRule {
        keep_debs: None,
        older_than: Some(Duration::from_secs(60)),
    };
    cache
        .prune(&rule, SystemTime::now() + Duration::from_secs(120))
        .unwrap();
    assert_eq!(cache.usage().unwrap().total().entries, 0);
}

#[test]
fn the_layer_indexes_give_the_files_a_read_of_every_layer_gives_and_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let cache = LayerCache::new(dir.path().join("cache"));
    for (name, cache) in [("plain", None), ("miss", Some(&cache)), ("hit", Some(&cache))] {
        let path = dir.path().join(name);
        build_with(&path, &packages(), &options(), cache);
        let image = buckle_oci::open_image(&path, &Default::default()).unwrap();
        let keep = |entry: &buckle_oci::tar::Entry| (COPYRIGHTS.keep)(entry.path.as_str());
        let indexed = image.indexed_files(COPYRIGHTS.name).expect("indexes check out");
        assert_eq!(indexed, image.merged_files(keep).unwrap(), "{name}");
        assert!(indexed
            .values()
            .any(|f| f.content.as_deref() == Some(&b"GPL\n"[..])));
        assert_eq!(
            image.indexed_files("other rules"),
            None,
            "{name}: rules are checked"
        );
    }
    // An index that does not have the digest the config names is not used.
    let path = dir.path().join("plain");
    let image = buckle_oci::open_image(&path, &Default::default()).unwrap();
    let label = &image.config().config.as_ref().unwrap().labels[buckle_oci::layer_index::LAYER_INDEX_LABEL];
    let first = Sha256::parse_oci(label.split(',').next().unwrap()).unwrap();
    let blob = Layout::open(&path).unwrap().blob_path(&first);
    let mut bytes = std::fs::read(&blob).unwrap();
    bytes.push(b' ');
    std::fs::write(&blob, bytes).unwrap();
    assert_eq!(image.indexed_files(COPYRIGHTS.name), None);
}
