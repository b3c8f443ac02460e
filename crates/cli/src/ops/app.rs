//! Building an app image: the base spec's runtime image as its lock builds it (the
//! lock is reused, never re-resolved), then the application's dependencies installed
//! from its own lockfile, then its files; SBOMs attached.

use crate::describe::{self, deb_origins};
use crate::exit::UserError;
use crate::files::{self, SpecFile};
use crate::ops::build::{architectures, build_runtime_images, parent_dir, top_index, BuildRequest};
use crate::printer::Printer;
use crate::session::{resolve, Session};
use anyhow::Context;
use buckle_app::node::{NodeOptions, PackageLock, Registry};
use buckle_app::python::{Index, InstallOptions, Machine, Requirements, Target};
use buckle_app::{
    app_layers, extend_image, project_tree, read_ignore_rules, AppPackage, AppTree, ExtendedImage,
    FileMapping, NodeKind, RunConfig,
};
use buckle_debian::Arch;
use buckle_image::harden::elf;
use buckle_oci::layout::{Layout, LayoutWriter, Selector};
use buckle_oci::{annotation, RelPath};
use buckle_sbom::dpkg::Detail;
use buckle_spec::{AppSpec, AppTest, BaseRef, Dependencies, Lock, SpecKind, Variant};
use serde_json::json;
use std::path::{Path, PathBuf};

/// The tag written into app layouts.
const TAG: &str = "latest";

/// Where an app's `node_modules` goes when its spec copies no files.
const DEFAULT_APP_DIR: &str = "/app";

/// An app spec with the path it was read from.
pub struct AppFile {
    pub path: PathBuf,
    pub spec: AppSpec,
}

impl AppFile {
    pub fn load(path: &Path) -> anyhow::Result<AppFile> {
        let text = files::read_text(path)?;
        Ok(AppFile {
            path: path.to_owned(),
            spec: AppSpec::parse(&text, path)?,
        })
    }

    /// The spec's directory.
    pub fn dir(&self) -> &Path {
        self.path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
    }

    /// The project directory, which `files` and the lockfile are relative to:
    /// `app.project` from the spec's directory.
    pub fn project_dir(&self) -> PathBuf {
        resolve(self.dir(), &self.spec.app.project)
    }
}

/// Whether the spec at `path` is an app spec (it has a top-level `base`).
pub fn is_app_spec(path: &Path) -> anyhow::Result<bool> {
    if path.extension().is_some_and(|e| e == "lock") {
        return Ok(false);
    }
    Ok(SpecKind::of(&files::read_text(path)?) == SpecKind::App)
}

/// The base spec's path: a path as given, or a catalog name looked up as `<name>.toml`
/// beside the app spec (an app spec in a catalog), then as `catalog/<name>.toml` in
/// the app's directory and each directory above it.
pub fn base_spec_path(app: &AppFile) -> anyhow::Result<PathBuf> {
    match &app.spec.base {
        BaseRef::Path(path) => Ok(resolve(app.dir(), path)),
        BaseRef::Catalog(name) => {
            let file = format!("{name}.toml");
            let start = app.dir().canonicalize().unwrap_or_else(|_| app.dir().to_owned());
            let beside = start.join(&file);
            std::iter::once(beside)
                .chain(start.ancestors().map(|dir| dir.join("catalog").join(&file)))
                .find(|candidate| candidate.is_file())
                .ok_or_else(|| {
                    UserError::with_hint(
                        format!(
                            "`{}`: the base `{name}` is not in a `catalog/` directory beside the spec or above it",
                            app.path.display()
                        ),
                        format!("copy buckle's catalog/{file} next to your project, or give `base` as a path to a spec"),
                    )
                    .into()
                })
        }
    }
}

/// The base's lock, which must exist and match its spec: an app build reuses it.
fn base_lock(base: &SpecFile) -> anyhow::Result<Lock> {
    let relock = format!("run `buckle lock {}` first", base.path.display());
    let lock = base.read_lock()?.ok_or_else(|| {
        UserError::with_hint(
            format!("the base `{}` has no lock", base.path.display()),
            relock.clone(),
        )
    })?;
    lock.check_fresh(&base.spec).map_err(|e| {
        UserError::with_hint(
            format!("the base's lock `{}`: {e}", base.lock_path().display()),
            relock,
        )
    })?;
    Ok(lock)
}

/// One architecture's installed dependencies.
struct Installed {
    arch: Arch,
    tree: AppTree,
    packages: Vec<AppPackage>,
}

