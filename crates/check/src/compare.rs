//! The compare arrow: two checked images -> a side-by-side [`Comparison`] that the CLI
//! renders as a table.

use crate::packages::Database;
use crate::report::{Report, Status};
use crate::rules::{package_managers, setuid_files, shells, Context};
use crate::view::{absolute, ImageView};
use serde::Serialize;

/// What matters about one image, side by side with another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Its tags.
    pub tags: Vec<String>,
    /// `User` from the config (empty: root).
    pub user: String,
    /// The hardening score.
    pub score: u32,
    /// Installed packages (dpkg or apk), `None` when no database can be counted.
    pub packages: Option<usize>,
    /// Bytes of the layer blobs as stored.
    pub stored_size: u64,
    /// Bytes of the regular files in the final file system.
    pub content_size: u64,
    /// Entries in the final file system.
    pub files: usize,
    /// Layers.
    pub layers: usize,
    /// Shells on the search path.
    pub shells: Vec<String>,
    /// Package managers on the search path.
    pub package_managers: Vec<String>,
    /// setuid and setgid files.
    pub setuid: Vec<String>,
    /// Ids of the rules that failed.
    pub failed: Vec<String>,
    /// Ids of the rules that warned.
    pub warned: Vec<String>,
}

impl Summary {
    /// The summary of `view`, checked as `report`.
    pub fn of(view: &ImageView, report: &Report) -> Self {
        let cx = Context::new(view, None);
        let countable = cx
            .packages
            .databases
            .keys()
            .any(|db| matches!(db, Database::Dpkg | Database::DpkgStatusD | Database::Apk));
        let ids = |status: Status| report.with_status(status).map(|f| f.rule.clone()).collect();
        Summary {
            tags: view.tags.clone(),
            user: view.container().user.unwrap_or_default(),
            score: report.score,
            packages: countable.then_some(cx.packages.installed.len()),
            stored_size: view.stored_size(),
            content_size: view.content_size(),
            files: view.files.len(),
            layers: view.layers.len(),
            shells: shells(&cx).iter().map(|p| absolute(&p.path)).collect(),
            package_managers: package_managers(&cx).iter().map(|p| absolute(&p.path)).collect(),
            setuid: setuid_files(&cx).into_iter().map(|e| e.location).collect(),
            failed: ids(Status::Fail),
            warned: ids(Status::Warn),
        }
    }
}

/// One rule's status in both images.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleRow {
    /// The rule id.
    pub rule: String,
    /// The rule's title.
    pub title: String,
    /// Status in the first image.
    pub a: Status,
    /// Status in the second image.
    pub b: Status,
}

/// Two images side by side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Comparison {
    /// The first image.
    pub a: Summary,
    /// The second image.
    pub b: Summary,
    /// Every rule, in catalog order.
    pub rules: Vec<RuleRow>,
}

impl Comparison {
    /// The rules whose status differs between the images.
    pub fn differing(&self) -> impl Iterator<Item = &RuleRow> {
        self.rules.iter().filter(|row| row.a != row.b)
    }
}

/// Compares image `a` (checked as `a_report`) with image `b` (checked as `b_report`).
pub fn compare(a: &ImageView, a_report: &Report, b: &ImageView, b_report: &Report) -> Comparison {
    let rules = a_report
        .findings
        .iter()
        .map(|fa| RuleRow {
            rule: fa.rule.clone(),
            title: fa.title.clone(),
            a: fa.status,
            b: b_report
                .findings
                .iter()
                .find(|fb| fb.rule == fa.rule)
                .map_or(Status::NotApplicable, |fb| fb.status),
        })
        .collect();
    Comparison {
        a: Summary::of(a, a_report),
        b: Summary::of(b, b_report),
        rules,
    }
}
