//! The vulnerability feeds buckle scans with, kept on disk with the date and source of
//! each.
//!
//! - [`archive`]: the Debian archive itself, always reachable where builds are: the
//!   changelogs of the newest versions in each release's update suites name the
//!   vulnerabilities they fix (read from the `.deb`s, cached by their SHA256);
//! - [`import()`]: files downloaded elsewhere (tracker JSON, OSV zip, KEV JSON, EPSS CSV);
//! - [`remote`]: the same files fetched from where they are published;
//! - [`Store`]: one JSON file per feed kind and an index, written atomically.
//!
//! Parsing and matching are `buckle-vuln`'s; this crate does the I/O: the network
//! through `buckle-archive` and `buckle-http`, the disk under the cache directory it is
//! given. The clock comes in as parameters.
//!
//! # Example
//!
//! ```
//! use buckle_feeds::{import, FeedKind, Store};
//!
//! let cache = tempfile::tempdir()?;
//! let kev = cache.path().join("kev.json");
//! std::fs::write(&kev, r#"{"title": "KEV", "catalogVersion": "2025.08.25", "dateReleased": "2025-08-25",
//!   "count": 1, "vulnerabilities": [{"cveID": "CVE-2024-38475", "vulnerabilityName": "mod_rewrite",
//!   "dateAdded": "2025-05-01", "dueDate": "2025-05-22", "knownRansomwareCampaignUse": "Unknown"}]}"#)?;
//! let store = Store::new(cache.path());
//! let stored = import(&store, &[kev], 1_756_000_000)?;
//! assert_eq!(stored[0].kind, FeedKind::Kev);
//! let loaded = store.load()?;
//! assert!(loaded.database.kev(&"CVE-2024-38475".parse()?).is_some());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

pub mod archive;
mod error;
mod import;
pub mod remote;
mod store;

pub use error::{Error, Result};
pub use import::import;
pub use store::{write_atomically, CachedChangelog, FeedInfo, FeedKind, Loaded, Store};
