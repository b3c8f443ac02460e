//! The whole arrow: verified `.deb` readers and options -> an image in an OCI layout.
//!
//! [`build`] unpacks the packages in parallel, checks each against its lock entry,
//! assembles the tree, hardens it, writes the layers in parallel through the layout
//! writer, then the config and the manifest. The same packages and options give the
//! same manifest digest: nothing here reads the clock or the host.

use crate::cache::{ImageLayer, ImageRecord, LayerCache, LayerRecord};
use crate::deb::{read_deb, Deb, Limits};
use crate::error::{Error, Result};
use crate::harden::{harden, rel, HardenOptions, OsRelease, CA_BUNDLE};
use crate::layer::{layer_entries, layer_key, plan_layers, write_layer, LayerPlan, DEFAULT_LAYER_BUDGET};
use crate::tree::{Diversion, Node, Tree};
use crate::upstream::{adopt_directories, merge_check, UpstreamLayer};
use buckle_debian::{Arch, BinaryPackage};
use buckle_digest::{Hasher, Sha256};
use buckle_oci::layer_index::{LayerIndex, LAYER_INDEX_LABEL};
use buckle_oci::layout::LayoutWriter;
use buckle_oci::tar::Compression;
use buckle_oci::{annotation, rfc3339_utc, ContainerConfig, Descriptor, EmptyObject, History, ImageIndex};
use buckle_oci::{ImageConfig as OciConfig, ImageManifest, Platform, RelPath, RootFs};
use buckle_spec::{ImageConfig, LockedPackage, Variant};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};

/// `PATH` unless the spec sets one (Debian's default for root shells).
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// One package to install: a name for messages, what the lock says it is (when
/// built from a lock), and its `.deb` bytes.
pub struct PackageInput {
    /// Names the `.deb` in errors: its pool file name or cache path.
    pub name: String,
    /// The lock entry the `.deb` must match.
    pub locked: Option<LockedPackage>,
    /// The `.deb` bytes (already verified against the lock's sha256 by the caller).
    pub deb: Box<dyn Read + Send>,
}

/// Everything besides the packages that decides the image.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// The image's architecture.
    pub arch: Arch,
    /// Runtime or dev.
    pub variant: Variant,
    /// `[image]` from the spec. `certificates` is not read: the caller passes their
    /// contents in `extra_certificates`.
    pub config: ImageConfig,
    /// Extra PEM CA certificates for the bundle.
    pub extra_certificates: Vec<String>,
    /// Values for `etc/os-release` when base-files does not ship one.
    pub os_release: OsRelease,
    /// Every timestamp: tar mtimes, `created`.
    pub source_date_epoch: u64,
    /// Layer compression.
    pub compression: Compression,
    /// At most this many layers (see [`crate::layer`]).
    pub layer_budget: usize,
    /// Paths two packages may both ship, and who wins.
    pub diversions: Vec<Diversion>,
    /// Manifest annotations besides `created` (title, description, source, version,
    /// base name...); they are copied into the config's labels too.
    pub annotations: BTreeMap<String, String>,
    /// Caps on package sizes.
    pub limits: Limits,
    /// Files the spec adds (`[image] files`), replacing what packages put there:
    /// path in the image -> content. Written root-owned with mode 0644.
    pub extra_files: BTreeMap<RelPath, Vec<u8>>,
    /// Upstream artifacts, unpacked; each becomes a layer of its own on top of the
    /// Debian layers (see [`crate::upstream`]).
    pub upstream: Vec<UpstreamLayer>,
    /// Write a layer index per layer (see [`buckle_oci::layer_index`]) keeping the
    /// contents these rules choose; none when `None`.
    pub layer_index: Option<IndexRules>,
    /// The caller's own files, each a layer on top of the Debian and upstream layers,
    /// in order (see [`ExtraLayer`]).
    pub extra_layers: Vec<ExtraLayer>,
    /// The config's `ExposedPorts` (`8080/tcp`).
    pub exposed_ports: Vec<String>,
}

