//! The mirror client against a hostile mirror on loopback: wrong bytes, bodies cut
//! short, without end, stalled or dribbled, lying lengths, redirect loops, redirects
//! to another host, storms of server errors, and signed Releases replayed after a
//! newer one or past their Valid-Until. Each ends in a clear error (or a retry that
//! succeeds) with a client configured to give up on silence after 200 ms, the cache
//! never holds an entry with other content than its digest says, and once the mirror
//! behaves, the same fetch succeeds.
#![allow(clippy::unwrap_used)]

use buckle_archive::{Archive, Cache, DebFile, Error, Keyring, NoReporter, ReleaseDate, VerifiedRelease};
use buckle_debian::MirrorUrl;
use buckle_digest::Sha256;
use buckle_testkit::keys::TestKey;
use buckle_testkit::repo::{Compression, Repo, RepoBuilder, SuiteBuilder, TestPackage};
use buckle_testkit::server::{Fault, Server};
use std::time::Duration;

const NOW: &str = "Sun, 22 Nov 2026 00:00:00 UTC";
const INRELEASE: &str = "/dists/trixie/InRelease";
const INDEX: &str = "/dists/trixie/main/binary-amd64/Packages.xz";
const PAUSE: Duration = Duration::from_millis(20);

struct Mirror {
    key: TestKey,
    repo: Repo,
    server: Server,
    archive: Archive,
    keyring: Keyring,
    _cache_dir: tempfile::TempDir,
}

/// A package big enough that dribbling it would take minutes.
fn big() -> TestPackage {
    TestPackage::new("big", "1.0-1", "amd64").deb((0..200_000u32).map(|i| (i % 251) as u8).collect())
}

fn trixie() -> SuiteBuilder {
    SuiteBuilder::new("trixie")
        .by_hash(false)
        .compressions(&[Compression::Xz])
        .package(big())
}

impl Mirror {
    fn new() -> Mirror {
        Mirror::serving(TestKey::generate("archive"), trixie())
    }

    fn serving(key: TestKey, suite: SuiteBuilder) -> Mirror {
        let repo = RepoBuilder::new(&key).suite(suite).build();
        let server = repo.serve();
        let keyring = Keyring::from_bytes("test keyring", key.armored_public().as_bytes()).unwrap();
        let cache_dir = tempfile::tempdir().unwrap();
        let http = buckle_http::Client::builder()
            .attempts(2)
            .backoff(Duration::from_millis(1), Duration::from_millis(5))
            .read_timeout(Duration::from_millis(200))
            .build();
        Mirror {
            key,
            repo,
            server,
            archive: Archive::new(http, Cache::new(cache_dir.path())),
            keyring,
            _cache_dir: cache_dir,
        }
    }

    fn url(&self) -> MirrorUrl {
        self.server.url().parse().unwrap()
    }

    fn open_at(&self, mirror: &MirrorUrl, not_before: Option<ReleaseDate>) -> Result<VerifiedRelease, Error> {
        self.archive.open_suite(
            mirror,
            &"trixie".parse().unwrap(),
            &self.keyring,
            now(),
            not_before,
        )
    }

    fn open(&self) -> Result<VerifiedRelease, Error> {
        self.open_at(&self.url(), None)
    }

    fn packages(&self) -> Result<Vec<String>, Error> {
        let release = self.open()?;
        let index = self
            .archive
            .packages(&release, &"main".parse().unwrap(), &"amd64".parse().unwrap())?;
        Ok(index.packages.iter().map(|p| p.name.to_string()).collect())
    }

    fn deb_at(&self, mirror: MirrorUrl) -> DebFile {
        DebFile {
            mirror,
            path: big().pool_path().parse().unwrap(),
            sha256: Sha256::of(big().deb_bytes()),
            size: big().deb_bytes().len() as u64,
        }
    }

    fn fetch_deb(&self) -> Result<(), Error> {
        self.archive
            .fetch_debs(&[self.deb_at(self.url())], 1, &NoReporter)
            .map(drop)
    }

