//! `buckle harden IMAGE`: an existing Debian-based image rebuilt hardened, proven by a
//! smoke test against the original, with a before/after report.

use crate::args::{Global, HardenArgs};
use crate::exit::UserError;
use crate::keys::read_private_key;
use crate::ops::harden::{harden, HardenRequest, Hardened};
use crate::ops::lock::package_name;
use crate::printer::{human_size, Printer};
use crate::registry::Remote;
use crate::session::Session;
use std::collections::BTreeMap;

pub fn run(args: &HardenArgs, global: &Global, printer: &Printer) -> anyhow::Result<()> {
    let test = args
        .test
        .as_deref()
        .map(|json| {
            serde_json::from_str::<Vec<String>>(json).map_err(|e| {
                UserError::with_hint(
                    format!("--test `{json}` is not a JSON array of strings: {e}"),
                    r#"write the command as in an exec-form CMD: --test '["/app/server","--version"]'"#,
                )
            })
        })
        .transpose()?;
    let user = args
        .user
        .parse()
        .map_err(|e: String| UserError::new(format!("--user: {e}")))?;
    let keep = args
        .keep_package
        .iter()
        .map(|p| package_name(p))
        .collect::<anyhow::Result<Vec<_>>>()?;
    // The password is asked for before any work is done.
    let key = args.sign.as_deref().map(read_private_key).transpose()?;
    let request = HardenRequest {
        image: args.image.clone(),
        output: args.output.clone(),
        keep,
        user,
        test,
        sign: key.as_ref(),
    };
    let session = Session::new(global)?;
    let remote = Remote::new(&args.registry, global, printer);
    let hardened = harden(&session, &request, &remote, printer)?;
    if printer.json {
        return printer.json(&hardened.to_json());
    }
    print_report(&hardened, printer);
    Ok(())
}

fn print_report(h: &Hardened, printer: &Printer) {
    printer.result(format!(
        "hardened -> {} (Debian {})",
        h.output.display(),
        h.distribution
    ));
    printer.result(format!(
        "{:<10} {:>9} {:>10} {:>6}",
        "", "packages", "size", "score"
    ));
    for (label, side) in [("before", &h.before), ("after", &h.after)] {
        printer.result(format!(
            "{label:<10} {:>9} {:>10} {:>6}",
            side.packages,
            human_size(side.size),
            side.score
        ));
    }
    printer.result(format!("kept {} app files; root packages:", h.app_files));
    for (package, why) in &h.roots {
        let why: Vec<&str> = why.iter().map(String::as_str).collect();
        printer.result(format!("  {package}: {}", why.join("; ")));
    }
    printer.result(format!("removed {} packages:", h.removed_packages.len()));
    let mut by_reason: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (package, why) in &h.removed_packages {
        by_reason.entry(why).or_default().push(package.to_string());
    }
    for (why, packages) in by_reason {
        printer.result(format!("  {why}: {}", packages.join(" ")));
    }
    for (why, paths) in &h.dropped_files {
        printer.result(format!(
            "left out {} files ({why}), e.g. {}",
            paths.len(),
            paths[0]
        ));
    }
    for path in &h.special_bits_cleared {
        printer.result(format!("cleared the setuid/setgid bit of {path}"));
    }
    for warning in &h.warnings {
        printer.error_line("warning:", warning);
    }
    printer.result(format!(
        "smoke test {:?}: same output and exit code ({}) in both",
        h.command,
        h.exit_code.map_or_else(|| "a signal".into(), |c| c.to_string())
    ));
}
