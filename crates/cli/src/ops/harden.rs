//! Hardening an existing image: its app files on top of a buckle build of only the
//! Debian packages the app needs, proven by running both images with the same command.
//!
//! The image is read twice: once for its dpkg database (which files are whose), once
//! for the contents of the app's files. [`buckle_retrofit`] decides what to keep; the
//! rebuild is an ordinary spec (made here, never written beside the output) locked and
//! built by [`crate::ops::lock`] and [`crate::ops::build`], with the app as an extra
//! layer. Everything is written into a directory beside the output, renamed into place
//! only when the smoke test passes.

use crate::exit::{GateFailed, UserError};
use crate::files::SpecFile;
use crate::image_view;
use crate::ops::build::{build_locked, BuildRequest};
use crate::ops::check::checked;
use crate::ops::test::{parse_user, run_image, working_dir};
use crate::printer::Printer;
use crate::registry::Remote;
use crate::runc::{Outcome, Process};
use crate::session::Session;
use anyhow::Context;
use buckle_check::Policy;
use buckle_debian::{Arch, PackageName};
use buckle_image::build::ExtraLayer;
use buckle_image::tree::{Node, Tree};
use buckle_oci::tar::EntryKind;
use buckle_oci::{MergedFile, RelPath};
use buckle_retrofit::{Files, Owners, Plan, Run};
use buckle_sbom::dpkg::{needs_content, Detail, Found};
use buckle_sign::key::PrivateKey;
use buckle_spec::{Distribution, User, Variant};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Packages cut from every hardened build unless the app needs them itself: what only
/// maintainer scripts use (as in the catalog's specs).
const EXCLUDES: &[(&str, &str)] = &[
    (
        "openssl",
        "ca-certificates needs it only for update-ca-certificates; buckle writes the bundle itself",
    ),
    (
        "debconf",
        "used only by maintainer scripts, which never run in a buckle image",
    ),
    ("mawk", "only maintainer scripts use awk"),
    ("dpkg", "packages depend on it for their maintainer scripts only"),
    ("tar", "pulled in only through dpkg"),
];

/// The app's layer in the hardened image's history.
const APP_LAYER: &str = "app";

/// What to harden and how.
pub struct HardenRequest<'a> {
    /// An OCI layout, docker archive or registry reference.
    pub image: PathBuf,
    /// Where the hardened OCI layout goes; it must not exist.
    pub output: PathBuf,
    /// Packages kept on top of what the app is found to need.
    pub keep: Vec<PackageName>,
    /// The hardened image's user [default: nonroot, 65532].
    pub user: User,
    /// The smoke test's command [default: the image's entrypoint and cmd].
    pub test: Option<Vec<String>>,
    pub sign: Option<&'a PrivateKey>,
}

/// An image's figures on one side of the hardening.
#[derive(Debug, Clone)]
pub struct Side {
    pub packages: usize,
    /// Compressed layer bytes.
    pub size: u64,
    /// `buckle check`'s score with the default policy.
    pub score: u32,
}

