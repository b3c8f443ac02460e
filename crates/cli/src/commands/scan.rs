//! `buckle scan IMAGE|SBOM|STATUS…`: known vulnerabilities of the installed Debian
//! packages, KEV first, with VEX applied, as a table, JSON, SARIF, OpenVEX or
//! CycloneDX VEX; `--fail-on` turns findings into an exit code for CI.

mod attest;

use crate::args::{FailOnArg, Global, ScanArgs, ScanFormatArg};
use crate::commands::feeds::{describe, now_seconds, store};
use crate::commands::keygen::read_private_key;
use crate::exit::{GateFailed, UserError};
use crate::files;
use crate::image_view;
use crate::printer::Printer;
use crate::session::Session;
use anyhow::Context;
use buckle_debian::PackageName;
use buckle_feeds::{FeedInfo, Loaded};
use buckle_oci::Image;
use buckle_sbom::dpkg::{self, Detail};
use buckle_sbom::OsRelease;
use buckle_sign::key::PrivateKey;
use buckle_vuln::vex::{parse_openvex, to_cyclonedx, to_openvex};
use buckle_vuln::{apply, sarif, scan, Decided, Installed, Presence, Release, Severity, VexStatement};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// What was scanned: the packages, their release, and what it shows of their files.
struct Target {
    installed: Vec<Installed>,
    os_release: OsRelease,
    files: Files,
}

/// What a target shows of its packages' files, the evidence the automatic VEX rule needs.
enum Files {
    /// An image.
    Image {
        /// Packages with at least one file (beyond their docs) in the image.
        present: BTreeSet<PackageName>,
        /// Packages whose file list is in the image, with its path.
        lists: BTreeMap<PackageName, String>,
    },
    /// A status file or an SBOM: no files at all; why.
    NotListed(&'static str),
}

impl Files {
    /// What is known of `package`'s files: present, proven absent by its file list, or
    /// unknown (no list: unknown is not absent).
    fn presence(&self, package: &PackageName) -> Presence {
        match self {
            Files::Image { present, .. } if present.contains(package) => Presence::Present,
            Files::Image { lists, .. } => match lists.get(package) {
                Some(list) => Presence::Absent { list: list.clone() },
                None => Presence::Unknown {
                    reason: format!(
                        "the image has no dpkg file list for `{package}` (var/lib/dpkg/info/{package}.list or \
                         .md5sums, var/lib/dpkg/status.d/{package}.md5sums): whether its files are there is unknown"
                    ),
                },
            },
            Files::NotListed(reason) => Presence::Unknown {
                reason: (*reason).to_owned(),
            },
        }
    }
}

/// One target's findings with VEX applied.
struct Scanned<'a> {
    target: &'a Path,
    release: Release,
    decided: Vec<Decided>,
}

pub fn run(args: &ScanArgs, global: &Global, printer: &Printer) -> anyhow::Result<()> {
    let session = Session::new(global)?;
    let loaded = store(&session)
        .load()
        .context("cannot read the vulnerability feeds")?;
    if loaded.feeds.is_empty() {
        anyhow::bail!(UserError::with_hint(
            "no vulnerability data: the feed store is empty",
            "run `buckle feeds update` (the Debian archive) and `buckle feeds import FILES` (tracker, OSV, KEV, EPSS)"
        ));
    }
    let now = now_seconds();
    for info in &loaded.feeds {
        let age = now.saturating_sub(info.stored_at);
        printer.status(
            "Feed",
            format!("{}, updated {} ago", describe(info), human_age(age)),
        );
    }
    let statements = read_vex(&args.vex)?;
    // Checked, and the password asked for, before scanning, so a mistake wastes no work.
    if args.attest.is_some() {
        args.targets.iter().try_for_each(|t| attest::check_layout(t))?;
    }
    let attest_key = args.attest.as_deref().map(read_private_key).transpose()?;
    let remote = crate::registry::Remote::new(&args.registry, global, printer);
    let scanned = args
        .targets
        .iter()
        .map(|path| scan_target(path, args, &loaded, now, &statements, &remote))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let timestamp = buckle_oci::rfc3339_utc(now);
    let feeds = feeds_json(&loaded.feeds);
    let mut documents = Vec::new();
    for target in &scanned {
        let shown: Vec<Decided> = target
            .decided
            .iter()
            .filter(|d| args.show_suppressed || !is_suppressed(d))
            .cloned()
            .collect();
        let name = target.target.display().to_string();
        match args.format {
            ScanFormatArg::Table if !printer.json => {
                if scanned.len() > 1 {
                    printer.result(format!("{name}:"));
                }
                print_table(printer, &shown);
            }
            ScanFormatArg::Table | ScanFormatArg::Json => documents.push(serde_json::json!({
                "target": name,
                "release": target.release.as_str(),
                "feeds": feeds,
                "findings": shown,
            })),
            ScanFormatArg::Sarif => documents.push(sarif::to_sarif(&shown, &name)),
            ScanFormatArg::Openvex => documents.push(to_openvex(&target.decided, &timestamp)),
            ScanFormatArg::CyclonedxVex => documents.push(to_cyclonedx(&target.decided, &timestamp)),
        }
    }
    if let Some(document) = combine(args.format, documents) {
        let mut bytes = serde_json::to_vec_pretty(&document)?;
        bytes.push(b'\n');
        match &args.output {
            Some(path) if !files::is_stdout(path) => {
                files::write_output(path, &bytes)?;
                printer.status("Wrote", path.display());
            }
            _ => printer.result(String::from_utf8_lossy(&bytes).trim_end()),
        }
    }
    if let Some(key) = &attest_key {
        let attesting = attest::Attesting {
            key,
            database: &loaded.database,
            statements: &statements,
            release: args.release.as_deref(),
            feeds: &loaded.feeds,
            started: timestamp,
        };
        for target in &args.targets {
            attest::attest_layout(target, &attesting, printer)?;
        }
    }
    let decided: Vec<Decided> = scanned.into_iter().flat_map(|s| s.decided).collect();
    gate(&args.fail_on, &decided)
}

