//! Bundles of a signed test repository: written, read, verified, tampered with, made
//! as deltas and served.

#![allow(clippy::unwrap_used)]

use buckle_archive::{Keyring, ReleaseDate};
use buckle_bundle::manifest::Manifest;
use buckle_bundle::read::{read_head, unpack, Unpacked};
use buckle_bundle::write::{BundleBuilder, Written};
use buckle_bundle::{debian, serve::Repository, Error, Member};
use buckle_sign::key::PrivateKey;
use buckle_testkit::keys::TestKey;
use buckle_testkit::repo::{Repo, RepoBuilder, SuiteBuilder, TestPackage};
use std::path::{Path, PathBuf};

const MADE: &str = "Sun, 22 Nov 2026 06:00:00 UTC";

fn date(text: &str) -> ReleaseDate {
    text.parse().unwrap()
}

fn repo(key: &TestKey, packages: &[(&str, &str)]) -> Repo {
    let mut suite = SuiteBuilder::new("trixie")
        .date("Sun, 22 Nov 2026 00:00:00 UTC")
        .valid_until("Sun, 29 Nov 2026 00:00:00 UTC");
    for (name, version) in packages {
        suite = suite.package(TestPackage::new(name, version, "amd64"));
    }
    RepoBuilder::new(key).suite(suite).build()
}

/// The bundle members of a repository: InRelease, Packages indexes and .debs, with
/// `alter` applied to each member's bytes.
fn builder(repo: &Repo, alter: impl Fn(&str, Vec<u8>) -> Vec<u8>) -> BundleBuilder {
    let mut bundle = BundleBuilder::new(date(MADE));
    bundle.mirror("debian", "http://127.0.0.1:9/debian");
    for (path, bytes) in repo.files() {
        let wanted = path.ends_with("/InRelease")
            || (path.contains("/binary-") && !path.contains("by-hash") && path.contains("/Packages"))
            || path.ends_with(".deb");
        if wanted {
            let member = format!("mirrors/debian{path}");
            bundle.add_bytes(&member, alter(&member, bytes.clone())).unwrap();
        }
    }
    bundle
}

fn keyring(key: &TestKey) -> Keyring {
    Keyring::from_bytes("test archive key", key.armored_public().as_bytes()).unwrap()
}

fn write(bundle: BundleBuilder, dir: &Path, name: &str, key: Option<&PrivateKey>) -> (PathBuf, Written) {
    let path = dir.join(name);
    let written = bundle.write(&path, key).unwrap();
    (path, written)
}

fn unpacked(bundle: &Path, dir: &Path) -> Result<Unpacked, Error> {
    let into = dir.join(format!(
        "unpacked-{}",
        bundle.file_name().unwrap().to_string_lossy()
    ));
    unpack(bundle, &into)
}

fn verify(unpacked: &Unpacked, key: &TestKey) -> Result<debian::DebianContents, Error> {
    let content = |m: &Member| unpacked.path(m);
    debian::verify(
        &unpacked.head.manifest,
        &content,
        &keyring(key),
        unpacked.head.manifest.created,
    )
}

#[test]
fn a_bundle_reads_back_verified_and_knows_when_its_releases_expire() {
    let key = TestKey::generate("archive");
    let dir = tempfile::tempdir().unwrap();
    let repo = repo(&key, &[("hello", "2.10-3"), ("libc6", "2.41-1")]);
    let (path, written) = write(builder(&repo, |_, b| b), dir.path(), "a.bundle", None);
    assert!(!dir.path().join("a.bundle.partial").exists());
    let head = read_head(&path).unwrap();
    assert_eq!(head.digest, written.digest);
    let unpacked = unpacked(&path, dir.path()).unwrap();
    let contents = verify(&unpacked, &key).unwrap();
    assert_eq!((contents.suites.len(), contents.debs), (1, 2));
    assert!(!contents.indexes.is_empty());
    assert!(contents
        .expired_at(date("Tue, 24 Nov 2026 00:00:00 UTC"))
        .is_empty());
    assert_eq!(
        contents.expired_at(date("Sun, 06 Dec 2026 00:00:00 UTC")).len(),
        1
    );
}