/// Which file contents layer indexes keep, and the name readers check them by.
#[derive(Clone, Copy)]
pub struct IndexRules {
    /// Names the rules; a reader uses an index only for rules of this name.
    pub name: &'static str,
    /// Whether the content of the file at this path (relative) is kept.
    pub keep: fn(&str) -> bool,
}

impl std::fmt::Debug for IndexRules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The name stands for the rules: it is what the cache keys hash.
        write!(f, "IndexRules({})", self.name)
    }
}

/// Files added as a layer of their own, kept as given (owners, modes): they may add
/// to the image's directories, whose mode and owner stay the image's, but not
/// replace what a package or buckle put there.
#[derive(Debug, Clone)]
pub struct ExtraLayer {
    /// The layer's name in the manifest history.
    pub name: String,
    /// Its files and their parent directories.
    pub tree: Tree,
}

impl BuildOptions {
    /// Options with buckle's defaults: gzip, [`DEFAULT_LAYER_BUDGET`], no extras.
    pub fn new(
        arch: Arch,
        variant: Variant,
        config: ImageConfig,
        os_release: OsRelease,
        source_date_epoch: u64,
    ) -> Self {
        BuildOptions {
            arch,
            variant,
            config,
            extra_certificates: Vec::new(),
            os_release,
            source_date_epoch,
            compression: Compression::Gzip,
            layer_budget: DEFAULT_LAYER_BUDGET,
            diversions: Vec::new(),
            annotations: BTreeMap::new(),
            limits: Limits::default(),
            extra_files: BTreeMap::new(),
            upstream: Vec::new(),
            layer_index: None,
            extra_layers: Vec::new(),
            exposed_ports: Vec::new(),
        }
    }
}

/// Progress of a build, for a progress bar. Called from worker threads.
pub trait Reporter: Sync {
    /// Unpacking starts.
    fn on_unpack_start(&self, _packages: usize) {}
    /// One package was read.
    fn on_package_unpacked(&self, _package: &str) {}
    /// Writing layers starts.
    fn on_layers_start(&self, _layers: usize) {}
    /// One layer was written.
    fn on_layer_written(&self, _layer: &str, _descriptor: &Descriptor) {}
}

/// A [`Reporter`] that reports nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoReporter;

impl Reporter for NoReporter {}

/// What [`build`] wrote.
#[derive(Debug, Clone)]
pub struct BuiltImage {
    /// The manifest's descriptor, with its platform.
    pub manifest: Descriptor,
    /// The image config as written.
    pub config: OciConfig,
    /// The layers, bottom first.
    pub layers: Vec<BuiltLayer>,
    /// The installed packages' names, in input order.
    pub packages: Vec<String>,
}

impl BuiltImage {
    /// How many layers came from the layer cache.
    pub fn reused_layers(&self) -> usize {
        self.layers.iter().filter(|l| l.reused).count()
    }

    /// How many layers were compressed by this build.
    pub fn rebuilt_layers(&self) -> usize {
        self.layers.len() - self.reused_layers()
    }
}

/// One written layer.
#[derive(Debug, Clone)]
pub struct BuiltLayer {
    /// A source package name, `rest` or `buckle`.
    pub name: String,
    /// The source packages in it.
    pub sources: Vec<String>,
    /// Its descriptor in the manifest.
    pub descriptor: Descriptor,
    /// sha256 of the uncompressed tar.
    pub diff_id: Sha256,
    /// Whether its blob came from the layer cache rather than being compressed now.
    pub reused: bool,
    /// The digest of its layer index blob, when indexes are written.
    pub index: Option<Sha256>,
}

/// Builds one image into `layout` (blobs only: the caller writes the index and
/// finishes the layout) and returns the manifest's descriptor with its platform.
pub fn build(
    packages: Vec<PackageInput>,
    options: &BuildOptions,
    layout: &LayoutWriter,
    reporter: &dyn Reporter,
) -> Result<BuiltImage> {
    build_cached(packages, options, layout, reporter, None)
}

