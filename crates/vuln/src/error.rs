//! Errors for reading vulnerability data and VEX documents.

use std::borrow::Cow;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why vulnerability data or a VEX document could not be read, or a report written.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Not a CVE, GHSA, DSA or DLA id.
    #[error(
        "`{id}` is not a vulnerability id (expected CVE-YYYY-NNNN, GHSA-xxxx-xxxx-xxxx, DSA-N-N or DLA-N-N)"
    )]
    BadId {
        /// The text given.
        id: String,
    },
    /// Not a Debian release codename.
    #[error("`{release}` is not a Debian release codename (expected lowercase letters, like `bookworm`)")]
    BadRelease {
        /// The text given.
        release: String,
    },
    /// A changelog header whose version cannot be read.
    #[error("changelog line {line}: bad version")]
    ChangelogVersion {
        /// 1-based line.
        line: usize,
        /// Why.
        #[source]
        source: buckle_debian::Error,
    },
    /// A feed file that is not JSON.
    #[error("`{origin}` is not valid JSON")]
    Json {
        /// The file.
        origin: String,
        /// The parser's message, with line and column.
        #[source]
        source: serde_json::Error,
    },
    /// A feed file of the wrong shape.
    #[error("`{origin}`: {problem}")]
    Feed {
        /// The file (and line, for CSV).
        origin: String,
        /// What is wrong.
        problem: String,
    },
    /// A feed record with a version that is not a Debian version.
    #[error("`{origin}`: bad version")]
    FeedVersion {
        /// The file.
        origin: String,
        /// Why.
        #[source]
        source: buckle_debian::Error,
    },
    /// A VEX document that cannot be used.
    #[error("VEX document `{origin}`: {problem}")]
    Vex {
        /// The file.
        origin: String,
        /// What is wrong.
        problem: String,
    },
    /// A report that could not be serialized (a bug).
    #[error("cannot write the {format} report")]
    Report {
        /// The format.
        format: &'static str,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
}

impl Error {
    /// What the user can do about it.
    pub fn hint(&self) -> Option<Cow<'static, str>> {
        match self {
            Error::Vex { .. } => Some(Cow::Borrowed(
                "each statement needs `vulnerability.name`, `status` and, for `not_affected`, a \
                 `justification` (component_not_present, vulnerable_code_not_present, \
                 vulnerable_code_not_in_execute_path, vulnerable_code_cannot_be_controlled_by_adversary, \
                 inline_mitigations_already_exist); see docs/scanning.md",
            )),
            Error::Json { .. } | Error::Feed { .. } | Error::FeedVersion { .. } => Some(Cow::Borrowed(
                "`buckle feeds import` takes the Debian security tracker JSON, OSV Debian records (.json or .zip), \
                 the CISA KEV catalog JSON and the EPSS CSV (.csv or .csv.gz)",
            )),
            _ => None,
        }
    }
}
