//! `buckle mirror SRC DST`: copy an image with its referrers and cosign tags between
//! repositories or registries (blobs mounted when both are on one registry).

use crate::args::{Global, MirrorArgs};
use crate::printer::Printer;
use crate::registry::{self, with_progress};
use anyhow::Context;
use serde_json::json;
use std::time::Instant;

pub fn run(args: &MirrorArgs, global: &Global, printer: &Printer) -> anyhow::Result<()> {
    let source = registry::reference(&args.source)?;
    let target = registry::reference(&args.target)?;
    let options = registry::options(&args.registry, global.cache.as_deref())?;
    let from = registry::connect(&source.registry, &options, printer)?;
    let to = if target.registry == source.registry {
        None
    } else {
        Some(registry::connect(&target.registry, &options, printer)?)
    };
    let work = registry::state_dir(global.cache.as_deref())?.join("tmp");
    let started = Instant::now();
    let report = with_progress(printer, "Mirroring", |bar| {
        buckle_registry::mirror(&from, &source, to.as_ref().unwrap_or(&from), &target, &work, bar)
    })
    .with_context(|| format!("cannot mirror `{source}` to `{target}`"))?;
    if printer.json {
        return printer.json(&json!(report));
    }
    let push = &report.push;
    printer.status(
        "Mirrored",
        format!(
            "{source} -> {} {} in {:.1} s",
            push.repository,
            push.digest,
            started.elapsed().as_secs_f64()
        ),
    );
    printer.result(format!(
        "blobs:      {} uploaded, {} mounted, {} skipped",
        push.blobs_uploaded, push.blobs_mounted, push.blobs_skipped
    ));
    printer.result(format!(
        "attached:   {} referrers, {} cosign tags; tags set: {}",
        push.referrers.len(),
        push.cosign_tags.len(),
        if push.tags_set.is_empty() {
            "-".to_owned()
        } else {
            push.tags_set.join(", ")
        }
    ));
    Ok(())
}
