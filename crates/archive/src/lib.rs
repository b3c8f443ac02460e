//! The Debian repository client: every link of the chain of trust from the shipped
//! archive keys down to verified .deb bytes in a content-addressed cache.
//!
//! - [`keys`]: the Debian archive signing keys shipped inside buckle, custom keyrings;
//! - [`verify`]: InRelease's OpenPGP cleartext signature -> the signed Release text;
//! - [`release`]: Release fields and checks (suite, `Valid-Until`, rollback);
//! - [`packages`]: index choice (compression, by-hash), decoding, parallel parsing;
//! - [`cache`]: the content-addressed store, re-hashed on every read;
//! - [`mirror`]: the default mirrors from the host's apt configuration;
//! - [`fetch`]: [`Archive`], which ties them together over `buckle-http`;
//! - [`upstream`]: artifacts from outside Debian (npm packages, URLs with signed
//!   checksums), verified into the same cache.
//!
//! It does network and disk I/O (through `buckle-http` and the cache directory it is
//! given) and nothing else: the clock comes in as a `now` parameter, the cache root and
//! the apt configuration directory as paths. Parsing deb822, versions and relations is
//! `buckle-debian`'s; resolving dependencies is `buckle-resolve`'s.
//!
//! # Example
//!
//! ```
//! use buckle_archive::{Archive, Cache, Keyring, ReleaseDate};
//! use buckle_testkit::{keys::TestKey, repo::{RepoBuilder, SuiteBuilder, TestPackage}};
//!
//! // A signed repository on loopback HTTP, and a keyring trusting its key.
//! let key = TestKey::generate("archive");
//! let repo = RepoBuilder::new(&key)
//!     .suite(SuiteBuilder::new("trixie").package(TestPackage::new("hello", "2.10-3", "amd64")))
//!     .build();
//! let server = repo.serve();
//! let keyring = Keyring::from_bytes("test key", key.armored_public().as_bytes())?;
//!
//! let cache_dir = tempfile::tempdir().unwrap();
//! let archive = Archive::new(buckle_http::Client::new(), Cache::new(cache_dir.path()));
//! let now: ReleaseDate = "Sun, 22 Nov 2026 00:00:00 UTC".parse().unwrap();
//! let mirror = server.url().parse()?;
//! let trixie = archive.open_suite(&mirror, &"trixie".parse()?, &keyring, now, None)?;
//! let index = archive.packages(&trixie, &"main".parse()?, &"amd64".parse().unwrap())?;
//! assert_eq!(index.packages[0].name.as_str(), "hello");
//! # Ok::<(), buckle_archive::Error>(())
//! ```
#![deny(missing_docs)]

pub mod cache;
mod date;
mod error;
pub mod fetch;
pub mod keys;
pub mod mirror;
pub mod packages;
pub mod release;
pub mod upstream;
pub mod verify;

pub use cache::Cache;
pub use date::{DateError, ReleaseDate};
pub use error::{Error, Result};
pub use fetch::{
    verify_inrelease, Archive, DebFile, FetchSummary, NoReporter, PackagesIndex, Reporter, VerifiedRelease,
};
pub use keys::Keyring;
pub use mirror::{from_apt_config, AptMirrors};
pub use release::{Release, ReleaseChecks};
