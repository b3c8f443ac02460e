//! `buckle site DIR... -o site/ [--serve ADDRESS]`: the images of the folders as a static
//! web catalog, optionally served and regenerated when the folders change.

use crate::args::{Global, SiteArgs};
use crate::ops::catalog::{describe_catalog, find_advisories, fingerprint, Sources};
use crate::printer::Printer;
use crate::registry::Remote;
use crate::session::Session;
use anyhow::Context;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How often `--serve` looks for changed images.
const POLL: Duration = Duration::from_secs(2);

pub fn run(args: &SiteArgs, global: &Global, printer: &Printer) -> anyhow::Result<()> {
    let session = Session::new(global)?;
    let remote = Remote::new(&args.registry, global, printer);
    let output = args.output.clone().unwrap_or_else(|| PathBuf::from("site"));
    let spec_dirs = if args.specs.is_empty() {
        let mut dirs = vec![PathBuf::from(".")];
        dirs.extend(args.dirs.iter().filter_map(|d| d.parent().map(PathBuf::from)));
        dirs
    } else {
        args.specs.clone()
    };
    let generate = || -> anyhow::Result<()> {
        let started = Instant::now();
        let loaded = session
            .feed_store()
            .load()
            .context("cannot read the vulnerability feeds")?;
        let advisories = find_advisories(&args.dirs)?;
        let sources = Sources {
            feeds: (!loaded.feeds.is_empty()).then_some(&loaded),
            spec_dirs: &spec_dirs,
            advisories: &advisories,
            remote: &remote,
        };
        let catalog = describe_catalog(&args.dirs, args.compare.as_deref(), &sources)?;
        let generated = buckle_site::generate(&catalog, &output)?;
        printer.status(
            "Generated",
            format!(
                "{}: {} images, {} pages, {} files in {:.2} s",
                output.display(),
                catalog.images.len(),
                generated.pages,
                generated.files,
                started.elapsed().as_secs_f64()
            ),
        );
        Ok(())
    };
    generate()?;
    let Some(address) = &args.serve else {
        return Ok(());
    };
    let server = buckle_site::serve::Server::bind(address, &output)?;
    printer.status(
        "Serving",
        format!("http://{}/ (read-only; Ctrl-C stops)", server.address()),
    );
    let mut seen = fingerprint(&args.dirs);
    let mut last_look = Instant::now();
    server.run(POLL, || {
        if last_look.elapsed() < POLL {
            return;
        }
        last_look = Instant::now();
        let now = fingerprint(&args.dirs);
        if now != seen {
            seen = now;
            if let Err(err) = generate() {
                crate::diagnostics::report(printer, &err);
            }
        }
    });
    Ok(())
}
