//! Image specs and lockfiles: the two files a buckle user edits and commits.
//!
//! This crate owns the spec format ([`Spec`], read from TOML with
//! [`Spec::parse`]) and the lockfile format ([`Lock`], read with [`Lock::parse`] and
//! written byte-stably with [`Lock::to_toml`]), checks every value once into its type
//! and reports problems at `file:line:column`, and compares two locks ([`diff`]). It
//! does no I/O: callers read files and pass the text in. Resolving a spec into a lock is
//! `buckle-resolve`'s job; finding the host's mirrors is `buckle-archive`'s.
//!
//! # Example
//!
//! ```
//! use buckle_spec::{Spec, Variant};
//!
//! let text = r#"
//! name = "python"
//! packages = ["python3", "ca-certificates"]
//! [dev]
//! packages = ["bash"]
//! "#;
//! let spec = Spec::parse(text, "python.toml").unwrap();
//! assert_eq!(spec.roots(Variant::Dev).len(), 3);
//! assert_eq!(spec.image.user.oci(), "65532:65532");
//!
//! let err = Spec::parse("name = \"python\"\npakages = []\n", "python.toml").unwrap_err();
//! assert_eq!(err.to_string(), "python.toml:2:1: unknown key `pakages`");
//! assert_eq!(err.hint().unwrap(), "did you mean `packages`?");
//! ```
#![deny(missing_docs)]

mod app;
mod config;
pub mod diff;
mod error;
mod input;
mod lock;
mod model;
mod names;
mod parse;
mod suggest;
mod upstream;

pub use app::{App, AppFiles, AppImage, AppSpec, AppTest, BaseRef, Dependencies, HttpProbe, SpecKind};
pub use buckle_debian::{Component, MirrorUrl, NameError, PoolPath, Suite};
pub use config::{Check, ImageConfig, SmokeTest, User, NONROOT_ID};
pub use error::{Error, Location, Result};
pub use lock::{IndexFile, IndexPath, Lock, LockedPackage, LockedUpstream, SuiteState, LOCK_VERSION};
pub use model::{Distribution, Exclude, Keyring, Mirror, Source, Spec, Variant};
pub use names::ImageName;
pub use upstream::{Checksums, EndOfLife, Upstream, UpstreamOrigin};
