//! Dependency resolution: which Debian packages an image needs, and why.
//!
//! This crate owns the closure over a [`Universe`] of binary packages (one target
//! architecture plus `all`, from every configured suite): `Depends` and `Pre-Depends`
//! (never `Recommends` or `Suggests`), alternatives, virtual packages through
//! `Provides` (versioned too), every version operator, `:any` with `Multi-Arch`, pins
//! from an existing lock, and the spec's cuts ([`buckle_spec::Exclude`]). It explains
//! failures with the chain from a root, and answers "why is this package here"
//! ([`why()`]). It does no I/O: `buckle-archive` loads the packages and the caller
//! builds the [`Universe`]; the result converts into lockfile entries
//! ([`Resolution::locked`]).
//!
//! # Example
//!
//! ```
//! use buckle_debian::{deb822, BinaryPackage};
//! use buckle_resolve::{resolve, why, Pins, Universe};
//!
//! let index = "Package: python3\nVersion: 3.13.5-1\nArchitecture: amd64\nDepends: libc6 (>= 2.38)\n\n\
//!              Package: libc6\nVersion: 2.41-12\nArchitecture: amd64\n";
//! let packages = deb822::paragraphs(index)
//!     .map(|p| ("trixie".parse().unwrap(), BinaryPackage::from_paragraph(&p.unwrap()).unwrap()));
//! let universe = Universe::new("amd64".parse().unwrap(), packages);
//! let roots = ["python3".parse().unwrap()];
//! let resolution = resolve(&universe, &roots, &[], &Pins::new()).unwrap();
//! assert_eq!(resolution.packages.len(), 2);
//! let chain = why(&resolution, &"libc6".parse().unwrap()).unwrap();
//! assert_eq!(chain.to_string(), "python3 -> libc6");
//! ```
#![deny(missing_docs)]

mod closure;
mod error;
mod resolution;
mod universe;
mod why;

pub use closure::resolve;
pub use error::{Error, Result, Unsatisfiable};
pub use resolution::{pins_from_lock, Cut, Field, NameComparison, Need, Pins, Resolution, Selected};
pub use universe::{Candidate, Universe};
pub use why::{why, Chain, Step};
