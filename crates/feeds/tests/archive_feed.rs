//! The archive feed end to end, offline: a signed repository on loopback serving the
//! real Packages stanzas of bookworm and bookworm-security, with `.deb`s that carry the
//! real changelogs; `archive::update` reads them into the store and a scan of the
//! point release's packages finds what the newer versions fix.
#![allow(clippy::unwrap_used)]

use buckle_archive::{Archive, Cache, Keyring, NoReporter, ReleaseDate};
use buckle_debian::{deb822, BinaryPackage};
use buckle_feeds::archive::{update, ReleaseSuites, SuiteSource, UpdateOptions};
use buckle_feeds::{FeedKind, Store};
use buckle_testkit::deb::DebBuilder;
use buckle_testkit::keys::TestKey;
use buckle_testkit::repo::{RepoBuilder, TestPackage};
use buckle_testkit::vulndata;
use buckle_vuln::{scan, Installed};

fn stanzas(suite: &str) -> Vec<BinaryPackage> {
    let text = String::from_utf8(vulndata::read(&format!("packages/{suite}.Packages"))).unwrap();
    deb822::paragraphs(&text)
        .map(|p| BinaryPackage::from_paragraph(&p.unwrap()).unwrap())
        .collect()
}

/// A source whose smallest binary's doc directory is a symlink to its library's.
fn doc_link_packages() -> Vec<TestPackage> {
    let changelog = "docdemo (1.0-1+deb12u1) bookworm-security; urgency=high\n\n  * Fix CVE-2026-11111\n\n -- M <m@example.org>  Mon, 02 Nov 2026 10:00:00 +0000\n\ndocdemo (1.0-1) unstable; urgency=medium\n\n  * Initial release\n\n -- M <m@example.org>  Mon, 02 Nov 2025 10:00:00 +0000\n";
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, changelog.as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    let common = DebBuilder::new("docdemo-common", "1.0-1+deb12u1", "all")
        .field("Source", "docdemo")
        .symlink("usr/share/doc/docdemo-common", "libdocdemo1")
        .build();
    let library = DebBuilder::new("libdocdemo1", "1.0-1+deb12u1", "amd64")
        .field("Source", "docdemo")
        .file("usr/share/doc/libdocdemo1/changelog.Debian.gz", &gz, 0o644)
        .file("usr/lib/libdocdemo.so.1", &vec![7u8; 64 << 10], 0o644)
        .build();
    vec![
        TestPackage::new("docdemo-common", "1.0-1+deb12u1", "all")
            .field("Source", "docdemo")
            .deb(common),
        TestPackage::new("libdocdemo1", "1.0-1+deb12u1", "amd64")
            .field("Source", "docdemo")
            .deb(library),
    ]
}

fn installed(stanza: &BinaryPackage) -> Installed {
    Installed {
        name: stanza.name.clone(),
        version: stanza.version.clone(),
        arch: stanza.arch.clone(),
        source: stanza.source.clone(),
        source_version: stanza.source_version.clone(),
        purl: None,
    }
}

#[test]
fn update_reads_changelogs_of_newer_archive_versions_and_caches_them_by_deb_digest() {
    let key = TestKey::generate("archive");
    let point = vulndata::suite("bookworm");
    let mut security = vulndata::suite("bookworm-security");
    for p in doc_link_packages() {
        security = security.package(p);
    }
    let repo = RepoBuilder::new(&key).suite(point).suite(security).build();
    let server = repo.serve();
    let keyring = Keyring::from_bytes("test key", key.armored_public().as_bytes()).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let archive = Archive::new(buckle_http::Client::new(), Cache::new(cache.path().join("debs")));
    let store = Store::new(cache.path());
    let mirror = server.url().parse().unwrap();
    let releases = [ReleaseSuites {
        release: "bookworm".parse().unwrap(),
        suites: ["bookworm", "bookworm-security"]
            .iter()
            .map(|s| SuiteSource {
                mirror: buckle_debian::MirrorUrl::clone(&mirror),
                suite: s.parse().unwrap(),
            })
            .collect(),
    }];
    let now = ReleaseDate::from_system_time(std::time::SystemTime::now());
    let arch: buckle_debian::Arch = "amd64".parse().unwrap();
    let options = UpdateOptions {
        releases: &releases,
        arch,
        keyring: &keyring,
        now,
        stored_at: 1_790_000_000,
    };
    let run = || update(&archive, &store, &options, &NoReporter).unwrap();

    let first = run();
    // Every source of the security suite: 11 real ones and the doc-link demo.
    assert_eq!(first.sources, 12);
    assert_eq!(first.cached, 0);
    assert!(first.downloaded >= 12, "{first:?}");

    let loaded = store.load().unwrap();
    assert_eq!(loaded.feeds[0].kind, FeedKind::Archive);
    assert_eq!(loaded.feeds[0].records, 12);
    let packages: Vec<Installed> = stanzas("bookworm").iter().map(installed).collect();
    let findings = scan(&loaded.database, &"bookworm".parse().unwrap(), &packages);
    let count = |name: &str| findings.iter().filter(|f| f.package.as_str() == name).count();
    assert_eq!(
        [
            count("apache2-bin"),
            count("perl-base"),
            count("libssh2-1"),
            count("redis-server"),
            count("sudo")
        ],
        [23, 13, 6, 5, 0]
    );
    // The doc directory symlink led to the library's changelog.
    let docdemo = loaded
        .database
        .history(&"bookworm".parse().unwrap(), &"docdemo".parse().unwrap())
        .unwrap();
    assert_eq!(docdemo.binary.as_str(), "libdocdemo1");
    let old = Installed {
        name: "docdemo-common".parse().unwrap(),
        version: "1.0-1".parse().unwrap(),
        arch: "all".parse().unwrap(),
        source: "docdemo".parse().unwrap(),
        source_version: "1.0-1".parse().unwrap(),
        purl: None,
    };
    let found = scan(&loaded.database, &"bookworm".parse().unwrap(), &[old]);
    assert_eq!(found[0].id.as_str(), "CVE-2026-11111");

    let second = run();
    assert_eq!(
        (second.downloaded, second.cached, second.sources),
        (0, 12, 12),
        "{second:?}"
    );

    // A changelog cached under older mention rules is read again from its `.deb`.
    let sha = loaded
        .database
        .history(&"bookworm".parse().unwrap(), &"apache2".parse().unwrap())
        .unwrap()
        .deb_sha256
        .unwrap();
    let mut stale = store.changelog(&sha).unwrap().unwrap();
    stale.changelog.rules = 0;
    store.put_changelog(&sha, &stale).unwrap();
    assert_eq!(store.changelog(&sha).unwrap(), None);
    let third = run();
    assert_eq!((third.cached, third.sources), (11, 12), "{third:?}");
    assert!(store.changelog(&sha).unwrap().unwrap().changelog.is_current());
}

