//! The registry client against a hostile registry on loopback (the testkit server
//! answering the distribution API for one image): wrong bytes, bodies cut short,
//! without end, stalled or dribbled, lying lengths, redirect loops, a redirect of a
//! blob to another host after a Basic challenge, storms of server errors. Each pull
//! ends in a clear error (or a retry that succeeds) with a client configured to give
//! up on silence after 200 ms; a failed pull leaves nothing in the image cache, and
//! once the registry behaves, the same pull succeeds with every blob matching its
//! digest.
#![allow(clippy::unwrap_used)]

use buckle_digest::Sha256;
use buckle_oci::layout::Layout;
use buckle_registry::{
    pull_cached, CredentialStore, Credentials, Error, NoReporter, Options, PullOptions, Registry,
};
use buckle_testkit::server::{Fault, Server};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

const MANIFEST_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
const PAUSE: Duration = Duration::from_millis(20);

/// A registry serving `app:latest`: a manifest, its config and one 200 kB layer.
struct HostileRegistry {
    server: Server,
    manifest: Vec<u8>,
    layer: Vec<u8>,
    cache: tempfile::TempDir,
}

impl HostileRegistry {
    fn start() -> HostileRegistry {
        let config =
            br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#.to_vec();
        let layer: Vec<u8> = (0..200_000u32).map(|i| (i % 253) as u8).collect();
        let manifest = format!(
            r#"{{"schemaVersion":2,"mediaType":"{MANIFEST_TYPE}","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{}","size":{}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{}","size":{}}}]}}"#,
            Sha256::of(&config).oci(),
            config.len(),
            Sha256::of(&layer).oci(),
            layer.len()
        )
        .into_bytes();
        let files = BTreeMap::from([
            ("/v2/".to_owned(), b"{}".to_vec()),
            ("/v2/app/manifests/latest".to_owned(), manifest.clone()),
            (
                format!("/v2/app/manifests/{}", Sha256::of(&manifest).oci()),
                manifest.clone(),
            ),
            (blob_path(&config), config),
            (blob_path(&layer), layer.clone()),
        ]);
        let server = Server::start(files);
        server.add_header("/v2/app/manifests/latest", "Content-Type", MANIFEST_TYPE);
        HostileRegistry {
            server,
            manifest,
            layer,
            cache: tempfile::tempdir().unwrap(),
        }
    }

    fn host(&self) -> String {
        self.server.url().trim_start_matches("http://").to_owned()
    }

    fn layer_path(&self) -> String {
        blob_path(&self.layer)
    }

    fn manifest_by_digest(&self) -> String {
        format!("/v2/app/manifests/{}", Sha256::of(&self.manifest).oci())
    }

    fn connect(&self, credentials: CredentialStore) -> Registry {
        let options = Options {
            insecure: true,
            credentials,
            attempts: 2,
            read_timeout: Duration::from_millis(200),
            jobs: 1,
            ..Options::default()
        };
        Registry::connect(&self.host(), &options).unwrap()
    }

    /// Pulls `app<reference>` (`:latest` or `@sha256:...`) into the image cache.
    fn pull(&self, reference: &str) -> Result<PathBuf, Error> {
        let registry = self.connect(CredentialStore::anonymous());
        self.pull_with(&registry, reference)
    }

    fn pull_with(&self, registry: &Registry, reference: &str) -> Result<PathBuf, Error> {
        let reference = format!("{}/app{reference}", self.host()).parse().unwrap();
        pull_cached(
            registry,
            &reference,
            self.cache.path(),
            PullOptions { attachments: false },
            &NoReporter,
        )
    }

    /// The failed pull left nothing in the cache; with `path` served normally again,
    /// the pull succeeds and every blob matches its digest.
    fn assert_nothing_cached_then_heal(&self, path: &str) {
        let left: Vec<_> = std::fs::read_dir(self.cache.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(left.is_empty(), "a failed pull left {left:?} in the cache");
        self.server.heal(path);
        let dir = self.pull(":latest").unwrap();
        assert_sound(&dir);
        let layout = Layout::open(&dir).unwrap();
        assert_eq!(
            std::fs::read(layout.blob_path(&Sha256::of(&self.layer))).unwrap(),
            self.layer
        );
    }
}

fn blob_path(bytes: &[u8]) -> String {
    format!("/v2/app/blobs/{}", Sha256::of(bytes).oci())
}

/// Every blob in the layout is named by the digest of its bytes.
fn assert_sound(dir: &Path) {
    let blobs = dir.join("blobs/sha256");
    for entry in std::fs::read_dir(blobs).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        assert_eq!(Sha256::of(&std::fs::read(entry.path()).unwrap()).hex(), name);
    }
}

