//! image update + what was published -> advisory record (JSON and Markdown): what
//! changed in an image, which vulnerabilities that fixed, and how long it took.

use crate::classify::{ChangeKind, Fix, PackageChange, SuiteDate};
use crate::error::{Error, Result};
use crate::plan::ImageUpdate;
use buckle_spec::Variant;
use buckle_vuln::{Evidence, State};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// What was published for an image update.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Publication {
    /// The digest of the image the update replaces (`sha256:<hex>`), when known.
    pub old_digest: Option<String>,
    /// The digest of the rebuilt image.
    pub new_digest: String,
    /// Where it was pushed (`host/repository:tag`), when it was.
    pub reference: Option<String>,
    /// When the rebuild finished (seconds since 1970, UTC).
    pub built_at: u64,
    /// When the push finished, when there was one.
    pub pushed_at: Option<u64>,
}

/// The record of one rebuilt image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Advisory {
    /// The image's name (`python`, `python-dev`).
    pub image: String,
    /// The spec it is built from.
    pub spec: String,
    /// Which variant.
    #[serde(with = "crate::variant")]
    pub variant: Variant,
    /// Where it was pushed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// The digest of the image it replaces, when known.
    pub old_digest: Option<String>,
    /// The digest of the rebuilt image.
    pub new_digest: String,
    /// Whether a fixed vulnerability is on CISA's KEV list.
    pub kev: bool,
    /// The vulnerabilities fixed, each once, KEV first.
    pub fixes: Vec<Fix>,
    /// Every package change.
    pub changes: Vec<PackageChange>,
    /// When the suite that carried the fix made the Release buckle found it in.
    pub fix_published: Option<SuiteDate>,
    /// When the rebuild finished (seconds since 1970, UTC).
    pub built_at: u64,
    /// When the push finished (seconds since 1970, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pushed_at: Option<u64>,
    /// Seconds from `fix_published` to the push (or, without one, to the rebuild): the
    /// patch latency.
    pub latency_seconds: Option<u64>,
}

impl Advisory {
    /// The advisory of `update`, published as `publication` says.
    pub fn new(update: &ImageUpdate, publication: Publication) -> Advisory {
        let fix_published = update.fix_published().cloned();
        let done = publication.pushed_at.unwrap_or(publication.built_at);
        let latency_seconds = fix_published
            .as_ref()
            .and_then(|p| u64::try_from(p.unix).ok())
            .map(|at| done.saturating_sub(at));
        Advisory {
            image: update.image.clone(),
            spec: update.spec.clone(),
            variant: update.variant,
            reference: publication.reference,
            old_digest: publication.old_digest,
            new_digest: publication.new_digest,
            kev: update.urgency().kev,
            fixes: update.fixes().into_iter().cloned().collect(),
            changes: update.changes.clone(),
            fix_published,
            built_at: publication.built_at,
            pushed_at: publication.pushed_at,
            latency_seconds,
        }
    }

    /// Reads a record written by [`Advisory::to_json`]; `origin` names it in errors.
    pub fn from_json(origin: &str, bytes: &[u8]) -> Result<Advisory> {
        serde_json::from_slice(bytes).map_err(|source| Error::BadAdvisory {
            origin: origin.to_owned(),
            source,
        })
    }

    /// The record as pretty JSON, with a final newline.
    pub fn to_json(&self) -> String {
        let mut text =
            serde_json::to_string_pretty(self).expect("advisories serialize: no maps with non-string keys");
        text.push('\n');
        text
    }

    /// A file name for the record without extension: the image and the build time,
    /// so records sort by time within an image (`python-20250830T101500Z`).
    pub fn file_stem(&self) -> String {
        let time: String = buckle_oci::rfc3339_utc(self.built_at)
            .chars()
            .filter(|c| !matches!(c, '-' | ':'))
            .collect();
        format!("{}-{time}", self.image)
    }

    /// A one-line summary: `hello: 1 fix (KEV: CVE-2025-1111), 2 packages, 41s`.
    pub fn summary(&self) -> String {
        let kev: Vec<&str> = self
            .fixes
            .iter()
            .filter(|f| f.kev.is_some())
            .map(|f| f.id.as_str())
            .collect();
        let mut text = format!(
            "{}: {} fixed",
            self.image,
            plural(self.fixes.len(), "vulnerability", "vulnerabilities")
        );
        if !kev.is_empty() {
            let _ = write!(text, " (KEV: {})", kev.join(", "));
        }
        let _ = write!(text, ", {}", plural(self.changes.len(), "package", "packages"));
        if let Some(latency) = self.latency_seconds {
            let _ = write!(text, ", latency {}", duration(latency));
        }
        text
    }

