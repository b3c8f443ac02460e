//! Debian's own data formats, parsed once at the edge into types that carry the rules.
//!
//! This crate owns [`deb822`] paragraphs (the format of Release, Packages and control
//! files), [`Version`] with dpkg's exact ordering, [`PackageName`], [`Arch`] and the
//! relation fields ([`relation`]: `Depends`, `Pre-Depends`, `Provides`, with
//! alternatives, version constraints and `:any` qualifiers), and the names of an
//! archive's layout ([`Suite`], [`Component`], [`PoolPath`], [`MirrorUrl`]). It does no I/O: repository
//! access lives in `buckle-archive`, dependency resolution in `buckle-resolve`.
//!
//! # Example
//!
//! ```
//! use buckle_debian::{deb822, relation, Version};
//!
//! let text = "Package: libc6\nVersion: 2.41-12\nDepends: libgcc-s1, libc-bin (>= 2.41)\n";
//! let paragraph = deb822::paragraphs(text).next().unwrap().unwrap();
//! let version: Version = paragraph.get("Version").unwrap().parse().unwrap();
//! assert!(version > "2.41-2".parse().unwrap());
//! let depends = relation::parse_relations(paragraph.get("Depends").unwrap()).unwrap();
//! assert_eq!(depends.len(), 2);
//! ```
#![deny(missing_docs)]

#[doc(hidden)]
pub use serde;

mod archive_names;
pub mod deb822;
mod error;
mod name;
mod package;
pub mod relation;
mod version;

pub use archive_names::{lower_word, Component, MirrorUrl, NameError, PoolPath, Suite};
pub use error::{Error, Result};
pub use name::{Arch, PackageName};
pub use package::{BinaryPackage, MultiArch, PackageError};
pub use version::Version;
