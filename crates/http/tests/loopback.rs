//! The client against a loopback server that misbehaves on purpose.

use buckle_http::{Client, Error, Reporter};
use buckle_testkit::server::{Fault, Server};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

fn server(files: &[(&str, &[u8])]) -> Server {
    Server::start(
        files
            .iter()
            .map(|(p, b)| ((*p).to_owned(), b.to_vec()))
            .collect::<BTreeMap<_, _>>(),
    )
}

fn client() -> Client {
    Client::builder()
        .attempts(3)
        .backoff(Duration::from_millis(5), Duration::from_millis(20))
        .build()
}

#[test]
fn service_unavailable_is_retried_until_success() {
    let srv = server(&[("/file", b"payload")]);
    srv.fail_next("/file", 2, Fault::Status(503, "busy".into()));
    let mut body = Vec::new();
    let n = client()
        .get_to_writer(&format!("{}/file", srv.url()), &mut body)
        .unwrap();
    assert_eq!((n, body.as_slice()), (7, &b"payload"[..]));
    assert_eq!(srv.count("/file"), 3);
}

#[test]
fn too_many_requests_is_retried() {
    let srv = server(&[("/file", b"ok")]);
    srv.fail_next("/file", 1, Fault::Status(429, "slow down".into()));
    assert_eq!(
        client().get_bytes(&format!("{}/file", srv.url()), 100).unwrap(),
        b"ok"
    );
    assert_eq!(srv.count("/file"), 2);
}

#[test]
fn not_found_is_not_retried_and_names_the_url() {
    let srv = server(&[]);
    let url = format!("{}/pool/main/h/hello.deb", srv.url());
    let err = client().get_bytes(&url, 100).unwrap_err();
    assert!(matches!(&err, Error::NotFound { url: u } if *u == url), "{err:?}");
    assert_eq!(err.to_string(), format!("`{url}` was not found (HTTP 404)"));
    assert_eq!(srv.count("/pool/main/h/hello.deb"), 1);
}

