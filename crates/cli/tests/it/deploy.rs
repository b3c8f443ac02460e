//! `buckle deploy`, `buckle deploy lint`, `buckle factory k8s` and `buckle update
//! --shard` as users run them, on images built from the generated archive.

use crate::fixture::Fixture;
use crate::update::catalog;
use serde_json::Value;

/// A manifest that breaks the restricted profile twice.
const PRIVILEGED_POD: &str = "\
apiVersion: v1
kind: Pod
metadata: {name: debug}
spec:
  hostNetwork: true
  containers:
    - name: shell
      image: debian:latest
      securityContext: {privileged: true}
";

#[test]
fn deploy_writes_a_base_that_deploy_lint_passes_and_lint_fails_a_privileged_pod() {
    let fixture = Fixture::new();
    fixture
        .buckle
        .run(&["build", "hello.toml", "-o", "out/hello"])
        .ok();
    let written = fixture
        .buckle
        .run(&[
            "--json",
            "deploy",
            "out/hello",
            "--name",
            "hello",
            "--port",
            "80",
            "-o",
            "deploy",
        ])
        .ok()
        .json();
    let notes = written["notes"].to_string();
    assert!(
        notes.contains("NET_BIND_SERVICE"),
        "port 80 is said out loud: {notes}"
    );
    assert!(written["image"].as_str().unwrap().starts_with("hello@sha256:"));
    let deployment = fixture.read("deploy/deployment.yaml");
    assert!(
        deployment.contains("readOnlyRootFilesystem: true"),
        "{deployment}"
    );
    fixture.buckle.run(&["deploy", "lint", "deploy"]).ok();

    std::fs::write(fixture.path("pod.yaml"), PRIVILEGED_POD).unwrap();
    let human = fixture
        .buckle
        .run(&["deploy", "lint", "deploy", "pod.yaml"])
        .fails_with(1);
    assert!(
        human.stdout.contains("pod.yaml:1 Pod/debug PSS-PRIVILEGED"),
        "{}",
        human.stdout
    );
    assert!(
        human
            .stdout
            .contains("spec.containers[0].securityContext.privileged"),
        "{}",
        human.stdout
    );
    assert!(human.stdout.contains("spec.hostNetwork"), "{}", human.stdout);
    let json = fixture
        .buckle
        .run(&["--json", "deploy", "lint", "pod.yaml"])
        .fails_with(1)
        .json();
    let rules: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    for rule in [
        "PSS-HOST-NAMESPACES",
        "PSS-PRIVILEGED",
        "PSS-CAPABILITIES",
        "BKL-K8S-DIGEST",
    ] {
        assert!(rules.contains(&rule), "{rule}: {rules:?}");
    }
    let sarif: Value = serde_json::from_str(
        &fixture
            .buckle
            .run(&["deploy", "lint", "--sarif", "pod.yaml"])
            .fails_with(1)
            .stdout,
    )
    .unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), rules.len());

    let missing = fixture
        .buckle
        .run(&["deploy", "out/nothing", "--name", "x"])
        .fails_with(2);
    assert!(missing.stderr.contains("hint:"), "{}", missing.stderr);
}

#[test]
fn factory_k8s_writes_the_sharded_job_and_update_shards_split_the_catalog() {
    let fixture = catalog();
    fixture
        .buckle
        .run(&["build", "catalog/hello.toml", "-o", "out/buckle"])
        .ok();
    let mirror = "http://127.0.0.1:9/debian";
    fixture
        .buckle
        .run(&[
            "--mirror",
            mirror,
            "factory",
            "k8s",
            "catalog",
            "--registry",
            "127.0.0.1:5000/hardened",
            "--shards",
            "2",
            "-o",
            "factory",
        ])
        .ok();
    let cronjob = fixture.read("factory/k8s/cronjob.yaml");
    assert!(cronjob.contains("$(JOB_COMPLETION_INDEX)/2"), "{cronjob}");
    assert!(cronjob.contains(mirror), "the pods get the mirror: {cronjob}");
    assert!(fixture.read("factory/github/buckle-factory.yml").contains("- 1"));
    fixture.buckle.run(&["deploy", "lint", "factory/k8s"]).ok();

    // Dry runs of each shard: together the catalog, no image twice.
    let mut seen: Vec<String> = Vec::new();
    for shard in ["0/2", "1/2"] {
        let report = fixture
            .buckle
            .run(&["--json", "update", "catalog", "--shard", shard])
            .ok()
            .json();
        let mut images: Vec<String> = report["unchanged"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i.as_str().unwrap().to_owned())
            .collect();
        assert!(!images.is_empty(), "{shard}: {report:#}");
        seen.append(&mut images);
    }
    seen.sort();
    assert_eq!(
        seen,
        ["foo", "foo-dev", "hello", "hello-dev", "plain", "plain-dev"]
    );
    let bad = fixture
        .buckle
        .run(&["update", "catalog", "--shard", "2/2"])
        .fails_with(2);
    assert!(
        bad.stderr.contains("INDEX runs from 0 to COUNT - 1"),
        "{}",
        bad.stderr
    );
}