    /// Nothing under a digest but its content, no temporary file left, and with the
    /// mirror healed, the Release, the index and the .deb all come through.
    fn assert_cache_sound_then_heal(&self, path: &str) {
        let blobs = self.archive.cache().root().join("blobs/sha256");
        for entry in std::fs::read_dir(&blobs).into_iter().flatten() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            assert!(!name.starts_with(".tmp"), "temporary file {name} left");
            let digest = Sha256::parse_oci(&format!("sha256:{name}")).unwrap();
            self.archive.cache().read(&digest).unwrap();
        }
        self.server.heal(path);
        assert_eq!(self.packages().unwrap(), ["big"]);
        self.fetch_deb().unwrap();
        let deb = Sha256::of(big().deb_bytes());
        assert_eq!(self.archive.cache().read(&deb).unwrap(), big().deb_bytes());
    }
}

fn now() -> ReleaseDate {
    NOW.parse().unwrap()
}

fn deb_path() -> String {
    format!("/{}", big().pool_path())
}

fn source_text(err: &Error) -> String {
    let mut text = String::new();
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}

fn assert_download_error(err: &Error, what: &str) {
    assert!(matches!(err, Error::Download { .. }), "{err:?}");
    assert!(err.to_string().contains(what), "{err}");
}

#[test]
fn wrong_bytes_for_a_deb_or_an_index_are_refused_and_never_cached() {
    let m = Mirror::new();
    let mut other = big().deb_bytes().to_vec();
    other[100] ^= 1;
    m.server.insert(&deb_path(), other);
    let err = m.fetch_deb().unwrap_err();
    assert!(matches!(err, Error::DebDigest { .. }), "{err:?}");
    assert!(!m.archive.cache().contains(&Sha256::of(big().deb_bytes())));
    m.server.insert(&deb_path(), big().deb_bytes().to_vec());

    let mut index = m.repo.files()[INDEX].clone();
    let last = index.len() - 1;
    index[last] ^= 1;
    m.server.insert(INDEX, index);
    let err = m.packages().unwrap_err();
    assert!(matches!(err, Error::IndexDigest { .. }), "{err:?}");
    m.server.insert(INDEX, m.repo.files()[INDEX].clone());
    m.assert_cache_sound_then_heal(INDEX);
}

#[test]
fn truncated_bodies_are_retried_then_a_download_error() {
    for path in [INRELEASE.to_owned(), INDEX.to_owned(), deb_path()] {
        let m = Mirror::new();
        m.server.fail_always(&path, Fault::Truncate(100));
        let err = if path == deb_path() {
            m.fetch_deb().unwrap_err()
        } else {
            m.packages().unwrap_err()
        };
        assert_download_error(&err, path.rsplit('/').next().unwrap());
        assert_eq!(m.server.count(&path), 2, "{path}: tried once more");
        m.assert_cache_sound_then_heal(&path);
    }
}

#[test]
fn endless_bodies_stop_at_the_size_each_file_may_have() {
    let m = Mirror::new();
    m.server.fail_always(INRELEASE, Fault::Endless);
    let err = m.open().unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Download {
                source: buckle_http::Error::TooLarge { .. },
                ..
            }
        ),
        "{err:?}"
    );
    m.server.heal(INRELEASE);

    m.server.fail_always(INDEX, Fault::Endless);
    let err = m.packages().unwrap_err();
    assert!(matches!(err, Error::IndexSize { .. }), "{err:?}");
    m.server.heal(INDEX);

    m.server.fail_always(&deb_path(), Fault::Endless);
    let err = m.fetch_deb().unwrap_err();
    assert!(matches!(err, Error::DebSize { .. }), "{err:?}");
    assert_eq!(m.server.count(&deb_path()), 1, "too large is not retried");
    m.assert_cache_sound_then_heal(&deb_path());
}

