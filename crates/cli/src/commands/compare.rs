//! `buckle compare THEIRS OURS`: two images side by side, with the differences that matter.

use crate::args::{CompareArgs, Global};
use crate::ops::check::{checked, load_policy};
use crate::printer::human_size;
use crate::printer::Printer;
use crate::registry::Remote;
use buckle_check::{compare, Summary};

pub fn run(args: &CompareArgs, global: &Global, printer: &Printer) -> anyhow::Result<()> {
    let policy = load_policy(args.policy.as_deref())?;
    let remote = Remote::new(&args.registry, global, printer);
    let (theirs, theirs_report) = checked(&args.theirs, None, &policy, &remote)?;
    let (ours, ours_report) = checked(&args.ours, None, &policy, &remote)?;
    let comparison = compare(&theirs, &theirs_report, &ours, &ours_report);
    if printer.json {
        return printer.json(&serde_json::to_value(&comparison)?);
    }
    let (a, b) = (&comparison.a, &comparison.b);
    let row = |name: &str, a: String, b: String| printer.result(format!("{name:<18} {a:<36} {b}"));
    row(
        "",
        args.theirs.display().to_string(),
        args.ours.display().to_string(),
    );
    row("score", a.score.to_string(), b.score.to_string());
    row("user", user(a), user(b));
    row("packages", count(a.packages), count(b.packages));
    row(
        "stored size",
        human_size(a.stored_size),
        human_size(b.stored_size),
    );
    row(
        "content size",
        human_size(a.content_size),
        human_size(b.content_size),
    );
    row("files", a.files.to_string(), b.files.to_string());
    row("layers", a.layers.to_string(), b.layers.to_string());
    row("shells", list(&a.shells), list(&b.shells));
    row(
        "package managers",
        list(&a.package_managers),
        list(&b.package_managers),
    );
    row("setuid/setgid", list(&a.setuid), list(&b.setuid));
    let differing: Vec<_> = comparison.differing().collect();
    if !differing.is_empty() {
        printer.result("");
        printer.result("rules that differ:");
        for rule in differing {
            row(&rule.rule, rule.a.as_str().to_owned(), rule.b.as_str().to_owned());
        }
    }
    Ok(())
}

fn user(summary: &Summary) -> String {
    if summary.user.is_empty() {
        "(root)".to_owned()
    } else {
        summary.user.clone()
    }
}

fn count(n: Option<usize>) -> String {
    n.map_or_else(|| "unknown".to_owned(), |n| n.to_string())
}

fn list(items: &[String]) -> String {
    match items.len() {
        0 => "none".to_owned(),
        1..=3 => items.join(", "),
        n => format!("{}, ... ({n})", items[..3].join(", ")),
    }
}
