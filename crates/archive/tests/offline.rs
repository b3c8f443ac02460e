//! The archive client against signed test repositories on loopback HTTP: the good
//! path end to end, caching, and every link of the chain of trust broken on purpose.
#![allow(clippy::unwrap_used)]

use buckle_archive::{Archive, Cache, DebFile, Error, Keyring, NoReporter, ReleaseDate, VerifiedRelease};
use buckle_debian::{Arch, Component, MirrorUrl, Suite};
use buckle_digest::Sha256;
use buckle_testkit::keys::TestKey;
use buckle_testkit::repo::{ArchAll, Break, Compression, Repo, RepoBuilder, SuiteBuilder, TestPackage};
use buckle_testkit::server::{Fault, Server};
use std::time::Duration;

const NOW: &str = "Sun, 22 Nov 2026 00:00:00 UTC";

struct Fixture {
    key: TestKey,
    server: Server,
    repo: Repo,
    archive: Archive,
    keyring: Keyring,
    _cache_dir: tempfile::TempDir,
}

impl Fixture {
    fn new(key: TestKey, suite: SuiteBuilder) -> Fixture {
        let repo = RepoBuilder::new(&key).suite(suite).build();
        let server = repo.serve();
        let keyring = Keyring::from_bytes("test keyring", key.armored_public().as_bytes()).unwrap();
        let cache_dir = tempfile::tempdir().unwrap();
        let http = buckle_http::Client::builder()
            .attempts(2)
            .backoff(Duration::from_millis(1), Duration::from_millis(5))
            .build();
        Fixture {
            key,
            server,
            repo,
            archive: Archive::new(http, Cache::new(cache_dir.path())),
            keyring,
            _cache_dir: cache_dir,
        }
    }

    fn mirror(&self) -> MirrorUrl {
        self.server.url().parse().unwrap()
    }

    fn open(&self, suite: &str) -> Result<VerifiedRelease, Error> {
        self.archive.open_suite(
            &self.mirror(),
            &suite.parse().unwrap(),
            &self.keyring,
            now(),
            None,
        )
    }

    fn packages(&self, release: &VerifiedRelease) -> Result<Vec<String>, Error> {
        let index = self
            .archive
            .packages(release, &component("main"), &arch("amd64"))?;
        Ok(index
            .packages
            .iter()
            .map(|p| format!("{}_{}", p.name, p.version))
            .collect())
    }

    fn deb(&self, package: &TestPackage) -> DebFile {
        DebFile {
            mirror: self.mirror(),
            path: package.pool_path().parse().unwrap(),
            sha256: Sha256::of(package.deb_bytes()),
            size: package.deb_bytes().len() as u64,
        }
    }

    fn file(&self, path: &str) -> &[u8] {
        &self.repo.files()[path]
    }

    fn index_requests(&self) -> Vec<String> {
        let requests = self.server.requests().into_iter().map(|r| r.path);
        requests.filter(|p| p.contains("/binary-")).collect()
    }
}

fn now() -> ReleaseDate {
    NOW.parse().unwrap()
}

fn component(s: &str) -> Component {
    s.parse().unwrap()
}

fn arch(s: &str) -> Arch {
    s.parse().unwrap()
}

fn hello() -> TestPackage {
    TestPackage::new("hello", "2.10-3", "amd64").field("Depends", "libc6 (>= 2.36)")
}

fn libc() -> TestPackage {
    TestPackage::new("libc6", "2.41-12", "amd64").field("Multi-Arch", "same")
}

fn tzdata() -> TestPackage {
    TestPackage::new("tzdata", "2025b-4", "all")
}

fn trixie() -> SuiteBuilder {
    SuiteBuilder::new("trixie")
        .suite_name("stable")
        .package(hello())
        .package(libc())
        .package(tzdata())
}

fn fixture(suite: SuiteBuilder) -> Fixture {
    Fixture::new(TestKey::generate("archive"), suite)
}

