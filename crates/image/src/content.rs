//! [`Content`]: the bytes of one regular file, shared between the tree and the layers.

use buckle_digest::Sha256;
use std::fmt;
use std::sync::Arc;

/// The bytes of a regular file and their sha256. Cloning is cheap (the bytes are
/// shared), so a hard link or a file that two packages ship costs nothing extra.
/// Two contents are equal when their digests are.
#[derive(Clone)]
pub struct Content {
    digest: Sha256,
    bytes: Arc<[u8]>,
}

impl Content {
    /// Content holding `bytes`.
    pub fn new(bytes: impl Into<Arc<[u8]>>) -> Self {
        let bytes = bytes.into();
        Content {
            digest: Sha256::of(&bytes),
            bytes,
        }
    }

    /// The sha256 of the bytes.
    pub fn digest(&self) -> Sha256 {
        self.digest
    }

    /// The length in bytes.
    pub fn size(&self) -> u64 {
        self.bytes.len() as u64
    }

    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Whether both share one buffer: true for the paths of one hard-linked file,
    /// false for equal bytes that came from different places.
    pub fn same_bytes(&self, other: &Content) -> bool {
        Arc::ptr_eq(&self.bytes, &other.bytes)
    }
}

impl PartialEq for Content {
    fn eq(&self, other: &Self) -> bool {
        self.digest == other.digest
    }
}

impl Eq for Content {}

impl fmt::Debug for Content {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Content({}, {} bytes)", self.digest.short(12), self.size())
    }
}

impl From<&str> for Content {
    fn from(text: &str) -> Self {
        Content::new(text.as_bytes())
    }
}

impl From<Vec<u8>> for Content {
    fn from(bytes: Vec<u8>) -> Self {
        Content::new(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_bytes_make_equal_content() {
        let a = Content::from("hello");
        assert_eq!(a, Content::from(b"hello".to_vec()));
        assert_ne!(a, Content::from("hellO"));
        assert_eq!((a.size(), a.digest()), (5, Sha256::of(b"hello")));
    }
}
