//! `buckle check IMAGE`: hardening rules over any image, a score, a CI gate.

use crate::args::{CheckArgs, CheckFormatArg, Global};
use crate::exit::GateFailed;

use crate::ops::check::{checked, load_policy};
use crate::printer::Printer;
use crate::registry::Remote;
use buckle_check::{ImageView, Report, Status};

pub fn run(args: &CheckArgs, global: &Global, printer: &Printer) -> anyhow::Result<()> {
    let policy = load_policy(args.policy.as_deref())?;
    let remote = Remote::new(&args.registry, global, printer);
    let (view, report) = checked(&args.image, None, &policy, &remote)?;
    let name = args.image.display().to_string();
    match (args.format, printer.json) {
        (CheckFormatArg::Sarif, _) => printer.result(buckle_check::sarif::to_sarif_json(&report, &name)?),
        (CheckFormatArg::Json, _) | (_, true) => printer.result(report.to_json()?),
        (CheckFormatArg::Table, false) => print_table(&report, &view, args.all, printer),
    }
    if !report.meets(args.fail_under) {
        let min = args.fail_under.or(report.min_score).unwrap_or_default();
        anyhow::bail!(GateFailed {
            message: format!("score {} is below {min}", report.score)
        });
    }
    Ok(())
}

fn print_table(report: &Report, view: &ImageView, all: bool, printer: &Printer) {
    let tags = if view.tags.is_empty() {
        String::new()
    } else {
        format!(" ({})", view.tags.join(", "))
    };
    printer.result(format!(
        "score {}/100{tags}  [{}]",
        report.score,
        report.explanation()
    ));
    for finding in &report.findings {
        let shown = all || !matches!(finding.status, Status::Pass | Status::NotApplicable);
        if !shown {
            continue;
        }
        printer.result(format!(
            "{:<6} {:<8} {:<24} {}",
            finding.status.as_str(),
            finding.severity.as_str(),
            finding.rule,
            finding.message
        ));
        if matches!(finding.status, Status::Fail | Status::Warn) {
            printer.result(format!("{:<40}fix: {}", "", finding.hint));
        }
        for exception in &finding.exceptions {
            printer.result(format!(
                "{:<40}excepted {}: {}",
                "", exception.path, exception.reason
            ));
        }
    }
    let passed = report.with_status(Status::Pass).count();
    printer.result(format!("{passed} of {} rules pass", report.findings.len()));
}