/// [`build`] through a layer cache (see [`crate::cache`]): an image whose `.deb`s and
/// options were built before is assembled from the cached blobs without unpacking
/// anything, and otherwise every layer whose entries were written before is copied
/// instead of compressed. The layout is byte for byte what [`build`] writes.
#[tracing::instrument(skip_all, fields(arch = %options.arch, variant = %options.variant))]
pub fn build_cached(
    packages: Vec<PackageInput>,
    options: &BuildOptions,
    layout: &LayoutWriter,
    reporter: &dyn Reporter,
    cache: Option<&LayerCache>,
) -> Result<BuiltImage> {
    let platform = platform(&options.arch)?;
    let image_key = cache.and_then(|_| image_key(&packages, options));
    if let (Some(cache), Some(key)) = (cache, &image_key) {
        if let Some(record) = cache.image(key) {
            if let Some(layers) = copy_cached_image(&record, options, layout, cache, reporter)? {
                tracing::debug!(key = %key.short(12), "image from the layer cache");
                return finish_image(
                    options,
                    &platform,
                    layers,
                    record.packages,
                    record.has_bundle,
                    layout,
                );
            }
        }
    }
    let debs_by_package: BTreeMap<String, Sha256> = packages
        .iter()
        .filter_map(|p| p.locked.as_ref())
        .map(|l| (l.name.to_string(), l.sha256))
        .collect();
    reporter.on_unpack_start(packages.len());
    let debs = unpack(packages, options, reporter)?;
    let installed: Vec<String> = debs.iter().map(|d| d.package.name.to_string()).collect();
    let mut tree = Tree::new();
    for deb in debs {
        tree.add_package(deb, &options.diversions)?;
    }
    tree.link_merged_usr();
    let tzdata = options
        .config
        .tzdata
        .unwrap_or_else(|| installed.iter().any(|p| p == "tzdata"));
    harden(
        &mut tree,
        &HardenOptions {
            arch: options.arch.clone(),
            variant: options.variant,
            os_release: options.os_release.clone(),
            extra_certificates: options.extra_certificates.clone(),
            tzdata,
        },
    )?;
    add_extra_files(&mut tree, &options.extra_files)?;
    add_links(&mut tree, &options.config.links_for(&options.arch))?;
    let mut upstream = options.upstream.clone();
    for layer in &mut upstream {
        merge_check(&tree, layer)?;
    }
    let mut extra = options.extra_layers.clone();
    for layer in &mut extra {
        adopt_directories(&tree, &mut layer.tree).map_err(|(path, owner)| Error::LayerConflict {
            name: layer.name.clone(),
            path,
            owner,
        })?;
    }
    let plans = plan_layers(&tree, options.layer_budget);
    reporter.on_layers_start(plans.len() + upstream.len() + extra.len());
    let target = Target {
        options,
        layout,
        reporter,
        cache,
    };
    let debs_of = |plan: &LayerPlan| layer_debs(&tree, plan, &debs_by_package);
    let mut layers = write_layers(&tree, &plans, &target, &debs_of)?;
    let own_layers = upstream
        .iter()
        .map(|layer| (layer.layer_name(), &layer.tree))
        .chain(extra.iter().map(|layer| (layer.name.clone(), &layer.tree)));
    for (name, layer_tree) in own_layers {
        let plan = LayerPlan {
            name,
            sources: Vec::new(),
            paths: layer_tree
                .nodes()
                .filter(|(path, _)| !path.is_root())
                .map(|(path, _)| path.clone())
                .collect(),
        };
        layers.push(target.write_one(layer_tree, &plan, &BTreeSet::new())?);
    }
    let has_bundle = tree.get(&rel(CA_BUNDLE)).is_some();
    if let (Some(cache), Some(key)) = (cache, &image_key) {
        let record = ImageRecord {
            layers: layers
                .iter()
                .zip(&plans)
                .map(|(layer, plan)| ImageLayer {
                    name: layer.name.clone(),
                    sources: layer.sources.clone(),
                    layer: LayerRecord {
                        digest: layer.descriptor.digest,
                        size: layer.descriptor.size,
                        diff_id: layer.diff_id,
                        index: layer.index,
                        debs: debs_of(plan),
                    },
                })
                .collect(),
            packages: installed.clone(),
            has_bundle,
            debs: debs_by_package.values().copied().collect(),
        };
        cache.put_image(key, &record)?;
    }
    finish_image(options, &platform, layers, installed, has_bundle, layout)
}

