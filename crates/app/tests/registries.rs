//! Against the real package registries: a small hashed requirements set resolved and
//! installed from the Python index pip uses (`PIP_INDEX_URL`, else pip's configuration,
//! else pip's own default), then imported and run with the host's Debian python3; a small
//! package-lock.json installed from the registry npm uses (`npm config get registry`),
//! then run with node. Behind the `registries` feature.
#![cfg(feature = "registries")]
#![allow(clippy::unwrap_used)] // test fixtures outside #[test] functions: a panic is the failure report

use buckle_app::node::{NodeOptions, PackageLock, Registry};
use buckle_app::python::{Index, InstallOptions, Machine, Requirements, Target};
use buckle_app::AppTree;
use buckle_archive::Cache;
use buckle_http::{Client, TlsRoots};
use buckle_oci::tar::Compression;
use buckle_oci::RelPath;
use buckle_testkit::registries::{npm_registry, pip_index};
use std::path::Path;
use std::process::Command;

/// Hashes as `pip-compile --generate-hashes` lists them (the sdist, the pure-Python
/// wheel and, for markupsafe, the CPython 3.11 and 3.13 manylinux wheels).
const REQUIREMENTS: &str = r#"#
# flask and its dependencies, pinned and hashed.
#
blinker==1.9.0 \
    --hash=sha256:ba0efaa9080b619ff2f3459d1d500c57bddea4a6b424b60a91141db6fd2f08bc \
    --hash=sha256:b4ce2265a7abece45e7cc896e98dbebe6cead56bcf805a3d23136d145f5445bf
    # via flask
click==8.1.8 \
    --hash=sha256:63c132bbbed01578a06712a2d1f497bb62d9c1c0d329b7903a866228027263b2 \
    --hash=sha256:ed53c9d8990d83c2a27deae68e4ee337473f6330c040a31d4225c9574d16096a
    # via flask
colorama==0.4.6 ; platform_system == "Windows" \
    --hash=sha256:08695f5cb7ed6e0531a20572697297273c47b8cae5a63ffc6d6ed5c201be6e44
    # via click
flask==3.1.0 \
    --hash=sha256:d667207822eb83f1c4b50949b1623c8fc8d51f2341d65f72e1a1815397551136 \
    --hash=sha256:5f873c5184c897c8d9d1b05df1e3d01b14910ce69607a117bd3277098a5836ac
    # via -r requirements.in
itsdangerous==2.2.0 \
    --hash=sha256:c6242fc49e35958c8b15141343aa660db5fc54d4f13a1db01a3f5891b98700ef \
    --hash=sha256:e0050c0b7da1eea53ffaf149c0cfbb5c6e2e2b69c4bef22c81fa6eb73e5f6173
jinja2==3.1.5 \
    --hash=sha256:aba0f4dc9ed8013c424088f68a5c226f7d6097ed89b246d7749c2ec4175c6adb \
    --hash=sha256:8fefff8dc3034e27bb80d67c671eb8a9bc424c0ef4c0826edbff304cceff43bb
markupsafe==3.0.2 \
    --hash=sha256:2cb8438c3cbb25e220c2ab33bb226559e7afb3baec11c4f218ffa7308603c832 \
    --hash=sha256:a123e330ef0853c6e822384873bef7507557d8e4a082961e1defa947aa59ba84 \
    --hash=sha256:569511d3b58c8791ab4c2e1285575265991e6d8f8700c7be0e88f86cb0672094 \
    --hash=sha256:15ab75ef81add55874e7ab7055e9c397312385bd9ced94920f2802310c930396 \
    --hash=sha256:ee55d3edf80167e48ea11a923c7386f4669df67d7994554387f84e7d8b0a2bf0
    # via
    #   jinja2
    #   werkzeug
werkzeug==3.1.3 \
    --hash=sha256:54b78bf3716d19a65be4fceccc0d1d7b89e608834989dfae50ea87564639213e \
    --hash=sha256:60723ce945c19328679790e3282cc758aa4a6040e4bb330f53d30fa546d44746
"#;

fn host_machine() -> Machine {
    std::env::consts::ARCH
        .parse()
        .expect("tests run on amd64 or arm64")
}

