//! The blocking [`Client`]: kept-alive connections, timeouts, retries with backoff.

use crate::error::{Error, Result};
use crate::pace::MinRate;
use crate::reporter::{NoReporter, Reporter};
use crate::request::{Body, Method, Request, Response};
use crate::sink::Sink;
use crate::tls::TlsRoots;
use std::io::Read;
use std::time::Duration;
use tracing::debug;

/// How many bytes of an error response body are kept for the error message.
const SNIPPET_CHARS: usize = 200;

/// Redirects followed before giving up: enough for a mirror or a registry sending
/// clients to a CDN, short of a loop.
const MAX_REDIRECTS: u32 = 10;

/// Settings for a [`Client`].
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    connect_timeout: Duration,
    read_timeout: Duration,
    min_rate: u64,
    attempts: u32,
    backoff: Duration,
    max_backoff: Duration,
    user_agent: String,
    max_idle_per_host: usize,
    roots: TlsRoots,
    offline: bool,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            connect_timeout: Duration::from_secs(15),
            read_timeout: Duration::from_secs(30),
            min_rate: 1024,
            attempts: 4,
            backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
            user_agent: concat!("buckle/", env!("CARGO_PKG_VERSION")).to_owned(),
            max_idle_per_host: 16,
            roots: TlsRoots::default(),
            offline: false,
        }
    }
}

impl ClientBuilder {
    /// Time allowed to open a connection (default 15 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time allowed for any single read from the server, headers or body (default 30 s).
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// The slowest body accepted, in bytes per second averaged over each read timeout
    /// (default 1 KiB/s; 0 accepts any pace). A slower body is a stall, retried like a
    /// timeout: without it, a server sending a byte now and then would hold a
    /// download forever.
    pub fn min_rate(mut self, bytes_per_second: u64) -> Self {
        self.min_rate = bytes_per_second;
        self
    }

    /// Attempts per request, the first included (default 4, at least 1).
    pub fn attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts.max(1);
        self
    }

    /// Wait before the first retry; it doubles on each further retry up to
    /// `max_backoff` (defaults 250 ms and 8 s).
    pub fn backoff(mut self, first: Duration, max: Duration) -> Self {
        self.backoff = first;
        self.max_backoff = max;
        self
    }

    /// The `User-Agent` header (default `buckle/<version>`).
    pub fn user_agent(mut self, user_agent: &str) -> Self {
        user_agent.clone_into(&mut self.user_agent);
        self
    }

    /// Idle connections kept alive per host (default 16, enough for parallel fetches).
    pub fn max_idle_per_host(mut self, n: usize) -> Self {
        self.max_idle_per_host = n;
        self
    }

    /// The certificate authorities trusted for https (default: the bundled set).
    pub fn tls_roots(mut self, roots: TlsRoots) -> Self {
        self.roots = roots;
        self
    }

    /// Refuse every request with [`Error::Offline`] (default false): nothing leaves
    /// the machine, and what would have been fetched is named in the error.
    pub fn offline(mut self, offline: bool) -> Self {
        self.offline = offline;
        self
    }

    /// Builds the client.
    pub fn build(self) -> Client {
        let tls = ureq::tls::TlsConfig::builder()
            .root_certs(self.roots.root_certs())
            .build();
        let config = ureq::Agent::config_builder()
            .tls_config(tls)
            .http_status_as_error(false)
            .timeout_connect(Some(self.connect_timeout))
            .timeout_per_read(Some(self.read_timeout))
            .user_agent(self.user_agent.as_str())
            // Ask for the bytes as stored: digests are over exactly those bytes.
            .accept_encoding("")
            // Credentials are for the host they were given to: a redirect elsewhere
            // (a CDN, or a hostile server) never receives them.
            .redirect_auth_headers(ureq::config::RedirectAuthHeaders::Never)
            .max_redirects(MAX_REDIRECTS)
            .max_idle_connections(self.max_idle_per_host.max(10))
            .max_idle_connections_per_host(self.max_idle_per_host)
            .build();
        Client {
            agent: config.into(),
            attempts: self.attempts,
            backoff: self.backoff,
            max_backoff: self.max_backoff,
            offline: self.offline,
            min_rate: MinRate {
                bytes_per_second: self.min_rate,
                window: self.read_timeout,
            },
        }
    }
}

