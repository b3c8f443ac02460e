//! `[[upstream]]` artifacts against a registry and a release server the test runs on
//! loopback: an npm-style packument and tarball, and a URL artifact whose SHA-256 comes
//! from a SHASUMS256.txt clearsigned by a key the test generates.

use crate::cli::Run;
use crate::fixture::{Fixture, SPEC};
use buckle_oci::tar::{Compression, Entry, LayerWriter};
use buckle_testkit::keys::{clearsign_with, TestKey};
use buckle_testkit::server::Server;
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;

fn tarball(top: &str, binary: &[u8]) -> Vec<u8> {
    let p = |s: &str| s.parse().unwrap();
    let mut writer = LayerWriter::new(Vec::new(), Compression::Gzip, 0).unwrap();
    writer.append(&Entry::directory(p(top), 0o777), &b""[..]).unwrap();
    writer
        .append(
            &Entry::file(p(&format!("{top}/bin/tool")), 0o4777, binary.len() as u64),
            binary,
        )
        .unwrap();
    writer
        .append(&Entry::file(p(&format!("{top}/LICENSE")), 0o600, 3), &b"MIT"[..])
        .unwrap();
    writer
        .append(&Entry::file(p(&format!("{top}/README.md")), 0o644, 2), &b"hi"[..])
        .unwrap();
    writer.finish().unwrap().1
}

fn integrity(bytes: &[u8]) -> String {
    buckle_archive::upstream::sha512_integrity(bytes)
}

/// The loopback registry and release server, the signing key, and the fixture.
struct Upstream {
    f: Fixture,
    server: Server,
    key: TestKey,
    npm_tgz: Vec<u8>,
    url_tgz: Vec<u8>,
}

const NPM_TGZ: &str = "/tool-linux-x64/-/tool-linux-x64-1.3.0.tgz";
const URL_TGZ: &str = "/dist/v2.0.0/other-2.0.0-linux-x64.tar.gz";
const SHASUMS: &str = "/dist/v2.0.0/SHASUMS256.txt.asc";

impl Upstream {
    fn new() -> Upstream {
        let f = Fixture::new();
        let key = TestKey::generate("release signer");
        std::fs::write(f.path("release.asc"), key.armored_public()).unwrap();
        let npm_tgz = tarball("package", crate::fixture::static_hello());
        let url_tgz = tarball("other-2.0.0", b"#!other\n");
        let old = tarball("package", b"old");
        let packument = serde_json::json!({
            "name": "tool-linux-x64",
            "versions": {
                "1.2.9": {"dist": {"integrity": integrity(&old)}},
                "1.3.0": {"dist": {"integrity": integrity(&npm_tgz)}},
                "1.4.0-rc.1": {"dist": {"integrity": integrity(&old)}},
                "2.0.0": {"dist": {"integrity": integrity(&old)}},
            }
        });
        let sums = format!(
            "{}  other-2.0.0-linux-arm64.tar.gz\n{}  other-2.0.0-linux-x64.tar.gz\n",
            buckle_digest::Sha256::of(b"arm").hex(),
            buckle_digest::Sha256::of(&url_tgz).hex()
        );
        let server = Server::start(BTreeMap::from([
            ("/tool-linux-x64".to_owned(), packument.to_string().into_bytes()),
            (NPM_TGZ.to_owned(), npm_tgz.clone()),
            (URL_TGZ.to_owned(), url_tgz.clone()),
            (SHASUMS.to_owned(), key.clearsign(&sums).into_bytes()),
        ]));
        let spec = format!(
            "{SPEC}\n[[upstream]]\nname = \"tool\"\nversion = \"1\"\nnpm = {{ amd64 = \"tool-linux-x64\" }}\nprefix = \"/opt/tool\"\npaths = [\"bin/tool\", \"LICENSE\"]\nlinks = {{ \"/usr/bin/tool\" = \"/opt/tool/bin/tool\" }}\n\n[[upstream]]\nname = \"other\"\nversion = \"2.0.0\"\nurl = {{ amd64 = \"{0}{URL_TGZ}\" }}\nchecksums = {{ url = \"{0}{SHASUMS}\", keys = [\"release.asc\"] }}\nprefix = \"/opt/other\"\n",
            server.url()
        );
        // SPEC ends with `[test]`: put `eol` at the top, before any table.
        f.write_spec("tool.toml", &format!("eol = \"2027-04-30\"\n{spec}"));
        Upstream {
            f,
            server,
            key,
            npm_tgz,
            url_tgz,
        }
    }

