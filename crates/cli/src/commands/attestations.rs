//! `buckle attestations IMAGE`: what is attached to each image of a layout, by kind and
//! predicate type, and where (cosign tag or referrer). Nothing is verified here; that
//! is `buckle verify`.

use crate::args::{AttestationsArgs, Global};
use crate::exit::UserError;
use crate::ops::attachments::{self, predicate_type};
use crate::ops::sign::short_type;
use crate::printer::human_size;
use crate::printer::Printer;
use crate::registry::Remote;
use anyhow::Context;
use buckle_oci::layout::Layout;
use buckle_sign::attach;
use buckle_sign::dsse::Envelope;
use buckle_sign::policy::predicate_type_named;
use buckle_sign::sign::targets;
use serde_json::json;

pub fn run(args: &AttestationsArgs, global: &Global, printer: &Printer) -> anyhow::Result<()> {
    let remote = Remote::new(&args.registry, global, printer);
    let (path, selector) = crate::image_view::attached_layout(&args.image, &remote)?;
    if !path.is_dir() {
        anyhow::bail!(UserError::with_hint(
            format!(
                "`{}` is not an OCI layout directory: only layouts and registries carry attachments",
                path.display()
            ),
            "pass an OCI layout directory or a registry reference HOST[:PORT]/REPOSITORY[:TAG]"
        ));
    }
    let layout = Layout::open(&path)?;
    if let Some(name) = &args.show {
        return show(&layout, selector.ref_name.as_deref(), name, printer);
    }
    let images = serde_json::to_value(attachments::list(&layout, selector.ref_name.as_deref())?)?;
    let images = images.as_array().cloned().unwrap_or_default();
    if printer.json {
        return printer.json(&json!({ "images": images }));
    }
    for image in &images {
        printer.result(format!(
            "{} {}",
            image["image"].as_str().unwrap_or_default(),
            image["digest"].as_str().unwrap_or_default()
        ));
        let attached = image["attached"].as_array().cloned().unwrap_or_default();
        if attached.is_empty() {
            printer.result("  (nothing attached)");
        }
        for item in attached {
            let size = item["size"]
                .as_u64()
                .map(human_size)
                .unwrap_or_else(|| "unreadable".to_owned());
            printer.result(format!(
                "  {:<12} {:<34} {:>10}  {}",
                item["kind"].as_str().unwrap_or_default(),
                short_type(item["type"].as_str().unwrap_or_default()),
                size,
                item["where"].as_str().unwrap_or_default()
            ));
        }
    }
    Ok(())
}

/// Prints each attached statement of the named predicate type, one per line, as the
/// envelope carries it; says on stderr that nothing was verified.
fn show(layout: &Layout, tag: Option<&str>, name: &str, printer: &Printer) -> anyhow::Result<()> {
    let wanted = predicate_type_named(name)?;
    let mut shown = 0;
    for target in targets(layout, tag)? {
        let mut seen = std::collections::HashSet::new();
        for attached in attach::attestations(layout, &target.descriptor.digest) {
            if predicate_type(&attached) != wanted {
                continue;
            }
            let statement = attached
                .content
                .map_err(|e| anyhow::anyhow!(e))
                .and_then(|bytes| Ok(Envelope::from_json(&bytes)?.unverified_payload()?))
                .with_context(|| format!("cannot read the {wanted} attestation of {}", target.label()))?;
            // The same statement is attached under the cosign tag and as a referrer.
            if seen.insert(statement.clone()) {
                printer.result(String::from_utf8_lossy(&statement));
                shown += 1;
            }
        }
    }
    if shown == 0 {
        anyhow::bail!(UserError::with_hint(
            format!("no {wanted} attestation is attached"),
            "`buckle attestations IMAGE` lists what is attached"
        ));
    }
    printer.status(
        "Unverified",
        "statements shown as attached; `buckle verify IMAGE --key KEY` checks their signatures",
    );
    Ok(())
}