/// What a `HEAD` request learned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// `Content-Length`, when the server sent one.
    pub content_length: Option<u64>,
}

/// The one HTTP client. Cheap to clone; clones share the connection pool, so it can
/// be used from several threads at once.
#[derive(Debug, Clone)]
pub struct Client {
    agent: ureq::Agent,
    attempts: u32,
    backoff: Duration,
    max_backoff: Duration,
    offline: bool,
    min_rate: MinRate,
}

impl Default for Client {
    fn default() -> Self {
        ClientBuilder::default().build()
    }
}

/// The outcome of one attempt that did not succeed.
enum Failure {
    /// Worth another try: a transport error or a 5xx/429/408 status.
    Transient(Error, Option<Duration>),
    /// Final.
    Fatal(Error),
}

impl Client {
    /// A client with default settings.
    pub fn new() -> Client {
        Client::default()
    }

    /// Settings for a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// GETs `url` and streams the body into `sink`; returns the number of bytes.
    /// A failure in the middle of the body restarts the sink and retries.
    pub fn get_to_writer<S: Sink + ?Sized>(&self, url: &str, sink: &mut S) -> Result<u64> {
        self.get_to_writer_reporting(url, sink, &NoReporter)
    }

    /// [`Client::get_to_writer`], telling `reporter` about progress.
    pub fn get_to_writer_reporting<S: Sink + ?Sized>(
        &self,
        url: &str,
        sink: &mut S,
        reporter: &dyn Reporter,
    ) -> Result<u64> {
        self.fetch_to(&Request::get(url), sink, reporter)
    }

    /// Sends `request` and streams a successful response's body into `sink`; returns
    /// the number of bytes. A failure in the middle of the body restarts the sink and
    /// retries. Any status but 2xx is an error ([`Error::NotFound`],
    /// [`Error::Unauthorized`] with the server's challenge, [`Error::Status`]).
    pub fn fetch_to<S: Sink + ?Sized>(
        &self,
        request: &Request,
        sink: &mut S,
        reporter: &dyn Reporter,
    ) -> Result<u64> {
        let url = request.url.as_str();
        let mut written = 0;
        let result = self.with_retries(url, reporter, |attempt| {
            if written > 0 {
                sink.restart().map_err(|source| sink_error(url, source))?;
                reporter.on_restart(url, written);
                written = 0;
            }
            let response = self.send_once(request, attempt, &NoReporter)?;
            let response = success_or_failure(response, request.method, attempt)?;
            stream_body(url, response, sink, reporter, &mut written)
        });
        if result.is_ok() {
            reporter.on_done(url);
        }
        result
    }

    /// Sends `request`, retrying transport failures and 5xx, 429 and 408 answers, and
    /// returns the response with its status for the caller to judge. A
    /// [`Body::Stream`] is reopened for each attempt, and its bytes are told to
    /// `reporter` as they go out.
    pub fn send(&self, request: &Request, reporter: &dyn Reporter) -> Result<Response> {
        let url = request.url.as_str();
        let mut sent_before = false;
        let result = self.with_retries(url, reporter, |attempt| {
            if sent_before {
                reporter.on_restart(url, request.body.len());
            }
            sent_before = !request.body.is_empty();
            let response = self.send_once(request, attempt, reporter)?;
            if is_transient(response.status()) {
                let wait = retry_after(&response);
                return Err(Failure::Transient(
                    status_error(response, request.method, attempt),
                    wait,
                ));
            }
            Ok(response)
        });
        if result.is_ok() && !request.body.is_empty() {
            reporter.on_done(url);
        }
        result
    }

    /// GETs `url` into memory, failing with [`Error::TooLarge`] past `limit` bytes.
    pub fn get_bytes(&self, url: &str, limit: u64) -> Result<Vec<u8>> {
        let mut sink = LimitedVec {
            bytes: Vec::new(),
            limit,
        };
        match self.get_to_writer(url, &mut sink) {
            Err(Error::Sink { url, source }) if source.kind() == std::io::ErrorKind::FileTooLarge => {
                Err(Error::TooLarge { url, limit })
            }
            other => other.map(|_| sink.bytes),
        }
    }

