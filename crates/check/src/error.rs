//! Errors for reading an image into a view and for reading a policy.

use std::borrow::Cow;

/// Why an image could not be checked or a policy could not be read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading the image through `buckle-oci` failed (bad tar, missing blob, digest
    /// mismatch, ...); the cause says which link broke.
    #[error("cannot read {what} of image `{image}`")]
    Image {
        /// The image's layout directory or archive file.
        image: String,
        /// What was being read (`layer 2`, `the referrers in index.json`).
        what: String,
        /// The cause.
        #[source]
        source: Box<buckle_oci::Error>,
    },
    /// A policy file that is not valid TOML, or has a key or value of the wrong kind.
    #[error("{origin}:{line}:{column}: {message}")]
    PolicySyntax {
        /// The policy file as the caller named it.
        origin: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the TOML parser said.
        message: String,
    },
    /// A policy value that parses but is not allowed (unknown rule, exception without a
    /// reason, bad glob, minimum score above 100).
    #[error("{origin}:{line}:{column}: {problem}")]
    PolicyInvalid {
        /// The policy file as the caller named it.
        origin: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        problem: String,
    },
    /// A report could not be turned into JSON.
    #[error("cannot encode the report as JSON")]
    Json {
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
}

impl Error {
    /// What the user can do about it, when there is something.
    pub fn hint(&self) -> Option<Cow<'static, str>> {
        match self {
            Error::Image { .. } => Some(Cow::Borrowed(
                "the image is damaged or incomplete: copy it again (skopeo copy, docker save) and retry",
            )),
            Error::PolicyInvalid { problem, .. } if problem.contains("reason") => Some(Cow::Borrowed(
                "every exception needs `rule`, `path` (a glob such as `/usr/bin/passwd` or `**`) and a `reason` saying why it is acceptable",
            )),
            Error::PolicyInvalid { problem, .. } if problem.contains("unknown rule") => Some(Cow::Borrowed(
                "`buckle check --json` lists every rule id in its findings",
            )),
            _ => None,
        }
    }
}

/// A `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
