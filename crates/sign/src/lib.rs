//! Signatures and attestations for OCI images that cosign and other sigstore clients
//! verify, and verification of them.
//!
//! This crate owns:
//! - [`key`]: ECDSA P-256 key pairs in cosign's files (the private key encrypted with a
//!   password by [`encrypted`]: scrypt + NaCl secretbox), so keys move between buckle
//!   and cosign both ways;
//! - [`statement`]: in-toto Statement v1; [`provenance`]: the SLSA Provenance v1
//!   predicate of a buckle build (spec, lock, every InRelease and `.deb`);
//!   [`sbom_predicate`]: SPDX and CycloneDX documents as predicates;
//!   [`vuln_predicate`]: cosign's vulnerability scan record (the findings come from
//!   `buckle-vuln` through the CLI);
//! - [`dsse`]: DSSE envelopes (PAE, sign, verify); [`simple_signing`]: cosign's
//!   signature payload;
//! - [`attach`]: both ways of attaching them to an image in an OCI layout, cosign's tag
//!   scheme (`sha256-<hex>.sig`, `.att`) and OCI 1.1 referrers;
//! - [`sign`]: which images of a layout to sign, and signing one; [`verify`]: every
//!   check for every image, as a report; [`policy`]: what verification requires.
//!
//! It does no I/O of its own beyond `buckle-oci`'s layout reads and writes: key files,
//! passwords, specs and locks come in as values (the CLI reads them), randomness comes
//! in as an RNG, and times as strings. SBOM documents are written by `buckle-sbom`;
//! pushing to a registry is `buckle-registry`'s job.
//!
//! # Example
//!
//! ```
//! use buckle_sign::dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE};
//! use buckle_sign::key::{PrivateKey, PublicKey};
//!
//! let key = PrivateKey::generate(&mut rand_core::OsRng);
//! let envelope = Envelope::sign(IN_TOTO_PAYLOAD_TYPE, br#"{"_type":"..."}"#, &key);
//! let public = PublicKey::from_pem(&key.public_key().to_pem()).unwrap();
//! assert_eq!(envelope.verify(&public).unwrap(), br#"{"_type":"..."}"#);
//! ```
#![deny(missing_docs)]

pub mod attach;
pub mod dsse;
pub mod encrypted;
mod error;
pub mod key;
mod package_set;
pub mod policy;
pub mod provenance;
pub mod sbom_predicate;
pub mod sign;
pub mod simple_signing;
pub mod statement;
pub mod verify;
pub mod vuln_predicate;

pub use error::{Error, Result};
pub use package_set::{PackageId, PackageSet};
