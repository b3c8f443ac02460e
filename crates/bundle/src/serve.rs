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
        self.files.get(&buckle_serve::request_path(url_path)?)
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
        let head = match request.method() {
            tiny_http::Method::Get => false,
            tiny_http::Method::Head => true,
            _ => {
                let _ = request.respond(tiny_http::Response::empty(405));
                return;
            }
        };
        let found = self.file(request.url());
        debug!(url = request.url(), found = found.is_some(), "bundle request");
        match found.map(File::open) {
            Some(Ok(file)) => buckle_serve::respond(request, tiny_http::Response::from_file(file), head),
            _ => buckle_serve::respond(request, tiny_http::Response::empty(404), head),
        }
    }
}
