//! Errors of the feed store, imports and updates.

use std::borrow::Cow;
use std::path::PathBuf;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why feeds could not be stored, imported or updated.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("cannot {action} `{}`", path.display())]
    Io {
        /// `read`, `write`, `create`.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A stored feed file that is not what buckle wrote (damaged or from another version).
    #[error("the stored feed `{}` cannot be read", path.display())]
    Stored {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// A file given to `feeds import` whose kind cannot be told.
    #[error("`{}` is not a feed buckle knows", path.display())]
    UnknownFeed {
        /// The file.
        path: PathBuf,
    },
    /// A feed file of a known kind that cannot be read.
    #[error("cannot import `{}`", path.display())]
    Import {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: buckle_vuln::Error,
    },
    /// A zip archive of OSV records that cannot be read.
    #[error("cannot read the zip archive `{}`", path.display())]
    Zip {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: zip::result::ZipError,
    },
    /// A suite or pool path that is not a valid name.
    #[error(transparent)]
    Name(#[from] buckle_debian::NameError),
    /// The Debian archive could not be read.
    #[error(transparent)]
    Archive(#[from] buckle_archive::Error),
    /// A `.deb` could not be read.
    #[error("cannot read the changelog of `{deb}`")]
    Deb {
        /// The pool path.
        deb: String,
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A remote feed could not be downloaded.
    #[error("cannot download the {feed} from `{url}`")]
    Download {
        /// Which feed.
        feed: &'static str,
        /// The URL tried.
        url: String,
        /// Why.
        #[source]
        source: buckle_http::Error,
    },
}

impl Error {
    /// What the user can do about it.
    pub fn hint(&self) -> Option<Cow<'static, str>> {
        match self {
            Error::UnknownFeed { .. } => Some(Cow::Borrowed(
                "give the Debian security tracker JSON, OSV Debian records (.json or .zip), the CISA KEV \
                 catalog JSON or the EPSS CSV (.csv or .csv.gz)",
            )),
            Error::Stored { .. } => Some(Cow::Borrowed(
                "run `buckle feeds update` (and `buckle feeds import` again) to rebuild the store",
            )),
            Error::Import { source, .. } => source.hint(),
            Error::Download { .. } => Some(Cow::Borrowed(
                "download the file where it can be reached and run `buckle feeds import FILE`",
            )),
            Error::Archive(e) => e.hint(),
            _ => None,
        }
    }
}
