//! Exit codes, decided once at the top from the error chain (listed in `buckle --help`).

use std::borrow::Cow;

/// The process exit codes buckle uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// A gate failed: a smoke test, a verification, a score or finding threshold.
    GateFailed = 1,
    /// Bad usage or bad input: arguments, a spec, a lock, a file.
    BadInput = 2,
    /// A link in the chain of trust did not verify: signature, digest, size.
    Untrusted = 3,
    /// The network or a remote service failed: mirror or registry unreachable.
    Unreachable = 4,
    /// A bug in buckle.
    Internal = 101,
}

/// Text for `buckle --help`.
pub const HELP: &str = "\
Exit codes:
  0    success
  1    a gate failed (smoke test, verify, check score, scan --fail-on)
  2    bad usage or input (arguments, spec, lock, files)
  3    a link in the chain of trust did not verify (signature, digest, size)
  4    a mirror or registry could not be reached
  101  a bug in buckle";

/// A gate that failed: not an error in buckle or the input, but a "no" for CI.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct GateFailed {
    pub message: String,
}

/// An error in input the user gave, with an optional hint.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct UserError {
    pub message: String,
    pub hint: Option<String>,
}

impl UserError {
    pub fn new(message: impl Into<String>) -> Self {
        UserError {
            message: message.into(),
            hint: None,
        }
    }

    pub fn with_hint(message: impl Into<String>, hint: impl Into<String>) -> Self {
        UserError {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }
}

/// The exit code for an error chain: the first error in the chain that buckle knows
/// decides.
pub fn code(err: &anyhow::Error) -> Code {
    for cause in err.chain() {
        if cause.is::<GateFailed>() {
            return Code::GateFailed;
        }
        if cause.is::<UserError>() || cause.is::<clap::Error>() {
            return Code::BadInput;
        }
        if let Some(code) = crate::errors::code_of(cause) {
            return code;
        }
    }
    Code::BadInput
}

/// The first hint offered by an error in the chain.
pub fn hint(err: &anyhow::Error) -> Option<Cow<'static, str>> {
    err.chain().find_map(|cause| {
        if let Some(user) = cause.downcast_ref::<UserError>() {
            return user.hint.clone().map(Cow::Owned);
        }
        crate::errors::hint_of(cause)
    })
}

/// Whether the chain holds an internal error (a bug).
pub fn is_internal(err: &anyhow::Error) -> bool {
    code(err) == Code::Internal
}
