//! [`Registry`]: one registry host, its scheme and TLS roots, and authenticated
//! requests (a 401 is answered once through [`crate::auth`], then retried).

use crate::auth::{Auth, CredentialStore};
use crate::error::{Error, Result};
use crate::reporter::{Bytes, Reporter};
use buckle_http::{Client, Request, Response, Sink, TlsRoots};
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

/// The start of an error body kept for messages.
const ERROR_BODY_LIMIT: u64 = 64 * 1024;

/// How to reach registries.
#[derive(Debug)]
pub struct Options {
    /// Plain HTTP, allowed only for registries on loopback.
    pub insecure: bool,
    /// A PEM file with a private CA, trusted besides the host's store.
    pub ca_file: Option<PathBuf>,
    /// Where credentials come from.
    pub credentials: CredentialStore,
    /// Attempts per request, the first included.
    pub attempts: u32,
    /// Time allowed for any single read from the registry; a body must also arrive
    /// at 1 KiB/s or more averaged over this time, or it is a stall and retried.
    pub read_timeout: Duration,
    /// Blobs larger than this are uploaded in chunks of this size.
    pub chunk_size: u64,
    /// Blobs moved at once.
    pub jobs: usize,
    /// Where unfinished upload sessions are remembered so a re-run resumes them;
    /// `None` restarts interrupted uploads from the start.
    pub upload_state: Option<PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            insecure: false,
            ca_file: None,
            credentials: CredentialStore::anonymous(),
            attempts: 4,
            read_timeout: Duration::from_secs(120),
            chunk_size: 32 << 20,
            jobs: 4,
            upload_state: None,
        }
    }
}

/// A connection to one registry host.
pub struct Registry {
    host: String,
    base: String,
    http: Client,
    auth: Auth,
    pub(crate) options: OptionsView,
}

/// The parts of [`Options`] the transfer code reads.
#[derive(Debug, Clone)]
pub(crate) struct OptionsView {
    pub chunk_size: u64,
    pub jobs: usize,
    pub upload_state: Option<PathBuf>,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    errors: Vec<ErrorEntry>,
}

#[derive(Deserialize)]
struct ErrorEntry {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

impl Registry {
    /// Connects to `host` (`host[:port]`): https with the host's CA store (plus
    /// `ca_file`), or plain HTTP with `insecure` on loopback. Checks that it speaks
    /// the distribution API (`GET /v2/`) and learns how it wants to authenticate.
    pub fn connect(host: &str, options: &Options) -> Result<Registry> {
        let scheme = match (options.insecure, crate::reference::is_loopback_host(host)) {
            (false, _) => "https",
            (true, true) => {
                tracing::warn!(
                    registry = host,
                    "plain HTTP (--insecure): nothing sent or received is protected"
                );
                "http"
            }
            (true, false) => {
                return Err(Error::InsecureNotLoopback {
                    host: host.to_owned(),
                })
            }
        };
        let mut roots = TlsRoots::system();
        if let Some(ca) = &options.ca_file {
            roots = roots.add_pem_file(ca)?;
        }
        let http = Client::builder()
            .attempts(options.attempts)
            .backoff(Duration::from_millis(200), Duration::from_secs(4))
            .read_timeout(options.read_timeout)
            .tls_roots(roots)
            .build();
        let registry = Registry {
            host: host.to_owned(),
            base: format!("{scheme}://{host}"),
            http,
            auth: Auth::new(host, options.credentials.lookup(host)?),
            options: OptionsView {
                chunk_size: options.chunk_size.max(1),
                jobs: options.jobs.max(1),
                upload_state: options.upload_state.clone(),
            },
        };
        registry.ping()?;
        Ok(registry)
    }

    /// The registry host.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// `<base>/v2/<path>`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}/v2/{path}", self.base)
    }

    /// An upload `Location` made absolute (it may be relative to the registry).
    pub(crate) fn absolute(&self, location: &str) -> String {
        if location.starts_with("http://") || location.starts_with("https://") {
            location.to_owned()
        } else {
            format!("{}/{}", self.base, location.trim_start_matches('/'))
        }
    }