#[test]
fn good_path_verifies_release_loads_packages_and_fetches_debs() {
    let f = fixture(trixie());
    let release = f.open("trixie").unwrap();
    assert_eq!(release.suite.as_str(), "trixie");
    assert_eq!(release.signer, f.key.fingerprint());
    assert_eq!(release.date().to_string(), "Sat, 21 Nov 2026 09:15:44 UTC");
    assert_eq!(
        release.inrelease_sha256,
        Sha256::of(f.file("/dists/trixie/InRelease"))
    );
    assert_eq!(
        f.packages(&release).unwrap(),
        ["hello_2.10-3", "libc6_2.41-12", "tzdata_2025b-4"]
    );
    let debs = [f.deb(&hello()), f.deb(&libc()), f.deb(&tzdata())];
    let summary = f.archive.fetch_debs(&debs, 4, &NoReporter).unwrap();
    assert_eq!((summary.downloaded, summary.cached), (3, 0));
    for (deb, package) in debs.iter().zip([hello(), libc(), tzdata()]) {
        assert_eq!(f.archive.cache().read(&deb.sha256).unwrap(), package.deb_bytes());
    }
}

#[test]
fn second_run_reads_indices_and_debs_from_the_cache_without_downloading() {
    let f = fixture(trixie());
    let first = f.open("trixie").unwrap();
    let packages = f.packages(&first).unwrap();
    let debs = [f.deb(&hello()), f.deb(&tzdata())];
    f.archive.fetch_debs(&debs, 2, &NoReporter).unwrap();
    assert_eq!(f.index_requests().len(), 1, "{:?}", f.index_requests());

    f.server.clear_log();
    let second = f.open("trixie").unwrap();
    assert_eq!(f.packages(&second).unwrap(), packages);
    let summary = f.archive.fetch_debs(&debs, 2, &NoReporter).unwrap();
    assert_eq!((summary.downloaded, summary.cached), (0, 2));
    let paths: Vec<String> = f.server.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/dists/trixie/InRelease"]);
}

#[test]
fn indices_are_fetched_by_hash_in_xz_when_offered() {
    let f = fixture(trixie());
    let release = f.open("trixie").unwrap();
    f.packages(&release).unwrap();
    let xz = Sha256::of(f.file("/dists/trixie/main/binary-amd64/Packages.xz"));
    assert!(f
        .index_requests()
        .contains(&format!("/dists/trixie/main/binary-amd64/by-hash/SHA256/{xz}")));
}

#[test]
fn without_by_hash_and_xz_the_gzip_index_is_fetched_by_name() {
    let f = fixture(
        trixie()
            .by_hash(false)
            .compressions(&[Compression::None, Compression::Gzip]),
    );
    let release = f.open("trixie").unwrap();
    assert_eq!(f.packages(&release).unwrap().len(), 3);
    assert_eq!(
        f.index_requests(),
        ["/dists/trixie/main/binary-amd64/Packages.gz"]
    );
}

#[test]
fn arch_all_packages_listed_in_the_arch_index_mean_no_binary_all_fetch() {
    let f = fixture(trixie());
    let release = f.open("trixie").unwrap();
    assert!(release.release.arch_all_in_arch_indices);
    assert!(f
        .packages(&release)
        .unwrap()
        .contains(&"tzdata_2025b-4".to_owned()));
    assert!(f.index_requests().iter().all(|p| !p.contains("binary-all")));
}

#[test]
fn binary_all_is_not_fetched_when_release_does_not_name_architecture_all() {
    let f = fixture(
        trixie()
            .arch_all(ArchAll::Unannounced)
            .breaking(Break::IndexDigest("main/binary-all/Packages.xz".into())),
    );
    let release = f.open("trixie").unwrap();
    assert!(!release.release.arch_all_in_arch_indices);
    assert!(f
        .packages(&release)
        .unwrap()
        .contains(&"tzdata_2025b-4".to_owned()));
    assert!(f.index_requests().iter().all(|p| !p.contains("binary-all")));
}