#[cfg(feature = "registry")]
mod sharded {
    use super::*;
    use crate::fixture::packages;
    use crate::update::publishing::{latest_digest, publish_state_1};
    use buckle_testkit::registry::DockerRegistry;
    use std::time::Instant;

    /// N = 3 workers run their shards of `update --rebuild --push` at once against one
    /// registry after the archive gains a fix: every changed image is rebuilt by exactly
    /// one of them, no blob is uploaded twice to a repository, and what they pushed is
    /// what one process rebuilding alone makes.
    #[test]
    fn three_shards_rebuild_each_changed_image_exactly_once_with_the_single_process_digests() {
        let fixture = catalog();
        let registry = DockerRegistry::start();
        publish_state_1(&fixture, &registry);
        fixture.republish_now(packages(2));
        let prefix = format!("{}/hardened", registry.address);
        let uploads_before = registry.blob_uploads().len();
        let started = Instant::now();
        let workers: Vec<_> = (0..3)
            .map(|i| {
                let out = format!("out-{i}");
                let locks = format!("locks-{i}");
                std::fs::create_dir_all(fixture.path(&locks)).unwrap();
                fixture
                    .buckle
                    .command()
                    .args([
                        "--json",
                        "update",
                        "catalog",
                        "--rebuild",
                        "--variant",
                        "runtime",
                        "--insecure",
                        "--push",
                        &prefix,
                    ])
                    .args([
                        "--shard",
                        &format!("{i}/3"),
                        "--output-dir",
                        &out,
                        "--lock-dir",
                        &locks,
                    ])
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let workers: Vec<_> = workers
            .into_iter()
            .map(|w| w.wait_with_output().unwrap())
            .collect();
        eprintln!("3 shards at once: {:?}", started.elapsed());
        let mut published: Vec<String> = Vec::new();
        for (i, output) in workers.iter().enumerate() {
            assert!(
                output.status.success(),
                "shard {i}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            let report: Value = serde_json::from_slice(&output.stdout).unwrap();
            published.extend(
                report["published"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a["image"].as_str().unwrap().to_owned()),
            );
        }
        published.sort();
        assert_eq!(
            published,
            ["foo", "hello"],
            "each changed image rebuilt by exactly one shard"
        );
        let uploads = &registry.blob_uploads()[uploads_before..];
        let mut seen = std::collections::BTreeSet::new();
        for upload in uploads {
            assert!(seen.insert(upload), "{upload:?} uploaded twice by the shards");
        }
        assert!(
            seen.iter().any(|(repository, _)| repository == "hardened/foo"),
            "the access log shows the shards' uploads: {uploads:?}"
        );

        // One process, alone, from the locks the shards wrote: the same digests.
        for name in ["foo", "hello"] {
            let lock = (0..3)
                .map(|i| fixture.path(&format!("locks-{i}/{name}.lock")))
                .find(|p| p.exists())
                .unwrap();
            std::fs::copy(lock, fixture.path(&format!("catalog/{name}.lock"))).unwrap();
            let single = format!("single/{name}");
            fixture
                .buckle
                .run(&[
                    "build",
                    &format!("catalog/{name}.toml"),
                    "--variant",
                    "runtime",
                    "-o",
                    &single,
                ])
                .ok();
            let target = format!("{}/{single}:latest", registry.address);
            fixture.buckle.run(&["push", "--insecure", &single, &target]).ok();
            assert_eq!(
                latest_digest(&registry, &single),
                latest_digest(&registry, &format!("hardened/{name}")),
                "{name}"
            );
        }
    }
}
