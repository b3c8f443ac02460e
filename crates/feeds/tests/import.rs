//! `feeds import`: each kind told from the content, several files of one kind merged,
//! bad files named, the store written atomically and read back.
#![allow(clippy::unwrap_used)]

use buckle_feeds::{import, Error, FeedKind, Store};
use buckle_testkit::vulndata;
use std::io::Write;
use std::path::PathBuf;

fn write(dir: &std::path::Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn osv_zip() -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file("DSA-6537-1.json", options).unwrap();
    zip.write_all(br#"{"id": "DSA-6537-1", "upstream": ["CVE-2026-46675"], "affected": [{"package": {"ecosystem": "Debian:13", "name": "libpng1.6"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.6.48-1+deb13u6"}]}]}]}"#).unwrap();
    zip.start_file("README.txt", options).unwrap();
    zip.write_all(b"not a record").unwrap();
    zip.finish().unwrap().into_inner()
}

#[test]
fn real_kev_tracker_records_osv_zip_and_gzipped_epss_are_told_apart_and_stored() {
    let dir = tempfile::tempdir().unwrap();
    let kev = write(
        dir.path(),
        "kev.json",
        &vulndata::read("kev/known_exploited_vulnerabilities.json"),
    );
    let trackers: Vec<PathBuf> = ["DSA-5729-1", "DSA-6545-1", "CVE-2025-27363"]
        .iter()
        .map(|r| {
            write(
                dir.path(),
                &format!("{r}.json"),
                &vulndata::read(&format!("tracker/{r}.json")),
            )
        })
        .collect();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(b"#model_version:v2025.03.14,score_date:2025-08-25T00:00:00Z\ncve,epss,percentile\nCVE-2024-38475,0.94,0.999\n")
        .unwrap();
    let epss = write(dir.path(), "epss.csv.gz", &gz.finish().unwrap());
    let osv = write(dir.path(), "osv-debian.zip", &osv_zip());
    let store = Store::new(&dir.path().join("cache"));
    let mut files = vec![kev, epss, osv];
    files.extend(trackers);
    let stored = import(&store, &files, 1_790_000_000).unwrap();
    // DSA-5729-1 fixes 7 CVEs in bullseye and bookworm; DSA-6545-1 has no CVE; the TODO none.
    let kinds: Vec<(FeedKind, usize)> = stored.iter().map(|i| (i.kind, i.records)).collect();
    assert_eq!(
        kinds,
        [
            (FeedKind::Tracker, 15),
            (FeedKind::Osv, 1),
            (FeedKind::Kev, 1404),
            (FeedKind::Epss, 1)
        ]
    );
    let kev_info = stored.iter().find(|i| i.kind == FeedKind::Kev).unwrap();
    assert_eq!(kev_info.data_date.as_deref(), Some("2025-08-25T17:04:19.9796Z"));
    let loaded = store.load().unwrap();
    assert_eq!(loaded.database.counts(), (0, 16, 1404, 1));
    assert_eq!(
        loaded.feeds.iter().map(|f| f.kind).collect::<Vec<_>>(),
        [FeedKind::Tracker, FeedKind::Osv, FeedKind::Kev, FeedKind::Epss]
    );
    assert!(
        !dir.path()
            .join("cache/vuln")
            .read_dir()
            .unwrap()
            .any(|e| { e.unwrap().file_name().to_string_lossy().starts_with(".tmp") }),
        "no temporary files are left behind"
    );
}

#[test]
fn a_file_of_no_known_kind_is_named_with_a_hint_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(dir.path(), "notes.txt", b"hello");
    let store = Store::new(dir.path());
    let err = import(&store, std::slice::from_ref(&bad), 1).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("`{}` is not a feed buckle knows", bad.display())
    );
    assert!(err.hint().unwrap().contains("KEV"));
    assert!(store.infos().unwrap().is_empty());
    let broken = write(dir.path(), "kev.json", br#"{"catalogVersion": "1", "vulnerabilities": [{"cveID": "nope", "dateAdded": "x", "dueDate": "y"}]}"#);
    let err = import(&store, &[broken], 1).unwrap_err();
    let Error::Import { source, .. } = &err else {
        panic!("{err}")
    };
    assert!(source.to_string().contains("`nope` is not a CVE id"), "{source}");
}

#[test]
fn a_damaged_store_file_is_an_error_that_says_how_to_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path());
    let kev = write(
        dir.path(),
        "kev.json",
        &vulndata::read("kev/known_exploited_vulnerabilities.json"),
    );
    import(&store, &[kev], 1).unwrap();
    std::fs::write(dir.path().join("vuln/kev.json"), b"{truncated").unwrap();
    let err = store.load().unwrap_err();
    assert!(matches!(err, Error::Stored { .. }), "{err}");
    assert!(err.hint().unwrap().contains("buckle feeds update"));
}

/// OSV's PyPI and npm zips hold records like these (written for the tests from the
/// advisories' facts, in OSV's schema).
fn osv_packages_zip() -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    for id in [
        "GHSA-cpwx-vrp4-4pq7",
        "GHSA-pxg6-pf52-xh8x",
        "GHSA-qwcr-r2fm-qrc7",
    ] {
        zip.start_file(format!("{id}.json"), options).unwrap();
        let record = std::fs::read(format!(
            "{}/../vuln/testdata/osv/{id}.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        zip.write_all(&record).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

#[test]
fn pypi_and_npm_osv_zips_are_stored_as_package_advisories_beside_the_debian_ones() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(&dir.path().join("cache"));
    let debian = write(dir.path(), "osv-debian.zip", &osv_zip());
    import(&store, &[debian], 1_790_000_000).unwrap();
    let packages = write(dir.path(), "osv-pypi-npm.zip", &osv_packages_zip());
    let stored = import(&store, &[packages], 1_790_000_100).unwrap();
    let kinds: Vec<(FeedKind, usize)> = stored.iter().map(|i| (i.kind, i.records)).collect();
    assert_eq!(
        kinds,
        [(FeedKind::OsvPackages, 3)],
        "a zip without Debian records keeps the Debian feed"
    );
    let loaded = store.load().unwrap();
    assert_eq!(
        loaded.feeds.iter().map(|f| f.kind).collect::<Vec<_>>(),
        [FeedKind::Osv, FeedKind::OsvPackages]
    );
    let ids: Vec<&str> = loaded
        .database
        .package_advisories()
        .iter()
        .map(|a| a.id.as_str())
        .collect();
    assert_eq!(ids, ["CVE-2025-27516", "CVE-2024-47764", "CVE-2024-45590"]);
}