#[test]
fn split_arch_all_layout_adds_binary_all_to_the_arch_index() {
    let f = fixture(trixie().arch_all(ArchAll::OnlyInBinaryAll).by_hash(false));
    let release = f.open("trixie").unwrap();
    assert!(!release.release.arch_all_in_arch_indices);
    assert_eq!(
        f.packages(&release).unwrap(),
        ["hello_2.10-3", "libc6_2.41-12", "tzdata_2025b-4"]
    );
    assert_eq!(
        f.index_requests(),
        [
            "/dists/trixie/main/binary-amd64/Packages.xz",
            "/dists/trixie/main/binary-all/Packages.xz"
        ]
    );
}

#[test]
fn binary_all_index_that_fails_verification_fails_the_packages() {
    let f = fixture(
        trixie()
            .arch_all(ArchAll::OnlyInBinaryAll)
            .breaking(Break::IndexDigest("main/binary-all/Packages.xz".into())),
    );
    let release = f.open("trixie").unwrap();
    let err = f.packages(&release).unwrap_err();
    assert!(
        matches!(&err, Error::IndexDigest { path, .. } if path == "main/binary-all/Packages.xz"),
        "{err:?}"
    );
}

#[test]
fn missing_by_hash_copy_falls_back_to_the_name_and_is_still_verified() {
    let f = fixture(trixie());
    let xz = Sha256::of(f.file("/dists/trixie/main/binary-amd64/Packages.xz"));
    f.server
        .remove(&format!("/dists/trixie/main/binary-amd64/by-hash/SHA256/{xz}"));
    let release = f.open("trixie").unwrap();
    assert_eq!(f.packages(&release).unwrap().len(), 3);
    assert!(f
        .index_requests()
        .contains(&"/dists/trixie/main/binary-amd64/Packages.xz".to_owned()));
}

