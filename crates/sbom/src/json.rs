//! The bytes of a document: pretty-printed JSON with a final newline.
//!
//! Documents are built from structs (keys in declaration order) and sorted vectors, so the
//! same input always gives the same bytes.

use crate::error::{Error, Result};
use serde::Serialize;

/// Pretty JSON of `document`, ending in a newline.
pub(crate) fn pretty(document: &impl Serialize) -> Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(document).map_err(|source| Error::Internal { source })?;
    bytes.push(b'\n');
    Ok(bytes)
}