/// `buckle update --rebuild --sign`: attaches a signed scan record to each image of the
/// layout just built at `path` (release `codename`), when the feed store has the
/// release's archive data.
pub fn attest_rebuilt(
    session: &Session,
    key: &PrivateKey,
    path: &Path,
    codename: &str,
    printer: &Printer,
) -> anyhow::Result<()> {
    let loaded = store(session)
        .load()
        .context("cannot read the vulnerability feeds")?;
    let release: Release = codename.parse()?;
    // A signed scan without the release's archive data would vouch for an image whose
    // fixes were never looked at.
    if let Err(missing) = check_archive_data(&loaded, &release, now_seconds(), printer) {
        printer.status("Skipped", format!("the scan attestation: {missing:#}"));
        return Ok(());
    }
    let attesting = attest::Attesting {
        key,
        database: &loaded.database,
        statements: &[],
        release: Some(codename),
        feeds: &loaded.feeds,
        started: buckle_oci::rfc3339_utc(now_seconds()),
    };
    attest::attest_layout(path, &attesting, printer)
}

/// What the scan output says about each feed it used.
fn feeds_json(feeds: &[FeedInfo]) -> Vec<serde_json::Value> {
    feeds
        .iter()
        .map(|f| {
            serde_json::json!({
                "kind": f.kind.name(), "release": f.release, "source": f.source, "storedAt": buckle_oci::rfc3339_utc(f.stored_at),
                "dataDate": f.data_date, "records": f.records,
            })
        })
        .collect()
}

/// Matches one target's packages and applies VEX; reports what it found.
fn scan_target<'a>(
    path: &'a Path,
    args: &ScanArgs,
    loaded: &Loaded,
    now: u64,
    statements: &[VexStatement],
    remote: &crate::registry::Remote,
) -> anyhow::Result<Scanned<'a>> {
    let printer = remote.printer;
    let target = read_target(path, remote)?;
    let release = release(args.release.as_deref(), path, &target.os_release)?;
    check_archive_data(loaded, &release, now, printer)?;
    let decided = decide(&target, &release, &loaded.database, statements);
    let suppressed = decided.iter().filter(|d| is_suppressed(d)).count();
    let unknown: BTreeSet<&str> = decided
        .iter()
        .filter(|d| d.no_automatic_vex.is_some())
        .map(|d| d.finding.package.as_str())
        .collect();
    printer.status(
        "Scanned",
        format!(
            "{}: {} packages ({release}), {} findings, {} KEV, {} suppressed by VEX",
            path.display(),
            target.installed.len(),
            decided.len() - suppressed,
            decided
                .iter()
                .filter(|d| !is_suppressed(d) && d.finding.kev.is_some())
                .count(),
            suppressed,
        ),
    );
    if !unknown.is_empty() {
        let list: Vec<&str> = unknown.into_iter().collect();
        printer.status(
            "Kept",
            format!(
                "the findings of {} ({}): their files are unknown, so no automatic not_affected",
                list.join(", "),
                match &target.files {
                    Files::Image { .. } => "no dpkg file list in the image",
                    Files::NotListed(reason) => *reason,
                }
            ),
        );
    }
    Ok(Scanned {
        target: path,
        release,
        decided,
    })
}

/// How old the archive data may be before `scan` warns: a day.
const STALE_AFTER: u64 = 86_400;