#[test]
fn inrelease_with_altered_signed_text_is_a_bad_signature_naming_the_key() {
    let f = fixture(trixie().breaking(Break::TamperSignedText));
    let err = f.open("trixie").unwrap_err();
    match &err {
        Error::BadSignature { url, key } => {
            assert_eq!(key, &f.key.fingerprint());
            assert!(url.ends_with("/dists/trixie/InRelease"));
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(err
        .to_string()
        .starts_with("bad OpenPGP signature on `http://127.0.0.1:"));
    assert!(err.to_string().contains(&f.key.fingerprint()));
}

#[test]
fn inrelease_signed_by_an_unknown_key_names_that_key() {
    let stranger = TestKey::generate("stranger");
    let f = fixture(trixie().signed_by(&[&stranger]));
    let err = f.open("trixie").unwrap_err();
    assert!(
        matches!(&err, Error::UnknownKey { keys, .. } if keys == &[stranger.fingerprint()]),
        "{err:?}"
    );
    assert!(err.to_string().contains(&stranger.fingerprint()), "{err}");
    assert!(err.to_string().contains("test keyring"), "{err}");
}

#[test]
fn one_good_signature_suffices_beside_an_unknown_one() {
    let key = TestKey::generate("archive");
    let stranger = TestKey::generate("stranger");
    let f = Fixture::new(key.clone(), trixie().signed_by(&[&stranger, &key]));
    assert_eq!(f.open("trixie").unwrap().signer, key.fingerprint());
}

#[test]
fn a_bad_signature_by_a_trusted_key_fails_even_beside_a_good_one() {
    let key = TestKey::generate("archive");
    let second = TestKey::generate("second");
    let mut f = Fixture::new(key.clone(), trixie().bad_signature_by(&second));
    f.keyring
        .extend(Keyring::from_bytes("second", &second.binary_public()).unwrap());
    let err = f.open("trixie").unwrap_err();
    assert!(
        matches!(&err, Error::BadSignature { key, .. } if *key == second.fingerprint()),
        "{err:?}"
    );
}

#[test]
fn inrelease_that_is_not_clearsigned_is_rejected() {
    let f = fixture(trixie());
    let release = f.file("/dists/trixie/Release").to_vec();
    f.server.insert("/dists/trixie/InRelease", release);
    let err = f.open("trixie").unwrap_err();
    assert!(matches!(err, Error::NotClearsigned { .. }), "{err:?}");
    assert!(err.to_string().contains("is not an OpenPGP clearsigned message"));
}

#[test]
fn text_around_the_signed_message_is_rejected() {
    let f = fixture(trixie());
    let mut bytes = f.file("/dists/trixie/InRelease").to_vec();
    bytes.extend_from_slice(
        b"\nSHA256:\n 0000000000000000000000000000000000000000000000000000000000000000 1 main/evil\n",
    );
    f.server.insert("/dists/trixie/InRelease", bytes);
    assert!(matches!(
        f.open("trixie").unwrap_err(),
        Error::NotClearsigned { .. }
    ));
}

#[test]
fn expired_valid_until_names_both_dates() {
    let f = fixture(trixie().valid_until("Sat, 21 Nov 2026 21:00:00 UTC"));
    let err = f.open("trixie").unwrap_err();
    assert_eq!(
        err.to_string(),
        "Release of `trixie` expired: Valid-Until is Sat, 21 Nov 2026 21:00:00 UTC, now is Sun, 22 Nov 2026 00:00:00 UTC"
    );
}

#[test]
fn valid_until_in_the_future_is_accepted() {
    let f = fixture(trixie().valid_until("Sat, 28 Nov 2026 09:15:44 UTC"));
    assert!(f.open("trixie").is_ok());
}

#[test]
fn release_for_another_codename_is_rejected() {
    let f = fixture(trixie());
    f.server.insert(
        "/dists/bookworm/InRelease",
        f.file("/dists/trixie/InRelease").to_vec(),
    );
    let err = f.open("bookworm").unwrap_err();
    assert_eq!(
        err.to_string(),
        "Release is not for suite `bookworm`: it says Suite `stable`, Codename `trixie`"
    );
    // The same file is fine under its alias.
    f.server.insert(
        "/dists/stable/InRelease",
        f.file("/dists/trixie/InRelease").to_vec(),
    );
    assert!(f.open("stable").is_ok());
}

#[test]
fn release_older_than_the_lock_is_a_rollback() {
    let f = fixture(trixie());
    let locked: ReleaseDate = "Sat, 21 Nov 2026 10:00:00 UTC".parse().unwrap();
    let suite: Suite = "trixie".parse().unwrap();
    let err = f
        .archive
        .open_suite(&f.mirror(), &suite, &f.keyring, now(), Some(locked))
        .unwrap_err();
    assert!(matches!(err, Error::Rollback { date, not_before, .. }
        if date.to_string() == "Sat, 21 Nov 2026 09:15:44 UTC" && not_before == locked));
    assert!(err.hint().unwrap().contains("mirror"));
}

#[test]
fn wrong_index_digest_in_release_names_the_index_and_both_digests() {
    let f = fixture(trixie().breaking(Break::IndexDigest("main/binary-amd64/Packages.xz".into())));
    let release = f.open("trixie").unwrap();
    let err = f.packages(&release).unwrap_err();
    let actual = Sha256::of(f.file("/dists/trixie/main/binary-amd64/Packages.xz"));
    let expected = Sha256::of(b"not the index");
    assert_eq!(
        err.to_string(),
        format!("`main/binary-amd64/Packages.xz` in `trixie` does not match Release: expected {expected}, found {actual}")
    );
}

#[test]
fn decoded_index_not_matching_release_is_rejected_and_not_cached() {
    let f = fixture(trixie().breaking(Break::IndexDigest("main/binary-amd64/Packages".into())));
    let release = f.open("trixie").unwrap();
    let err = f.packages(&release).unwrap_err();
    let plain = Sha256::of(f.file("/dists/trixie/main/binary-amd64/Packages"));
    assert!(
        matches!(&err, Error::IndexDigest { path, actual, .. } if path == "main/binary-amd64/Packages" && *actual == plain),
        "{err:?}"
    );
    assert!(!f.archive.cache().contains(&plain));
}

#[test]
fn index_of_the_wrong_size_is_rejected() {
    let f = fixture(trixie().by_hash(false));
    let path = "/dists/trixie/main/binary-amd64/Packages.xz";
    let mut longer = f.file(path).to_vec();
    longer.extend_from_slice(b"junk");
    f.server.insert(path, longer);
    let release = f.open("trixie").unwrap();
    let err = f.packages(&release).unwrap_err();
    assert!(matches!(err, Error::IndexSize { .. }), "{err:?}");
    assert!(err
        .to_string()
        .contains("`main/binary-amd64/Packages.xz` in `trixie` does not match Release"));
}

#[test]
fn corrupt_cached_index_is_detected_and_fetched_again() {
    let f = fixture(trixie());
    let release = f.open("trixie").unwrap();
    f.packages(&release).unwrap();
    let plain = release.release.sha256["main/binary-amd64/Packages"].sha256;
    std::fs::write(
        f.archive.cache().path(&plain),
        b"Package: evil\nVersion: 6.6.6\nArchitecture: amd64\n",
    )
    .unwrap();
    f.server.clear_log();
    assert_eq!(f.packages(&release).unwrap().len(), 3);
    assert_eq!(
        f.index_requests().len(),
        1,
        "only the corrupt amd64 index is fetched again"
    );
    assert_eq!(
        f.archive.cache().read(&plain).unwrap(),
        f.file("/dists/trixie/main/binary-amd64/Packages")
    );
}

#[test]
fn deb_with_wrong_sha256_in_packages_names_file_and_both_digests() {
    let f = fixture(trixie().breaking(Break::DebDigest("hello".into())));
    let release = f.open("trixie").unwrap();
    let index = f
        .archive
        .packages(&release, &component("main"), &arch("amd64"))
        .unwrap();
    let hello_pkg = index
        .packages
        .iter()
        .find(|p| p.name.as_str() == "hello")
        .unwrap();
    let deb = DebFile {
        mirror: f.mirror(),
        path: hello_pkg.filename.as_deref().unwrap().parse().unwrap(),
        sha256: hello_pkg.sha256.unwrap(),
        size: hello_pkg.size.unwrap(),
    };
    let err = f
        .archive
        .fetch_debs(std::slice::from_ref(&deb), 2, &NoReporter)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "`pool/main/h/hello/hello_2.10-3_amd64.deb` does not match its index: expected sha256 {}, found {}",
            Sha256::of(b"not the deb"),
            Sha256::of(hello().deb_bytes())
        )
    );
    assert!(!f.archive.cache().contains(&deb.sha256));
    assert_no_temporary_files(&f);
}