    fn ping(&self) -> Result<()> {
        let request = Request::get(self.url(""));
        let response = self.http.send(&request, &buckle_http::NoReporter)?;
        match response.status() {
            200..=299 => Ok(()),
            401 => {
                // Learn the scheme now; credentials are checked on the first real request.
                self.auth.learn(response.header("www-authenticate"))?;
                Ok(())
            }
            _ => Err(registry_error(response)),
        }
    }

    /// Sends `request` with authorization for `scopes`, answering one 401.
    pub(crate) fn send(
        &self,
        scopes: &[String],
        request: Request,
        reporter: &dyn Reporter,
    ) -> Result<Response> {
        let bytes = Bytes(reporter);
        let sent = self.auth.prepare(&self.http, scopes)?;
        let response = self.http.send(&authorized(&request, sent.as_deref()), &bytes)?;
        if response.status() != 401 {
            return Ok(response);
        }
        let challenge = response.header("www-authenticate").map(str::to_owned);
        self.auth
            .on_unauthorized(&self.http, challenge.as_deref(), scopes, sent.as_deref())?;
        let sent = self.auth.prepare(&self.http, scopes)?;
        let response = self.http.send(&authorized(&request, sent.as_deref()), &bytes)?;
        if response.status() == 401 {
            return Err(self.auth.refused(scopes));
        }
        Ok(response)
    }

    /// GETs into `sink` with authorization for `scopes`, answering one 401; any
    /// status but 2xx is an error.
    pub(crate) fn fetch_to(
        &self,
        scopes: &[String],
        request: Request,
        sink: &mut dyn Sink,
        reporter: &dyn Reporter,
    ) -> Result<u64> {
        let bytes = Bytes(reporter);
        let sent = self.auth.prepare(&self.http, scopes)?;
        match self
            .http
            .fetch_to(&authorized(&request, sent.as_deref()), sink, &bytes)
        {
            Err(buckle_http::Error::Unauthorized { challenge, .. }) => {
                self.auth
                    .on_unauthorized(&self.http, challenge.as_deref(), scopes, sent.as_deref())?;
                let sent = self.auth.prepare(&self.http, scopes)?;
                match self
                    .http
                    .fetch_to(&authorized(&request, sent.as_deref()), sink, &bytes)
                {
                    Err(buckle_http::Error::Unauthorized { .. }) => Err(self.auth.refused(scopes)),
                    other => Ok(other?),
                }
            }
            other => Ok(other?),
        }
    }
}

fn authorized<'a>(request: &Request<'a>, header: Option<&str>) -> Request<'a> {
    match header {
        Some(value) => request.clone().header("authorization", value),
        None => request.clone(),
    }
}

/// `repository:<name>:pull`.
pub(crate) fn pull_scope(repository: &str) -> String {
    format!("repository:{repository}:pull")
}

/// `repository:<name>:pull,push`.
pub(crate) fn push_scope(repository: &str) -> String {
    format!("repository:{repository}:pull,push")
}

/// The response if its status is one of `expected`, else the registry's error.
pub(crate) fn expect(response: Response, expected: &[u16]) -> Result<Response> {
    if expected.contains(&response.status()) {
        Ok(response)
    } else {
        Err(registry_error(response))
    }
}

/// The registry's error body (`{"errors":[{"code","message"}]}`) as an error.
pub(crate) fn registry_error(response: Response) -> Error {
    let (url, status) = (response.url().to_owned(), response.status());
    let body = response.into_bytes(ERROR_BODY_LIMIT).unwrap_or_default();
    let codes = match serde_json::from_slice::<ErrorBody>(&body) {
        Ok(parsed) if !parsed.errors.is_empty() => parsed
            .errors
            .iter()
            .map(|e| format!("{}: {}", e.code, e.message))
            .collect(),
        _ => {
            let text = String::from_utf8_lossy(&body);
            let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
            let cut: String = flat.chars().take(200).collect();
            if cut.is_empty() {
                Vec::new()
            } else {
                vec![cut]
            }
        }
    };
    Error::Registry { url, status, codes }
}
