//! Blobs (distribution spec, "Pulling blobs", "Pushing blobs"): HEAD to skip what the
//! registry has, cross-repository mount, monolithic upload (`POST` then `PUT`),
//! chunked upload (`PATCH` with `Content-Range`, recovering from 416 through the
//! session's `GET`), and sessions remembered on disk so a re-run resumes them.

use crate::client::{expect, pull_scope, push_scope, registry_error, Registry};
use crate::error::{Error, Result};
use crate::reporter::{BlobOutcome, NoReporter, Reporter};
use buckle_digest::Sha256;
use buckle_http::{Body, Method, Request, Sink};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// How many `PATCH`es or status checks one chunked upload may take beyond its
/// chunks before it is deemed stuck.
const MAX_RECOVERIES: usize = 8;

/// How an upload starts.
enum Start {
    /// The registry linked the blob from another repository: nothing to send.
    Mounted,
    /// An upload session at this location, with the registry's minimum chunk size.
    Session { location: String, min_chunk: u64 },
}

impl Registry {
    /// Whether `repository` has the blob (`HEAD /v2/<name>/blobs/<digest>`).
    pub fn blob_exists(&self, repository: &str, digest: &Sha256) -> Result<bool> {
        let request = Request::new(
            Method::Head,
            self.url(&format!("{repository}/blobs/{}", digest.oci())),
        );
        let response = self.send(&[pull_scope(repository)], request, &NoReporter)?;
        match response.status() {
            200..=299 => Ok(true),
            404 => Ok(false),
            _ => Err(registry_error(response)),
        }
    }

    /// Streams the blob into `sink` (`GET /v2/<name>/blobs/<digest>`, redirects
    /// followed); the caller verifies the bytes.
    pub(crate) fn fetch_blob(
        &self,
        repository: &str,
        digest: &Sha256,
        sink: &mut dyn Sink,
        reporter: &dyn Reporter,
    ) -> Result<u64> {
        let request = Request::get(self.url(&format!("{repository}/blobs/{}", digest.oci())));
        self.fetch_to(&[pull_scope(repository)], request, sink, reporter)
    }

    /// Uploads the blob stored at `path` (`size` bytes with `digest`), mounting it
    /// from `mount_from` (a repository on this registry) when that repository has it.
    pub fn upload_blob(
        &self,
        repository: &str,
        digest: &Sha256,
        size: u64,
        path: &Path,
        mount_from: Option<&str>,
        reporter: &dyn Reporter,
    ) -> Result<BlobOutcome> {
        let saved = self.saved_session(repository, digest);
        if let Some(location) = saved.as_ref().and_then(|state| read_state(state)) {
            match self.upload_status(repository, &location) {
                Ok((location, offset)) => {
                    tracing::info!(%digest, offset, "resuming an interrupted upload");
                    reporter.on_bytes(offset);
                    self.send_chunks(repository, digest, size, path, location, offset, 0, reporter)?;
                    return Ok(BlobOutcome::Resumed { offset });
                }
                Err(e) => tracing::debug!(%digest, error = %e, "saved upload session is gone; starting over"),
            }
        }
        match self.start_upload(repository, digest, mount_from)? {
            Start::Mounted => Ok(BlobOutcome::Mounted),
            Start::Session { location, min_chunk } if size > self.options.chunk_size => {
                self.send_chunks(repository, digest, size, path, location, 0, min_chunk, reporter)?;
                Ok(BlobOutcome::Uploaded)
            }
            Start::Session { location, .. } => {
                self.finish_upload(repository, digest, &location, path, 0, size, reporter)?;
                Ok(BlobOutcome::Uploaded)
            }
        }
    }

    fn start_upload(&self, repository: &str, digest: &Sha256, mount_from: Option<&str>) -> Result<Start> {
        let mut scopes = vec![push_scope(repository)];
        let mut url = self.url(&format!("{repository}/blobs/uploads/"));
        if let Some(from) = mount_from.filter(|from| *from != repository) {
            scopes.push(pull_scope(from));
            url.push('?');
            url.push_str(&crate::auth::encode_query(&[
                ("mount", &digest.oci()),
                ("from", from),
            ]));
        }
        let request = Request::new(Method::Post, url).body(Body::Bytes(&[]));
        let response = expect(self.send(&scopes, request, &NoReporter)?, &[201, 202])?;
        if response.status() == 201 {
            return Ok(Start::Mounted);
        }
        let min_chunk = response
            .header("oci-chunk-min-length")
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        Ok(Start::Session {
            location: self.location(&response)?,
            min_chunk,
        })
    }

