//! A small threaded HTTP/1.1 server on loopback that serves a path -> bytes map.
//!
//! It keeps connections alive, logs every request (with its headers) so that tests can
//! assert what was (not) downloaded and sent, adds given headers to a path's answers,
//! and can be told to misbehave per path: answer with a status code a given number of
//! times, cut a body short, lie about its length, never end it, stall or dribble it,
//! or redirect.

use std::collections::{BTreeMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::Duration;

/// How the server answers a request instead of serving the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this status code and body.
    Status(u16, String),
    /// Announce the full length but send only this many bytes, then close.
    Truncate(usize),
    /// Announce this `Content-Length` but send the file as it is, and keep the
    /// connection open: a longer claim leaves the client waiting, a shorter one leaves
    /// the rest of the file on the connection where the next answer should start.
    ClaimLength(usize),
    /// Send the file again and again without end (no `Content-Length`, as a body
    /// delimited by closing the connection), until the client hangs up.
    Endless,
    /// Announce the full length, send this many bytes, then send nothing more while
    /// the client keeps the connection open (a stall mid-body).
    Stall(usize),
    /// Announce the full length, send this many bytes at once, then the rest one byte
    /// at a time with this pause before each (a slow loris).
    Drip(usize, Duration),
    /// Answer `302 Found` with this `Location`.
    Redirect(String),
}

/// One logged request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `GET`, `HEAD`, ...
    pub method: String,
    /// The request path, e.g. `/dists/trixie/InRelease`.
    pub path: String,
    /// The headers, names in lower case, in the order sent.
    pub headers: Vec<(String, String)>,
}