/// Writes the config and the manifest of an image whose layers are in `layout`.
fn finish_image(
    options: &BuildOptions,
    platform: &Platform,
    layers: Vec<BuiltLayer>,
    installed: Vec<String>,
    has_bundle: bool,
    layout: &LayoutWriter,
) -> Result<BuiltImage> {
    let annotations = annotations(options);
    let config = image_config(options, platform, &layers, &annotations, has_bundle);
    let config_descriptor = layout.put_config(&config).map_err(write_error("config"))?;
    let mut manifest = ImageManifest::new(
        config_descriptor,
        layers.iter().map(|l| l.descriptor.clone()).collect(),
    );
    manifest.annotations = annotations;
    let descriptor = layout.put_manifest(&manifest).map_err(write_error("manifest"))?;
    let descriptor = descriptor.with_platform(platform.clone());
    tracing::info!(digest = %descriptor.digest, layers = layers.len(), packages = installed.len(), "image built");
    Ok(BuiltImage {
        manifest: descriptor,
        config,
        layers,
        packages: installed,
    })
}

/// The image key of [`crate::cache`]: `None` when a package has no lock entry to name
/// its `.deb` or the image has upstream or extra layers (whose inputs are not named by
/// digest).
fn image_key(packages: &[PackageInput], options: &BuildOptions) -> Option<Sha256> {
    if !options.upstream.is_empty() || !options.extra_layers.is_empty() {
        return None;
    }
    let mut hasher = Hasher::new();
    let shaping = (
        &options.arch,
        options.variant,
        &options.config,
        &options.extra_certificates,
        &options.os_release,
        options.source_date_epoch,
        (options.compression, options.compression.level()),
        options.layer_budget,
        &options.diversions,
        &options.limits,
        &options.extra_files,
        (&options.layer_index, &options.exposed_ports),
    );
    hasher.update(format!("{}\nimage\n{shaping:?}\n", crate::cache::builder_id()).as_bytes());
    for package in packages {
        let locked = package.locked.as_ref()?;
        hasher.update(format!("{} {} {} ", locked.name, locked.version, locked.architecture).as_bytes());
        hasher.update(locked.sha256.as_bytes());
    }
    Some(hasher.finish().0)
}

/// The `.deb`s whose files a layer holds: its sources' packages, or for the buckle
/// layer (made from the whole tree) every package.
fn layer_debs(tree: &Tree, plan: &LayerPlan, debs: &BTreeMap<String, Sha256>) -> BTreeSet<Sha256> {
    if plan.sources.is_empty() {
        return debs.values().copied().collect();
    }
    tree.packages()
        .iter()
        .filter(|(_, record)| plan.sources.contains(&record.package.source))
        .filter_map(|(name, _)| debs.get(name.as_str()).copied())
        .collect()
}

/// Copies the blobs of a cached image into `layout`; `None` when one is missing or
/// damaged (then the image is built again).
fn copy_cached_image(
    record: &ImageRecord,
    options: &BuildOptions,
    layout: &LayoutWriter,
    cache: &LayerCache,
    reporter: &dyn Reporter,
) -> Result<Option<Vec<BuiltLayer>>> {
    reporter.on_layers_start(record.layers.len());
    let copied: Vec<Option<BuiltLayer>> = record
        .layers
        .par_iter()
        .map(|layer| {
            let Some(descriptor) = copy_cached_blob(&layer.layer, options, layout, cache, &layer.name)?
            else {
                return Ok(None);
            };
            if !copy_cached_index(&layer.layer, layout, cache)? {
                return Ok(None);
            }
            reporter.on_layer_written(&layer.name, &descriptor);
            Ok(Some(BuiltLayer {
                name: layer.name.clone(),
                sources: layer.sources.clone(),
                descriptor,
                diff_id: layer.layer.diff_id,
                reused: true,
                index: layer.layer.index,
            }))
        })
        .collect::<Result<_>>()?;
    Ok(copied.into_iter().collect())
}

