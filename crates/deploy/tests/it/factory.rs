//! `generate_factory`: the CronJob of an Indexed Job, hardened, and the matching
//! GitHub Actions matrix.

use crate::support::TestImage;
use buckle_deploy::factory::{generate_factory, read_catalog, FactoryOptions};
use buckle_deploy::{Files, ImageFacts};
use serde_yaml::Value;
use std::path::Path;

pub fn options() -> FactoryOptions {
    FactoryOptions {
        shards: 3,
        registry: "registry.example:5000/hardened".into(),
        schedule: "0 3 * * *".into(),
        namespace: "buckle-factory".into(),
        image_name: "buckle".into(),
        repository: Some("registry.example:5000/hardened/buckle".into()),
        catalog_dir: "catalog".into(),
        mirror: "http://mirror.invalid/debian".into(),
        security_mirror: "http://mirror.invalid/debian-security".into(),
    }
}

/// A small catalog: two specs, a lock, a nested file.
pub fn write_catalog(dir: &Path) {
    std::fs::create_dir_all(dir.join("files/nginx")).unwrap();
    std::fs::write(
        dir.join("python.toml"),
        "name = \"python\"\npackages = [\"python3\"]\n",
    )
    .unwrap();
    std::fs::write(dir.join("python.lock"), "# lock\n").unwrap();
    std::fs::write(
        dir.join("nginx.toml"),
        "name = \"nginx\"\npackages = [\"nginx\"]\n",
    )
    .unwrap();
    std::fs::write(dir.join("files/nginx/nginx.conf"), "worker_processes 1;\n").unwrap();
}

/// The factory for a test buckle image and catalog.
pub fn factory(dir: &Path) -> (Files, String) {
    let layout = dir.join("buckle");
    let (index, _) = TestImage {
        ports: vec![],
        volumes: vec![],
        ..TestImage::default()
    }
    .write(&layout);
    let buckle = ImageFacts::from_layout(layout.to_str().unwrap()).unwrap();
    write_catalog(&dir.join("catalog"));
    let catalog = read_catalog(&dir.join("catalog")).unwrap();
    (generate_factory(&buckle, &catalog, &options()).unwrap(), index)
}