    /// HEADs `url`.
    pub fn head(&self, url: &str) -> Result<Head> {
        let request = Request::new(Method::Head, url);
        self.with_retries(url, &NoReporter, |attempt| {
            let response = self.send_once(&request, attempt, &NoReporter)?;
            let response = success_or_failure(response, Method::Head, attempt)?;
            Ok(Head {
                content_length: response.content_length(),
            })
        })
    }

    /// Whether `url` exists (a successful HEAD); `false` on 404.
    pub fn exists(&self, url: &str) -> Result<bool> {
        match self.head(url) {
            Ok(_) => Ok(true),
            Err(Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Runs `attempt` until it succeeds, fails for good, or the attempts run out.
    fn with_retries<T>(
        &self,
        url: &str,
        reporter: &dyn Reporter,
        mut attempt: impl FnMut(u32) -> Result<T, Failure>,
    ) -> Result<T> {
        if self.offline {
            return Err(Error::Offline { url: url.to_owned() });
        }
        let mut delay = self.backoff;
        for n in 1.. {
            match attempt(n) {
                Ok(value) => return Ok(value),
                Err(Failure::Fatal(error)) => return Err(error),
                Err(Failure::Transient(error, _)) if n >= self.attempts => return Err(error.with_attempts(n)),
                Err(Failure::Transient(error, retry_after)) => {
                    let wait = retry_after.unwrap_or(delay).min(self.max_backoff);
                    debug!(url, attempt = n, error = %error, ?wait, "retrying");
                    reporter.on_retry(url, n, &error);
                    std::thread::sleep(wait);
                    delay = (delay * 2).min(self.max_backoff);
                }
            }
        }
        unreachable!("the retry loop returns from inside")
    }

    /// Sends one request; only a transport failure is an error here.
    fn send_once(
        &self,
        request: &Request,
        attempt: u32,
        reporter: &dyn Reporter,
    ) -> Result<Response, Failure> {
        let url = request.url.as_str();
        debug!(url, method = request.method.as_str(), attempt, "request");
        let mut builder = ureq::http::Request::builder()
            .method(request.method.as_str())
            .uri(url);
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let invalid = |e: ureq::http::Error| Failure::Fatal(transport(url, attempt, e));
        let sent = match request.body {
            Body::Empty => self.agent.run(builder.body(()).map_err(invalid)?),
            Body::Bytes(bytes) => {
                let builder = builder.header("content-length", bytes.len());
                self.agent.run(builder.body(bytes).map_err(invalid)?)
            }
            Body::Stream { len, open } => {
                let reader = open().map_err(|source| {
                    Failure::Fatal(Error::Body {
                        url: url.to_owned(),
                        source,
                    })
                })?;
                reporter.on_start(url, Some(len));
                let mut counted = CountingReader {
                    inner: reader,
                    url,
                    reporter,
                };
                let body = ureq::SendBody::from_reader(&mut counted);
                self.agent.run(
                    builder
                        .header("content-length", len)
                        .body(body)
                        .map_err(invalid)?,
                )
            }
        };
        let response = sent.map_err(|e| transport_failure(url, attempt, e))?;
        Ok(Response::new(url, response, self.min_rate))
    }
}

/// Reports the bytes of a request body as they are read to be sent.
struct CountingReader<'a> {
    inner: Box<dyn Read + Send>,
    url: &'a str,
    reporter: &'a dyn Reporter,
}

impl Read for CountingReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.reporter.on_progress(self.url, n as u64);
        Ok(n)
    }
}

/// Worth another try: the server is busy or failing, not refusing.
fn is_transient(status: u16) -> bool {
    status >= 500 || status == 429 || status == 408
}

/// Sorts a response into success, transient or fatal, for callers that want 2xx.
fn success_or_failure(response: Response, method: Method, attempt: u32) -> Result<Response, Failure> {
    let status = response.status();
    if response.is_success() {
        return Ok(response);
    }
    if status == 404 || status == 410 {
        return Err(Failure::Fatal(Error::NotFound {
            url: response.url().to_owned(),
        }));
    }
    if status == 401 {
        return Err(Failure::Fatal(Error::Unauthorized {
            url: response.url().to_owned(),
            challenge: response.header("www-authenticate").map(str::to_owned),
        }));
    }
    let wait = retry_after(&response);
    let error = status_error(response, method, attempt);
    if is_transient(status) {
        Err(Failure::Transient(error, wait))
    } else {
        Err(Failure::Fatal(error))
    }
}

