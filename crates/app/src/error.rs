//! Errors of the app crate.

use crate::python::{ProjectName, Target};
use buckle_digest::Sha256;
use buckle_oci::RelPath;
use std::borrow::Cow;

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong turning a lockfile into files.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A requirements line cannot be used.
    #[error("line {line}: {problem}")]
    Requirements {
        /// 1-based line.
        line: usize,
        /// What is wrong.
        problem: String,
    },
    /// A requirement without `--hash`.
    #[error("line {line}: `{name}` {version} has no `--hash`; every requirement must be hashed")]
    Unhashed {
        /// 1-based line.
        line: usize,
        /// The project.
        name: ProjectName,
        /// Its version.
        version: String,
    },
    /// A requirement not pinned with `==`.
    #[error("line {line}: `{requirement}` is not pinned to one version with `==`")]
    NotPinned {
        /// 1-based line.
        line: usize,
        /// The requirement as written.
        requirement: String,
    },
    /// A uv.lock, pylock.toml or poetry.lock that cannot be used.
    #[error("{file}, line {line}: {problem}")]
    Lock {
        /// The format, by its usual file name.
        file: &'static str,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        problem: String,
    },
    /// A marker that cannot be evaluated for the target.
    #[error("line {line}: cannot evaluate the marker of `{name}` (`{marker}`): {problem}")]
    Marker {
        /// 1-based line.
        line: usize,
        /// The project.
        name: ProjectName,
        /// The marker text.
        marker: String,
        /// Why.
        problem: String,
    },
    /// A target that does not parse.
    #[error("`{target}` is not a Python target: {problem}")]
    BadTarget {
        /// The text.
        target: String,
        /// Why.
        problem: String,
    },
    /// A file name that is not a wheel's.
    #[error("`{file_name}` is not a wheel file name (`name-version-python-abi-platform.whl`)")]
    BadWheelName {
        /// The file name.
        file_name: String,
    },
    /// A wheel whose tags the target does not support.
    #[error("`{file_name}` is not built for {target}")]
    WheelIncompatible {
        /// The file name.
        file_name: String,
        /// The target.
        target: Target,
    },
    /// A wheel that is not a well-formed wheel.
    #[error("wheel `{file_name}` is malformed: {problem}")]
    BadWheel {
        /// The file name.
        file_name: String,
        /// What is wrong.
        problem: String,
    },
    /// The index has no page for a project.
    #[error("`{name}` is not on the index `{index}`")]
    ProjectNotFound {
        /// The project.
        name: ProjectName,
        /// The index URL.
        index: String,
    },
    /// The index answered with an unexpected status.
    #[error("the index answered {status} for `{url}`")]
    IndexStatus {
        /// The page URL.
        url: String,
        /// The HTTP status.
        status: u16,
    },
    /// A project page that is not PEP 691 JSON.
    #[error("`{url}` is not a PEP 691 JSON project page")]
    IndexPage {
        /// The page URL.
        url: String,
        /// The parse error.
        #[source]
        source: serde_json::Error,
    },
    /// The index declares a hash that is not sha256 hex.
    #[error("the index lists `{file_name}` with the sha256 `{value}`, which is not 64 hex digits")]
    IndexHash {
        /// The file.
        file_name: String,
        /// The declared value.
        value: String,
    },
    /// The pinned version is not on the index.
    #[error("`{name}` {version} has no files on the index")]
    VersionNotFound {
        /// The project.
        name: ProjectName,
        /// The version.
        version: String,
    },
    /// Only source distributions exist for the pinned version.
    #[error("`{name}` {version} has no wheel, only source distributions ({})", sdists.join(", "))]
    SdistOnly {
        /// The project.
        name: ProjectName,
        /// The version.
        version: String,
        /// The sdists found.
        sdists: Vec<String>,
    },
    /// Wheels exist, but none for the target.
    #[error("`{name}` {version} has no wheel for {target}; found {}", wheels.join(", "))]
    NoCompatibleWheel {
        /// The project.
        name: ProjectName,
        /// The version.
        version: String,
        /// The target.
        target: Target,
        /// The wheels found.
        wheels: Vec<String>,
    },
    /// A wheel whose sha256 the requirements file does not list.
    #[error("`{file_name}` of `{name}` does not match the requirements file: expected one of {}, found {actual}", expected.iter().map(|d| d.hex()).collect::<Vec<_>>().join(", "))]
    HashMismatch {
        /// The project.
        name: ProjectName,
        /// The wheel (its name carries the version).
        file_name: String,
        /// The hashes the requirements file allows.
        expected: Vec<Sha256>,
        /// The hash of what was served (or declared by the index).
        actual: Sha256,
    },
    /// Two packages put different things at one path.
    #[error("`{path}` is installed by both `{first}` and `{second}` with different content")]
    TreeConflict {
        /// The path.
        path: RelPath,
        /// What was there.
        first: String,
        /// What came second.
        second: String,
    },
    /// package-lock.json cannot be used.
    #[error("package-lock.json: {problem}")]
    PackageLock {
        /// What is wrong.
        problem: String,
    },
    /// A package-lock.json entry cannot be used.
    #[error("package-lock.json: `{path}`: {problem}")]
    LockEntry {
        /// The entry's key (`node_modules/...`).
        path: String,
        /// What is wrong.
        problem: String,
    },
    /// A package that needs an install script.
    #[error("`{name}` {version} (`{path}`) has an install script, which buckle never runs")]
    InstallScript {
        /// The package name.
        name: String,
        /// Its version.
        version: String,
        /// Its lockfile path.
        path: String,
    },
    /// A tarball that does not match its lockfile integrity.
    #[error("`{name}` {version} does not match package-lock.json: expected {expected}, found {actual}")]
    IntegrityMismatch {
        /// The package name.
        name: String,
        /// Its version.
        version: String,
        /// The lockfile's integrity.
        expected: String,
        /// The integrity of what was served.
        actual: String,
    },
    /// A tarball that cannot be unpacked.
    #[error("the tarball of `{name}` {version} is malformed: {problem}")]
    BadTarball {
        /// The package name.
        name: String,
        /// Its version.
        version: String,
        /// What is wrong.
        problem: String,
    },
    /// A tarball whose tar stream cannot be read.
    #[error("the tarball of `{name}` {version} cannot be unpacked")]
    TarballEntry {
        /// The package name.
        name: String,
        /// Its version.
        version: String,
        /// The cause.
        #[source]
        source: Box<buckle_oci::Error>,
    },
    /// A file of the download cache that cannot be written.
    #[error("cannot write `{}` in the download cache", path.display())]
    CacheWrite {
        /// The file.
        path: std::path::PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A project file that cannot be read.
    #[error("cannot read `{}`", path.display())]
    ProjectRead {
        /// The file.
        path: std::path::PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A project file that cannot go into the image.
    #[error("`{}` cannot go into the image: {problem}", path.display())]
    ProjectFile {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        problem: String,
    },
    /// `buckle init app` cannot read the project.
    #[error("{problem}")]
    Init {
        /// What is wrong.
        problem: String,
    },
    /// The base image cannot be extended.
    #[error("the base image cannot be extended: {problem}")]
    BaseImage {
        /// Why.
        problem: String,
    },
    /// An HTTP failure.
    #[error(transparent)]
    Http(#[from] buckle_http::Error),
    /// A cache failure.
    #[error(transparent)]
    Cache(Box<buckle_archive::Error>),
    /// A layer could not be written.
    #[error(transparent)]
    Oci(Box<buckle_oci::Error>),
}

impl From<buckle_oci::Error> for Error {
    fn from(e: buckle_oci::Error) -> Self {
        Error::Oci(Box::new(e))
    }
}

impl From<buckle_archive::Error> for Error {
    fn from(e: buckle_archive::Error) -> Self {
        Error::Cache(Box::new(e))
    }
}

impl Error {
    /// What the user can do about it, when there is something.
    pub fn hint(&self) -> Option<Cow<'static, str>> {
        Some(match self {
            Error::Unhashed { .. } | Error::NotPinned { .. } => {
                "compile the requirements with `pip-compile --generate-hashes` or `uv pip compile --generate-hashes`".into()
            }
            Error::SdistOnly { .. } => {
                "buckle installs wheels only (building an sdist runs its code): pin a version that publishes a wheel, or build the wheel yourself and serve it from your index".into()
            }
            Error::NoCompatibleWheel { .. } | Error::WheelIncompatible { .. } => {
                "pin a version with a wheel for this Python and architecture, or choose a base whose Python matches the wheels".into()
            }
            Error::HashMismatch { .. } | Error::IntegrityMismatch { .. } => {
                "the file served is not the one locked: check the index or registry, or regenerate the lockfile if the change is expected".into()
            }
            Error::InstallScript { .. } => {
                "if the package ships prebuilt binaries for the target, list it in the app spec's `node = { allow-prebuilt = [...] }` (--allow-prebuilt); otherwise choose a pure-JavaScript alternative".into()
            }
            Error::Lock { .. } => {
                "re-lock the project (`uv lock`, `poetry lock`), or export a hashed requirements file (`uv export`, `poetry export`) and name that in `python.requirements`".into()
            }
            Error::Marker { .. } => "compile the requirements for the image's platform (Linux, its Python version and architecture)".into(),
            Error::IndexPage { .. } => {
                "buckle reads PEP 691 JSON project pages (`Accept: application/vnd.pypi.simple.v1+json`); use an index URL that serves them".into()
            }
            Error::ProjectFile { .. } => "leave it out with a line in `.buckleignore` (Docker's .dockerignore rules)".into(),
            Error::Http(e) => return e.hint(),
            Error::Cache(e) => return e.hint(),
            _ => return None,
        })
    }
}
