//! Errors for specs and locks: each one names the file, line and column it is about.

use buckle_digest::Sha256;
use std::borrow::Cow;
use std::fmt;
use std::path::PathBuf;

/// A place in a spec or lock file: `file:line:column`, both 1-based.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file, as the caller named it.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// Why a spec or lock was rejected.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    /// TOML syntax, a missing key or a value of the wrong type.
    #[error("{at}: {message}")]
    Toml {
        /// Where.
        at: Location,
        /// What the TOML reader said.
        message: String,
    },
    /// A key the format does not have (often a typo).
    #[error("{at}: unknown key `{key}`")]
    UnknownKey {
        /// Where the key is.
        at: Location,
        /// The key as written.
        key: String,
        /// The keys allowed at that place.
        expected: Vec<String>,
    },
    /// A value that has the right type but is not acceptable.
    #[error("{at}: `{key}`: {problem}")]
    Invalid {
        /// Where the value is.
        at: Location,
        /// The key the value belongs to.
        key: String,
        /// What is wrong, naming the value.
        problem: String,
        /// What to do about it, when there is something to say.
        hint: Option<String>,
    },
    /// The same value given twice where it must be unique.
    #[error("{at}: `{key}`: `{value}` is listed twice (first at line {first_line})")]
    Duplicate {
        /// Where the second one is.
        at: Location,
        /// The key.
        key: String,
        /// The repeated value.
        value: String,
        /// Line of the first one.
        first_line: usize,
    },
    /// The lock was made from a different spec text.
    #[error(
        "lock is stale: it was made from a spec with sha256 {locked}, but the spec now has sha256 {current}"
    )]
    StaleLock {
        /// `spec-sha256` recorded in the lock.
        locked: Sha256,
        /// The spec's current digest.
        current: Sha256,
    },
}

impl Error {
    /// What the user can do about it, when there is something to say.
    pub fn hint(&self) -> Option<Cow<'static, str>> {
        match self {
            Error::UnknownKey { key, expected, .. } => Some(
                match crate::suggest::closest(key, expected.iter().map(String::as_str)) {
                    Some(near) => format!("did you mean `{near}`?").into(),
                    None => format!("expected one of: {}", backticked(expected)).into(),
                },
            ),
            Error::Invalid { hint, .. } => hint.clone().map(Cow::Owned),
            Error::StaleLock { .. } => {
                Some("run `buckle lock` to bring the lock up to date with the spec".into())
            }
            Error::Toml { .. } | Error::Duplicate { .. } => None,
        }
    }

    /// Where in which file the problem is, when it is about one place.
    pub fn location(&self) -> Option<&Location> {
        match self {
            Error::Toml { at, .. }
            | Error::UnknownKey { at, .. }
            | Error::Invalid { at, .. }
            | Error::Duplicate { at, .. } => Some(at),
            Error::StaleLock { .. } => None,
        }
    }
}

fn backticked(words: &[String]) -> String {
    words
        .iter()
        .map(|w| format!("`{w}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
