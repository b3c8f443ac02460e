//! What the migration did and why, and what it left to a person.

use serde::Serialize;
use std::fmt;

/// The report of one migration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Each stage: where it started from and where it starts from now.
    pub stages: Vec<StageReport>,
    /// Every change to the Dockerfile, in line order, with its reason.
    pub changes: Vec<Change>,
    /// What the tool could not decide.
    pub needs_person: Vec<Finding>,
    /// The spec generated for the packages the final stage installed, if any.
    pub spec: Option<SpecReport>,
}

/// One stage's base image, before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StageReport {
    /// 0-based stage index.
    pub index: usize,
    /// `AS name`, if any.
    pub name: Option<String>,
    /// Whether it is the final stage (the one that ships).
    #[serde(rename = "final")]
    pub is_final: bool,
    /// The base as written (ARGs expanded).
    pub from: String,
    /// The new base; `None` when the stage keeps its base.
    pub to: Option<String>,
    /// Why.
    pub why: String,
}

/// One change to the Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// 1-based line of the original instruction (for an addition: the line it follows or precedes).
    pub line: usize,
    /// The original instruction's first line; empty for an addition.
    pub before: String,
    /// The new lines; empty for a removal.
    pub after: Vec<String>,
    /// Why.
    pub why: String,
}

/// Something a person has to decide or check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// 1-based line in the original Dockerfile.
    pub line: usize,
    /// What to look at, and what to do.
    pub what: String,
}

/// The generated spec's packages and where they came from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SpecReport {
    /// Its name (the image is `PREFIX/<name>`).
    pub name: String,
    /// The catalog spec it extends.
    pub base: String,
    /// Packages added to the catalog spec's, as Debian names.
    pub added: Vec<String>,
    /// Names mapped from another distribution: (theirs, Debian's).
    pub renamed: Vec<(String, String)>,
    /// Ubuntu names taken as they are (no rename known).
    pub assumed: Vec<String>,
    /// Packages left out: already in the catalog image, or not needed.
    pub left_out: Vec<String>,
    /// Names with no Debian equivalent known (also listed under needs_person).
    pub unmapped: Vec<String>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "stages:")?;
        for stage in &self.stages {
            let name = stage
                .name
                .as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default();
            let role = if stage.is_final { "final" } else { "build" };
            match &stage.to {
                Some(to) => writeln!(
                    f,
                    "  {} {role}{name}: {} -> {to}: {}",
                    stage.index, stage.from, stage.why
                )?,
                None => writeln!(
                    f,
                    "  {} {role}{name}: {} kept: {}",
                    stage.index, stage.from, stage.why
                )?,
            }
        }
        if let Some(spec) = &self.spec {
            writeln!(
                f,
                "generated spec `{}` (the catalog's `{}` plus the final stage's packages):",
                spec.name, spec.base
            )?;
            writeln!(f, "  added: {}", list(&spec.added))?;
            if !spec.renamed.is_empty() {
                let renamed: Vec<String> = spec.renamed.iter().map(|(a, b)| format!("{a} -> {b}")).collect();
                writeln!(f, "  renamed: {}", renamed.join(", "))?;
            }
            if !spec.assumed.is_empty() {
                writeln!(f, "  Ubuntu names taken as Debian's: {}", spec.assumed.join(", "))?;
            }
            if !spec.left_out.is_empty() {
                writeln!(f, "  left out: {}", spec.left_out.join(", "))?;
            }
        }
        writeln!(f, "changes ({}):", self.changes.len())?;
        for change in &self.changes {
            let before = if change.before.is_empty() {
                "(added)".to_owned()
            } else {
                change.before.clone()
            };
            let after = if change.after.is_empty() {
                "(removed)".to_owned()
            } else {
                change.after.join(" / ")
            };
            writeln!(
                f,
                "  line {}: {before} -> {after}\n    why: {}",
                change.line, change.why
            )?;
        }
        writeln!(f, "needs a person ({}):", self.needs_person.len())?;
        for finding in &self.needs_person {
            writeln!(f, "  line {}: {}", finding.line, finding.what)?;
        }
        Ok(())
    }
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}