#[test]
fn an_altered_deb_or_index_is_caught_even_when_the_manifest_agrees() {
    let key = TestKey::generate("archive");
    let dir = tempfile::tempdir().unwrap();
    let repo = repo(&key, &[("hello", "2.10-3")]);
    let flip = |bytes: Vec<u8>| {
        let mut bytes = bytes;
        match bytes.last_mut() {
            Some(last) => *last ^= 1,
            None => bytes.push(b'\n'),
        }
        bytes
    };
    let (deb, _) = write(
        builder(&repo, |p, b| if p.ends_with(".deb") { flip(b) } else { b }),
        dir.path(),
        "deb.bundle",
        None,
    );
    let err = verify(&unpacked(&deb, dir.path()).unwrap(), &key).unwrap_err();
    assert!(matches!(err, Error::DebMismatch { .. }), "{err}");
    let (index, _) = write(
        builder(&repo, |p, b| {
            if p.ends_with("/Packages.xz") || p.ends_with("/Packages.gz") || p.ends_with("/Packages") {
                flip(b)
            } else {
                b
            }
        }),
        dir.path(),
        "index.bundle",
        None,
    );
    let err = verify(&unpacked(&index, dir.path()).unwrap(), &key).unwrap_err();
    assert!(matches!(err, Error::IndexMismatch { .. }), "{err}");
}

#[test]
fn an_inrelease_signed_by_another_key_is_refused() {
    let archive = TestKey::generate("archive");
    let intruder = TestKey::generate("intruder");
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = write(
        builder(&repo(&intruder, &[("hello", "1")]), |_, b| b),
        dir.path(),
        "b",
        None,
    );
    let err = verify(&unpacked(&path, dir.path()).unwrap(), &archive).unwrap_err();
    assert!(matches!(err, Error::Archive(_)), "{err}");
    assert!(err.to_string().to_lowercase().contains("sign"), "{err}");
}

#[test]
fn a_member_changed_after_the_manifest_or_a_truncated_file_is_refused() {
    let key = TestKey::generate("archive");
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = write(
        builder(&repo(&key, &[("hello", "1")]), |_, b| b),
        dir.path(),
        "c",
        None,
    );
    let whole = std::fs::read(&path).unwrap();
    let truncated = dir.path().join("truncated");
    std::fs::write(&truncated, &whole[..whole.len() * 2 / 3]).unwrap();
    let err = unpacked(&truncated, dir.path()).unwrap_err();
    assert!(
        matches!(err, Error::Damaged { .. } | Error::Incomplete { .. }),
        "{err}"
    );
    assert!(err.hint().is_some());

    // Re-pack the same tar with one member's bytes changed and the manifest kept.
    let mut tar = tar::Archive::new(zstd::Decoder::new(whole.as_slice()).unwrap());
    let mut out = tar::Builder::new(Vec::new());
    for entry in tar.entries().unwrap() {
        let mut entry = entry.unwrap();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut bytes).unwrap();
        if entry.path().unwrap().to_string_lossy().ends_with(".deb") {
            bytes[0] ^= 0xff;
        }
        let mut header = entry.header().clone();
        out.append_data(&mut header, entry.path().unwrap(), bytes.as_slice())
            .unwrap();
    }
    let altered = dir.path().join("altered");
    std::fs::write(
        &altered,
        zstd::encode_all(out.into_inner().unwrap().as_slice(), 3).unwrap(),
    )
    .unwrap();
    let err = unpacked(&altered, dir.path()).unwrap_err();
    assert!(matches!(err, Error::MemberMismatch { .. }), "{err}");
}

#[test]
fn the_manifest_signature_must_verify_with_the_key_given() {
    let key = TestKey::generate("archive");
    let dir = tempfile::tempdir().unwrap();
    let signer = PrivateKey::generate(&mut rand::rngs::OsRng);
    let other = PrivateKey::generate(&mut rand::rngs::OsRng);
    let repo = repo(&key, &[("hello", "1")]);
    let (signed, _) = write(builder(&repo, |_, b| b), dir.path(), "signed", Some(&signer));
    let head = read_head(&signed).unwrap();
    head.verify_signature(&signer.public_key()).unwrap();
    let err = head.verify_signature(&other.public_key()).unwrap_err();
    assert!(err.to_string().contains("does not verify"), "{err}");
    let (unsigned, _) = write(builder(&repo, |_, b| b), dir.path(), "unsigned", None);
    let err = read_head(&unsigned)
        .unwrap()
        .verify_signature(&signer.public_key())
        .unwrap_err();
    assert!(err.to_string().contains("missing"), "{err}");
}

