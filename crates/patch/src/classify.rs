//! lock diff + findings -> classified package changes: security fix, point release, other.

use buckle_debian::{Arch, PackageName, Suite, Version};
use buckle_spec::diff::ImageDiff;
use buckle_spec::LockedPackage;
use buckle_vuln::{EpssScore, Evidence, Finding, KevEntry, Severity, VulnId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Why a package changed, most urgent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    /// The new version fixes a known vulnerability, or comes from a `-security` suite.
    SecurityFix,
    /// A newer version from the release or its `-updates` suite that fixes nothing known.
    PointRelease,
    /// A package added or removed, a downgrade, or the same version rebuilt.
    Other,
}

impl ChangeKind {
    /// `security-fix`, `point-release` or `other`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::SecurityFix => "security-fix",
            ChangeKind::PointRelease => "point-release",
            ChangeKind::Other => "other",
        }
    }
}

/// When a suite's Release said it was made: the `Date:` of its InRelease.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuiteDate {
    /// The suite (`trixie-security`).
    pub suite: Suite,
    /// The `Date:` field, verbatim (RFC 2822).
    pub date: String,
    /// The same instant in seconds since 1970 (UTC).
    pub unix: i64,
}

/// A vulnerability a package change fixes, with what the feeds know about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fix {
    /// The vulnerability (a CVE where one is known).
    pub id: VulnId,
    /// Other ids for it (the DSA that announced it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<VulnId>,
    /// The first source version with the fix.
    pub fixed: Version,
    /// Severity, when a feed gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// The KEV entry, when CISA lists it as exploited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kev: Option<KevEntry>,
    /// The EPSS score, when scored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epss: Option<EpssScore>,
    /// Why it counts as fixed: changelog lines and advisory records.
    pub evidence: Vec<Evidence>,
}

/// One package of one image that differs between the committed and the new lock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackageChange {
    /// Binary package name.
    pub name: PackageName,
    /// Its architecture.
    pub arch: Arch,
    /// Its source package.
    pub source: PackageName,
    /// The committed version; `None` for a package the update adds.
    pub old: Option<Version>,
    /// The new version; `None` for a package the update removes.
    pub new: Option<Version>,
    /// The suite the new version comes from, and when that suite's Release was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<SuiteDate>,
    /// Why it changed.
    pub kind: ChangeKind,
    /// The vulnerabilities the new version fixes, KEV first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixes: Vec<Fix>,
}

/// Classifies every package change of `diffs` (the images of one spec and variant).
///
/// `findings` are the vulnerabilities of the committed packages, matched against feeds
/// that include the new versions' changelogs; a finding counts as fixed by a change
/// when its fixed version is at or below the new source version. `dates` gives each
/// suite of the new lock its Release date.
pub fn classify(diffs: &[ImageDiff], findings: &[Finding], dates: &[SuiteDate]) -> Vec<PackageChange> {
    let dates: BTreeMap<&Suite, &SuiteDate> = dates.iter().map(|d| (&d.suite, d)).collect();
    let published = |p: &LockedPackage| dates.get(&p.suite).map(|d| (*d).clone());
    let mut out = Vec::new();
    for diff in diffs {
        for added in &diff.added {
            out.push(PackageChange {
                old: None,
                new: Some(added.version.clone()),
                published: published(added),
                ..unfixed(added)
            });
        }
        for removed in &diff.removed {
            out.push(PackageChange {
                old: Some(removed.version.clone()),
                new: None,
                ..unfixed(removed)
            });
        }
        for change in &diff.changed {
            let fixes = fixes_of(findings, &change.old, &change.new);
            out.push(PackageChange {
                old: Some(change.old.version.clone()),
                new: Some(change.new.version.clone()),
                published: published(&change.new),
                kind: kind_of(&change.old, &change.new, &fixes),
                fixes,
                ..unfixed(&change.new)
            });
        }
    }
    out.sort_by(|a, b| {
        (a.kind, &a.name, &a.arch)
            .cmp(&(b.kind, &b.name, &b.arch))
            .then_with(|| a.new.cmp(&b.new))
    });
    out
}

fn unfixed(package: &LockedPackage) -> PackageChange {
    PackageChange {
        name: package.name.clone(),
        arch: package.architecture.clone(),
        source: package.source.clone(),
        old: None,
        new: None,
        published: None,
        kind: ChangeKind::Other,
        fixes: Vec::new(),
    }
}

fn kind_of(old: &LockedPackage, new: &LockedPackage, fixes: &[Fix]) -> ChangeKind {
    if !fixes.is_empty() || new.suite.as_str().ends_with("-security") {
        ChangeKind::SecurityFix
    } else if new.version > old.version {
        ChangeKind::PointRelease
    } else {
        ChangeKind::Other
    }
}