impl Request {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct State {
    files: BTreeMap<String, Vec<u8>>,
    /// Faults used once each, in order, before the path is served normally.
    once: BTreeMap<String, VecDeque<Fault>>,
    /// Faults used for every request to the path.
    always: BTreeMap<String, Fault>,
    /// Headers added to every answer for the path.
    headers: BTreeMap<String, Vec<(String, String)>>,
    log: Vec<Request>,
    connections: usize,
}

/// A running loopback server; stops when dropped.
pub struct Server {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    accept: Option<thread::JoinHandle<()>>,
}

impl Server {
    /// Starts serving `files` (keys are paths starting with `/`).
    pub fn start(files: BTreeMap<String, Vec<u8>>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().expect("a bound listener has an address");
        let state = Arc::new(Mutex::new(State {
            files,
            ..State::default()
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let accept = {
            let (state, stop) = (state.clone(), stop.clone());
            thread::spawn(move || accept_loop(listener, state, stop))
        };
        Server {
            addr,
            state,
            stop,
            accept: Some(accept),
        }
    }

    /// `http://127.0.0.1:<port>` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Adds or replaces a file.
    pub fn insert(&self, path: &str, bytes: Vec<u8>) {
        self.lock().files.insert(path.to_owned(), bytes);
    }

    /// Removes a file, so that it answers 404.
    pub fn remove(&self, path: &str) {
        self.lock().files.remove(path);
    }

    /// Answers the next `times` requests for `path` with `fault`, then serves normally.
    pub fn fail_next(&self, path: &str, times: usize, fault: Fault) {
        let mut state = self.lock();
        let queue = state.once.entry(path.to_owned()).or_default();
        queue.extend(std::iter::repeat_n(fault, times));
    }

    /// Answers every request for `path` with `fault`.
    pub fn fail_always(&self, path: &str, fault: Fault) {
        self.lock().always.insert(path.to_owned(), fault);
    }

    /// Forgets the faults set for `path`, so that it is served normally again.
    pub fn heal(&self, path: &str) {
        let mut state = self.lock();
        state.once.remove(path);
        state.always.remove(path);
    }

    /// Adds the header `name: value` to every answer for `path`, faults included.
    pub fn add_header(&self, path: &str, name: &str, value: &str) {
        let mut state = self.lock();
        let headers = state.headers.entry(path.to_owned()).or_default();
        headers.push((name.to_owned(), value.to_owned()));
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        self.lock().log.clone()
    }

    /// How many requests asked for `path`.
    pub fn count(&self, path: &str) -> usize {
        self.lock().log.iter().filter(|r| r.path == path).count()
    }

    /// Forgets the request log.
    pub fn clear_log(&self) {
        self.lock().log.clear();
    }

    /// How many TCP connections were accepted so far.
    pub fn connections(&self) -> usize {
        self.lock().connections
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().expect("server state lock is never poisoned")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(handle) = self.accept.take() {
            let _ = handle.join();
        }
    }
}

fn accept_loop(listener: TcpListener, state: Arc<Mutex<State>>, stop: Arc<AtomicBool>) {
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        if let Ok(mut s) = state.lock() {
            s.connections += 1;
        }
        let state = state.clone();
        thread::spawn(move || {
            let _ = serve_connection(stream, &state);
        });
    }
}

/// Serves requests on one kept-alive connection until the client closes it.
fn serve_connection(stream: TcpStream, state: &Mutex<State>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    loop {
        let Some(request) = read_request(&mut reader)? else {
            return Ok(());
        };
        let answer = answer(state, &request);
        let keep_open = write_answer(&mut writer, &request, answer)?;
        if !keep_open {
            let _ = writer.shutdown(Shutdown::Both);
            return Ok(());
        }
    }
}

/// Reads a request line and headers; `None` when the client closed the connection.
fn read_request(reader: &mut impl BufRead) -> std::io::Result<Option<Request>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let path = parts.next().unwrap_or_default().to_owned();
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    Ok(Some(Request {
        method,
        path,
        headers,
    }))
}

enum Answer {
    File(Vec<u8>),
    Fault(Fault, Vec<u8>),
    NotFound,
}

fn answer(state: &Mutex<State>, request: &Request) -> (Answer, Vec<(String, String)>) {
    let mut state = state.lock().expect("server state lock is never poisoned");
    state.log.push(request.clone());
    let file = state.files.get(&request.path).cloned();
    let fault = state
        .once
        .get_mut(&request.path)
        .and_then(VecDeque::pop_front)
        .or_else(|| state.always.get(&request.path).cloned());
    let headers = state.headers.get(&request.path).cloned().unwrap_or_default();
    let answer = match (fault, file) {
        (Some(fault), file) => Answer::Fault(fault, file.unwrap_or_default()),
        (None, Some(file)) => Answer::File(file),
        (None, None) => Answer::NotFound,
    };
    (answer, headers)
}

/// Writes the answer; returns whether the connection stays open.
fn write_answer(
    w: &mut TcpStream,
    request: &Request,
    (answer, headers): (Answer, Vec<(String, String)>),
) -> std::io::Result<bool> {
    let head_only = request.method == "HEAD";
    let head = |w: &mut TcpStream, code: u16, len: Option<usize>| write_head(w, code, len, &headers);
    match answer {
        Answer::File(body) => write_response(w, 200, &body, head_only, &headers).map(|()| true),
        Answer::NotFound => write_response(w, 404, b"not found\n", head_only, &headers).map(|()| true),
        Answer::Fault(Fault::Status(code, body), _) => {
            write_response(w, code, body.as_bytes(), head_only, &headers).map(|()| true)
        }
        Answer::Fault(Fault::Redirect(location), _) => {
            let mut headers = headers.clone();
            headers.push(("Location".to_owned(), location));
            write_response(w, 302, b"", head_only, &headers).map(|()| true)
        }
        Answer::Fault(Fault::Truncate(n), body) => {
            head(w, 200, Some(body.len()))?;
            w.write_all(body.get(..n).unwrap_or(&body))?;
            w.flush()?;
            Ok(false)
        }
        Answer::Fault(Fault::ClaimLength(claimed), body) => {
            head(w, 200, Some(claimed))?;
            w.write_all(&body)?;
            w.flush()?;
            Ok(true)
        }
        Answer::Fault(Fault::Endless, body) => {
            head(w, 200, None)?;
            let unit = if body.is_empty() { vec![0] } else { body };
            let chunk = unit.repeat((64 * 1024 / unit.len()).max(1));
            // Ends when the client hangs up and the write fails.
            loop {
                w.write_all(&chunk)?;
            }
        }
        Answer::Fault(Fault::Stall(n), body) => {
            head(w, 200, Some(body.len()))?;
            w.write_all(body.get(..n).unwrap_or(&body))?;
            w.flush()?;
            // Hold the connection until the client gives up (or the read timeout).
            let _ = w.read(&mut [0; 1]);
            Ok(false)
        }
        Answer::Fault(Fault::Drip(n, pause), body) => {
            head(w, 200, Some(body.len()))?;
            let (start, rest) = body.split_at(n.min(body.len()));
            w.write_all(start)?;
            w.flush()?;
            for byte in rest {
                thread::sleep(pause);
                w.write_all(&[*byte])?;
                w.flush()?;
            }
            Ok(true)
        }
    }
}

fn write_response(
    w: &mut TcpStream,
    code: u16,
    body: &[u8],
    head_only: bool,
    headers: &[(String, String)],
) -> std::io::Result<()> {
    write_head(w, code, Some(body.len()), headers)?;
    if !head_only {
        w.write_all(body)?;
    }
    w.flush()
}

/// The status line and headers; without a length, the body ends when the connection closes.
fn write_head(
    w: &mut TcpStream,
    code: u16,
    len: Option<usize>,
    headers: &[(String, String)],
) -> std::io::Result<()> {
    let reason = match code {
        200 => "OK",
        302 => "Found",
        401 => "Unauthorized",
        404 => "Not Found",
        403 => "Forbidden",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    };
    let mut head = format!("HTTP/1.1 {code} {reason}\r\n");
    match len {
        Some(len) => head.push_str(&format!("Content-Length: {len}\r\n")),
        None => head.push_str("Connection: close\r\n"),
    }
    if !headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
    {
        head.push_str("Content-Type: application/octet-stream\r\n");
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    w.write_all(head.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(stream: &mut TcpStream, path: &str) -> String {
        write!(stream, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut head = String::new();
        let mut len = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if let Some(v) = line.strip_prefix("Content-Length: ") {
                len = v.trim().parse().unwrap();
            }
            if line == "\r\n" {
                break;
            }
            head.push_str(&line);
        }
        let mut body = vec![0; len];
        reader.read_exact(&mut body).unwrap();
        format!(
            "{}{}",
            head.lines().next().unwrap(),
            String::from_utf8(body).unwrap()
        )
    }

    #[test]
    fn serves_files_faults_then_file_on_one_connection_and_logs_requests() {
        let server = Server::start(BTreeMap::from([("/a".to_owned(), b"hello".to_vec())]));
        server.fail_next("/a", 1, Fault::Status(503, "busy".into()));
        let mut conn = TcpStream::connect(server.addr).unwrap();
        assert_eq!(get(&mut conn, "/a"), "HTTP/1.1 503 Service Unavailablebusy");
        assert_eq!(get(&mut conn, "/a"), "HTTP/1.1 200 OKhello");
        assert_eq!(get(&mut conn, "/b"), "HTTP/1.1 404 Not Foundnot found\n");
        assert_eq!(server.count("/a"), 2);
        assert_eq!(server.connections(), 1);
    }

    #[test]
    fn redirects_with_added_headers_log_request_headers_and_heal() {
        let server = Server::start(BTreeMap::from([("/a".to_owned(), b"hello".to_vec())]));
        server.fail_always("/a", Fault::Redirect("/b".into()));
        server.add_header("/a", "WWW-Authenticate", "Basic realm=\"x\"");
        let mut conn = TcpStream::connect(server.addr).unwrap();
        write!(
            conn,
            "GET /a HTTP/1.1\r\nHost: x\r\nAuthorization: Basic c2VjcmV0\r\n\r\n"
        )
        .unwrap();
        let mut head = String::new();
        let mut reader = BufReader::new(conn.try_clone().unwrap());
        while !head.ends_with("\r\n\r\n") {
            reader.read_line(&mut head).unwrap();
        }
        assert!(head.starts_with("HTTP/1.1 302 Found\r\n"), "{head}");
        assert!(head.contains("Location: /b\r\n"), "{head}");
        assert!(head.contains("WWW-Authenticate: Basic realm=\"x\"\r\n"), "{head}");
        assert_eq!(
            server.requests()[0].header("AUTHORIZATION"),
            Some("Basic c2VjcmV0")
        );
        server.heal("/a");
        assert_eq!(get(&mut conn, "/a"), "HTTP/1.1 200 OKhello");
    }
}
