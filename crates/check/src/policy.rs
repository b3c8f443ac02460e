//! Policy files (TOML): which rules run, their severities and weights, a minimum
//! score, and exceptions with reasons.
//!
//! ```toml
//! # The score `buckle check` must reach (`--fail-under` overrides it).
//! min_score = 90
//! # Only these rules run: ids, or globs such as "BKL-SECRET-*". Default: all.
//! select = ["BKL-*"]
//! # These rules do not run (reported as not applicable).
//! disable = ["BKL-HEALTHCHECK"]
//!
//! # Severity and weight of a rule. A new severity without a weight brings that
//! # severity's default weight (critical 30, high 20, medium 10, low 4, info 0).
//! [rules.BKL-TAG-LATEST]
//! severity = "info"
//!
//! # Evidence of a rule that is acceptable. `path` is a glob over the evidence
//! # location (`/usr/bin/passwd`, `/opt/**`, `config:User`, `**` for all of it);
//! # `reason` is required.
//! [[exception]]
//! rule = "BKL-SETUID"
//! path = "/usr/bin/passwd"
//! reason = "users change their own password in this interactive image"
//! ```
//!
//! Every mistake is an error at the file, line and column where it is: unknown keys
//! and rules, bad severities, exceptions without a reason, scores above 100.

use crate::error::{Error, Result};
use crate::glob::Glob;
use crate::report::Severity;
use crate::rules::{self, Rule};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::ops::Range;
use toml::Spanned;

/// A parsed policy. [`Policy::default`] runs every rule as the catalog defines it.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    origin: String,
    /// The score an image must reach, if the policy sets one.
    pub min_score: Option<u32>,
    select: Option<Vec<Glob>>,
    disable: Vec<Glob>,
    overrides: BTreeMap<&'static str, (Severity, u32)>,
    exceptions: Vec<Exception>,
}

/// Evidence of one rule that the policy accepts.
#[derive(Debug, Clone)]
pub struct Exception {
    /// The rule id.
    pub rule: &'static str,
    glob: Glob,
    /// Why it is acceptable.
    pub reason: String,
}

impl Exception {
    /// The path glob as written.
    pub fn path(&self) -> &str {
        self.glob.as_str()
    }

    /// Whether the glob matches an evidence location.
    pub fn covers(&self, location: &str) -> bool {
        self.glob.matches(location)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    min_score: Option<Spanned<u32>>,
    select: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    disable: Vec<Spanned<String>>,
    #[serde(default)]
    rules: BTreeMap<Spanned<String>, RawRule>,
    #[serde(default)]
    exception: Vec<Spanned<RawException>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    severity: Option<Spanned<String>>,
    weight: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawException {
    rule: Spanned<String>,
    path: Option<Spanned<String>>,
    reason: Option<Spanned<String>>,
}

/// Turns byte offsets into `origin:line:column` errors.
struct Locator<'a> {
    text: &'a str,
    origin: &'a str,
}

impl Locator<'_> {
    fn line_column(&self, offset: usize) -> (usize, usize) {
        let before = self.text.get(..offset).unwrap_or(self.text);
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().unwrap_or_default().chars().count() + 1;
        (line, column)
    }

    fn invalid(&self, span: Range<usize>, problem: impl Into<String>) -> Error {
        let (line, column) = self.line_column(span.start);
        Error::PolicyInvalid {
            origin: self.origin.to_owned(),
            line,
            column,
            problem: problem.into(),
        }
    }

    fn rule(&self, id: &Spanned<String>) -> Result<&'static Rule> {
        rules::find(id.get_ref())
            .ok_or_else(|| self.invalid(id.span(), format!("unknown rule `{}`", id.get_ref())))
    }

    /// A glob over rule ids that must match at least one rule.
    fn rule_glob(&self, text: &Spanned<String>) -> Result<Glob> {
        let glob = Glob::new(text.get_ref()).map_err(|problem| self.invalid(text.span(), problem))?;
        if !rules::catalog().iter().any(|rule| glob.matches(rule.id)) {
            return Err(self.invalid(
                text.span(),
                format!("unknown rule `{}`: it matches no rule id", text.get_ref()),
            ));
        }
        Ok(glob)
    }
}