#[test]
fn deb_with_wrong_size_in_packages_is_rejected() {
    let f = fixture(trixie().breaking(Break::DebSize("hello".into())));
    let mut deb = f.deb(&hello());
    deb.size += 1;
    let err = f.archive.fetch_debs(&[deb], 1, &NoReporter).unwrap_err();
    let len = hello().deb_bytes().len() as u64;
    assert!(
        matches!(err, Error::DebSize { expected, actual, .. } if expected == len + 1 && actual == len),
        "{err:?}"
    );
}

#[test]
fn longer_deb_than_announced_is_cut_off_as_a_size_mismatch() {
    let f = fixture(trixie());
    let mut deb = f.deb(&hello());
    deb.size -= 1;
    let err = f.archive.fetch_debs(&[deb], 1, &NoReporter).unwrap_err();
    assert!(matches!(err, Error::DebSize { .. }), "{err:?}");
    assert_no_temporary_files(&f);
}

#[test]
fn deb_gone_from_the_pool_says_so_and_suggests_update() {
    let f = fixture(trixie().breaking(Break::MissingDeb("hello".into())));
    let err = f
        .archive
        .fetch_debs(&[f.deb(&libc()), f.deb(&hello())], 2, &NoReporter)
        .unwrap_err();
    assert!(
        matches!(&err, Error::DebGone { path, .. } if path.as_str() == "pool/main/h/hello/hello_2.10-3_amd64.deb")
    );
    assert!(
        err.to_string()
            .contains("the locked version has left the archive"),
        "{err}"
    );
    assert!(err.hint().unwrap().contains("buckle lock --update"));
    assert_eq!(
        f.server.count("/pool/main/h/hello/hello_2.10-3_amd64.deb"),
        1,
        "a 404 is not retried"
    );
}

