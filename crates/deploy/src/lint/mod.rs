//! `buckle deploy lint`: any workload manifests (Pod, Deployment, StatefulSet,
//! DaemonSet, ReplicaSet, Job, CronJob) judged against the Pod Security Standards
//! "restricted" profile, field by field as the pod-security admission controller
//! does, and buckle's hardening rules ([`rules`]). Findings name the file, the
//! document, the object and the field path.

pub mod rules;

use crate::error::{Error, Result};
use buckle_check::sarif::{self, RuleText};
use rules::Rule;
use serde::Serialize;
use serde_json::json;
use serde_yaml::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// One rule broken at one place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule's id.
    pub rule: &'static str,
    /// The manifest file.
    pub file: String,
    /// The YAML document in it, from 1.
    pub document: usize,
    /// `Kind/name`.
    pub object: String,
    /// The field path (`spec.template.spec.containers[0].securityContext.privileged`).
    pub field: String,
    /// What is wrong there.
    pub message: String,
}

/// The verdict on a set of manifests.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LintReport {
    /// The files read.
    pub files: Vec<String>,
    /// The workloads judged.
    pub workloads: Vec<String>,
    /// Every finding, by file, document and rule order.
    pub findings: Vec<Finding>,
}

impl LintReport {
    /// Whether nothing was found.
    pub fn passed(&self) -> bool {
        self.findings.is_empty()
    }

    /// The report as a SARIF 2.1.0 log (buckle's SARIF writer, as for `buckle check`):
    /// every rule, a result per finding located at its file, the field as a logical
    /// location.
    pub fn to_sarif(&self) -> serde_json::Value {
        let descriptors = rules::ALL
            .iter()
            .map(|rule| {
                let text = RuleText {
                    id: rule.id,
                    title: rule.title,
                    description: rule.description,
                    hint: rule.hint,
                    severity: rule.severity,
                    tags: vec!["kubernetes".to_owned(), format!("profile-{}", profile_name(rule))],
                };
                sarif::reporting_descriptor(&text, json!({}))
            })
            .collect();
        let results = self
            .findings
            .iter()
            .map(|finding| {
                let index = rules::ALL.iter().position(|r| r.id == finding.rule).unwrap_or_default();
                json!({
                    "ruleId": finding.rule,
                    "ruleIndex": index,
                    "level": sarif::level(rules::ALL[index].severity),
                    "message": { "text": format!("{}: {}", finding.object, finding.message) },
                    "locations": [{
                        "physicalLocation": { "artifactLocation": { "uri": sarif::relative_uri(&finding.file) } },
                        "logicalLocations": [{
                            "fullyQualifiedName": format!("{}/{}", finding.object, finding.field),
                            "kind": "property",
                        }],
                    }],
                    "properties": { "document": finding.document },
                })
            })
            .collect();
        sarif::log(descriptors, results, json!({ "workloads": self.workloads.len() }))
    }
}

fn profile_name(rule: &Rule) -> &'static str {
    match rule.profile {
        rules::Profile::Baseline => "baseline",
        rules::Profile::Restricted => "restricted",
        rules::Profile::Hardening => "hardening",
    }
}

/// Lints files and directories: a directory's `*.yaml` and `*.yml` files, recursively,
/// in name order, leaving out the patches a `kustomization.yaml` there lists (partial
/// objects, judged once applied: lint the output of `kustomize build` for that).
pub fn lint_paths(paths: &[PathBuf]) -> Result<LintReport> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            collect_dir(path, &BTreeSet::new(), &mut files)?;
        } else {
            files.push(path.clone());
        }
    }
    let mut report = LintReport::default();
    for file in files {
        let text = std::fs::read_to_string(&file).map_err(|source| Error::Io {
            action: "read",
            path: file.clone(),
            source,
        })?;
        lint_text(&file, &text, &mut report)?;
    }
    Ok(report)
}

