//! The report: one [`Finding`] per rule, and the score they add up to.

use crate::error::{Error, Result};
use crate::view::Variant;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How bad a failed rule is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Informational: never costs points.
    Info,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

impl Severity {
    /// The weight a rule gets when a policy sets its severity but not its weight.
    pub fn default_weight(self) -> u32 {
        match self {
            Severity::Info => 0,
            Severity::Low => 4,
            Severity::Medium => 10,
            Severity::High => 20,
            Severity::Critical => 30,
        }
    }

    /// The name used in TOML, JSON and tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "info" => Ok(Severity::Info),
            "low" => Ok(Severity::Low),
            "medium" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            other => Err(format!(
                "unknown severity `{other}`: expected critical, high, medium, low or info"
            )),
        }
    }
}

/// The outcome of one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The image does what the rule asks.
    Pass,
    /// It does not: costs the rule's weight.
    Fail,
    /// Doubtful or only partly wrong: costs half the weight, rounded down.
    Warn,
    /// The rule does not apply to this image or input, or the policy turned it off.
    NotApplicable,
    /// It failed, but every piece of evidence is covered by a policy exception.
    Excepted,
}

impl Status {
    /// The name used in JSON and tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Warn => "warn",
            Status::NotApplicable => "not_applicable",
            Status::Excepted => "excepted",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a finding was seen.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Evidence {
    /// An absolute path in the image (`/usr/bin/passwd`), or a place in its metadata:
    /// `config:User`, `config:Env/NAME`, `label:KEY`, `annotation:KEY`, `history:N`,
    /// `tag:NAME`, `attachments`. Policy exceptions match this with a glob.
    pub location: String,
    /// For a file found only in a lower layer: that layer (bottom first, from 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<usize>,
    /// What was seen there (`setuid, owner root, package passwd`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Evidence {
    /// Evidence at `location`.
    pub fn at(location: impl Into<String>) -> Self {
        Evidence {
            location: location.into(),
            layer: None,
            detail: None,
        }
    }

    /// The same evidence with `detail`.
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// The same evidence, found in `layer` only.
    pub fn in_layer(mut self, layer: usize) -> Self {
        self.layer = Some(layer);
        self
    }

    /// Whether the location is a path in the image.
    pub fn is_path(&self) -> bool {
        self.location.starts_with('/')
    }
}

impl fmt::Display for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.location)?;
        match (&self.detail, self.layer) {
            (Some(detail), Some(layer)) => write!(f, " ({detail}; extractable from layer {layer})"),
            (Some(detail), None) => write!(f, " ({detail})"),
            (None, Some(layer)) => write!(f, " (extractable from layer {layer})"),
            (None, None) => Ok(()),
        }
    }
}

/// A policy exception that covered some of a finding's evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedException {
    /// The exception's path glob.
    pub path: String,
    /// Why it is acceptable, from the policy.
    pub reason: String,
    /// The evidence it covered.
    pub covered: Vec<Evidence>,
}

/// One rule's verdict on the image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The rule id (`BKL-USER-ROOT`).
    pub rule: String,
    /// The rule's title.
    pub title: String,
    /// Severity (after the policy).
    pub severity: Severity,
    /// Points a failure costs (after the policy).
    pub weight: u32,
    /// The CIS Docker Benchmark recommendation the rule checks, if any (`4.1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cis: Option<String>,
    /// The verdict.
    pub status: Status,
    /// What was found, naming paths, users and packages.
    pub message: String,
    /// How to fix it.
    pub hint: String,
    /// Where, in full (the message lists only the first few).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<Evidence>,
    /// Exceptions from the policy that covered evidence.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exceptions: Vec<AppliedException>,
    /// Points this finding took off the score.
    pub deduction: u32,
}

/// The hardening report for one image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// 0 to 100; see the crate documentation for the formula.
    pub score: u32,
    /// The minimum score the policy asks for, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_score: Option<u32>,
    /// Whether the image is a dev variant.
    pub variant: Variant,
    /// One finding per rule, in catalog order.
    pub findings: Vec<Finding>,
}

/// How much a finding with `status` and `weight` costs.
pub fn deduction(status: Status, weight: u32) -> u32 {
    match status {
        Status::Fail => weight,
        Status::Warn => weight / 2,
        Status::Pass | Status::NotApplicable | Status::Excepted => 0,
    }
}

/// `100 - sum of deductions`, never below 0.
pub fn score(findings: &[Finding]) -> u32 {
    let lost: u32 = findings.iter().map(|f| f.deduction).sum();
    100u32.saturating_sub(lost)
}

impl Report {
    /// Whether the score reaches `min` (or the policy's minimum when `min` is
    /// `None`; with neither, always true).
    pub fn meets(&self, min: Option<u32>) -> bool {
        min.or(self.min_score).is_none_or(|min| self.score >= min)
    }

    /// The findings with `status`.
    pub fn with_status(&self, status: Status) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.status == status)
    }

    /// How the score came about: `100 - 20 (BKL-USER-ROOT fail) - 5 (BKL-TMP warn) = 75`.
    pub fn explanation(&self) -> String {
        let mut text = String::from("100");
        for finding in self.findings.iter().filter(|f| f.deduction > 0) {
            text.push_str(&format!(
                " - {} ({} {})",
                finding.deduction, finding.rule, finding.status
            ));
        }
        let lost: u32 = self.findings.iter().map(|f| f.deduction).sum();
        if lost > 100 {
            text.push_str(" (clamped at 0)");
        }
        text.push_str(&format!(" = {}", self.score));
        text
    }

    /// The report as pretty JSON.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(self).map_err(|source| Error::Json { source })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(rule: &str, status: Status, weight: u32) -> Finding {
        Finding {
            rule: rule.to_owned(),
            title: String::new(),
            severity: Severity::High,
            weight,
            cis: None,
            status,
            message: String::new(),
            hint: String::new(),
            evidence: Vec::new(),
            exceptions: Vec::new(),
            deduction: deduction(status, weight),
        }
    }

    #[test]
    fn fail_costs_the_weight_warn_half_rounded_down_others_nothing() {
        let findings = vec![
            finding("A", Status::Fail, 20),
            finding("B", Status::Warn, 5),
            finding("C", Status::Pass, 30),
            finding("D", Status::Excepted, 30),
            finding("E", Status::NotApplicable, 30),
        ];
        assert_eq!(
            findings.iter().map(|f| f.deduction).collect::<Vec<_>>(),
            [20, 2, 0, 0, 0]
        );
        assert_eq!(score(&findings), 78);
        let report = Report {
            score: score(&findings),
            min_score: Some(80),
            variant: Variant::Runtime,
            findings,
        };
        assert_eq!(report.explanation(), "100 - 20 (A fail) - 2 (B warn) = 78");
        assert!(!report.meets(None));
        assert!(report.meets(Some(75)));
    }

    #[test]
    fn score_is_clamped_at_zero() {
        let findings: Vec<Finding> = (0..5)
            .map(|i| finding(&format!("R{i}"), Status::Fail, 30))
            .collect();
        assert_eq!(score(&findings), 0);
    }
}
