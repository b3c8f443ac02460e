//! The one HTTP client of buckle: blocking, with kept-alive connections, timeouts and
//! retries with exponential backoff.
//!
//! This crate owns [`Client`] (GET into a [`Sink`] or into memory, HEAD, and any
//! [`Request`] with headers and a restartable [`Body`] through [`Client::send`] and
//! [`Client::fetch_to`]), [`TlsRoots`] (the bundled CA set, or the host's store plus a
//! private CA), the [`Error`] type that names the URL, the status and the start of an
//! error body, and the [`Reporter`] progress callbacks. Transient failures (connect
//! errors, timeouts, a connection cut mid-body, a body slower than the minimum rate,
//! HTTP 5xx, 429 and 408) are retried; 404 is [`Error::NotFound`] at once and other
//! 4xx fail at once. Redirects are followed up to 10 deep ([`Error::TooManyRedirects`]
//! past that), never carrying `Authorization` along. It knows nothing about digests or
//! Debian: `buckle-archive` verifies what it downloads, and callers bound what they
//! accept ([`Client::get_bytes`] takes a limit; a [`Sink`] refuses what is too much).
//!
//! # Example
//!
//! ```no_run
//! use buckle_http::Client;
//!
//! let client = Client::new();
//! let mut body = Vec::new();
//! let n = client.get_to_writer("http://127.0.0.1:8080/dists/trixie/InRelease", &mut body)?;
//! assert_eq!(n as usize, body.len());
//! # Ok::<(), buckle_http::Error>(())
//! ```
#![deny(missing_docs)]

mod client;
mod error;
mod pace;
mod reporter;
mod request;
mod sink;
mod tls;

pub use client::{Client, ClientBuilder, Head};
pub use error::{Error, Result};
pub use reporter::{NoReporter, Reporter};
pub use request::{Body, Method, OpenBody, Request, Response};
pub use sink::Sink;
pub use tls::TlsRoots;
