//! Continuous patching: what an archive update means for each image, in which order
//! to rebuild, what to tell people about it, and when to look again.
//!
//! This crate owns the arrows after a relock:
//! - [`classify()`]: a lock diff ([`buckle_spec::diff`]) and the vulnerability findings
//!   of the committed packages ([`buckle_vuln::scan`], with the new versions'
//!   changelogs in the database) -> [`PackageChange`]s: security fix (with the ids it
//!   fixes, their KEV entries, EPSS scores and evidence), point release, or other;
//! - [`plan`]: [`ImageUpdate`]s in the order to do them, [`most_urgent_first`]: KEV,
//!   then severity, then EPSS;
//! - [`Advisory`]: the record of one rebuilt image (old and new digest, packages, fixes,
//!   when the fix was published and when the image was pushed: the patch latency), as
//!   JSON and Markdown;
//! - [`watch`]: the long-running loop's schedule (interval, backoff while the mirror or
//!   registry is down) and the [`Status`] it reports.
//!
//! It does no I/O and reads no clock: relocking, fetching, building, signing, pushing,
//! the feed store, signals and files are the CLI's (`buckle update`), and times come in
//! as seconds since 1970.
//!
//! # Example
//!
//! ```
//! use buckle_patch::{classify, ChangeKind, ImageUpdate};
//! use buckle_spec::{diff::diff, Lock, Variant};
//!
//! let lock = |version: &str, sha: &str| Lock::parse(&format!(r#"
//! version = 1
//! spec-sha256 = "{zero}"
//! source-date-epoch = 0
//! [[images.amd64.runtime]]
//! name = "libfoo1"
//! version = "{version}"
//! architecture = "amd64"
//! source = "foo"
//! source-version = "{version}"
//! suite = "trixie"
//! path = "pool/main/f/foo/libfoo1_{version}_amd64.deb"
//! size = 100
//! sha256 = "{sha}"
//! "#, zero = "0".repeat(64)), "x.lock").unwrap();
//! let old = lock("1.0-1", &"1".repeat(64));
//! let new = lock("1.0-2", &"2".repeat(64));
//! let update = ImageUpdate {
//!     image: "hello".into(),
//!     spec: "hello.toml".into(),
//!     variant: Variant::Runtime,
//!     changes: classify(&diff(&old, &new).images, &[], &[]),
//! };
//! assert_eq!(update.changes[0].kind, ChangeKind::PointRelease);
//! assert!(!update.urgency().kev);
//! ```
#![deny(missing_docs)]

pub mod advisory;
mod classify;
mod error;
pub mod plan;
#[cfg(test)]
mod testing;
mod variant;
pub mod watch;

pub use advisory::{Advisory, Publication};
pub use classify::{classify, ChangeKind, Fix, PackageChange, SuiteDate};
pub use error::{Error, Result};
pub use plan::{most_urgent_first, ImageUpdate, Urgency};
pub use watch::{Interval, Status, TickOutcome, Watch};
