//! The advisory records `buckle update --rebuild` writes: what changed in an image,
//! when, and which vulnerabilities that fixed.

use crate::exit::UserError;
use anyhow::Context;
use buckle_patch::Advisory;
use std::path::{Path, PathBuf};

/// `OUT/advisories`, or the directory itself when it holds the records.
pub fn advisories_dir(dir: &Path) -> anyhow::Result<PathBuf> {
    let nested = dir.join("advisories");
    if nested.is_dir() {
        return Ok(nested);
    }
    if dir.is_dir() {
        return Ok(dir.to_owned());
    }
    anyhow::bail!(UserError::with_hint(
        format!("`{}` is not a directory", dir.display()),
        "name the output directory of `buckle update --rebuild` (default: out)"
    ))
}

/// The records in `dir` (of `image` only, when given; built at or after `since`,
/// seconds since 1970, when given), by image then oldest first.
pub fn read(dir: &Path, image: Option<&str>, since: Option<u64>) -> anyhow::Result<Vec<Advisory>> {
    let mut advisories = read_all(dir)?;
    advisories
        .retain(|a| image.is_none_or(|image| a.image == image) && since.is_none_or(|t| a.built_at >= t));
    advisories.sort_by(|a, b| (&a.image, a.built_at).cmp(&(&b.image, b.built_at)));
    Ok(advisories)
}

fn read_all(dir: &Path) -> anyhow::Result<Vec<Advisory>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read `{}`", dir.display()))? {
        let path = entry
            .with_context(|| format!("cannot read `{}`", dir.display()))?
            .path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let bytes = std::fs::read(&path).with_context(|| format!("cannot read `{}`", path.display()))?;
        let advisory = Advisory::from_json(&path.display().to_string(), &bytes)
            .map_err(|e| UserError::with_hint(e.to_string(), e.hint().unwrap_or_default()))?;
        out.push(advisory);
    }
    Ok(out)
}

/// The first second (UTC, since 1970) of the day `YYYY-MM-DD`.
pub fn day_start(text: &str) -> anyhow::Result<u64> {
    let bad = || {
        UserError::with_hint(
            format!("`{text}` is not a day"),
            "give the day as YYYY-MM-DD, for instance 2025-09-01",
        )
    };
    if text.len() != "YYYY-MM-DD".len() {
        anyhow::bail!(bad());
    }
    let day: buckle_spec::EndOfLife = text.parse().map_err(|_| bad())?;
    // Counted from the epoch, the days left are the day's number since 1970-01-01.
    let days = u64::try_from(day.days_left(0)).map_err(|_| bad())?;
    Ok(days * 86_400)
}
