//! Errors for tar streams, OCI documents, layouts and docker archives.

use crate::path::RelPath;
use buckle_digest::Sha256;
use std::borrow::Cow;
use std::fmt;
use std::io;
use std::path::PathBuf;

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
    /// Longer than Linux's PATH_MAX allows: no runtime could create it.
    TooLong,
    /// Has a component longer than Linux's NAME_MAX.
    ComponentTooLong,
}

impl fmt::Display for PathProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PathProblem::Empty => "empty path",
            PathProblem::Absolute => "absolute path",
            PathProblem::ParentComponent => "`..` component",
            PathProblem::NulByte => "NUL byte",
            PathProblem::NotUtf8 => "not UTF-8",
            PathProblem::TooLong => {
                "longer than Linux's PATH_MAX (4096 bytes with the leading `/` and the NUL)"
            }
            PathProblem::ComponentTooLong => "a component longer than 255 bytes (Linux's NAME_MAX)",
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
    /// Reading an image's files would take more memory than allowed.
    #[error("reading the files of `{}` takes more than its memory budget of {} MiB (at `{path}`)", image.display(), budget >> 20)]
    MemoryBudget {
        /// The image.
        image: PathBuf,
        /// The budget in bytes.
        budget: u64,
        /// The entry that went past it.
        path: String,
    },
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
    /// The bytes after the end-of-archive marker could not be read (for a verified
    /// blob, this is where a digest mismatch shows).
    #[error("cannot read the end of the tar stream")]
    TarTrailer {
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
    /// A file could not be read.
    #[error("cannot read `{}`", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// A file could not be written.
    #[error("cannot write `{}`", path.display())]
    Write {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// A rename (of finished output into place) failed.
    #[error("cannot rename `{}` to `{}`", from.display(), to.display())]
    Rename {
        /// The old name.
        from: PathBuf,
        /// The new name.
        to: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// An output path that cannot be written or replaced.
    #[error("cannot write output to `{}`: {reason}", path.display())]
    BadTarget {
        /// The target.
        path: PathBuf,
        /// Why not.
        reason: String,
    },
    /// A blob's bytes do not have the digest it is stored and referenced under.
    #[error("blob `{}` does not match its digest: expected sha256:{expected}, found sha256:{actual}", path.display())]
    BlobDigest {
        /// The blob.
        path: PathBuf,
        /// The digest in its name and descriptor.
        expected: Sha256,
        /// The digest of its bytes.
        actual: Sha256,
    },
    /// A blob's size differs from its descriptor's.
    #[error("blob `{}` does not match its descriptor's size: expected {expected} bytes, found {actual}", path.display())]
    BlobSize {
        /// The blob.
        path: PathBuf,
        /// The size in the descriptor.
        expected: u64,
        /// The size read (at least this much, when longer).
        actual: u64,
    },
    /// A manifest, index or config larger than buckle reads into memory.
    #[error("`{}` is {size} bytes, more than the {max} bytes allowed for a JSON document", path.display())]
    DocumentTooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// A directory that is not an OCI image layout.
    #[error("`{}` is not an OCI image layout: {reason}", path.display())]
    NotALayout {
        /// The directory.
        path: PathBuf,
        /// What is missing or wrong.
        reason: String,
    },
    /// Indexes nested deeper than buckle follows.
    #[error("indexes in `{}` nest deeper than {max} levels", path.display())]
    IndexTooDeep {
        /// The layout.
        path: PathBuf,
        /// The limit.
        max: usize,
    },
    /// No image matches what was asked for.
    #[error("`{}` holds no image matching {wanted}", path.display())]
    NoSuchImage {
        /// The layout or archive.
        path: PathBuf,
        /// What was asked for.
        wanted: String,
    },
    /// Several images match what was asked for.
    #[error("`{}` holds several matching images: {}", path.display(), candidates.join(", "))]
    AmbiguousImage {
        /// The layout or archive.
        path: PathBuf,
        /// `tag platform digest` of each match.
        candidates: Vec<String>,
    },
    /// A descriptor whose media type is not the kind of document expected there.
    #[error(
        "descriptor sha256:{digest} has media type `{found}`: expected `{expected}` or its Docker equivalent"
    )]
    UnexpectedMediaType {
        /// The blob.
        digest: Sha256,
        /// The kind expected.
        expected: &'static str,
        /// The media type found.
        found: String,
    },
    /// A layer's uncompressed bytes do not have the diff_id the config lists.
    #[error("layer {layer} does not match its diff_id: expected sha256:{expected}, found sha256:{actual}")]
    LayerDiffId {
        /// Position of the layer, bottom first, from 0.
        layer: usize,
        /// The diff_id in the config.
        expected: Sha256,
        /// The digest of the uncompressed tar.
        actual: Sha256,
    },
    /// A config whose `rootfs.diff_ids` does not list the image's layers.
    #[error("config lists {config} diff_ids but the image has {layers} layers, or they differ")]
    LayersDoNotMatchConfig {
        /// Number of diff_ids in the config.
        config: usize,
        /// Number of layers.
        layers: usize,
    },
    /// A file that is not a docker archive.
    #[error("`{}` is not a docker archive: {reason}", path.display())]
    NotADockerArchive {
        /// The file.
        path: PathBuf,
        /// What is missing or wrong.
        reason: String,
    },
    /// A member named by `manifest.json` (or by a link) is not in the archive.
    #[error("`{}` has no file member `{member}`", path.display())]
    MissingMember {
        /// The archive.
        path: PathBuf,
        /// The member (and the link that led there).
        member: String,
    },
    /// A layer index past the image's last layer.
    #[error("layer {index} does not exist: the image has {layers} layers")]
    NoSuchLayer {
        /// The index asked for.
        index: usize,
        /// How many layers there are.
        layers: usize,
    },
}

impl Error {
    /// What the user can do about this error, when there is something.
    pub fn hint(&self) -> Option<Cow<'static, str>> {
        match self {
            Error::AmbiguousImage { .. } => Some("name one image by tag (`dir:tag`) or by platform".into()),
            Error::MemoryBudget { .. } => Some(
                "for an image you trust, raise the budget with --memory-budget (or BUCKLE_MEMORY_BUDGET)"
                    .into(),
            ),
            Error::BlobDigest { .. } | Error::BlobSize { .. } => {
                Some("the image was modified or damaged after it was written; rebuild or re-fetch it".into())
            }
            Error::BadTarget { .. } => Some("choose an output path that does not exist yet".into()),
            _ => None,
        }
    }
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
