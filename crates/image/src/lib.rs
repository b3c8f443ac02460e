//! Debian packages in, a hardened OCI image out.
//!
//! This crate owns the arrows between a verified set of `.deb` files and an image:
//! [`deb`] reads a package (ar container, control and data tars), ...
#![deny(missing_docs)]

pub mod build;
mod content;
pub mod deb;
mod error;
pub mod harden;
pub mod layer;
#[cfg(test)]
mod testing;
pub mod tree;

pub use content::Content;
pub use error::{Error, Result};
