//! Errors for tar streams, OCI documents, layouts and docker archives.

use crate::path::RelPath;
use std::fmt;
use std::io;

/// Why a path cannot be a path inside an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathProblem {
    /// The empty string.
    Empty,
    /// Starts with `/`.
    Absolute,
    /// Has a `..` component.
    ParentComponent,
    /// Has a NUL byte.
    NulByte,
    /// Is not valid UTF-8.
    NotUtf8,
}

impl fmt::Display for PathProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PathProblem::Empty => "empty path",
            PathProblem::Absolute => "absolute path",
            PathProblem::ParentComponent => "`..` component",
            PathProblem::NulByte => "NUL byte",
            PathProblem::NotUtf8 => "not UTF-8",
        })
    }
}

/// Why the safe tar reader refused an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryProblem {
    /// The entry's own path.
    Path(PathProblem),
    /// The target of a hard link.
    LinkTarget(PathProblem),
    /// The entry is larger than the caller allows.
    TooLarge {
        /// The entry's size.
        size: u64,
        /// The caller's limit.
        max: u64,
    },
    /// A type flag the reader does not handle (sparse files, tape volumes, ...).
    UnsupportedType(u8),
    /// A symbolic or hard link without a target.
    MissingLinkTarget,
    /// A uid or gid that does not fit in 32 bits.
    OwnerOutOfRange(u64),
}

impl fmt::Display for EntryProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntryProblem::Path(p) => write!(f, "{p}"),
            EntryProblem::LinkTarget(p) => write!(f, "link target: {p}"),
            EntryProblem::TooLarge { size, max } => {
                write!(f, "size {size} exceeds the limit of {max} bytes")
            }
            EntryProblem::UnsupportedType(t) => {
                write!(f, "unsupported entry type {:?}", char::from(*t))
            }
            EntryProblem::MissingLinkTarget => f.write_str("link without a target"),
            EntryProblem::OwnerOutOfRange(id) => write!(f, "owner id {id} does not fit in 32 bits"),
        }
    }
}

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A path that cannot be a path inside an image.
    #[error("`{path}` is not a valid path in an image: {problem}")]
    BadPath {
        /// The path as given.
        path: String,
        /// What is wrong with it.
        problem: PathProblem,
    },
    /// The safe tar reader refused an entry.
    #[error("tar entry #{index} `{path}` is rejected: {problem}")]
    UnsafeEntry {
        /// Position of the entry in the archive, from 0.
        index: u64,
        /// The entry's path as stored (lossily decoded).
        path: String,
        /// What is wrong with it.
        problem: EntryProblem,
    },
    /// The tar stream could not be read or parsed.
    #[error("cannot read tar entry #{index}")]
    TarRead {
        /// Position of the entry being read, from 0.
        index: u64,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// A layer could not be written.
    #[error("cannot write tar entry `{path}`")]
    TarWrite {
        /// The entry being written (`.` for the end of the archive).
        path: RelPath,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// File content given to the layer writer has another length than its entry says.
    #[error("content of `{path}` does not match its entry: expected {expected} bytes, found {actual}")]
    ContentSize {
        /// The entry.
        path: RelPath,
        /// The size in the entry.
        expected: u64,
        /// The bytes supplied (at least this many when there were too many).
        actual: u64,
    },
    /// An entry kind that buckle never writes into a layer.
    #[error("cannot write `{path}` into a layer: {kind} entries are not allowed in images")]
    UnwritableEntry {
        /// The entry.
        path: RelPath,
        /// The kind, in words.
        kind: &'static str,
    },
    /// A value could not be turned into JSON.
    #[error("cannot encode JSON")]
    JsonEncode {
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// A document could not be parsed.
    #[error("cannot parse {what}")]
    JsonDecode {
        /// What was being parsed (`image manifest`, `index.json`, ...).
        what: &'static str,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// A manifest or index with a schema version other than 2.
    #[error("{what} has schemaVersion {found}: expected 2")]
    SchemaVersion {
        /// `image manifest` or `image index`.
        what: &'static str,
        /// The version found.
        found: u32,
    },
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
