//! Debian packages in, a hardened OCI image out.
//!
//! This crate owns the arrows between a verified set of `.deb` files and an image, one
//! module each:
//!
//! - [`deb`] (unpack): a `.deb`'s ar container, control files and data tar, every
//!   entry checked by `buckle_oci`'s safe tar reader;
//! - [`tree`] (assemble): one file tree from all packages, merged `/usr`, conflicts
//!   between packages unless declared;
//! - [`harden`]: the seatbelt defaults (nonroot, no setuid, no docs, CA bundle,
//!   ld.so.cache, dpkg status.d, no shell in runtime images);
//! - [`layer`]: deterministic layers grouped by source package;
//! - [`build`]: all of the above into an OCI layout, and the multi-arch index;
//! - [`cache`]: finished layers by what went into them, so a rebuild compresses only
//!   what changed.
//!
//! Apart from [`cache`] it does no I/O of its own: `.deb` bytes come in as readers
//! (the CLI opens the verified cache files that `buckle-archive` fills), blobs go out
//! through `buckle_oci`'s layout writer, and `SOURCE_DATE_EPOCH` is a parameter. Resolving
//! which packages to install is `buckle-resolve`'s job.
//!
//! # Example
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use buckle_image::deb::{read_deb, Limits};
//! use buckle_image::harden::{harden, HardenOptions, OsRelease};
//! use buckle_image::tree::Tree;
//! use buckle_spec::Variant;
//! use buckle_testkit::deb::DebBuilder;
//!
//! let bytes = DebBuilder::new("hello", "1.0-1", "amd64")
//!     .file("bin/hello", b"#!hello\n", 0o4755)
//!     .build();
//! let deb = read_deb("hello_1.0-1_amd64.deb", &bytes[..], &Limits::default())?;
//! let mut tree = Tree::new();
//! tree.add_package(deb, &[])?;
//! tree.link_merged_usr();
//! let options = HardenOptions {
//!     arch: "amd64".parse()?,
//!     variant: Variant::Runtime,
//!     os_release: OsRelease::debian("13", "trixie"),
//!     extra_certificates: Vec::new(),
//!     tzdata: false,
//! };
//! harden(&mut tree, &options)?;
//! let hello = tree.get(&"usr/bin/hello".parse()?).expect("merged /usr moved it");
//! assert_eq!(hello.mode, 0o755, "setuid stripped");
//! assert!(tree.get(&"var/lib/dpkg/status.d/hello".parse()?).is_some());
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

pub mod build;
pub mod cache;
mod content;
pub mod deb;
mod error;
pub mod harden;
pub mod layer;
#[cfg(test)]
mod testing;
pub mod tree;
pub mod upstream;

pub use content::Content;
pub use error::{Error, Result};
