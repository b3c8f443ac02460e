//! [`Request`] and [`Response`]: any method, headers, and a body that a retry can
//! send again from the start.

use crate::error::{Error, Result};
use crate::pace::{MinRate, Paced};
use std::io::Read;

/// The HTTP methods buckle sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET`
    Get,
    /// `HEAD`
    Head,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `PATCH`
    Patch,
    /// `DELETE`
    Delete,
}

impl Method {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

/// Opens a fresh reader over a request body, once per attempt.
pub type OpenBody<'a> = dyn Fn() -> std::io::Result<Box<dyn Read + Send>> + Sync + 'a;

/// What a request sends.
#[derive(Clone, Copy)]
pub enum Body<'a> {
    /// No body.
    Empty,
    /// These bytes.
    Bytes(&'a [u8]),
    /// `len` bytes read from a reader that `open` makes afresh for each attempt, so a
    /// retry sends the body again from its start.
    Stream {
        /// The exact number of bytes the reader yields (sent as `Content-Length`).
        len: u64,
        /// Makes the reader.
        open: &'a OpenBody<'a>,
    },
}

impl Body<'_> {
    /// The number of bytes sent.
    pub fn len(&self) -> u64 {
        match self {
            Body::Empty => 0,
            Body::Bytes(bytes) => bytes.len() as u64,
            Body::Stream { len, .. } => *len,
        }
    }

    /// Whether nothing is sent.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl std::fmt::Debug for Body<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Body::Empty => f.write_str("Empty"),
            Body::Bytes(bytes) => write!(f, "Bytes({})", bytes.len()),
            Body::Stream { len, .. } => write!(f, "Stream({len})"),
        }
    }
}

/// One HTTP request: method, URL, headers and body.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub(crate) method: Method,
    pub(crate) url: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Body<'a>,
}

impl<'a> Request<'a> {
    /// A request with no headers and no body.
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        Request {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: Body::Empty,
        }
    }

    /// A `GET` of `url`.
    pub fn get(url: impl Into<String>) -> Self {
        Request::new(Method::Get, url)
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: Body<'a>) -> Self {
        self.body = body;
        self
    }

    /// The method.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The URL.
    pub fn url(&self) -> &str {
        &self.url
    }
}

/// A response whose status the caller judges: [`crate::Client::send`] returns every
/// status that retrying would not change.
#[derive(Debug)]
pub struct Response {
    url: String,
    inner: ureq::http::Response<ureq::Body>,
    min_rate: MinRate,
}

impl Response {
    pub(crate) fn new(url: &str, inner: ureq::http::Response<ureq::Body>, min_rate: MinRate) -> Self {
        Response {
            url: url.to_owned(),
            inner,
            min_rate,
        }
    }

    /// The URL asked for.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The status code.
    pub fn status(&self) -> u16 {
        self.inner.status().as_u16()
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status())
    }

    /// The first value of header `name` (case-insensitive), if it is text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.inner.headers().get(name).and_then(|v| v.to_str().ok())
    }

    /// `Content-Length`, when the server sent one.
    pub fn content_length(&self) -> Option<u64> {
        self.header("content-length").and_then(|v| v.trim().parse().ok())
    }

    /// Reads the body into memory, failing with [`Error::TooLarge`] past `limit` bytes.
    pub fn into_bytes(self, limit: u64) -> Result<Vec<u8>> {
        let url = self.url.clone();
        let mut out = Vec::new();
        self.into_reader()
            .take(limit + 1)
            .read_to_end(&mut out)
            .map_err(|e| crate::client::transport(&url, 1, e))?;
        if out.len() as u64 > limit {
            return Err(Error::TooLarge { url, limit });
        }
        Ok(out)
    }

    /// The start of the body, flattened and cut short, for an error message.
    pub fn into_snippet(self) -> String {
        crate::client::body_snippet(self.into_reader())
    }

    /// The body, failing when it arrives slower than the client's minimum rate.
    pub(crate) fn into_reader(self) -> Paced<ureq::BodyReader<'static>> {
        let reader = self.inner.into_body().into_with_config().limit(u64::MAX).reader();
        Paced::new(reader, self.min_rate)
    }
}
