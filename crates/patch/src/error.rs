//! What can go wrong in this crate: reading values given as text.

use std::borrow::Cow;

/// An error of `buckle-patch`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A watch interval that does not parse.
    #[error("`{text}` is not an interval: {reason}")]
    BadInterval {
        /// The text given.
        text: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An advisory record that does not parse.
    #[error("`{origin}` is not an advisory record")]
    BadAdvisory {
        /// Where it was read from.
        origin: String,
        /// The parser's complaint.
        #[source]
        source: serde_json::Error,
    },
}

impl Error {
    /// What the user can do about it.
    pub fn hint(&self) -> Option<Cow<'static, str>> {
        match self {
            Error::BadInterval { .. } => Some("write a number and a unit: 30s, 15m, 6h or 1d".into()),
            Error::BadAdvisory { .. } => Some(
                "advisory files are written by `buckle update --rebuild`; remove or restore this one".into(),
            ),
        }
    }
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
