//! `buckle feeds update` and `buckle feeds import FILES…`: the vulnerability data that
//! `buckle scan` matches against, in the cache directory with the source and date of
//! each feed.

use crate::args::{FeedsArgs, FeedsCommand, FeedsImportArgs, FeedsUpdateArgs, Global};
use crate::clock::now_seconds;
use crate::printer::Printer;
use crate::progress::Downloads;
use crate::session::Session;
use anyhow::Context;
use buckle_archive::{Keyring, ReleaseDate};
use buckle_feeds::archive::{update, ReleaseSuites, UpdateOptions};
use buckle_feeds::remote::{self, Outcome};

use buckle_spec::{Mirror, Source};
use buckle_vuln::Release;
use std::time::{Instant, SystemTime};

pub fn run(args: &FeedsArgs, global: &Global, printer: &Printer) -> anyhow::Result<()> {
    match &args.command {
        FeedsCommand::Update(update_args) => run_update(update_args, global, printer),
        FeedsCommand::Import(import_args) => run_import(import_args, global, printer),
    }
}

fn run_update(args: &FeedsUpdateArgs, global: &Global, printer: &Printer) -> anyhow::Result<()> {
    let session = Session::new(global)?;
    let store = session.feed_store();
    let debian = |mirror: Mirror| Source {
        mirror,
        suites: Vec::new(),
        components: Vec::new(),
        keyring: buckle_spec::Keyring::Debian,
    };
    let archive_mirror = session.mirror_url(&debian(Mirror::Debian))?;
    let security_mirror = session.mirror_url(&debian(Mirror::DebianSecurity))?;
    let releases = args
        .release
        .iter()
        .map(|r| {
            let release: Release = r.parse()?;
            Ok(ReleaseSuites::debian(
                &release,
                &archive_mirror,
                &security_mirror,
            )?)
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let arch = match &args.arch {
        Some(arch) => arch.parse()?,
        None => crate::image_view::host_arch().parse()?,
    };
    let keyring = match &args.keyring {
        Some(path) => {
            let bytes = std::fs::read(path)
                .with_context(|| format!("cannot read the keyring `{}`", path.display()))?;
            Keyring::from_bytes(&path.display().to_string(), &bytes)?
        }
        None => Keyring::debian(),
    };
    let started = Instant::now();
    printer.status(
        "Reading",
        format!(
            "changelogs of the newest {} packages from {archive_mirror}",
            args.release.join(", ")
        ),
    );
    let downloads = Downloads::new(printer);
    let options = UpdateOptions {
        releases: &releases,
        arch,
        keyring: &keyring,
        now: ReleaseDate::from_system_time(SystemTime::now()),
        stored_at: now_seconds(),
    };
    let summary =
        update(&session.archive, &store, &options, &downloads).context("cannot update the archive feed")?;
    downloads.finish();
    printer.status(
        "Updated",
        format!(
            "archive feed: {} source packages ({} .debs downloaded, {:.1} MB; {} changelogs from the cache; {} left out) in {:.1}s",
            summary.sources,
            summary.downloaded,
            summary.bytes as f64 / 1e6,
            summary.cached,
            summary.skipped,
            started.elapsed().as_secs_f64()
        ),
    );
    if args.archive_only {
        return Ok(());
    }
    let scratch = tempfile::tempdir_in(store.dir()).context("cannot create a download directory")?;
    for (kind, outcome) in remote::update(session.http(), &store, scratch.path(), now_seconds()) {
        match outcome {
            Outcome::Stored(info) => printer.status("Updated", info),
            Outcome::Failed(error) => {
                let url = remote::URLS
                    .iter()
                    .find(|(k, _, _)| *k == kind)
                    .map_or("", |(_, url, _)| url);
                let error = anyhow::Error::new(error);
                printer.error_line("warning:", format!("{}: {error:#}", kind.title()));
                printer.error_line(
                    "hint:",
                    format!("download {url} where it can be reached, then `buckle feeds import FILE`"),
                );
            }
        }
    }
    Ok(())
}

fn run_import(args: &FeedsImportArgs, global: &Global, printer: &Printer) -> anyhow::Result<()> {
    let session = Session::new(global)?;
    let store = session.feed_store();
    let stored =
        buckle_feeds::import(&store, &args.files, now_seconds()).context("cannot import the feeds")?;
    for info in &stored {
        printer.status("Imported", info);
    }
    Ok(())
}
