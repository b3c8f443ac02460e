//! Errors for parsing digests.

/// Why a string is not a digest.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    /// The hex part does not have 64 lowercase hex digits.
    #[error("`{0}` is not a SHA-256 digest: expected 64 lowercase hex digits")]
    BadHex(String),
    /// An OCI digest string with another algorithm or no `sha256:` prefix.
    #[error("`{0}` is not an OCI sha256 digest: expected `sha256:` followed by 64 hex digits")]
    BadOciDigest(String),
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
