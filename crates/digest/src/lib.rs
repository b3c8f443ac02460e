//! SHA-256 digests, the currency of buckle's chain of trust.
//!
//! This crate owns the [`Sha256`] newtype (parsed once from hex or from an OCI
//! `sha256:<hex>` string), [`Hasher`] for computing a digest and a size while bytes
//! stream through, and [`VerifyingReader`], which fails the read that reaches the end
//! of input when the bytes seen do not have the expected digest or size. It does no
//! I/O of its own: callers hand it readers and writers.
//!
//! # Example
//!
//! ```
//! use buckle_digest::{Sha256, VerifyingReader};
//! use std::io::Read;
//!
//! let expected = Sha256::of(b"hello");
//! let mut out = Vec::new();
//! VerifyingReader::new(&b"hello"[..], expected, Some(5))
//!     .read_to_end(&mut out)
//!     .unwrap();
//! assert_eq!(out, b"hello");
//! assert!(VerifyingReader::new(&b"hellO"[..], expected, Some(5))
//!     .read_to_end(&mut Vec::new())
//!     .is_err());
//! ```
#![deny(missing_docs)]

mod error;
mod sha256;
mod stream;

pub use error::{Error, Result};
pub use sha256::Sha256;
pub use stream::{Hasher, HashingReader, HashingWriter, Mismatch, VerifyingReader};
