//! Application dependencies from lockfiles, installed as pip and npm would, without
//! running any script.
//!
//! The crate turns an application's lockfile into a deterministic [`AppTree`] (paths
//! relative to the image root, root-owned, normalised modes) plus the facts about each
//! installed package ([`AppPackage`]) that an SBOM needs:
//!
//! - Python: a hashed requirements file (`pip-compile --generate-hashes`,
//!   `uv pip compile --generate-hashes`) is parsed ([`python::Requirements`]), its
//!   environment markers evaluated for the [`python::Target`], the best wheel for the
//!   target chosen from a PEP 691 JSON simple index ([`python::Index`]), checked
//!   against the hashes of the requirements file and installed
//!   ([`python::install_wheel`]): purelib/platlib, `.data` directories, a rewritten
//!   `RECORD`, console-script launchers for the image's interpreter.
//! - Node: a `package-lock.json` v2/v3 is parsed ([`node::PackageLock`]), each tarball
//!   checked against its `integrity` and unpacked at the lockfile's path
//!   ([`node::install`]); packages with install scripts are refused unless listed as
//!   shipping prebuilt binaries.
//!
//! Network access goes through `buckle-http` only; downloaded wheels are kept in the
//! content-addressed cache of `buckle-archive` (hashed while written, renamed into
//! place only when the digest matches). Everything else is plain data in, plain data
//! out: the index URL, registry, target and interpreter are parameters, never read
//! from the environment here.
//!
//! # Example
//!
//! ```
//! use buckle_app::python::{Requirements, Target};
//!
//! let text = "six==1.17.0 \\\n    --hash=sha256:4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274\n";
//! let target: Target = "3.13/amd64".parse().unwrap();
//! let requirements = Requirements::parse(text).unwrap();
//! let pins = requirements.for_target(&target).unwrap();
//! assert_eq!(pins[0].name.as_str(), "six");
//! ```
#![deny(missing_docs)]

mod assemble;
mod error;
mod ignore;
mod image;
pub mod init;
mod package;
mod project;
mod tree;

pub mod node;
pub mod python;

pub use assemble::{app_facts, app_layers};
pub use error::{Error, Result};
pub use ignore::IgnoreRules;
pub use image::{extend_image, AppLayer, ExtendedImage, RunConfig, WrittenLayer, APP_USER};
pub use package::{AppPackage, Ecosystem};
pub use project::{
    project_tree, read_ignore_rules, FileMapping, IGNORE_FILES, READ_ONLY_EXEC, READ_ONLY_FILE,
};
pub use tree::{AppNode, AppTree, NodeKind};
