//! `deploy lint` on a corpus the test writes: compliant workloads of every kind, and
//! one broken manifest per rule.

use buckle_deploy::lint::{lint_paths, rules, LintReport};
use serde_yaml::Value;
use std::path::{Path, PathBuf};

const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// A compliant pod spec: what `buckle deploy` writes.
fn pod_spec(long_running: bool) -> Value {
    let probes = if long_running {
        "
    livenessProbe: {tcpSocket: {port: 8080}}
    readinessProbe: {tcpSocket: {port: 8080}}"
    } else {
        ""
    };
    serde_yaml::from_str(&format!(
        "
automountServiceAccountToken: false
securityContext:
  runAsNonRoot: true
  runAsUser: 65532
  runAsGroup: 65532
  fsGroup: 65532
  seccompProfile: {{type: RuntimeDefault}}
containers:
  - name: app
    image: registry.example/python@{DIGEST}
    imagePullPolicy: Always
    ports: [{{containerPort: 8080, name: http}}]
    securityContext:
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      runAsNonRoot: true
      runAsUser: 65532
      capabilities: {{drop: [ALL]}}
      seccompProfile: {{type: RuntimeDefault}}
    resources:
      requests: {{cpu: 100m, memory: 128Mi}}
      limits: {{cpu: 500m, memory: 256Mi}}{probes}
    volumeMounts: [{{name: tmp, mountPath: /tmp}}]
volumes: [{{name: tmp, emptyDir: {{sizeLimit: 64Mi}}}}]
"
    ))
    .unwrap()
}

/// A compliant object of `kind` around the pod spec.
pub fn workload(kind: &str) -> Value {
    let metadata: Value = serde_yaml::from_str("{name: app, namespace: apps, labels: {app: app}}").unwrap();
    let template = |long_running| {
        let mut template: Value = serde_yaml::from_str("metadata: {labels: {app: app}}").unwrap();
        template["spec"] = pod_spec(long_running);
        template
    };
    let mut object: Value = serde_yaml::from_str(&format!("{{apiVersion: v1, kind: {kind}}}")).unwrap();
    object["metadata"] = metadata;
    match kind {
        "Pod" => {
            object["spec"] = pod_spec(true);
        }
        "Deployment" | "StatefulSet" | "DaemonSet" => {
            object["apiVersion"] = "apps/v1".into();
            let mut spec: Value = serde_yaml::from_str("selector: {matchLabels: {app: app}}").unwrap();
            spec["template"] = template(true);
            object["spec"] = spec;
        }
        "Job" => {
            object["apiVersion"] = "batch/v1".into();
            let mut template = template(false);
            template["spec"]["restartPolicy"] = "Never".into();
            object["spec"] = serde_yaml::from_str("{}").unwrap();
            object["spec"]["template"] = template;
        }
        "CronJob" => {
            object["apiVersion"] = "batch/v1".into();
            let mut template = template(false);
            template["spec"]["restartPolicy"] = "Never".into();
            object["spec"] =
                serde_yaml::from_str("{schedule: '0 3 * * *', jobTemplate: {spec: {}}}").unwrap();
            object["spec"]["jobTemplate"]["spec"]["template"] = template;
        }
        other => panic!("no test workload for {other}"),
    }
    object
}

/// The pod spec of a workload.
pub fn pod_of(object: &mut Value) -> &mut Value {
    match object["kind"].as_str().unwrap() {
        "Pod" => &mut object["spec"],
        "CronJob" => &mut object["spec"]["jobTemplate"]["spec"]["template"]["spec"],
        _ => &mut object["spec"]["template"]["spec"],
    }
}

fn set(target: &mut Value, path: &str, yaml: &str) {
    let mut at = target;
    for key in path.split('.') {
        at = match key.parse::<usize>() {
            Ok(i) => &mut at[i],
            Err(_) => &mut at[key],
        };
    }
    *at = serde_yaml::from_str(yaml).unwrap();
}

fn remove(target: &mut Value, path: &str) {
    let (parent, key) = path.rsplit_once('.').unwrap_or(("", path));
    let mut at = target;
    for part in parent.split('.').filter(|p| !p.is_empty()) {
        at = match part.parse::<usize>() {
            Ok(i) => &mut at[i],
            Err(_) => &mut at[part],
        };
    }
    at.as_mapping_mut()
        .unwrap()
        .remove(key)
        .unwrap_or_else(|| panic!("no {path}"));
}

/// One corpus entry: a file name, the manifest, and the rules it must break (empty for
/// a compliant one).
pub struct Case {
    pub name: String,
    pub manifest: Value,
    pub broken: Vec<&'static str>,
}

