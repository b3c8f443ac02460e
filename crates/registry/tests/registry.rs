//! Against the reference registry (`docker-registry`, the Debian package) started on
//! loopback by each test: plain HTTP, htpasswd basic auth over TLS with a CA the test
//! makes, and docker token authentication with a token server the test runs. Needs `docker-registry` and `skopeo` on PATH (feature `registry`).
#![cfg(feature = "registry")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use buckle_digest::Sha256;
use buckle_oci::layout::{Layout, LayoutWriter};
use buckle_oci::tar::{Compression, Entry};
use buckle_oci::{annotation, media_type, Descriptor, ImageIndex, ImageManifest, Platform};
use buckle_registry::{
    cosign_tag, pull, pull_cached, push, BlobOutcome, CredentialStore, Credentials, Error, NoReporter,
    Options, PullOptions, PushOptions, Reference, Registry, Reporter,
};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const USER: &str = "builder";
const PASSWORD: &str = "correct horse battery staple";

/// A `docker-registry` process on a loopback port, with its storage in a temp dir.
struct TestRegistry {
    dir: tempfile::TempDir,
    port: u16,
    tls: bool,
    child: Mutex<Option<Child>>,
    /// The token server of a registry with token authentication.
    token_server: Option<TokenServer>,
}

impl TestRegistry {
    fn plain() -> TestRegistry {
        TestRegistry::start_new(false)
    }

    /// TLS with a certificate from a CA the test makes, and htpasswd basic auth.
    fn tls_basic() -> TestRegistry {
        TestRegistry::start_new(true)
    }

    /// Plain HTTP with docker token authentication: the registry sends clients to a
    /// token server (run by the test) that grants what the test user asks for.
    fn with_token_server() -> TestRegistry {
        let token_server = TokenServer::start();
        let mut registry = TestRegistry::configured(false, |dir| {
            std::fs::write(dir.join("token-cert.pem"), &token_server.certificate_pem).unwrap();
            format!(
                "auth:\n  token:\n    realm: {realm}\n    service: {TOKEN_SERVICE}\n    \
                 issuer: {TOKEN_ISSUER}\n    rootcertbundle: {d}/token-cert.pem\n",
                realm = token_server.realm(),
                d = dir.display()
            )
        });
        registry.token_server = Some(token_server);
        registry
    }

    fn start_new(tls: bool) -> TestRegistry {
        TestRegistry::configured(tls, |_| String::new())
    }

    /// A registry whose config ends with what `extra` writes (given the registry's directory).
    fn configured(tls: bool, extra: impl FnOnce(&Path) -> String) -> TestRegistry {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut config = format!(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n\
             storage:\n  filesystem:\n    rootdirectory: {storage}\n  delete:\n    enabled: true\n\
             http:\n  addr: 127.0.0.1:{port}\n  secret: buckle-test-secret-kept-across-restarts\n",
            storage = dir.path().join("storage").display()
        );
        if tls {
            let (ca, cert, key) = certificates();
            std::fs::write(dir.path().join("ca.pem"), ca).unwrap();
            std::fs::write(dir.path().join("cert.pem"), cert).unwrap();
            std::fs::write(dir.path().join("key.pem"), key).unwrap();
            let hash = bcrypt::hash(PASSWORD, 5).unwrap();
            std::fs::write(dir.path().join("htpasswd"), format!("{USER}:{hash}\n")).unwrap();
            config.push_str(&format!(
                "  tls:\n    certificate: {d}/cert.pem\n    key: {d}/key.pem\n\
                 auth:\n  htpasswd:\n    realm: buckle-test\n    path: {d}/htpasswd\n",
                d = dir.path().display()
            ));
        }
        config.push_str(&extra(dir.path()));
        std::fs::write(dir.path().join("config.yml"), config).unwrap();
        let registry = TestRegistry {
            dir,
            port,
            tls,
            child: Mutex::new(None),
            token_server: None,
        };
        registry.start();
        registry
    }