/// What `buckle harden` did.
#[derive(Debug, Clone)]
pub struct Hardened {
    pub output: PathBuf,
    pub distribution: Distribution,
    pub before: Side,
    pub after: Side,
    /// The root packages, each with why it is needed.
    pub roots: BTreeMap<PackageName, BTreeSet<String>>,
    /// Packages of the original that the hardened image does not have, with why.
    pub removed_packages: Vec<(PackageName, &'static str)>,
    /// Files of the original no package owns that were left out: reason -> paths.
    pub dropped_files: BTreeMap<&'static str, Vec<String>>,
    /// App files whose setuid or setgid bit was cleared.
    pub special_bits_cleared: Vec<String>,
    pub app_files: usize,
    /// What the app asks for that neither image gives it.
    pub warnings: Vec<String>,
    /// The smoke test: command, and the output both images printed.
    pub command: Vec<String>,
    pub output_text: String,
    pub exit_code: Option<i32>,
}

impl Hardened {
    pub fn to_json(&self) -> Value {
        let side = |s: &Side| json!({"packages": s.packages, "size": s.size, "score": s.score});
        json!({
            "output": self.output,
            "distribution": self.distribution.codename(),
            "before": side(&self.before),
            "after": side(&self.after),
            "roots": self.roots.iter().map(|(p, why)| json!({"package": p, "why": why})).collect::<Vec<_>>(),
            "removed_packages": self.removed_packages.iter().map(|(p, why)| json!({"package": p, "why": why})).collect::<Vec<_>>(),
            "dropped_files": self.dropped_files,
            "special_bits_cleared": self.special_bits_cleared,
            "app_files": self.app_files,
            "warnings": self.warnings,
            "smoke_test": {"command": self.command, "output": self.output_text, "exit_code": self.exit_code},
        })
    }
}

/// The image as read for hardening.
struct Original {
    image: buckle_oci::Image,
    /// The config's user as numeric `uid:gid`.
    user: (u32, u32),
    arch: Arch,
    distribution: Distribution,
    found: Found,
    files: Files,
    owners: Owners,
}

pub fn harden(
    session: &Session,
    request: &HardenRequest<'_>,
    remote: &Remote<'_>,
    printer: &Printer,
) -> anyhow::Result<Hardened> {
    if request.output.exists() {
        anyhow::bail!(UserError::with_hint(
            format!("`{}` already exists", request.output.display()),
            "remove it, or pass another -o"
        ));
    }
    let original = read_original(&request.image, remote)?;
    let app = plan_app(&original, request)?;
    printer.status(
        "Planned",
        format!(
            "{}: {} app files, {} root packages of {} installed",
            request.image.display(),
            app.plan.survey.app.len(),
            app.plan.needs.packages.len(),
            original.found.packages.len()
        ),
    );
    let scratch = tempfile::Builder::new()
        .prefix(".buckle-harden-")
        .tempdir_in(parent_dir(&request.output)?)
        .context("cannot make a work directory beside the output")?;
    let rebuilt = rebuild(session, request, &original, &app, scratch.path(), printer)?;
    let hardened = image_view::open_local(&rebuilt.path, None)?;
    let (output_text, exit_code) = smoke_test(&original, &hardened, &app.command, printer)?;

    let (_, before_report) = checked(&request.image, None, &Policy::default(), remote)?;
    let (_, after_report) = checked(&rebuilt.path, None, &Policy::default(), remote)?;
    let kept: BTreeSet<&PackageName> = rebuilt
        .lock
        .packages(&original.arch, Variant::Runtime)
        .iter()
        .map(|p| &p.name)
        .collect();
    let removed_packages = original
        .found
        .packages
        .iter()
        .filter(|p| !kept.contains(&p.name))
        .map(|p| (p.name.clone(), removal_reason(p.name.as_str())))
        .collect();
    let mut dropped_files: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    for (path, why) in &app.plan.survey.dropped {
        dropped_files
            .entry(why.as_str())
            .or_default()
            .push(format!("/{path}"));
    }
    std::fs::rename(&rebuilt.path, &request.output)
        .with_context(|| format!("cannot move the hardened image to `{}`", request.output.display()))?;
    Ok(Hardened {
        output: request.output.clone(),
        distribution: original.distribution,
        before: Side {
            packages: original.found.packages.len(),
            size: layers_size(&original.image),
            score: before_report.score,
        },
        after: Side {
            packages: kept.len(),
            size: layers_size(&hardened),
            score: after_report.score,
        },
        roots: app.plan.needs.packages.clone(),
        removed_packages,
        dropped_files,
        special_bits_cleared: rebuilt.special_bits_cleared,
        app_files: app.plan.survey.app.len(),
        warnings: app.plan.needs.warnings.clone(),
        command: app.command,
        output_text,
        exit_code,
    })
}

/// What of the original is kept: the app's files (their contents read) and the
/// packages they need, and the command the smoke test runs.
struct AppPlan {
    files: Files,
    plan: Plan,
    run: Run,
    command: Vec<String>,
}

fn plan_app(original: &Original, request: &HardenRequest<'_>) -> anyhow::Result<AppPlan> {
    let run = run_of(&original.image);
    let command = request.test.clone().unwrap_or_else(|| run.command());
    let survey = buckle_retrofit::survey(&original.files, &original.owners);
    let mut files = original.files.clone();
    let app: BTreeSet<RelPath> = survey.app.iter().map(|e| e.path.clone()).collect();
    let contents =
        image_view::merged_files(&original.image, |e| buckle_retrofit::wants_content(&e.path, &app))?;
    for (path, file) in contents {
        if let Some(content) = file.content {
            files.add_content(path, content);
        }
    }
    let mut commands = vec![command.clone()];
    if run.command() != command && !run.command().is_empty() {
        commands.push(run.command());
    }
    let plan = buckle_retrofit::plan(
        &files,
        &original.owners,
        survey,
        &run,
        &commands,
        &request.keep,
        &original.arch,
    )
    .map_err(retrofit_error)?;
    Ok(AppPlan {
        files,
        plan,
        run,
        command,
    })
}

/// The hardened image, built into `dir`.
struct Rebuilt {
    lock: buckle_spec::Lock,
    path: PathBuf,
    special_bits_cleared: Vec<String>,
}

/// Locks the roots against the image's release and builds them with the app's layer
/// on top, signed when asked.
fn rebuild(
    session: &Session,
    request: &HardenRequest<'_>,
    original: &Original,
    app: &AppPlan,
    dir: &Path,
    printer: &Printer,
) -> anyhow::Result<Rebuilt> {
    let spec = write_spec(dir, request, original, &app.plan, &app.run)?;
    let lock = crate::ops::lock::resolve_spec(session, &spec, None, false)
        .with_context(|| format!("cannot resolve the packages of `{}`", request.image.display()))?
        .lock;
    let app_package = AppPackage {
        name: format!("{}-app", spec.spec.name),
        version: format!("0+{}", &original.image.manifest_digest().hex()[..12]),
        arch: original.arch.clone(),
        from: request.image.display().to_string(),
    };
    let (layer, special_bits_cleared) = app_layer(&app.plan, &app.files, &app_package)?;
    let path = dir.join("image");
    let build = BuildRequest {
        arches: vec![original.arch.to_string()],
        output: Some(path.clone()),
        sign: request.sign,
        extra_layers: vec![layer],
        exposed_ports: original
            .image
            .config()
            .config
            .as_ref()
            .map(|c| c.exposed_ports.keys().cloned().collect())
            .unwrap_or_default(),
        ..BuildRequest::layout(Variant::Runtime)
    };
    build_locked(session, &spec, lock.clone(), &build, printer)?;
    Ok(Rebuilt {
        lock,
        path,
        special_bits_cleared,
    })
}

/// Opens the image and reads its dpkg database; refuses what cannot be rebuilt from
/// Debian: another OS, Alpine, an image without dpkg, a release buckle does not know.
fn read_original(arg: &Path, remote: &Remote<'_>) -> anyhow::Result<Original> {
    let image = image_view::open(arg, remote)?;
    let shown = arg.display();
    let config = image.config();
    if config.os != "linux" {
        anyhow::bail!(UserError::with_hint(
            format!(
                "`{shown}` is a `{}` image; buckle harden rebuilds Linux images",
                config.os
            ),
            "pass the linux image of a multi-platform index (buckle picks the host's platform)"
        ));
    }
    let arch = Arch::from_oci(&config.architecture, config.variant.as_deref()).ok_or_else(|| {
        UserError::new(format!(
            "`{shown}` is for `{}`, which Debian has no architecture for",
            config.architecture
        ))
    })?;
    let merged = image_view::merged_files(&image, |e| {
        needs_content(e.path.as_str(), Detail::Owners)
            || ["etc/passwd", "etc/group"].contains(&e.path.as_str())
    })?;
    let has = |path: &str| RelPath::new(path).is_ok_and(|p| merged.contains_key(&p));
    if has("etc/alpine-release") {
        anyhow::bail!(UserError::with_hint(
            format!("`{shown}` is an Alpine image (it has /etc/alpine-release and no dpkg database)"),
            "buckle harden rebuilds Debian-based images; move the app onto a buckle image with `buckle migrate` (docs/retrofit.md)"
        ));
    }
    if !has("var/lib/dpkg/status") && !has("var/lib/dpkg/status.d") {
        anyhow::bail!(UserError::with_hint(
            format!("`{shown}` has no dpkg database (/var/lib/dpkg/status), so which files are Debian's is not known"),
            "buckle harden rebuilds Debian-based images (bookworm or trixie)"
        ));
    }
    let found = image_view::installed(&merged, Detail::Owners)?;
    let text = |path: &str| {
        let file = merged.get(&RelPath::new(path).ok()?)?;
        String::from_utf8(file.content.clone()?).ok()
    };
    let user = config
        .config
        .as_ref()
        .and_then(|c| c.user.clone())
        .unwrap_or_default();
    let user = numeric_user(&user, text("etc/passwd").as_deref(), text("etc/group").as_deref())
        .map_err(|e| UserError::new(format!("`{shown}`: {e}")))?;
    let distribution = distribution(&found, &shown.to_string())?;
    let files = Files::new(merged.values().map(|m| m.entry.clone()));
    let lists = found.file_lists.clone().unwrap_or_default();
    let owners = Owners::from_lists(
        &files,
        found
            .packages
            .iter()
            .map(|p| (p.name.clone(), file_list(&merged, p, lists.get(&p.name)))),
    );
    Ok(Original {
        image,
        user,
        arch,
        distribution,
        found,
        files,
        owners,
    })
}

/// The package's dpkg `.list` (every path it installed: directories, symlinks and
/// conffiles too), else the file list the SBOM reader found (`status.d` images have
/// only `.md5sums`).
fn file_list<'a>(
    merged: &'a BTreeMap<RelPath, MergedFile>,
    package: &buckle_sbom::PackageFacts,
    found: Option<&String>,
) -> Option<&'a str> {
    let info = "var/lib/dpkg/info";
    let candidates = [
        format!("{info}/{}:{}.list", package.name, package.arch),
        format!("{info}/{}.list", package.name),
    ];
    let found = found.map(|f| f.trim_start_matches('/').to_owned());
    candidates.into_iter().chain(found).find_map(|path| {
        let path = RelPath::new(&path).ok()?;
        std::str::from_utf8(merged.get(&path)?.content.as_deref()?).ok()
    })
}