#[test]
fn a_stall_mid_body_times_out_and_is_retried_then_a_download_error() {
    let m = Mirror::new();
    m.server.fail_next(&deb_path(), 1, Fault::Stall(1000));
    m.fetch_deb().unwrap();
    assert_eq!(m.server.count(&deb_path()), 2);

    let m = Mirror::new();
    m.server.fail_always(INRELEASE, Fault::Stall(100));
    assert_download_error(&m.open().unwrap_err(), "InRelease");
    m.server.heal(INRELEASE);
    m.server.fail_always(&deb_path(), Fault::Stall(1000));
    let err = m.fetch_deb().unwrap_err();
    assert_download_error(&err, "big_1.0-1_amd64.deb");
    assert!(
        source_text(&err).contains("after 2 attempts"),
        "{}",
        source_text(&err)
    );
    m.assert_cache_sound_then_heal(&deb_path());
}

#[test]
fn a_slow_loris_is_cut_by_the_minimum_rate_then_a_download_error() {
    let m = Mirror::new();
    m.server.fail_always(INRELEASE, Fault::Drip(10, PAUSE));
    assert_download_error(&m.open().unwrap_err(), "InRelease");
    m.server.heal(INRELEASE);
    m.server.fail_always(INDEX, Fault::Drip(10, PAUSE));
    assert_download_error(&m.packages().unwrap_err(), "Packages.xz");
    m.server.heal(INDEX);
    m.server.fail_always(&deb_path(), Fault::Drip(1000, PAUSE));
    let err = m.fetch_deb().unwrap_err();
    assert_download_error(&err, "big_1.0-1_amd64.deb");
    assert!(source_text(&err).contains("stalled"), "{}", source_text(&err));
    m.assert_cache_sound_then_heal(&deb_path());
}

#[test]
fn content_length_lies_are_a_size_mismatch_or_a_stall() {
    let m = Mirror::new();
    let len = big().deb_bytes().len();
    m.server.fail_always(&deb_path(), Fault::ClaimLength(len - 10));
    let err = m.fetch_deb().unwrap_err();
    assert!(
        matches!(err, Error::DebSize { expected, actual, .. } if expected == len as u64 && actual == expected - 10),
        "{err:?}"
    );
    m.server.fail_always(&deb_path(), Fault::ClaimLength(len + 10));
    assert_download_error(&m.fetch_deb().unwrap_err(), "big_1.0-1_amd64.deb");

    let index_len = m.repo.files()[INDEX].len();
    m.server.fail_always(INDEX, Fault::ClaimLength(index_len - 1));
    assert!(matches!(m.packages().unwrap_err(), Error::IndexSize { .. }));
    m.server.heal(INDEX);
    m.assert_cache_sound_then_heal(&deb_path());
}

#[test]
fn redirect_loops_are_a_clear_error_and_not_retried() {
    let m = Mirror::new();
    m.server.fail_always(INRELEASE, Fault::Redirect(INRELEASE.into()));
    let err = m.open().unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Download {
                source: buckle_http::Error::TooManyRedirects { limit: 10, .. },
                ..
            }
        ),
        "{err:?}"
    );
    assert!(source_text(&err).contains("redirected more than 10 times"));
    assert_eq!(m.server.count(INRELEASE), 11);
    m.server.heal(INRELEASE);
    m.server
        .fail_always(&deb_path(), Fault::Redirect("/elsewhere".into()));
    m.server.fail_always("/elsewhere", Fault::Redirect(deb_path()));
    assert_download_error(&m.fetch_deb().unwrap_err(), "big_1.0-1_amd64.deb");
    m.assert_cache_sound_then_heal(&deb_path());
}