    /// The record as a Markdown document for people.
    pub fn to_markdown(&self) -> String {
        let mut md = String::new();
        let kev = if self.kev { " (known exploited)" } else { "" };
        let _ = writeln!(md, "# {}: {}{kev}\n", self.image, headline(self));
        let _ = writeln!(md, "| | |\n|---|---|");
        let row = |md: &mut String, key: &str, value: String| {
            let _ = writeln!(md, "| {key} | {} |", cell(&value));
        };
        row(
            &mut md,
            "Image",
            format!("`{}` ({}) from `{}`", self.image, self.variant, self.spec),
        );
        if let Some(reference) = &self.reference {
            row(&mut md, "Pushed to", format!("`{reference}`"));
        }
        row(
            &mut md,
            "Old digest",
            self.old_digest
                .as_deref()
                .map_or("unknown".into(), |d| format!("`{d}`")),
        );
        row(&mut md, "New digest", format!("`{}`", self.new_digest));
        if let Some(published) = &self.fix_published {
            row(
                &mut md,
                "Fix published",
                format!("{} (`{}` Release date)", published.date, published.suite),
            );
        }
        row(&mut md, "Rebuilt", buckle_oci::rfc3339_utc(self.built_at));
        if let Some(pushed) = self.pushed_at {
            row(&mut md, "Pushed", buckle_oci::rfc3339_utc(pushed));
        }
        if let Some(latency) = self.latency_seconds {
            let until = if self.pushed_at.is_some() {
                "push"
            } else {
                "rebuild"
            };
            row(
                &mut md,
                "Patch latency",
                format!("{} (fix published to {until})", duration(latency)),
            );
        }
        if !self.fixes.is_empty() {
            md.push_str("\n## Vulnerabilities fixed\n\n");
            md.push_str("| ID | KEV | Severity | EPSS | Fixed in |\n|---|---|---|---|---|\n");
            for fix in &self.fixes {
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {} | {} |",
                    fix.id,
                    fix.kev.as_ref().map_or("no".into(), |k| format!(
                        "yes, added {}, due {}",
                        k.date_added, k.due_date
                    )),
                    fix.severity.map_or("unknown", |s| s.name()),
                    fix.epss.map_or("-".into(), |e| format!("{:.3}", e.score)),
                    fix.fixed
                );
            }
            md.push_str("\n### Evidence\n");
            for fix in &self.fixes {
                let _ = writeln!(md, "\n{}:", fix.id);
                for evidence in &fix.evidence {
                    let _ = writeln!(md, "- {}", describe(evidence));
                }
            }
        }
        md.push_str("\n## Packages changed\n\n");
        md.push_str("| Package | Arch | Old | New | Why | Suite |\n|---|---|---|---|---|---|\n");
        for change in &self.changes {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} |",
                change.name,
                change.arch,
                change.old.as_ref().map_or("-".into(), ToString::to_string),
                change
                    .new
                    .as_ref()
                    .map_or("(removed)".into(), ToString::to_string),
                change.kind.as_str(),
                change
                    .published
                    .as_ref()
                    .map_or("-".into(), |p| p.suite.to_string()),
            );
        }
        md
    }
}

fn headline(advisory: &Advisory) -> String {
    let security = advisory
        .changes
        .iter()
        .filter(|c| c.kind == ChangeKind::SecurityFix)
        .count();
    if advisory.fixes.is_empty() && security == 0 {
        return format!(
            "{} updated",
            plural(advisory.changes.len(), "package", "packages")
        );
    }
    let ids: Vec<&str> = advisory.fixes.iter().map(|f| f.id.as_str()).collect();
    match ids.as_slice() {
        [] => format!(
            "{} from the security archive",
            plural(security, "package", "packages")
        ),
        [one] => format!("fixes {one}"),
        [first, rest @ ..] => format!("fixes {first} and {} more", rest.len()),
    }
}

fn describe(evidence: &Evidence) -> String {
    match evidence {
        Evidence::Changelog {
            version,
            distribution,
            lines,
            ..
        } => format!("changelog of {version} ({distribution}): {}", lines.join(" / ")),
        Evidence::Advisory { record, state } => match state {
            State::Fixed(version) => format!("{record}: fixed in {version}"),
            State::Unfixed => format!("{record}: no fix"),
            State::NotAffected => format!("{record}: not affected"),
            State::Undetermined => format!("{record}: not yet triaged"),
        },
    }
}