/// The archive feed's entries in the store: (release, records).
fn archive_entries(loaded: &buckle_feeds::Loaded) -> Vec<(String, usize)> {
    loaded
        .feeds
        .iter()
        .filter(|f| f.kind == FeedKind::Archive)
        .map(|f| (f.release.as_ref().unwrap().to_string(), f.records))
        .collect()
}

#[test]
fn updating_one_release_keeps_the_others_and_an_old_single_file_store_stays_readable() {
    let key = TestKey::generate("archive");
    let mut repo = RepoBuilder::new(&key);
    for suite in ["bookworm", "bookworm-security", "trixie", "trixie-security"] {
        repo = repo.suite(vulndata::suite(suite));
    }
    let server = repo.build().serve();
    let keyring = Keyring::from_bytes("test key", key.armored_public().as_bytes()).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let archive = Archive::new(buckle_http::Client::new(), Cache::new(cache.path().join("debs")));
    let store = Store::new(cache.path());
    let mirror: buckle_debian::MirrorUrl = server.url().parse().unwrap();
    let update_release = |release: &str, stored_at: u64| {
        let releases = [ReleaseSuites {
            release: release.parse().unwrap(),
            suites: [release.to_owned(), format!("{release}-security")]
                .iter()
                .map(|s| SuiteSource {
                    mirror: mirror.clone(),
                    suite: s.parse().unwrap(),
                })
                .collect(),
        }];
        let options = UpdateOptions {
            releases: &releases,
            arch: "amd64".parse().unwrap(),
            keyring: &keyring,
            now: ReleaseDate::from_system_time(std::time::SystemTime::now()),
            stored_at,
        };
        update(&archive, &store, &options, &NoReporter).unwrap()
    };
    let (bookworm, trixie) = ("bookworm".parse().unwrap(), "trixie".parse().unwrap());
    let apache = "apache2".parse().unwrap();

    update_release("bookworm", 1_790_000_000);
    update_release("trixie", 1_790_000_100);
    let loaded = store.load().unwrap();
    assert_eq!(
        archive_entries(&loaded),
        [("bookworm".to_owned(), 11), ("trixie".to_owned(), 6)]
    );
    assert!(loaded.database.history(&bookworm, &apache).is_some());
    assert!(loaded.database.history(&trixie, &apache).is_some());
    assert_eq!(loaded.archive(&bookworm).unwrap().stored_at, 1_790_000_000);

    // A store of the earlier layout: one archive.json of every release, no release in
    // feeds.json. It reads as one entry per release.
    let dir = store.dir();
    let mut all: Vec<serde_json::Value> = Vec::new();
    for release in ["bookworm", "trixie"] {
        let path = dir.join(format!("archive-{release}.json"));
        let histories: Vec<serde_json::Value> =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        all.extend(histories);
        std::fs::remove_file(path).unwrap();
    }
    std::fs::write(dir.join("archive.json"), serde_json::to_vec(&all).unwrap()).unwrap();
    let mut index: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(dir.join("feeds.json")).unwrap()).unwrap();
    index.retain(|i| i["release"] != "trixie");
    index[0].as_object_mut().unwrap().remove("release");
    std::fs::write(dir.join("feeds.json"), serde_json::to_vec(&index).unwrap()).unwrap();
    let legacy = store.load().unwrap();
    assert_eq!(archive_entries(&legacy), archive_entries(&loaded));
    assert!(legacy.database.history(&trixie, &apache).is_some());

    // Updating one release splits it: the other keeps its data.
    update_release("trixie", 1_790_000_200);
    let split = store.load().unwrap();
    assert_eq!(archive_entries(&split), archive_entries(&loaded));
    assert!(split.database.history(&bookworm, &apache).is_some());
    assert_eq!(split.archive(&bookworm).unwrap().stored_at, 1_790_000_000);
    assert_eq!(split.archive(&trixie).unwrap().stored_at, 1_790_000_200);
    assert!(!dir.join("archive.json").exists());
}