#[test]
fn each_pod_of_the_indexed_job_runs_its_own_shard_hardened() {
    let dir = tempfile::tempdir().unwrap();
    let (files, index) = factory(dir.path());
    let cronjob: Value = serde_yaml::from_str(files.get("k8s/cronjob.yaml").unwrap()).unwrap();
    assert_eq!(cronjob["spec"]["concurrencyPolicy"].as_str(), Some("Forbid"));
    assert_eq!(cronjob["spec"]["schedule"].as_str(), Some("0 3 * * *"));
    let job = &cronjob["spec"]["jobTemplate"]["spec"];
    assert_eq!(job["completionMode"].as_str(), Some("Indexed"));
    assert_eq!(job["completions"].as_u64(), Some(3));
    assert_eq!(job["parallelism"].as_u64(), Some(3));
    assert!(job["backoffLimitPerIndex"].as_u64().is_some());
    let pod = &job["template"]["spec"];
    let container = &pod["containers"][0];
    assert_eq!(container["image"].as_str().unwrap(), format!("buckle@{index}"));
    let args: Vec<&str> = container["args"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(
        args,
        [
            "update",
            "/catalog",
            "--rebuild",
            "--push",
            "registry.example:5000/hardened",
            "--shard",
            "$(JOB_COMPLETION_INDEX)/3",
            "--output-dir",
            "/work/out",
            "--lock-dir",
            "/work/locks"
        ]
    );
    let index_var = container["env"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "JOB_COMPLETION_INDEX")
        .unwrap();
    assert!(index_var["valueFrom"]["fieldRef"]["fieldPath"]
        .as_str()
        .unwrap()
        .contains("job-completion-index"));
    assert_eq!(pod["restartPolicy"].as_str(), Some("Never"));
    assert_eq!(pod["automountServiceAccountToken"], Value::Bool(false));
    assert_eq!(
        container["securityContext"]["readOnlyRootFilesystem"],
        Value::Bool(true)
    );
    assert_eq!(
        container["securityContext"]["capabilities"]["drop"][0].as_str(),
        Some("ALL")
    );
    // The catalog's nested file comes back at its path.
    let catalog = pod["volumes"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "catalog")
        .unwrap();
    assert!(catalog["projected"]["sources"][0]["configMap"]["items"]
        .as_sequence()
        .unwrap()
        .iter()
        .any(|i| i["path"] == "files/nginx/nginx.conf" && i["key"] == "files..nginx..nginx.conf"));
    assert_eq!(
        files.get("k8s/catalog/files/nginx/nginx.conf"),
        Some("worker_processes 1;\n")
    );
    let policy: Value = serde_yaml::from_str(files.get("k8s/networkpolicy.yaml").unwrap()).unwrap();
    assert_eq!(
        policy["spec"]["ingress"].as_sequence().map(Vec::len),
        Some(0),
        "no ingress at all"
    );
    let ports: Vec<u64> = policy["spec"]["egress"][1]["ports"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|p| p["port"].as_u64().unwrap())
        .collect();
    assert_eq!(ports, [80, 443, 5000], "mirror and registry only");
}

#[test]
fn the_workflow_runs_the_same_shards_as_a_matrix() {
    let dir = tempfile::tempdir().unwrap();
    let (files, index) = factory(dir.path());
    let workflow: Value = serde_yaml::from_str(files.get("github/buckle-factory.yml").unwrap()).unwrap();
    let job = &workflow["jobs"]["update"];
    assert_eq!(
        job["strategy"]["matrix"]["shard"],
        serde_yaml::from_str::<Value>("[0, 1, 2]").unwrap()
    );
    assert_eq!(workflow["on"]["schedule"][0]["cron"].as_str(), Some("0 3 * * *"));
    assert_eq!(workflow["concurrency"]["cancel-in-progress"], Value::Bool(false));
    let run = job["steps"][1]["run"].as_str().unwrap();
    assert!(
        run.contains(&format!(
            "registry.example:5000/hardened/buckle@{index} update /catalog --rebuild"
        )),
        "{run}"
    );
    assert!(run.contains("--shard ${{ matrix.shard }}/3"), "{run}");
    for hardening in [
        "--read-only",
        "--cap-drop ALL",
        "no-new-privileges",
        ":/catalog:ro",
    ] {
        assert!(run.contains(hardening), "{hardening}: {run}");
    }
}

#[test]
fn a_catalog_larger_than_a_config_map_is_dealt_into_several_seen_as_one_directory() {
    let dir = tempfile::tempdir().unwrap();
    let (small, _) = factory(dir.path());
    let layout = dir.path().join("buckle");
    let buckle = ImageFacts::from_layout(layout.to_str().unwrap()).unwrap();
    // Three locks of 400 KB: two fit in the first ConfigMap, the third needs another.
    let lock = format!("# lock\n{}\n", "x".repeat(400 * 1000));
    for name in ["a", "b", "c"] {
        std::fs::write(dir.path().join(format!("catalog/{name}.lock")), &lock).unwrap();
    }
    let catalog = read_catalog(&dir.path().join("catalog")).unwrap();
    let files = generate_factory(&buckle, &catalog, &options()).unwrap();

    let kustomization: Value = serde_yaml::from_str(files.get("k8s/kustomization.yaml").unwrap()).unwrap();
    let generators = kustomization["configMapGenerator"].as_sequence().unwrap();
    let names: Vec<&str> = generators.iter().map(|g| g["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["buckle-catalog", "buckle-catalog-1"]);
    let cronjob: Value = serde_yaml::from_str(files.get("k8s/cronjob.yaml").unwrap()).unwrap();
    let volume = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["volumes"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "catalog")
        .unwrap()
        .clone();
    let sources = volume["projected"]["sources"].as_sequence().unwrap();
    let mut paths: Vec<&str> = Vec::new();
    for (source, generator) in sources.iter().zip(generators) {
        assert_eq!(source["configMap"]["name"], generator["name"]);
        let items = source["configMap"]["items"].as_sequence().unwrap();
        assert_eq!(items.len(), generator["files"].as_sequence().unwrap().len());
        paths.extend(items.iter().map(|i| i["path"].as_str().unwrap()));
    }
    paths.sort_unstable();
    let mut expected: Vec<&str> = catalog.iter().map(|f| f.path.as_str()).collect();
    expected.sort_unstable();
    assert_eq!(paths, expected, "every file once, at its path");
    assert!(small
        .get("k8s/kustomization.yaml")
        .unwrap()
        .contains("buckle-catalog"));

    std::fs::write(dir.path().join("catalog/huge.lock"), "x".repeat(1100 * 1000)).unwrap();
    let catalog = read_catalog(&dir.path().join("catalog")).unwrap();
    let error = generate_factory(&buckle, &catalog, &options()).unwrap_err();
    assert!(error.to_string().contains("`huge.lock` alone is"), "{error}");
}

#[test]
fn a_directory_without_specs_is_not_a_catalog() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("README.md"), "no specs").unwrap();
    let error = read_catalog(dir.path()).unwrap_err();
    assert!(error.to_string().contains("holds no spec"), "{error}");
    assert!(error.hint().unwrap().contains("catalog directory"));
}
