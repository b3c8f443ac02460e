//! The scan arrow: installed packages + merged feeds -> findings.
//!
//! Matching is by SOURCE package and dpkg version order within one release:
//! - the release's own archive ([`SourceHistory`]): ids that changelog entries above the
//!   installed source version fix (binNMUs match by their `Source: name (version)`);
//! - advisories ([`Advisory`]) for the release, else for unstable: fixed versions
//!   compared with dpkg order, open ones reported with no fix yet. A release's own
//!   statement wins over unstable's, and a fix the release's changelog records at or
//!   below the installed version wins over a naive compare with unstable's version
//!   (a `~deb12u1` backport can carry a fix that unstable got in a higher version);
//! - KEV and EPSS facts are attached by CVE (or by a CVE alias).

use crate::advisory::{Advisory, Epss, EpssScore, Kev, KevEntry, Severity, State};
use crate::history::SourceHistory;
use crate::id::VulnId;
use crate::release::Release;
use buckle_debian::{Arch, PackageName, Version};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Every feed's data, merged and indexed for matching.
#[derive(Debug, Clone, Default)]
pub struct Database {
    histories: BTreeMap<(Release, PackageName), SourceHistory>,
    advisories: BTreeMap<PackageName, Vec<Advisory>>,
    kev: Kev,
    epss: Epss,
    packages: Vec<crate::packages::PackageAdvisory>,
}

impl Database {
    /// An empty database.
    pub fn new() -> Database {
        Database::default()
    }

    /// Adds advisories about application packages (PyPI, npm).
    pub fn add_package_advisories(
        &mut self,
        advisories: impl IntoIterator<Item = crate::packages::PackageAdvisory>,
    ) {
        self.packages.extend(advisories);
    }

    /// The advisories about application packages.
    pub fn package_advisories(&self) -> &[crate::packages::PackageAdvisory] {
        &self.packages
    }

    /// Adds (or replaces) a source package's history in its release.
    pub fn add_history(&mut self, history: SourceHistory) {
        self.histories
            .insert((history.release.clone(), history.source.clone()), history);
    }

    /// Adds advisories from a feed.
    pub fn add_advisories(&mut self, advisories: impl IntoIterator<Item = Advisory>) {
        for advisory in advisories {
            self.advisories
                .entry(advisory.source.clone())
                .or_default()
                .push(advisory);
        }
    }

    /// Sets the KEV catalog.
    pub fn set_kev(&mut self, kev: Kev) {
        self.kev = kev;
    }

    /// Sets the EPSS scores.
    pub fn set_epss(&mut self, epss: Epss) {
        self.epss = epss;
    }

    /// The history of `source` in `release`, if the archive feed has it.
    pub fn history(&self, release: &Release, source: &PackageName) -> Option<&SourceHistory> {
        self.histories.get(&(release.clone(), source.clone()))
    }

    /// The KEV entry of `id`, if it is known to be exploited.
    pub fn kev(&self, id: &VulnId) -> Option<&KevEntry> {
        self.kev.entries.get(id)
    }

    /// Counts: (histories, advisories, KEV entries, EPSS scores).
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        (
            self.histories.len(),
            self.advisories.values().map(Vec::len).sum(),
            self.kev.entries.len(),
            self.epss.scores.len(),
        )
    }
}

/// One installed binary package, as the image's dpkg metadata (or an SBOM) gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    /// Binary package name.
    pub name: PackageName,
    /// Binary version.
    pub version: Version,
    /// Architecture.
    pub arch: Arch,
    /// Source package.
    pub source: PackageName,
    /// Source version (differs from `version` for binNMUs).
    pub source_version: Version,
    /// The package URL that identifies it in SBOM and VEX documents, when known.
    pub purl: Option<String>,
}

