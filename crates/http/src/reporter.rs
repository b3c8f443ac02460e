//! Progress callbacks for downloads; the CLI draws them, libraries never do.

/// Told about a download as it goes. Every method has a no-op default; one reporter
/// may be shared by parallel downloads, so it takes `&self` and must be `Sync`.
pub trait Reporter: Sync {
    /// The response started; `len` is the `Content-Length` when the server sent one.
    fn on_start(&self, url: &str, len: Option<u64>) {
        let _ = (url, len);
    }

    /// `bytes` more bytes of `url` arrived.
    fn on_progress(&self, url: &str, bytes: u64) {
        let _ = (url, bytes);
    }

    /// A retry restarts `url`: the `discarded` bytes reported so far are void.
    fn on_restart(&self, url: &str, discarded: u64) {
        let _ = (url, discarded);
    }

    /// Attempt `attempt` of `url` failed with `error`; another follows after a wait.
    fn on_retry(&self, url: &str, attempt: u32, error: &crate::Error) {
        let _ = (url, attempt, error);
    }

    /// `url` arrived completely.
    fn on_done(&self, url: &str) {
        let _ = url;
    }
}

/// A [`Reporter`] that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoReporter;

impl Reporter for NoReporter {}
