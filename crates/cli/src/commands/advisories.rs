//! `buckle advisories OUT`: the advisories `buckle update --rebuild` wrote, per image,
//! oldest first: what changed when, and why.

use crate::args::AdvisoriesArgs;
use crate::exit::UserError;
use crate::printer::Printer;
use anyhow::Context;
use buckle_patch::advisory::duration;
use buckle_patch::Advisory;
use std::path::{Path, PathBuf};

pub fn run(args: &AdvisoriesArgs, printer: &Printer) -> anyhow::Result<()> {
    let dir = advisories_dir(&args.dir)?;
    let mut advisories = read_all(&dir)?;
    if let Some(image) = &args.image {
        advisories.retain(|a| &a.image == image);
    }
    advisories.sort_by(|a, b| (&a.image, a.built_at).cmp(&(&b.image, b.built_at)));
    if printer.json {
        return printer.json(&serde_json::to_value(&advisories)?);
    }
    for advisory in &advisories {
        let fixes: Vec<String> = advisory
            .fixes
            .iter()
            .map(|f| match f.kev {
                Some(_) => format!("{} (KEV)", f.id),
                None => f.id.to_string(),
            })
            .collect();
        printer.result(format!(
            "{:<20} {}  {} -> {}  {:>8}  {}",
            advisory.image,
            buckle_oci::rfc3339_utc(advisory.pushed_at.unwrap_or(advisory.built_at)),
            short(advisory.old_digest.as_deref()),
            short(Some(&advisory.new_digest)),
            advisory.latency_seconds.map_or("-".to_owned(), duration),
            if fixes.is_empty() {
                format!("{} packages updated", advisory.changes.len())
            } else {
                fixes.join(", ")
            }
        ));
    }
    printer.status(
        "Listed",
        format!("{} advisories in {}", advisories.len(), dir.display()),
    );
    Ok(())
}

/// `OUT/advisories`, or the directory itself when it holds the records.
fn advisories_dir(dir: &Path) -> anyhow::Result<PathBuf> {
    let nested = dir.join("advisories");
    if nested.is_dir() {
        return Ok(nested);
    }
    if dir.is_dir() {
        return Ok(dir.to_owned());
    }
    anyhow::bail!(UserError::with_hint(
        format!("`{}` is not a directory", dir.display()),
        "name the output directory of `buckle update --rebuild` (default: out)"
    ))
}

fn read_all(dir: &Path) -> anyhow::Result<Vec<Advisory>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read `{}`", dir.display()))? {
        let path = entry
            .with_context(|| format!("cannot read `{}`", dir.display()))?
            .path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let bytes = std::fs::read(&path).with_context(|| format!("cannot read `{}`", path.display()))?;
        let advisory = Advisory::from_json(&path.display().to_string(), &bytes)
            .map_err(|e| UserError::with_hint(e.to_string(), e.hint().unwrap_or_default()))?;
        out.push(advisory);
    }
    Ok(out)
}

/// `sha256:0123456789ab`.
fn short(digest: Option<&str>) -> String {
    match digest {
        Some(d) => d.chars().take("sha256:".len() + 12).collect(),
        None => "(none)".to_owned(),
    }
}