/// The corpus: compliant workloads of every kind, then one manifest per rule (a few
/// rules also on a CronJob and a Pod, whose pod specs sit elsewhere), each breaking
/// that rule (and, where the API makes two go together, the second).
pub fn corpus() -> Vec<Case> {
    let mut cases: Vec<Case> = ["Pod", "Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"]
        .into_iter()
        .map(|kind| Case {
            name: format!("compliant-{}", kind.to_lowercase()),
            manifest: workload(kind),
            broken: vec![],
        })
        .collect();
    type Mutation = fn(&mut Value);
    let broken: Vec<(&str, &str, Vec<&'static str>, Mutation)> = vec![
        ("host-process", "Deployment", vec!["PSS-HOST-PROCESS"], |p| {
            set(
                p,
                "containers.0.securityContext.windowsOptions",
                "{hostProcess: true}",
            )
        }),
        ("host-network", "Deployment", vec!["PSS-HOST-NAMESPACES"], |p| {
            set(p, "hostNetwork", "true")
        }),
        ("host-pid", "CronJob", vec!["PSS-HOST-NAMESPACES"], |p| {
            set(p, "hostPID", "true")
        }),
        ("host-ipc", "Pod", vec!["PSS-HOST-NAMESPACES"], |p| {
            set(p, "hostIPC", "true")
        }),
        ("pod-probes", "Pod", vec!["BKL-K8S-PROBES"], |p| {
            remove(p, "containers.0.readinessProbe")
        }),
        (
            "privileged",
            "Deployment",
            vec!["PSS-PRIVILEGED", "PSS-PRIVILEGE-ESCALATION"],
            |p| {
                set(p, "containers.0.securityContext.privileged", "true");
                set(p, "containers.0.securityContext.allowPrivilegeEscalation", "true");
            },
        ),
        (
            "privileged-pod",
            "Pod",
            vec!["PSS-PRIVILEGED", "PSS-PRIVILEGE-ESCALATION"],
            |p| {
                set(p, "containers.0.securityContext.privileged", "true");
                set(p, "containers.0.securityContext.allowPrivilegeEscalation", "true");
            },
        ),
        (
            "capabilities-not-dropped",
            "Deployment",
            vec!["PSS-CAPABILITIES"],
            |p| remove(p, "containers.0.securityContext.capabilities.drop"),
        ),
        ("capability-added", "Deployment", vec!["PSS-CAPABILITIES"], |p| {
            set(p, "containers.0.securityContext.capabilities.add", "[SYS_ADMIN]")
        }),
        (
            "host-path",
            "Deployment",
            vec!["PSS-HOST-PATH", "PSS-VOLUME-TYPES"],
            |p| {
                set(
                    p,
                    "volumes.0",
                    "{name: tmp, hostPath: {path: /var/run/docker.sock}}",
                )
            },
        ),
        ("host-port", "Deployment", vec!["PSS-HOST-PORTS"], |p| {
            set(p, "containers.0.ports.0.hostPort", "8080")
        }),
        ("apparmor", "Deployment", vec!["PSS-APPARMOR"], |p| {
            set(
                p,
                "containers.0.securityContext.appArmorProfile",
                "{type: Unconfined}",
            )
        }),
        ("selinux", "Deployment", vec!["PSS-SELINUX"], |p| {
            set(
                p,
                "securityContext.seLinuxOptions",
                "{user: system_u, type: spc_t}",
            )
        }),
        ("proc-mount", "Deployment", vec!["PSS-PROC-MOUNT"], |p| {
            set(p, "containers.0.securityContext.procMount", "Unmasked")
        }),
        ("seccomp-missing", "Deployment", vec!["PSS-SECCOMP"], |p| {
            remove(p, "securityContext.seccompProfile");
            remove(p, "containers.0.securityContext.seccompProfile");
        }),
        ("seccomp-unconfined", "CronJob", vec!["PSS-SECCOMP"], |p| {
            set(p, "securityContext.seccompProfile", "{type: Unconfined}");
            set(
                p,
                "containers.0.securityContext.seccompProfile",
                "{type: Unconfined}",
            );
        }),
        ("sysctl", "Deployment", vec!["PSS-SYSCTLS"], |p| {
            set(
                p,
                "securityContext.sysctls",
                "[{name: kernel.msgmax, value: '65536'}]",
            )
        }),
        ("volume-type", "Deployment", vec!["PSS-VOLUME-TYPES"], |p| {
            set(p, "volumes.0", "{name: tmp, nfs: {server: nfs.example, path: /}}")
        }),
        (
            "privilege-escalation",
            "Deployment",
            vec!["PSS-PRIVILEGE-ESCALATION"],
            |p| set(p, "containers.0.securityContext.allowPrivilegeEscalation", "true"),
        ),
        (
            "run-as-non-root",
            "Deployment",
            vec!["PSS-RUN-AS-NON-ROOT"],
            |p| {
                remove(p, "securityContext.runAsNonRoot");
                remove(p, "containers.0.securityContext.runAsNonRoot");
            },
        ),
        (
            "run-as-root",
            "Job",
            vec!["PSS-RUN-AS-USER", "PSS-RUN-AS-NON-ROOT"],
            |p| {
                set(p, "securityContext.runAsUser", "0");
                set(p, "securityContext.runAsNonRoot", "false");
                set(p, "containers.0.securityContext.runAsUser", "0");
                set(p, "containers.0.securityContext.runAsNonRoot", "false");
            },
        ),
        (
            "writable-root",
            "Deployment",
            vec!["BKL-K8S-READ-ONLY-ROOT"],
            |p| set(p, "containers.0.securityContext.readOnlyRootFilesystem", "false"),
        ),
        ("token", "Deployment", vec!["BKL-K8S-TOKEN"], |p| {
            remove(p, "automountServiceAccountToken")
        }),
        ("tag", "Deployment", vec!["BKL-K8S-DIGEST"], |p| {
            set(p, "containers.0.image", "registry.example/python:3")
        }),
        ("resources", "Deployment", vec!["BKL-K8S-RESOURCES"], |p| {
            remove(p, "containers.0.resources")
        }),
        ("probes", "Deployment", vec!["BKL-K8S-PROBES"], |p| {
            remove(p, "containers.0.livenessProbe");
            remove(p, "containers.0.readinessProbe");
        }),
    ];
    for (name, kind, rules, mutate) in broken {
        let mut manifest = workload(kind);
        mutate(pod_of(&mut manifest));
        cases.push(Case {
            name: name.to_owned(),
            manifest,
            broken: rules,
        });
    }
    cases
}