#[test]
fn a_delta_carries_only_what_is_new_and_verifies_with_its_base() {
    let key = TestKey::generate("archive");
    let dir = tempfile::tempdir().unwrap();
    let day_one = repo(&key, &[("hello", "1"), ("libc6", "2.41-1")]);
    let (base_path, base) = write(builder(&day_one, |_, b| b), dir.path(), "base", None);
    let day_two = repo(&key, &[("hello", "2"), ("libc6", "2.41-1")]);
    let mut delta = builder(&day_two, |_, b| b);
    delta.since(&base.manifest, base.digest);
    let (delta_path, written) = write(delta, dir.path(), "delta", None);
    let manifest: &Manifest = &written.manifest;
    assert_eq!(manifest.base.as_ref().map(|b| b.manifest), Some(base.digest));
    let carried: Vec<&str> = manifest.carried().map(|m| m.path.as_str()).collect();
    assert!(
        carried.iter().any(|p| p.ends_with("hello_2_amd64.deb")),
        "{carried:?}"
    );
    assert!(
        !carried.iter().any(|p| p.ends_with(".deb") && p.contains("libc6")),
        "{carried:?}"
    );
    assert!(std::fs::metadata(&delta_path).unwrap().len() < std::fs::metadata(&base_path).unwrap().len());

    let base_unpacked = unpacked(&base_path, dir.path()).unwrap();
    let delta_unpacked = unpacked(&delta_path, dir.path()).unwrap();
    let content = |m: &Member| {
        if m.in_base {
            base_unpacked.path(m)
        } else {
            delta_unpacked.path(m)
        }
    };
    let contents = debian::verify(manifest, &content, &keyring(&key), manifest.created).unwrap();
    assert_eq!(contents.debs, 2);
    let without_base = |m: &Member| delta_unpacked.path(m);
    assert!(debian::verify(manifest, &without_base, &keyring(&key), manifest.created).is_err());
}

#[test]
fn the_served_repository_answers_as_the_archive_does_by_name_and_by_hash() {
    let key = TestKey::generate("archive");
    let dir = tempfile::tempdir().unwrap();
    let repo = repo(&key, &[("hello", "1")]);
    let (path, written) = write(builder(&repo, |_, b| b), dir.path(), "s", None);
    let unpacked = unpacked(&path, dir.path()).unwrap();
    let content = |m: &Member| unpacked.path(m);
    let repository = Repository::new(&written.manifest, &content).unwrap();
    assert_eq!(repository.mirrors(), vec!["debian"]);
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let port = server.server_addr().to_ip().unwrap().port();
    std::thread::spawn(move || repository.serve(server, 2));
    let http = buckle_http::Client::new();
    let base = format!("http://127.0.0.1:{port}/debian");
    let inrelease = http
        .get_bytes(&format!("{base}/dists/trixie/InRelease"), 1 << 20)
        .unwrap();
    assert_eq!(inrelease, repo.files()["/dists/trixie/InRelease"]);
    let index = written
        .manifest
        .members
        .iter()
        .find(|m| m.path.contains("/binary-amd64/Packages"))
        .unwrap();
    let by_hash = format!(
        "{base}/dists/trixie/main/binary-amd64/by-hash/SHA256/{}",
        index.sha256.hex()
    );
    let bytes = http.get_bytes(&by_hash, 1 << 20).unwrap();
    assert_eq!(buckle_digest::Sha256::of(&bytes), index.sha256);
    let missing = http
        .get_bytes(&format!("{base}/dists/trixie/Release.gpg"), 1 << 20)
        .unwrap_err();
    assert!(missing.is_not_found(), "{missing}");
}
