//! OCI images on disk and on the wire, and the one tar implementation in buckle.
//!
//! This crate owns:
//! - [`tar`]: the safe tar [`tar::Reader`] (paths normalised and kept under the root,
//!   devices reported, sizes capped) and the deterministic [`tar::LayerWriter`] that
//!   computes a layer's diff_id and blob digest while it streams;
//! - [`RelPath`], a path inside an image that cannot escape the root;
//! - the OCI documents, [`Descriptor`], [`ImageConfig`], [`ImageManifest`] and
//!   [`ImageIndex`] (Docker v2 manifests and lists read into the same types), and
//!   [`canonical_json`], whose bytes are stable so digests are;
//! - [`layout`]: OCI image layout directories, written to a temporary sibling and
//!   renamed into place, read with every blob checked against its digest;
//! - [`docker_archive`]: the tar `docker save` writes and `docker load` reads;
//! - [`open_image`]: any image on disk, layout or archive, read the same way, with
//!   [`Image::merged_files`] giving the final file list after whiteouts;
//! - [`media_type`] strings for OCI and Docker documents.
//!
//! It knows nothing about Debian packages or hardening (that is `buckle-image`), nor
//! about registries (`buckle-registry`). The tar code and the document types do no
//! I/O; [`layout`] reads and writes the file system.
//!
//! # Example
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use buckle_oci::tar::{Compression, Entry, LayerWriter, Reader};
//!
//! let mut layer = LayerWriter::new(Vec::new(), Compression::None, 0)?;
//! layer.append(&Entry::file("hello".parse()?, 0o644, 2), &b"hi"[..])?;
//! let (digests, tar_bytes) = layer.finish()?;
//! assert_eq!(digests.diff_id, digests.digest);
//!
//! let mut reader = Reader::new(&tar_bytes[..]);
//! let paths: Vec<String> = reader
//!     .entries()?
//!     .map(|item| item.map(|(entry, _)| entry.path.to_string()))
//!     .collect::<Result<_, _>>()?;
//! assert_eq!(paths, ["hello"]);
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod blob;
mod config;
mod descriptor;
pub mod docker_archive;
mod error;
mod image;
mod json;
pub mod layer_index;
pub mod layout;
mod manifest;
pub mod media_type;
mod output;
mod path;
pub mod tar;
mod unpack;

pub use blob::{BlobReader, BlobWriter};
pub use config::{rfc3339_utc, ContainerConfig, EmptyObject, History, ImageConfig, RootFs};
pub use descriptor::{annotation, oci_digest, Descriptor, Platform};
pub use error::{EntryProblem, Error, PathProblem, Result};
pub use image::{
    open_image, parse_image_arg, Image, ImageLayer, LayerReader, MergedFile, DEFAULT_MEMORY_BUDGET,
};
pub use json::canonical_json;
pub use manifest::{ImageIndex, ImageManifest};
pub use output::{write_file, FileOutput};
pub use path::RelPath;
pub use unpack::unpack;