/// [`Error::Status`] for `response`, with the start of its body (none for `HEAD`).
fn status_error(response: Response, method: Method, attempt: u32) -> Error {
    let (url, status) = (response.url().to_owned(), response.status());
    let body = match method {
        Method::Head => String::new(),
        _ => response.into_snippet(),
    };
    Error::Status {
        url,
        status,
        body,
        attempts: attempt,
    }
}

fn stream_body<S: Sink + ?Sized>(
    url: &str,
    response: Response,
    sink: &mut S,
    reporter: &dyn Reporter,
    written: &mut u64,
) -> Result<u64, Failure> {
    reporter.on_start(url, response.content_length());
    let mut reader = response.into_reader();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => return Ok(*written),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Failure::Transient(transport(url, 0, e), None)),
        };
        let chunk = buf.get(..n).unwrap_or_default();
        sink.write_all(chunk).map_err(|source| sink_error(url, source))?;
        *written += n as u64;
        reporter.on_progress(url, n as u64);
    }
}

fn sink_error(url: &str, source: std::io::Error) -> Failure {
    Failure::Fatal(Error::Sink {
        url: url.to_owned(),
        source,
    })
}

pub(crate) fn transport(
    url: &str,
    attempts: u32,
    source: impl std::error::Error + Send + Sync + 'static,
) -> Error {
    Error::Transport {
        url: url.to_owned(),
        attempts,
        source: Box::new(source),
    }
}

/// Transport errors worth retrying: the network, not the request.
fn transport_failure(url: &str, attempt: u32, e: ureq::Error) -> Failure {
    if matches!(e, ureq::Error::TooManyRedirects) {
        return Failure::Fatal(Error::TooManyRedirects {
            url: url.to_owned(),
            limit: MAX_REDIRECTS,
        });
    }
    let transient = matches!(
        e,
        ureq::Error::Io(_)
            | ureq::Error::Timeout(_)
            | ureq::Error::HostNotFound
            | ureq::Error::ConnectionFailed
            | ureq::Error::Protocol(_)
            | ureq::Error::BodyStalled
    );
    let error = transport(url, attempt, e);
    if transient {
        Failure::Transient(error, None)
    } else {
        Failure::Fatal(error)
    }
}

/// `Retry-After` in seconds, when given that way.
fn retry_after(response: &Response) -> Option<Duration> {
    let value = response.header("retry-after")?;
    value.trim().parse().ok().map(Duration::from_secs)
}

/// The start of an error response's body, made printable and cut short.
pub(crate) fn body_snippet(reader: impl Read) -> String {
    let mut raw = Vec::new();
    let _ = reader.take(4096).read_to_end(&mut raw);
    truncate_snippet(&String::from_utf8_lossy(&raw))
}

fn truncate_snippet(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(SNIPPET_CHARS) {
        Some((cut, _)) => format!("{}…", flat.get(..cut).unwrap_or_default()),
        None => flat,
    }
}

/// A Vec that refuses to grow past `limit`.
struct LimitedVec {
    bytes: Vec<u8>,
    limit: u64,
}

impl std::io::Write for LimitedVec {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len() as u64 + buf.len() as u64 > self.limit {
            return Err(std::io::ErrorKind::FileTooLarge.into());
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Sink for LimitedVec {
    fn restart(&mut self) -> std::io::Result<()> {
        self.bytes.clear();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_error_bodies_are_flattened_and_cut() {
        let body = format!("<html>\n  <p>{}</p>\n</html>", "x".repeat(500));
        let snippet = truncate_snippet(&body);
        assert_eq!(snippet.chars().count(), SNIPPET_CHARS + 1);
        assert!(snippet.starts_with("<html> <p>xxx"));
        assert!(snippet.ends_with('…'));
        assert_eq!(truncate_snippet("short\nbody"), "short body");
    }
}