/// The findings of `old` that the source version of `new` fixes, KEV first.
fn fixes_of(findings: &[Finding], old: &LockedPackage, new: &LockedPackage) -> Vec<Fix> {
    let mut fixes: Vec<(&Finding, Fix)> = findings
        .iter()
        .filter(|f| f.package == old.name && f.arch == old.architecture)
        .filter_map(|f| {
            let fixed = f.fixed.as_ref().filter(|v| **v <= new.source_version)?;
            let fix = Fix {
                id: f.id.clone(),
                aliases: f.aliases.clone(),
                fixed: fixed.clone(),
                severity: f.severity,
                kev: f.kev.clone(),
                epss: f.epss,
                evidence: f.evidence.clone(),
            };
            Some((f, fix))
        })
        .collect();
    fixes.sort_by(|a, b| a.0.priority_cmp(b.0));
    fixes.into_iter().map(|(_, fix)| fix).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{finding, locked};
    use buckle_spec::diff::Change;
    use buckle_spec::Variant;

    fn one(diff: ImageDiff, findings: &[Finding]) -> Vec<PackageChange> {
        let date = SuiteDate {
            suite: "trixie-security".parse().unwrap(),
            date: "Sat, 30 Aug 2025 10:00:00 UTC".into(),
            unix: 1_756_548_000,
        };
        classify(&[diff], findings, &[date])
    }

    fn diff(changed: Vec<Change>, added: Vec<LockedPackage>) -> ImageDiff {
        ImageDiff {
            arch: "amd64".parse().unwrap(),
            variant: Variant::Runtime,
            added,
            removed: Vec::new(),
            changed,
        }
    }

    #[test]
    fn a_change_whose_changelog_fixes_a_cve_is_a_security_fix_with_its_date() {
        let change = Change {
            old: locked("libfoo1", "1.0-1", "trixie"),
            new: locked("libfoo1", "1.0-1+deb13u1", "trixie-security"),
        };
        let fixed = finding("CVE-2025-1111", "libfoo1", "1.0-1", Some("1.0-1+deb13u1"), true);
        let changes = one(diff(vec![change], vec![]), &[fixed]);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].kind, ChangeKind::SecurityFix);
        assert_eq!(changes[0].fixes[0].id.as_str(), "CVE-2025-1111");
        assert!(changes[0].fixes[0].kev.is_some());
        assert_eq!(changes[0].published.as_ref().unwrap().unix, 1_756_548_000);
    }

    #[test]
    fn a_fix_in_a_later_version_than_the_update_is_not_counted() {
        let change = Change {
            old: locked("libfoo1", "1.0-1", "trixie"),
            new: locked("libfoo1", "1.0-2", "trixie"),
        };
        let later = finding("CVE-2025-2222", "libfoo1", "1.0-1", Some("1.0-3"), false);
        let open = finding("CVE-2025-3333", "libfoo1", "1.0-1", None, false);
        let changes = one(diff(vec![change], vec![]), &[later, open]);
        assert!(changes[0].fixes.is_empty());
        assert_eq!(changes[0].kind, ChangeKind::PointRelease);
    }

    #[test]
    fn findings_of_another_package_do_not_count() {
        let change = Change {
            old: locked("libfoo1", "1.0-1", "trixie"),
            new: locked("libfoo1", "1.0-2", "trixie"),
        };
        let other = finding("CVE-2025-1111", "libbar1", "1.0-1", Some("1.0-2"), true);
        assert_eq!(
            one(diff(vec![change], vec![]), &[other])[0].kind,
            ChangeKind::PointRelease
        );
    }

    #[test]
    fn a_security_suite_upload_naming_no_cve_is_still_a_security_fix() {
        let change = Change {
            old: locked("libfoo1", "1.0-1", "trixie"),
            new: locked("libfoo1", "1.0-1+deb13u1", "trixie-security"),
        };
        assert_eq!(
            one(diff(vec![change], vec![]), &[])[0].kind,
            ChangeKind::SecurityFix
        );
    }

    #[test]
    fn added_packages_and_rebuilds_are_other_and_sort_after_fixes() {
        let rebuilt = Change {
            old: locked("libbar1", "2.0-1", "trixie"),
            new: LockedPackage {
                sha256: buckle_digest::Sha256::of(b"rebuilt"),
                ..locked("libbar1", "2.0-1", "trixie")
            },
        };
        let fixed = Change {
            old: locked("libfoo1", "1.0-1", "trixie"),
            new: locked("libfoo1", "1.0-1+deb13u1", "trixie-security"),
        };
        let changes = one(
            diff(vec![rebuilt, fixed], vec![locked("libnew1", "1.0-1", "trixie")]),
            &[],
        );
        let kinds: Vec<(&str, ChangeKind)> = changes.iter().map(|c| (c.name.as_str(), c.kind)).collect();
        assert_eq!(
            kinds,
            [
                ("libfoo1", ChangeKind::SecurityFix),
                ("libbar1", ChangeKind::Other),
                ("libnew1", ChangeKind::Other)
            ]
        );
        assert_eq!(changes[2].old, None);
    }
}
