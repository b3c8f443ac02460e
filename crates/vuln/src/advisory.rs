//! What an advisory feed (the Debian security tracker, OSV) says about one id, one
//! source package and one release; and the KEV and EPSS facts about CVEs.

use crate::id::VulnId;
use crate::release::Release;
use buckle_debian::{PackageName, Version};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// One feed's word on one vulnerability in one source package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Advisory {
    /// The vulnerability (a CVE where one is known, else the advisory's own id).
    pub id: VulnId,
    /// Other ids for it (the DSA that fixed a CVE).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<VulnId>,
    /// The source package.
    pub source: PackageName,
    /// The release it is about; `None` for unstable, which holds for every release
    /// that has no statement of its own.
    pub release: Option<Release>,
    /// Fixed, open, not affected or not yet known.
    pub state: State,
    /// The severity the feed gives, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// Which feed and record it came from (`tracker DSA-5729-1`, `osv DSA-5729-1`).
    pub record: String,
}

/// The state of a vulnerability in a source package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "version")]
pub enum State {
    /// Fixed in this version and later.
    Fixed(Version),
    /// Affected, no fixed version yet (also `no-dsa`, `postponed`, `ignored`).
    Unfixed,
    /// The package is not affected.
    NotAffected,
    /// Not triaged yet (a tracker `TODO`).
    Undetermined,
}

/// How bad a vulnerability is, in the tracker's words (its urgency) or from a CVSS band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The tracker's `unimportant`.
    Negligible,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical (CVSS 9.0 and above).
    Critical,
}

impl Severity {
    /// Reads a tracker urgency or severity word (`low`, `medium**`, `unimportant`);
    /// `not yet assigned` and others give `None`.
    pub fn from_word(word: &str) -> Option<Severity> {
        match word.trim().trim_end_matches('*').to_ascii_lowercase().as_str() {
            "unimportant" | "negligible" => Some(Severity::Negligible),
            "low" => Some(Severity::Low),
            "medium" | "moderate" => Some(Severity::Medium),
            "high" | "important" => Some(Severity::High),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }

    /// The name used in reports and in `--fail-on`.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Negligible => "negligible",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One entry of CISA's Known Exploited Vulnerabilities catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KevEntry {
    /// `dateAdded` (YYYY-MM-DD).
    pub date_added: String,
    /// `dueDate` (YYYY-MM-DD): when US federal agencies must have remediated it.
    pub due_date: String,
    /// `vulnerabilityName`.
    pub name: String,
    /// `knownRansomwareCampaignUse` (`Known` or `Unknown`).
    pub ransomware: String,
}

/// The KEV catalog.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kev {
    /// `catalogVersion`.
    pub version: String,
    /// `dateReleased`.
    pub released: String,
    /// Entries by CVE.
    pub entries: BTreeMap<VulnId, KevEntry>,
}

/// One EPSS score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EpssScore {
    /// Probability of exploitation activity in the next 30 days (0..1).
    pub score: f64,
    /// Percentile among all scored CVEs (0..1).
    pub percentile: f64,
}

/// The EPSS scores of one day.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Epss {
    /// The model version from the CSV's first line.
    pub model_version: String,
    /// The score date from the CSV's first line.
    pub score_date: String,
    /// Scores by CVE.
    pub scores: BTreeMap<VulnId, EpssScore>,
}
