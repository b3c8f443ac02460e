//! Errors for SBOM facts and documents.

use buckle_debian::{Arch, PackageError, PackageName};

/// What the caller's file view returned when it could not read a path.
pub type ReadError = Box<dyn std::error::Error + Send + Sync>;

/// Why package facts could not be gathered or a document could not be written.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The image's file view failed to read a path.
    #[error("cannot read `{path}` from the image")]
    Read {
        /// The path inside the image.
        path: String,
        /// What the file view reported.
        #[source]
        source: ReadError,
    },
    /// An app image's package record that cannot be read.
    #[error("`{path}` is not a valid app package record: {problem}")]
    AppPackages {
        /// The path inside the image.
        path: String,
        /// What is wrong.
        problem: String,
    },
    /// A dpkg database file that is not deb822.
    #[error("`{path}` is not a valid dpkg control file")]
    Control {
        /// The path inside the image.
        path: String,
        /// The syntax error, with its line.
        #[source]
        source: buckle_debian::Error,
    },
    /// A dpkg database stanza that lacks a field or has a malformed one.
    #[error("`{path}` has a package stanza that cannot be read")]
    Stanza {
        /// The path inside the image.
        path: String,
        /// Which stanza and what is wrong with it.
        #[source]
        source: PackageError,
    },
    /// A dpkg database stanza whose relation field does not parse.
    #[error("`{path}`: the `{field}` field of `{package}` cannot be read")]
    Relation {
        /// The path inside the image.
        path: String,
        /// The package.
        package: PackageName,
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        #[source]
        source: buckle_debian::Error,
    },
    /// A `.md5sums` or `.list` line that is not `<md5>  <path>`.
    #[error("`{path}` line {line}: expected `<md5 hex>  <path>`, found `{found}`")]
    Md5sums {
        /// The path inside the image.
        path: String,
        /// 1-based line number.
        line: usize,
        /// The offending line.
        found: String,
    },
    /// The same package (name and architecture) is described twice with different versions.
    #[error(
        "package `{}` ({}) is listed twice: version {} in `{}` and {} in `{}`",
        .0.name, .0.arch, .0.first, .0.first_path, .0.second, .0.second_path
    )]
    DuplicatePackage(Box<Duplicate>),
    /// A lock entry and the installed package disagree on the version.
    #[error("package `{name}` ({arch}) is installed at version {installed} but the lock has {locked}")]
    DebVersion {
        /// Package name.
        name: PackageName,
        /// Package architecture.
        arch: Arch,
        /// Version found in the image's dpkg metadata.
        installed: String,
        /// Version recorded in the lock.
        locked: String,
    },
    /// The image's `created` time is not an RFC 3339 date-time.
    #[error("image created time `{value}` is not an RFC 3339 date-time at or after 1970-01-01T00:00:00Z")]
    Created {
        /// The value from the image config.
        value: String,
    },
    /// A format name that is not one of [`crate::Format`]'s.
    #[error("unknown SBOM format `{found}`: expected `spdx-json` or `cyclonedx-json`")]
    UnknownFormat {
        /// The name given.
        found: String,
    },
    /// A document given as an SBOM that is not valid JSON.
    #[error("the SBOM cannot be read: {problem}")]
    SbomRead {
        /// What is wrong.
        problem: String,
    },
    /// A JSON document that is neither CycloneDX (`bomFormat`) nor SPDX (`spdxVersion`).
    #[error("the document is neither a CycloneDX nor an SPDX JSON document")]
    NotAnSbom,
    /// A `pkg:deb/…` package URL that does not name a Debian package.
    #[error("cannot read the package URL `{purl}`: {problem}")]
    Purl {
        /// The package URL.
        purl: String,
        /// What is wrong.
        problem: String,
    },
    /// A document could not be serialized (a bug: every value here is plain data).
    #[error("internal error: cannot serialize the SBOM document")]
    Internal {
        /// The serializer's error.
        #[source]
        source: serde_json::Error,
    },
}

impl Error {
    /// What the user can do about this error, when there is something.
    pub fn hint(&self) -> Option<std::borrow::Cow<'static, str>> {
        match self {
            Error::DebVersion { .. } => Some(
                "the image was not built from this lock; rebuild it or pass the lock it was built from"
                    .into(),
            ),
            Error::DuplicatePackage(_) => Some(
                "the image's dpkg database describes one package twice; fix or remove the stale entry".into(),
            ),
            Error::NotAnSbom => Some(
                "scan takes an image (OCI layout or docker archive), an SBOM in SPDX or CycloneDX JSON, or a dpkg status file"
                    .into(),
            ),
            _ => None,
        }
    }
}

/// The two descriptions of one package in [`Error::DuplicatePackage`].
#[derive(Debug)]
pub struct Duplicate {
    /// Package name.
    pub name: PackageName,
    /// Package architecture.
    pub arch: Arch,
    /// Version seen first.
    pub first: String,
    /// Where it was seen first (`input` for facts handed to a writer).
    pub first_path: String,
    /// Version seen second.
    pub second: String,
    /// Where it was seen second.
    pub second_path: String,
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