/// Builds the app spec at `path`.
pub fn build_app(
    session: &Session,
    path: &Path,
    args: &BuildRequest<'_>,
    printer: &Printer,
) -> anyhow::Result<serde_json::Value> {
    if args.format != crate::args::FormatArg::Oci {
        anyhow::bail!(UserError::with_hint(
            "app images are built into an OCI layout",
            "drop --format docker-archive; `skopeo copy oci:out/APP:latest docker-archive:APP.tar` converts the layout"
        ));
    }
    let started = crate::clock::now_seconds();
    let app = AppFile::load(path)?;
    let base = SpecFile::load(&base_spec_path(&app)?)?;
    let lock = base_lock(&base)?;
    let wanted: Vec<String> = if args.arches.is_empty() {
        app.spec.architectures.iter().map(ToString::to_string).collect()
    } else {
        args.arches.clone()
    };
    let arches = architectures(&base, &wanted, args.format)?;
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| Path::new("out").join(app.spec.name.to_string()));
    let epoch = args.source_date_epoch.unwrap_or(lock.source_date_epoch);

    // The user's inputs are all checked before the base is built: nothing is written
    // when one of them is wrong.
    let project = project_files(&app)?;
    for arch in &arches {
        check_programs_run_on(&project, arch)?;
    }
    let installed = arches
        .iter()
        .map(|arch| install_dependencies(session, &app, &lock, arch, printer))
        .collect::<anyhow::Result<Vec<_>>>()?;

    let scratch = tempfile::Builder::new()
        .prefix(".buckle-app-")
        .tempdir_in(parent_dir(&output)?)?;
    let base_writer = LayoutWriter::create(scratch.path().join("base"))?;
    let built = build_runtime_images(
        session,
        &base,
        &lock,
        arches.clone(),
        args.compression,
        &base_writer,
        printer,
    )?;
    let base_index = top_index(
        &base_writer,
        built.iter().map(|b| b.manifest.clone()).collect(),
        &[TAG.to_owned()],
    )?;
    let base_layout = base_writer.finish(&base_index)?;

    let writer = LayoutWriter::create(&output)?;
    let mut images = Vec::new();
    for (base_image, installed) in built.iter().zip(installed) {
        let image = base_layout.select(&Selector {
            ref_name: None,
            platform: base_image.manifest.platform.clone(),
        })?;
        let (layers, _) = app_layers(
            app.spec.name.as_str(),
            installed.tree,
            &installed.packages,
            project.clone(),
        )?;
        let run = run_config(&app, &base, &base_image.manifest.digest);
        let extended = extend_image(
            &base_layout,
            &image,
            &layers,
            &run,
            &writer,
            args.compression,
            epoch,
        )
        .with_context(|| format!("cannot build the app image for {}", installed.arch))?;
        images.push((installed.arch, installed.packages, extended));
    }
    let index = top_index(
        &writer,
        images.iter().map(|(_, _, e)| e.manifest.clone()).collect(),
        &[TAG.to_owned()],
    )?;
    writer.finish(&index)?;
    attach_sboms(session, &app, &base, &lock, &output, &images)?;
    if let Some(key) = args.sign {
        let inputs = crate::ops::sign::BuildInputs {
            session,
            spec: &base,
            lock: &lock,
            invocation: None,
            app_spec: Some(&app.path),
        };
        crate::ops::sign::sign_build(inputs, &output, started, key, printer)?;
    }

    report_built(&app, &base, &output, &images, printer);
    if args.test {
        smoke_test(
            path,
            &output,
            None,
            &crate::ops::test::TestOptions::default(),
            printer,
        )?;
    }
    let pushed = match &args.push {
        Some(push) => Some(crate::ops::push::push_layout(&output, push, Vec::new(), printer)?),
        None => None,
    };
    let digest = images
        .first()
        .map(|(_, _, e)| e.manifest.digest.oci())
        .unwrap_or_default();
    Ok(json!({
        "spec": app.path,
        "base": base.path,
        "output": output,
        "digest": digest,
        "push": pushed,
        "images": images.iter().map(|(arch, packages, e)| json!({
            "architecture": arch.to_string(),
            "digest": e.manifest.digest.oci(),
            "base_layers": e.base_layers,
            "packages": packages.iter().map(AppPackage::purl).collect::<Vec<_>>(),
            "layers": e.layers.iter().map(|l| json!({"name": l.name, "digest": l.descriptor.digest.oci(), "size": l.descriptor.size})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    }))
}

/// The status line of each architecture's app image.
fn report_built(
    app: &AppFile,
    base: &SpecFile,
    output: &Path,
    images: &[(Arch, Vec<AppPackage>, ExtendedImage)],
    printer: &Printer,
) {
    for (arch, packages, image) in images {
        let size: u64 = image.layers.iter().map(|l| l.descriptor.size).sum();
        let [.., deps, app_layer] = image.layers.as_slice() else {
            continue;
        };
        printer.status(
            "Built",
            format!(
                "{} ({arch}) -> {}: {} on {}, {} app packages, layers {} + dependencies {} + app {}, {}, {}",
                app.spec.name,
                output.display(),
                app.spec.name,
                base.spec.name,
                packages.len(),
                image.base_layers,
                crate::printer::human_size(deps.descriptor.size),
                crate::printer::human_size(app_layer.descriptor.size),
                crate::printer::human_size(size),
                image.manifest.digest.oci()
            ),
        );
    }
}

/// The project's files as the spec maps them, minus what its ignore file leaves out.
fn project_files(app: &AppFile) -> anyhow::Result<AppTree> {
    let project = app.project_dir();
    let (rules, _) = read_ignore_rules(&project)?;
    let mappings = app
        .spec
        .app
        .files
        .iter()
        .map(|f| {
            Ok(FileMapping {
                from: f.from.clone(),
                to: RelPath::new(f.to.trim_start_matches('/'))?,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(project_tree(&project, &mappings, &rules)?)
}

/// Refuses a project whose ELF programs or libraries are built for another machine
/// than `arch`: the image would build, and fail only when it runs.
fn check_programs_run_on(project: &AppTree, arch: &Arch) -> anyhow::Result<()> {
    let Some(machine) = elf::machine_for(arch.as_str()) else {
        return Ok(());
    };
    for (path, node) in project.nodes() {
        let NodeKind::File(bytes) = &node.kind else {
            continue;
        };
        if let Some(object) = elf::object(bytes).filter(|o| o.machine != machine) {
            anyhow::bail!(UserError::with_hint(
                format!(
                    "`/{path}` is an ELF program for machine {}, not for {arch} ({machine})",
                    object.machine
                ),
                format!(
                    "build it for {arch}, or leave {arch} out: `--arch` or `architectures` in the app spec"
                )
            ));
        }
    }
    Ok(())
}

fn install_dependencies(
    session: &Session,
    app: &AppFile,
    lock: &Lock,
    arch: &Arch,
    printer: &Printer,
) -> anyhow::Result<Installed> {
    let machine: Machine = arch.as_str().parse()?;
    let (tree, packages) = match &app.spec.app.dependencies {
        None => (AppTree::new(), Vec::new()),
        Some(Dependencies::Python { requirements, index }) => {
            let path = resolve(&app.project_dir(), requirements);
            let target = python_target(lock, arch, machine)?;
            let requirements = Requirements::read(&path, &files::read_text(&path)?, &target)
                .with_context(|| format!("in `{}`", path.display()))?;
            let url = match index.as_deref().or(requirements.index_url.as_deref()) {
                Some(url) => url.to_owned(),
                None => session.python_index()?.to_owned(),
            };
            let index = Index::new(session.http().clone(), &url, session.archive.cache().clone());
            let out = index
                .install(&requirements, &target, &InstallOptions::default())
                .with_context(|| {
                    format!(
                        "cannot install `{}` for Python {}",
                        path.display(),
                        target.python_version()
                    )
                })?;
            (out.tree, out.packages)
        }
        Some(Dependencies::Node {
            lockfile,
            allow_prebuilt,
        }) => {
            let path = resolve(&app.project_dir(), lockfile);
            let package_lock = PackageLock::parse(&files::read_text(&path)?)
                .with_context(|| format!("in `{}`", path.display()))?;
            let app_dir = app
                .spec
                .app
                .files
                .first()
                .map_or(DEFAULT_APP_DIR, |f| f.to.as_str());
            let mut options = NodeOptions::new(
                RelPath::new(app_dir.trim_start_matches('/'))?,
                machine,
                session.npm_registry()?,
            );
            options.allow_prebuilt = allow_prebuilt.iter().cloned().collect();
            let out = Registry::new(session.http().clone())
                .with_cache(session.archive.cache().clone())
                .install(&package_lock, &options)
                .with_context(|| format!("cannot install `{}`", path.display()))?;
            (out.tree, out.packages)
        }
    };
    printer.status("Installed", format!("{} app packages for {arch}", packages.len()));
    Ok(Installed {
        arch: arch.clone(),
        tree,
        packages,
    })
}

/// The base's CPython and glibc, from its lock.
fn python_target(lock: &Lock, arch: &Arch, machine: Machine) -> anyhow::Result<Target> {
    let version = |name: &str| {
        lock.packages(arch, Variant::Runtime)
            .iter()
            .find(|p| p.name.as_str() == name)
            .map(|p| p.version.to_string())
    };
    let (Some(python3), Some(libc6)) = (version("python3"), version("libc6")) else {
        anyhow::bail!(UserError::with_hint(
            "the base image has no python3 (or no libc6) for Python dependencies",
            "use `base = \"python\"`, or a base spec whose packages include python3"
        ));
    };
    Ok(Target::from_debian(&python3, &libc6, machine)?)
}

fn run_config(app: &AppFile, base: &SpecFile, base_digest: &buckle_digest::Sha256) -> RunConfig {
    let image = &app.spec.image;
    let mut annotations = std::collections::BTreeMap::new();
    annotations.insert(annotation::TITLE.to_owned(), app.spec.name.to_string());
    if let Some(description) = &app.spec.description {
        annotations.insert(annotation::DESCRIPTION.to_owned(), description.clone());
    }
    annotations.insert(BASE_NAME.to_owned(), base.spec.name.to_string());
    annotations.insert(BASE_DIGEST.to_owned(), base_digest.oci());
    RunConfig {
        entrypoint: image.entrypoint.clone(),
        cmd: image.cmd.clone(),
        workdir: image.workdir.clone(),
        env: image.env.clone(),
        ports: image.ports.clone(),
        volumes: app.spec.app.volumes.clone(),
        annotations,
    }
}

/// The OCI annotations naming the image an app image is built on.
const BASE_NAME: &str = "org.opencontainers.image.base.name";
const BASE_DIGEST: &str = "org.opencontainers.image.base.digest";

fn attach_sboms(
    session: &Session,
    app: &AppFile,
    base: &SpecFile,
    lock: &Lock,
    output: &Path,
    images: &[(Arch, Vec<AppPackage>, ExtendedImage)],
) -> anyhow::Result<()> {
    let mut layout = Layout::open(output)?;
    for (arch, _, image) in images {
        let selector = Selector {
            ref_name: None,
            platform: image.manifest.platform.clone(),
        };
        let opened = buckle_oci::open_image(output, &selector)?;
        let debs = deb_origins(session, base, lock, arch, Variant::Runtime)?;
        let input = describe::sbom_input(&opened, app.spec.name.as_str(), Detail::Packages, &debs, true)?;
        describe::attach_sboms(&mut layout, &opened, &input)
            .with_context(|| format!("cannot attach the SBOMs of the {arch} image"))?;
    }
    Ok(())
}

/// `buckle test` for an app spec: the image's entrypoint started as a service in runc
/// (uid 65532, read-only root, the declared volumes) and answered by the spec's
/// `[test] http` probe.
pub fn smoke_test(
    path: &Path,
    image: &Path,
    arch: Option<&str>,
    options: &crate::ops::test::TestOptions<'_>,
    printer: &Printer,
) -> anyhow::Result<()> {
    let app = AppFile::load(path)?;
    let Some(test) = &app.spec.test else {
        anyhow::bail!(crate::exit::UserError::with_hint(
            format!("`{}` declares no smoke test", path.display()),
            "add `[test] http = { port = 8080, path = \"/health\", expect = \"ok\" }`, or `command` and `expect` (docs/spec.md)"
        ));
    };
    let name = app.spec.name.to_string();
    let (command, check) = match test {
        AppTest::Http(http) => (
            Vec::new(),
            buckle_spec::Check::Http {
                port: http.port,
                path: http.path.clone(),
                expect: http.expect.clone(),
            },
        ),
        AppTest::Command { command, expect } => (
            command.clone(),
            buckle_spec::Check::Output {
                expect: expect.clone(),
            },
        ),
    };
    let probe = buckle_spec::SmokeTest {
        command,
        env: Default::default(),
        init: Vec::new(),
        check,
    };
    let image = crate::ops::test::TestedImage {
        name: &name,
        path: image,
        arch,
        dev: None,
    };
    crate::ops::test::run_smoke_test(&image, &probe, options, printer)
}