#[test]
fn forbidden_is_not_retried_and_keeps_a_truncated_body() {
    let srv = server(&[]);
    let body = format!("denied {}", "x".repeat(5000));
    srv.fail_always("/secret", Fault::Status(403, body));
    let url = format!("{}/secret", srv.url());
    let err = client().get_bytes(&url, 100).unwrap_err();
    match &err {
        Error::Status {
            status: 403,
            body,
            attempts: 1,
            ..
        } => {
            assert!(body.starts_with("denied xxx") && body.ends_with('…'));
            assert!(body.chars().count() < 300);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(err
        .to_string()
        .starts_with(&format!("`{url}` answered HTTP 403: denied xxx")));
    assert_eq!(srv.count("/secret"), 1);
}

#[test]
fn persistent_server_error_gives_up_after_all_attempts() {
    let srv = server(&[]);
    srv.fail_always("/down", Fault::Status(500, "oops".into()));
    let err = client()
        .get_bytes(&format!("{}/down", srv.url()), 100)
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Status {
                status: 500,
                attempts: 3,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(srv.count("/down"), 3);
}

#[test]
fn truncated_body_is_retried_from_the_start() {
    let srv = server(&[("/big", &[7u8; 100_000])]);
    srv.fail_next("/big", 1, Fault::Truncate(1000));
    let mut body = Vec::new();
    let n = client()
        .get_to_writer(&format!("{}/big", srv.url()), &mut body)
        .unwrap();
    assert_eq!(n, 100_000);
    assert_eq!(body, vec![7u8; 100_000]);
    assert_eq!(srv.count("/big"), 2);
}

#[test]
fn always_truncated_body_is_a_transport_error() {
    let srv = server(&[("/big", &[7u8; 10_000])]);
    srv.fail_always("/big", Fault::Truncate(10));
    let err = client()
        .get_bytes(&format!("{}/big", srv.url()), 1 << 20)
        .unwrap_err();
    assert!(matches!(err, Error::Transport { attempts: 3, .. }), "{err:?}");
}

#[test]
fn body_over_the_limit_is_refused() {
    let srv = server(&[("/big", &[1u8; 1000])]);
    let url = format!("{}/big", srv.url());
    let err = client().get_bytes(&url, 999).unwrap_err();
    assert!(matches!(&err, Error::TooLarge { limit: 999, .. }), "{err:?}");
    assert_eq!(client().get_bytes(&url, 1000).unwrap().len(), 1000);
}

#[test]
fn connection_refused_is_a_transport_error_naming_the_url() {
    let url = {
        let srv = server(&[]);
        srv.url()
    };
    let err = client().get_bytes(&format!("{url}/x"), 10).unwrap_err();
    assert!(matches!(err, Error::Transport { attempts: 3, .. }), "{err:?}");
    assert!(err.to_string().contains(&format!("`{url}/x`")));
}

#[test]
fn head_and_exists_see_presence_and_length() {
    let srv = server(&[("/a", b"12345")]);
    let c = client();
    assert_eq!(
        c.head(&format!("{}/a", srv.url())).unwrap().content_length,
        Some(5)
    );
    assert!(c.exists(&format!("{}/a", srv.url())).unwrap());
    assert!(!c.exists(&format!("{}/b", srv.url())).unwrap());
}

#[test]
fn sequential_requests_reuse_one_kept_alive_connection() {
    let srv = server(&[("/a", b"1"), ("/b", b"2")]);
    let c = client();
    for _ in 0..5 {
        c.get_bytes(&format!("{}/a", srv.url()), 10).unwrap();
        c.get_bytes(&format!("{}/b", srv.url()), 10).unwrap();
    }
    assert_eq!(srv.connections(), 1);
}

#[derive(Default)]
struct Counting {
    started: AtomicU64,
    bytes: AtomicU64,
    restarted: AtomicU64,
    done: AtomicU64,
}

impl Reporter for Counting {
    fn on_start(&self, _: &str, len: Option<u64>) {
        assert_eq!(len, Some(50_000));
        self.started.fetch_add(1, Ordering::SeqCst);
    }
    fn on_progress(&self, _: &str, bytes: u64) {
        self.bytes.fetch_add(bytes, Ordering::SeqCst);
    }
    fn on_restart(&self, _: &str, discarded: u64) {
        self.restarted.fetch_add(discarded, Ordering::SeqCst);
    }
    fn on_done(&self, _: &str) {
        self.done.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn reporter_sees_every_byte_and_the_restart() {
    let srv = server(&[("/f", &[0u8; 50_000])]);
    srv.fail_next("/f", 1, Fault::Truncate(20_000));
    let reporter = Counting::default();
    let mut body = Vec::new();
    client()
        .get_to_writer_reporting(&format!("{}/f", srv.url()), &mut body, &reporter)
        .unwrap();
    let restarted = reporter.restarted.load(Ordering::SeqCst);
    assert!(restarted > 0 && restarted <= 20_000);
    assert_eq!(reporter.bytes.load(Ordering::SeqCst) - restarted, 50_000);
    assert_eq!(reporter.started.load(Ordering::SeqCst), 2);
    assert_eq!(reporter.done.load(Ordering::SeqCst), 1);
}

#[test]
fn send_returns_a_client_error_for_the_caller_and_retries_a_server_error() {
    use buckle_http::{Body, Method, NoReporter, Request};
    let srv = server(&[("/upload", b"done")]);
    srv.fail_next("/upload", 1, Fault::Status(503, "busy".into()));
    let body = b"payload";
    let request = Request::new(Method::Put, format!("{}/upload", srv.url())).body(Body::Bytes(body));
    let response = client().send(&request, &NoReporter).unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.into_bytes(100).unwrap(), b"done");
    assert_eq!(srv.count("/upload"), 2);

    let missing = Request::get(format!("{}/missing", srv.url()));
    let response = client().send(&missing, &NoReporter).unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(srv.count("/missing"), 1);
}

#[test]
fn an_offline_client_sends_nothing_and_names_what_it_would_fetch() {
    let srv = server(&[("/dists/trixie/InRelease", b"signed")]);
    let url = format!("{}/dists/trixie/InRelease", srv.url());
    let offline = Client::builder().offline(true).build();
    let err = offline.get_bytes(&url, 100).unwrap_err();
    assert!(matches!(&err, Error::Offline { url: u } if *u == url), "{err:?}");
    assert!(
        err.hint().is_some_and(|h| h.contains("buckle bundle import")),
        "{:?}",
        err.hint()
    );
    assert_eq!(srv.connections(), 0, "an offline client opened a connection");
    assert_eq!(client().get_bytes(&url, 100).unwrap(), b"signed");
}

/// A client that gives up on a silent server after 200 ms.
fn impatient() -> Client {
    Client::builder()
        .attempts(2)
        .backoff(Duration::from_millis(5), Duration::from_millis(20))
        .read_timeout(Duration::from_millis(200))
        .build()
}

fn source_text(err: &Error) -> String {
    std::error::Error::source(err)
        .map(ToString::to_string)
        .unwrap_or_default()
}

#[test]
fn a_stall_mid_body_times_out_is_retried_and_fails_after_all_attempts() {
    let srv = server(&[("/big", &[7u8; 100_000])]);
    let url = format!("{}/big", srv.url());
    srv.fail_next("/big", 1, Fault::Stall(1000));
    assert_eq!(impatient().get_bytes(&url, 1 << 20).unwrap(), vec![7u8; 100_000]);
    assert_eq!(srv.count("/big"), 2);

    srv.fail_always("/big", Fault::Stall(1000));
    let err = impatient().get_bytes(&url, 1 << 20).unwrap_err();
    assert!(matches!(err, Error::Transport { attempts: 2, .. }), "{err:?}");
    assert_eq!(srv.count("/big"), 4);
}

#[test]
fn a_slow_loris_within_the_read_timeout_is_cut_by_the_minimum_rate() {
    // One byte every 20 ms keeps each read well under the 200 ms read timeout; the
    // 100 000 bytes would take half an hour.
    let srv = server(&[("/big", &[7u8; 100_000])]);
    let url = format!("{}/big", srv.url());
    srv.fail_always("/big", Fault::Drip(1000, Duration::from_millis(20)));
    let mut body = Vec::new();
    let err = impatient().get_to_writer(&url, &mut body).unwrap_err();
    assert!(matches!(err, Error::Transport { attempts: 2, .. }), "{err:?}");
    assert!(
        source_text(&err).contains("under the minimum of 1024 bytes/s"),
        "{err:?}"
    );
    assert!(err.to_string().contains(&url), "{err}");

    // Once the server serves at speed, the same client gets the whole body.
    let srv = server(&[("/big", &[7u8; 100_000])]);
    let url = format!("{}/big", srv.url());
    srv.fail_next("/big", 1, Fault::Drip(1000, Duration::from_millis(20)));
    assert_eq!(impatient().get_bytes(&url, 1 << 20).unwrap(), vec![7u8; 100_000]);
}

#[test]
fn a_slow_loris_on_a_body_read_into_memory_is_cut_too() {
    use buckle_http::{NoReporter, Request};
    let srv = server(&[("/manifest", &[b'{'; 50_000])]);
    srv.fail_always("/manifest", Fault::Drip(10, Duration::from_millis(20)));
    let request = Request::get(format!("{}/manifest", srv.url()));
    let response = impatient().send(&request, &NoReporter).unwrap();
    let err = response.into_bytes(1 << 20).unwrap_err();
    assert!(source_text(&err).contains("stalled"), "{err:?}");
}

#[test]
fn an_endless_body_stops_at_the_limit() {
    let srv = server(&[("/endless", b"yes\n")]);
    srv.fail_always("/endless", Fault::Endless);
    let err = impatient()
        .get_bytes(&format!("{}/endless", srv.url()), 1 << 20)
        .unwrap_err();
    assert!(
        matches!(&err, Error::TooLarge { limit, .. } if *limit == 1 << 20),
        "{err:?}"
    );
    assert_eq!(srv.count("/endless"), 1, "a body over the limit is not retried");
}

#[test]
fn a_content_length_longer_than_the_body_is_a_stall() {
    let srv = server(&[("/file", b"0123456789")]);
    let url = format!("{}/file", srv.url());
    srv.fail_next("/file", 1, Fault::ClaimLength(20));
    assert_eq!(impatient().get_bytes(&url, 100).unwrap(), b"0123456789");
    srv.fail_always("/file", Fault::ClaimLength(20));
    let err = impatient().get_bytes(&url, 100).unwrap_err();
    assert!(matches!(err, Error::Transport { attempts: 2, .. }), "{err:?}");
}

#[test]
fn a_content_length_shorter_than_the_body_gives_the_short_body_and_the_rest_is_not_taken_for_an_answer() {
    let srv = server(&[("/file", b"0123456789"), ("/other", b"other")]);
    srv.fail_next("/file", 1, Fault::ClaimLength(4));
    let client = impatient();
    // The client cannot know; the caller's digest check catches it (see the archive
    // and registry tests).
    assert_eq!(
        client.get_bytes(&format!("{}/file", srv.url()), 100).unwrap(),
        b"0123"
    );
    // The next request on the kept-alive connection gets its own answer, not the
    // six bytes left on the connection.
    assert_eq!(
        client.get_bytes(&format!("{}/other", srv.url()), 100).unwrap(),
        b"other"
    );
}

#[test]
fn a_redirect_loop_is_a_clear_error_after_ten_hops() {
    let srv = server(&[]);
    srv.fail_always("/a", Fault::Redirect("/b".into()));
    srv.fail_always("/b", Fault::Redirect("/a".into()));
    let url = format!("{}/a", srv.url());
    let err = impatient().get_bytes(&url, 100).unwrap_err();
    assert!(
        matches!(&err, Error::TooManyRedirects { url: u, limit: 10 } if *u == url),
        "{err:?}"
    );
    assert_eq!(err.to_string(), format!("`{url}` redirected more than 10 times"));
    assert!(err.hint().is_some());
    assert_eq!(srv.count("/a") + srv.count("/b"), 11, "not retried");
}

#[test]
fn a_redirect_to_another_host_is_followed_without_the_credentials() {
    use buckle_http::{NoReporter, Request};
    let elsewhere = server(&[("/blob", b"content")]);
    let srv = server(&[]);
    srv.fail_always("/blob", Fault::Redirect(format!("{}/blob", elsewhere.url())));
    let request = Request::get(format!("{}/blob", srv.url())).header("authorization", "Basic c2VjcmV0");
    let mut body = Vec::new();
    impatient().fetch_to(&request, &mut body, &NoReporter).unwrap();
    assert_eq!(body, b"content");
    assert_eq!(srv.requests()[0].header("authorization"), Some("Basic c2VjcmV0"));
    let followed = elsewhere.requests();
    assert_eq!(followed.len(), 1);
    assert_eq!(followed[0].header("authorization"), None, "{followed:?}");
}

#[test]
fn a_storm_of_server_errors_with_huge_retry_after_waits_no_longer_than_the_backoff_cap() {
    let srv = server(&[("/file", b"ok")]);
    srv.fail_always("/file", Fault::Status(503, "storm".into()));
    srv.add_header("/file", "Retry-After", "86400");
    let url = format!("{}/file", srv.url());
    let err = impatient().get_bytes(&url, 100).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Status {
                status: 503,
                attempts: 2,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.hint().unwrap().contains("retry later"));
}