impl Policy {
    /// Parses a policy. `origin` names the file in errors (`strict.toml`).
    pub fn parse(text: &str, origin: &str) -> Result<Policy> {
        let raw: RawPolicy = toml::from_str(text).map_err(|err| {
            let at = Locator { text, origin };
            let (line, column) = at.line_column(err.span().map_or(0, |s| s.start));
            Error::PolicySyntax {
                origin: origin.to_owned(),
                line,
                column,
                message: err.message().trim().to_owned(),
            }
        })?;
        let at = Locator { text, origin };
        let min_score = match raw.min_score {
            Some(score) if *score.get_ref() > 100 => {
                return Err(at.invalid(
                    score.span(),
                    format!("min_score is {}: expected 0 to 100", score.get_ref()),
                ));
            }
            other => other.map(Spanned::into_inner),
        };
        let select = match &raw.select {
            Some(list) => Some(list.iter().map(|id| at.rule_glob(id)).collect::<Result<_>>()?),
            None => None,
        };
        let disable = raw
            .disable
            .iter()
            .map(|id| at.rule_glob(id))
            .collect::<Result<_>>()?;
        let mut overrides = BTreeMap::new();
        for (id, change) in &raw.rules {
            let rule = at.rule(id)?;
            let severity = match &change.severity {
                Some(s) => s
                    .get_ref()
                    .parse()
                    .map_err(|problem: String| at.invalid(s.span(), problem))?,
                None => rule.severity,
            };
            let weight = change.weight.unwrap_or(if change.severity.is_some() {
                severity.default_weight()
            } else {
                rule.weight
            });
            overrides.insert(rule.id, (severity, weight));
        }
        let exceptions = raw
            .exception
            .iter()
            .map(|e| exception(&at, e))
            .collect::<Result<_>>()?;
        Ok(Policy {
            origin: origin.to_owned(),
            min_score,
            select,
            disable,
            overrides,
            exceptions,
        })
    }

    /// The file the policy came from (empty for the default policy).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Whether `rule` runs.
    pub fn enabled(&self, rule: &str) -> bool {
        let selected = self
            .select
            .as_ref()
            .is_none_or(|globs| globs.iter().any(|g| g.matches(rule)));
        selected && !self.disable.iter().any(|g| g.matches(rule))
    }

    /// The severity and weight `rule` has under this policy.
    pub fn weighting(&self, rule: &Rule) -> (Severity, u32) {
        self.overrides
            .get(rule.id)
            .copied()
            .unwrap_or((rule.severity, rule.weight))
    }

    /// The exceptions for `rule`.
    pub fn exceptions_for<'a>(&'a self, rule: &'a str) -> impl Iterator<Item = &'a Exception> + 'a {
        self.exceptions.iter().filter(move |e| e.rule == rule)
    }
}

