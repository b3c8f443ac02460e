//! `buckle scan IMAGE|SBOM|STATUS…`: known vulnerabilities of the installed Debian
//! packages, KEV first, with VEX applied, as a table, JSON, SARIF, OpenVEX or
//! CycloneDX VEX; `--fail-on` turns findings into an exit code for CI.

use crate::args::{FailOnArg, Global, ScanArgs, ScanFormatArg};
use crate::clock::now_seconds;
use crate::exit::GateFailed;
use crate::files;
use crate::keys::read_private_key;
use crate::ops::scan::{attest, feeds_json, is_suppressed, load_feeds, read_vex, scan_target};
use crate::printer::Printer;
use crate::session::Session;
use buckle_vuln::vex::{to_cyclonedx, to_openvex};
use buckle_vuln::{sarif, Decided, PackageFinding, Severity, VulnId};
use std::collections::BTreeMap;

pub fn run(args: &ScanArgs, global: &Global, printer: &Printer) -> anyhow::Result<()> {
    let session = Session::new(global)?;
    let loaded = load_feeds(&session, printer)?;
    let now = now_seconds();
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
        .map(|path| scan_target(path, args.release.as_deref(), &loaded, now, &statements, &remote))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let timestamp = buckle_oci::rfc3339_utc(now);
    let feeds = feeds_json(&loaded.feeds);
    let mut documents = Vec::new();
    for target in &scanned {
        let shown = target.shown(args.show_suppressed);
        let name = target.target.display().to_string();
        match args.format {
            ScanFormatArg::Table if !printer.json => {
                if scanned.len() > 1 {
                    printer.result(format!("{name}:"));
                }
                print_table(printer, &shown);
                print_package_table(printer, &target.packages);
            }
            ScanFormatArg::Table | ScanFormatArg::Json => documents.push(target.to_json(&feeds, &shown)),
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
    let packages: Vec<PackageFinding> = scanned.iter().flat_map(|s| s.packages.clone()).collect();
    let decided: Vec<Decided> = scanned.into_iter().flat_map(|s| s.decided).collect();
    gate(&args.fail_on, &decided, &packages, &loaded.database)
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

/// Fails with exit code 1 when a finding that VEX does not suppress matches `--fail-on`.
fn gate(
    fail_on: &[FailOnArg],
    decided: &[Decided],
    packages: &[PackageFinding],
    database: &buckle_vuln::Database,
) -> anyhow::Result<()> {
    let matches = |rule: FailOnArg, kev: bool, severity: Option<Severity>, fixable: bool| match rule {
        FailOnArg::Kev => kev,
        FailOnArg::Critical => severity >= Some(Severity::Critical),
        FailOnArg::High => severity >= Some(Severity::High),
        FailOnArg::Medium => severity >= Some(Severity::Medium),
        FailOnArg::Fixable => fixable,
        FailOnArg::Any => true,
    };
    let mut hits: BTreeMap<String, usize> = BTreeMap::new();
    let facts = decided
        .iter()
        .filter(|d| !is_suppressed(d))
        .map(|d| {
            (
                d.finding.kev.is_some(),
                d.finding.severity,
                d.finding.fixed.is_some(),
            )
        })
        .chain(packages.iter().map(|f| {
            let kev = f.id.parse::<VulnId>().is_ok_and(|id| database.kev(&id).is_some());
            (kev, f.severity, f.fixed.is_some())
        }));
    for (kev, severity, fixable) in facts {
        for rule in fail_on.iter().filter(|r| matches(**r, kev, severity, fixable)) {
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

/// An app image's package findings, after the Debian ones, in the same columns.
fn print_package_table(printer: &Printer, findings: &[PackageFinding]) {
    if findings.is_empty() {
        return;
    }
    printer.result(format!(
        "{:<20} {:<24} {:<28} {:<28} {:<12} {:>6} {:<9}",
        "ID", "APP PACKAGE", "INSTALLED", "FIXED", "RECORD", "", "SEVERITY"
    ));
    for f in findings {
        printer.result(format!(
            "{:<20} {:<24} {:<28} {:<28} {:<12} {:>6} {:<9}",
            f.id,
            format!("{} ({})", f.name, f.ecosystem),
            f.installed,
            f.fixed.as_deref().unwrap_or("no fix yet"),
            f.record.trim_start_matches("osv "),
            "",
            f.severity.map_or("-", Severity::name),
        ));
    }
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