#[test]
fn truncated_deb_download_is_retried_and_never_cached_partially() {
    let f = fixture(trixie());
    let path = format!("/{}", hello().pool_path());
    f.server.fail_next(&path, 1, Fault::Truncate(5));
    f.archive.fetch_debs(&[f.deb(&hello())], 1, &NoReporter).unwrap();
    assert_eq!(f.server.count(&path), 2);

    let g = fixture(trixie());
    g.server.fail_always(&path, Fault::Truncate(5));
    let err = g
        .archive
        .fetch_debs(&[g.deb(&hello())], 1, &NoReporter)
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Download {
                source: buckle_http::Error::Transport { .. },
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err
        .to_string()
        .contains("pool/main/h/hello/hello_2.10-3_amd64.deb"));
    assert!(!g.archive.cache().contains(&Sha256::of(hello().deb_bytes())));
    assert_no_temporary_files(&g);
}

#[test]
fn many_debs_download_in_parallel_over_few_kept_alive_connections() {
    let mut suite = SuiteBuilder::new("trixie");
    let packages: Vec<TestPackage> = (0..40)
        .map(|i| TestPackage::new(&format!("pkg{i}"), "1.0-1", "amd64").deb(vec![i as u8; 5000 + i]))
        .collect();
    for p in &packages {
        suite = suite.package(p.clone());
    }
    let f = fixture(suite);
    let debs: Vec<DebFile> = packages.iter().map(|p| f.deb(p)).collect();
    let connections_before = f.server.connections();
    let summary = f.archive.fetch_debs(&debs, 4, &NoReporter).unwrap();
    assert_eq!(summary.downloaded, 40);
    assert!(
        f.server.connections() - connections_before <= 4,
        "{} connections",
        f.server.connections()
    );
    for (deb, p) in debs.iter().zip(&packages) {
        assert_eq!(f.archive.cache().read(&deb.sha256).unwrap(), p.deb_bytes());
    }
}

#[test]
fn unreachable_mirror_is_a_download_error_naming_the_url() {
    let f = fixture(trixie());
    let url = f.server.url();
    drop(f.server);
    let mirror: MirrorUrl = url.parse().unwrap();
    let err = f
        .archive
        .open_suite(&mirror, &"trixie".parse().unwrap(), &f.keyring, now(), None)
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Download {
                source: buckle_http::Error::Transport { .. },
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "cannot download InRelease of `trixie`");
    let source = std::error::Error::source(&err).unwrap().to_string();
    assert!(
        source.contains(&format!("{url}/dists/trixie/InRelease")),
        "{source}"
    );
}

fn assert_no_temporary_files(f: &Fixture) {
    let dir = f.archive.cache().root().join("blobs/sha256");
    let leftovers: Vec<_> = std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name())
                .filter(|n| n.to_string_lossy().starts_with(".tmp"))
                .collect()
        })
        .unwrap_or_default();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
