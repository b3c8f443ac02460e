//! Hardened Kubernetes deployment of buckle images.
//!
//! - [`base::generate`]: an image's OCI layout ([`ImageFacts`]) and a person's choices
//!   ([`DeployOptions`]) -> a kustomize base ([`Files`]) whose pods meet the Pod Security
//!   Standards "restricted" profile in every field, with the hardening that profile
//!   leaves out (read-only root, no service-account token, digest-pinned image,
//!   requests and limits, network probes, a deny-by-default NetworkPolicy).
//!
//! - [`lint::lint_paths`]: any workload manifests judged against the restricted profile
//!   as the pod-security admission controller judges them, plus the same hardening.
//!
//! - [`factory::generate_factory`]: the image factory itself as a CronJob of an Indexed
//!   Job, each pod one [`Shard`] of the catalog, and the same shards as a GitHub Actions
//!   matrix.
//!
//! Manifests are typed data ([`k8s`]) serialized to YAML; nothing here talks to a
//! cluster.
#![deny(missing_docs)]

pub mod base;
mod error;
pub mod factory;
mod files;
pub mod harden;
mod image;
pub mod k8s;
pub mod lint;
pub mod shard;

pub use base::{generate, Base, DeployOptions};
pub use error::{Error, Result};
pub use files::{Files, GeneratedFile};
pub use harden::{Health, Seccomp};
pub use image::ImageFacts;
pub use shard::Shard;
