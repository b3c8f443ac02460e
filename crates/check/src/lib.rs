//! Hardening checks for any OCI image: findings, a score, policies, reports.
//!
//! This crate owns the `check` arrow of buckle's data flow: an [`ImageView`] (config,
//! layers, final file system, attachments) and a [`Policy`] go in, a [`Report`] comes
//! out, with one [`Finding`] per rule of the [`rules::catalog`]. It also writes the
//! report as SARIF 2.1.0 ([`sarif`]) and puts two images side by side ([`compare()`]).
//!
//! It does no I/O of its own. [`ImageView::from_oci`] reads an image through
//! `buckle-oci`, which opens the layout or docker archive and checks every digest;
//! [`Attachments::from_layout`] asks `buckle-oci`'s [`Layout`](buckle_oci::layout::Layout)
//! for referrers. Reading policy files and printing reports is the CLI's job.
//!
//! # Score
//!
//! `score = max(0, 100 - Σ deduction)`, where a rule that fails deducts its weight, a
//! rule that warns deducts half its weight rounded down, and a rule that passes, does
//! not apply, is disabled or is excepted by the policy deducts nothing. Each rule is
//! judged once however many files it finds, so the score says how many kinds of
//! problem an image has, weighted by how bad they are. Default weights come with the
//! rule (critical rules 30, high 20, medium 10, low 4, info 0); a policy may change
//! severities and weights. [`Report::explanation`] spells the sum out.
//!
//! # Example
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use buckle_check::{check, FileView, ImageView, Policy, Status};
//! use buckle_oci::tar::Entry;
//! use buckle_oci::ContainerConfig;
//!
//! // Views usually come from `ImageView::from_oci`; this one is built by hand.
//! let mut view = ImageView::default();
//! view.config.config = Some(ContainerConfig { user: Some("nonroot".into()), ..ContainerConfig::default() });
//! let passwd = b"root:x:0:0::/root:/sbin/nologin\nnonroot:x:65532:65532::/home/nonroot:/sbin/nologin\n";
//! let passwd = FileView::new(Entry::file("etc/passwd".parse()?, 0o644, passwd.len() as u64), 0).with_content(passwd);
//! let su = FileView::new(Entry::file("usr/bin/su".parse()?, 0o4755, 10), 0);
//! for file in [passwd, su] {
//!     view.files.insert(file.entry.path.clone(), file);
//! }
//!
//! let report = check(&view, &Policy::default());
//! let status = |rule: &str| report.findings.iter().find(|f| f.rule == rule).map(|f| f.status);
//! assert_eq!(status("BKL-USER-ROOT"), Some(Status::Pass));
//! assert_eq!(status("BKL-SETUID"), Some(Status::Fail));
//! assert!(report.explanation().starts_with("100 - 20 (BKL-SETUID fail)"));
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod accounts;
mod check;
pub mod compare;
mod error;
mod glob;
mod packages;
mod pem;
pub mod policy;
mod report;
pub mod rules;
pub mod sarif;
mod view;

pub use check::{check, check_at};
pub use compare::{compare, Comparison, RuleRow, Summary};
pub use error::{Error, Result};
pub use policy::Policy;
pub use report::{AppliedException, Evidence, Finding, Report, Severity, Status};
pub use view::{
    absolute, keeps_content, Attachment, AttachmentKind, Attachments, FileView, ImageView, LayerView,
    NoReporter, Reporter, Variant, DEBUG_LABEL, EOL_LABEL, HEAD_BYTES, MAX_KEPT_CONTENT, MAX_SCANNED_CONTENT,
    VARIANT_LABEL,
};
