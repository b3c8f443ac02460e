//! What can go wrong with a bundle, each naming the member or file concerned.

use buckle_digest::Sha256;
use std::path::PathBuf;

/// A bundle error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("cannot {action} `{path}`")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a readable bundle: not zstd, not tar, cut short.
    #[error("`{path}` is damaged or truncated: {reason}")]
    Damaged {
        /// The bundle.
        path: PathBuf,
        /// What the reader found.
        reason: String,
    },
    /// The manifest is missing, unreadable or inconsistent.
    #[error("the bundle's manifest is not valid: {0}")]
    Manifest(String),
    /// A member's path is not one a bundle may hold.
    #[error("the member path `{path}` is not allowed: {reason}")]
    MemberPath {
        /// The path.
        path: String,
        /// Why.
        reason: &'static str,
    },
    /// A file in the tar that the manifest does not list (or lists twice).
    #[error("the bundle holds `{0}`, which its manifest does not list (or holds it twice)")]
    Unlisted(String),
    /// A member whose bytes are not the ones the manifest lists.
    #[error("the member `{path}` does not match the manifest: {difference}")]
    MemberMismatch {
        /// The member.
        path: String,
        /// The manifest's digest and size, and the bytes'.
        difference: Box<Difference>,
    },
    /// Members the manifest lists are not in the file.
    #[error("{count} members the manifest lists are missing, the first `{first}`: the bundle is incomplete")]
    Incomplete {
        /// How many.
        count: usize,
        /// The first one, in manifest order.
        first: String,
    },
    /// An index file that its suite's Release does not list.
    #[error("`{path}` is not listed in the InRelease of `{suite}` in mirror `{mirror}`")]
    NotInRelease {
        /// The mirror name.
        mirror: String,
        /// The suite.
        suite: String,
        /// The index file, relative to the suite.
        path: String,
    },
    /// An index whose bytes are not the ones Release lists.
    #[error("`{path}` of `{suite}` does not match its InRelease: {difference}")]
    IndexMismatch {
        /// The suite.
        suite: String,
        /// The index file.
        path: String,
        /// Release's digest and size, and the member's.
        difference: Box<Difference>,
    },
    /// An index member without the InRelease of its suite.
    #[error("`{0}` has no InRelease for its suite in the bundle")]
    NoRelease(String),
    /// A .deb that no index of its mirror lists.
    #[error("`{path}` is not listed by any index of mirror `{mirror}` in the bundle")]
    DebNotListed {
        /// The mirror name.
        mirror: String,
        /// The pool path.
        path: String,
    },
    /// A .deb whose digest is not the one its index lists.
    #[error(
        "`{path}` does not match its index: the index lists SHA-256 {listed}, the bundle holds {actual}"
    )]
    DebMismatch {
        /// The pool path.
        path: String,
        /// The index's digest.
        listed: Box<Sha256>,
        /// The member's digest.
        actual: Box<Sha256>,
    },
    /// A Debian check failed (signature, Release fields, decoding).
    #[error(transparent)]
    Archive(#[from] Box<buckle_archive::Error>),
    /// The manifest's signature is missing or does not verify.
    #[error("the bundle's manifest signature {0}")]
    Signature(String),
}

/// What was expected of some bytes, and what they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Difference {
    /// The listed SHA-256.
    pub expected: Sha256,
    /// The listed size.
    pub expected_size: u64,
    /// The bytes' SHA-256.
    pub actual: Sha256,
    /// The bytes' size.
    pub actual_size: u64,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "expected {} bytes with SHA-256 {}, found {} bytes with {}",
            self.expected_size, self.expected, self.actual_size, self.actual
        )
    }
}

impl From<buckle_archive::Error> for Error {
    fn from(e: buckle_archive::Error) -> Error {
        Error::Archive(Box::new(e))
    }
}

impl Error {
    /// What the user can do about it.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Damaged { .. } | Error::Incomplete { .. } => {
                Some("copy the bundle again and compare its SHA-256 with the one printed by `buckle bundle create`".into())
            }
            Error::MemberMismatch { .. } | Error::Unlisted(_) | Error::IndexMismatch { .. } | Error::DebMismatch { .. } | Error::DebNotListed { .. } | Error::NotInRelease { .. } => Some(
                "the bundle was altered after it was made: do not use it; make a new one with `buckle bundle create`".into(),
            ),
            Error::Signature(_) => Some("check that --key is the public key of whoever signed the bundle (`buckle bundle create --sign`)".into()),
            Error::Archive(e) => e.hint().map(|h| h.into_owned()),
            _ => None,
        }
    }
}

/// A bundle result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.into();
    move |source| Error::Io { action, path, source }
}
