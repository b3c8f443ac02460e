//! Software bills of materials for buckle images and any other Debian-based image.
//!
//! This crate owns the one package model ([`SbomInput`], [`PackageFacts`],
//! [`FileFacts`]) and the arrows around it:
//! - [`dpkg`]: the dpkg metadata found in an image (`/var/lib/dpkg/status`,
//!   `status.d/`, md5sums, copyright files) -> package and file facts;
//! - [`LicenseInfo::from_copyright`]: a machine-readable copyright file -> an SPDX
//!   license expression, or NOASSERTION (free text is never guessed at);
//! - [`spdx`]: facts -> SPDX 2.3 JSON; [`cyclonedx`]: facts -> CycloneDX 1.6 JSON
//!   ([`Format`] picks one by its CLI name and gives its media type);
//! - [`attach_debs`]: the lock's `.deb` digests and URLs onto the facts of a buckle image.
//!
//! It is pure: files come in through the [`dpkg::ImageFiles`] trait that the caller backs
//! (with `buckle-oci`'s merged layer view, or a map), documents go out as bytes, and
//! nothing reads the clock: times come from the image config, identifiers from digests.
//! Reading images is `buckle-oci`'s job; the lock and writing SBOMs into a layout belong
//! to the CLI.
//!
//! # Example
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use buckle_sbom::dpkg::{self, Detail};
//! use buckle_sbom::{spdx, ImageSubject, SbomInput};
//! use std::collections::BTreeMap;
//!
//! let mut image: BTreeMap<String, Vec<u8>> = BTreeMap::new();
//! image.insert(
//!     "/var/lib/dpkg/status.d/tzdata".into(),
//!     b"Package: tzdata\nVersion: 2025b-4\nArchitecture: all\n".to_vec(),
//! );
//! image.insert("/etc/os-release".into(), b"ID=debian\nVERSION_ID=13\n".to_vec());
//!
//! let found = dpkg::collect(&image, Detail::Packages)?;
//! let input = SbomInput {
//!     image: ImageSubject {
//!         name: "base".into(),
//!         digest: buckle_digest::Sha256::of(b"the manifest"),
//!         created: Some("2025-08-09T10:11:12Z".into()),
//!         architecture: "amd64".into(),
//!         os_release: found.os_release,
//!     },
//!     packages: found.packages,
//!     files: found.files,
//!     upstream: Vec::new(),
//!     app: None,
//! };
//! let document = String::from_utf8(spdx::write(&input)?)?;
//! assert!(document.contains("pkg:deb/debian/tzdata@2025b-4?arch=all&distro=debian-13"));
//! assert_eq!(spdx::write(&input)?, document.into_bytes(), "same input, same bytes");
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod app;
pub mod cyclonedx;
pub mod dpkg;
mod error;
#[cfg(test)]
mod fixture;
mod format;
mod json;
mod license;
mod model;
mod purl;
pub mod read;
pub mod spdx;

pub use app::{AppEcosystem, AppFacts, AppPackageFacts, APP_PACKAGES};
pub use error::{Duplicate, Error, ReadError, Result};
pub use format::Format;
pub use license::{LicenseExpression, LicenseInfo};
pub use model::{
    attach_debs, DebOrigin, FileFacts, ImageSubject, OsRelease, PackageFacts, PackageKey, SbomInput, Sha1,
    UpstreamFacts,
};
pub use purl::build as package_url;
pub use purl::decode as decode_purl_component;