    fn start(&self) {
        let log = std::fs::File::create(self.dir.path().join("registry.log")).unwrap();
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(self.dir.path().join("config.yml"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("docker-registry must be installed (scripts/test installs it)");
        *self.child.lock().unwrap() = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "docker-registry did not start: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn stop(&self) {
        if let Some(mut child) = self.child.lock().unwrap().take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn reference(&self, repository_and_tag: &str) -> Reference {
        format!("{}/{repository_and_tag}", self.host()).parse().unwrap()
    }

    fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    fn options(&self) -> Options {
        if self.tls {
            Options {
                ca_file: Some(self.ca_file()),
                credentials: CredentialStore::anonymous()
                    .with_credentials(Credentials::password(USER, PASSWORD, "the test")),
                ..quick()
            }
        } else {
            Options {
                insecure: true,
                ..quick()
            }
        }
    }

    fn connect(&self) -> Registry {
        Registry::connect(&self.host(), &self.options()).unwrap()
    }

    fn storage(&self) -> PathBuf {
        self.dir.path().join("storage/docker/registry/v2")
    }
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        self.stop();
    }
}

const TOKEN_SERVICE: &str = "buckle-test-registry";
const TOKEN_ISSUER: &str = "buckle-test-token-issuer";

/// A docker token server on loopback: `GET /token?service=…&scope=…` with the test
/// user's Basic credentials gets a JWT (ES256, its certificate in the `x5c` header)
/// granting the scopes asked for; anonymous requests get pull only; a wrong password
/// gets 401. Each request's query is recorded.
struct TokenServer {
    port: u16,
    certificate_pem: String,
    requests: std::sync::Arc<Mutex<Vec<String>>>,
}

impl TokenServer {
    fn start() -> TokenServer {
        use rcgen::{CertificateParams, DnType, KeyPair};
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "buckle test token signer");
        let certificate = params.self_signed(&key).unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = std::sync::Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        let der = certificate.der().to_vec();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                answer_token_request(stream, &key, &der, &seen);
            }
        });
        TokenServer {
            port,
            certificate_pem: certificate.pem(),
            requests,
        }
    }

    fn realm(&self) -> String {
        format!("http://127.0.0.1:{}/token", self.port)
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

fn answer_token_request(
    stream: TcpStream,
    key: &rcgen::KeyPair,
    certificate_der: &[u8],
    seen: &Mutex<Vec<String>>,
) {
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    use base64::Engine as _;
    use std::io::{BufRead, BufReader};
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    reader.read_line(&mut request_line).unwrap();
    let mut authorization = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("authorization") {
                authorization = Some(value.trim().to_owned());
            }
        }
    }
    let target = request_line.split_whitespace().nth(1).unwrap_or_default();
    let query = target.split_once('?').map_or("", |(_, q)| q).to_owned();
    seen.lock().unwrap().push(query.clone());
    let user = match authorization.as_deref().and_then(|a| a.strip_prefix("Basic ")) {
        None => None,
        Some(encoded) if STANDARD.decode(encoded).ok() == Some(format!("{USER}:{PASSWORD}").into_bytes()) => {
            Some(USER)
        }
        Some(_) => {
            let body = r#"{"details":"wrong user name or password"}"#;
            return respond(stream, "401 Unauthorized", body);
        }
    };
    let decode = |v: &str| {
        v.replace("%3A", ":")
            .replace("%3a", ":")
            .replace("%2F", "/")
            .replace("%2f", "/")
            .replace("%2C", ",")
            .replace("%2c", ",")
    };
    let access: Vec<serde_json::Value> = query
        .split('&')
        .filter_map(|pair| pair.strip_prefix("scope="))
        .map(decode)
        .filter_map(|scope| {
            let mut parts = scope.splitn(3, ':');
            let (kind, name, actions) = (parts.next()?, parts.next()?, parts.next()?);
            let actions: Vec<&str> = actions
                .split(',')
                .filter(|a| user.is_some() || *a == "pull")
                .collect();
            Some(serde_json::json!({"type": kind, "name": name, "actions": actions}))
        })
        .collect();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let header = serde_json::json!({"typ": "JWT", "alg": "ES256", "x5c": [STANDARD.encode(certificate_der)]});
    let claims = serde_json::json!({
        "iss": TOKEN_ISSUER, "sub": user.unwrap_or(""), "aud": TOKEN_SERVICE,
        "exp": now + 300, "nbf": now - 10, "iat": now, "jti": format!("{now}-{}", access.len()),
        "access": access,
    });
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let der = rcgen::SigningKey::sign(key, signing_input.as_bytes()).unwrap();
    let token = format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(der_to_jws(&der)));
    let body = serde_json::json!({"token": token, "expires_in": 300}).to_string();
    respond(stream, "200 OK", &body);
}

/// Writes a JSON answer and closes the connection.
fn respond(mut stream: TcpStream, status: &str, body: &str) {
    use std::io::Write;
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

/// An ECDSA signature in DER (`SEQUENCE { INTEGER r, INTEGER s }`) as JWS wants it:
/// r and s as 32 big-endian bytes each.
fn der_to_jws(der: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    let mut at = 2; // SEQUENCE tag and (short) length
    for _ in 0..2 {
        assert_eq!(der[at], 0x02, "an INTEGER");
        let len = der[at + 1] as usize;
        let value = &der[at + 2..at + 2 + len];
        let value = &value[value.len().saturating_sub(32)..];
        out.extend(std::iter::repeat_n(0, 32 - value.len()));
        out.extend_from_slice(value);
        at += 2 + len;
    }
    out
}

/// Few retries, short waits: the tests break things on purpose.
fn quick() -> Options {
    Options {
        attempts: 2,
        ..Options::default()
    }
}

/// A CA certificate, and a certificate for 127.0.0.1 it signed, with its key.
fn certificates() -> (String, String, String) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, SanType};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, "buckle test CA");
    let ca_pem = ca.self_signed(&ca_key).unwrap().pem();
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate().unwrap();
    let mut server = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    server
        .subject_alt_names
        .push(SanType::IpAddress(std::net::IpAddr::from([127, 0, 0, 1])));
    let cert = server.signed_by(&key, &issuer).unwrap();
    (ca_pem, cert.pem(), key.serialize_pem())
}