/// Text safe inside a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `41s`, `3m 20s`, `2h 5m`, `3d 4h`.
pub fn duration(seconds: u64) -> String {
    let (d, h, m, s) = (
        seconds / 86_400,
        seconds / 3600 % 24,
        seconds / 60 % 60,
        seconds % 60,
    );
    let (big, small) = match (d, h, m) {
        (0, 0, 0) => return format!("{s}s"),
        (0, 0, _) => ((m, 'm'), (s, 's')),
        (0, _, _) => ((h, 'h'), (m, 'm')),
        _ => ((d, 'd'), (h, 'h')),
    };
    match small {
        (0, _) => format!("{}{}", big.0, big.1),
        _ => format!("{}{} {}{}", big.0, big.1, small.0, small.1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::classify;
    use crate::testing::{finding, locked};
    use buckle_spec::diff::{Change, ImageDiff};

    fn advisory(pushed_at: Option<u64>) -> Advisory {
        let diff = ImageDiff {
            arch: "amd64".parse().unwrap(),
            variant: Variant::Runtime,
            added: Vec::new(),
            removed: Vec::new(),
            changed: vec![Change {
                old: locked("libfoo1", "1.0-1", "trixie"),
                new: locked("libfoo1", "1.0-1+deb13u1", "trixie-security"),
            }],
        };
        let date = SuiteDate {
            suite: "trixie-security".parse().unwrap(),
            date: "Sat, 30 Aug 2025 10:00:00 UTC".into(),
            unix: 1_756_548_000,
        };
        let findings = [finding(
            "CVE-2025-1111",
            "libfoo1",
            "1.0-1",
            Some("1.0-1+deb13u1"),
            true,
        )];
        let update = ImageUpdate {
            image: "hello".into(),
            spec: "catalog/hello.toml".into(),
            variant: Variant::Runtime,
            changes: classify(&[diff], &findings, &[date]),
        };
        Advisory::new(
            &update,
            Publication {
                old_digest: Some(format!("sha256:{}", "a".repeat(64))),
                new_digest: format!("sha256:{}", "b".repeat(64)),
                reference: pushed_at.map(|_| "127.0.0.1:5000/hardened/hello:latest".into()),
                built_at: 1_756_548_030,
                pushed_at,
            },
        )
    }

    #[test]
    fn latency_runs_from_the_release_date_to_the_push() {
        let record = advisory(Some(1_756_548_042));
        assert_eq!(record.latency_seconds, Some(42));
        assert!(record.kev);
        assert_eq!(
            record.summary(),
            "hello: 1 vulnerability fixed (KEV: CVE-2025-1111), 1 package, latency 42s"
        );
    }

    #[test]
    fn without_a_push_latency_runs_to_the_rebuild() {
        assert_eq!(advisory(None).latency_seconds, Some(30));
    }

    #[test]
    fn json_round_trips() {
        let record = advisory(Some(1_756_548_042));
        let back = Advisory::from_json("a.json", record.to_json().as_bytes()).unwrap();
        assert_eq!(back, record);
    }

    #[test]
    fn a_damaged_record_is_an_error_naming_the_file() {
        let err = Advisory::from_json("out/advisories/hello.json", b"{\"image\": 3}").unwrap_err();
        assert_eq!(
            err.to_string(),
            "`out/advisories/hello.json` is not an advisory record"
        );
        assert!(err.hint().is_some());
    }

    #[test]
    fn markdown_names_the_cve_its_evidence_the_digests_and_the_latency() {
        let md = advisory(Some(1_756_548_042)).to_markdown();
        assert!(
            md.starts_with("# hello: fixes CVE-2025-1111 (known exploited)\n"),
            "{md}"
        );
        assert!(
            md.contains("| CVE-2025-1111 | yes, added 2025-08-01, due 2025-08-22 |"),
            "{md}"
        );
        assert!(
            md.contains("changelog of 1.0-1+deb13u1 (trixie-security): Fix CVE-2025-1111"),
            "{md}"
        );
        assert!(
            md.contains(&format!("| New digest | `sha256:{}` |", "b".repeat(64))),
            "{md}"
        );
        assert!(
            md.contains("| Patch latency | 42s (fix published to push) |"),
            "{md}"
        );
        assert!(
            md.contains("| libfoo1 | amd64 | 1.0-1 | 1.0-1+deb13u1 | security-fix | trixie-security |"),
            "{md}"
        );
    }

    #[test]
    fn file_stems_sort_by_build_time() {
        assert_eq!(advisory(None).file_stem(), "hello-20250830T100030Z");
    }

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(duration(41), "41s");
        assert_eq!(duration(200), "3m 20s");
        assert_eq!(duration(7500), "2h 5m");
        assert_eq!(duration(273_600), "3d 4h");
        assert_eq!(duration(900), "15m");
        assert_eq!(duration(86_400), "1d");
    }
}
