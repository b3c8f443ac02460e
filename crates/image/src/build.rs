//! The whole arrow: verified `.deb` readers and options -> an image in an OCI layout.
//!
//! [`build`] unpacks the packages in parallel, checks each against its lock entry,
//! assembles the tree, hardens it, writes the layers in parallel through the layout
//! writer, then the config and the manifest. The same packages and options give the
//! same manifest digest: nothing here reads the clock or the host.

use crate::deb::{read_deb, Deb, Limits};
use crate::error::{Error, Result};
use crate::harden::{harden, rel, HardenOptions, OsRelease, CA_BUNDLE};
use crate::layer::{plan_layers, write_layer, LayerPlan, DEFAULT_LAYER_BUDGET};
use crate::tree::{Diversion, Node, Tree};
use crate::upstream::{merge_check, UpstreamLayer};
use buckle_debian::{Arch, BinaryPackage};
use buckle_digest::Sha256;
use buckle_oci::layout::LayoutWriter;
use buckle_oci::tar::Compression;
use buckle_oci::{annotation, rfc3339_utc, ContainerConfig, Descriptor, EmptyObject, History, ImageIndex};
use buckle_oci::{ImageConfig as OciConfig, ImageManifest, Platform, RelPath, RootFs};
use buckle_spec::{ImageConfig, LockedPackage, Variant};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::io::Read;

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
    /// The installed packages, in input order.
    pub packages: Vec<BinaryPackage>,
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
}

/// Builds one image into `layout` (blobs only: the caller writes the index and
/// finishes the layout) and returns the manifest's descriptor with its platform.
#[tracing::instrument(skip_all, fields(arch = %options.arch, variant = %options.variant))]
pub fn build(
    packages: Vec<PackageInput>,
    options: &BuildOptions,
    layout: &LayoutWriter,
    reporter: &dyn Reporter,
) -> Result<BuiltImage> {
    let platform = platform(&options.arch)?;
    reporter.on_unpack_start(packages.len());
    let debs = unpack(packages, options, reporter)?;
    let installed: Vec<BinaryPackage> = debs.iter().map(|d| d.package.clone()).collect();
    let mut tree = Tree::new();
    for deb in debs {
        tree.add_package(deb, &options.diversions)?;
    }
    tree.link_merged_usr();
    let tzdata = options
        .config
        .tzdata
        .unwrap_or_else(|| installed.iter().any(|p| p.name.as_str() == "tzdata"));
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
    let mut upstream = options.upstream.clone();
    for layer in &mut upstream {
        merge_check(&tree, layer)?;
    }
    let plans = plan_layers(&tree, options.layer_budget);
    reporter.on_layers_start(plans.len() + upstream.len());
    let mut layers = write_layers(&tree, &plans, options, layout, reporter)?;
    for layer in &upstream {
        let plan = LayerPlan {
            name: layer.layer_name(),
            sources: Vec::new(),
            paths: layer
                .tree
                .nodes()
                .filter(|(path, _)| !path.is_root())
                .map(|(path, _)| path.clone())
                .collect(),
        };
        layers.push(write_one(&layer.tree, &plan, options, layout, reporter)?);
    }
    let has_bundle = tree.get(&rel(CA_BUNDLE)).is_some();
    let annotations = annotations(options);
    let config = image_config(options, &platform, &layers, &annotations, has_bundle);
    let config_descriptor = layout.put_config(&config).map_err(write_error("config"))?;
    let mut manifest = ImageManifest::new(
        config_descriptor,
        layers.iter().map(|l| l.descriptor.clone()).collect(),
    );
    manifest.annotations = annotations;
    let descriptor = layout.put_manifest(&manifest).map_err(write_error("manifest"))?;
    let descriptor = descriptor.with_platform(platform);
    tracing::info!(digest = %descriptor.digest, layers = layers.len(), packages = installed.len(), "image built");
    Ok(BuiltImage {
        manifest: descriptor,
        config,
        layers,
        packages: installed,
    })
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
    options: &BuildOptions,
    layout: &LayoutWriter,
    reporter: &dyn Reporter,
) -> Result<Vec<BuiltLayer>> {
    let mut order: Vec<usize> = (0..plans.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(plans.get(i).map_or(0, |plan| plan_bytes(tree, plan))));
    let mut written: Vec<(usize, BuiltLayer)> = order
        .par_iter()
        .with_max_len(1)
        .filter_map(|&i| plans.get(i).map(|plan| (i, plan)))
        .map(|(i, plan)| Ok((i, write_one(tree, plan, options, layout, reporter)?)))
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

fn write_one(
    tree: &Tree,
    plan: &LayerPlan,
    options: &BuildOptions,
    layout: &LayoutWriter,
    reporter: &dyn Reporter,
) -> Result<BuiltLayer> {
    let layer_error = |source| Error::LayerWrite {
        layer: plan.name.clone(),
        source: Box::new(source),
    };
    let mut writer = layout
        .layer_writer(options.compression, options.source_date_epoch)
        .map_err(layer_error)?;
    write_layer(tree, plan, &mut writer)?;
    let (descriptor, digests) = layout.commit_layer(writer).map_err(layer_error)?;
    reporter.on_layer_written(&plan.name, &descriptor);
    Ok(BuiltLayer {
        name: plan.name.clone(),
        sources: plan.sources.iter().map(ToString::to_string).collect(),
        descriptor,
        diff_id: digests.diff_id,
    })
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
