//! Why a migration could not be made.

/// A Dockerfile or mapping file the migration cannot use.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The Dockerfile does not parse.
    #[error("{file}: {error}")]
    Dockerfile {
        /// The Dockerfile, as the caller named it.
        file: String,
        /// Where and what.
        error: buckle_dockerfile::ParseError,
    },
    /// A mapping file that is not valid TOML in the mapping format.
    #[error("{file}: {message}")]
    Mapping {
        /// The mapping file.
        file: String,
        /// What the TOML reader said.
        message: String,
    },
}
