//! Errors of registry operations: each names the registry, repository or blob, what
//! was expected and what was found.

use buckle_digest::Sha256;
use std::borrow::Cow;
use std::path::PathBuf;

/// Why a registry operation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An image reference that does not parse.
    #[error("`{reference}` is not an image reference: {reason}")]
    BadReference {
        /// The text given.
        reference: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `--insecure` asked for plain HTTP to a registry that is not on this machine.
    #[error("refusing plain HTTP to `{host}`: --insecure is only for registries on loopback")]
    InsecureNotLoopback {
        /// The registry host.
        host: String,
    },
    /// The registry wants credentials and none were found.
    #[error("`{registry}` requires credentials and none were found")]
    AuthRequired {
        /// The registry host.
        registry: String,
    },
    /// The registry (or its token service) refused the credentials.
    #[error("`{registry}` rejected the credentials of user `{user}`: wrong user name or password")]
    BadCredentials {
        /// The registry host.
        registry: String,
        /// The user name sent.
        user: String,
        /// Where the credentials came from.
        origin: String,
    },
    /// Authenticated, but not allowed.
    #[error("`{registry}` denied access to {scope}")]
    Denied {
        /// The registry host.
        registry: String,
        /// What was asked for (`repository:NAME:pull,push`).
        scope: String,
    },
    /// A `WWW-Authenticate` challenge or token answer that buckle cannot use.
    #[error("cannot authenticate to `{registry}`: {reason}")]
    Auth {
        /// The registry host.
        registry: String,
        /// What was wrong.
        reason: String,
    },
    /// The docker config file could not be read.
    #[error("cannot read the docker config `{}`: {reason}", path.display())]
    DockerConfig {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// A `docker-credential-*` helper failed.
    #[error("credential helper `docker-credential-{helper}` failed for `{registry}`: {reason}")]
    CredentialHelper {
        /// The helper's name (after `docker-credential-`).
        helper: String,
        /// The registry asked about.
        registry: String,
        /// What went wrong.
        reason: String,
    },
    /// The registry answered with an error.
    #[error("`{url}` answered HTTP {status}{}", describe_codes(codes))]
    Registry {
        /// The URL asked for.
        url: String,
        /// The HTTP status.
        status: u16,
        /// `code: message` pairs from the registry's error body, or its start.
        codes: Vec<String>,
    },
    /// The registry broke the distribution protocol (a missing header, a bad range).
    #[error("`{url}` broke the distribution protocol: {reason}")]
    Protocol {
        /// The URL asked for.
        url: String,
        /// What was wrong.
        reason: String,
    },
    /// No manifest under that tag or digest.
    #[error("`{reference}` was not found in the registry")]
    ManifestNotFound {
        /// The reference asked for.
        reference: String,
    },
    /// A manifest fetched by digest has other bytes.
    #[error("manifest `{reference}` does not match its digest: expected {expected}, found {actual}")]
    ManifestDigest {
        /// The reference asked for.
        reference: String,
        /// The digest asked for.
        expected: String,
        /// The digest of the bytes received.
        actual: String,
    },
    /// A blob fetched from the registry has other bytes than its digest says.
    #[error("blob `{digest}` from `{repository}` does not match its digest: {reason}")]
    BlobDigest {
        /// The repository.
        repository: String,
        /// The digest expected (`sha256:<hex>`).
        digest: String,
        /// The digest or size found.
        reason: String,
    },
    /// A document of a media type buckle does not handle.
    #[error("`{reference}` has media type `{media_type}`: expected an image manifest or index")]
    UnexpectedMediaType {
        /// The reference.
        reference: String,
        /// The media type found.
        media_type: String,
    },
    /// An immutable tag already names another image.
    #[error(
        "tag `{tag}` already names {existing} in `{repository}`, not {new}: version tags are never moved"
    )]
    ImmutableTag {
        /// The repository.
        repository: String,
        /// The tag.
        tag: String,
        /// What it names now.
        existing: Sha256,
        /// What the push would make it name.
        new: Sha256,
    },
    /// The layout holds several images and none was chosen.
    #[error("`{}` holds several images ({}): name one as LAYOUT:TAG", path.display(), candidates.join(", "))]
    AmbiguousSource {
        /// The layout.
        path: PathBuf,
        /// The tags found.
        candidates: Vec<String>,
    },
    /// A local file (upload state, cache) could not be used.
    #[error("cannot use `{}`", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// An HTTP failure.
    #[error(transparent)]
    Http(#[from] buckle_http::Error),
    /// An OCI layout or document failure.
    #[error(transparent)]
    Oci(#[from] buckle_oci::Error),
    /// A bug in buckle.
    #[error("internal error: {0}")]
    Internal(String),
}

fn describe_codes(codes: &[String]) -> String {
    if codes.is_empty() {
        String::new()
    } else {
        format!(": {}", codes.join("; "))
    }
}

impl Error {
    /// What the user can do about it, when there is something.
    pub fn hint(&self) -> Option<Cow<'static, str>> {
        match self {
            Error::BadReference { .. } => {
                Some("write it as HOST[:PORT]/REPOSITORY[:TAG][@sha256:DIGEST]".into())
            }
            Error::InsecureNotLoopback { .. } => {
                Some("use https; for a private CA pass --ca-file or set BUCKLE_REGISTRY_CA".into())
            }
            Error::AuthRequired { .. } => Some(
                "set BUCKLE_REGISTRY_USER and BUCKLE_REGISTRY_PASSWORD, or log in with `docker login` \
                 (buckle reads ~/.docker/config.json and its credential helpers)"
                    .into(),
            ),
            Error::BadCredentials { origin, .. } => {
                Some(format!("check the credentials from {origin}").into())
            }
            Error::ManifestDigest { .. } | Error::BlobDigest { .. } => {
                Some("the registry's copy is damaged or was tampered with; nothing was written".into())
            }
            Error::ImmutableTag { .. } => Some(
                "the same version tag must always name the same image: rebuild from the same lock, \
                 or bump the lock"
                    .into(),
            ),
            Error::Http(e) => e.hint(),
            Error::Oci(e) => e.hint(),
            _ => None,
        }
    }

    /// Whether this is a failed check of content against its digest.
    pub fn is_untrusted(&self) -> bool {
        matches!(self, Error::ManifestDigest { .. } | Error::BlobDigest { .. })
    }
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
