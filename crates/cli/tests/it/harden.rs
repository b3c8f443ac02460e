//! `buckle harden` on images built the way users build them: Dockerfiles run by
//! buildah (chroot isolation) FROM a Debian bookworm base that the test
//! makes with mmdebstrap from the mirror the host's apt uses, as Debian's official
//! images are made. The apps run as root with a shell and apt; each comes out hardened,
//! passes the smoke test against its original, runs as 65532 on a read-only root,
//! scores at least 95 in `buckle check` and has far fewer packages. Images buckle
//! cannot rebuild are refused with a clear error.

use crate::apt_oracle::host_mirrors;
use crate::buildah::{tool, Buildah};
use crate::cli::{Buckle, Run};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A C program linking zlib and OpenSSL's libcrypto, compiled on the host (its
/// bookworm matches the base) and copied in.
const HELLO_C: &str = r#"#include <stdio.h>
#include <zlib.h>
#include <openssl/sha.h>
int main(int argc, char **argv) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    const char *word = argc > 1 ? argv[1] : "buckle";
    SHA256((const unsigned char *)word, 6, digest);
    printf("zlib %s, sha256(%s) starts %02x%02x\n", zlibVersion(), word, digest[0], digest[1]);
    return 0;
}
"#;

const C_DOCKERFILE: &str = "FROM localhost/debian:bookworm
RUN apt-get update && apt-get install -y --no-install-recommends libssl3 curl && rm -rf /var/lib/apt/lists/*
COPY hello /usr/local/bin/hello
ENTRYPOINT [\"/usr/local/bin/hello\"]
CMD [\"buckle\"]
";

/// A Python script run through its `#!` line, using modules of the standard library
/// that load C extensions (zlib, sqlite3) and a setuid bit the rebuild must clear.
const APP_PY: &str = r#"#!/usr/bin/python3
import hashlib, json, os, sqlite3, sys, zlib
if "--whoami" in sys.argv:
    print("uid", os.getuid())
    sys.exit(0)
db = sqlite3.connect(":memory:")
db.execute("create table t (word text)")
db.execute("insert into t values (?)", (sys.argv[-1],))
word = db.execute("select word from t").fetchone()[0]
print(json.dumps({"word": word, "crc32": zlib.crc32(word.encode()), "md5": hashlib.md5(word.encode()).hexdigest()}))
"#;

const PY_DOCKERFILE: &str = "FROM localhost/debian:bookworm
RUN apt-get update && apt-get install -y --no-install-recommends python3 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY app.py /app/app.py
RUN chmod 4755 /app/app.py
EXPOSE 8080
ENV GREETING=hello
ENTRYPOINT [\"/app/app.py\"]
CMD [\"--word\", \"buckle\"]
";

/// Stubs of the images harden refuses: only what marks them matters, so they are built
/// FROM scratch from a few files.
const STUB_FILES: &[(&str, &str)] = &[
    ("alpine/etc/alpine-release", "3.20.3\n"),
    ("alpine/etc/os-release", "ID=alpine\nVERSION_ID=3.20.3\n"),
    (
        "bookworm/etc/os-release",
        "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n",
    ),
    ("bookworm/var/lib/dpkg/status", ""),
    (
        "bullseye/etc/os-release",
        "ID=debian\nVERSION_ID=\"11\"\nVERSION_CODENAME=bullseye\n",
    ),
    ("bullseye/var/lib/dpkg/status", ""),
];

/// A Dockerfile per refused image: Alpine, a release buckle does not build, and a
/// shell-form entrypoint (`/bin/sh -c`).
const STUB_DOCKERFILES: &[(&str, &str)] = &[
    ("alpine", "FROM scratch\nCOPY alpine /\nCMD [\"/bin/true\"]\n"),
    (
        "bullseye",
        "FROM scratch\nCOPY bullseye /\nCMD [\"/app/server\"]\n",
    ),
    (
        "shellform",
        "FROM scratch\nCOPY bookworm /\nENTRYPOINT /app/server --port 8080\n",
    ),
];

/// The images, built once for every test here.
struct Images {
    dir: PathBuf,
    buckle: Buckle,
    key: PathBuf,
}

impl Images {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn harden(&self, image: &str, output: &str, extra: &[&str]) -> Run {
        let image = self.path(image);
        let output = self.path(output);
        let key = self.key.to_str().unwrap();
        let mut args = vec![
            "harden",
            image.to_str().unwrap(),
            "-o",
            output.to_str().unwrap(),
            "--sign",
            key,
            "--json",
        ];
        args.extend(extra);
        self.buckle.run_with_password(Some(PASSWORD), &args)
    }
}

const PASSWORD: &str = "harden-test";

fn images() -> &'static Images {
    static IMAGES: OnceLock<Images> = OnceLock::new();
    IMAGES.get_or_init(|| {
        let dir = crate::fixture::process_dir("harden");
        let buildah = Buildah::new(&dir.join("buildah"));
        let (mirror, _) = host_mirrors();
        let base = dir.join("base.tar");
        tool(
            "mmdebstrap",
            &[
                "--variant=minbase",
                "--quiet",
                "--skip=output/dev",
                "--format=tar",
                "bookworm",
            ],
            &[base.to_str().unwrap(), &mirror],
        );
        let container = buildah.run(&["from", "scratch"]).trim().to_owned();
        buildah.run(&["add", &container, base.to_str().unwrap(), "/"]);
        buildah.run(&["config", "--cmd", "[\"bash\"]", &container]);
        buildah.run(&["commit", "-q", "--rm", &container, "localhost/debian:bookworm"]);
        std::fs::remove_file(&base).unwrap();

        let c = dir.join("c-context");
        std::fs::create_dir_all(&c).unwrap();
        std::fs::write(c.join("hello.c"), HELLO_C).unwrap();
        tool(
            "gcc",
            &["-O2", "-o"],
            &[
                c.join("hello").to_str().unwrap(),
                c.join("hello.c").to_str().unwrap(),
                "-lz",
                "-lcrypto",
            ],
        );
        buildah.bud(&c, C_DOCKERFILE, "capp");
        buildah.push(
            "localhost/capp",
            &format!("oci:{}:latest", dir.join("capp").display()),
        );

        let py = dir.join("py-context");
        std::fs::create_dir_all(&py).unwrap();
        std::fs::write(py.join("app.py"), APP_PY).unwrap();
        buildah.bud(&py, PY_DOCKERFILE, "pyapp");
        buildah.push(
            "localhost/pyapp",
            &format!(
                "docker-archive:{}:localhost/pyapp:latest",
                dir.join("pyapp.tar").display()
            ),
        );

        let stubs = dir.join("stub-context");
        for (path, text) in STUB_FILES {
            let path = stubs.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        for (name, dockerfile) in STUB_DOCKERFILES {
            buildah.bud(&stubs, dockerfile, name);
            buildah.push(
                &format!("localhost/{name}"),
                &format!("oci:{}:latest", dir.join(name).display()),
            );
        }
        // A Windows image: buildah's config says so.
        let windows = buildah.run(&["from", "localhost/alpine"]).trim().to_owned();
        buildah.run(&["config", "--os", "windows", &windows]);
        buildah.run(&["commit", "-q", "--rm", &windows, "localhost/windows"]);
        buildah.push(
            "localhost/windows",
            &format!("oci:{}:latest", dir.join("windows").display()),
        );
        buildah.clean();

        let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("buckle-cache");
        let buckle = Buckle::new(&dir, &cache);
        let key = dir.join("harden");
        buckle
            .run_with_password(Some(PASSWORD), &["keygen", "-o", key.to_str().unwrap()])
            .ok();
        Images {
            dir,
            buckle,
            key: key.with_extension("key"),
        }
    })
}

/// What every hardened app must show: same behaviour as the original, far fewer
/// packages, the score, no shell, no package manager, non-root.
fn assert_hardened(images: &Images, report: &Value, output: &str) {
    // The figures of docs/retrofit.md (`--nocapture` shows them).
    eprintln!("{output}: before {} after {}", report["before"], report["after"]);
    let before = report["before"]["packages"].as_u64().unwrap();
    let after = report["after"]["packages"].as_u64().unwrap();
    assert!(after * 3 < before, "{after} packages of {before}: {report:#}");
    assert!(report["after"]["size"].as_u64() < report["before"]["size"].as_u64());
    assert!(report["after"]["score"].as_u64().unwrap() >= 95, "{report:#}");
    let removed: Vec<&str> = report["removed_packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["package"].as_str().unwrap())
        .collect();
    for gone in ["bash", "dash", "apt", "dpkg"] {
        assert!(removed.contains(&gone), "{gone} is still there: {report:#}");
    }
    let check = images
        .buckle
        .run(&["check", images.path(output).to_str().unwrap(), "--json"])
        .ok();
    assert!(check.json()["score"].as_u64().unwrap() >= 95, "{}", check.stdout);
    for rule in [
        "BKL-USER-ROOT",
        "BKL-SHELL",
        "BKL-PACKAGE-MANAGER",
        "BKL-SETUID",
        "BKL-ENTRYPOINT-SHELL",
    ] {
        assert_eq!(check.check_status(rule), "pass", "{rule}: {}", check.stdout);
    }
    let inspect = images
        .buckle
        .run(&["inspect", images.path(output).to_str().unwrap(), "--json"])
        .ok()
        .json();
    assert_eq!(inspect["user"], "65532:65532", "{inspect:#}");
}

#[test]
fn a_c_program_linking_zlib_and_libcrypto_keeps_only_their_packages() {
    let images = images();
    let run = images.harden("capp", "capp-hardened", &[]).ok();
    let report = run.json();
    assert_hardened(images, &report, "capp-hardened");
    assert!(
        report["smoke_test"]["output"]
            .as_str()
            .unwrap()
            .starts_with("zlib 1.2.13, sha256(buckle) starts "),
        "{report:#}"
    );
    assert_eq!(report["smoke_test"]["exit_code"], 0);
    let roots: Vec<&str> = report["roots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["package"].as_str().unwrap())
        .collect();
    for needed in ["libc6", "libssl3", "zlib1g"] {
        assert!(roots.contains(&needed), "{needed} missing from {roots:?}");
    }
    assert!(
        !roots.contains(&"curl"),
        "nothing of the app needs curl: {roots:?}"
    );
}

#[test]
fn a_python_script_app_keeps_its_interpreter_config_and_files_without_setuid() {
    let images = images();
    let run = images.harden("pyapp.tar", "pyapp-hardened", &[]).ok();
    let report = run.json();
    assert_hardened(images, &report, "pyapp-hardened");
    let output = report["smoke_test"]["output"].as_str().unwrap();
    assert!(output.contains("\"word\": \"buckle\""), "{report:#}");
    assert_eq!(report["special_bits_cleared"], serde_json::json!(["/app/app.py"]));
    let roots = report["roots"].to_string();
    assert!(roots.contains("the interpreter of /app/app.py"), "{roots}");
    let inspect = images
        .buckle
        .run(&[
            "inspect",
            images.path("pyapp-hardened").to_str().unwrap(),
            "--json",
        ])
        .ok()
        .json();
    let text = inspect.to_string();
    for kept in ["/app/app.py", "--word", "GREETING=hello", "8080/tcp", "\"/app\""] {
        assert!(text.contains(kept), "{kept} is not in the config: {inspect:#}");
    }

    // The smoke test's own command, which behaves differently as root and as 65532:
    // the command fails and writes nothing.
    let differs = images
        .harden(
            "pyapp.tar",
            "pyapp-whoami",
            &["--test", r#"["/app/app.py","--whoami"]"#],
        )
        .fails_with(1);
    assert!(
        differs.stderr.contains("uid 0") && differs.stderr.contains("uid 65532"),
        "{}",
        differs.stderr
    );
    assert!(!images.path("pyapp-whoami").exists());
}

#[test]
fn images_buckle_cannot_rebuild_are_refused_with_the_reason() {
    let images = images();
    for (image, expected) in [
        ("alpine", "is an Alpine image"),
        ("windows", "is a `windows` image"),
        ("shellform", "needs a shell: it is in shell form"),
        (
            "bullseye",
            "is Debian `bullseye`, a release buckle does not build",
        ),
    ] {
        let output = format!("{image}-hardened");
        let run = images.harden(image, &output, &[]).fails_with(2);
        assert!(run.stderr.contains(expected), "{image}: {}", run.stderr);
        assert!(!images.path(&output).exists());
    }
}
