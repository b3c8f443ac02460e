//! `buckle update --watch INTERVAL`: a pass every interval until SIGINT or SIGTERM,
//! with a status file and one log line per tick. Each pass opens a fresh session and
//! drops it, so nothing accumulates between ticks.

use super::{now, report_json, step_printer, tick, Stop, TickReport};
use crate::args::{Global, UpdateArgs};
use crate::exit::Code;
use crate::files;
use crate::printer::Printer;
use buckle_patch::{Interval, TickOutcome, Watch};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How often a sleeping loop looks at the stop flag.
const STOP_CHECK: Duration = Duration::from_millis(100);

pub fn run(
    specs: &[PathBuf],
    args: &UpdateArgs,
    global: &Global,
    printer: &Printer,
    interval: Interval,
    stop: &Stop,
) -> anyhow::Result<()> {
    let status_path = args
        .status
        .clone()
        .unwrap_or_else(|| args.output_dir.join("update-status.json"));
    let mut watch = Watch::new(interval, std::process::id(), now());
    printer.status(
        "Watching",
        format!(
            "{} specs every {interval}; status in {}",
            specs.len(),
            status_path.display()
        ),
    );
    let inner = step_printer(printer, true);
    while !stop.requested() {
        watch.start_tick(now());
        write_status(&status_path, &watch)?;
        let outcome = match tick(specs, args, global, &inner, stop) {
            Ok(report) => {
                let outcome = outcome_of(&report);
                log_published(&report, printer);
                if printer.json {
                    printer.result(json!({"tick": watch.status().ticks, "report": report_json(&report)}));
                }
                outcome
            }
            Err(e) => TickOutcome::Failed {
                transient: crate::exit::code(&e) == Code::Unreachable,
                error: format!("{e:#}"),
            },
        };
        let wait = watch.finish_tick(now(), outcome);
        write_status(&status_path, &watch)?;
        printer.status("Tick", watch.log_line());
        sleep_unless_stopped(wait, stop);
    }
    watch.stop();
    write_status(&status_path, &watch)?;
    printer.status("Stopped", format!("after {} ticks", watch.status().ticks));
    Ok(())
}

/// A pass whose specs partly failed counts as failed, so it is retried; the first
/// error decides whether sooner (the mirror or registry was unreachable).
fn outcome_of(report: &TickReport) -> TickOutcome {
    if report.interrupted {
        return TickOutcome::Interrupted;
    }
    match report.errors.first() {
        Some(e) => TickOutcome::Failed {
            transient: crate::exit::code(e) == Code::Unreachable,
            error: format!("{e:#}"),
        },
        None => TickOutcome::Done {
            images: report.images,
            updated: report.updates.iter().map(|u| u.image.clone()).collect(),
        },
    }
}

fn log_published(report: &TickReport, printer: &Printer) {
    for advisory in &report.published {
        printer.status("Published", advisory.summary());
    }
}

fn write_status(path: &Path, watch: &Watch) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(watch.status())?;
    text.push('\n');
    files::write_output(path, text.as_bytes())
}

fn sleep_unless_stopped(wait: Duration, stop: &Stop) {
    let until = Instant::now() + wait;
    while !stop.requested() {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        std::thread::sleep(left.min(STOP_CHECK));
    }
}