#[test]
fn a_redirect_to_another_host_gets_no_credentials_and_its_bytes_are_verified_alike() {
    let m = Mirror::new();
    let elsewhere = Server::start(Default::default());
    let path = deb_path();
    m.server
        .fail_always(&path, Fault::Redirect(format!("{}{path}", elsewhere.url())));
    // The mirror URL carries a user and password (sent as Basic authorization).
    let with_credentials: MirrorUrl = m
        .server
        .url()
        .replace("http://", "http://apt:secret@")
        .parse()
        .unwrap();

    let mut wrong = big().deb_bytes().to_vec();
    wrong[0] ^= 1;
    elsewhere.insert(&path, wrong);
    let err = m
        .archive
        .fetch_debs(&[m.deb_at(with_credentials.clone())], 1, &NoReporter)
        .unwrap_err();
    assert!(matches!(err, Error::DebDigest { .. }), "{err:?}");
    assert!(!m.archive.cache().contains(&Sha256::of(big().deb_bytes())));

    elsewhere.insert(&path, big().deb_bytes().to_vec());
    m.archive
        .fetch_debs(&[m.deb_at(with_credentials)], 1, &NoReporter)
        .unwrap();
    assert_eq!(
        m.archive.cache().read(&Sha256::of(big().deb_bytes())).unwrap(),
        big().deb_bytes()
    );
    let asked = m.server.requests();
    assert!(
        asked.iter().all(|r| r.header("authorization").is_some()),
        "{asked:?}"
    );
    let followed = elsewhere.requests();
    assert_eq!(followed.len(), 2);
    assert!(
        followed.iter().all(|r| r.header("authorization").is_none()),
        "{followed:?}"
    );
}

#[test]
fn a_storm_of_server_errors_is_retried_then_names_the_status() {
    let m = Mirror::new();
    m.server
        .fail_next(INRELEASE, 1, Fault::Status(503, "busy".into()));
    m.open().unwrap();

    for (path, status) in [
        (INRELEASE.to_owned(), 503),
        (INDEX.to_owned(), 502),
        (deb_path(), 500),
    ] {
        let m = Mirror::new();
        m.server.fail_always(&path, Fault::Status(status, "storm".into()));
        let err = if path == deb_path() {
            m.fetch_deb().unwrap_err()
        } else {
            m.packages().unwrap_err()
        };
        assert!(
            matches!(
                &err,
                Error::Download { source: buckle_http::Error::Status { status: s, attempts: 2, .. }, .. }
                    if *s == status
            ),
            "{err:?}"
        );
        assert!(err.hint().unwrap().contains("retry later"), "{:?}", err.hint());
        m.assert_cache_sound_then_heal(&path);
    }
}

#[test]
fn a_signed_release_replayed_after_a_newer_one_or_past_valid_until_is_refused() {
    let m = Mirror::new();
    let newer = trixie().date("Sat, 21 Nov 2026 12:00:00 UTC");
    let newer_repo = RepoBuilder::new(&m.key).suite(newer).build();
    m.server.insert(INRELEASE, newer_repo.files()[INRELEASE].clone());
    let seen = m.open().unwrap().date();

    // The older, validly signed Release the mirror served before.
    m.server.insert(INRELEASE, m.repo.files()[INRELEASE].clone());
    let err = m.open_at(&m.url(), Some(seen)).unwrap_err();
    assert!(
        matches!(err, Error::Rollback { not_before, .. } if not_before == seen),
        "{err:?}"
    );

    // A Release frozen by the mirror past its Valid-Until.
    let frozen = trixie().valid_until("Sat, 21 Nov 2026 21:00:00 UTC");
    let frozen_repo = RepoBuilder::new(&m.key).suite(frozen).build();
    m.server.insert(INRELEASE, frozen_repo.files()[INRELEASE].clone());
    let err = m.open().unwrap_err();
    assert!(matches!(err, Error::Expired { .. }), "{err:?}");
    assert!(err
        .to_string()
        .contains("Valid-Until is Sat, 21 Nov 2026 21:00:00 UTC"));

    m.server.insert(INRELEASE, m.repo.files()[INRELEASE].clone());
    m.assert_cache_sound_then_heal(INRELEASE);
}