fn collect_dir(dir: &Path, patches: &BTreeSet<PathBuf>, out: &mut Vec<PathBuf>) -> Result<()> {
    let io = |source| Error::Io {
        action: "read",
        path: dir.to_owned(),
        source,
    };
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<std::io::Result<_>>()
        .map_err(io)?;
    entries.sort();
    let mut patches = patches.clone();
    patches.extend(kustomize_patches(dir)?);
    for path in entries {
        if path.is_dir() {
            collect_dir(&path, &patches, out)?;
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") && !patches.contains(&path) {
            out.push(path);
        }
    }
    Ok(())
}

/// The patch files the kustomization in `dir` (if any) lists.
fn kustomize_patches(dir: &Path) -> Result<BTreeSet<PathBuf>> {
    let mut patches = BTreeSet::new();
    for name in ["kustomization.yaml", "kustomization.yml", "Kustomization"] {
        let path = dir.join(name);
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let kustomization: Value = serde_yaml::from_str(&text).map_err(|source| Error::Yaml {
            path: path.clone(),
            document: 1,
            source,
        })?;
        for key in ["patches", "patchesStrategicMerge", "patchesJson6902"] {
            for entry in kustomization[key].as_sequence().into_iter().flatten() {
                if let Some(file) = entry.as_str().or_else(|| entry["path"].as_str()) {
                    patches.insert(dir.join(file));
                }
            }
        }
    }
    Ok(patches)
}

/// Lints the YAML documents of one file into `report`.
pub fn lint_text(path: &Path, text: &str, report: &mut LintReport) -> Result<()> {
    let file = path.display().to_string();
    for (index, document) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let value = <Value as serde::Deserialize>::deserialize(document).map_err(|source| Error::Yaml {
            path: path.to_owned(),
            document: index + 1,
            source,
        })?;
        let Some((kind, pod, long_running)) = workload(&value) else {
            continue;
        };
        let object = format!(
            "{kind}/{}",
            value["metadata"]["name"].as_str().unwrap_or("<unnamed>")
        );
        report.workloads.push(format!("{file}: {object}"));
        let mut cx = Cx {
            file: &file,
            document: index + 1,
            object,
            findings: &mut report.findings,
        };
        cx.pod(&pod, long_running);
    }
    report.files.push(file);
    Ok(())
}

/// Where a pod template is in an object.
struct PodAt<'a> {
    /// The template's metadata (annotations).
    metadata: &'a Value,
    /// The pod spec.
    spec: &'a Value,
    /// The pod spec's field path.
    path: &'static str,
    /// The metadata's field path.
    metadata_path: &'static str,
}

/// The kind, the pod template and whether it runs until stopped, for a workload.
fn workload(value: &Value) -> Option<(&str, PodAt<'_>, bool)> {
    let kind = value["kind"].as_str()?;
    let (metadata, spec, path, metadata_path, long_running) = match kind {
        // A pod that is restarted whenever it stops (the default) is a server.
        "Pod" => {
            let restarted = matches!(value["spec"]["restartPolicy"].as_str(), None | Some("Always"));
            (&value["metadata"], &value["spec"], "spec", "metadata", restarted)
        }
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "ReplicationController" => {
            let template = &value["spec"]["template"];
            (
                &template["metadata"],
                &template["spec"],
                "spec.template.spec",
                "spec.template.metadata",
                true,
            )
        }
        "Job" => {
            let template = &value["spec"]["template"];
            (
                &template["metadata"],
                &template["spec"],
                "spec.template.spec",
                "spec.template.metadata",
                false,
            )
        }
        "CronJob" => {
            let template = &value["spec"]["jobTemplate"]["spec"]["template"];
            (
                &template["metadata"],
                &template["spec"],
                "spec.jobTemplate.spec.template.spec",
                "spec.jobTemplate.spec.template.metadata",
                false,
            )
        }
        _ => return None,
    };
    Some((
        kind,
        PodAt {
            metadata,
            spec,
            path,
            metadata_path,
        },
        long_running,
    ))
}