/// The ids of a config's user (`name`, `uid`, `name:group`, `uid:gid`, empty for
/// root), names looked up in the image's own passwd and group files. Without a group,
/// the user's primary group, as container runtimes do (0 for a uid passwd lacks).
fn numeric_user(user: &str, passwd: Option<&str>, group: Option<&str>) -> Result<(u32, u32), String> {
    // name:password:id:... lines; the primary group is the 4th field of passwd.
    let lookup = |file: Option<&str>, name: &str| {
        file?
            .lines()
            .map(|line| line.split(':').collect::<Vec<_>>())
            .find(|fields| fields.first() == Some(&name))
            .and_then(|fields| {
                Some((
                    fields.get(2)?.parse::<u32>().ok()?,
                    fields.get(3).and_then(|g| g.parse::<u32>().ok()),
                ))
            })
    };
    let (name, group_name) = match user.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (user, None),
    };
    let (uid, primary) = match name {
        "" => (0, Some(0)),
        _ => match name.parse::<u32>() {
            Ok(uid) => (uid, primary_group(passwd, uid).or(Some(0))),
            Err(_) => {
                lookup(passwd, name).ok_or_else(|| format!("its user `{name}` is not in its /etc/passwd"))?
            }
        },
    };
    let gid = match group_name {
        None => primary.unwrap_or(uid),
        Some(g) => match g.parse::<u32>() {
            Ok(gid) => gid,
            Err(_) => lookup(group, g)
                .map(|(gid, _)| gid)
                .ok_or_else(|| format!("its group `{g}` is not in its /etc/group"))?,
        },
    };
    Ok((uid, gid))
}

