//! The check arrow: an [`ImageView`] and a [`Policy`] -> a scored [`Report`].

use crate::policy::Policy;
use crate::report::{deduction, score, AppliedException, Evidence, Finding, Report, Status};
use crate::rules::{catalog, Context, Outcome, Rule};
use crate::view::ImageView;

/// Runs every rule of the catalog on `view` under `policy` and scores the result.
#[tracing::instrument(skip_all, fields(policy = policy.origin()))]
pub fn check(view: &ImageView, policy: &Policy) -> Report {
    check_at(view, policy, None)
}

/// [`check`] with the time to judge dates against (seconds since 1970): the
/// end-of-life rule warns on an image past its upstream end of life only when it is
/// given one.
pub fn check_at(view: &ImageView, policy: &Policy, now: Option<u64>) -> Report {
    let cx = Context::new(view, now);
    let findings: Vec<Finding> = catalog().iter().map(|rule| judge(rule, &cx, policy)).collect();
    let report = Report {
        score: score(&findings),
        min_score: policy.min_score,
        variant: cx.variant,
        findings,
    };
    tracing::info!(score = report.score, "image checked");
    report
}

fn judge(rule: &Rule, cx: &Context<'_>, policy: &Policy) -> Finding {
    let (severity, weight) = policy.weighting(rule);
    let (outcome, exceptions) = if policy.enabled(rule.id) {
        except(rule.run(cx), rule.id, policy)
    } else {
        let origin = policy.origin();
        (
            Outcome::not_applicable(format!("disabled by the policy `{origin}`")),
            Vec::new(),
        )
    };
    tracing::debug!(rule = rule.id, status = %outcome.status, "rule judged");
    let message = match outcome.status {
        Status::Excepted => {
            let reasons: Vec<&str> = exceptions.iter().map(|e| e.reason.as_str()).collect();
            let covered: Vec<Evidence> = exceptions.iter().flat_map(|e| e.covered.clone()).collect();
            let shown = Outcome {
                evidence: covered,
                ..outcome.clone()
            }
            .message();
            format!("{shown} (excepted: {})", reasons.join("; "))
        }
        _ => outcome.message(),
    };
    Finding {
        rule: rule.id.to_owned(),
        title: rule.title.to_owned(),
        severity,
        weight,
        cis: rule.cis.map(str::to_owned),
        status: outcome.status,
        message,
        hint: outcome.hint.unwrap_or_else(|| rule.hint.to_owned()),
        evidence: outcome.evidence,
        exceptions,
        deduction: deduction(outcome.status, weight),
    }
}

/// Moves the evidence the policy's exceptions cover out of a failure or warning;
/// when nothing is left, the rule is excepted.
fn except(mut outcome: Outcome, rule: &str, policy: &Policy) -> (Outcome, Vec<AppliedException>) {
    if !matches!(outcome.status, Status::Fail | Status::Warn) {
        return (outcome, Vec::new());
    }
    let mut applied = Vec::new();
    for exception in policy.exceptions_for(rule) {
        let (covered, kept): (Vec<Evidence>, Vec<Evidence>) = outcome
            .evidence
            .into_iter()
            .partition(|e| exception.covers(&e.location));
        outcome.evidence = kept;
        if !covered.is_empty() {
            applied.push(AppliedException {
                path: exception.path().to_owned(),
                reason: exception.reason.clone(),
                covered,
            });
        }
    }
    if !applied.is_empty() && outcome.evidence.is_empty() {
        outcome.status = Status::Excepted;
    }
    (outcome, applied)
}
