//! `buckle bundle create|verify|import|serve`: air-gap bundles.

use crate::args::{
    BundleCheckArgs, BundleCommand, BundleCreateArgs, BundleImportArgs, BundleServeArgs, BundleVerifyArgs,
    Global,
};
use crate::exit::UserError;
use crate::keys::{read_private_key, read_public_key};
use crate::ops::bundle::{self, CreateRequest, Opened};
use crate::printer::{human_size, Printer};
use crate::session::Session;
use buckle_bundle::manifest::MemberKind;
use buckle_bundle::serve::Repository;
use buckle_bundle::Member;
use serde_json::json;
use std::collections::BTreeMap;

pub fn run(command: &BundleCommand, global: &Global, printer: &Printer) -> anyhow::Result<()> {
    let session = Session::new(global)?;
    match command {
        BundleCommand::Create(args) => create(&session, args, printer),
        BundleCommand::Verify(args) => verify(&session, args, printer),
        BundleCommand::Import(args) => import(&session, args, printer),
        BundleCommand::Serve(args) => serve(&session, args, printer),
    }
}

fn create(session: &Session, args: &BundleCreateArgs, printer: &Printer) -> anyhow::Result<()> {
    let key = args.sign.as_deref().map(read_private_key).transpose()?;
    let started = std::time::Instant::now();
    let created = bundle::create(
        session,
        &CreateRequest {
            specs: &args.specs,
            output: &args.output,
            full: args.full,
            since: args.since.as_deref(),
            images: args.images.as_deref(),
            sign: key.as_ref(),
            jobs: args.jobs,
        },
        printer,
    )?;
    for (path, why) in &created.skipped {
        printer.status("Skipped", format!("{}: {why}", path.display()));
    }
    if !created.feeds {
        printer.status(
            "Note",
            "no vulnerability feeds in the cache: run `buckle feeds update` first so that scans work offline",
        );
    }
    let manifest = &created.written.manifest;
    let counts = counts(&manifest.members);
    if printer.json {
        return printer.json(&json!({
            "bundle": args.output,
            "digest": created.written.digest.oci(),
            "created": manifest.created.to_string(),
            "base": manifest.base.as_ref().map(|b| b.manifest.oci()),
            "signed": key.is_some(),
            "specs": created.specs,
            "members": manifest.members.len(),
            "carried": manifest.carried().count(),
            "bytes": created.written.file_size,
            "counts": counts,
            "seconds": started.elapsed().as_secs_f64(),
        }));
    }
    printer.status(
        "Bundled",
        format!(
            "{}: {} specs, {}; {} of {} members carried ({} uncompressed), file {} in {:.1} s",
            args.output.display(),
            created.specs.len(),
            describe_counts(&counts),
            manifest.carried().count(),
            manifest.members.len(),
            human_size(manifest.carried_bytes()),
            human_size(created.written.file_size),
            started.elapsed().as_secs_f64()
        ),
    );
    printer.result(format!(
        "{}  {}",
        created.written.digest.oci(),
        args.output.display()
    ));
    Ok(())
}

fn open(session: &Session, bundle: &std::path::Path, check: &BundleCheckArgs) -> anyhow::Result<Opened> {
    let key = check.key.as_deref().map(read_public_key).transpose()?;
    let keyring = bundle::keyring(&check.keyring)?;
    bundle::open(session, bundle, key.as_ref(), &keyring)
}

fn verify(session: &Session, args: &BundleVerifyArgs, printer: &Printer) -> anyhow::Result<()> {
    let opened = open(session, &args.bundle, &args.check)?;
    describe(session, &opened, args.check.key.is_some(), printer)
}

/// What a verified bundle holds, its age, and whether its Releases have expired.
fn describe(
    session: &Session,
    opened: &Opened,
    signature_checked: bool,
    printer: &Printer,
) -> anyhow::Result<()> {
    let head = &opened.unpacked.head;
    let manifest = &head.manifest;
    let now = session.now();
    let age_days = (now.unix() - manifest.created.unix()) as f64 / 86_400.0;
    let counts = counts(&manifest.members);
    let suites: Vec<_> = opened
        .debian
        .suites
        .iter()
        .map(|s| {
            let until = s.release.release.valid_until;
            json!({
                "mirror": s.mirror,
                "suite": s.release.suite.to_string(),
                "date": s.release.date().to_string(),
                "validUntil": until.map(|u| u.to_string()),
                "expired": until.is_some_and(|u| u < now),
                "inrelease": s.release.inrelease_sha256.oci(),
                "signer": s.release.signer,
            })
        })
        .collect();
    let signature = match (&head.signature, signature_checked) {
        (_, true) => "verified",
        (Some(_), false) => "present, not checked (pass --key)",
        (None, false) => "none",
    };
    if printer.json {
        return printer.json(&json!({
            "digest": head.digest.oci(),
            "created": manifest.created.to_string(),
            "ageDays": age_days,
            "base": manifest.base.as_ref().map(|b| b.manifest.oci()),
            "signature": signature,
            "members": manifest.members.len(),
            "carried": manifest.carried().count(),
            "counts": counts,
            "suites": suites,
            "verified": true,
        }));
    }
    printer.result(format!("bundle   {}", head.digest.oci()));
    printer.result(format!("created  {} ({age_days:.1} days ago)", manifest.created));
    if let Some(base) = &manifest.base {
        printer.result(format!(
            "delta on {} (made {})",
            base.manifest.oci(),
            base.created
        ));
    }
    printer.result(format!("signature {signature}"));
    printer.result(format!(
        "holds    {} ({} members, {} carried in this file)",
        describe_counts(&counts),
        manifest.members.len(),
        manifest.carried().count()
    ));
    for suite in &opened.debian.suites {
        let until = suite.release.release.valid_until;
        let state = match until {
            Some(until) if until < now => format!(
                "valid until {until}: EXPIRED now; usable only with --offline, and builds are marked stale"
            ),
            Some(until) => format!("valid until {until}"),
            None => "no Valid-Until".to_owned(),
        };
        printer.result(format!(
            "suite    {}/{}: dated {}, {state}",
            suite.mirror,
            suite.release.suite,
            suite.release.date()
        ));
    }
    printer.status("Verified", "every member, InRelease signature, index and .deb");
    Ok(())
}