/// The primary group of `uid` in a passwd file.
fn primary_group(passwd: Option<&str>, uid: u32) -> Option<u32> {
    passwd?.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.get(2)?.parse::<u32>().ok()? == uid).then(|| fields.get(3)?.parse().ok())?
    })
}

/// The Debian release of the image's os-release, which the rebuild resolves against.
fn distribution(found: &Found, shown: &str) -> anyhow::Result<Distribution> {
    let os = &found.os_release;
    let known = Distribution::ALL.map(Distribution::codename).join(" or ");
    if os.id.as_deref() != Some("debian") {
        anyhow::bail!(UserError::with_hint(
            format!(
                "`{shown}` is not Debian: its os-release says ID={}",
                os.id.as_deref().unwrap_or("(none)")
            ),
            format!("buckle harden rebuilds Debian images ({known})")
        ));
    }
    let codename = os.version_codename.as_deref().unwrap_or("(none)");
    codename.parse().map_err(|_| {
        UserError::with_hint(
            format!("`{shown}` is Debian `{codename}`, a release buckle does not build"),
            format!("buckle builds {known}; rebuild the image on one of them first"),
        )
        .into()
    })
}

/// The config's command and the environment it runs in.
fn run_of(image: &buckle_oci::Image) -> Run {
    let config = image.config().config.clone().unwrap_or_default();
    Run {
        entrypoint: config.entrypoint.clone().unwrap_or_default(),
        cmd: config.cmd.clone().unwrap_or_default(),
        env: config.env.clone(),
        workdir: working_dir(&config),
    }
}