    fn run(&self, args: &[&str]) -> Run {
        let output = self
            .f
            .buckle
            .command()
            .env("npm_config_registry", self.server.url())
            .args(args)
            .output()
            .unwrap();
        Run::from(output)
    }

    fn fails(&self, args: &[&str]) -> String {
        let run = self.run(args);
        assert_ne!(run.code, 0, "expected a failure:\n{}", run.stderr);
        run.stderr
    }
}

#[test]
fn lock_pins_the_npm_version_by_integrity_and_the_url_artifact_by_signed_checksums() {
    let u = Upstream::new();
    u.run(&["lock", "tool.toml"]).ok();
    let lock = u.f.read("tool.lock");
    let expected_npm = format!(
        "{{ name = \"tool\", architecture = \"amd64\", version = \"1.3.0\", npm = \"tool-linux-x64\", size = {}, sha256 = \"{}\", integrity = \"{}\" }}",
        u.npm_tgz.len(),
        buckle_digest::Sha256::of(&u.npm_tgz).hex(),
        integrity(&u.npm_tgz)
    );
    assert!(lock.contains(&expected_npm), "{lock}");
    assert!(
        !lock.contains("127.0.0.1:") || lock.contains(URL_TGZ),
        "only the spec's URL names a host:\n{lock}"
    );
    assert!(
        lock.contains(&format!(
            "sha256 = \"{}\"",
            buckle_digest::Sha256::of(&u.url_tgz).hex()
        )),
        "{lock}"
    );

    // The registry still names 1.3.0 by the same integrity: `--update` keeps the pin
    // without downloading the tarball again.
    let downloads = u.server.count(NPM_TGZ);
    u.run(&["lock", "tool.toml", "--update"]).ok();
    assert_eq!(u.server.count(NPM_TGZ), downloads);
    assert!(u.f.read("tool.lock").contains(&expected_npm));
}

