//! `buckle pull REF LAYOUT`: an image (every platform) with its referrers and cosign
//! tags into a new OCI layout, every blob verified before it is written into place.

use crate::args::{Global, PullArgs};
use crate::printer::Printer;
use crate::registry::{self, with_progress};
use anyhow::Context;
use buckle_registry::{pull, PullOptions};
use serde_json::json;
use std::time::Instant;

pub fn run(args: &PullArgs, global: &Global, printer: &Printer) -> anyhow::Result<()> {
    let source = registry::reference(&args.reference)?;
    let options = registry::options(&args.registry, global.cache.as_deref())?;
    let client = registry::connect(&source.registry, &options, printer)?;
    let started = Instant::now();
    let pull_options = PullOptions {
        attachments: !args.no_attachments,
    };
    let report = with_progress(printer, "Pulling", |bar| {
        pull(&client, &source, &args.layout, pull_options, bar)
    })
    .with_context(|| format!("cannot pull `{source}` into `{}`", args.layout.display()))?;
    if printer.json {
        return printer.json(&json!(report));
    }
    let seconds = started.elapsed().as_secs_f64();
    printer.status(
        "Pulled",
        format!(
            "{source} {} -> {} in {seconds:.1} s",
            report.digest,
            args.layout.display()
        ),
    );
    printer.result(format!(
        "blobs:      {} verified ({}, {})",
        report.blobs,
        crate::printer::human_size(report.bytes),
        registry::rate(report.bytes, seconds)
    ));
    printer.result(format!("manifests:  {} verified", report.manifests));
    printer.result(format!(
        "attached:   {} referrers{}, {} cosign tags",
        report.referrers.len(),
        match report.referrers_source.as_deref() {
            Some("tagSchema") => " (from the referrers tag: the registry has no referrers API)",
            _ => "",
        },
        report.cosign_tags.len()
    ));
    Ok(())
}