    /// `PATCH`es `path[offset..size]` in chunks, then closes the session.
    #[allow(clippy::too_many_arguments)]
    fn send_chunks(
        &self,
        repository: &str,
        digest: &Sha256,
        size: u64,
        path: &Path,
        mut location: String,
        mut offset: u64,
        min_chunk: u64,
        reporter: &dyn Reporter,
    ) -> Result<()> {
        let chunk = self.options.chunk_size.max(min_chunk);
        let state = self.saved_session(repository, digest);
        let mut recoveries = 0;
        while offset < size {
            let len = chunk.min(size - offset);
            let open = file_range(path, offset, len);
            let request = Request::new(Method::Patch, location.clone())
                .header("content-type", "application/octet-stream")
                .header("content-range", format!("{offset}-{}", offset + len - 1))
                .body(Body::Stream { len, open: &open });
            let response = self.send(&[push_scope(repository)], request, reporter)?;
            match response.status() {
                202 => {
                    location = self.location(&response)?;
                    offset = match response.header("range").and_then(range_end) {
                        Some(end) => end + 1,
                        None => offset + len,
                    };
                    if let Some(state) = &state {
                        write_state(state, &location)?;
                    }
                }
                416 if recoveries < MAX_RECOVERIES => {
                    recoveries += 1;
                    reporter.on_discard(len);
                    (location, offset) = self.upload_status(repository, &location)?;
                    tracing::debug!(%digest, offset, "registry wants the upload continued elsewhere");
                }
                _ => return Err(registry_error(response)),
            }
        }
        self.finish_upload(repository, digest, &location, path, size, 0, reporter)
    }

    /// Closes a session with `PUT <location>?digest=`, sending `path[offset..offset+len]`.
    #[allow(clippy::too_many_arguments)]
    fn finish_upload(
        &self,
        repository: &str,
        digest: &Sha256,
        location: &str,
        path: &Path,
        offset: u64,
        len: u64,
        reporter: &dyn Reporter,
    ) -> Result<()> {
        let separator = if location.contains('?') { '&' } else { '?' };
        let url = format!(
            "{location}{separator}{}",
            crate::auth::encode_query(&[("digest", &digest.oci())])
        );
        let open = file_range(path, offset, len);
        let request = Request::new(Method::Put, url)
            .header("content-type", "application/octet-stream")
            .body(if len == 0 {
                Body::Bytes(&[])
            } else {
                Body::Stream { len, open: &open }
            });
        expect(self.send(&[push_scope(repository)], request, reporter)?, &[201])?;
        if let Some(state) = self.saved_session(repository, digest) {
            let _ = std::fs::remove_file(state);
        }
        Ok(())
    }

    /// Where an upload session stands: `GET <location>` answers 204 with the next
    /// location and `Range: 0-<last byte>`.
    fn upload_status(&self, repository: &str, location: &str) -> Result<(String, u64)> {
        let request = Request::get(location.to_owned());
        let response = expect(
            self.send(&[push_scope(repository)], request, &NoReporter)?,
            &[204],
        )?;
        let next = match response.header("range").and_then(range_end) {
            Some(0) | None => 0,
            Some(end) => end + 1,
        };
        Ok((self.location(&response)?, next))
    }

    fn location(&self, response: &buckle_http::Response) -> Result<String> {
        let location = response.header("location").ok_or_else(|| Error::Protocol {
            url: response.url().to_owned(),
            reason: "no `Location` header on an upload answer".to_owned(),
        })?;
        Ok(self.absolute(location))
    }

    /// The file remembering the session of an upload of `digest` to `repository`.
    fn saved_session(&self, repository: &str, digest: &Sha256) -> Option<PathBuf> {
        let dir = self.options.upload_state.as_ref()?;
        let key = Sha256::of(format!("{}/{repository}@{}", self.host(), digest.oci()).as_bytes());
        Some(dir.join(key.hex()))
    }
}

/// The end of `Range: 0-<end>`.
fn range_end(value: &str) -> Option<u64> {
    value.trim().split_once('-')?.1.trim().parse().ok()
}

/// Opens `path` at `offset` for `len` bytes, afresh for each attempt.
fn file_range(
    path: &Path,
    offset: u64,
    len: u64,
) -> impl Fn() -> std::io::Result<Box<dyn Read + Send>> + Sync + '_ {
    move || {
        let mut file = File::open(path)?;
        file.seek(SeekFrom::Start(offset))?;
        Ok(Box::new(std::io::BufReader::new(file).take(len)) as Box<dyn Read + Send>)
    }
}

fn read_state(path: &Path) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .filter(|s| !s.trim().is_empty())
}

/// Remembers a session location (temporary file and rename, so never half-written).
fn write_state(path: &Path, location: &str) -> Result<()> {
    let io = |source| Error::Io {
        path: path.to_owned(),
        source,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io)?;
    let temp = path.with_extension("tmp");
    std::fs::write(&temp, location).map_err(io)?;
    std::fs::rename(&temp, path).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_header_end_is_read() {
        assert_eq!(range_end("0-1048575"), Some(1048575));
        assert_eq!(range_end("bytes=0-9"), Some(9));
        assert_eq!(range_end("nonsense"), None);
    }
}
