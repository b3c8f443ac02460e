//! `buckle migrate` against a real Dockerfile builder: the corpus's python-script
//! Dockerfile is built with buildah as written, FROM a stand-in for `python:3.12-slim`
//! (mmdebstrap bookworm with python3, from the host apt's mirror, loaded into buildah's
//! storage under that name), and as migrated, FROM the catalog's python image (the one
//! the mirror tests build, loaded as `localhost:5000/buckle/python`). Both run with runc
//! and print the same, except that the migrated one runs as 65532 on a read-only root,
//! has no shell, fails no `buckle check` rule about its contents, and once `buckle
//! sign`ed scores at least 95.

use crate::apt_oracle::host_mirrors;
use crate::cli::Buckle;
use crate::mirror::catalog;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

const APP: &str = "import json, os, sys\nprint(json.dumps({\"args\": sys.argv[1:], \"greeting\": os.environ.get(\"GREETING\"), \"cwd\": os.getcwd(), \"uid\": os.getuid()}))\n";

fn run(program: &str, args: &[&str]) -> String {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    assert!(
        output.status.success(),
        "{program} {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// buildah with its own storage under `dir`.
fn buildah(dir: &Path, args: &[&str]) -> String {
    let root = dir.join("storage").display().to_string();
    let runroot = dir.join("run").display().to_string();
    let mut all = vec!["--root", &root, "--runroot", &runroot, "--storage-driver", "vfs"];
    all.extend_from_slice(args);
    run("buildah", &all)
}

/// The image's output when runc runs it with a read-only root, and its config's user.
fn run_image(dir: &Path, image: &str) -> (String, Value) {
    let layout = dir.join(format!("layout-{image}"));
    let bundle = dir.join(format!("bundle-{image}"));
    buildah(
        dir,
        &["push", "-q", image, &format!("oci:{}:1.0", layout.display())],
    );
    run(
        "umoci",
        &[
            "unpack",
            "--image",
            &format!("{}:1.0", layout.display()),
            bundle.to_str().unwrap(),
        ],
    );
    let config_path = bundle.join("config.json");
    let mut config: Value = serde_json::from_slice(&std::fs::read(&config_path).unwrap()).unwrap();
    config["root"]["readonly"] = Value::Bool(true);
    config["process"]["terminal"] = Value::Bool(false);
    std::fs::write(&config_path, serde_json::to_vec(&config).unwrap()).unwrap();
    let id = format!("buckle-retrofit-{image}-{}", std::process::id());
    let output = Command::new("runc")
        .args(["run", "-b", bundle.to_str().unwrap(), &id])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{image} failed in runc: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    (
        String::from_utf8(output.stdout).unwrap(),
        config["process"].clone(),
    )
}

#[test]
fn a_migrated_dockerfile_builds_with_buildah_and_runs_like_the_original_as_nonroot() {
    let python = catalog().path("out/python");
    let dir = tempfile::tempdir().unwrap();
    let context = dir.path().join("context");
    std::fs::create_dir(&context).unwrap();
    let corpus =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrate/testdata/corpus/python-script.Dockerfile");
    std::fs::copy(&corpus, context.join("Dockerfile")).unwrap();
    std::fs::write(context.join("app.py"), APP).unwrap();

    let (mirror, _) = host_mirrors();
    let standin = dir.path().join("python-standin.tar");
    run(
        "mmdebstrap",
        &[
            "--variant=minbase",
            "--include=python3,python-is-python3",
            "--format=tar",
            "--quiet",
            "bookworm",
            standin.to_str().unwrap(),
            &mirror,
        ],
    );
    let container = buildah(dir.path(), &["from", "scratch"]).trim().to_owned();
    buildah(dir.path(), &["add", &container, standin.to_str().unwrap(), "/"]);
    buildah(
        dir.path(),
        &["commit", "-q", &container, "docker.io/library/python:3.12-slim"],
    );
    buildah(dir.path(), &["rm", &container]);
    std::fs::remove_file(&standin).unwrap();
    // buildah names an image pulled from a layout after its path, which must then be a
    // valid (lower-case) repository name: the temporary directory's is not.
    let link = std::env::temp_dir().join(format!("buckle-retrofit-python-{}", std::process::id()));
    std::os::unix::fs::symlink(&python, &link).unwrap();
    let pulled = buildah(dir.path(), &["pull", "-q", &format!("oci:{}", link.display())]);
    std::fs::remove_file(&link).unwrap();
    buildah(
        dir.path(),
        &["tag", pulled.trim(), "localhost:5000/buckle/python"],
    );

    Buckle::new(&context, &dir.path().join("cache"))
        .run(&["migrate", "Dockerfile", "-q"])
        .ok();
    for (file, tag) in [("Dockerfile", "original"), ("Dockerfile.buckle", "migrated")] {
        let dockerfile = context.join(file);
        buildah(
            dir.path(),
            &[
                "bud",
                "-q",
                "--isolation",
                "chroot",
                "--pull-never",
                "-t",
                tag,
                "-f",
                dockerfile.to_str().unwrap(),
                context.to_str().unwrap(),
            ],
        );
    }

    let (original, original_process) = run_image(dir.path(), "original");
    let (migrated, migrated_process) = run_image(dir.path(), "migrated");
    let original: Value = serde_json::from_str(&original).unwrap();
    let mut migrated: Value = serde_json::from_str(&migrated).unwrap();
    assert_eq!(original["uid"], 0, "the original runs as root");
    assert_eq!(migrated["uid"], 65532);
    assert_eq!(migrated_process["user"]["uid"], 65532);
    assert_eq!(
        original_process["args"][0], "/bin/sh",
        "the original's CMD is in shell form"
    );
    assert_eq!(
        migrated_process["args"],
        serde_json::json!(["python3", "app.py", "--name", "buckle"])
    );
    migrated["uid"] = original["uid"].clone();
    assert_eq!(
        migrated, original,
        "the same arguments, environment and working directory"
    );
    assert!(
        !dir.path().join("bundle-migrated/rootfs/bin/sh").exists(),
        "no shell in the migrated image"
    );

    let buckle = Buckle::new(dir.path(), &dir.path().join("cache"));
    let checked = buckle.run(&["check", "layout-migrated", "--json"]).json();
    let failing: Vec<&str> = checked["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "fail")
        .map(|f| f["rule"].as_str().unwrap())
        .filter(|rule| !rule.starts_with("BKL-ATTACH-"))
        .collect();
    assert!(
        failing.is_empty(),
        "the migrated image fails {failing:?} (only signing and SBOM attachments may be missing)"
    );

    // The builder's image, signed by buckle (signature, SBOMs, provenance): what a
    // pipeline publishes after `buildah bud`.
    buckle
        .run_with_password(Some("retrofit"), &["keygen", "-o", "signer"])
        .ok();
    buckle
        .run_with_password(
            Some("retrofit"),
            &["sign", "layout-migrated", "--key", "signer.key"],
        )
        .ok();
    let score = |layout: &str| {
        buckle.run(&["check", layout, "--json"]).json()["score"]
            .as_u64()
            .unwrap()
    };
    let (original, migrated) = (score("layout-original"), score("layout-migrated"));
    eprintln!("buckle check: original {original}, migrated and signed {migrated}");
    assert!(migrated >= 95, "the signed migrated image scores {migrated}");
    assert!(original < 50, "the original scores {original}");
}