/// Copies one cached blob into `layout`, checking its digest and size on the way;
/// `None` (and the blob forgotten) when it is missing or does not match.
fn copy_cached_blob(
    record: &LayerRecord,
    options: &BuildOptions,
    layout: &LayoutWriter,
    cache: &LayerCache,
    name: &str,
) -> Result<Option<Descriptor>> {
    let path = cache.blob_path(&record.digest);
    let mut blob = match std::fs::File::open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(Error::LayerCache { path, source }),
    };
    let layer_error = |source| Error::LayerWrite {
        layer: name.to_owned(),
        source: Box::new(source),
    };
    let mut writer = layout.blob_writer().map_err(layer_error)?;
    std::io::copy(&mut blob, &mut writer).map_err(|source| Error::LayerCache {
        path: path.clone(),
        source,
    })?;
    if let Err(e) = writer.commit_expecting(&record.digest, record.size) {
        tracing::warn!(path = %path.display(), error = %e, "damaged layer cache blob, building the layer again");
        cache.forget_blob(&record.digest);
        return Ok(None);
    }
    Ok(Some(Descriptor::new(
        options.compression.layer_media_type(),
        record.digest,
        record.size,
    )))
}

/// Copies a cached layer's index blob (if it has one) into `layout`; false when it
/// is missing or damaged.
fn copy_cached_index(record: &LayerRecord, layout: &LayoutWriter, cache: &LayerCache) -> Result<bool> {
    let Some(digest) = record.index else {
        return Ok(true);
    };
    let Ok(bytes) = std::fs::read(cache.blob_path(&digest)) else {
        return Ok(false);
    };
    if Sha256::of(&bytes) != digest {
        cache.forget_blob(&digest);
        return Ok(false);
    }
    layout
        .put_blob(LAYER_INDEX_MEDIA_TYPE, &bytes)
        .map_err(write_error("layer index"))?;
    Ok(true)
}

/// The media type of layer index blobs (never in a manifest; it names what they are).
const LAYER_INDEX_MEDIA_TYPE: &str = "application/vnd.buckle.layer-index.v1+json";

/// The layer index of `entries` (the layer `diff_id`) under `rules`, as blob bytes.
fn layer_index(
    rules: &IndexRules,
    diff_id: Sha256,
    entries: &[(buckle_oci::tar::Entry, Option<&crate::Content>)],
) -> Result<Vec<u8>> {
    let kept = entries.iter().map(|(entry, content)| {
        let kept = content.filter(|_| (rules.keep)(entry.path.as_str()));
        (entry, kept.map(crate::Content::bytes))
    });
    LayerIndex::new(diff_id, rules.name, kept)
        .to_json()
        .map_err(write_error("layer index"))
}

/// Puts the spec's own files in the tree, at the real path when a package made the
/// given one a symlink (so `/etc/os-release` replaces `usr/lib/os-release`).
fn add_extra_files(tree: &mut Tree, files: &BTreeMap<RelPath, Vec<u8>>) -> Result<()> {
    for (path, content) in files {
        let target = tree.resolve(path).unwrap_or_else(|| path.clone());
        tree.insert(&target, Node::file(content.clone(), 0o644))?;
    }
    Ok(())
}

