//! What `buckle site --serve` and `buckle bundle serve` answer alike: the path of a
//! request target, percent-decoded, and a response sent whole for GET or as its
//! status and headers alone (with the body's `Content-Length`) for HEAD.

use std::io::Read;

/// The path of a request target (`/a%7Eb?x#y` → `/a~b`): query and fragment cut,
/// `%XX` sequences decoded. `None` when an escape is malformed or the bytes are not
/// UTF-8.
pub fn request_path(target: &str) -> Option<String> {
    let path = target.split(['?', '#']).next().unwrap_or_default();
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        if byte == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(byte);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// A header from a name and value known to be valid ASCII.
pub fn header(name: &str, value: &str) -> tiny_http::Header {
    tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes())
        .unwrap_or_else(|()| unreachable!("a fixed ASCII header"))
}

/// Sends `response`, or for a HEAD request (`head`) its status and headers with the
/// length of the body it leaves out. A client that went away is only logged.
pub fn respond<R: Read>(request: tiny_http::Request, response: tiny_http::Response<R>, head: bool) {
    let result = if head {
        let (status, length) = (response.status_code(), response.data_length());
        let mut empty = tiny_http::Response::empty(status);
        for h in response.headers() {
            empty.add_header(h.clone());
        }
        if let Some(length) = length {
            empty.add_header(header("Content-Length", &length.to_string()));
        }
        request.respond(empty)
    } else {
        request.respond(response)
    };
    if let Err(e) = result {
        tracing::debug!("cannot answer a request: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::request_path;

    #[test]
    fn targets_are_cut_at_query_and_fragment_and_decoded_and_bad_escapes_refused() {
        assert_eq!(
            request_path("/debian/pool/main/o/openssl/libssl3t64_3.5.1-1%7edeb13u1_amd64.deb?x=1").as_deref(),
            Some("/debian/pool/main/o/openssl/libssl3t64_3.5.1-1~deb13u1_amd64.deb")
        );
        assert_eq!(request_path("/a%2Bb#top").as_deref(), Some("/a+b"));
        assert_eq!(request_path("/%2e%2E/x").as_deref(), Some("/../x"));
        assert_eq!(request_path("/a%2"), None);
        assert_eq!(request_path("/a%zz"), None);
        assert_eq!(request_path("/%ff"), None, "not UTF-8");
    }
}