/// The container lists of a pod spec, and which rules apply to each.
const CONTAINER_LISTS: [&str; 3] = ["containers", "initContainers", "ephemeralContainers"];

struct Container<'a> {
    value: &'a Value,
    path: String,
    list: &'static str,
    name: String,
}

impl Container<'_> {
    fn context(&self, field: &str) -> &Value {
        &self.value["securityContext"][field]
    }
}

struct Cx<'a> {
    file: &'a str,
    document: usize,
    object: String,
    findings: &'a mut Vec<Finding>,
}

impl Cx<'_> {
    fn fail(&mut self, rule: &Rule, field: String, message: String) {
        self.findings.push(Finding {
            rule: rule.id,
            file: self.file.to_owned(),
            document: self.document,
            object: self.object.clone(),
            field,
            message,
        });
    }

    fn pod(&mut self, at: &PodAt<'_>, long_running: bool) {
        let (pod, path) = (at.spec, at.path);
        let pod_context = &pod["securityContext"];
        let containers: Vec<Container<'_>> = CONTAINER_LISTS
            .iter()
            .flat_map(|list| {
                pod[*list]
                    .as_sequence()
                    .into_iter()
                    .flatten()
                    .enumerate()
                    .map(move |(i, value)| Container {
                        value,
                        path: format!("{path}.{list}[{i}]"),
                        list,
                        name: value["name"].as_str().unwrap_or("<unnamed>").to_owned(),
                    })
            })
            .collect();
        let contexts = || {
            std::iter::once((
                format!("{path}.securityContext"),
                pod_context,
                "the pod".to_owned(),
            ))
            .chain(containers.iter().map(|c| {
                (
                    format!("{}.securityContext", c.path),
                    &c.value["securityContext"],
                    format!("container `{}`", c.name),
                )
            }))
        };

        // Baseline.
        for (field, context, who) in contexts() {
            if context["windowsOptions"]["hostProcess"].as_bool() == Some(true) {
                self.fail(
                    &rules::HOST_PROCESS,
                    format!("{field}.windowsOptions.hostProcess"),
                    format!("{who} is a Windows HostProcess container"),
                );
            }
        }
        for key in ["hostNetwork", "hostPID", "hostIPC"] {
            if pod[key].as_bool() == Some(true) {
                self.fail(
                    &rules::HOST_NAMESPACES,
                    format!("{path}.{key}"),
                    format!("{key} is true"),
                );
            }
        }
        for c in &containers {
            if c.context("privileged").as_bool() == Some(true) {
                self.fail(
                    &rules::PRIVILEGED,
                    format!("{}.securityContext.privileged", c.path),
                    format!("container `{}` is privileged", c.name),
                );
            }
            let capabilities = c.context("capabilities");
            let drops_all = capabilities["drop"]
                .as_sequence()
                .is_some_and(|d| d.iter().any(|v| v.as_str() == Some("ALL")));
            if !drops_all {
                self.fail(
                    &rules::CAPABILITIES,
                    format!("{}.securityContext.capabilities.drop", c.path),
                    format!("container `{}` does not drop ALL capabilities", c.name),
                );
            }
            for (i, added) in capabilities["add"]
                .as_sequence()
                .into_iter()
                .flatten()
                .enumerate()
            {
                let name = added.as_str().unwrap_or_default();
                if name != "NET_BIND_SERVICE" {
                    self.fail(
                        &rules::CAPABILITIES,
                        format!("{}.securityContext.capabilities.add[{i}]", c.path),
                        format!("container `{}` adds {name}", c.name),
                    );
                }
            }
            for (i, port) in c.value["ports"].as_sequence().into_iter().flatten().enumerate() {
                if port["hostPort"].as_u64().is_some_and(|p| p != 0) {
                    self.fail(
                        &rules::HOST_PORTS,
                        format!("{}.ports[{i}].hostPort", c.path),
                        format!(
                            "container `{}` binds host port {}",
                            c.name,
                            port["hostPort"].as_u64().unwrap_or_default()
                        ),
                    );
                }
            }
            if c.context("procMount").as_str().is_some_and(|m| m != "Default") {
                self.fail(
                    &rules::PROC_MOUNT,
                    format!("{}.securityContext.procMount", c.path),
                    format!(
                        "container `{}` has procMount {}",
                        c.name,
                        c.context("procMount").as_str().unwrap_or_default()
                    ),
                );
            }
        }
        for (i, volume) in pod["volumes"].as_sequence().into_iter().flatten().enumerate() {
            let name = volume["name"].as_str().unwrap_or("<unnamed>");
            let Some(fields) = volume.as_mapping() else {
                continue;
            };
            for key in fields.keys().filter_map(Value::as_str).filter(|k| *k != "name") {
                if key == "hostPath" {
                    self.fail(
                        &rules::HOST_PATH,
                        format!("{path}.volumes[{i}].hostPath"),
                        format!("volume `{name}` mounts a path of the node"),
                    );
                }
                if !rules::ALLOWED_VOLUMES.contains(&key) {
                    self.fail(
                        &rules::VOLUME_TYPES,
                        format!("{path}.volumes[{i}].{key}"),
                        format!("volume `{name}` is of type {key}"),
                    );
                }
            }
        }
        if let Some(annotations) = at.metadata["annotations"].as_mapping() {
            for (key, value) in annotations {
                let (Some(key), Some(value)) = (key.as_str(), value.as_str()) else {
                    continue;
                };
                if key.starts_with("container.apparmor.security.beta.kubernetes.io/")
                    && value != "runtime/default"
                    && !value.starts_with("localhost/")
                {
                    self.fail(
                        &rules::APPARMOR,
                        format!("{}.annotations.{key}", at.metadata_path),
                        format!("AppArmor profile `{value}`"),
                    );
                }
            }
        }
        for (field, context, who) in contexts() {
            if let Some(kind) = context["appArmorProfile"]["type"].as_str() {
                if kind != "RuntimeDefault" && kind != "Localhost" {
                    self.fail(
                        &rules::APPARMOR,
                        format!("{field}.appArmorProfile.type"),
                        format!("{who} has AppArmor profile {kind}"),
                    );
                }
            }
            let selinux = &context["seLinuxOptions"];
            if let Some(kind) = selinux["type"]
                .as_str()
                .filter(|t| !t.is_empty() && !rules::SELINUX_TYPES.contains(t))
            {
                self.fail(
                    &rules::SELINUX,
                    format!("{field}.seLinuxOptions.type"),
                    format!("{who} has SELinux type {kind}"),
                );
            }
            for key in ["user", "role"] {
                if selinux[key].as_str().is_some_and(|v| !v.is_empty()) {
                    self.fail(
                        &rules::SELINUX,
                        format!("{field}.seLinuxOptions.{key}"),
                        format!("{who} sets the SELinux {key}"),
                    );
                }
            }
        }
        for (i, sysctl) in pod_context["sysctls"]
            .as_sequence()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let name = sysctl["name"].as_str().unwrap_or_default();
            if !rules::SAFE_SYSCTLS.contains(&name) {
                self.fail(
                    &rules::SYSCTLS,
                    format!("{path}.securityContext.sysctls[{i}].name"),
                    format!("sysctl `{name}` is not a safe one"),
                );
            }
        }

        // Restricted: seccomp and runAsNonRoot may be set on the pod for every container.
        let confined = |context: &Value| {
            matches!(
                context["seccompProfile"]["type"].as_str(),
                Some("RuntimeDefault" | "Localhost")
            )
        };
        for (field, context, who) in contexts() {
            if context["seccompProfile"]["type"].as_str() == Some("Unconfined") {
                self.fail(
                    &rules::SECCOMP,
                    format!("{field}.seccompProfile.type"),
                    format!("{who} runs Unconfined"),
                );
            }
        }
        if !confined(pod_context) {
            for c in &containers {
                if !confined(&c.value["securityContext"])
                    && c.context("seccompProfile")["type"].as_str() != Some("Unconfined")
                {
                    self.fail(
                        &rules::SECCOMP,
                        format!("{}.securityContext.seccompProfile.type", c.path),
                        format!("container `{}` has no seccomp profile, nor has the pod", c.name),
                    );
                }
            }
        }
        let pod_non_root = pod_context["runAsNonRoot"].as_bool();
        for (field, context, who) in contexts() {
            if context["runAsNonRoot"].as_bool() == Some(false) {
                self.fail(
                    &rules::RUN_AS_NON_ROOT,
                    format!("{field}.runAsNonRoot"),
                    format!("{who} sets runAsNonRoot: false"),
                );
            }
            if context["runAsUser"].as_u64() == Some(0) {
                self.fail(
                    &rules::RUN_AS_USER,
                    format!("{field}.runAsUser"),
                    format!("{who} runs as uid 0"),
                );
            }
        }
        if pod_non_root != Some(true) {
            for c in &containers {
                if c.context("runAsNonRoot").is_null() {
                    self.fail(
                        &rules::RUN_AS_NON_ROOT,
                        format!("{}.securityContext.runAsNonRoot", c.path),
                        format!(
                            "neither container `{}` nor the pod sets runAsNonRoot: true",
                            c.name
                        ),
                    );
                }
            }
        }
        for c in &containers {
            if c.context("allowPrivilegeEscalation").as_bool() != Some(false) {
                self.fail(
                    &rules::PRIVILEGE_ESCALATION,
                    format!("{}.securityContext.allowPrivilegeEscalation", c.path),
                    format!(
                        "container `{}` does not set allowPrivilegeEscalation: false",
                        c.name
                    ),
                );
            }
        }

        // Hardening. Ephemeral containers (debugging) have no resources, probes or
        // read-only root to set.
        if pod["automountServiceAccountToken"].as_bool() != Some(false) {
            self.fail(
                &rules::TOKEN,
                format!("{path}.automountServiceAccountToken"),
                "the pod does not set automountServiceAccountToken: false".to_owned(),
            );
        }
        for c in containers.iter().filter(|c| c.list != "ephemeralContainers") {
            if c.context("readOnlyRootFilesystem").as_bool() != Some(true) {
                self.fail(
                    &rules::READ_ONLY_ROOT,
                    format!("{}.securityContext.readOnlyRootFilesystem", c.path),
                    format!("container `{}` can write its root file system", c.name),
                );
            }
            let image = c.value["image"].as_str().unwrap_or_default();
            if !image.contains("@sha256:") {
                self.fail(
                    &rules::DIGEST,
                    format!("{}.image", c.path),
                    format!("container `{}` runs `{image}`, not pinned by digest", c.name),
                );
            }
            let missing: Vec<String> = ["requests", "limits"]
                .iter()
                .flat_map(|kind| ["cpu", "memory"].map(|what| (kind, what)))
                .filter(|(kind, what)| c.value["resources"][**kind][*what].is_null())
                .map(|(kind, what)| format!("{kind}.{what}"))
                .collect();
            if !missing.is_empty() {
                self.fail(
                    &rules::RESOURCES,
                    format!("{}.resources", c.path),
                    format!("container `{}` has no {}", c.name, missing.join(", ")),
                );
            }
            if long_running && c.list == "containers" {
                let missing: Vec<&str> = ["livenessProbe", "readinessProbe"]
                    .into_iter()
                    .filter(|p| c.value[*p].is_null())
                    .collect();
                if !missing.is_empty() {
                    self.fail(
                        &rules::PROBES,
                        format!("{}.{}", c.path, missing[0]),
                        format!("container `{}` has no {}", c.name, missing.join(" or ")),
                    );
                }
            }
        }
    }
}
