//! Signing and attesting buckle images (work in progress).
#![deny(missing_docs)]

pub mod dsse;
pub mod encrypted;
mod error;
pub mod key;
pub mod simple_signing;
pub mod statement;

pub use error::{Error, Result};
