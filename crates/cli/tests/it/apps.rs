//! App images from real lockfiles: the Flask and Express services of tests/apps built on
//! the catalog's python and node images (locked against the host's Debian mirror), with
//! their packages from the Python index and the npm registry the host's pip and npm use.
//! Each is built twice to the same digest, keeps its base's layers byte for byte, runs
//! in runc as 65532 on a read-only root and answers HTTP, and has an SBOM listing every
//! package, as syft finds them. Bad lockfiles fail with a clear error and write nothing.

use crate::cli::{Buckle, Run};
use crate::mirror::copy_dir;
use buckle_digest::Sha256;
use buckle_testkit::server::Server;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

/// The apps' project directories, checked in.
fn apps_source() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/apps")
}

/// The catalog's python and node specs, locked, and the two apps beside them, each
/// built twice.
struct Apps {
    dir: PathBuf,
    buckle: Buckle,
}

fn apps() -> &'static Apps {
    static APPS: OnceLock<Apps> = OnceLock::new();
    APPS.get_or_init(|| {
        let dir = crate::fixture::process_dir("apps");
        let catalog = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../catalog");
        std::fs::create_dir_all(dir.join("catalog")).unwrap();
        for base in ["python", "node"] {
            let spec = format!("{base}.toml");
            std::fs::copy(catalog.join(&spec), dir.join("catalog").join(&spec)).unwrap();
        }
        copy_dir(&apps_source(), &dir);
        let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("buckle-cache");
        let buckle = Buckle::new(&dir, &cache);
        buckle
            .run(&["lock", "-q", "catalog/python.toml", "catalog/node.toml"])
            .ok();
        let arch = host_arch();
        let key = dir.join("signer");
        buckle
            .run_with_password(Some("app-test"), &["keygen", "-o", key.to_str().unwrap()])
            .ok();
        let key = format!("{}.key", key.display());
        let registry = buckle_testkit::registry::DockerRegistry::start();
        for app in ["flask", "express"] {
            let spec = format!("{app}/buckle.toml");
            buckle
                .run(&["build", &spec, "--arch", arch, "-o", &format!("out/{app}-one")])
                .ok();
            // The second build is signed (its provenance lists every wheel and tarball),
            // smoke-tested and pushed; then pulled back.
            let reference = format!("{}/apps/{app}:two", registry.address);
            buckle
                .run_with_password(
                    Some("app-test"),
                    &[
                        "build",
                        &spec,
                        "--arch",
                        arch,
                        "-o",
                        &format!("out/{app}-two"),
                        "--sign",
                        &key,
                        "--test",
                        "--push",
                        &reference,
                        "--insecure",
                    ],
                )
                .ok();
            buckle
                .run(&["pull", &reference, &format!("out/{app}-pulled"), "--insecure"])
                .ok();
        }
        Apps { dir, buckle }
    })
}

impl Apps {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

fn host_arch() -> &'static str {
    match std::env::consts::ARCH {
        "aarch64" => "arm64",
        _ => "amd64",
    }
}