/// Bytes that do not compress (xorshift), so sizes on the wire are what they say.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

/// An image layout with one image per architecture (an index when several), each a
/// single gzip layer of `layer_size` bytes of noise, tagged `latest`.
fn image_layout(dir: &Path, arches: &[&str], layer_size: usize, seed: u64) -> PathBuf {
    let target = dir.join(format!("layout-{seed}"));
    let writer = LayoutWriter::create(&target).unwrap();
    let mut manifests = Vec::new();
    for (i, arch) in arches.iter().enumerate() {
        let content = noise(layer_size, seed + i as u64);
        let mut layer = writer.layer_writer(Compression::Gzip, 0).unwrap();
        layer
            .append(
                &Entry::file("data".parse().unwrap(), 0o644, content.len() as u64),
                &content[..],
            )
            .unwrap();
        let (layer, digests) = writer.commit_layer(layer).unwrap();
        let config = format!(
            r#"{{"architecture":"{arch}","os":"linux","rootfs":{{"type":"layers","diff_ids":["{}"]}}}}"#,
            digests.diff_id.oci()
        );
        let config = writer
            .put_blob(media_type::OCI_CONFIG, config.as_bytes())
            .unwrap();
        let manifest = writer
            .put_manifest(&ImageManifest::new(config, vec![layer]))
            .unwrap();
        manifests.push(manifest.with_platform(Platform::linux(*arch)));
    }
    let top = match manifests.as_slice() {
        [one] => one.clone(),
        _ => writer.put_index(&ImageIndex::new(manifests)).unwrap(),
    };
    writer
        .finish(&ImageIndex::new(vec![
            top.with_annotation(annotation::REF_NAME, "latest")
        ]))
        .unwrap();
    target
}

/// The image (index.json's `latest` entry) of a layout, without its annotations.
fn root(layout: &Layout) -> Descriptor {
    let mut top = layout
        .index()
        .manifests
        .iter()
        .find(|d| d.ref_name() == Some("latest"))
        .unwrap()
        .clone();
    top.annotations.clear();
    top
}

