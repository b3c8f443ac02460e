//! classified changes -> image updates in the order to do them: KEV first, then
//! severity, then EPSS.

use crate::classify::{ChangeKind, Fix, PackageChange, SuiteDate};
use buckle_spec::Variant;
use buckle_vuln::{Severity, VulnId};
use serde::{Deserialize, Serialize};
use std::cmp::{Ordering, Reverse};
use std::collections::BTreeSet;

/// One image (a spec's variant, every architecture) whose lock changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageUpdate {
    /// The image's name: the spec's name, with `-dev` for the dev variant.
    pub image: String,
    /// The spec it is built from, as given.
    pub spec: String,
    /// Which variant.
    #[serde(with = "crate::variant")]
    pub variant: Variant,
    /// Every package change, security fixes first.
    pub changes: Vec<PackageChange>,
}

/// How urgent an update is.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Urgency {
    /// A fixed vulnerability is on CISA's KEV list.
    pub kev: bool,
    /// The highest severity of a fixed vulnerability.
    pub severity: Option<Severity>,
    /// The highest EPSS score of a fixed vulnerability.
    pub epss: Option<f64>,
    /// The most urgent kind of change.
    pub kind: ChangeKind,
}

impl Urgency {
    /// Most urgent first: KEV, then severity, then EPSS, then the kind of change.
    pub fn most_urgent_first(&self, other: &Urgency) -> Ordering {
        let key = |u: &Urgency| {
            (
                !u.kev,
                Reverse(u.severity),
                Reverse(u.epss.map(|e| (e * 1e6) as u64)),
                u.kind,
            )
        };
        key(self).cmp(&key(other))
    }
}

impl ImageUpdate {
    /// The vulnerabilities the update fixes, each once, KEV first.
    pub fn fixes(&self) -> Vec<&Fix> {
        let mut seen: BTreeSet<&VulnId> = BTreeSet::new();
        let mut fixes: Vec<&Fix> = self
            .changes
            .iter()
            .flat_map(|c| &c.fixes)
            .filter(|f| seen.insert(&f.id))
            .collect();
        fixes.sort_by_key(|f| (f.kev.is_none(), Reverse(f.severity), f.id.clone()));
        fixes
    }

    /// How urgent it is.
    pub fn urgency(&self) -> Urgency {
        let fixes = self.fixes();
        Urgency {
            kev: fixes.iter().any(|f| f.kev.is_some()),
            severity: fixes.iter().filter_map(|f| f.severity).max(),
            epss: fixes
                .iter()
                .filter_map(|f| f.epss.map(|e| e.score))
                .max_by(f64::total_cmp),
            kind: self
                .changes
                .iter()
                .map(|c| c.kind)
                .min()
                .unwrap_or(ChangeKind::Other),
        }
    }

    /// When the newest of the suites that carried the update's fixes (or, with none,
    /// its changes) made its Release: the earliest the update could be built.
    pub fn fix_published(&self) -> Option<&SuiteDate> {
        let security: Vec<&PackageChange> = self
            .changes
            .iter()
            .filter(|c| c.kind == ChangeKind::SecurityFix)
            .collect();
        let carriers = if security.is_empty() {
            self.changes.iter().collect()
        } else {
            security
        };
        carriers
            .into_iter()
            .filter_map(|c| c.published.as_ref())
            .max_by_key(|d| d.unix)
    }
}

/// Sorts updates most urgent first; equally urgent ones by image name.
pub fn most_urgent_first(updates: &mut [ImageUpdate]) {
    updates.sort_by(|a, b| {
        a.urgency()
            .most_urgent_first(&b.urgency())
            .then_with(|| a.image.cmp(&b.image))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::classify;
    use crate::testing::{finding, locked};
    use buckle_spec::diff::{Change, ImageDiff};

    fn update(image: &str, package: &str, id: Option<&str>, kev: bool) -> ImageUpdate {
        let diff = ImageDiff {
            arch: "amd64".parse().unwrap(),
            variant: Variant::Runtime,
            added: Vec::new(),
            removed: Vec::new(),
            changed: vec![Change {
                old: locked(package, "1.0-1", "trixie"),
                new: locked(package, "1.0-2", "trixie"),
            }],
        };
        let findings: Vec<_> = id
            .map(|id| finding(id, package, "1.0-1", Some("1.0-2"), kev))
            .into_iter()
            .collect();
        ImageUpdate {
            image: image.into(),
            spec: format!("catalog/{image}.toml"),
            variant: Variant::Runtime,
            changes: classify(&[diff], &findings, &[]),
        }
    }

    #[test]
    fn kev_fixes_come_first_then_other_fixes_then_point_releases() {
        let mut updates = vec![
            update("aaa-point", "libfoo1", None, false),
            update("bbb-fix", "libbar1", Some("CVE-2025-0002"), false),
            update("zzz-kev", "libbaz1", Some("CVE-2025-0001"), true),
        ];
        most_urgent_first(&mut updates);
        let order: Vec<&str> = updates.iter().map(|u| u.image.as_str()).collect();
        assert_eq!(order, ["zzz-kev", "bbb-fix", "aaa-point"]);
    }

    #[test]
    fn severity_breaks_a_tie_before_epss() {
        let mut high = update("high", "libfoo1", Some("CVE-2025-0001"), false);
        high.changes[0].fixes[0].severity = Some(Severity::High);
        let mut likely = update("likely", "libbar1", Some("CVE-2025-0002"), false);
        likely.changes[0].fixes[0].severity = Some(Severity::Medium);
        likely.changes[0].fixes[0].epss = Some(buckle_vuln::EpssScore {
            score: 0.9,
            percentile: 0.99,
        });
        let mut updates = vec![likely, high];
        most_urgent_first(&mut updates);
        assert_eq!(updates[0].image, "high");
    }

    #[test]
    fn a_fix_shared_by_two_packages_is_listed_once() {
        let mut image = update("hello", "libfoo1", Some("CVE-2025-0001"), true);
        let mut twin = image.changes[0].clone();
        twin.name = "libfoo-bin".parse().unwrap();
        image.changes.push(twin);
        assert_eq!(image.fixes().len(), 1);
        assert!(image.urgency().kev);
    }
}
