//! buckle-deploy against what it writes: generation, the lint corpus, the factory; with
//! feature `validators`, the real validators (kustomize, kubernetes-validate, checkov).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod factory;
mod generate;
mod lint;
mod support;
#[cfg(feature = "validators")]
mod validators;
