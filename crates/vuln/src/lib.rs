//! Vulnerability matching for Debian-based images: which known vulnerabilities apply
//! to the installed packages, which are fixed in the archive, which are known to be
//! exploited, and what the user has said does not apply.
//!
//! This crate owns the data model and the arrows between plain values:
//! - readers for each feed: [`Changelog`] (deb-changelog(5), with mentions that are not
//!   fixes told apart), [`tracker`] (Debian security tracker JSON), [`osv`] (OSV Debian
//!   records), [`kev`] (CISA KEV catalog), [`epss`] (FIRST EPSS CSV);
//! - [`SourceHistory`]: the release's newest archive version of a source package and
//!   its changelog; [`newest_sources`] picks that version by dpkg order across suites;
//! - [`scan()`]: installed packages + [`Database`] -> [`Finding`]s, by source package and
//!   dpkg version order per release;
//! - [`vex`]: OpenVEX statements in, applied to findings, OpenVEX and CycloneDX VEX out;
//!   [`sarif`]: findings as SARIF 2.1.0 for GitHub code scanning.
//!
//! It does no I/O: fetching `.deb`s, downloading feeds and the feed store on disk are
//! `buckle-feeds`'s; reading images is `buckle-oci`'s and `buckle-sbom`'s.
//!
//! # Example
//!
//! ```
//! use buckle_vuln::{scan, Changelog, Database, Installed, SourceHistory};
//!
//! let changelog = Changelog::parse(
//!     "freetype (2.12.1+dfsg-5+deb12u4) bookworm-security; urgency=high\n\n  \
//!      * Minimal stop-gap fix for CVE-2025-27363\n\n -- M <m@example.org>  Mon, 17 Mar 2025 10:00:00 +0100\n\n\
//!      freetype (2.12.1+dfsg-5+deb12u3) bookworm; urgency=medium\n\n  * Fix a crash\n\n \
//!      -- M <m@example.org>  Mon, 17 Feb 2025 10:00:00 +0100\n",
//! )?;
//! let mut db = Database::new();
//! db.add_history(SourceHistory {
//!     release: "bookworm".parse()?,
//!     source: "freetype".parse()?,
//!     version: "2.12.1+dfsg-5+deb12u4".parse()?,
//!     suite: "bookworm-security".into(),
//!     binary: "libfreetype6".parse()?,
//!     binary_version: "2.12.1+dfsg-5+deb12u4".parse()?,
//!     deb_sha256: None,
//!     changelog_path: "usr/share/doc/libfreetype6/changelog.Debian.gz".into(),
//!     changelog,
//! });
//! let installed = Installed {
//!     name: "libfreetype6".parse()?,
//!     version: "2.12.1+dfsg-5+deb12u3".parse()?,
//!     arch: "amd64".parse()?,
//!     source: "freetype".parse()?,
//!     source_version: "2.12.1+dfsg-5+deb12u3".parse()?,
//!     purl: None,
//! };
//! let findings = scan(&db, &"bookworm".parse()?, &[installed]);
//! assert_eq!(findings[0].id.as_str(), "CVE-2025-27363");
//! assert_eq!(findings[0].fixed.as_ref().unwrap().as_str(), "2.12.1+dfsg-5+deb12u4");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

mod advisory;
pub mod changelog;
pub mod epss;
mod error;
mod history;
mod id;
pub mod kev;
pub mod osv;
pub mod packages;
mod release;
pub mod sarif;
mod scan;
pub mod tracker;
pub mod vex;

pub use advisory::{Advisory, Epss, EpssScore, Kev, KevEntry, Severity, State};
pub use changelog::{Changelog, Entry, Mention, MentionKind, NotAFix};
pub use error::{Error, Result};
pub use history::{changelog_paths, newest_sources, ChangelogFix, Newest, SourceHistory, Split};
pub use id::{find_ids, IdKind, VulnId};
pub use packages::{scan_packages, AppInstalled, PackageAdvisory, PackageFinding};
pub use release::Release;
pub use scan::{scan, Available, Database, Evidence, Finding, Installed};
pub use vex::{apply, Decided, Justification, Presence, VexDecision, VexStatement, VexStatus};
