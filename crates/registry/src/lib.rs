//! The OCI distribution client of buckle: push, pull and mirror images with what is
//! attached to them, against any registry that speaks the OCI distribution spec (or
//! docker's registry API v2).
//!
//! This crate owns:
//! - [`Reference`]: `HOST[:PORT]/REPOSITORY[:TAG][@sha256:HEX]`, checked against the
//!   distribution spec's grammar;
//! - [`Registry`]: one registry host over https (the host's CA store plus an optional
//!   private CA) or, with `insecure`, plain HTTP to loopback only; authentication
//!   (anonymous, `Basic`, the bearer token flow a `WWW-Authenticate` challenge
//!   starts) with credentials from [`CredentialStore`] (`BUCKLE_REGISTRY_USER` and
//!   `BUCKLE_REGISTRY_PASSWORD`, docker's `config.json` with `auths`, `credHelpers`
//!   and `credsStore`);
//! - blobs (HEAD to skip, cross-repository mount, monolithic and chunked uploads,
//!   interrupted uploads resumed from a session remembered on disk) and manifests
//!   (OCI and Docker media types, by digest, then tags);
//! - referrers: the referrers API, else the referrers tag schema (`sha256-<hex>`)
//!   that [`push`] keeps up to date, and cosign's `sha256-<hex>.sig`/`.att`/`.sbom`
//!   tags carried along;
//! - tags: the tag list, and which tags name a manifest;
//! - [`push`], [`pull`], [`mirror`] and [`pull_cached`], reporting through
//!   [`Reporter`].
//!
//! It reads and writes OCI layouts through `buckle-oci`, sends every request through
//! `buckle-http`, and checks every blob and manifest against its digest with
//! `buckle-digest` before it is written into place. Signing and the formats of
//! attached documents are `buckle-sign`'s; this crate moves them as opaque manifests.
//!
//! # Example
//!
//! ```no_run
//! use buckle_registry::{pull, Options, PullOptions, Reference, Registry, NoReporter};
//!
//! let source: Reference = "127.0.0.1:5000/hardened/static:latest".parse()?;
//! let options = Options { insecure: true, ..Options::default() };
//! let registry = Registry::connect(&source.registry, &options)?;
//! let report = pull(&registry, &source, "out/static".as_ref(), PullOptions::default(), &NoReporter)?;
//! println!("{} blobs, {}", report.blobs, report.digest);
//! # Ok::<(), buckle_registry::Error>(())
//! ```
#![deny(missing_docs)]

mod auth;
mod blobs;
mod cache;
mod client;
mod error;
mod graph;
mod manifests;
mod mirror;
mod pull;
mod push;
mod reference;
mod referrers;
mod reporter;
mod tags;
mod transfer;

pub use auth::{token_from_answer, Challenge, CredentialStore, Credentials};
pub use cache::pull_cached;
pub use client::{Options, Registry};
pub use error::{Error, Result};
pub use manifests::{Manifest, ManifestHead, MAX_MANIFEST};
pub use mirror::{mirror, MirrorReport};
pub use pull::{pull, PullOptions, PullReport};
pub use push::{push, PushOptions, PushReport};
pub use reference::{check_tag, is_loopback_host, sanitize_tag, Reference};
pub use referrers::{
    cosign_subject, cosign_tag, referrer_descriptor, referrers_tag, ReferrersSource, COSIGN_SUFFIXES,
};
pub use reporter::{BlobOutcome, NoReporter, Reporter};
pub use tags::MAX_TAGS_RESOLVED;