/// Adds the spec's symlinks (`[image] links`), replacing what was at their paths. Each
/// must lead to something in the image, so that a wrong path fails the build rather
/// than the container.
fn add_links(tree: &mut Tree, links: &BTreeMap<String, String>) -> Result<()> {
    let mut added = Vec::new();
    for (link, target) in links {
        let path = RelPath::new(link.trim_start_matches('/')).map_err(|e| Error::Internal {
            what: format!("the spec's link `{link}` passed its checks but is not a path: {e}"),
        })?;
        tree.insert(&path, Node::symlink(target.clone()))?;
        added.push((path, target));
    }
    for (path, target) in added {
        if tree.resolve(&path).is_none() {
            return Err(Error::DanglingLink {
                link: path,
                target: target.clone(),
            });
        }
    }
    Ok(())
}

/// The index of a multi-architecture image: one entry per manifest, each with its
/// platform, in the order given.
pub fn image_index(manifests: Vec<Descriptor>) -> ImageIndex {
    ImageIndex::new(manifests)
}

fn platform(arch: &Arch) -> Result<Platform> {
    let (architecture, variant) = arch.oci().ok_or_else(|| Error::UnsupportedArch {
        arch: arch.clone(),
        what: "OCI platform",
    })?;
    Ok(Platform {
        variant: variant.map(str::to_owned),
        ..Platform::linux(architecture)
    })
}

fn unpack(packages: Vec<PackageInput>, options: &BuildOptions, reporter: &dyn Reporter) -> Result<Vec<Deb>> {
    packages
        .into_par_iter()
        .map(|input| {
            let deb = read_deb(&input.name, input.deb, &options.limits)?;
            check_package(&input.name, input.locked.as_ref(), &deb.package, &options.arch)?;
            reporter.on_package_unpacked(deb.package.name.as_str());
            Ok(deb)
        })
        .collect()
}

/// The `.deb`'s control file must say what the lock says, for this architecture.
fn check_package(
    name: &str,
    locked: Option<&LockedPackage>,
    package: &BinaryPackage,
    arch: &Arch,
) -> Result<()> {
    let mismatch = |field: &'static str, expected: String, actual: String| Error::LockMismatch {
        deb: name.to_owned(),
        field,
        expected,
        actual,
    };
    if let Some(locked) = locked {
        if locked.name != package.name {
            return Err(mismatch(
                "Package",
                locked.name.to_string(),
                package.name.to_string(),
            ));
        }
        if locked.version != package.version {
            return Err(mismatch(
                "Version",
                locked.version.to_string(),
                package.version.to_string(),
            ));
        }
        if locked.architecture != package.arch {
            return Err(mismatch(
                "Architecture",
                locked.architecture.to_string(),
                package.arch.to_string(),
            ));
        }
    }
    if !package.arch.is_all() && &package.arch != arch {
        return Err(mismatch(
            "Architecture",
            format!("{arch} or all"),
            package.arch.to_string(),
        ));
    }
    Ok(())
}

/// Writes the layers in parallel, largest first so that one big layer does not end
/// up last on a busy thread, and returns them in plan order.
fn write_layers(
    tree: &Tree,
    plans: &[LayerPlan],
    target: &Target<'_>,
    debs_of: &(dyn Fn(&LayerPlan) -> BTreeSet<Sha256> + Sync),
) -> Result<Vec<BuiltLayer>> {
    let mut order: Vec<usize> = (0..plans.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(plans.get(i).map_or(0, |plan| plan_bytes(tree, plan))));
    let mut written: Vec<(usize, BuiltLayer)> = order
        .par_iter()
        .with_max_len(1)
        .filter_map(|&i| plans.get(i).map(|plan| (i, plan)))
        .map(|(i, plan)| Ok((i, target.write_one(tree, plan, &debs_of(plan))?)))
        .collect::<Result<_>>()?;
    written.sort_by_key(|(i, _)| *i);
    Ok(written.into_iter().map(|(_, layer)| layer).collect())
}

fn plan_bytes(tree: &Tree, plan: &LayerPlan) -> u64 {
    plan.paths
        .iter()
        .filter_map(|p| tree.get(p)?.content())
        .map(|c| c.size())
        .sum()
}

