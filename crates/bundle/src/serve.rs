//! The mirrors in a bundle as apt repositories over HTTP: `/<mirror>/dists/...` and
//! `/<mirror>/pool/...` as the archive lays them out, plus the by-hash names of every
//! index (`<dir>/by-hash/SHA256/<hex>`), which apt asks for when Release says
//! `Acquire-By-Hash: yes`. The Release files are the archive's own, so clients verify
//! them with the Debian keyring as they would the real mirror.

use crate::error::{Error, Result};
use crate::manifest::{Manifest, Member, MemberKind};
use std::collections::BTreeMap;
use std::fs::File;
use std::path::PathBuf;
use std::sync::Arc;
use tracing::debug;

/// URL paths and the files that answer them.
#[derive(Debug, Clone, Default)]
pub struct Repository {
    files: BTreeMap<String, PathBuf>,
}

impl Repository {
    /// The repository of `manifest`'s mirror members, each read from where `content`
    /// says.
    pub fn new(manifest: &Manifest, content: &dyn Fn(&Member) -> PathBuf) -> Result<Repository> {
        let mut files = BTreeMap::new();
        for member in &manifest.members {
            let served = match member.kind()? {
                MemberKind::Index { mirror, suite, file } => {
                    if let Some((dir, _)) = file.rsplit_once('/') {
                        files.insert(
                            format!(
                                "/{mirror}/dists/{suite}/{dir}/by-hash/SHA256/{}",
                                member.sha256.hex()
                            ),
                            content(member),
                        );
                    }
                    true
                }
                MemberKind::InRelease { .. } | MemberKind::Deb { .. } => true,
                _ => false,
            };
            if served {
                let path = member.path.strip_prefix("mirrors").expect("a mirror member");
                files.insert(path.to_owned(), content(member));
            }
        }
        Ok(Repository { files })
    }

    /// The mirrors served, by name (the first component of their URL paths).
    pub fn mirrors(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .files
            .keys()
            .filter_map(|p| p.trim_start_matches('/').split('/').next())
            .collect();
        names.dedup();
        names
    }

    /// The file answering `url_path` (percent-encoded, as clients send `~` and `+` in
    /// .deb names), if any.
    pub fn file(&self, url_path: &str) -> Option<&PathBuf> {
        let path = url_path.split(['?', '#']).next().unwrap_or_default();
        self.files.get(&percent_decode(path)?)
    }

    /// Serves the repository on `server` until the process ends, on `threads` threads.
    pub fn serve(self, server: tiny_http::Server, threads: usize) -> Result<()> {
        let server = Arc::new(server);
        let repository = Arc::new(self);
        let workers: Vec<_> = (0..threads.max(1))
            .map(|_| {
                let server = Arc::clone(&server);
                let repository = Arc::clone(&repository);
                std::thread::spawn(move || {
                    for request in server.incoming_requests() {
                        repository.answer(request);
                    }
                })
            })
            .collect();
        for worker in workers {
            worker
                .join()
                .map_err(|_| Error::Manifest("a server thread panicked".into()))?;
        }
        Ok(())
    }

    fn answer(&self, request: tiny_http::Request) {
        let method = request.method().clone();
        let found = match method {
            tiny_http::Method::Get | tiny_http::Method::Head => self.file(request.url()),
            _ => {
                let _ = request.respond(tiny_http::Response::empty(405));
                return;
            }
        };
        debug!(url = request.url(), found = found.is_some(), "bundle request");
        let result = match found.map(File::open) {
            Some(Ok(file)) => {
                let response = tiny_http::Response::from_file(file);
                if method == tiny_http::Method::Head {
                    let length = response.data_length();
                    let mut head = tiny_http::Response::empty(200);
                    if let Some(length) = length {
                        head.add_header(
                            tiny_http::Header::from_bytes(
                                &b"Content-Length"[..],
                                length.to_string().as_bytes(),
                            )
                            .expect("a valid header"),
                        );
                    }
                    request.respond(head)
                } else {
                    request.respond(response)
                }
            }
            _ => request.respond(tiny_http::Response::empty(404)),
        };
        if let Err(e) = result {
            debug!(error = %e, "the client went away");
        }
    }
}

/// `%XX` sequences decoded; None when one is malformed or the result is not UTF-8.
fn percent_decode(path: &str) -> Option<String> {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::percent_decode;

    #[test]
    fn percent_encoded_paths_are_decoded_and_malformed_ones_refused() {
        assert_eq!(
            percent_decode("/debian/pool/main/o/openssl/libssl3t64_3.5.1-1%7edeb13u1_amd64.deb").as_deref(),
            Some("/debian/pool/main/o/openssl/libssl3t64_3.5.1-1~deb13u1_amd64.deb")
        );
        assert_eq!(percent_decode("/a%2Bb").as_deref(), Some("/a+b"));
        assert_eq!(percent_decode("/a%2"), None);
        assert_eq!(percent_decode("/a%zz"), None);
        assert_eq!(percent_decode("/a%ff"), None);
    }
}