/// Attaches an SBOM as an OCI referrer and a cosign-style `.sig` tag to the image.
fn attach(layout_path: &Path) -> (Sha256, String) {
    let mut layout = Layout::open(layout_path).unwrap();
    let subject = root(&layout);
    let sbom = layout
        .put_blob("application/spdx+json", br#"{"spdxVersion":"SPDX-2.3"}"#)
        .unwrap();
    let artifact = ImageManifest::artifact("application/spdx+json", vec![sbom], subject.clone());
    let referrer = layout.add_manifest(&artifact, &[]).unwrap();
    let signature = layout
        .put_blob(
            "application/vnd.dev.cosign.simplesigning.v1+json",
            b"{\"critical\":{}}",
        )
        .unwrap();
    let config = layout
        .put_blob(
            media_type::OCI_CONFIG,
            b"{\"architecture\":\"\",\"os\":\"\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}",
        )
        .unwrap();
    let tag = cosign_tag(&subject.digest, "sig");
    layout
        .add_manifest(
            &ImageManifest::new(config, vec![signature]),
            &[(annotation::REF_NAME, tag.as_str())],
        )
        .unwrap();
    (referrer.digest, tag)
}

/// Pushes `layout` to `target` with no options.
fn push_plain(client: &Registry, layout: &Layout, target: &Reference) -> buckle_registry::PushReport {
    push(client, layout, None, target, &PushOptions::default(), &NoReporter).unwrap()
}

/// Every blob file of a layout, by name.
fn blob_names(layout: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(layout.join("blobs/sha256"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn push_then_pull_round_trips_a_multi_arch_image_with_its_attachments() {
    let registry = TestRegistry::plain();
    let work = tempfile::tempdir().unwrap();
    let source = image_layout(work.path(), &["amd64", "arm64"], 300_000, 1);
    let (referrer, sig_tag) = attach(&source);
    let layout = Layout::open(&source).unwrap();
    let target = registry.reference("hardened/static:1.0");
    let client = registry.connect();

    let pushed = push_plain(&client, &layout, &target);
    assert_eq!(pushed.digest, root(&layout).digest.oci());
    assert_eq!(pushed.media_type, media_type::OCI_INDEX);
    // Two configs, two layers, the SBOM, the signature, the cosign config and `{}`.
    assert_eq!((pushed.blobs_uploaded, pushed.blobs_skipped), (8, 0));
    assert_eq!(pushed.referrers, [referrer.oci()]);
    assert_eq!(
        pushed.referrers_tagged, 1,
        "docker-registry 2.8 has no referrers API"
    );
    assert_eq!(pushed.cosign_tags, std::slice::from_ref(&sig_tag));
    assert!(pushed.tags_set.contains(&"1.0".to_owned()));

    let pulled_path = work.path().join("pulled");
    let pulled = pull(
        &client,
        &target,
        &pulled_path,
        PullOptions::default(),
        &NoReporter,
    )
    .unwrap();
    assert_eq!(pulled.digest, pushed.digest);
    assert_eq!(pulled.referrers, [referrer.oci()]);
    assert_eq!(pulled.referrers_source.as_deref(), Some("tagSchema"));
    assert_eq!(pulled.cosign_tags, std::slice::from_ref(&sig_tag));
    // Every blob and document came back byte for byte: the same content addresses.
    assert_eq!(blob_names(&pulled_path), blob_names(&source));
    let back = Layout::open(&pulled_path).unwrap();
    let mut platforms: Vec<String> = back
        .images()
        .unwrap()
        .iter()
        .map(|i| i.platform.to_string())
        .collect();
    platforms.sort();
    assert_eq!(platforms, ["linux/amd64", "linux/arm64"]);
    assert!(back
        .index()
        .manifests
        .iter()
        .any(|d| d.ref_name() == Some(sig_tag.as_str())));
    let listed = back
        .index()
        .manifests
        .iter()
        .find(|d| d.digest == referrer)
        .unwrap();
    assert_eq!(listed.artifact_type.as_deref(), Some("application/spdx+json"));
}

#[test]
fn the_tags_naming_an_image_leave_out_referrers_cosign_tags_and_other_images() {
    let registry = TestRegistry::plain();
    let work = tempfile::tempdir().unwrap();
    let source = image_layout(work.path(), &["amd64"], 1000, 2);
    let (_, sig_tag) = attach(&source);
    let layout = Layout::open(&source).unwrap();
    let other = image_layout(&work.path().join("other"), &["amd64"], 1000, 3);
    let client = registry.connect();
    let options = PushOptions {
        tags: vec!["latest".to_owned()],
        ..PushOptions::default()
    };
    let target = registry.reference("hardened/static:1.0");
    push(&client, &layout, None, &target, &options, &NoReporter).unwrap();
    let other_target = registry.reference("hardened/static:old");
    let other_layout = Layout::open(&other).unwrap();
    push_plain(&client, &other_layout, &other_target);

    let all = client.tags("hardened/static").unwrap();
    assert!(all.contains(&sig_tag), "{all:?}");
    let digest = root(&layout).digest;
    let mut naming = client.tags_naming("hardened/static", &digest).unwrap();
    naming.sort();
    assert_eq!(naming, ["1.0", "latest"]);
    assert_eq!(
        client
            .tags_naming("hardened/static", &root(&other_layout).digest)
            .unwrap(),
        ["old"]
    );
}

#[test]
fn pull_cached_reads_attachments_afresh_and_the_image_alone_once() {
    let registry = TestRegistry::plain();
    let work = tempfile::tempdir().unwrap();
    let source = image_layout(work.path(), &["amd64"], 1000, 4);
    let client = registry.connect();
    let target = registry.reference("hardened/static:1.0");
    let push_layout = |layout: &Path| push_plain(&client, &Layout::open(layout).unwrap(), &target);
    push_layout(&source);
    let cache = work.path().join("cache");
    let with = PullOptions { attachments: true };
    let without = PullOptions { attachments: false };
    let tags = |path: &Path| -> Vec<String> {
        Layout::open(path)
            .unwrap()
            .index()
            .manifests
            .iter()
            .filter_map(|d| d.ref_name().map(str::to_owned))
            .collect()
    };
    let first = pull_cached(&client, &target, &cache, with, &NoReporter).unwrap();
    assert!(tags(&first).is_empty());

    // A signature attached afterwards, under the same image digest.
    // The blobs come from the first pull, checked again: the layer tampered with in
    // the cache is downloaded, the config is reused.
    let (_, sig_tag) = attach(&source);
    push_layout(&source);
    let layout = Layout::open(&source).unwrap();
    let manifest = layout.read_manifest(&root(&layout)).unwrap();
    std::fs::write(
        first.join("blobs/sha256").join(manifest.layers[0].digest.hex()),
        "tampered",
    )
    .unwrap();
    let outcomes = Outcomes::default();
    let again = pull_cached(&client, &target, &cache, with, &outcomes).unwrap();
    assert_eq!(again, first);
    assert_eq!(tags(&again), [sig_tag]);
    assert_eq!(blob_names(&again), blob_names(&source));
    Layout::open(&again)
        .unwrap()
        .read_blob(&manifest.layers[0])
        .unwrap();
    let outcomes = outcomes.0.into_inner().unwrap();
    assert_eq!(outcomes[&manifest.layers[0].digest], BlobOutcome::Downloaded);
    assert_eq!(outcomes[&manifest.config.digest], BlobOutcome::Skipped);

    // The image alone is not pulled again: the cached layout is returned as it is.
    let marker = again.join("marker");
    std::fs::write(&marker, "still here").unwrap();
    let cached = pull_cached(&client, &target, &cache, without, &NoReporter).unwrap();
    assert_eq!(cached, first);
    assert!(marker.exists());
}

/// What happened to each blob of a transfer.
#[derive(Default)]
struct Outcomes(Mutex<std::collections::BTreeMap<Sha256, BlobOutcome>>);

impl Reporter for Outcomes {
    fn on_blob(&self, digest: &Sha256, _size: u64, outcome: BlobOutcome) {
        self.0.lock().unwrap().insert(*digest, outcome);
    }
}

/// The modification time of the link a tag is stored as, in the registry's storage.
fn tag_link_mtime(registry: &TestRegistry, repository: &str, tag: &str) -> std::time::SystemTime {
    let link = registry.storage().join(format!(
        "repositories/{repository}/_manifests/tags/{tag}/current/link"
    ));
    std::fs::metadata(&link).unwrap().modified().unwrap()
}

#[test]
fn pushing_an_unchanged_image_again_uploads_nothing_and_moves_no_tag() {
    let registry = TestRegistry::plain();
    let work = tempfile::tempdir().unwrap();
    let source = image_layout(work.path(), &["amd64", "arm64"], 100_000, 2);
    attach(&source);
    let layout = Layout::open(&source).unwrap();
    let target = registry.reference("hardened/static:1.0");
    let options = PushOptions {
        tags: vec!["latest".to_owned()],
        ..PushOptions::default()
    };
    let client = registry.connect();
    let first = push(&client, &layout, None, &target, &options, &NoReporter).unwrap();
    assert!(first.bytes_uploaded > 200_000, "{first:?}");
    let before = tag_link_mtime(&registry, "hardened/static", "1.0");
    std::thread::sleep(Duration::from_millis(20));

    let again = push(&client, &layout, None, &target, &options, &NoReporter).unwrap();
    assert_eq!(again.digest, first.digest);
    assert_eq!(
        (again.blobs_uploaded, again.blobs_resumed, again.bytes_uploaded),
        (0, 0, 0)
    );
    assert_eq!(again.blobs_skipped, first.blobs_uploaded);
    assert_eq!(again.manifests_pushed, 0);
    assert_eq!(
        (again.tags_set.len(), again.referrers_tagged),
        (0, 0),
        "{again:?}"
    );
    let mut unchanged = again.tags_unchanged.clone();
    unchanged.sort();
    assert_eq!(
        unchanged.len(),
        3,
        "1.0, latest and the cosign tag: {unchanged:?}"
    );
    assert_eq!(tag_link_mtime(&registry, "hardened/static", "1.0"), before);
}

#[test]
fn a_version_tag_naming_another_image_is_never_moved() {
    let registry = TestRegistry::plain();
    let work = tempfile::tempdir().unwrap();
    let client = registry.connect();
    let target = registry.reference("hardened/base");
    let immutable = PushOptions {
        immutable_tags: vec!["13.1-trixie-abc".to_owned()],
        ..PushOptions::default()
    };
    let first = Layout::open(image_layout(work.path(), &["amd64"], 1000, 3)).unwrap();
    push(&client, &first, None, &target, &immutable, &NoReporter).unwrap();
    let other = Layout::open(image_layout(work.path(), &["amd64"], 1000, 4)).unwrap();
    let err = push(&client, &other, None, &target, &immutable, &NoReporter).unwrap_err();
    assert!(matches!(err, Error::ImmutableTag { .. }), "{err:?}");
    assert!(
        err.to_string().contains("tag `13.1-trixie-abc` already names"),
        "{err}"
    );
    assert_eq!(
        client
            .manifest_head("hardened/base", "13.1-trixie-abc")
            .unwrap()
            .unwrap()
            .digest,
        Some(root(&first).digest)
    );
}

#[test]
fn skopeo_copies_a_buckle_pushed_image_and_agrees_on_its_digest() {
    let registry = TestRegistry::plain();
    let work = tempfile::tempdir().unwrap();
    let client = registry.connect();
    let single = Layout::open(image_layout(work.path(), &["amd64"], 50_000, 5)).unwrap();
    let target = registry.reference("hardened/one:1");
    push_plain(&client, &single, &target);
    let inspected = Command::new("skopeo")
        .args(["inspect", "--tls-verify=false", "--format", "{{.Digest}}"])
        .arg(format!("docker://{target}"))
        .output()
        .unwrap();
    assert!(
        inspected.status.success(),
        "{}",
        String::from_utf8_lossy(&inspected.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&inspected.stdout).trim(),
        root(&single).digest.oci()
    );

    let multi = Layout::open(image_layout(work.path(), &["amd64", "arm64"], 50_000, 6)).unwrap();
    let target = registry.reference("hardened/multi:1");
    push_plain(&client, &multi, &target);
    let copy = work.path().join("skopeo-copy");
    let copied = Command::new("skopeo")
        .args(["copy", "--all", "--preserve-digests", "--src-tls-verify=false"])
        .arg(format!("docker://{target}"))
        .arg(format!("oci:{}:copied", copy.display()))
        .output()
        .unwrap();
    assert!(
        copied.status.success(),
        "{}",
        String::from_utf8_lossy(&copied.stderr)
    );
    let copied = Layout::open(&copy).unwrap();
    assert_eq!(copied.index().manifests[0].digest, root(&multi).digest);
}

#[test]
fn mirror_within_a_registry_mounts_blobs_and_carries_referrers_and_cosign_tags() {
    let registry = TestRegistry::plain();
    let work = tempfile::tempdir().unwrap();
    let source_path = image_layout(work.path(), &["amd64", "arm64"], 100_000, 7);
    let (referrer, sig_tag) = attach(&source_path);
    let client = registry.connect();
    let source = registry.reference("team/app:2.0");
    let layout = Layout::open(&source_path).unwrap();
    push_plain(&client, &layout, &source);

    let target = registry.reference("mirror/app");
    let report =
        buckle_registry::mirror(&client, &source, &client, &target, work.path(), &NoReporter).unwrap();
    assert_eq!(report.push.digest, report.pull.digest);
    assert_eq!(
        (report.push.blobs_uploaded, report.push.blobs_mounted),
        (0, 8),
        "{:?}",
        report.push
    );
    assert!(
        report.push.tags_set.contains(&"2.0".to_owned()),
        "{:?}",
        report.push
    );
    let pulled_path = work.path().join("from-mirror");
    let pulled = pull(
        &client,
        &registry.reference("mirror/app:2.0"),
        &pulled_path,
        PullOptions::default(),
        &NoReporter,
    )
    .unwrap();
    assert_eq!(pulled.referrers, [referrer.oci()]);
    assert_eq!(pulled.cosign_tags, [sig_tag]);
    assert_eq!(blob_names(&pulled_path), blob_names(&source_path));
}

#[test]
fn a_blob_corrupted_in_the_registry_is_caught_on_pull_and_nothing_is_written() {
    let registry = TestRegistry::plain();
    let work = tempfile::tempdir().unwrap();
    let source = image_layout(work.path(), &["amd64"], 20_000, 8);
    let layout = Layout::open(&source).unwrap();
    let client = registry.connect();
    let target = registry.reference("hardened/tampered:1");
    push_plain(&client, &layout, &target);
    let manifest = layout.read_manifest(&root(&layout)).unwrap();
    let layer = &manifest.layers[0];
    let data = registry.storage().join(format!(
        "blobs/sha256/{}/{}/data",
        &layer.digest.hex()[..2],
        layer.digest.hex()
    ));
    let mut bytes = std::fs::read(&data).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&data, bytes).unwrap();

    let out = work.path().join("out");
    let err = pull(&client, &target, &out, PullOptions::default(), &NoReporter).unwrap_err();
    assert!(err.is_untrusted(), "{err:?}");
    assert!(
        err.to_string().starts_with(&format!(
            "blob `{}` from `{}/hardened/tampered` does not match its digest: expected {}, found sha256:",
            layer.digest.oci(),
            registry.host(),
            layer.digest.oci()
        )),
        "{err}"
    );
    assert!(!out.exists(), "no layout is left behind");
    let leftovers: Vec<_> = std::fs::read_dir(work.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// Counts bytes sent, and stops the registry once `stop_after` bytes went out.
struct Saboteur<'a> {
    registry: &'a TestRegistry,
    sent: AtomicU64,
    stop_after: u64,
    stopped: AtomicBool,
}

impl Reporter for Saboteur<'_> {
    fn on_bytes(&self, bytes: u64) {
        let sent = self.sent.fetch_add(bytes, Ordering::SeqCst) + bytes;
        if sent >= self.stop_after && !self.stopped.swap(true, Ordering::SeqCst) {
            self.registry.stop();
        }
    }
    fn on_discard(&self, bytes: u64) {
        self.sent
            .fetch_sub(bytes.min(self.sent.load(Ordering::SeqCst)), Ordering::SeqCst);
    }
}

/// Pushes a 6 MiB layer in 1 MiB chunks, stopping the registry once `stop_after`
/// bytes went out; restarts it and pushes again. Returns the second push's report,
/// the bytes it sent, and the layer's size, after checking the image round-trips.
fn interrupted_push(stop_after: u64, seed: u64) -> (buckle_registry::PushReport, u64, u64) {
    let registry = TestRegistry::plain();
    let work = tempfile::tempdir().unwrap();
    let source = image_layout(work.path(), &["amd64"], 6 << 20, seed);
    let layout = Layout::open(&source).unwrap();
    let target = registry.reference("hardened/big:1");
    let options = Options {
        chunk_size: 1 << 20,
        jobs: 1,
        upload_state: Some(work.path().join("uploads")),
        ..registry.options()
    };
    let client = Registry::connect(&registry.host(), &options).unwrap();
    let saboteur = Saboteur {
        registry: &registry,
        sent: AtomicU64::new(0),
        stop_after,
        stopped: AtomicBool::new(false),
    };
    let err = push(
        &client,
        &layout,
        None,
        &target,
        &PushOptions::default(),
        &saboteur,
    )
    .unwrap_err();
    assert!(
        matches!(err, Error::Http(buckle_http::Error::Transport { .. })),
        "{err:?}"
    );
    assert!(
        client.manifest_head("hardened/big", "1").is_err(),
        "the registry is down"
    );

    registry.start();
    let counter = Saboteur {
        registry: &registry,
        sent: AtomicU64::new(0),
        stop_after: u64::MAX,
        stopped: AtomicBool::new(false),
    };
    let client = Registry::connect(&registry.host(), &options).unwrap();
    let report = push(&client, &layout, None, &target, &PushOptions::default(), &counter).unwrap();
    let layer = layout.read_manifest(&root(&layout)).unwrap().layers[0].size;
    let out = work.path().join("out");
    let pulled = pull(&client, &target, &out, PullOptions::default(), &NoReporter).unwrap();
    assert_eq!(pulled.digest, report.digest);
    assert_eq!(blob_names(&out), blob_names(&source));
    (report, counter.sent.load(Ordering::SeqCst), layer)
}

#[test]
fn push_interrupted_between_chunks_resumes_where_the_registry_stopped() {
    // Stopped as the third chunk starts to be read: two chunks are stored.
    let (report, reported, layer) = interrupted_push((2 << 20) + 1, 11);
    // The small config blob may have been stored before the registry stopped (blobs
    // move in parallel), so the re-run either uploads or skips it.
    assert_eq!(report.blobs_resumed, 1, "{report:?}");
    assert_eq!(report.blobs_uploaded + report.blobs_skipped, 1, "{report:?}");
    // A resumed upload reports its starting offset as progress, then sends the rest.
    assert_eq!(report.bytes_resumed, 2 << 20, "two 1 MiB chunks were kept");
    assert_eq!(
        reported, report.bytes_uploaded,
        "progress covers every blob in full"
    );
    // The whole layer counts as sent (the config too, unless it was already there).
    assert!(report.bytes_uploaded >= layer, "{report:?}");
}

#[test]
fn push_interrupted_mid_chunk_is_rerun_to_completion() {
    // Stopped in the middle of the third chunk: when part of it reached the registry's
    // disk, the registry refuses to resume (the session's offset no longer matches) and
    // the upload starts over; when none did, it resumes. Either way the re-run
    // completes and the image round-trips (checked in `interrupted_push`).
    let (report, _, layer) = interrupted_push((5 << 19) + 1, 12);
    // The layer is resumed or sent again; the config may already be there (blobs move
    // in parallel).
    assert!(report.blobs_resumed + report.blobs_uploaded >= 1, "{report:?}");
    assert_eq!(
        report.blobs_resumed + report.blobs_uploaded + report.blobs_skipped,
        2,
        "{report:?}"
    );
    assert!(report.bytes_resumed <= 2 << 20, "{report:?}");
    // The whole layer counts as sent (the config too, unless it was already there).
    assert!(report.bytes_uploaded >= layer, "{report:?}");
}

#[test]
fn tls_with_basic_auth_round_trips_with_the_private_ca() {
    let registry = TestRegistry::tls_basic();
    let work = tempfile::tempdir().unwrap();
    let source = image_layout(work.path(), &["amd64", "arm64"], 30_000, 10);
    attach(&source);
    let layout = Layout::open(&source).unwrap();
    let client = registry.connect();
    let target = registry.reference("secure/static:1");
    let pushed = push_plain(&client, &layout, &target);
    let out = work.path().join("out");
    let pulled = pull(&client, &target, &out, PullOptions::default(), &NoReporter).unwrap();
    assert_eq!(pulled.digest, pushed.digest);
    assert_eq!(pulled.referrers.len(), 1);
    assert_eq!(blob_names(&out), blob_names(&source));
}

#[test]
fn bearer_tokens_from_a_token_server_push_and_pull_and_a_wrong_password_is_refused() {
    let registry = TestRegistry::with_token_server();
    let tokens = registry.token_server.as_ref().unwrap();
    let work = tempfile::tempdir().unwrap();
    let source = image_layout(work.path(), &["amd64", "arm64"], 30_000, 11);
    attach(&source);
    let layout = Layout::open(&source).unwrap();
    let with_password = Options {
        insecure: true,
        credentials: CredentialStore::anonymous()
            .with_credentials(Credentials::password(USER, PASSWORD, "the test")),
        ..quick()
    };
    let client = Registry::connect(&registry.host(), &with_password).unwrap();
    let target = registry.reference("tokens/static:1");
    let pushed = push_plain(&client, &layout, &target);
    // The push asked for the repository's pull and push rights from the token server.
    let asked = tokens.requests();
    assert!(
        asked
            .iter()
            .any(|q| q.contains(&format!("service={TOKEN_SERVICE}"))
                && (q.contains("scope=repository%3Atokens%2Fstatic%3Apull%2Cpush")
                    || q.contains("scope=repository:tokens/static:pull,push"))),
        "{asked:?}"
    );

    // Anonymous clients get pull-only tokens: they read, and cannot write.
    let anonymous = Options {
        insecure: true,
        ..quick()
    };
    let reader = Registry::connect(&registry.host(), &anonymous).unwrap();
    let out = work.path().join("out");
    let pulled = pull(&reader, &target, &out, PullOptions::default(), &NoReporter).unwrap();
    assert_eq!(pulled.digest, pushed.digest);
    assert_eq!(blob_names(&out), blob_names(&source));
    let refused = push(
        &reader,
        &layout,
        None,
        &registry.reference("tokens/other:1"),
        &PushOptions::default(),
        &NoReporter,
    );
    let refused = refused.expect_err("an anonymous token pushed");
    assert!(matches!(refused, Error::AuthRequired { .. }), "{refused:?}");

    let wrong = Options {
        credentials: CredentialStore::anonymous()
            .with_credentials(Credentials::password(USER, "wrong", "the test")),
        ..with_password
    };
    let client = Registry::connect(&registry.host(), &wrong).unwrap();
    let err = client.manifest("tokens/static", "1").unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "`{}` rejected the credentials of user `{USER}`: wrong user name or password",
            registry.host()
        )
    );
}

#[test]
fn wrong_password_is_a_clear_error_naming_the_user_and_where_it_came_from() {
    let registry = TestRegistry::tls_basic();
    let options = Options {
        credentials: CredentialStore::anonymous().with_credentials(Credentials::password(
            USER,
            "wrong",
            "the test's settings",
        )),
        ..registry.options()
    };
    let client = Registry::connect(&registry.host(), &options).unwrap();
    let err = client.manifest("secure/static", "1").unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "`{}` rejected the credentials of user `{USER}`: wrong user name or password",
            registry.host()
        )
    );
    assert_eq!(
        err.hint().unwrap(),
        "check the credentials from the test's settings"
    );

    let anonymous = Options {
        credentials: CredentialStore::anonymous(),
        ..registry.options()
    };
    let client = Registry::connect(&registry.host(), &anonymous).unwrap();
    let err = client.manifest("secure/static", "1").unwrap_err();
    assert!(matches!(err, Error::AuthRequired { .. }), "{err:?}");
}

#[test]
fn credentials_come_from_the_docker_config_file() {
    use base64::Engine as _;
    let registry = TestRegistry::tls_basic();
    let dir = tempfile::tempdir().unwrap();
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    let config = dir.path().join("config.json");
    std::fs::write(
        &config,
        format!(r#"{{"auths":{{"{}":{{"auth":"{auth}"}}}}}}"#, registry.host()),
    )
    .unwrap();
    let options = Options {
        credentials: CredentialStore::anonymous().with_docker_config(&config).unwrap(),
        ..registry.options()
    };
    let client = Registry::connect(&registry.host(), &options).unwrap();
    assert!(client.manifest("secure/none", "1").unwrap().is_none());
}

#[test]
fn without_the_private_ca_the_registry_is_not_trusted() {
    let registry = TestRegistry::tls_basic();
    let options = Options {
        ca_file: None,
        ..registry.options()
    };
    let err = Registry::connect(&registry.host(), &options).err().unwrap();
    let chain = std::iter::successors(Some(&err as &dyn std::error::Error), |e| e.source())
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join(": ");
    assert!(
        chain.to_lowercase().contains("certificate") || chain.contains("UnknownIssuer"),
        "{chain}"
    );
}