/// A vulnerability that applies to an installed package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The vulnerability (CVE where known, else the advisory id).
    pub id: VulnId,
    /// Other ids for it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<VulnId>,
    /// The installed binary package.
    pub package: PackageName,
    /// Its architecture.
    pub arch: Arch,
    /// Its installed version.
    pub installed: Version,
    /// Its source package.
    pub source: PackageName,
    /// Its source version.
    pub source_version: Version,
    /// Its package URL, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// The first source version with the fix; `None`: no fix yet.
    pub fixed: Option<Version>,
    /// The archive version to upgrade to and its suite, when the archive feed has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available: Option<Available>,
    /// Severity, when a feed gives one.
    pub severity: Option<Severity>,
    /// The KEV entry, when CISA lists it as exploited.
    pub kev: Option<KevEntry>,
    /// The EPSS score, when scored.
    pub epss: Option<EpssScore>,
    /// Why it is reported: changelog lines and advisory records.
    pub evidence: Vec<Evidence>,
}

/// The newest archive version, which has the fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Available {
    /// Source version.
    pub version: Version,
    /// Suite.
    pub suite: String,
}

/// Why a finding is reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Evidence {
    /// Lines of the changelog entry that fixed it.
    Changelog {
        /// The entry's version.
        version: Version,
        /// The entry's distribution.
        distribution: String,
        /// The lines naming the id.
        lines: Vec<String>,
        /// The changelog is trimmed and the installed version is older than all its
        /// entries: an older fix may be hidden.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        trimmed: bool,
    },
    /// An advisory record.
    Advisory {
        /// `tracker DSA-5729-1`, `osv DSA-5729-1`.
        record: String,
        /// What it says.
        state: State,
    },
}

impl Finding {
    /// The id and its aliases.
    pub fn ids(&self) -> impl Iterator<Item = &VulnId> {
        std::iter::once(&self.id).chain(&self.aliases)
    }

    /// The KEV-first order reports use: KEV, then EPSS, then severity, then id.
    pub fn priority_cmp(&self, other: &Finding) -> std::cmp::Ordering {
        let key = |f: &Finding| {
            (
                f.kev.is_none(),
                std::cmp::Reverse(f.epss.map(|e| (e.score * 1e6) as u64)),
                std::cmp::Reverse(f.severity),
            )
        };
        key(self)
            .cmp(&key(other))
            .then_with(|| self.id.cmp(&other.id))
            .then_with(|| self.package.cmp(&other.package))
            .then_with(|| self.arch.cmp(&other.arch))
    }
}

/// What one id looks like for one package while the feeds are merged.
struct Candidate {
    aliases: Vec<VulnId>,
    fixed: Option<Version>,
    from_release: bool,
    severity: Option<Severity>,
    evidence: Vec<Evidence>,
}

/// Matches every installed package of an image of `release` against the database.
/// Findings come sorted KEV first (see [`Finding::priority_cmp`]).
pub fn scan(db: &Database, release: &Release, packages: &[Installed]) -> Vec<Finding> {
    let mut findings: Vec<Finding> = packages
        .iter()
        .flat_map(|p| scan_package(db, release, p))
        .collect();
    findings.sort_by(Finding::priority_cmp);
    findings
}

