//! Errors for Debian formats.

/// Why a piece of Debian data could not be parsed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    /// A deb822 line that is neither a field, a continuation, nor blank.
    #[error("line {line}: expected `Field: value` or a continuation line, found `{found}`")]
    Deb822Syntax {
        /// 1-based line number.
        line: usize,
        /// The offending line, truncated.
        found: String,
    },
    /// A version string that dpkg would refuse.
    #[error("`{version}` is not a valid Debian version: {reason}")]
    Version {
        /// The version string.
        version: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A package name outside Debian policy's alphabet.
    #[error("`{0}` is not a valid Debian package name: expected lowercase letters, digits, `+`, `-` and `.`, starting with a letter or digit, at least 2 characters")]
    PackageName(String),
    /// An architecture name that is not a plain lowercase word.
    #[error("`{0}` is not a valid Debian architecture name")]
    Arch(String),
    /// A relation field (Depends, Provides, ...) that cannot be parsed.
    #[error("cannot parse relation `{relation}`: {reason}")]
    Relation {
        /// The relation text.
        relation: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
