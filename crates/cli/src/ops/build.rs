//! Building: a spec's locked packages fetched, built into an OCI layout or a docker
//! archive, with SBOMs attached; then, as asked, signed, smoke-tested and pushed.

use crate::args::{FormatArg, RegistryArgs};
use crate::describe::{self, deb_origins};
use crate::exit::UserError;
use crate::files::{self, SpecFile};
use crate::ops::fetch::fetch_lock;
use crate::ops::lock::current_lock;
use crate::printer::Printer;
use crate::progress::Building;
use crate::session::{resolve, Session};
use anyhow::Context;
use buckle_debian::Arch;
use buckle_image::build::{build_cached, image_index, BuildOptions, BuiltImage, ExtraLayer, PackageInput};
use buckle_image::harden::OsRelease;
use buckle_oci::layout::{Layout, LayoutWriter, Selector};
use buckle_oci::tar::Compression;
use buckle_oci::{annotation, Descriptor, ImageIndex, RelPath};
use buckle_sbom::dpkg::Detail;
use buckle_sign::key::PrivateKey;
use buckle_spec::{Distribution, Lock, Variant};
use serde_json::json;

use std::path::{Path, PathBuf};

/// The tag written into layouts (`oci:out/python:latest`) and docker archives.
const TAG: &str = "latest";

/// Manifest annotation: `runtime` or `dev`.
pub const VARIANT_ANNOTATION: &str = "dev.buckle.variant";

/// Manifest annotation: the SHA-256 of the lock the image was built from.
pub const LOCK_ANNOTATION: &str = "dev.buckle.lock.sha256";

/// What to build, where to, and what to do with the result.
pub struct BuildRequest<'a> {
    pub variant: Variant,
    /// Architectures by name [empty: the spec's; for a docker archive, the host's].
    pub arches: Vec<String>,
    pub format: FormatArg,
    /// [default: `out/<name>`, `out/<name>-dev`, or `out/<name>.tar`].
    pub output: Option<PathBuf>,
    pub compression: Compression,
    /// [default: the lock's].
    pub source_date_epoch: Option<u64>,
    /// Run the spec's smoke test after building.
    pub test: bool,
    /// Reuse layers from the layer cache, and store new ones there.
    pub layer_cache: bool,
    /// Sign with this key.
    pub sign: Option<&'a PrivateKey>,
    pub push: Option<PushRequest>,
    /// Layers of files from outside Debian, on top of the packages (`buckle harden`'s app).
    pub extra_layers: Vec<ExtraLayer>,
    /// The config's exposed ports (`8080/tcp`).
    pub exposed_ports: Vec<String>,
}

impl BuildRequest<'_> {
    /// An OCI layout of `variant` for the spec's architectures at the default output,
    /// gzip, through the layer cache; not tested, signed or pushed.
    pub fn layout(variant: Variant) -> Self {
        BuildRequest {
            variant,
            arches: Vec::new(),
            format: FormatArg::Oci,
            output: None,
            compression: Compression::Gzip,
            source_date_epoch: None,
            test: false,
            layer_cache: true,
            sign: None,
            push: None,
            extra_layers: Vec::new(),
            exposed_ports: Vec::new(),
        }
    }
}

/// Where a build is pushed.
pub struct PushRequest {
    /// HOST[:PORT]/REPOSITORY[:TAG].
    pub reference: String,
    /// More floating tags.
    pub tags: Vec<String>,
    pub registry: RegistryArgs,
}

/// Where the build goes: `-o`, else `out/<name>`. `-o -` (stdout) is for a docker
/// archive only, which then streams to stdout; an OCI layout is a directory.
fn output_path(args: &BuildRequest<'_>, spec: &SpecFile, variant: Variant) -> anyhow::Result<PathBuf> {
    let Some(output) = &args.output else {
        return Ok(spec.default_output(variant, args.format));
    };
    if !files::is_stdout(output) {
        return Ok(output.clone());
    }
    if args.format != FormatArg::DockerArchive || args.test || args.sign.is_some() || args.push.is_some() {
        anyhow::bail!(UserError::with_hint(
            "`-o -` (stdout) takes a docker archive only, built without --test, --sign or --push",
            "an OCI layout is a directory: pass -o DIR, or --format docker-archive -o - | docker load"
        ));
    }
    Ok(PathBuf::from("/dev/stdout"))
}