fn scan_package(db: &Database, release: &Release, package: &Installed) -> Vec<Finding> {
    let installed = &package.source_version;
    let history = db.history(release, &package.source);
    let mut candidates: BTreeMap<VulnId, Candidate> = BTreeMap::new();
    if let Some(history) = history {
        let beyond_trimmed = history.split(installed).beyond_trimmed;
        for fix in history.fixes_after(installed) {
            candidates.insert(
                fix.id.clone(),
                Candidate {
                    aliases: Vec::new(),
                    fixed: Some(fix.fixed.clone()),
                    from_release: true,
                    severity: None,
                    evidence: vec![Evidence::Changelog {
                        version: fix.fixed,
                        distribution: fix.distribution,
                        lines: fix.lines,
                        trimmed: beyond_trimmed,
                    }],
                },
            );
        }
    }
    for advisory in applicable(db, release, &package.source) {
        let already_fixed = history.is_some_and(|h| h.fixed_at_or_before(installed, &advisory.id));
        let evidence = Evidence::Advisory {
            record: advisory.record.clone(),
            state: advisory.state.clone(),
        };
        let from_release = advisory.release.is_some();
        match &advisory.state {
            State::Fixed(version) if installed < version && !already_fixed => {
                let candidate = candidates
                    .entry(advisory.id.clone())
                    .or_insert_with(|| Candidate {
                        aliases: Vec::new(),
                        fixed: Some(version.clone()),
                        from_release,
                        severity: None,
                        evidence: Vec::new(),
                    });
                if !candidate.from_release && from_release {
                    candidate.fixed = Some(version.clone());
                    candidate.from_release = true;
                }
                candidate.absorb(advisory, evidence);
            }
            State::Unfixed if !already_fixed => {
                let candidate = candidates
                    .entry(advisory.id.clone())
                    .or_insert_with(|| Candidate {
                        aliases: Vec::new(),
                        fixed: None,
                        from_release,
                        severity: None,
                        evidence: Vec::new(),
                    });
                candidate.absorb(advisory, evidence);
            }
            // A fix the installed version has, a not-affected verdict or an untriaged
            // record adds nothing: a changelog fix found above stays (trackers lag).
            _ => {
                if let Some(candidate) = candidates.get_mut(&advisory.id) {
                    candidate.absorb(advisory, evidence);
                }
            }
        }
    }
    candidates
        .into_iter()
        .map(|(id, candidate)| {
            let cve = std::iter::once(&id)
                .chain(&candidate.aliases)
                .find(|i| i.is_cve())
                .cloned();
            let kev = cve.as_ref().and_then(|c| db.kev.entries.get(c)).cloned();
            let epss = cve.as_ref().and_then(|c| db.epss.scores.get(c)).copied();
            // The newest version has the fix when it sorts at or above the fixed version,
            // or when its own changelog fixes the id: a backport (`~deb12u1`) sorts below
            // the unstable version whose entry lists the fix.
            let available = match (history, &candidate.fixed) {
                (Some(h), Some(fixed)) if h.version >= *fixed || h.fixed_at_or_before(&h.version, &id) => {
                    Some(Available {
                        version: h.version.clone(),
                        suite: h.suite.clone(),
                    })
                }
                _ => None,
            };
            Finding {
                id,
                aliases: candidate.aliases,
                package: package.name.clone(),
                arch: package.arch.clone(),
                installed: package.version.clone(),
                source: package.source.clone(),
                source_version: package.source_version.clone(),
                purl: package.purl.clone(),
                fixed: candidate.fixed,
                available,
                severity: candidate.severity,
                kev,
                epss,
                evidence: candidate.evidence,
            }
        })
        .collect()
}

impl Candidate {
    fn absorb(&mut self, advisory: &Advisory, evidence: Evidence) {
        for alias in &advisory.aliases {
            if !self.aliases.contains(alias) {
                self.aliases.push(alias.clone());
            }
        }
        self.severity = self.severity.max(advisory.severity);
        if !self.evidence.contains(&evidence) {
            self.evidence.push(evidence);
        }
    }
}

/// The advisories that speak for `release`: for each id and feed record, the release's
/// own statement, else unstable's.
fn applicable<'a>(db: &'a Database, release: &Release, source: &PackageName) -> Vec<&'a Advisory> {
    let all = db.advisories.get(source).map(Vec::as_slice).unwrap_or_default();
    let has_own = |id: &VulnId| {
        all.iter()
            .any(|a| a.id == *id && a.release.as_ref() == Some(release))
    };
    all.iter()
        .filter(|a| match &a.release {
            Some(r) => r == release,
            None => !has_own(&a.id),
        })
        .collect()
}