fn import(session: &Session, args: &BundleImportArgs, printer: &Printer) -> anyhow::Result<()> {
    let opened = open(session, &args.bundle, &args.check)?;
    if opened.unpacked.head.signature.is_some() && args.check.key.is_none() {
        printer.status(
            "Note",
            "the bundle is signed; pass --key to require that signature",
        );
    }
    let imported = bundle::import(session, &opened, args.images.as_deref())?;
    let expired: Vec<_> = imported
        .record
        .suites
        .iter()
        .filter(|s| s.expired_at(session.now()))
        .collect();
    if printer.json {
        return printer.json(&json!({
            "digest": imported.record.digest.oci(),
            "created": imported.record.created.to_string(),
            "stored": imported.stored,
            "feeds": imported.feeds,
            "images": imported.images,
            "expired": expired.iter().map(|s| &s.suite).collect::<Vec<_>>(),
        }));
    }
    printer.status(
        "Imported",
        format!(
            "{} ({}): {} files into the cache, {} feed files, {} image files",
            args.bundle.display(),
            imported.record.digest.short(12),
            imported.stored,
            imported.feeds,
            imported.images
        ),
    );
    for suite in expired {
        printer.status(
            "Stale",
            format!(
                "`{}` is past its Valid-Until: use --offline, and builds will be marked stale",
                suite.suite
            ),
        );
    }
    Ok(())
}

fn serve(session: &Session, args: &BundleServeArgs, printer: &Printer) -> anyhow::Result<()> {
    let opened = open(session, &args.bundle, &args.check)?;
    let content = |member: &Member| opened.content(session, member);
    let repository = Repository::new(&opened.unpacked.head.manifest, &content)?;
    let server = tiny_http::Server::http(&args.addr).map_err(|e| {
        UserError::with_hint(
            format!("cannot listen on `{}`: {e}", args.addr),
            "pick another --addr HOST:PORT",
        )
    })?;
    let address = server
        .server_addr()
        .to_ip()
        .map(|a| a.to_string())
        .unwrap_or_else(|| args.addr.clone());
    printer.status(
        "Serving",
        format!("http://{address}/ (Ctrl-C stops); apt sources:"),
    );
    for (mirror, suite, components) in sources(&opened) {
        printer.result(format!(
            "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://{address}/{mirror} {suite} {}",
            components.join(" ")
        ));
    }
    repository.serve(server, 4)?;
    Ok(())
}

/// Each suite with the components the bundle has indexes for.
fn sources(opened: &Opened) -> Vec<(String, String, Vec<String>)> {
    let mut components: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for member in &opened.unpacked.head.manifest.members {
        if let Ok(MemberKind::Index { mirror, suite, file }) = member.kind() {
            let component = file.split('/').next().unwrap_or_default().to_owned();
            let entry = components
                .entry((mirror.to_owned(), suite.to_owned()))
                .or_default();
            if !entry.contains(&component) {
                entry.push(component);
            }
        }
    }
    components.into_iter().map(|((m, s), c)| (m, s, c)).collect()
}

/// Members by kind.
fn counts(members: &[Member]) -> BTreeMap<&'static str, usize> {
    let mut counts = BTreeMap::new();
    for member in members {
        let kind = match member.kind() {
            Ok(MemberKind::InRelease { .. }) => "suites",
            Ok(MemberKind::Index { .. }) => "indexes",
            Ok(MemberKind::Deb { .. }) => "debs",
            Ok(MemberKind::Upstream(_)) => "upstream",
            Ok(MemberKind::Feed(_)) => "feed files",
            Ok(MemberKind::Image(_)) => "image files",
            Err(_) => continue,
        };
        *counts.entry(kind).or_insert(0) += 1;
    }
    counts
}

fn describe_counts(counts: &BTreeMap<&'static str, usize>) -> String {
    counts
        .iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect::<Vec<_>>()
        .join(", ")
}