/// Refuses a release the archive feed has no data for (its fixes would all be missed),
/// and warns when its data is older than a day.
fn check_archive_data(loaded: &Loaded, release: &Release, now: u64, printer: &Printer) -> anyhow::Result<()> {
    let update = format!("buckle feeds update --release {release}");
    let Some(info) = loaded.archive(release) else {
        let stored: Vec<String> = loaded
            .feeds
            .iter()
            .filter_map(|f| f.release.as_ref().map(ToString::to_string))
            .collect();
        let held = match stored.as_slice() {
            [] => String::new(),
            some => format!(" (it has {})", some.join(", ")),
        };
        anyhow::bail!(UserError::with_hint(
            format!(
                "no Debian archive data for {release} in the feed store{held}: the fixes of {release}'s updates would all be missed"
            ),
            format!("run `{update}`"),
        ));
    };
    let age = now.saturating_sub(info.stored_at);
    if age > STALE_AFTER {
        printer.error_line(
            "warning:",
            format!(
                "the Debian archive data for {release} is {} old: fixes published since are missing; run `{update}`",
                human_age(age)
            ),
        );
    }
    Ok(())
}

/// The findings for `target`'s packages in `release`, with VEX applied (automatic
/// `not_affected` only for packages whose file list shows none of their files in the
/// image).
fn decide(
    target: &Target,
    release: &Release,
    database: &buckle_vuln::Database,
    statements: &[VexStatement],
) -> Vec<Decided> {
    let findings = scan(database, release, &target.installed);
    apply(findings, statements, |package| target.files.presence(package))
}

/// One document per target; several targets give one SARIF log with a run per target,
/// or a JSON array of the documents.
fn combine(format: ScanFormatArg, mut documents: Vec<serde_json::Value>) -> Option<serde_json::Value> {
    if documents.len() <= 1 {
        return documents.pop();
    }
    if format == ScanFormatArg::Sarif {
        let runs: Vec<serde_json::Value> = documents
            .iter_mut()
            .flat_map(|log| log["runs"].take().as_array().cloned().unwrap_or_default())
            .collect();
        let mut log = documents.swap_remove(0);
        log["runs"] = serde_json::Value::Array(runs);
        return Some(log);
    }
    Some(serde_json::Value::Array(documents))
}

fn is_suppressed(decided: &Decided) -> bool {
    decided.vex.as_ref().is_some_and(|v| v.suppresses())
}

/// Fails with exit code 1 when a finding that VEX does not suppress matches `--fail-on`.
fn gate(fail_on: &[FailOnArg], decided: &[Decided]) -> anyhow::Result<()> {
    let matches = |rule: FailOnArg, d: &Decided| {
        let f = &d.finding;
        match rule {
            FailOnArg::Kev => f.kev.is_some(),
            FailOnArg::Critical => f.severity >= Some(Severity::Critical),
            FailOnArg::High => f.severity >= Some(Severity::High),
            FailOnArg::Medium => f.severity >= Some(Severity::Medium),
            FailOnArg::Fixable => f.fixed.is_some(),
            FailOnArg::Any => true,
        }
    };
    let mut hits: BTreeMap<String, usize> = BTreeMap::new();
    for d in decided.iter().filter(|d| !is_suppressed(d)) {
        for rule in fail_on.iter().filter(|r| matches(**r, d)) {
            *hits.entry(format!("{rule:?}").to_lowercase()).or_default() += 1;
        }
    }
    if hits.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = hits.iter().map(|(rule, n)| format!("{n} {rule}")).collect();
    Err(GateFailed {
        message: format!("--fail-on matched: {}", list.join(", ")),
    }
    .into())
}

fn print_table(printer: &Printer, shown: &[Decided]) {
    printer.result(format!(
        "{:<20} {:<24} {:<28} {:<28} {:<12} {:>6} {:<9}",
        "ID", "PACKAGE", "INSTALLED", "FIXED", "KEV", "EPSS", "SEVERITY"
    ));
    for d in shown {
        let f = &d.finding;
        let fixed = f
            .fixed
            .as_ref()
            .map_or_else(|| "no fix yet".to_owned(), ToString::to_string);
        let kev = f
            .kev
            .as_ref()
            .map_or_else(|| "-".to_owned(), |k| format!("due {}", k.due_date));
        let epss = f
            .epss
            .map_or_else(|| "-".to_owned(), |e| format!("{:.1}%", e.score * 100.0));
        let severity = f.severity.map_or("-", Severity::name);
        let vex = match (&d.vex, &d.no_automatic_vex) {
            (Some(v), _) => format!("  [VEX {:?} ({})]", v.status, v.origin),
            (None, Some(_)) => "  [files unknown: no automatic VEX]".to_owned(),
            (None, None) => String::new(),
        };
        printer.result(format!(
            "{:<20} {:<24} {:<28} {:<28} {:<12} {:>6} {:<9}{vex}",
            f.id.as_str(),
            f.package.as_str(),
            f.installed.as_str(),
            fixed,
            kev,
            epss,
            severity
        ));
    }
}

