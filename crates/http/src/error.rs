//! Errors of HTTP requests: each names the URL it was about.

use std::borrow::Cow;

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The client is offline: nothing is sent.
    #[error("not fetching `{url}`: working offline")]
    Offline {
        /// The URL that would have been fetched.
        url: String,
    },
    /// The server answered 404 (or 410): the resource is not there.
    #[error("`{url}` was not found (HTTP 404)")]
    NotFound {
        /// The URL asked for.
        url: String,
    },
    /// The server answered with another non-success status.
    #[error("`{url}` answered HTTP {status}{}", snippet_suffix(body))]
    Status {
        /// The URL asked for.
        url: String,
        /// The HTTP status code.
        status: u16,
        /// The start of the response body (truncated), for diagnosis.
        body: String,
        /// How many attempts were made.
        attempts: u32,
    },
    /// The request could not be sent or the response could not be read (DNS, connect,
    /// timeout, connection reset, truncated body), after every retry.
    #[error("cannot fetch `{url}` (after {attempts} attempts)")]
    Transport {
        /// The URL asked for.
        url: String,
        /// How many attempts were made.
        attempts: u32,
        /// The last failure.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The server redirected more times than the client follows (a redirect loop).
    #[error("`{url}` redirected more than {limit} times")]
    TooManyRedirects {
        /// The URL asked for.
        url: String,
        /// How many redirects were followed.
        limit: u32,
    },
    /// Writing the body to its destination failed (this is never retried).
    #[error("cannot store the body of `{url}`")]
    Sink {
        /// The URL asked for.
        url: String,
        /// The writer's error.
        #[source]
        source: std::io::Error,
    },
    /// The server answered 401: credentials are missing, wrong or expired.
    #[error("`{url}` requires authentication (HTTP 401)")]
    Unauthorized {
        /// The URL asked for.
        url: String,
        /// The `WWW-Authenticate` header, which says how to authenticate.
        challenge: Option<String>,
    },
    /// The request body could not be read (this is never retried).
    #[error("cannot read the body to send to `{url}`")]
    Body {
        /// The URL the body was for.
        url: String,
        /// The reader's error.
        #[source]
        source: std::io::Error,
    },
    /// A CA certificate file could not be used.
    #[error("cannot use the CA certificate file `{}`: {reason}", path.display())]
    CaFile {
        /// The file.
        path: std::path::PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// The body is larger than the caller allows.
    #[error("the body of `{url}` is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The URL asked for.
        url: String,
        /// The limit in bytes.
        limit: u64,
    },
}

fn snippet_suffix(body: &str) -> String {
    if body.is_empty() {
        String::new()
    } else {
        format!(": {body}")
    }
}

impl Error {
    /// The URL the failed request was for (none for a CA file).
    pub fn url(&self) -> Option<&str> {
        match self {
            Error::NotFound { url }
            | Error::Offline { url }
            | Error::Status { url, .. }
            | Error::Transport { url, .. }
            | Error::TooManyRedirects { url, .. }
            | Error::Sink { url, .. }
            | Error::Unauthorized { url, .. }
            | Error::Body { url, .. }
            | Error::TooLarge { url, .. } => Some(url),
            Error::CaFile { .. } => None,
        }
    }

    /// Records how many attempts were made.
    pub(crate) fn with_attempts(mut self, n: u32) -> Self {
        if let Error::Status { attempts, .. } | Error::Transport { attempts, .. } = &mut self {
            *attempts = n;
        }
        self
    }

    /// Whether the server said the resource does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound { .. })
    }

    /// What the user can do about it, when there is something.
    pub fn hint(&self) -> Option<Cow<'static, str>> {
        match self {
            Error::Offline { .. } => Some(
                "it is not in the cache: on a connected machine, `buckle bundle create` a bundle that holds it, then `buckle bundle import` it here"
                    .into(),
            ),
            Error::Transport { .. } => {
                Some("check the network and the mirror URL; the request was retried".into())
            }
            Error::Status { status, .. } if *status >= 500 || *status == 429 => {
                Some("the server is overloaded or failing; retry later or use another mirror".into())
            }
            Error::TooManyRedirects { .. } => Some(
                "the server sends clients round in circles; check the URL, or tell the server's operators".into(),
            ),
            Error::CaFile { .. } => {
                Some("give a PEM file with the CA certificate that signed the server's".into())
            }
            _ => None,
        }
    }
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
