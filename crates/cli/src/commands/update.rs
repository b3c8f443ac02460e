//! `buckle update DIR|SPEC...`: relock every spec against today's archive and say, per
//! image, what would change and why (security fixes first, known-exploited ones
//! before all). With `--rebuild`, rebuild (sign, push) only the images whose lock
//! changed, write an advisory for each, then write the new locks; `--watch` does it
//! every interval until SIGINT or SIGTERM.

mod relock;
mod watch;

use crate::args::{Global, UpdateArgs};
use crate::exit::{GateFailed, UserError};
use crate::files;
use crate::keys::read_private_key;
use crate::ops::build::{build_locked, BuildRequest};
use crate::printer::{Printer, Verbosity};
use crate::session::Session;
use anyhow::Context;
use buckle_oci::layout::Layout;
use buckle_patch::{most_urgent_first, Advisory, ChangeKind, ImageUpdate, Publication};
use buckle_registry::{PushOptions, Reference, Registry};
use buckle_spec::Variant;
use relock::{classify_plans, relock, SpecPlan};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The tag every image is pushed under besides its version tag.
const FLOATING_TAG: &str = "latest";

pub fn run(args: &UpdateArgs, global: &Global, printer: &Printer) -> anyhow::Result<()> {
    check_flags(args)?;
    let mut specs = crate::ops::specs::image_specs(&args.specs)?;
    if let Some(shard) = &args.shard {
        specs = shard.select(specs);
    }
    let stop = Stop::on_signals()?;
    if let Some(interval) = &args.watch {
        let interval = interval.parse().map_err(|e: buckle_patch::Error| {
            UserError::with_hint(e.to_string(), e.hint().unwrap_or_default())
        })?;
        return watch::run(&specs, args, global, printer, interval, &stop);
    }
    let report = tick(&specs, args, global, &step_printer(printer, false), &stop)?;
    show(&report, args, printer)?;
    if let Some(error) = report.errors.into_iter().next() {
        return Err(error);
    }
    if args.check && !report.updates.is_empty() && !args.rebuild {
        anyhow::bail!(GateFailed {
            message: format!(
                "{} image(s) have updates waiting: {}",
                report.updates.len(),
                report
                    .updates
                    .iter()
                    .map(|u| u.image.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        });
    }
    Ok(())
}

fn check_flags(args: &UpdateArgs) -> anyhow::Result<()> {
    if !args.rebuild && (args.sign.is_some() || args.push.is_some()) {
        anyhow::bail!(UserError::with_hint(
            "--sign and --push need --rebuild",
            "add --rebuild: only rebuilt images are signed and pushed"
        ));
    }
    if let Some(prefix) = &args.push {
        let probe = format!("{}/probe:{FLOATING_TAG}", prefix.trim_end_matches('/'));
        probe.parse::<Reference>().map_err(|e| {
            UserError::with_hint(
                format!("--push `{prefix}` is not a registry and repository prefix: {e}"),
                "write HOST[:PORT]/PATH, e.g. registry.example:5000/hardened",
            )
        })?;
    }
    Ok(())
}

fn variants(args: &UpdateArgs) -> Vec<Variant> {
    if args.variant.is_empty() {
        return Variant::ALL.to_vec();
    }
    Variant::ALL
        .into_iter()
        .filter(|v| args.variant.iter().any(|a| files::variant(*a) == *v))
        .collect()
}

/// What the commands inside a tick print with: status lines only when the user sees
/// them, never JSON (the tick's own report is the result).
fn step_printer(printer: &Printer, watching: bool) -> Printer {
    let mut inner = *printer;
    inner.json = false;
    if watching && inner.verbosity == Verbosity::Normal {
        inner.verbosity = Verbosity::Quiet;
    }
    inner
}

/// Set by SIGINT or SIGTERM: stop between steps. A second signal exits at once.
#[derive(Clone)]
pub struct Stop(Arc<AtomicBool>);

impl Stop {
    fn on_signals() -> anyhow::Result<Stop> {
        let flag = Arc::new(AtomicBool::new(false));
        for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            signal_hook::flag::register_conditional_shutdown(signal, 130, flag.clone())
                .context("cannot handle signals")?;
            signal_hook::flag::register(signal, flag.clone()).context("cannot handle signals")?;
        }
        Ok(Stop(flag))
    }

    pub fn requested(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// What one pass over the specs found and did.
#[derive(Default)]
pub struct TickReport {
    pub images: usize,
    /// Images whose lock changed, most urgent first.
    pub updates: Vec<ImageUpdate>,
    pub unchanged: Vec<String>,
    /// Advisories of the images rebuilt in this pass.
    pub published: Vec<Advisory>,
    pub locks_written: Vec<PathBuf>,
    /// Specs that failed; the others went on.
    pub errors: Vec<anyhow::Error>,
    /// A signal stopped the pass between steps.
    pub interrupted: bool,
}

/// One pass: relock, classify, and with `--rebuild` publish, most urgent spec first.
/// A spec that fails is recorded and the others go on; a failure that concerns every
/// spec (the feed store) ends the pass.
pub fn tick(
    specs: &[PathBuf],
    args: &UpdateArgs,
    global: &Global,
    printer: &Printer,
    stop: &Stop,
) -> anyhow::Result<TickReport> {
    let session = Session::new(global)?;
    let variants = variants(args);
    let mut report = TickReport::default();
    let mut plans = Vec::new();
    for path in specs {
        if stop.requested() {
            report.interrupted = true;
            return Ok(report);
        }
        match relock(&session, path, &variants) {
            Ok(plan) => plans.push(plan),
            Err(e) => report
                .errors
                .push(e.context(format!("cannot update `{}`", path.display()))),
        }
    }
    classify_plans(&session, &mut plans, printer)?;
    report.images = plans.iter().map(|p| p.images.len() + p.unchanged.len()).sum();
    report.unchanged = plans.iter().flat_map(|p| p.unchanged.clone()).collect();
    plans.sort_by_key(most_urgent);
    for plan in &plans {
        let mut images = plan.images.clone();
        most_urgent_first(&mut images);
        report.updates.extend(images);
    }
    most_urgent_first(&mut report.updates);
    for plan in plans.iter().filter(|p| p.changed()) {
        if stop.requested() {
            report.interrupted = true;
            break;
        }
        let written = if args.rebuild {
            match publish(&session, plan, args, printer, stop) {
                Ok(Published::Done(advisories)) => {
                    report.published.extend(advisories);
                    true
                }
                Ok(Published::Interrupted(advisories)) => {
                    report.published.extend(advisories);
                    report.interrupted = true;
                    break;
                }
                Err(e) => {
                    report
                        .errors
                        .push(e.context(format!("cannot publish `{}`", plan.spec.path.display())));
                    false
                }
            }
        } else {
            args.write_locks
        };
        if written {
            let path = match &args.lock_dir {
                Some(dir) => dir.join(plan.spec.lock_path().file_name().unwrap_or_default()),
                None => plan.spec.lock_path(),
            };
            files::write_output(&path, plan.new.to_toml().as_bytes())?;
            printer.status("Locked", path.display());
            report.locks_written.push(path);
        }
    }
    Ok(report)
}

/// The order of specs: the most urgent of their images first.
fn most_urgent(plan: &SpecPlan) -> (usize, String) {
    let mut all: Vec<ImageUpdate> = plan.images.clone();
    most_urgent_first(&mut all);
    let rank = match all.first().map(|u| u.urgency()) {
        Some(u) if u.kev => 0,
        Some(u) if u.kind == ChangeKind::SecurityFix => 1,
        Some(_) => 2,
        None => 3,
    };
    (rank, plan.spec.spec.name.to_string())
}

enum Published {
    Done(Vec<Advisory>),
    Interrupted(Vec<Advisory>),
}

/// Rebuilds, signs and pushes each changed image of a spec, then records it. An image
/// is built into a staging directory and replaces its output only once it is pushed;
/// the caller writes the lock once every image is published. A stop request is
/// honoured before each build and before each push.
fn publish(
    session: &Session,
    plan: &SpecPlan,
    args: &UpdateArgs,
    printer: &Printer,
    stop: &Stop,
) -> anyhow::Result<Published> {
    std::fs::create_dir_all(&args.output_dir)
        .with_context(|| format!("cannot create `{}`", args.output_dir.display()))?;
    let key = args.sign.as_deref().map(read_private_key).transpose()?;
    let mut advisories = Vec::new();
    for image in &plan.images {
        if stop.requested() {
            return Ok(Published::Interrupted(advisories));
        }
        let output = args.output_dir.join(&image.image);
        let target = match &args.push {
            Some(prefix) => Some(Target::connect(prefix, &image.image, args, printer)?),
            None => None,
        };
        let old_digest = match &target {
            Some(target) => target.current_digest()?,
            None => layout_digest(&output),
        };
        let staging = tempfile::Builder::new()
            .prefix(".buckle-update-")
            .tempdir_in(&args.output_dir)
            .with_context(|| format!("cannot write in `{}`", args.output_dir.display()))?;
        let staged = staging.path().join(&image.image);
        let request = BuildRequest {
            output: Some(staged.clone()),
            sign: key.as_ref(),
            ..BuildRequest::layout(image.variant)
        };
        build_locked(session, &plan.spec, plan.new.clone(), &request, printer)?;
        if let Some(key) = &key {
            let codename = plan.spec.spec.distribution.codename();
            crate::ops::scan::attest_rebuilt(session, key, &staged, codename, printer)?;
        }
        let built_at = now();
        let new_digest = layout_digest(&staged).context("the rebuilt layout has no `latest` image")?;
        if stop.requested() {
            return Ok(Published::Interrupted(advisories));
        }
        let pushed = match &target {
            Some(target) => {
                let tag = crate::ops::push::version_tag(&plan.spec, &plan.new, image.variant)?;
                target.push(&staged, tag)?;
                printer.status("Pushed", format!("{} {new_digest}", target.reference));
                Some((target.reference.to_string(), now()))
            }
            None => None,
        };
        replace_dir(&staged, &output)?;
        if old_digest.as_deref() == Some(new_digest.as_str()) {
            // Published by an earlier pass that stopped before the lock was written.
            continue;
        }
        let advisory = Advisory::new(
            image,
            Publication {
                old_digest,
                new_digest,
                reference: pushed.as_ref().map(|(r, _)| r.clone()),
                built_at,
                pushed_at: pushed.map(|(_, at)| at),
            },
        );
        write_advisory(&args.output_dir, &advisory)?;
        printer.status("Advisory", advisory.summary());
        advisories.push(advisory);
    }
    Ok(Published::Done(advisories))
}

/// Where one image goes in the registry.
struct Target {
    registry: Registry,
    reference: Reference,
}

impl Target {
    fn connect(prefix: &str, image: &str, args: &UpdateArgs, printer: &Printer) -> anyhow::Result<Target> {
        let reference = crate::registry::reference(&format!(
            "{}/{image}:{FLOATING_TAG}",
            prefix.trim_end_matches('/')
        ))?;
        let options = crate::registry::options(&args.registry, None)?;
        let registry = crate::registry::connect(&reference.registry, &options, printer)?;
        Ok(Target { registry, reference })
    }

    /// The digest the floating tag names now, if any.
    fn current_digest(&self) -> anyhow::Result<Option<String>> {
        let head = self
            .registry
            .manifest_head(&self.reference.repository, FLOATING_TAG)
            .with_context(|| format!("cannot read `{}`", self.reference))?;
        Ok(head.and_then(|h| h.digest).map(|d| d.oci()))
    }

    /// Pushes the layout's image with what is attached to it: the version tag first
    /// (never moved), the floating tag last.
    fn push(&self, layout: &Path, version_tag: String) -> anyhow::Result<()> {
        let layout = Layout::open(layout)?;
        let options = PushOptions {
            tags: Vec::new(),
            immutable_tags: vec![version_tag],
            mount_from: None,
        };
        buckle_registry::push(
            &self.registry,
            &layout,
            Some(FLOATING_TAG),
            &self.reference,
            &options,
            &buckle_registry::NoReporter,
        )
        .with_context(|| format!("cannot push to `{}`", self.reference))?;
        Ok(())
    }
}

/// The digest of the image a layout tags `latest`, if there is such a layout.
fn layout_digest(path: &Path) -> Option<String> {
    let layout = Layout::open(path).ok()?;
    layout
        .index()
        .manifests
        .iter()
        .find(|d| d.ref_name() == Some(FLOATING_TAG))
        .map(|d| d.digest.oci())
}

/// Moves the staged layout to `output`, replacing what is there.
fn replace_dir(staged: &Path, output: &Path) -> anyhow::Result<()> {
    let parent = output.parent().unwrap_or(Path::new("."));
    let old = tempfile::Builder::new()
        .prefix(".buckle-replaced-")
        .tempdir_in(parent)
        .with_context(|| format!("cannot write in `{}`", parent.display()))?;
    if output.exists() {
        std::fs::rename(output, old.path().join("layout"))
            .with_context(|| format!("cannot move `{}` aside", output.display()))?;
    }
    std::fs::rename(staged, output).with_context(|| format!("cannot write `{}`", output.display()))?;
    Ok(())
}

/// `<out>/advisories/<image>-<time>.json` and `.md`.
fn write_advisory(output_dir: &Path, advisory: &Advisory) -> anyhow::Result<()> {
    let dir = output_dir.join("advisories");
    let stem = advisory.file_stem();
    files::write_output(&dir.join(format!("{stem}.md")), advisory.to_markdown().as_bytes())?;
    files::write_output(&dir.join(format!("{stem}.json")), advisory.to_json().as_bytes())?;
    Ok(())
}

/// Seconds since 1970.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

fn show(report: &TickReport, args: &UpdateArgs, printer: &Printer) -> anyhow::Result<()> {
    if printer.json {
        return printer.json(&report_json(report));
    }
    for update in &report.updates {
        let urgency = update.urgency();
        let fixes: Vec<String> = update
            .fixes()
            .iter()
            .map(|f| match f.kev {
                Some(_) => format!("{} (KEV)", f.id),
                None => f.id.to_string(),
            })
            .collect();
        printer.result(format!(
            "{:<20} {:<14} {}",
            update.image,
            urgency.kind.as_str(),
            if fixes.is_empty() {
                "-".to_owned()
            } else {
                fixes.join(", ")
            }
        ));
        for change in &update.changes {
            let version =
                |v: &Option<buckle_debian::Version>| v.as_ref().map_or("-".to_owned(), |v| v.to_string());
            printer.result(format!(
                "    {} ({}) {} -> {} [{}{}]",
                change.name,
                change.arch,
                version(&change.old),
                version(&change.new),
                change.kind.as_str(),
                change
                    .published
                    .as_ref()
                    .map_or(String::new(), |p| format!(", {}", p.suite)),
            ));
        }
    }
    for name in &report.unchanged {
        printer.result(format!("{name:<20} unchanged"));
    }
    let verb = if args.rebuild { "Rebuilt" } else { "Checked" };
    printer.status(
        verb,
        format!(
            "{} images: {} with updates, {} unchanged, {} published",
            report.images,
            report.updates.len(),
            report.unchanged.len(),
            report.published.len()
        ),
    );
    if !args.rebuild && !report.updates.is_empty() && !args.write_locks {
        printer.status(
            "Hint",
            "--write-locks writes the new locks for review; --rebuild publishes them",
        );
    }
    Ok(())
}

pub fn report_json(report: &TickReport) -> serde_json::Value {
    json!({
        "images": report.images,
        "updates": report.updates.iter().map(|u| json!({
            "image": u.image,
            "spec": u.spec,
            "variant": u.variant.as_str(),
            "urgency": u.urgency(),
            "fixes": u.fixes().iter().map(|f| f.id.to_string()).collect::<Vec<_>>(),
            "changes": u.changes,
        })).collect::<Vec<_>>(),
        "unchanged": report.unchanged,
        "published": report.published,
        "locks_written": report.locks_written,
        "errors": report.errors.iter().map(|e| format!("{e:#}")).collect::<Vec<_>>(),
        "interrupted": report.interrupted,
    })
}