fn retrofit_error(error: buckle_retrofit::Error) -> anyhow::Error {
    let hint = match &error {
        buckle_retrofit::Error::NeedsShell { .. } => {
            "give the image an exec-form ENTRYPOINT/CMD that runs the program itself (`[\"/app/server\"]`), or pass --test with one"
        }
        buckle_retrofit::Error::NoCommand => "pass --test with the command the smoke test runs",
        buckle_retrofit::Error::MissingProgram { .. } | buckle_retrofit::Error::Interpreter { .. } => {
            "check the image's ENTRYPOINT and CMD, or --test"
        }
    };
    UserError::with_hint(error.to_string(), hint).into()
}

/// The spec of the rebuild, written into `dir` and read back like any spec.
fn write_spec(
    dir: &Path,
    request: &HardenRequest<'_>,
    original: &Original,
    plan: &Plan,
    run: &Run,
) -> anyhow::Result<SpecFile> {
    let name = image_name(&request.output);
    let mut image = toml::Table::new();
    image.insert("user".into(), request.user.to_string().into());
    if !run.entrypoint.is_empty() {
        image.insert("entrypoint".into(), run.entrypoint.clone().into());
    }
    if !run.cmd.is_empty() {
        image.insert("cmd".into(), run.cmd.clone().into());
    }
    image.insert("workdir".into(), run.workdir.clone().into());
    let env: toml::Table = run
        .env
        .iter()
        .filter_map(|e| e.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.into()))
        .collect();
    image.insert("env".into(), env.into());
    let labels: toml::Table = original
        .image
        .config()
        .config
        .as_ref()
        .map(|c| {
            c.labels
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().into()))
                .collect()
        })
        .unwrap_or_default();
    image.insert("labels".into(), labels.into());
    let roots = plan.roots();
    let excludes: Vec<toml::Value> = EXCLUDES
        .iter()
        .filter(|(package, _)| !roots.iter().any(|r| r.as_str() == *package))
        .map(|(package, reason)| {
            let mut t = toml::Table::new();
            t.insert("package".into(), (*package).into());
            t.insert("reason".into(), (*reason).into());
            t.into()
        })
        .collect();
    let mut spec = toml::Table::new();
    spec.insert("name".into(), name.clone().into());
    spec.insert(
        "description".into(),
        format!("{}, hardened by buckle harden", request.image.display()).into(),
    );
    spec.insert("distribution".into(), original.distribution.codename().into());
    spec.insert("architectures".into(), vec![original.arch.to_string()].into());
    spec.insert(
        "packages".into(),
        plan.roots()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .into(),
    );
    spec.insert("exclude".into(), excludes.into());
    spec.insert("image".into(), image.into());
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, toml::to_string(&spec)?)
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    SpecFile::load(&path)
}