/// Where layers go: the layout, through the cache when there is one.
struct Target<'a> {
    options: &'a BuildOptions,
    layout: &'a LayoutWriter,
    reporter: &'a dyn Reporter,
    cache: Option<&'a LayerCache>,
}

impl Target<'_> {
    /// Writes one layer: copied from the cache when its entries were written before,
    /// else compressed (into the cache first, when there is one).
    fn write_one(&self, tree: &Tree, plan: &LayerPlan, debs: &BTreeSet<Sha256>) -> Result<BuiltLayer> {
        let entries = layer_entries(tree, plan)?;
        let (descriptor, diff_id, reused, index) = match self.cache {
            None => {
                let (descriptor, diff_id) = self.compress_into_layout(plan, &entries)?;
                let index = match &self.options.layer_index {
                    Some(rules) => {
                        let bytes = layer_index(rules, diff_id, &entries)?;
                        let written = self
                            .layout
                            .put_blob(LAYER_INDEX_MEDIA_TYPE, &bytes)
                            .map_err(write_error("layer index"))?;
                        Some(written.digest)
                    }
                    None => None,
                };
                (descriptor, diff_id, false, index)
            }
            Some(cache) => self.through_cache(cache, plan, &entries, debs)?,
        };
        self.reporter.on_layer_written(&plan.name, &descriptor);
        Ok(BuiltLayer {
            name: plan.name.clone(),
            sources: plan.sources.iter().map(ToString::to_string).collect(),
            descriptor,
            diff_id,
            reused,
            index,
        })
    }

    fn compress_into_layout(
        &self,
        plan: &LayerPlan,
        entries: &[(buckle_oci::tar::Entry, Option<&crate::Content>)],
    ) -> Result<(Descriptor, Sha256)> {
        let layer_error = |source| Error::LayerWrite {
            layer: plan.name.clone(),
            source: Box::new(source),
        };
        let mut writer = self
            .layout
            .layer_writer(self.options.compression, self.options.source_date_epoch)
            .map_err(layer_error)?;
        write_layer(&plan.name, entries, &mut writer)?;
        let (descriptor, digests) = self.layout.commit_layer(writer).map_err(layer_error)?;
        Ok((descriptor, digests.diff_id))
    }

    fn through_cache(
        &self,
        cache: &LayerCache,
        plan: &LayerPlan,
        entries: &[(buckle_oci::tar::Entry, Option<&crate::Content>)],
        debs: &BTreeSet<Sha256>,
    ) -> Result<(Descriptor, Sha256, bool, Option<Sha256>)> {
        let options = self.options;
        let rules = options.layer_index.map(|r| r.name);
        let key = layer_key(entries, options.compression, options.source_date_epoch, rules);
        if let Some(record) = cache.layer(&key) {
            if let Some(descriptor) = copy_cached_blob(&record, options, self.layout, cache, &plan.name)? {
                if copy_cached_index(&record, self.layout, cache)? {
                    return Ok((descriptor, record.diff_id, true, record.index));
                }
            }
        }
        let layer_error = |source| Error::LayerWrite {
            layer: plan.name.clone(),
            source: Box::new(source),
        };
        let mut writer = buckle_oci::tar::LayerWriter::new(
            cache.blob_writer()?,
            options.compression,
            options.source_date_epoch,
        )
        .map_err(layer_error)?;
        write_layer(&plan.name, entries, &mut writer)?;
        let (digests, blob) = writer.finish().map_err(layer_error)?;
        blob.commit(&digests.digest)?;
        let index = match &options.layer_index {
            Some(rules) => {
                let bytes = layer_index(rules, digests.diff_id, entries)?;
                let digest = Sha256::of(&bytes);
                let mut blob = cache.blob_writer()?;
                blob.write_all(&bytes).map_err(|source| Error::LayerCache {
                    path: cache.blob_path(&digest),
                    source,
                })?;
                blob.commit(&digest)?;
                Some(digest)
            }
            None => None,
        };
        let record = LayerRecord {
            digest: digests.digest,
            size: digests.size,
            diff_id: digests.diff_id,
            index,
            debs: debs.clone(),
        };
        let descriptor =
            copy_cached_blob(&record, options, self.layout, cache, &plan.name)?.ok_or_else(|| {
                Error::Internal {
                    what: format!("the layer `{}` just written to the cache is gone", plan.name),
                }
            })?;
        if !copy_cached_index(&record, self.layout, cache)? {
            return Err(Error::Internal {
                what: format!(
                    "the index of layer `{}` just written to the cache is gone",
                    plan.name
                ),
            });
        }
        cache.put_layer(&key, &record)?;
        Ok((descriptor, record.diff_id, false, index))
    }
}