/// Writes the corpus to `dir`, one file per case; returns the files.
pub fn write_corpus(dir: &Path) -> Vec<(PathBuf, Case)> {
    corpus()
        .into_iter()
        .map(|case| {
            let path = dir.join(format!("{}.yaml", case.name));
            std::fs::write(&path, serde_yaml::to_string(&case.manifest).unwrap()).unwrap();
            (path, case)
        })
        .collect()
}

/// The rules `report` found broken in `file`.
pub fn broken_in(report: &LintReport, file: &Path) -> Vec<&'static str> {
    let file = file.display().to_string();
    let mut found: Vec<&'static str> = report
        .findings
        .iter()
        .filter(|f| f.file == file)
        .map(|f| f.rule)
        .collect();
    found.sort();
    found.dedup();
    found
}

#[test]
fn every_rule_is_caught_and_compliant_workloads_of_every_kind_pass() {
    let dir = tempfile::tempdir().unwrap();
    let cases = write_corpus(dir.path());
    let report = lint_paths(&[dir.path().to_owned()]).unwrap();
    assert_eq!(report.files.len(), cases.len());
    assert_eq!(report.workloads.len(), cases.len());
    for (path, case) in &cases {
        let mut expected = case.broken.clone();
        expected.sort();
        assert_eq!(broken_in(&report, path), expected, "{}", case.name);
    }
    let covered: std::collections::BTreeSet<&str> =
        cases.iter().flat_map(|(_, c)| c.broken.iter().copied()).collect();
    for rule in rules::ALL {
        assert!(covered.contains(rule.id), "no corpus manifest breaks {}", rule.id);
    }
}

#[test]
fn findings_name_the_file_document_object_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let mut cronjob = workload("CronJob");
    set(
        pod_of(&mut cronjob),
        "containers.0.securityContext.privileged",
        "true",
    );
    let text = format!(
        "{}---\n{}",
        serde_yaml::to_string(&workload("Deployment")).unwrap(),
        serde_yaml::to_string(&cronjob).unwrap()
    );
    let file = dir.path().join("two.yaml");
    std::fs::write(&file, text).unwrap();
    let report = lint_paths(std::slice::from_ref(&file)).unwrap();
    let privileged = report
        .findings
        .iter()
        .find(|f| f.rule == "PSS-PRIVILEGED")
        .unwrap();
    assert_eq!(privileged.document, 2);
    assert_eq!(privileged.object, "CronJob/app");
    assert_eq!(
        privileged.field,
        "spec.jobTemplate.spec.template.spec.containers[0].securityContext.privileged"
    );
    assert_eq!(privileged.file, file.display().to_string());
    let sarif = report.to_sarif();
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "PSS-PRIVILEGED");
    assert_eq!(result["level"], "error");
    assert!(
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .ends_with("two.yaml")
    );
    let index = result["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(
        sarif["runs"][0]["tool"]["driver"]["rules"][index]["id"],
        "PSS-PRIVILEGED"
    );
}

#[test]
fn kustomize_patches_in_a_directory_are_left_out_and_bad_yaml_is_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("patches")).unwrap();
    std::fs::write(
        dir.path().join("kustomization.yaml"),
        "resources: [app.yaml]\npatches:\n  - path: patches/replicas.yaml\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("patches/replicas.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\nspec: {replicas: 3}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("app.yaml"),
        serde_yaml::to_string(&workload("Deployment")).unwrap(),
    )
    .unwrap();
    let report = lint_paths(&[dir.path().to_owned()]).unwrap();
    assert!(report.passed(), "{:?}", report.findings);
    assert_eq!(report.workloads.len(), 1);

    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "kind: Pod\n---\nkind: [unclosed\n").unwrap();
    let error = lint_paths(&[bad]).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("bad.yaml` (document 2) is not valid YAML"),
        "{error}"
    );
}