fn exception(at: &Locator<'_>, raw: &Spanned<RawException>) -> Result<Exception> {
    let table = raw.get_ref();
    let rule = at.rule(&table.rule)?;
    let reason = match &table.reason {
        Some(reason) if !reason.get_ref().trim().is_empty() => reason.get_ref().trim().to_owned(),
        Some(reason) => {
            return Err(at.invalid(
                reason.span(),
                format!("the exception for `{}` has an empty reason", rule.id),
            ))
        }
        None => {
            return Err(at.invalid(
                raw.span(),
                format!(
                    "the exception for `{}` has no reason: say why it is acceptable",
                    rule.id
                ),
            ))
        }
    };
    let Some(path) = &table.path else {
        return Err(at.invalid(
            raw.span(),
            format!("the exception for `{}` has no path: use a glob such as `/usr/bin/passwd`, or `**` for all of the rule's evidence (reason given: {reason})", rule.id),
        ));
    };
    let glob = Glob::new(path.get_ref()).map_err(|problem| at.invalid(path.span(), problem))?;
    Ok(Exception {
        rule: rule.id,
        glob,
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRICT: &str = r#"min_score = 90
select = ["BKL-*"]
disable = ["BKL-HEALTHCHECK"]

[rules.BKL-TAG-LATEST]
severity = "info"

[rules.BKL-SHELL]
weight = 25

[[exception]]
rule = "BKL-SETUID"
path = "/usr/bin/passwd"
reason = "interactive image: users change their password"
"#;

    #[test]
    fn a_full_policy_parses_into_selection_weights_and_exceptions() {
        let policy = Policy::parse(STRICT, "strict.toml").unwrap();
        assert_eq!(policy.min_score, Some(90));
        assert!(policy.enabled("BKL-USER-ROOT"));
        assert!(!policy.enabled("BKL-HEALTHCHECK"));
        let latest = rules::find("BKL-TAG-LATEST").unwrap();
        assert_eq!(policy.weighting(latest), (Severity::Info, 0));
        let shell = rules::find("BKL-SHELL").unwrap();
        assert_eq!(policy.weighting(shell), (Severity::Medium, 25));
        let root = rules::find("BKL-USER-ROOT").unwrap();
        assert_eq!(policy.weighting(root), (root.severity, root.weight));
        let exceptions: Vec<_> = policy.exceptions_for("BKL-SETUID").collect();
        assert_eq!(exceptions.len(), 1);
        assert!(exceptions[0].covers("/usr/bin/passwd"));
        assert!(!exceptions[0].covers("/usr/bin/su"));
    }

    #[test]
    fn an_exception_without_a_reason_is_an_error_at_its_table_header() {
        let text = "min_score = 80\n\n[[exception]]\nrule = \"BKL-SETUID\"\npath = \"/usr/bin/su\"\n";
        let err = Policy::parse(text, "p.toml").unwrap_err();
        let shown = err.to_string();
        assert!(shown.starts_with("p.toml:3:1: "), "{shown}");
        assert!(
            shown.contains("the exception for `BKL-SETUID` has no reason"),
            "{shown}"
        );
        assert!(err.hint().unwrap().contains("reason"));
    }

    #[test]
    fn an_empty_reason_is_an_error_at_the_reason() {
        let text = "[[exception]]\nrule = \"BKL-SETUID\"\npath = \"**\"\nreason = \"  \"\n";
        let shown = Policy::parse(text, "p.toml").unwrap_err().to_string();
        assert_eq!(
            shown,
            "p.toml:4:10: the exception for `BKL-SETUID` has an empty reason"
        );
    }

    #[test]
    fn unknown_rules_keys_and_severities_are_errors_with_positions() {
        let cases = [
            (
                "disable = [\"BKL-NOPE\"]\n",
                "p.toml:1:12: unknown rule `BKL-NOPE`: it matches no rule id",
            ),
            (
                "[rules.BKL-NOPE]\nweight = 1\n",
                "p.toml:1:8: unknown rule `BKL-NOPE`",
            ),
            (
                "[rules.BKL-SHELL]\nseverity = \"severe\"\n",
                "p.toml:2:12: unknown severity `severe`: expected critical, high, medium, low or info",
            ),
            (
                "min_score = 101\n",
                "p.toml:1:13: min_score is 101: expected 0 to 100",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(
                Policy::parse(text, "p.toml").unwrap_err().to_string(),
                expected,
                "{text}"
            );
        }
        let shown = Policy::parse("colour = \"red\"\n", "p.toml")
            .unwrap_err()
            .to_string();
        assert!(shown.starts_with("p.toml:1:1: unknown field `colour`"), "{shown}");
    }

    #[test]
    fn the_default_policy_runs_every_rule_unchanged() {
        let policy = Policy::default();
        assert!(rules::catalog().iter().all(|r| policy.enabled(r.id)));
        assert_eq!(policy.min_score, None);
    }
}
