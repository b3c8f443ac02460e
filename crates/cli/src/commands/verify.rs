//! `buckle verify IMAGE --key KEY.pub [--policy FILE] [--require TYPE]`: every image
//! of a layout checked against the public key (content, signature, each attestation,
//! SBOMs against the image), and exit 1 naming each check that failed.

use crate::args::{Global, VerifyArgs};
use crate::exit::{GateFailed, UserError};
use crate::files;
use crate::keys::read_public_key;
use crate::printer::Printer;
use crate::registry::Remote;
use buckle_oci::layout::Layout;
use buckle_sign::policy::{predicate_type_named, Policy};
use buckle_sign::verify::{verify, Report};

pub fn run(args: &VerifyArgs, global: &Global, printer: &Printer) -> anyhow::Result<()> {
    let key = read_public_key(&args.key)?;
    let remote = Remote::new(&args.registry, global, printer);
    let (path, selector) = crate::image_view::attached_layout(&args.image, &remote)?;
    if !path.is_dir() {
        anyhow::bail!(UserError::with_hint(
            format!("`{}` is not an OCI layout directory", path.display()),
            "signatures travel with OCI layouts and registries (pass HOST[:PORT]/REPOSITORY[:TAG]); a docker archive carries none"
        ));
    }
    let policy = policy(args)?;
    let layout = Layout::open(&path)?;
    let started = std::time::Instant::now();
    let report = verify(&layout, &key, &policy, selector.ref_name.as_deref())?;
    tracing::debug!(elapsed_ms = started.elapsed().as_millis() as u64, "verified");
    if printer.json {
        let mut value = serde_json::to_value(&report)?;
        value["passed"] = report.passed().into();
        printer.json(&value)?;
    } else {
        print_report(&report, printer);
    }
    let failed = report.failures().len();
    if failed > 0 {
        anyhow::bail!(GateFailed {
            message: format!(
                "verification of `{}` failed: {failed} check{} failed",
                args.image.display(),
                if failed == 1 { "" } else { "s" }
            ),
        });
    }
    printer.status(
        "Verified",
        format!("{}: {} images", args.image.display(), report.images.len()),
    );
    Ok(())
}

/// The policy file (if any) with the `--require` types added.
fn policy(args: &VerifyArgs) -> anyhow::Result<Policy> {
    let mut policy = match &args.policy {
        Some(path) => Policy::parse(&files::read_text(path)?, &path.display().to_string())?,
        None => Policy::default(),
    };
    for name in &args.require {
        let predicate_type = predicate_type_named(name)?;
        if !policy.require.contains(&predicate_type) {
            policy.require.push(predicate_type);
        }
    }
    Ok(policy)
}

fn print_report(report: &Report, printer: &Printer) {
    for image in &report.images {
        printer.result(format!("{} {}", image.image, image.digest.oci()));
        for check in &image.checks {
            let mark = if check.passed {
                printer.paint("ok  ", "32")
            } else {
                printer.paint("FAIL", "1;31")
            };
            printer.result(format!("  {mark} {:<44} {}", check.name, check.detail));
        }
    }
}