/// An image (layout or docker archive), an SBOM (SPDX or CycloneDX JSON) or a dpkg
/// status file.
fn read_target(path: &Path, remote: &crate::registry::Remote) -> anyhow::Result<Target> {
    if path.is_file() {
        let bytes = std::fs::read(path).with_context(|| format!("cannot read `{}`", path.display()))?;
        if bytes.starts_with(b"Package:") || bytes.windows(9).take(4096).any(|w| w == b"\nPackage:") {
            return status_file(path, bytes);
        }
        if bytes.trim_ascii_start().starts_with(b"{") {
            return sbom_file(path, &bytes);
        }
    }
    image_target(&image_view::open(path, remote)?)
}

/// The packages of an image and which of them have files in it (beyond their docs).
fn image_target(image: &Image) -> anyhow::Result<Target> {
    let (_, found) = image_view::packages(image, Detail::Owners)?;
    let mut present = BTreeSet::new();
    for file in found.owners.iter().flatten() {
        if !file.path.starts_with("/usr/share/doc/") {
            present.extend(file.packages.iter().cloned());
        }
    }
    Ok(Target {
        installed: found
            .packages
            .iter()
            .map(|p| installed(p, &found.os_release))
            .collect(),
        os_release: found.os_release,
        files: Files::Image {
            present,
            lists: found.file_lists.unwrap_or_default(),
        },
    })
}

fn installed(p: &buckle_sbom::PackageFacts, os: &OsRelease) -> Installed {
    Installed {
        name: p.name.clone(),
        version: p.version.clone(),
        arch: p.arch.clone(),
        source: p.source.clone(),
        source_version: p.source_version.clone(),
        purl: Some(p.purl(os)),
    }
}

fn status_file(path: &Path, bytes: Vec<u8>) -> anyhow::Result<Target> {
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    files.insert("/var/lib/dpkg/status".to_owned(), bytes);
    let found = dpkg::collect(&files, Detail::Packages)
        .with_context(|| format!("cannot read the dpkg status file `{}`", path.display()))?;
    Ok(Target {
        installed: found
            .packages
            .iter()
            .map(|p| installed(p, &found.os_release))
            .collect(),
        os_release: found.os_release,
        files: Files::NotListed("a dpkg status file does not say which files are in the image"),
    })
}

/// Debian packages from an SBOM (their `pkg:deb/…` package URLs).
fn sbom_file(path: &Path, bytes: &[u8]) -> anyhow::Result<Target> {
    let packages = buckle_sbom::read::deb_packages(bytes)
        .with_context(|| format!("cannot read `{}` as an SBOM", path.display()))?;
    let mut os_release = OsRelease::default();
    let mut installed = Vec::new();
    for package in packages {
        if let Some(distro) = &package.distro {
            os_release.version_id = distro.rsplit('-').next().map(str::to_owned);
        }
        installed.push(Installed {
            name: package.name,
            version: package.version,
            arch: package.arch,
            source: package.source,
            source_version: package.source_version,
            purl: Some(package.purl),
        });
    }
    Ok(Target {
        installed,
        os_release,
        files: Files::NotListed("an SBOM's package list does not say which files are in the image"),
    })
}

/// The release to match in: `--release`, else the image's os-release.
fn release(given: Option<&str>, target: &Path, os: &OsRelease) -> anyhow::Result<Release> {
    if let Some(release) = given {
        return Ok(release.parse()?);
    }
    let found = os
        .version_codename
        .as_deref()
        .and_then(|c| c.parse().ok())
        .or_else(|| os.version_id.as_deref().and_then(Release::of_version_id));
    found.ok_or_else(|| {
        UserError::with_hint(
            format!("cannot tell which Debian release `{}` is", target.display()),
            "pass --release bookworm (or trixie, …): fixes are matched per release",
        )
        .into()
    })
}

fn read_vex(paths: &[std::path::PathBuf]) -> anyhow::Result<Vec<VexStatement>> {
    let mut statements = Vec::new();
    for path in paths {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read the VEX file `{}`", path.display()))?;
        statements.extend(parse_openvex(&path.display().to_string(), &bytes)?);
    }
    Ok(statements)
}

/// `3 days`, `5 hours`, `12 minutes`.
fn human_age(seconds: u64) -> String {
    match seconds {
        s if s >= 2 * 86_400 => format!("{} days", s / 86_400),
        s if s >= 2 * 3_600 => format!("{} hours", s / 3_600),
        s if s >= 120 => format!("{} minutes", s / 60),
        s => format!("{s} seconds"),
    }
}