/// One spec's build: what to build and where the results go.
struct Job<'a> {
    session: &'a Session,
    spec: &'a SpecFile,
    lock: Lock,
    arches: Vec<Arch>,
    variant: Variant,
    args: &'a BuildRequest<'a>,
    printer: &'a Printer,
}

pub fn build_spec(
    session: &Session,
    spec: &SpecFile,
    args: &BuildRequest<'_>,
    printer: &Printer,
) -> anyhow::Result<serde_json::Value> {
    let lock = current_lock(session, spec, printer)?;
    build_locked(session, spec, lock, args, printer)
}

/// Builds `spec` from `lock` as given (`buckle update` builds from a lock it has not
/// written yet); the rest is `buckle build`'s.
pub fn build_locked(
    session: &Session,
    spec: &SpecFile,
    lock: Lock,
    args: &BuildRequest<'_>,
    printer: &Printer,
) -> anyhow::Result<serde_json::Value> {
    let variant = args.variant;
    let started = crate::clock::now_seconds();
    let arches = architectures(spec, &args.arches, args.format)?;
    fetch_lock(session, spec, &lock, 6, printer)?;
    let output = output_path(args, spec, variant)?;
    let job = Job {
        session,
        spec,
        lock,
        arches,
        variant,
        args,
        printer,
    };
    let built = match args.format {
        FormatArg::Oci => {
            let built = job.write_layout(&output)?;
            job.attach_sboms(&output, &built)?;
            built
        }
        FormatArg::DockerArchive => job.write_docker_archive(&output)?,
    };
    if let Some(key) = args.sign {
        let inputs = crate::ops::sign::BuildInputs {
            session,
            spec,
            lock: &job.lock,
            invocation: None,
            app_spec: None,
        };
        crate::ops::sign::sign_build(inputs, &output, started, key, printer)?;
    }
    let digest = built.first().map(|b| b.manifest.digest.oci()).unwrap_or_default();
    for image in &built {
        let size: u64 = image.layers.iter().map(|l| l.descriptor.size).sum();
        printer.status(
            "Built",
            format!(
                "{} ({}) -> {}: {} packages, {} layers ({} reused, {} rebuilt), {}, {}",
                spec.spec.name,
                image.config.architecture,
                output.display(),
                image.packages.len(),
                image.layers.len(),
                image.reused_layers(),
                image.rebuilt_layers(),
                crate::printer::human_size(size),
                image.manifest.digest.oci()
            ),
        );
    }
    if args.test {
        crate::ops::test::smoke_test(spec, &output, None, &Default::default(), printer)?;
    }
    let pushed = match &args.push {
        Some(push) => Some(crate::ops::push::push_build(
            spec,
            &job.lock,
            variant,
            &output,
            args.format,
            push,
            printer,
        )?),
        None => None,
    };
    Ok(json!({
        "spec": spec.path,
        "output": output,
        "variant": variant.as_str(),
        "digest": digest,
        "push": pushed,
        "images": built.iter().map(|b| json!({
            "architecture": b.config.architecture,
            "digest": b.manifest.digest.oci(),
            "packages": b.packages.len(),
            "layers_reused": b.reused_layers(),
            "layers_rebuilt": b.rebuilt_layers(),
            "layers": b.layers.iter().map(|l| json!({"name": l.name, "digest": l.descriptor.digest.oci(), "size": l.descriptor.size, "reused": l.reused})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    }))
}

/// Builds the runtime image of `spec` from `lock` (fetched) for each of `arches` into
/// `layout` (blobs only), exactly as `buckle build` does: the same layers, byte for
/// byte. An app image's base comes from here.
pub fn build_runtime_images(
    session: &Session,
    spec: &SpecFile,
    lock: &Lock,
    arches: Vec<Arch>,
    compression: Compression,
    layout: &LayoutWriter,
    printer: &Printer,
) -> anyhow::Result<Vec<BuiltImage>> {
    fetch_lock(session, spec, lock, 6, printer)?;
    let args = BuildRequest {
        compression,
        ..BuildRequest::layout(Variant::Runtime)
    };
    let job = Job {
        session,
        spec,
        lock: lock.clone(),
        arches,
        variant: Variant::Runtime,
        args: &args,
        printer,
    };
    job.build_arches(layout)
}

/// The architectures to build: `--arch`, else the spec's (for a docker archive, which
/// holds one, the host's when the spec lists it).
pub fn architectures(spec: &SpecFile, wanted: &[String], format: FormatArg) -> anyhow::Result<Vec<Arch>> {
    let host: Option<Arch> = crate::image_view::host_arch().parse().ok();
    let wanted: Vec<String> = match (wanted, format, host) {
        ([], FormatArg::DockerArchive, Some(host)) if spec.spec.architectures.contains(&host) => {
            vec![host.to_string()]
        }
        ([], _, _) => return Ok(spec.spec.architectures.clone()),
        (wanted, _, _) => wanted.to_vec(),
    };
    wanted
        .iter()
        .map(|a| {
            let arch: Arch = a
                .parse()
                .map_err(|e: buckle_debian::Error| UserError::new(e.to_string()))?;
            if !spec.spec.architectures.contains(&arch) {
                anyhow::bail!(UserError::with_hint(
                    format!("`{}` does not list architecture `{arch}`", spec.path.display()),
                    format!(
                        "add it to `architectures` in the spec and run `buckle lock {}`",
                        spec.path.display()
                    )
                ));
            }
            Ok(arch)
        })
        .collect()
}

fn build_options(
    spec: &SpecFile,
    lock: &Lock,
    arch: &Arch,
    variant: Variant,
    args: &BuildRequest<'_>,
) -> anyhow::Result<BuildOptions> {
    let version = match spec.spec.distribution {
        Distribution::Trixie => "13",
        Distribution::Bookworm => "12",
    };
    let codename = spec.spec.distribution.codename();
    let epoch = args.source_date_epoch.unwrap_or(lock.source_date_epoch);
    let mut options = BuildOptions::new(
        arch.clone(),
        variant,
        spec.spec.image.clone(),
        OsRelease::debian(version, codename),
        epoch,
    );
    options.layer_index = Some(buckle_image::build::IndexRules {
        name: buckle_sbom::dpkg::PACKAGES_CONTENT_RULES,
        keep: buckle_sbom::dpkg::needs_package_content,
    });
    options.compression = args.compression;
    options.extra_layers = args.extra_layers.clone();
    options.exposed_ports = args.exposed_ports.clone();
    let title = match variant {
        Variant::Runtime => spec.spec.name.to_string(),
        Variant::Dev => format!("{}-dev", spec.spec.name),
    };
    options.annotations.insert(annotation::TITLE.to_owned(), title);
    if let Some(description) = &spec.spec.description {
        options
            .annotations
            .insert(annotation::DESCRIPTION.to_owned(), description.clone());
    }
    options
        .annotations
        .insert(VARIANT_ANNOTATION.to_owned(), variant.as_str().to_owned());
    options.annotations.insert(
        LOCK_ANNOTATION.to_owned(),
        buckle_digest::Sha256::of(lock.to_toml().as_bytes()).hex(),
    );
    if let Some(eol) = spec.spec.eol {
        options
            .annotations
            .insert(buckle_check::EOL_LABEL.to_owned(), eol.to_string());
        options
            .config
            .labels
            .insert(buckle_check::EOL_LABEL.to_owned(), eol.to_string());
    }
    for path in &spec.spec.image.certificates {
        options
            .extra_certificates
            .push(files::read_text(&resolve(spec.dir(), path))?);
    }
    for (target, source) in &spec.spec.image.files {
        let source = resolve(spec.dir(), source);
        let bytes = std::fs::read(&source)
            .with_context(|| format!("cannot read `{}` for `{target}`", source.display()))?;
        let path: RelPath = target.trim_start_matches('/').parse()?;
        options.extra_files.insert(path, bytes);
    }
    Ok(options)
}

impl Job<'_> {
    fn options(&self, arch: &Arch) -> anyhow::Result<BuildOptions> {
        build_options(self.spec, &self.lock, arch, self.variant, self.args)
    }

    /// Builds one image per architecture into `layout` (blobs only).
    fn build_arches(&self, layout: &LayoutWriter) -> anyhow::Result<Vec<BuiltImage>> {
        let (spec, variant) = (self.spec, self.variant);
        let mut built = Vec::new();
        for arch in &self.arches {
            let packages = self.lock.packages(arch, variant);
            if packages.is_empty() {
                anyhow::bail!(UserError::with_hint(
                    format!(
                        "`{}` has no {variant} image for {arch}",
                        spec.lock_path().display()
                    ),
                    format!("run `buckle lock {}`", spec.path.display())
                ));
            }
            let inputs = packages
                .iter()
                .map(|p| {
                    let deb = self.session.archive.cache().open(&p.sha256)?;
                    Ok(PackageInput {
                        name: p.path.file_name().to_owned(),
                        locked: Some(p.clone()),
                        deb: Box::new(deb),
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let mut options = self.options(arch)?;
            options.upstream = crate::upstream::layers(self.session, spec, &self.lock, arch)?;
            for locked in self.lock.upstream_for(arch) {
                let (key, value) = crate::upstream::origin_label(locked);
                options.config.labels.insert(key.clone(), value.clone());
                options.annotations.insert(key, value);
            }
            let progress = Building::new(self.printer, &format!("{} {arch}", spec.spec.name));
            let cache = self.args.layer_cache.then(|| self.session.layer_cache());
            let image = build_cached(inputs, &options, layout, &progress, cache.as_ref());
            progress.finish();
            built.push(image.with_context(|| format!("cannot build the {variant} image for {arch}"))?);
        }
        Ok(built)
    }

    fn write_layout(&self, output: &Path) -> anyhow::Result<Vec<BuiltImage>> {
        let layout = LayoutWriter::create(output)?;
        let built = self.build_arches(&layout)?;
        // The immutable tag `buckle push` gives the image, so a layout says which lock made it.
        let version = crate::ops::push::version_tag(self.spec, &self.lock, self.variant)?;
        let tags = [TAG.to_owned(), version];
        let index = top_index(&layout, built.iter().map(|b| b.manifest.clone()).collect(), &tags)?;
        layout.finish(&index)?;
        Ok(built)
    }

    /// Attaches SPDX and CycloneDX SBOMs to each image in the layout at `output`.
    fn attach_sboms(&self, output: &Path, built: &[BuiltImage]) -> anyhow::Result<()> {
        let mut layout = Layout::open(output)?;
        for image in built {
            let arch: Arch = image.config.architecture.parse()?;
            let selector = Selector {
                ref_name: None,
                platform: image.manifest.platform.clone(),
            };
            let opened = buckle_oci::open_image(output, &selector)?;
            let debs = deb_origins(self.session, self.spec, &self.lock, &arch, self.variant)?;
            let name = describe::image_name(&opened, &self.spec.spec.name.to_string());
            let input = describe::sbom_input(&opened, &name, Detail::Packages, &debs, true)?;
            describe::attach_sboms(&mut layout, &opened, &input)
                .with_context(|| format!("cannot attach the SBOMs of the {arch} image"))?;
        }
        Ok(())
    }

    fn write_docker_archive(&self, output: &Path) -> anyhow::Result<Vec<BuiltImage>> {
        let [arch] = self.arches.as_slice() else {
            anyhow::bail!(UserError::with_hint(
                "a docker archive holds one architecture",
                "pass --arch amd64 (or another one), or build an OCI layout for a multi-arch image"
            ));
        };
        // Beside the output, unless it is written in place (a FIFO, /dev/stdout).
        let scratch_dir = if std::fs::metadata(output).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
            std::env::temp_dir()
        } else {
            parent_dir(output)?
        };
        let scratch = tempfile::Builder::new()
            .prefix(".buckle-build-")
            .tempdir_in(scratch_dir)?;
        let layout_path: PathBuf = scratch.path().join("layout");
        let built = self.write_layout(&layout_path)?;
        let image = buckle_oci::open_image(&layout_path, &Default::default())?;
        let options = self.options(arch)?;
        let title = options
            .annotations
            .get(annotation::TITLE)
            .cloned()
            .unwrap_or_default();
        image.write_docker_archive(
            output,
            &[format!("buckle/{title}:{TAG}")],
            options.source_date_epoch,
        )?;
        Ok(built)
    }
}

/// The layout's full index (`buckle-index.json`) names the image by each of `tags`:
/// the manifest itself, or for several architectures an image index of them.
pub fn top_index(
    layout: &LayoutWriter,
    manifests: Vec<Descriptor>,
    tags: &[String],
) -> anyhow::Result<ImageIndex> {
    let top = match manifests.as_slice() {
        [one] => one.clone(),
        _ => layout.put_index(&image_index(manifests))?,
    };
    Ok(ImageIndex::new(
        tags.iter()
            .map(|tag| top.clone().with_annotation(annotation::REF_NAME, tag))
            .collect(),
    ))
}

pub fn parent_dir(path: &Path) -> anyhow::Result<PathBuf> {
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).with_context(|| format!("cannot create `{}`", parent.display()))?;
    Ok(parent.to_owned())
}
