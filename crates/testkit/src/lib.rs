//! Test fixtures for buckle (a dev-dependency only; fixture code may panic).
//!
//! - [`deb`]: real `.deb` files built in code, and hostile ones.
//! - [`keys`]: OpenPGP signing keys generated in code, clearsigning.
//! - [`registries`]: the Python index and npm registry the host's pip and npm use.
//! - [`registry`]: the Debian `docker-registry` on loopback, stoppable and restartable.
//! - [`repo`]: signed Debian repositories built in code, with switches that break each
//!   link of the chain of trust.
//! - [`server`]: a loopback HTTP server over a path -> bytes map, with a request log
//!   and injectable faults.
//! - [`vulndata`]: the real vulnerability data beside the repository.
#![deny(missing_docs)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod deb;
pub mod keys;
pub mod registries;
pub mod registry;
pub mod repo;
pub mod server;
pub mod vulndata;