/// Writes `tree` as the layer the image would get and unpacks it under `dir` with
/// the host's tar, as a container runtime would lay it out.
fn write_tree(tree: &AppTree, dir: &Path) {
    let (_, layer) = tree.write_layer(Vec::new(), Compression::None, 0).unwrap();
    let layer_path = dir.join("layer.tar");
    std::fs::write(&layer_path, layer).unwrap();
    let status = Command::new("tar")
        .arg("-xf")
        .arg(&layer_path)
        .arg("-C")
        .arg(dir)
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn flask_from_the_python_index_installs_and_imports_with_debian_python() {
    let index_url = pip_index();
    let cache = tempfile::tempdir().unwrap();
    let index = Index::new(client(), &index_url, Cache::new(cache.path()));
    let requirements = Requirements::parse(REQUIREMENTS).unwrap();
    // The host is Debian 12: CPython 3.11, glibc 2.36.
    let target = Target::new(3, 11, host_machine()).with_glibc(2, 36);
    let out = index
        .install(&requirements, &target, &InstallOptions::default())
        .unwrap();

    let names: Vec<String> = out.packages.iter().map(|p| p.purl()).collect();
    assert_eq!(
        names,
        [
            "pkg:pypi/blinker@1.9.0",
            "pkg:pypi/click@8.1.8",
            "pkg:pypi/flask@3.1.0",
            "pkg:pypi/itsdangerous@2.2.0",
            "pkg:pypi/jinja2@3.1.5",
            "pkg:pypi/markupsafe@3.0.2",
            "pkg:pypi/werkzeug@3.1.3",
        ],
        "colorama is only for Windows"
    );
    let markupsafe = &out.packages[5];
    assert!(
        markupsafe.file_name.contains("cp311-cp311-manylinux_2_17"),
        "{}",
        markupsafe.file_name
    );
    for package in &out.packages {
        assert!(REQUIREMENTS.contains(&package.sha256.hex()), "{package:?}");
    }
    assert!(out
        .packages
        .iter()
        .any(|p| p.license.is_some() || !p.license_classifiers.is_empty()));

    let root = tempfile::tempdir().unwrap();
    write_tree(&out.tree, root.path());
    let site = root.path().join("usr/lib/python3/dist-packages");
    let import = Command::new("/usr/bin/python3")
        .args([
            "-c",
            "import flask, markupsafe._speedups; print(flask.Flask(__name__).name, markupsafe.escape('<a>'))",
        ])
        .env("PYTHONPATH", &site)
        .output()
        .unwrap();
    assert!(import.status.success(), "{import:?}");
    assert_eq!(String::from_utf8_lossy(&import.stdout), "__main__ &lt;a&gt;\n");
    let launcher = Command::new("/usr/bin/python3")
        .arg(root.path().join("usr/local/bin/flask"))
        .arg("--version")
        .env("PYTHONPATH", &site)
        .output()
        .unwrap();
    assert!(launcher.status.success(), "{launcher:?}");
    assert!(
        String::from_utf8_lossy(&launcher.stdout).contains("Flask 3.1.0"),
        "{launcher:?}"
    );
}

/// Written by hand; the integrity values are the registry's (`npm view <p>@<v> dist.integrity`).
/// No `resolved` URLs, as npm writes with `omit-lockfile-registry-resolved`.
const PACKAGE_LOCK: &str = r#"{
  "name": "tiny-app",
  "version": "1.0.0",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": {"name": "tiny-app", "version": "1.0.0", "dependencies": {"debug": "^4.4.0", "semver": "^7.6.3", "to-regex-range": "^5.0.1"}},
    "node_modules/debug": {"version": "4.4.0", "integrity": "sha512-6WTZ/IxCY/T6BALoZHaE4ctp9xm+Z5kY/pzYaCHRFeyVhojxlrm+46y68HA6hr0TcwEssoxNiDEUJQjfPZ/RYA==", "license": "MIT", "dependencies": {"ms": "^2.1.3"}},
    "node_modules/is-number": {"version": "7.0.0", "integrity": "sha512-41Cifkg6e8TylSpdtTpeLVMqvSBEVzTttHvERD741+pnZ8ANv0004MRL43QKPDlK9cGvNp6NZWZUBlbGXYxxng==", "license": "MIT"},
    "node_modules/ms": {"version": "2.1.3", "integrity": "sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/tXtF3WRTlA==", "license": "MIT"},
    "node_modules/semver": {"version": "7.6.3", "integrity": "sha512-oVekP1cKtI+CTDvHWYFUcMtsK/00wmAEfyqKfNdARm8u1wNVhSgaX7A8d4UuIlUI5e84iEwOhs7ZPYRmzU9U6A==", "license": "ISC", "bin": {"semver": "bin/semver.js"}},
    "node_modules/to-regex-range": {"version": "5.0.1", "integrity": "sha512-65P7iz6X5yEr1cwcgvQxbbIw7Uk3gOy5dIdtZ4rDveLqhrdJP+Li/Hx6tyK0NEb+2GCyneCMJiGqrADCSNk8sQ==", "license": "MIT", "dependencies": {"is-number": "^7.0.0"}}
  }
}"#;

#[test]
fn small_lockfile_from_the_npm_registry_installs_and_runs_with_node() {
    let lock = PackageLock::parse(PACKAGE_LOCK).unwrap();
    let options = NodeOptions::new(RelPath::new("app").unwrap(), host_machine(), npm_registry());
    let out = Registry::new(client()).install(&lock, &options).unwrap();
    let purls: Vec<String> = out.packages.iter().map(|p| p.purl()).collect();
    assert_eq!(
        purls,
        [
            "pkg:npm/debug@4.4.0",
            "pkg:npm/is-number@7.0.0",
            "pkg:npm/ms@2.1.3",
            "pkg:npm/semver@7.6.3",
            "pkg:npm/to-regex-range@5.0.1",
        ]
    );
    assert_eq!(out.packages[3].license.as_deref(), Some("ISC"));

    let root = tempfile::tempdir().unwrap();
    write_tree(&out.tree, root.path());
    let app = root.path().join("app");
    let run = Command::new("node")
        .args([
            "-e",
            "const r = require('to-regex-range'); require('debug'); console.log(r('1', '5'), require('semver').valid('1.2.3'))",
        ])
        .current_dir(&app)
        .output()
        .unwrap();
    assert!(run.status.success(), "{run:?}");
    assert_eq!(String::from_utf8_lossy(&run.stdout), "[1-5] 1.2.3\n");
    let bin = Command::new(app.join("node_modules/.bin/semver"))
        .args(["-i", "minor", "1.2.3"])
        .output()
        .unwrap();
    assert!(bin.status.success(), "{bin:?}");
    assert_eq!(String::from_utf8_lossy(&bin.stdout), "1.3.0\n");
}

/// The host's CA store, as the CLI uses (a proxy with its own CA works too).
fn client() -> Client {
    Client::builder().tls_roots(TlsRoots::system()).build()
}
