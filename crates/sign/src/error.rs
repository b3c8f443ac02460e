//! The errors of signing and verifying.

use std::borrow::Cow;

/// Why signing, or reading a key, failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A key file is not in the format buckle and cosign use.
    #[error("the key is not usable: {reason}")]
    KeyFormat {
        /// What is wrong with it.
        reason: String,
    },
    /// The password does not open the private key.
    #[error("wrong password for the private key")]
    WrongPassword,
    /// The layout holds no image to sign or verify.
    #[error("`{}` has no image{}", path.display(), tag.as_ref().map(|t| format!(" tagged `{t}`")).unwrap_or_default())]
    NoImage {
        /// The layout.
        path: std::path::PathBuf,
        /// The tag asked for.
        tag: Option<String>,
    },
    /// A name that is neither a predicate type URI nor one of the short names.
    #[error("`{name}` is not a predicate type: use a URI or one of {known}")]
    PredicateType {
        /// The name given.
        name: String,
        /// The short names, listed.
        known: String,
    },
    /// A policy file is not valid.
    #[error("the verification policy is not valid: {reason}")]
    Policy {
        /// What is wrong.
        reason: String,
    },
    /// Reading or writing the layout failed.
    #[error("cannot {what}")]
    Layout {
        /// What was being done.
        what: String,
        /// Why it failed.
        #[source]
        source: buckle_oci::Error,
    },
    /// A bug in buckle.
    #[error("internal error: {0}")]
    Internal(String),
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// What the user can do about it.
    pub fn hint(&self) -> Option<Cow<'static, str>> {
        match self {
            Error::WrongPassword => Some("set BUCKLE_PASSWORD to the password the key was made with".into()),
            Error::KeyFormat { .. } => {
                Some("use a key pair from `buckle keygen` or `cosign generate-key-pair` (ECDSA P-256)".into())
            }
            Error::Layout { source, .. } => source.hint(),
            Error::NoImage { .. } => Some("sign and verify OCI layouts, as `buckle build` writes them".into()),
            Error::Policy { .. } => Some(
                "a policy has `require = [...]` (predicate type URIs or slsaprovenance1, spdxjson, cyclonedx, vuln) and `builder-id`".into(),
            ),
            Error::PredicateType { .. } | Error::Internal(_) => None,
        }
    }
}