/// A spec name from the output's file name: lower case letters, digits and dashes.
fn image_name(output: &Path) -> String {
    let raw = output
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let cleaned: String = raw
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let trimmed = cleaned.trim_matches('-');
    if trimmed.is_empty() {
        "hardened".into()
    } else {
        trimmed.to_owned()
    }
}

/// How the app's files are entered in the image's dpkg database (`status.d`, as buckle
/// writes Debian's packages), so that SBOMs and scanners list them instead of missing
/// them. It is no Debian package: the version names the original image.
struct AppPackage {
    name: String,
    version: String,
    arch: Arch,
    from: String,
}

/// The app's files as a layer: owners and modes as they were, less setuid and setgid
/// bits (the paths whose bits were cleared are returned), with `package`'s status and
/// md5sums files.
fn app_layer(plan: &Plan, files: &Files, package: &AppPackage) -> anyhow::Result<(ExtraLayer, Vec<String>)> {
    use md5::Digest as _;
    let mut tree = Tree::new();
    let mut cleared = Vec::new();
    let mut md5sums = String::new();
    let mut size = 0u64;
    for entry in &plan.survey.app {
        let mode = entry.mode & !0o6000;
        if mode != entry.mode && entry.kind != EntryKind::Directory {
            cleared.push(format!("/{}", entry.path));
        }
        let node = match &entry.kind {
            EntryKind::Directory => Node::directory(mode),
            EntryKind::File { .. } | EntryKind::Hardlink { .. } => {
                let source = match &entry.kind {
                    EntryKind::Hardlink { target } => target,
                    _ => &entry.path,
                };
                let bytes = content(files, source)?;
                size += bytes.len() as u64;
                md5sums.push_str(&format!(
                    "{}  {}\n",
                    hex::encode(md5::Md5::digest(&bytes)),
                    entry.path
                ));
                Node::file(bytes, mode)
            }
            EntryKind::Symlink { target } => Node::symlink(target.clone()),
            other => anyhow::bail!(UserError::new(format!(
                "/{} is a {}, which an image layer of buckle's does not hold",
                entry.path,
                other.name()
            ))),
        };
        tree.insert(&entry.path, node.with_owner(entry.uid, entry.gid))?;
    }
    let status = format!(
        "Package: {}\nVersion: {}\nArchitecture: {}\nMaintainer: buckle harden\nInstalled-Size: {}\nDescription: the app's files from {}\n",
        package.name,
        package.version,
        package.arch,
        size.div_ceil(1024),
        package.from
    );
    let status_dir = RelPath::new(buckle_image::harden::STATUS_DIR)?;
    tree.insert(
        &status_dir.join(&package.name)?,
        Node::file(status.into_bytes(), 0o644),
    )?;
    tree.insert(
        &status_dir.join(&format!("{}.md5sums", package.name))?,
        Node::file(md5sums.into_bytes(), 0o644),
    )?;
    Ok((
        ExtraLayer {
            name: APP_LAYER.into(),
            tree,
        },
        cleared,
    ))
}

fn content(files: &Files, path: &RelPath) -> anyhow::Result<Vec<u8>> {
    files
        .content(path)
        .map(<[u8]>::to_vec)
        .ok_or_else(|| anyhow::anyhow!("the content of /{path} was not read from the image"))
}