fn http_error(err: &Error) -> &buckle_http::Error {
    match err {
        Error::Http(e) => e,
        other => panic!("expected an HTTP error, got {other:?}"),
    }
}

fn chain(err: &Error) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}

#[test]
fn wrong_bytes_for_a_blob_or_a_manifest_are_refused_and_never_cached() {
    let r = HostileRegistry::start();
    let mut other = r.layer.clone();
    other[7] ^= 1;
    r.server.insert(&r.layer_path(), other);
    let err = r.pull(":latest").unwrap_err();
    assert!(matches!(&err, Error::BlobDigest { .. }), "{err:?}");
    assert!(err.is_untrusted());
    r.server.insert(&r.layer_path(), r.layer.clone());

    let mut manifest = r.manifest.clone();
    manifest.push(b' ');
    r.server.insert(&r.manifest_by_digest(), manifest);
    let err = r
        .pull(&format!("@{}", Sha256::of(&r.manifest).oci()))
        .unwrap_err();
    assert!(matches!(&err, Error::ManifestDigest { .. }), "{err:?}");
    r.server.insert(&r.manifest_by_digest(), r.manifest.clone());
    r.assert_nothing_cached_then_heal(&r.layer_path());
}

#[test]
fn a_truncated_blob_is_retried_then_a_transport_error() {
    let r = HostileRegistry::start();
    r.server.fail_next(&r.layer_path(), 1, Fault::Truncate(1000));
    assert_sound(&r.pull(":latest").unwrap());
    assert_eq!(r.server.count(&r.layer_path()), 2);

    let r = HostileRegistry::start();
    r.server.fail_always(&r.layer_path(), Fault::Truncate(1000));
    let err = r.pull(":latest").unwrap_err();
    assert!(
        matches!(
            http_error(&err),
            buckle_http::Error::Transport { attempts: 2, .. }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains(&r.layer_path()), "{err}");
    r.assert_nothing_cached_then_heal(&r.layer_path());
}

#[test]
fn endless_bodies_stop_at_the_descriptor_size_or_the_manifest_limit() {
    let r = HostileRegistry::start();
    r.server.fail_always(&r.layer_path(), Fault::Endless);
    let err = r.pull(":latest").unwrap_err();
    assert!(
        matches!(&err, Error::BlobDigest { reason, .. } if reason.contains("more than the 200000 bytes")),
        "{err:?}"
    );
    assert_eq!(r.server.count(&r.layer_path()), 1, "too much is not retried");
    r.server.heal(&r.layer_path());

    r.server.fail_always("/v2/app/manifests/latest", Fault::Endless);
    let err = r.pull(":latest").unwrap_err();
    assert!(
        matches!(http_error(&err), buckle_http::Error::TooLarge { limit, .. } if *limit == buckle_registry::MAX_MANIFEST),
        "{err:?}"
    );
    r.assert_nothing_cached_then_heal("/v2/app/manifests/latest");
}

#[test]
fn a_stall_mid_blob_times_out_and_is_retried_then_a_transport_error() {
    let r = HostileRegistry::start();
    r.server.fail_next(&r.layer_path(), 1, Fault::Stall(1000));
    assert_sound(&r.pull(":latest").unwrap());

    let r = HostileRegistry::start();
    r.server.fail_always(&r.layer_path(), Fault::Stall(1000));
    let err = r.pull(":latest").unwrap_err();
    assert!(
        matches!(
            http_error(&err),
            buckle_http::Error::Transport { attempts: 2, .. }
        ),
        "{err:?}"
    );
    r.assert_nothing_cached_then_heal(&r.layer_path());
}

#[test]
fn a_slow_loris_on_a_blob_or_a_manifest_is_cut_by_the_minimum_rate() {
    let r = HostileRegistry::start();
    r.server.fail_always(&r.layer_path(), Fault::Drip(1000, PAUSE));
    let err = r.pull(":latest").unwrap_err();
    assert!(chain(&err).contains("stalled"), "{}", chain(&err));
    assert!(
        matches!(
            http_error(&err),
            buckle_http::Error::Transport { attempts: 2, .. }
        ),
        "{err:?}"
    );
    r.server.heal(&r.layer_path());

    r.server
        .fail_always("/v2/app/manifests/latest", Fault::Drip(10, PAUSE));
    let err = r.pull(":latest").unwrap_err();
    assert!(chain(&err).contains("stalled"), "{}", chain(&err));
    r.assert_nothing_cached_then_heal("/v2/app/manifests/latest");
}

#[test]
fn content_length_lies_are_a_size_mismatch_or_a_stall() {
    let r = HostileRegistry::start();
    r.server
        .fail_always(&r.layer_path(), Fault::ClaimLength(r.layer.len() - 10));
    let err = r.pull(":latest").unwrap_err();
    assert!(
        matches!(&err, Error::BlobDigest { reason, .. } if reason == "expected 200000 bytes, found 199990"),
        "{err:?}"
    );
    r.server
        .fail_always(&r.layer_path(), Fault::ClaimLength(r.layer.len() + 10));
    let err = r.pull(":latest").unwrap_err();
    assert!(
        matches!(http_error(&err), buckle_http::Error::Transport { .. }),
        "{err:?}"
    );
    r.assert_nothing_cached_then_heal(&r.layer_path());
}

#[test]
fn a_redirect_loop_is_a_clear_error() {
    let r = HostileRegistry::start();
    r.server
        .fail_always(&r.layer_path(), Fault::Redirect(r.layer_path()));
    let err = r.pull(":latest").unwrap_err();
    assert!(
        matches!(
            http_error(&err),
            buckle_http::Error::TooManyRedirects { limit: 10, .. }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("redirected more than 10 times"), "{err}");
    assert!(err.hint().is_some());
    r.assert_nothing_cached_then_heal(&r.layer_path());
}

#[test]
fn a_blob_redirected_to_another_host_gets_no_credentials_and_is_verified_alike() {
    let r = HostileRegistry::start();
    r.server.fail_always("/v2/", Fault::Status(401, "{}".into()));
    r.server
        .add_header("/v2/", "WWW-Authenticate", "Basic realm=\"hostile\"");
    let elsewhere = Server::start(BTreeMap::new());
    let path = r.layer_path();
    r.server
        .fail_always(&path, Fault::Redirect(format!("{}/cdn/layer", elsewhere.url())));
    let credentials = CredentialStore::anonymous()
        .with_credentials(Credentials::password("builder", "hunter2", "the test"));
    let registry = r.connect(credentials);

    let mut wrong = r.layer.clone();
    wrong[0] ^= 1;
    elsewhere.insert("/cdn/layer", wrong);
    let err = r.pull_with(&registry, ":latest").unwrap_err();
    assert!(matches!(&err, Error::BlobDigest { .. }), "{err:?}");

    elsewhere.insert("/cdn/layer", r.layer.clone());
    assert_sound(&r.pull_with(&registry, ":latest").unwrap());

    let sent = r.server.requests();
    let blob_requests: Vec<_> = sent.iter().filter(|q| q.path == path).collect();
    assert_eq!(blob_requests.len(), 2);
    assert!(
        blob_requests
            .iter()
            .all(|q| q.header("authorization").is_some_and(|a| a.starts_with("Basic "))),
        "{blob_requests:?}"
    );
    let followed = elsewhere.requests();
    assert_eq!(followed.len(), 2);
    assert!(
        followed.iter().all(|q| q.header("authorization").is_none()),
        "credentials went to another host: {followed:?}"
    );
}

#[test]
fn a_storm_of_server_errors_is_retried_then_names_the_status() {
    let r = HostileRegistry::start();
    r.server
        .fail_next("/v2/app/manifests/latest", 1, Fault::Status(503, "busy".into()));
    r.server
        .fail_next(&r.layer_path(), 1, Fault::Status(502, "busy".into()));
    assert_sound(&r.pull(":latest").unwrap());
    assert_eq!(r.server.count(&r.layer_path()), 2);

    for path in ["/v2/app/manifests/latest".to_owned(), r.layer_path()] {
        let r = HostileRegistry::start();
        r.server.fail_always(&path, Fault::Status(503, "storm".into()));
        let err = r.pull(":latest").unwrap_err();
        assert!(
            matches!(
                http_error(&err),
                buckle_http::Error::Status {
                    status: 503,
                    attempts: 2,
                    ..
                }
            ),
            "{path}: {err:?}"
        );
        assert!(err.hint().unwrap().contains("retry later"));
        r.assert_nothing_cached_then_heal(&path);
    }
}