#[test]
fn build_puts_each_artifact_in_its_own_layer_root_owned_without_setuid_and_labels_its_origin() {
    let u = Upstream::new();
    u.run(&["build", "-q", "tool.toml"]).ok();
    let image = buckle_oci::open_image(&u.f.path("out/hello"), &Default::default()).unwrap();
    let config = image.config();
    let history: Vec<String> = config
        .history
        .iter()
        .filter_map(|h| h.created_by.clone())
        .collect();
    let n = history.len();
    assert_eq!(
        history[n - 2..],
        ["buckle: upstream-tool layer", "buckle: upstream-other layer"],
        "{history:?}"
    );
    let labels = &config.config.as_ref().unwrap().labels;
    let origin = &labels["dev.buckle.upstream.tool"];
    let (head, sha512) = origin.split_once(" sha512:").unwrap();
    assert_eq!(
        head,
        format!(
            "pkg:npm/tool-linux-x64@1.3.0 sha256:{}",
            buckle_digest::Sha256::of(&u.npm_tgz).hex()
        )
    );
    assert_eq!(sha512.len(), 128, "{origin}");
    assert_eq!(labels["dev.buckle.eol"], "2027-04-30");
    let rootfs = u.f.path("rootfs");
    buckle_oci::unpack(&image, &rootfs).unwrap();
    let mode = |p: &str| {
        std::fs::symlink_metadata(rootfs.join(p))
            .unwrap()
            .permissions()
            .mode()
            & 0o7777
    };
    assert_eq!(
        mode("opt/tool/bin/tool"),
        0o755,
        "setuid and world-write are dropped"
    );
    assert_eq!(mode("opt/tool/LICENSE"), 0o644);
    assert!(
        !rootfs.join("opt/tool/README.md").exists(),
        "`paths` keeps only what it lists"
    );
    assert_eq!(
        std::fs::read_link(rootfs.join("usr/bin/tool")).unwrap().to_str(),
        Some("/opt/tool/bin/tool")
    );
    assert_eq!(
        std::fs::read(rootfs.join("opt/other/bin/tool")).unwrap(),
        b"#!other\n"
    );
    let spdx = u.run(&["sbom", "out/hello"]).ok().json();
    let tool = spdx["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["SPDXID"] == "SPDXRef-Package-upstream-tool")
        .unwrap_or_else(|| panic!("{spdx:#}"));
    assert_eq!(tool["versionInfo"], "1.3.0");
    assert_eq!(
        tool["externalRefs"][0]["referenceLocator"],
        "pkg:npm/tool-linux-x64@1.3.0"
    );
    let sums: Vec<&str> = tool["checksums"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["algorithm"].as_str().unwrap())
        .collect();
    assert_eq!(sums, ["SHA256", "SHA512"]);
    let cdx = u.run(&["sbom", "out/hello", "-f", "cyclonedx-json"]).ok().json();
    let other = cdx["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "other")
        .unwrap_or_else(|| panic!("{cdx:#}"));
    assert!(
        other["purl"]
            .as_str()
            .unwrap()
            .starts_with("pkg:generic/other@2.0.0?download_url=http"),
        "{other:#}"
    );
    let inspect = u.run(&["inspect", "out/hello", "--json"]).ok().json();
    assert_eq!(inspect["eol"]["date"], "2027-04-30");
    assert_eq!(inspect["upstream"][1]["name"], "tool");
}

#[test]
fn a_tampered_npm_tarball_fails_the_build_naming_the_integrity_and_writes_nothing() {
    let u = Upstream::new();
    u.run(&["lock", "tool.toml"]).ok();
    let mut evil = u.npm_tgz.clone();
    let last = evil.len() - 1;
    evil[last] ^= 1;
    u.server.insert(NPM_TGZ, evil);
    std::fs::remove_dir_all(u.f.path("cache")).unwrap();
    let stderr = u.fails(&["build", "-q", "tool.toml"]);
    assert!(
        stderr.contains(&format!(
            "does not match its pinned sha512 integrity: expected {}",
            integrity(&u.npm_tgz)
        )),
        "{stderr}"
    );
    assert!(!u.f.path("out/hello").exists());
    let cached: Vec<_> = std::fs::read_dir(u.f.path("cache/blobs/sha256"))
        .unwrap()
        .collect();
    assert!(
        !u.f.path(&format!(
            "cache/blobs/sha256/{}",
            buckle_digest::Sha256::of(&u.npm_tgz).hex()
        ))
        .exists(),
        "{cached:?}"
    );
}

#[test]
fn a_url_artifact_that_does_not_match_the_signed_checksum_is_refused() {
    let u = Upstream::new();
    u.server.insert(URL_TGZ, tarball("other-2.0.0", b"#!evil\n"));
    let stderr = u.fails(&["lock", "tool.toml"]);
    assert!(
        stderr.contains(&format!(
            "does not match its pinned sha256: expected {}",
            buckle_digest::Sha256::of(&u.url_tgz).hex()
        )),
        "{stderr}"
    );
    assert!(!u.f.path("tool.lock").exists());
}

#[test]
fn checksums_with_a_bad_signature_or_signed_by_an_unpinned_key_are_refused() {
    let u = Upstream::new();
    let sums = format!(
        "{}  other-2.0.0-linux-x64.tar.gz\n",
        buckle_digest::Sha256::of(&u.url_tgz).hex()
    );
    u.server
        .insert(SHASUMS, clearsign_with(&sums, &[], &[&u.key]).into_bytes());
    let stderr = u.fails(&["lock", "tool.toml"]);
    assert!(stderr.contains("bad OpenPGP signature on"), "{stderr}");
    let stranger = TestKey::generate("someone else");
    u.server.insert(SHASUMS, stranger.clearsign(&sums).into_bytes());
    let stderr = u.fails(&["lock", "tool.toml"]);
    assert!(stderr.contains("is signed only by unknown keys"), "{stderr}");
    assert!(!u.f.path("tool.lock").exists());
}

#[test]
fn an_npm_version_the_registry_lacks_names_the_newest_it_has() {
    let u = Upstream::new();
    let spec =
        u.f.read("tool.toml")
            .replace("version = \"1\"\nnpm", "version = \"3\"\nnpm");
    std::fs::write(u.f.path("tool.toml"), spec).unwrap();
    let stderr = u.fails(&["lock", "tool.toml"]);
    assert!(
        stderr.contains(
            "npm package `tool-linux-x64` has no version matching `3` (newest: 2.0.0, 1.4.0-rc.1, 1.3.0)"
        ),
        "{stderr}"
    );
}
