//! Errors of the archive client: each names the link of the chain of trust that broke,
//! what was expected and what was found.

use crate::date::ReleaseDate;
use buckle_debian::{PoolPath, Suite};
use buckle_digest::Sha256;
use std::borrow::Cow;
use std::path::PathBuf;

/// Why the archive could not be read or trusted.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A name from outside (suite, mirror URL, pool path) that is not valid.
    #[error(transparent)]
    Name(#[from] buckle_debian::NameError),
    /// A keyring file that cannot be used.
    #[error("cannot read keyring `{keyring}`: {reason}")]
    Keyring {
        /// Its name or path.
        keyring: String,
        /// What is wrong.
        reason: String,
    },
    /// InRelease is not an OpenPGP clearsigned message.
    #[error("`{url}` is not an OpenPGP clearsigned message: {reason}")]
    NotClearsigned {
        /// Where it came from.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// A signature by a trusted key does not match the signed text.
    #[error("bad OpenPGP signature on `{url}` by trusted key {key}: the signed text was altered")]
    BadSignature {
        /// Where it came from.
        url: String,
        /// The signing key's fingerprint.
        key: String,
    },
    /// No signature is by a key in the keyring.
    #[error("`{url}` is signed only by unknown keys ({}), none of which is in {keyring}", keys.join(", "))]
    UnknownKey {
        /// Where it came from.
        url: String,
        /// The fingerprints (or key ids) that signed it.
        keys: Vec<String>,
        /// The keyring's name.
        keyring: String,
    },
    /// The only good signatures are by keys that expired or were revoked.
    #[error("`{url}` is signed by key {key}, which is no longer valid: {reason}")]
    KeyNotValid {
        /// Where it came from.
        url: String,
        /// The key's fingerprint.
        key: String,
        /// Expired or revoked.
        reason: String,
    },
    /// The signed Release text is not deb822.
    #[error("Release from `{url}` cannot be parsed")]
    ReleaseSyntax {
        /// Where it came from.
        url: String,
        /// The deb822 error.
        #[source]
        source: buckle_debian::Error,
    },
    /// A Release field is missing or malformed.
    #[error("Release from `{url}` has a bad `{field}` field (`{value}`): {reason}")]
    ReleaseField {
        /// Where it came from.
        url: String,
        /// The field.
        field: String,
        /// Its value (or the offending line).
        value: String,
        /// What is wrong.
        reason: String,
    },
    /// Release is for another suite than the one asked for.
    #[error("Release is not for suite `{expected}`: it says Suite `{suite}`, Codename `{codename}`")]
    WrongSuite {
        /// The suite asked for.
        expected: Suite,
        /// Release's `Suite:`.
        suite: String,
        /// Release's `Codename:`.
        codename: String,
    },
    /// Release is past its `Valid-Until`.
    #[error("Release of `{suite}` expired: Valid-Until is {valid_until}, now is {now}")]
    Expired {
        /// The suite.
        suite: Suite,
        /// `Valid-Until:`
        valid_until: ReleaseDate,
        /// The time it was checked against.
        now: ReleaseDate,
    },
    /// Release is older than the one a lock was made from.
    #[error("Release of `{suite}` is dated {date}, older than {not_before} recorded in the lock: the mirror serves an older archive state (rollback)")]
    Rollback {
        /// The suite.
        suite: Suite,
        /// Release's `Date:`.
        date: ReleaseDate,
        /// The oldest acceptable date.
        not_before: ReleaseDate,
    },
    /// Release does not list a Packages index for this component and architecture.
    #[error("Release of `{suite}` lists no Packages index `{dir}/Packages[.xz|.gz]`")]
    IndexNotListed {
        /// The suite.
        suite: Suite,
        /// `<component>/binary-<arch>`.
        dir: String,
    },
    /// An index (compressed or decoded) does not have the SHA256 Release lists.
    #[error("`{path}` in `{suite}` does not match Release: expected {expected}, found {actual}")]
    IndexDigest {
        /// The suite.
        suite: Suite,
        /// The path relative to the suite directory.
        path: String,
        /// SHA256 listed in Release.
        expected: Sha256,
        /// SHA256 of the bytes received.
        actual: Sha256,
    },
    /// An index does not have the size Release lists.
    #[error("`{path}` in `{suite}` does not match Release: expected {expected} bytes, found {actual}")]
    IndexSize {
        /// The suite.
        suite: Suite,
        /// The path relative to the suite directory.
        path: String,
        /// Size listed in Release.
        expected: u64,
        /// Size received (at least this much when the body was too long).
        actual: u64,
    },
    /// A compressed index cannot be decompressed.
    #[error("cannot decompress `{path}` in `{suite}`")]
    Decompress {
        /// The suite.
        suite: Suite,
        /// The path relative to the suite directory.
        path: String,
        /// The decoder's error.
        #[source]
        source: std::io::Error,
    },
    /// A Packages index that is not valid deb822 or has a bad stanza.
    #[error("Packages index `{path}` in `{suite}` is malformed: {reason}")]
    IndexSyntax {
        /// The suite.
        suite: Suite,
        /// The path relative to the suite directory.
        path: String,
        /// The parser's message (with the line).
        reason: String,
    },
    /// A download failed.
    #[error("cannot download {what}")]
    Download {
        /// What was being downloaded (`InRelease of trixie`, a pool path, ...).
        what: String,
        /// The HTTP error (with the URL).
        #[source]
        source: buckle_http::Error,
    },
    /// A pool file answered 404: the locked version is gone from the archive.
    #[error(
        "`{path}` is no longer in the archive (HTTP 404 at `{url}`): the locked version has left the archive"
    )]
    DebGone {
        /// The pool path.
        path: PoolPath,
        /// The URL asked for.
        url: String,
    },
    /// A .deb does not have the SHA256 that Packages (or the lock) gives.
    #[error("`{path}` does not match its index: expected sha256 {expected}, found {actual}")]
    DebDigest {
        /// The pool path.
        path: PoolPath,
        /// The expected SHA256.
        expected: Sha256,
        /// The SHA256 of the bytes received.
        actual: Sha256,
    },
    /// A .deb does not have the size that Packages (or the lock) gives.
    #[error("`{path}` does not match its index: expected {expected} bytes, found {actual}")]
    DebSize {
        /// The pool path.
        path: PoolPath,
        /// The expected size.
        expected: u64,
        /// The size received (at least this much when the body was too long).
        actual: u64,
    },
    /// A cache entry's content no longer has its name's digest (disk corruption or
    /// tampering).
    #[error("cache entry `{}` is corrupt: expected sha256 {expected}, found {actual}", path.display())]
    CacheCorrupt {
        /// The entry's path.
        path: PathBuf,
        /// Its name.
        expected: Sha256,
        /// The digest of its content.
        actual: Sha256,
    },
    /// Content put into the cache does not have the digest it was announced with.
    #[error("content for cache entry {expected} does not match: found sha256 {actual}")]
    CacheMismatch {
        /// The digest it should have had.
        expected: Sha256,
        /// The digest it had.
        actual: Sha256,
    },
    /// Content put into the cache does not have the size it was announced with.
    #[error("content for cache entry {digest} does not match: expected {expected} bytes, found {actual}")]
    CacheSize {
        /// The digest it should have had.
        digest: Sha256,
        /// The size it should have had.
        expected: u64,
        /// The size it had (at least this much when too long).
        actual: u64,
    },
    /// A cache entry that is not there.
    #[error("cache has no entry {0}")]
    NotCached(Sha256),
    /// Reading or writing a file of the cache failed.
    #[error("cannot {action} `{}`", path.display())]
    Io {
        /// `read`, `write`, `create`, `rename`, ...
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The apt configuration names no Debian mirror.
    #[error("no Debian {what} mirror found in the apt configuration under `{}`", dir.display())]
    NoMirror {
        /// `archive` or `security`.
        what: &'static str,
        /// The apt configuration directory.
        dir: PathBuf,
    },
    /// An upstream artifact's bytes do not have the digest the lock or the spec pins.
    #[error("upstream artifact `{url}` does not match its pinned {algorithm}: expected {expected}, found {actual}")]
    UpstreamDigest {
        /// Where it was downloaded from.
        url: String,
        /// `sha256` or `sha512 integrity`.
        algorithm: &'static str,
        /// The pinned value.
        expected: String,
        /// The value of the downloaded bytes.
        actual: String,
    },
    /// The npm registry's answer for a package cannot be used.
    #[error("npm registry answer `{url}` cannot be used: {reason}")]
    NpmPackument {
        /// The packument's URL.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// No published version of an npm package matches the spec's `version`.
    #[error("npm package `{package}` has no version matching `{requirement}` (newest: {newest})")]
    NpmNoVersion {
        /// The package.
        package: String,
        /// The spec's `version`.
        requirement: String,
        /// The newest versions it has.
        newest: String,
    },
    /// A signed checksums file does not list the artifact.
    #[error("signed checksums `{url}` list no `{file}`")]
    ChecksumMissing {
        /// The checksums file.
        url: String,
        /// The artifact's file name.
        file: String,
    },
    /// A worker thread panicked (a bug).
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// What the user can do about it, when there is something.
    pub fn hint(&self) -> Option<Cow<'static, str>> {
        match self {
            Error::DebGone { .. } => Some("run `buckle lock --update` to pin the versions the archive has now".into()),
            Error::IndexDigest { .. } | Error::IndexSize { .. } => {
                Some("the mirror may be mid-sync; retry in a few minutes".into())
            }
            Error::Expired { .. } => Some("the mirror is not being updated; use another mirror".into()),
            Error::Rollback { .. } => Some(
                "the mirror is behind the one the lock was made from; use another mirror or wait for it to catch up"
                    .into(),
            ),
            Error::UnknownKey { .. } => Some("pass the archive's keyring in the spec's `keyring` field".into()),
            Error::NoMirror { .. } => Some("set BUCKLE_MIRROR or the spec's `mirror` field to the Debian mirror URL".into()),
            Error::CacheCorrupt { .. } => Some("the entry was removed; run the command again to download it afresh".into()),
            Error::Download { source, .. } => source.hint(),
            Error::UpstreamDigest { .. } => Some(
                "the download was refused and nothing was kept; if upstream republished the artifact, check why before running `buckle lock --update`".into(),
            ),
            Error::NpmNoVersion { .. } => Some("change the spec's `version` to one the registry has".into()),
            _ => None,
        }
    }
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
