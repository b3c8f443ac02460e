//! `buckle cache [prune]`: what the layer cache holds, and trimming it.

use crate::args::{CacheArgs, CacheCommand, CachePruneArgs, Global};
use crate::exit::UserError;
use crate::printer::human_size;
use crate::printer::Printer;
use crate::session::Session;
use anyhow::Context;
use buckle_digest::Sha256;
use buckle_image::cache::{KindUsage, LayerCache, PruneRule, Usage};
use serde_json::json;
use std::collections::BTreeSet;
use std::path::Path;
use std::time::SystemTime;

pub fn run(args: &CacheArgs, global: &Global, printer: &Printer) -> anyhow::Result<()> {
    let session = Session::new(global)?;
    let cache = session.layer_cache();
    match &args.command {
        None => show(&cache, &session, printer),
        Some(CacheCommand::Prune(prune_args)) => prune(&cache, prune_args, printer),
    }
}

fn show(cache: &LayerCache, session: &Session, printer: &Printer) -> anyhow::Result<()> {
    let usage = cache.usage()?;
    let downloads = dir_usage(&session.archive.cache().root().join("blobs").join("sha256"))?;
    if printer.json {
        return printer.json(&json!({
            "path": cache.root(),
            "layers": usage,
            "total": usage.total(),
            "downloads": downloads,
        }));
    }
    printer.result(format!("layer cache at {}", cache.root().display()));
    for (kind, what) in rows(&usage) {
        printer.result(format!(
            "  {kind:<16} {:>7} entries {:>11}",
            what.entries,
            human_size(what.bytes)
        ));
    }
    let total = usage.total();
    printer.result(format!(
        "  {:<16} {:>7} entries {:>11}",
        "total",
        total.entries,
        human_size(total.bytes)
    ));
    printer.result(format!(
        "downloads (.debs, indexes) {} entries, {}",
        downloads.entries,
        human_size(downloads.bytes)
    ));
    Ok(())
}

fn rows(usage: &Usage) -> [(&'static str, KindUsage); 4] {
    [
        ("layer blobs", usage.blobs),
        ("layer records", usage.layers),
        ("image records", usage.images),
        ("temporary", usage.temporary),
    ]
}

fn prune(cache: &LayerCache, args: &CachePruneArgs, printer: &Printer) -> anyhow::Result<()> {
    let older_than = args
        .older_than
        .as_deref()
        .map(|text| {
            text.parse::<buckle_patch::Interval>()
                .map(buckle_patch::Interval::duration)
                .map_err(|e| {
                    UserError::with_hint(
                        format!("--older-than: {e}"),
                        "write a duration like 30s, 15m, 6h or 7d",
                    )
                })
        })
        .transpose()?;
    let keep_debs = if args.dirs.is_empty() {
        None
    } else {
        Some(locked_debs(&args.dirs)?)
    };
    let rule = PruneRule {
        keep_debs,
        older_than,
    };
    let removed = cache.prune(&rule, SystemTime::now())?;
    if printer.json {
        return printer.json(&json!({"removed": removed, "total": removed.total()}));
    }
    let total = removed.total();
    printer.status(
        "Pruned",
        format!(
            "{} entries, {} from {}",
            total.entries,
            human_size(total.bytes),
            cache.root().display()
        ),
    );
    Ok(())
}

/// Every .deb that a lock (`*.lock`) in `dirs` pins, for any architecture and variant.
fn locked_debs(dirs: &[impl AsRef<Path>]) -> anyhow::Result<BTreeSet<Sha256>> {
    let mut debs = BTreeSet::new();
    let mut locks = 0;
    for dir in dirs {
        let dir = dir.as_ref();
        let entries = std::fs::read_dir(dir).map_err(|e| {
            UserError::with_hint(
                format!("cannot read `{}`: {e}", dir.display()),
                "pass directories that hold lock files, such as catalog",
            )
        })?;
        for entry in entries {
            let path = entry?.path();
            if path.extension().is_none_or(|e| e != "lock") {
                continue;
            }
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read `{}`", path.display()))?;
            let lock = buckle_spec::Lock::parse(&text, &path)?;
            locks += 1;
            for variants in lock.images.values() {
                debs.extend(variants.values().flatten().map(|p| p.sha256));
            }
        }
    }
    if locks == 0 {
        anyhow::bail!(UserError::with_hint(
            "no lock files (*.lock) in the given directories: pruning would remove every layer",
            "pass the directories of the specs you build, or use only --older-than"
        ));
    }
    Ok(debs)
}

/// Files and bytes directly in `dir` (none when it does not exist).
fn dir_usage(dir: &Path) -> anyhow::Result<KindUsage> {
    let mut usage = KindUsage::default();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(usage);
    };
    for entry in entries {
        let meta = entry?.metadata()?;
        if meta.is_file() {
            usage.entries += 1;
            usage.bytes += meta.len();
        }
    }
    Ok(usage)
}
