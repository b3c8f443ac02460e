//! Progress callbacks for pushes and pulls; the CLI draws them, this crate never does.

use buckle_digest::Sha256;

/// What happened to one blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobOutcome {
    /// Its bytes were sent.
    Uploaded,
    /// Its upload was continued from where an interrupted one stopped: the registry
    /// had its first `offset` bytes.
    Resumed {
        /// Bytes already stored.
        offset: u64,
    },
    /// The registry already had it.
    Skipped,
    /// The registry linked it from another repository.
    Mounted,
    /// Its bytes were received and verified.
    Downloaded,
}

/// Told about transfers as they go. Every method has a no-op default; blobs move in
/// parallel, so it takes `&self` and must be `Sync`.
pub trait Reporter: Sync {
    /// The transfer will move at most `blobs` blobs of `bytes` bytes in total.
    fn on_plan(&self, blobs: usize, bytes: u64) {
        let _ = (blobs, bytes);
    }

    /// `bytes` more bytes went out or came in.
    fn on_bytes(&self, bytes: u64) {
        let _ = bytes;
    }

    /// A retry voids `bytes` bytes reported before.
    fn on_discard(&self, bytes: u64) {
        let _ = bytes;
    }

    /// A blob is finished.
    fn on_blob(&self, digest: &Sha256, size: u64, outcome: BlobOutcome) {
        let _ = (digest, size, outcome);
    }
}

/// A [`Reporter`] that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoReporter;

impl Reporter for NoReporter {}

/// Feeds the HTTP client's byte counts into a [`Reporter`].
pub(crate) struct Bytes<'a>(pub &'a dyn Reporter);

impl buckle_http::Reporter for Bytes<'_> {
    fn on_progress(&self, _url: &str, bytes: u64) {
        self.0.on_bytes(bytes);
    }
    fn on_restart(&self, _url: &str, discarded: u64) {
        self.0.on_discard(discarded);
    }
}