/// Runs `command` in the original (as its own user) and in the hardened image (as its
/// user, read-only root); they must print the same and exit the same. Returns that
/// output and exit code.
fn smoke_test(
    original: &Original,
    hardened: &buckle_oci::Image,
    command: &[String],
    printer: &Printer,
) -> anyhow::Result<(String, Option<i32>)> {
    let process = |image: &buckle_oci::Image,
                   (uid, gid): (u32, u32),
                   read_only_root: bool|
     -> anyhow::Result<Process> {
        let config = image.config().config.clone().unwrap_or_default();
        Ok(Process {
            args: command.to_vec(),
            env: config.env.clone(),
            cwd: working_dir(&config),
            uid,
            gid,
            read_only_root,
            confinement: Default::default(),
        })
    };
    let hardened_user = hardened.config().config.as_ref().and_then(|c| c.user.clone());
    let before_process = process(&original.image, original.user, false)?;
    let after_process = process(
        hardened,
        parse_user(hardened_user.as_deref().unwrap_or("0:0"))?,
        true,
    )?;
    printer.status(
        "Testing",
        format!(
            "{command:?} in the original (as {}:{}) and the hardened image (as {}:{}, read-only root)",
            before_process.uid, before_process.gid, after_process.uid, after_process.gid
        ),
    );
    let before = run_image(&original.image, &before_process, &[])?;
    let after = run_image(hardened, &after_process, &[])?;
    if before.stdout != after.stdout || before.code != after.code {
        anyhow::bail!(GateFailed {
            message: format!(
                "the hardened image does not behave as the original: {command:?}\n{}\n{}\nnothing was written",
                shown("original", &before),
                shown("hardened", &after)
            )
        });
    }
    printer.status(
        "Passed",
        format!("both print the same and exit with {}", exit_text(before.code)),
    );
    Ok((before.stdout, before.code))
}

fn exit_text(code: Option<i32>) -> String {
    code.map_or_else(|| "a signal".into(), |c| c.to_string())
}

fn shown(which: &str, outcome: &Outcome) -> String {
    format!(
        "{which}: exit {}, stdout:\n{}\nstderr:\n{}",
        exit_text(outcome.code),
        outcome.stdout.trim_end(),
        outcome.stderr.trim_end()
    )
}

fn layers_size(image: &buckle_oci::Image) -> u64 {
    image.manifest().layers.iter().map(|l| l.size).sum()
}

/// Why a package of the original is not in the hardened image.
fn removal_reason(package: &str) -> &'static str {
    match package {
        "bash" | "dash" | "zsh" | "busybox" => "a shell",
        "apt" | "dpkg" | "debconf" | "libapt-pkg6.0" | "libapt-pkg6.0t64" => "the package manager",
        "login" | "passwd" | "util-linux" | "mount" => "account and system administration tools",
        _ => "nothing the app runs or links needs it",
    }
}

fn parent_dir(path: &Path) -> anyhow::Result<PathBuf> {
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).with_context(|| format!("cannot create `{}`", parent.display()))?;
    Ok(parent.to_owned())
}

#[cfg(test)]
mod tests {
    use super::numeric_user;

    const PASSWD: &str = "root:x:0:0:root:/root:/bin/bash\napp:x:1000:1001::/home/app:/bin/sh\n";
    const GROUP: &str = "root:x:0:\nstaff:x:50:\napp:x:1001:\n";

    #[test]
    fn users_are_looked_up_in_the_images_own_files() {
        let ids = |user| numeric_user(user, Some(PASSWD), Some(GROUP));
        assert_eq!(ids(""), Ok((0, 0)));
        assert_eq!(ids("app"), Ok((1000, 1001)));
        assert_eq!(ids("1000"), Ok((1000, 1001)));
        assert_eq!(ids("app:staff"), Ok((1000, 50)));
        assert_eq!(ids("2000:3000"), Ok((2000, 3000)));
        assert_eq!(ids("7"), Ok((7, 0)));
        assert!(ids("nobody")
            .unwrap_err()
            .contains("`nobody` is not in its /etc/passwd"));
        assert!(ids("app:wheel").unwrap_err().contains("`wheel`"));
    }
}