fn image_config(
    options: &BuildOptions,
    platform: &Platform,
    layers: &[BuiltLayer],
    annotations: &BTreeMap<String, String>,
    has_bundle: bool,
) -> OciConfig {
    let created = rfc3339_utc(options.source_date_epoch);
    let config = &options.config;
    let mut env: BTreeMap<String, String> = BTreeMap::new();
    env.insert("PATH".to_owned(), DEFAULT_PATH.to_owned());
    if has_bundle {
        env.insert("SSL_CERT_FILE".to_owned(), format!("/{CA_BUNDLE}"));
    }
    env.extend(config.env.clone());
    let mut labels: BTreeMap<String, String> = annotations
        .iter()
        .filter(|(key, _)| key.starts_with("org.opencontainers.image."))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    labels.extend(config.labels.clone());
    let indexes: Option<Vec<String>> = layers.iter().map(|l| l.index.map(|d| d.oci())).collect();
    if let Some(indexes) = indexes.filter(|i| !i.is_empty()) {
        labels.insert(LAYER_INDEX_LABEL.to_owned(), indexes.join(","));
    }
    let non_empty = |v: &Vec<String>| (!v.is_empty()).then(|| v.clone());
    OciConfig {
        created: Some(created.clone()),
        architecture: platform.architecture.clone(),
        os: platform.os.clone(),
        variant: platform.variant.clone(),
        config: Some(ContainerConfig {
            user: Some(config.user.oci()),
            env: env.into_iter().map(|(k, v)| format!("{k}={v}")).collect(),
            entrypoint: non_empty(&config.entrypoint),
            cmd: non_empty(&config.cmd),
            working_dir: Some(config.working_dir().to_owned()),
            labels,
            exposed_ports: options
                .exposed_ports
                .iter()
                .map(|port| (port.clone(), EmptyObject {}))
                .collect(),
            volumes: config
                .volumes
                .iter()
                .map(|v| (v.clone(), EmptyObject {}))
                .collect(),
            ..ContainerConfig::default()
        }),
        rootfs: RootFs::layers(layers.iter().map(|l| l.diff_id).collect()),
        history: layers
            .iter()
            .map(|layer| History {
                created: Some(created.clone()),
                created_by: Some(history_line(layer)),
                ..History::default()
            })
            .collect(),
        ..OciConfig::default()
    }
}

fn history_line(layer: &BuiltLayer) -> String {
    if layer.sources.len() <= 1 {
        format!("buckle: {} layer", layer.name)
    } else {
        format!("buckle: {} layer ({})", layer.name, layer.sources.join(", "))
    }
}

fn annotations(options: &BuildOptions) -> BTreeMap<String, String> {
    let mut annotations = options.annotations.clone();
    annotations.extend(options.config.annotations.clone());
    annotations.insert(
        annotation::CREATED.to_owned(),
        rfc3339_utc(options.source_date_epoch),
    );
    annotations
}

fn write_error(what: &'static str) -> impl Fn(buckle_oci::Error) -> Error {
    move |source| Error::ImageWrite {
        what,
        source: Box::new(source),
    }
}

#[cfg(test)]
mod tests;
