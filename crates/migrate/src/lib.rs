//! `buckle migrate`: a Dockerfile rewritten onto buckle images, as data plus a report.
//!
//! [`migrate`] maps each stage's base image to the catalog (through [`Mapping`], a data
//! file built in and extendable), turns the final stage's `apt-get install` (or `apk
//! add`) into a generated spec, moves the final stage's RUN steps into a build stage
//! on the `-dev` variant and brings their results over with `COPY --from`, sets USER
//! 65532, and writes shell-form ENTRYPOINT/CMD as exec form when they are plain words.
//! Every change carries its reason in the [`Report`]; what the tool cannot decide is
//! listed as needing a person. No I/O: the caller reads and writes the files.
//!
//! # Example
//!
//! ```
//! use buckle_migrate::{migrate, Mapping, Options};
//!
//! let options = Options { registry: "registry.example/buckle".into(), spec_name: "app".into(), file: "Dockerfile".into() };
//! let migration = migrate("FROM python:3.12-slim\nCOPY app.py /app/\nCMD python3 /app/app.py\n", &Mapping::builtin(), &options).unwrap();
//! assert_eq!(
//!     migration.dockerfile,
//!     "FROM registry.example/buckle/python\nCOPY app.py /app/\nENTRYPOINT []\nCMD [\"python3\", \"/app/app.py\"]\nUSER 65532\n"
//! );
//! assert!(migration.report.needs_person.is_empty());
//! ```
#![deny(missing_docs)]

mod catalog;
mod error;
mod mapping;
mod report;
mod rewrite;
mod shell;

pub use error::Error;
pub use mapping::{DebianName, Exclude, ImageRule, Mapping, Notice};
pub use report::{Change, Finding, Report, SpecReport, StageReport};
pub use rewrite::{migrate, spec_name, GeneratedSpec, Migration, Options, DEFAULT_REGISTRY};
