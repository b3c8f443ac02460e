//! `buckle lock SPEC...`: resolve each spec against the archive into `SPEC.lock`.

use crate::args::{Global, LockArgs};
use crate::files::{self, SpecFile};
use crate::ops::lock::{resolve_specs, LockJob, Resolved};
use crate::printer::Printer;
use crate::session::Session;
use buckle_spec::Lock;
use serde_json::json;
use std::collections::BTreeMap;

pub fn run(args: &LockArgs, global: &Global, printer: &Printer) -> anyhow::Result<()> {
    let session = Session::new(global)?;
    let specs: Vec<SpecFile> = crate::ops::specs::image_specs(&args.specs)?
        .iter()
        .map(|path| SpecFile::load(path))
        .collect::<anyhow::Result<_>>()?;
    let olds: Vec<Option<Lock>> = specs.iter().map(|spec| spec.read_lock().ok().flatten()).collect();
    let jobs: Vec<LockJob<'_>> = specs
        .iter()
        .zip(&olds)
        .map(|(spec, old)| LockJob {
            spec,
            old: old.as_ref(),
        })
        .collect();
    let mut reports = Vec::new();
    for ((spec, old), resolved) in specs
        .iter()
        .zip(&olds)
        .zip(resolve_specs(&session, &jobs, args.update)?)
    {
        let changed = old.as_ref() != Some(&resolved.lock);
        if changed {
            files::write_output(&spec.lock_path(), resolved.lock.to_toml().as_bytes())?;
        }
        reports.push(summary(spec, &resolved, changed, printer));
    }
    if printer.json {
        printer.json(&json!(reports))?;
    }
    Ok(())
}

fn summary(spec: &SpecFile, resolved: &Resolved, changed: bool, printer: &Printer) -> serde_json::Value {
    let counts: BTreeMap<String, usize> = resolved
        .lock
        .images
        .iter()
        .flat_map(|(arch, variants)| {
            variants
                .iter()
                .map(move |(v, p)| (format!("{arch}/{v}"), p.len()))
        })
        .collect();
    let text = counts
        .iter()
        .map(|(image, n)| format!("{image} {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let verb = if changed { "Locked" } else { "Unchanged" };
    printer.status(
        verb,
        format!(
            "{} -> {} (packages: {text})",
            spec.path.display(),
            spec.lock_path().display()
        ),
    );
    json!({"spec": spec.path, "lock": spec.lock_path(), "changed": changed, "packages": counts})
}
