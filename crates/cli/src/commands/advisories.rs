//! `buckle advisories OUT`: the advisories `buckle update --rebuild` wrote, per image,
//! oldest first: what changed when, and why.

use crate::args::AdvisoriesArgs;
use crate::ops::advisories;
use crate::printer::Printer;
use buckle_patch::advisory::duration;

pub fn run(args: &AdvisoriesArgs, printer: &Printer) -> anyhow::Result<()> {
    let dir = advisories::advisories_dir(&args.dir)?;
    let advisories = advisories::read(
        &dir,
        args.image.as_deref(),
        args.since.as_deref().map(advisories::day_start).transpose()?,
    )?;
    if printer.json {
        return printer.json(&serde_json::to_value(&advisories)?);
    }
    for advisory in &advisories {
        let fixes: Vec<String> = advisory
            .fixes
            .iter()
            .map(|f| match f.kev {
                Some(_) => format!("{} (KEV)", f.id),
                None => f.id.to_string(),
            })
            .collect();
        printer.result(format!(
            "{:<20} {}  {} -> {}  {:>8}  {}",
            advisory.image,
            buckle_oci::rfc3339_utc(advisory.pushed_at.unwrap_or(advisory.built_at)),
            short(advisory.old_digest.as_deref()),
            short(Some(&advisory.new_digest)),
            advisory.latency_seconds.map_or("-".to_owned(), duration),
            if fixes.is_empty() {
                format!("{} packages updated", advisory.changes.len())
            } else {
                fixes.join(", ")
            }
        ));
    }
    printer.status(
        "Listed",
        format!("{} advisories in {}", advisories.len(), dir.display()),
    );
    Ok(())
}

/// `sha256:0123456789ab`.
fn short(digest: Option<&str>) -> String {
    match digest {
        Some(d) => d.chars().take("sha256:".len() + 12).collect(),
        None => "(none)".to_owned(),
    }
}
