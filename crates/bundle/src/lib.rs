//! Air-gap bundles: everything a catalog needs to build, scan and rebuild on a machine
//! with no network, in one file whose trust still comes from Debian's signatures.
//!
//! - [`manifest`]: what a bundle holds (every member with its SHA-256), and how a
//!   member's path says what it is;
//! - [`write`]: a bundle from files and bytes, whole or as a delta on an older one;
//! - [`read`]: a bundle unpacked into a directory, every member checked against the
//!   manifest, nothing unlisted, nothing missing;
//! - [`debian`]: the Debian chain inside it: each InRelease against the archive keys,
//!   each index against its InRelease, each .deb against its index;
//! - [`imported`]: the record an import leaves in the cache, which offline work reads;
//! - [`serve`]: the mirrors inside it as apt repositories over HTTP, by-hash included.
//!
//! The format: a tar (zstd-compressed) whose first member is `manifest.json`, then
//! `manifest.dsse.json` when the manifest is signed, then the members in manifest
//! order. Member paths:
//!
//! | path | what |
//! | --- | --- |
//! | `mirrors/<mirror>/dists/<suite>/InRelease` | the archive's InRelease, byte for byte |
//! | `mirrors/<mirror>/dists/<suite>/<file>` | an index file as Release lists it |
//! | `mirrors/<mirror>/pool/...` | a .deb at its pool path |
//! | `upstream/<sha256>` | an upstream artifact a lock pins |
//! | `feeds/...` | the vulnerability feed store |
//! | `images/...` | OCI layouts with their attachments |
#![deny(missing_docs)]

pub mod debian;
mod error;
pub mod imported;
pub mod manifest;
pub mod read;
pub mod serve;
pub mod write;

pub use error::{Difference, Error, Result};
pub use manifest::{Manifest, Member, MemberKind};
