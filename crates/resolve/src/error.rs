//! Why a set of roots could not be resolved.

use buckle_debian::{Arch, PackageName};
use buckle_spec::{NameError, Suite};
use std::borrow::Cow;
use std::fmt;

/// Why resolution failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A root that no configured suite has, as a package or a virtual package.
    #[error("root package `{root}` is not in {} for `{arch}`", list(suites))]
    UnknownRoot {
        /// The root.
        root: PackageName,
        /// The target architecture.
        arch: Arch,
        /// The suites searched.
        suites: Vec<Suite>,
        /// A close real package name.
        suggestion: Option<PackageName>,
    },
    /// A dependency that nothing in the universe satisfies.
    #[error("{0}")]
    Unsatisfiable(Box<Unsatisfiable>),
    /// A chosen package without a download fact, so it cannot go into a lock.
    #[error("`{package}` {version} has no `{field}` field, so it cannot be locked")]
    NotLockable {
        /// The package.
        package: PackageName,
        /// Its version, as written.
        version: String,
        /// The missing field.
        field: &'static str,
    },
    /// A chosen package whose relation field does not parse.
    #[error("`{package}` {version} has a bad `{field}` field")]
    BadRelation {
        /// The package.
        package: PackageName,
        /// Its version, as written.
        version: String,
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        #[source]
        source: buckle_debian::Error,
    },
    /// A chosen package whose `Filename` is not a safe pool path.
    #[error("`{package}` {version} has an unusable `Filename`")]
    PoolPath {
        /// The package.
        package: PackageName,
        /// Its version, as written.
        version: String,
        /// What is wrong with the path.
        #[source]
        source: NameError,
    },
}

impl Error {
    /// What the user can do about it.
    pub fn hint(&self) -> Option<Cow<'static, str>> {
        match self {
            Error::UnknownRoot {
                suggestion: Some(s),
                ..
            } => Some(format!("did you mean `{s}`?").into()),
            Error::UnknownRoot { .. } => Some(
                "check the name in the suites' Packages indexes, and the spec's `distribution` and `[[source]]`".into(),
            ),
            Error::Unsatisfiable(u) => Some(
                format!(
                    "if the image works without `{}`, cut it with an [[exclude]] in the spec; if the archive is mid-sync, retry later",
                    u.relation
                )
                .into(),
            ),
            Error::BadRelation { .. } => Some("the archive serves a malformed stanza for it: cut it with an [[exclude]] if the image works without it, or report it to the archive".into()),
            Error::NotLockable { .. } | Error::PoolPath { .. } => None,
        }
    }
}

/// A dependency nothing satisfies, with the chain that led to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsatisfiable {
    /// Root first, ending with the package whose relation fails.
    pub path: Vec<PackageName>,
    /// The failing relation as written, with its alternatives.
    pub relation: String,
    /// The suites searched.
    pub suites: Vec<Suite>,
    /// What the suites do have under those names (versions, and providers).
    pub available: Vec<String>,
    /// Other requirements on the same packages, met earlier, that ruled out the versions
    /// that would have fit: each relation with the chain that asked for it.
    pub also: Vec<(String, Vec<PackageName>)>,
}

impl fmt::Display for Unsatisfiable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.path {
            write!(f, "{p} -> ")?;
        }
        write!(
            f,
            "{}: no version in {} satisfies it; available: {}",
            self.relation,
            list(&self.suites),
            available(&self.available)
        )?;
        for (relation, path) in &self.also {
            let chain: Vec<&str> = path.iter().map(PackageName::as_str).collect();
            write!(
                f,
                "; it must also satisfy `{relation}` for {}",
                chain.join(" -> ")
            )?;
        }
        Ok(())
    }
}

/// How many available versions a message lists before "and N more".
const AVAILABLE_SHOWN: usize = 8;

fn available(items: &[String]) -> String {
    match items.len() {
        0 => "none".to_owned(),
        n if n <= AVAILABLE_SHOWN => items.join(", "),
        n => format!(
            "{} and {} more",
            items.get(..AVAILABLE_SHOWN).unwrap_or_default().join(", "),
            n - AVAILABLE_SHOWN
        ),
    }
}

fn list(suites: &[Suite]) -> String {
    if suites.is_empty() {
        return "no suite".to_owned();
    }
    suites.iter().map(Suite::as_str).collect::<Vec<_>>().join(", ")
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
