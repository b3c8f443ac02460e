//! A read-only HTTP server for a generated site: GET and HEAD of the files under one
//! folder, nothing else. A request path is decoded, split into plain names (no `..`,
//! no hidden or empty names) and the file found is checked to be inside the folder
//! after symbolic links are followed; a folder is served only through its
//! `index.html`, never listed.

use buckle_serve::header;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A server that could not start.
#[derive(Debug, thiserror::Error)]
#[error("cannot serve on {address}: {message}")]
pub struct ServeError {
    pub address: String,
    pub message: String,
}

/// The bound server; [`Server::run`] answers requests until the process ends.
pub struct Server {
    http: tiny_http::Server,
    root: PathBuf,
}

impl Server {
    /// Binds `address` (`127.0.0.1:8080`) to serve the files under `root`.
    pub fn bind(address: &str, root: &Path) -> Result<Server, ServeError> {
        let error = |message: String| ServeError {
            address: address.to_owned(),
            message,
        };
        let root = root
            .canonicalize()
            .map_err(|e| error(format!("the site folder `{}`: {e}", root.display())))?;
        let http = tiny_http::Server::http(address).map_err(|e| error(e.to_string()))?;
        Ok(Server { http, root })
    }

    /// The address bound (with the port chosen when `:0` was asked for).
    pub fn address(&self) -> String {
        self.http.server_addr().to_string()
    }

    /// Answers requests; `tick` runs between them at least every `every`.
    pub fn run(&self, every: Duration, mut tick: impl FnMut()) {
        loop {
            match self.http.recv_timeout(every) {
                Ok(Some(request)) => self.answer(request),
                Ok(None) => {}
                Err(e) => tracing::warn!("cannot read a request: {e}"),
            }
            tick();
        }
    }

    fn answer(&self, request: tiny_http::Request) {
        let head = match request.method() {
            tiny_http::Method::Get => false,
            tiny_http::Method::Head => true,
            _ => return respond(request, text(405, "only GET and HEAD\n"), false),
        };
        let response = match resolve(&self.root, request.url()) {
            Some(file) => match std::fs::read(&file) {
                Ok(bytes) => tiny_http::Response::from_data(bytes)
                    .with_header(header("Content-Type", content_type(&file))),
                Err(_) => text(404, "not found\n"),
            },
            None => text(404, "not found\n"),
        };
        respond(request, response, head);
    }
}

fn respond(request: tiny_http::Request, response: tiny_http::Response<std::io::Cursor<Vec<u8>>>, head: bool) {
    let response = response
        .with_header(header(
            "Content-Security-Policy",
            &format!("{}; frame-ancestors 'none'", crate::CONTENT_SECURITY_POLICY),
        ))
        .with_header(header("X-Content-Type-Options", "nosniff"))
        .with_header(header("Referrer-Policy", "no-referrer"))
        .with_header(header("Cache-Control", "no-cache"));
    buckle_serve::respond(request, response, head);
}

fn text(status: u16, body: &str) -> tiny_http::Response<std::io::Cursor<Vec<u8>>> {
    tiny_http::Response::from_data(body.as_bytes().to_vec())
        .with_status_code(status)
        .with_header(header("Content-Type", "text/plain; charset=utf-8"))
}

/// The file under `root` (canonical) that the request target `url` names, if any.
pub fn resolve(root: &Path, url: &str) -> Option<PathBuf> {
    let decoded = buckle_serve::request_path(url)?;
    let mut file = root.to_owned();
    for name in decoded.split('/').filter(|n| !n.is_empty()) {
        if name.starts_with('.') || name.contains('\\') || name.contains('\0') {
            return None;
        }
        file.push(name);
    }
    let mut file = file.canonicalize().ok()?;
    if file.is_dir() {
        file = file.join("index.html").canonicalize().ok()?;
    }
    (file.starts_with(root) && file.is_file()).then_some(file)
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("json") => "application/json",
        Some("csv") => "text/csv; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_stay_inside_the_site() {
        let outside = tempfile::tempdir().unwrap();
        let site = outside.path().join("site");
        std::fs::create_dir_all(site.join("images/a")).unwrap();
        std::fs::write(site.join("index.html"), "x").unwrap();
        std::fs::write(site.join("images/a/index.html"), "x").unwrap();
        std::fs::write(outside.path().join("secret"), "s").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), site.join("link")).unwrap();
        let root = site.canonicalize().unwrap();
        assert_eq!(resolve(&root, "/"), Some(root.join("index.html")));
        assert_eq!(
            resolve(&root, "/images/a/"),
            Some(root.join("images/a/index.html"))
        );
        assert_eq!(
            resolve(&root, "/images/a/index.html?x=1"),
            Some(root.join("images/a/index.html"))
        );
        for bad in [
            "/../secret",
            "/%2e%2e/secret",
            "/images/%2E%2E/%2e%2e/secret",
            "/link",
            "/images",
            "/.hidden",
            "/images%2f..%2f..%2fsecret",
            "/%zz",
            "/missing.html",
        ] {
            let resolved = resolve(&root, bad);
            assert!(
                resolved
                    .as_ref()
                    .is_none_or(|f| f.starts_with(&root) && f.ends_with("index.html")),
                "{bad} -> {resolved:?}"
            );
        }
        assert_eq!(resolve(&root, "/link"), None);
        assert_eq!(resolve(&root, "/../secret"), None);
        assert_eq!(resolve(&root, "/images%2f..%2f..%2fsecret"), None);
    }
}