fn layout_json(dir: &Path, blob: &Value) -> Value {
    let digest = blob["digest"].as_str().unwrap().trim_start_matches("sha256:");
    let bytes = std::fs::read(dir.join("blobs/sha256").join(digest)).unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// The image manifest of a single-architecture layout.
fn manifest(layout: &Path) -> (String, Value) {
    let index: Value = serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    let entry = &index["manifests"][0];
    (
        entry["digest"].as_str().unwrap().to_owned(),
        layout_json(layout, entry),
    )
}

fn layer_digests(layout: &Path) -> Vec<String> {
    let (_, manifest) = manifest(layout);
    manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["digest"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn flask_app_builds_reproducibly_runs_as_nonroot_and_answers_http() {
    let apps = apps();
    check_app(
        apps,
        "flask",
        "python",
        "ok flask-hello markupsafe=compiled uid=65532",
    );
}

#[test]
fn express_app_builds_reproducibly_runs_as_nonroot_and_answers_http() {
    let apps = apps();
    check_app(apps, "express", "node", "ok express=4.21.2 uid=65532");
}

fn check_app(apps: &Apps, app: &str, base: &str, answer: &str) {
    let one = apps.path(&format!("out/{app}-one"));
    let two = apps.path(&format!("out/{app}-two"));
    assert_eq!(manifest(&one).0, manifest(&two).0, "two builds of {app} differ");

    // The base's layers are the ones `buckle build` makes from its lock, byte for byte,
    // then one dependencies layer and one app layer.
    let base_out = format!("out/{base}-base");
    apps.buckle
        .run(&[
            "build",
            "-q",
            &format!("catalog/{base}.toml"),
            "--arch",
            host_arch(),
            "-o",
            &base_out,
        ])
        .ok();
    let base_layers = layer_digests(&apps.path(&base_out));
    let app_layers = layer_digests(&one);
    assert_eq!(app_layers.len(), base_layers.len() + 2);
    assert_eq!(app_layers[..base_layers.len()], base_layers[..]);

    let (_, manifest) = manifest(&one);
    let config = layout_json(&one, &manifest["config"]);
    assert_eq!(config["config"]["User"], "65532:65532");
    assert!(
        config["config"]["ExposedPorts"]["8080/tcp"].is_object(),
        "{config}"
    );
    assert!(config["config"]["Volumes"]["/tmp"].is_object(), "{config}");
    assert_app_layer_is_read_only_and_filtered(&one, &manifest);

    let body = serve_once(&one, &config);
    assert!(body.contains(answer), "{app} answered {body:?}");
    if app == "flask" {
        // `buckle test` starts the image's entrypoint as 65532 on a read-only root and
        // sends the spec's `[test] http` probe (port 8080: only this test uses it).
        let test = apps
            .buckle
            .run(&[
                "test",
                &format!("{app}/buckle.toml"),
                "--image",
                &format!("out/{app}-one"),
            ])
            .ok();
        assert!(test.stderr.contains("Passed"), "{}", test.stderr);
        let wrong = apps.buckle.run(&[
            "test",
            &format!("{app}/buckle.toml"),
            "--image",
            &format!("out/{base}-base"),
        ]);
        assert_ne!(
            wrong.code, 0,
            "the base image passed the app's probe: {}",
            wrong.stderr
        );
    }

    assert_sbom_lists_every_package_as_syft_finds(apps, app, &one);
    assert_provenance_resolves_every_package(apps, app, &two);
    assert_signed_build_fails_no_check(apps, app);
}

/// `buckle check` of the signed build: the compiled extensions of the wheels are
/// owned by their wheels' RECORD, so no rule fails but the tag's (a publisher's step).
fn assert_signed_build_fails_no_check(apps: &Apps, app: &str) {
    let report = apps
        .buckle
        .run(&["check", &format!("out/{app}-two"), "--json"])
        .ok()
        .json();
    let failed: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "fail" && f["rule"] != "BKL-TAG-LATEST")
        .collect();
    assert!(failed.is_empty(), "{app}: {failed:#?}");
}

/// The signed build's provenance lists each wheel or tarball with the digest the
/// lockfile pins.
fn assert_provenance_resolves_every_package(apps: &Apps, app: &str, layout: &Path) {
    let run = apps
        .buckle
        .run(&[
            "attestations",
            layout.to_str().unwrap(),
            "--show",
            "slsaprovenance1",
        ])
        .ok();
    let statement: Value = serde_json::from_str(run.stdout.lines().next().unwrap()).unwrap();
    let definition = &statement["predicate"]["buildDefinition"];
    assert!(definition["externalParameters"]["app"]["content"]
        .as_str()
        .unwrap()
        .contains("base = "));
    let resolved: BTreeSet<(String, String)> = definition["resolvedDependencies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| {
            matches!(
                d["mediaType"].as_str(),
                Some("application/zip" | "application/gzip")
            )
        })
        .map(|d| {
            let name = d["annotations"]["package"].as_str().unwrap().to_ascii_lowercase();
            let digest = d["digest"]["sha256"].as_str().unwrap().to_owned();
            if app == "express" {
                assert_eq!(d["digest"]["sha512"].as_str().unwrap().len(), 128, "{d}");
            }
            (name, digest)
        })
        .collect();
    assert_eq!(
        resolved.iter().map(|(n, _)| n.clone()).collect::<BTreeSet<_>>(),
        locked_packages(app)
            .into_iter()
            .map(|(n, _)| n)
            .collect::<BTreeSet<_>>()
    );
    if app == "flask" {
        let requirements = std::fs::read_to_string(apps_source().join("flask/requirements.txt")).unwrap();
        for (name, sha256) in &resolved {
            assert!(
                requirements.contains(sha256.as_str()),
                "{name} {sha256} is not a locked hash"
            );
        }
    }
}

/// Every entry of the app layer is root-owned and not writable, and the ignore file's
/// patterns left out what they name.
fn assert_app_layer_is_read_only_and_filtered(layout: &Path, manifest: &Value) {
    let layers = manifest["layers"].as_array().unwrap();
    let top = layers.last().unwrap();
    let digest = top["digest"].as_str().unwrap().trim_start_matches("sha256:");
    let file = std::fs::File::open(layout.join("blobs/sha256").join(digest)).unwrap();
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut paths = Vec::new();
    for entry in archive.entries().unwrap() {
        let entry = entry.unwrap();
        let header = entry.header();
        let path = entry.path().unwrap().display().to_string();
        assert_eq!((header.uid().unwrap(), header.gid().unwrap()), (0, 0), "{path}");
        if header.entry_type() != tar::EntryType::Symlink {
            assert_eq!(header.mode().unwrap() & 0o222, 0, "{path} is writable");
        }
        paths.push(path);
    }
    assert!(!paths.is_empty());
    assert!(
        paths
            .iter()
            .all(|p| !p.contains("__pycache__") && !p.ends_with(".env") && !p.ends_with(".log")),
        "{paths:?}"
    );
}

/// Unpacks the image, starts its entrypoint with runc (uid 65532, read-only root, a
/// tmpfs for each volume, the host's network so the test can connect), sends one GET
/// and returns the body.
fn serve_once(layout: &Path, config: &Value) -> String {
    let bundle = tempfile::tempdir().unwrap();
    let rootfs = bundle.path().join("rootfs");
    let image = buckle_oci::open_image(layout, &Default::default()).unwrap();
    buckle_oci::unpack(&image, &rootfs).unwrap();
    let port = free_port();
    let container = &config["config"];
    let mut env: Vec<String> = container["Env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .filter(|v| !v.starts_with("PORT="))
        .collect();
    env.push(format!("PORT={port}"));
    let args = container["Entrypoint"].clone();
    let mut mounts = vec![
        serde_json::json!({"destination": "/proc", "type": "proc", "source": "proc"}),
        serde_json::json!({"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=755"]}),
    ];
    for volume in container["Volumes"].as_object().unwrap().keys() {
        mounts.push(
            serde_json::json!({"destination": volume, "type": "tmpfs", "source": "tmpfs",
            "options": ["nosuid", "nodev", "mode=1777"]}),
        );
    }
    let id_map = serde_json::json!([{"containerID": 0, "hostID": 0, "size": 65536 * 2}]);
    let runtime = serde_json::json!({
        "ociVersion": "1.0.2",
        "process": {
            "terminal": false,
            "user": {"uid": 65532, "gid": 65532},
            "args": args,
            "env": env,
            "cwd": container["WorkingDir"].as_str().unwrap_or("/"),
            "capabilities": {"bounding": [], "effective": [], "permitted": [], "ambient": []},
            "noNewPrivileges": true,
        },
        "root": {"path": "rootfs", "readonly": true},
        "mounts": mounts,
        "linux": {
            "uidMappings": id_map,
            "gidMappings": id_map,
            "namespaces": [{"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}, {"type": "user"}],
        },
    });
    std::fs::write(bundle.path().join("config.json"), runtime.to_string()).unwrap();
    let id = format!("buckle-app-{}-{port}", std::process::id());
    let child = Command::new("runc")
        .args(["--rootless", "true", "run", "--bundle"])
        .arg(bundle.path())
        .arg(&id)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let running = Running { id, child };
    let body = get(port, "/health", &running);
    drop(running);
    body
}

/// A started container, killed and deleted when dropped.
struct Running {
    id: String,
    child: Child,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = Command::new("runc").args(["kill", &self.id, "KILL"]).status();
        let _ = self.child.wait();
        let _ = Command::new("runc")
            .args(["delete", "--force", &self.id])
            .status();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// GETs `path` once the service listens; the container's output when it exits first.
fn get(port: u16, path: &str, running: &Running) -> String {
    for _ in 0..600 {
        if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
            let mut response = String::new();
            stream.read_to_string(&mut response).unwrap();
            return response
                .split_once("\r\n\r\n")
                .map(|(_, body)| body.to_owned())
                .unwrap_or(response);
        }
        let state = Command::new("runc")
            .args(["state", &running.id])
            .output()
            .unwrap();
        let stopped = String::from_utf8_lossy(&state.stdout).contains("\"stopped\"");
        assert!(!stopped, "the service exited without listening on {port}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("nothing listened on 127.0.0.1:{port}");
}

/// The SBOM's PyPI or npm packages are the lockfile's, and syft finds the same ones.
fn assert_sbom_lists_every_package_as_syft_finds(apps: &Apps, app: &str, layout: &Path) {
    let sbom = apps
        .buckle
        .run(&["sbom", layout.to_str().unwrap(), "--format", "spdx-json"])
        .ok();
    let document: Value = serde_json::from_str(&sbom.stdout).unwrap();
    let (ecosystem, syft_type) = if app == "flask" {
        ("pypi", "python")
    } else {
        ("npm", "npm")
    };
    let purls: BTreeSet<(String, String)> = document["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| {
            let id = p["SPDXID"].as_str().unwrap();
            let purl = p["externalRefs"][0]["referenceLocator"]
                .as_str()
                .unwrap_or_default();
            id.starts_with(&format!("SPDXRef-Package-{ecosystem}-"))
                && purl.starts_with(&format!("pkg:{ecosystem}/"))
        })
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_ascii_lowercase(),
                p["versionInfo"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        purls,
        locked_packages(app),
        "the SBOM of {app} does not list its lockfile"
    );
    let depends: Vec<&Value> = document["relationships"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            r["relationshipType"] == "DEPENDS_ON"
                && r["spdxElementId"] == format!("SPDXRef-Package-app-{app}-hello")
        })
        .collect();
    assert_eq!(depends.len(), purls.len());
    for package in document["packages"].as_array().unwrap() {
        let is_app_package = package["SPDXID"]
            .as_str()
            .unwrap()
            .starts_with(&format!("SPDXRef-Package-{ecosystem}-"));
        if is_app_package {
            let sha256 = &package["checksums"][0];
            assert_eq!(sha256["algorithm"], "SHA256");
            assert_eq!(sha256["checksumValue"].as_str().unwrap().len(), 64);
        }
    }

    let syft = Command::new("syft")
        .args([
            "scan",
            &format!("oci-dir:{}", layout.display()),
            "-o",
            "json",
            "-q",
        ])
        .output()
        .unwrap();
    assert!(syft.status.success(), "{}", String::from_utf8_lossy(&syft.stderr));
    let found: Value = serde_json::from_slice(&syft.stdout).unwrap();
    let syft_packages: BTreeSet<(String, String)> = found["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["type"] == syft_type)
        .map(|a| {
            (
                a["name"].as_str().unwrap().to_ascii_lowercase(),
                a["version"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(syft_packages, purls, "syft and buckle disagree about {app}");
}

/// (name, version) of every package the app's lockfile installs.
fn locked_packages(app: &str) -> BTreeSet<(String, String)> {
    if app == "flask" {
        let text = std::fs::read_to_string(apps_source().join("flask/requirements.txt")).unwrap();
        return text
            .lines()
            .filter_map(|l| l.split_once("=="))
            .map(|(name, rest)| {
                (
                    name.trim().to_owned(),
                    rest.split_whitespace().next().unwrap().to_owned(),
                )
            })
            .collect();
    }
    let lock: Value =
        serde_json::from_slice(&std::fs::read(apps_source().join("express/package-lock.json")).unwrap())
            .unwrap();
    lock["packages"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(path, _)| !path.is_empty())
        .map(|(path, entry)| {
            let name = path.rsplit("node_modules/").next().unwrap().to_owned();
            (name, entry["version"].as_str().unwrap().to_owned())
        })
        .collect()
}

#[test]
fn the_flask_lockfile_has_eight_packages_one_compiled_and_the_express_one_over_thirty() {
    let python = locked_packages("flask");
    assert!(python.len() >= 8, "{python:?}");
    assert!(python.contains(&("markupsafe".to_owned(), "3.0.2".to_owned())));
    assert!(locked_packages("express").len() >= 30);
}

/// The Flask app locked by real uv (uv.lock, and pylock.toml exported from it) and real
/// Poetry 2 (poetry.lock), with its requirements file's versions pinned in pyproject.toml
/// and Windows-only `colorama` in every lock: each lock installs the very dependencies
/// layer the hashed requirements file does.
#[test]
fn uv_pylock_and_poetry_locks_install_the_layer_the_requirements_file_does() {
    let apps = apps();
    let expected = layer_digests(&apps.path("out/flask-one"));
    let pins: Vec<String> = locked_packages("flask")
        .iter()
        .map(|(name, version)| format!("\"{name}=={version}\""))
        .collect();
    let index = buckle_testkit::registries::pip_index();
    let tools = Path::new(env!("CARGO_TARGET_TMPDIR")).join("../lock-venv/bin");
    for lock in ["uv.lock", "pylock.toml", "poetry.lock"] {
        let name = format!("flask-{}", lock.replace('.', "-"));
        let dir = apps.path(&name);
        copy_dir(&apps_source().join("flask"), &dir);
        std::fs::remove_file(dir.join("requirements.txt")).unwrap();
        std::fs::write(
            dir.join("pyproject.toml"),
            format!(
                "[project]\nname = \"flask-hello\"\nversion = \"0.1.0\"\nrequires-python = \">=3.11\"\ndependencies = [{}]\n\n\
                 [dependency-groups]\ndev = [\"iniconfig==2.0.0\"]\n\n\
                 [tool.poetry]\npackage-mode = false\n\n\
                 [[tool.poetry.source]]\nname = \"index\"\nurl = \"{index}\"\npriority = \"primary\"\n",
                pins.join(", ")
            ),
        )
        .unwrap();
        let steps: Vec<(&str, Vec<&str>)> = match lock {
            "poetry.lock" => vec![("poetry", vec!["lock", "--no-interaction"])],
            _ => {
                let mut steps = vec![("uv", vec!["lock", "--no-config", "--default-index", &index])];
                if lock == "pylock.toml" {
                    steps.push((
                        "uv",
                        vec![
                            "export",
                            "--no-config",
                            "--format",
                            "pylock.toml",
                            "--no-dev",
                            "-o",
                            "pylock.toml",
                        ],
                    ));
                }
                steps
            }
        };
        for (tool, args) in steps {
            let out = Command::new(tools.join(tool))
                .args(&args)
                .current_dir(&dir)
                .env("POETRY_CACHE_DIR", apps.path("poetry-cache"))
                .output()
                .unwrap_or_else(|e| panic!("{tool} (installed by scripts/test in target/lock-venv): {e}"));
            assert!(
                out.status.success(),
                "{tool} {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let text = std::fs::read_to_string(dir.join(lock)).unwrap();
        assert!(
            text.contains("colorama"),
            "{lock} locks click's Windows-only colorama"
        );
        assert!(
            text.contains("iniconfig") == (lock != "pylock.toml"),
            "{lock}: the dev group"
        );
        let spec = std::fs::read_to_string(dir.join("buckle.toml")).unwrap().replace(
            "requirements = \"requirements.txt\"",
            &format!("requirements = \"{lock}\""),
        );
        std::fs::write(dir.join("buckle.toml"), spec).unwrap();
        let out = format!("out/{name}");
        apps.buckle
            .run(&[
                "build",
                "-q",
                &format!("{name}/buckle.toml"),
                "--arch",
                host_arch(),
                "-o",
                &out,
            ])
            .ok();
        let layers = layer_digests(&apps.path(&out));
        assert_eq!(layers.len(), expected.len());
        let dependencies = expected.len() - 2;
        assert_eq!(
            layers[dependencies], expected[dependencies],
            "{lock} installed another dependencies layer than requirements.txt"
        );
    }
}

/// An app in a directory of its own next to the locked catalog, with `spec` and files.
fn bad_app(name: &str, spec: &str, files: &[(&str, &[u8])]) -> (Run, PathBuf) {
    let apps = apps();
    let dir = apps.path(name);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("src/main.py"), "print('hi')\n").unwrap();
    std::fs::write(dir.join("buckle.toml"), spec).unwrap();
    for (path, bytes) in files {
        std::fs::write(dir.join(path), bytes).unwrap();
    }
    let out = format!("out/{name}");
    let run = apps.buckle.run(&[
        "build",
        &format!("{name}/buckle.toml"),
        "--arch",
        host_arch(),
        "-o",
        &out,
    ]);
    (run, apps.path(&out))
}

fn python_spec(index: Option<&str>) -> String {
    let index = index
        .map(|url| format!(", index = \"{url}\""))
        .unwrap_or_default();
    format!(
        "name = \"bad\"\nbase = \"python\"\n[app]\nfiles = [{{ from = \"src/\", to = \"/app\" }}]\npython = {{ requirements = \"requirements.txt\"{index} }}\n"
    )
}

/// blinker 1.9.0's wheel as the Python index lists it.
const BLINKER_WHEEL: &str = "blinker-1.9.0-py3-none-any.whl";
const BLINKER_SHA256: &str = "ba0efaa9080b619ff2f3459d1d500c57bddea4a6b424b60a91141db6fd2f08bc";

/// A loopback PEP 691 index whose `name` page lists `files` (name -> bytes), without
/// declaring their hashes, so buckle judges the bytes it downloads.
fn local_index(name: &str, files: &[(&str, &[u8])]) -> Server {
    let server = Server::start(BTreeMap::new());
    let entries: Vec<Value> = files
        .iter()
        .map(|(file, _)| serde_json::json!({"filename": file, "url": format!("{}/files/{file}", server.url()), "hashes": {}}))
        .collect();
    let page = serde_json::json!({"meta": {"api-version": "1.1"}, "name": name, "files": entries});
    server.insert(&format!("/simple/{name}/"), page.to_string().into_bytes());
    for (file, bytes) in files {
        server.insert(&format!("/files/{file}"), bytes.to_vec());
    }
    server
}

fn assert_refused(run: Run, out: &Path, code: i32, words: &[&str]) {
    let run = run.fails_with(code);
    for word in words {
        assert!(run.stderr.contains(word), "missing {word:?} in: {}", run.stderr);
    }
    assert!(!out.exists(), "{} was written", out.display());
}

#[test]
fn a_tampered_wheel_from_the_index_is_refused_and_nothing_is_written() {
    let index = local_index("blinker", &[(BLINKER_WHEEL, b"not the wheel that was locked")]);
    let requirements = format!("blinker==1.9.0 --hash=sha256:{BLINKER_SHA256}\n");
    let (run, out) = bad_app(
        "tampered",
        &python_spec(Some(&format!("{}/simple", index.url()))),
        &[("requirements.txt", requirements.as_bytes())],
    );
    let actual = Sha256::of(b"not the wheel that was locked").hex();
    assert_refused(
        run,
        &out,
        3,
        &[BLINKER_WHEEL, BLINKER_SHA256, &actual, "does not match"],
    );
}

#[test]
fn a_requirement_without_a_hash_is_refused_by_line() {
    let (run, out) = bad_app(
        "unhashed",
        &python_spec(None),
        &[("requirements.txt", b"flask==3.1.0\n")],
    );
    assert_refused(
        run,
        &out,
        2,
        &[
            "requirements.txt",
            "line 1",
            "`flask` 3.1.0 has no `--hash`",
            "--generate-hashes",
        ],
    );
}

#[test]
fn an_sdist_only_package_is_refused_by_name() {
    let index = local_index("blinker", &[("blinker-1.9.0.tar.gz", b"source")]);
    let requirements = format!("blinker==1.9.0 --hash=sha256:{BLINKER_SHA256}\n");
    let (run, out) = bad_app(
        "sdist-only",
        &python_spec(Some(&format!("{}/simple", index.url()))),
        &[("requirements.txt", requirements.as_bytes())],
    );
    assert_refused(
        run,
        &out,
        2,
        &[
            "`blinker` 1.9.0 has no wheel, only source distributions",
            "buckle installs wheels only",
        ],
    );
}

#[test]
fn a_wheel_for_another_python_is_refused_naming_the_base_python() {
    let wheel = "markupsafe-3.0.2-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl";
    let index = local_index("markupsafe", &[(wheel, b"cp311 wheel")]);
    let requirements = format!(
        "markupsafe==3.0.2 --hash=sha256:{}\n",
        Sha256::of(b"cp311 wheel").hex()
    );
    let (run, out) = bad_app(
        "other-python",
        &python_spec(Some(&format!("{}/simple", index.url()))),
        &[("requirements.txt", requirements.as_bytes())],
    );
    assert_refused(
        run,
        &out,
        2,
        &["`markupsafe` 3.0.2 has no wheel for", "3.13", wheel],
    );
}

fn node_app(name: &str, lock: &Value) -> (Run, PathBuf) {
    let spec = "name = \"bad\"\nbase = \"node\"\n[app]\nfiles = [{ from = \"src/\", to = \"/app\" }]\nnode = { lockfile = \"package-lock.json\" }\n";
    bad_app(name, spec, &[("package-lock.json", lock.to_string().as_bytes())])
}

fn express_lock() -> Value {
    serde_json::from_slice(&std::fs::read(apps_source().join("express/package-lock.json")).unwrap()).unwrap()
}

#[test]
fn an_npm_tarball_that_does_not_match_its_integrity_is_refused() {
    let mut lock = express_lock();
    // ms 2.0.0's entry given the integrity of another tarball.
    let other = lock["packages"]["node_modules/express"]["integrity"].clone();
    lock["packages"]["node_modules/ms"]["integrity"] = other.clone();
    let (run, out) = node_app("integrity", &lock);
    assert_refused(
        run,
        &out,
        3,
        &[
            "`ms` 2.0.0 does not match package-lock.json",
            other.as_str().unwrap(),
        ],
    );
}

#[test]
fn a_package_with_an_install_script_is_refused_by_name() {
    let mut lock = express_lock();
    lock["packages"]["node_modules/bufferutil"] = serde_json::json!({
        "version": "4.0.8",
        "integrity": "sha512-4T53u4PdgsXqKaIctwF8ifXlRTTmEPJ8iEPWFdGZvcf7sbwYo6FKFEX9eNNAnzFZ7EzJAQ3CJeOtCRA4rDp7Pw==",
        "hasInstallScript": true,
        "license": "MIT",
    });
    let (run, out) = node_app("install-script", &lock);
    assert_refused(
        run,
        &out,
        2,
        &["`bufferutil` 4.0.8", "install script", "--allow-prebuilt"],
    );
}

/// `buckle init app` on a copy of a test app without its spec writes one that builds
/// an image that answers, and says what it guessed.
fn init_builds_and_answers(app: &str, flag: &str, guessed: &[&str], answer: &str) {
    let apps = apps();
    let dir = apps.path(&format!("init-{app}"));
    copy_dir(&apps_source().join(app), &dir);
    std::fs::remove_file(dir.join("buckle.toml")).unwrap();
    let project = format!("init-{app}");
    let init = apps.buckle.run(&["init", "app", flag, &project]).ok();
    for guess in guessed {
        assert!(init.stdout.contains(guess), "{guess:?} not in {}", init.stdout);
    }
    let out = apps.path(&format!("out/init-{app}"));
    apps.buckle
        .run(&[
            "build",
            "-q",
            &format!("{project}/buckle.toml"),
            "--arch",
            host_arch(),
            "-o",
            out.to_str().unwrap(),
        ])
        .ok();
    let (_, manifest) = manifest(&out);
    let config = layout_json(&out, &manifest["config"]);
    let body = serve_once(&out, &config);
    assert!(body.contains(answer), "{app} answered {body:?}");
}

#[test]
fn init_writes_a_python_spec_that_builds_and_runs() {
    init_builds_and_answers(
        "flask",
        "--python",
        &[
            "`requirements.txt`",
            "python3 /app/app.py",
            "catalog's `python` image",
        ],
        "ok flask-hello markupsafe=compiled uid=65532",
    );
}

#[test]
fn init_writes_a_node_spec_that_builds_and_runs() {
    init_builds_and_answers(
        "express",
        "--node",
        &[
            "`express-hello`",
            "package-lock.json",
            "node /app/src/server.js",
            "catalog's `node` image",
        ],
        "ok express=4.21.2 uid=65532",
    );
}

/// OSV's PyPI and npm zips hold records like the ones in crates/vuln/testdata/osv
/// (written for the tests from the advisories' facts, in OSV's schema).
fn osv_packages_zip(path: &Path) {
    let records = Path::new(env!("CARGO_MANIFEST_DIR")).join("../vuln/testdata/osv");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for entry in std::fs::read_dir(records).unwrap() {
        let entry = entry.unwrap();
        zip.start_file(
            entry.file_name().to_string_lossy(),
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        zip.write_all(&std::fs::read(entry.path()).unwrap()).unwrap();
    }
    zip.finish().unwrap();
}

#[test]
fn scan_matches_app_packages_against_imported_osv_records() {
    let apps = apps();
    // A feed store of its own: the OSV zip imported, and trixie's archive feed stored
    // empty (no fixes to report) so that only the app packages can be found.
    let cache = tempfile::tempdir().unwrap();
    let store = buckle_feeds::Store::new(cache.path());
    let archive = buckle_feeds::FeedInfo {
        kind: buckle_feeds::FeedKind::Archive,
        source: vec!["test".to_owned()],
        stored_at: 1_790_000_000,
        data_date: None,
        records: 0,
        release: Some("trixie".parse().unwrap()),
    };
    store
        .put(archive, &Vec::<buckle_vuln::SourceHistory>::new())
        .unwrap();
    let buckle = Buckle::new(&apps.dir, cache.path());
    let zip = cache.path().join("osv-pypi-npm.zip");
    osv_packages_zip(&zip);
    buckle.run(&["feeds", "import", zip.to_str().unwrap()]).ok();

    let flask = buckle.run(&["scan", "out/flask-one", "--json"]).ok();
    let findings = &flask.json()["packageFindings"];
    let found: Vec<(&str, &str, &str, &str)> = findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap(),
                f["name"].as_str().unwrap(),
                f["installed"].as_str().unwrap(),
                f["fixed"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(found, [("CVE-2025-27516", "Jinja2", "3.1.5", "3.1.6")]);
    buckle
        .run(&["scan", "out/flask-one", "--fail-on", "medium"])
        .fails_with(1);

    // Express 4.21.2 pulls cookie 0.7.1 and body-parser 1.20.3: both fixed versions.
    let express = buckle.run(&["scan", "out/express-one", "--json"]).ok();
    assert_eq!(express.json()["packageFindings"], serde_json::json!([]));
    assert!(
        express.stderr.contains(" app packages, 0 findings"),
        "{}",
        express.stderr
    );
}

#[test]
fn a_signed_app_build_is_smoke_tested_and_pushed_with_its_attachments() {
    let apps = apps();
    for app in ["flask", "express"] {
        let pulled = format!("out/{app}-pulled");
        assert_eq!(
            manifest(&apps.path(&pulled)).0,
            manifest(&apps.path(&format!("out/{app}-two"))).0,
            "{app}: the pushed image is not the one built"
        );
        let attached = apps.buckle.run(&["attestations", &pulled, "--json"]).ok().json();
        let text = attached.to_string();
        assert!(
            text.contains("https://slsa.dev/provenance/v1"),
            "{app}: {attached:#}"
        );
    }
}
