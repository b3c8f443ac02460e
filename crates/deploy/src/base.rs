//! `buckle deploy`: a kustomize base for one image. The hardening is in the base; the
//! values a person has to choose (replicas, resources, where the image is pulled from)
//! are kustomize patches and `images` entries, so they are changed without editing it.

use crate::error::{Error, Result};
use crate::files::Files;
use crate::harden::{self, Health, Seccomp, Workload, PORT_NAME, PRIVILEGED_PORT_LIMIT};
use crate::image::ImageFacts;
use crate::k8s::{
    DeploymentSpec, DisruptionBudgetSpec, Map, Metadata, NetworkPolicySpec, Object, PolicyPort, PolicyRule,
    Selector, ServicePort, ServiceSpec, Spec,
};
use serde::Serialize;

/// Where the image's process may always write, whatever its config declares.
pub const SCRATCH_PATH: &str = "/tmp";
/// The size limit of each writable emptyDir of an application.
const SCRATCH_LIMIT: &str = "64Mi";
/// checkov checks a hardened deployment fails on purpose in some cases: the check id,
/// when, and why. The generator writes each as a `checkov.io/skip` annotation on the
/// object it applies to, only in that case, so the reason travels with the manifest.
pub const CHECKOV_EXCEPTIONS: &[(&str, &str, &str)] = &[(
    "CKV_K8S_25",
    "a port below 1024",
    "NET_BIND_SERVICE is the one capability added, only to bind the privileged port that was asked for; every other capability is dropped",
)];
/// The replicas the base starts with (so that the PodDisruptionBudget can let one go).
const DEFAULT_REPLICAS: u32 = 2;

/// What the person asked for.
#[derive(Debug, Clone)]
pub struct DeployOptions {
    /// The application's name: Deployment, Service, ServiceAccount, container.
    pub name: String,
    /// The namespace [default: the name].
    pub namespace: Option<String>,
    /// The TCP port served [default: the image's only exposed port].
    pub port: Option<u16>,
    /// The image's name in the manifests [default: the layout directory's name].
    pub image_name: String,
    /// Where the cluster pulls the image from (`registry.example/hardened/python`).
    pub repository: Option<String>,
    /// The health checks.
    pub health: Health,
    /// Arguments after the image's entrypoint.
    pub args: Vec<String>,
    /// The seccomp profile.
    pub seccomp: Seccomp,
}

/// A generated base and what the person should know about it.
#[derive(Debug, Clone, Serialize)]
pub struct Base {
    /// The files, relative to the output directory.
    pub files: Files,
    /// The image reference the Deployment pins.
    pub image: String,
    /// The port served.
    pub port: u16,
    /// Decisions worth saying out loud (a capability added, a path made writable).
    pub notes: Vec<String>,
}

/// Generates the kustomize base for `facts` and `options`.
pub fn generate(facts: &ImageFacts, options: &DeployOptions) -> Result<Base> {
    let name = dns_label("name", &options.name)?;
    let namespace = dns_label("namespace", options.namespace.as_deref().unwrap_or(&options.name))?;
    let port = match (options.port, facts.exposed_ports.as_slice()) {
        (Some(port), _) => port,
        (None, [only]) => *only,
        (None, exposed) => {
            return Err(Error::NoPort {
                exposed: exposed.to_vec(),
            })
        }
    };
    let image = format!("{}@{}", options.image_name, facts.digest.oci());
    let selector: Map = [
        ("app.kubernetes.io/name".to_owned(), name.clone()),
        ("app.kubernetes.io/instance".to_owned(), name.clone()),
    ]
    .into();
    let mut writable = vec![SCRATCH_PATH.to_owned()];
    writable.extend(facts.volumes.iter().filter(|v| *v != SCRATCH_PATH).cloned());
    let scratch = |path: &String| (path.clone(), SCRATCH_LIMIT.to_owned());
    let workload = Workload {
        name: name.clone(),
        labels: selector.clone(),
        image: image.clone(),
        uid: facts.uid,
        gid: facts.gid,
        args: options.args.clone(),
        env: vec![],
        port: Some((port, options.health.clone())),
        writable: writable.iter().map(scratch).collect(),
        resources: harden::resources(["100m", "128Mi", "64Mi"], ["500m", "256Mi", "256Mi"]),
        seccomp: options.seccomp.clone(),
        restart_policy: None,
        extra_volumes: vec![],
    };

    let mut notes = vec![format!(
        "read-only root file system; writable emptyDir volumes at {}",
        writable.join(", ")
    )];
    if workload.binds_privileged_port() {
        notes.push(format!(
            "port {port} is below {PRIVILEGED_PORT_LIMIT}: the container adds NET_BIND_SERVICE, the one capability the restricted profile allows; a non-root process holds it only where the runtime grants it (file or ambient capabilities), so prefer a container port of {PRIVILEGED_PORT_LIMIT} or more: the Service can still listen on {port}"
        ));
    }
    if options.repository.is_none() {
        notes.push(format!(
            "the image is `{}`: set `newName` under `images` in kustomization.yaml to the repository your cluster pulls from",
            options.image_name
        ));
    }

    let metadata = |name: &str| Metadata {
        name: Some(name.to_owned()),
        labels: selector.clone(),
        ..Metadata::default()
    };
    let mut deployment_metadata = metadata(&name);
    if workload.binds_privileged_port() {
        let (id, _, reason) = CHECKOV_EXCEPTIONS[0];
        deployment_metadata
            .annotations
            .insert("checkov.io/skip1".to_owned(), format!("{id}={reason}"));
    }
    let match_labels = || Selector {
        match_labels: selector.clone(),
    };
    let mut files = Files::default();
    files.yaml("namespace.yaml", &harden::restricted_namespace(&namespace))?;
    files.yaml("serviceaccount.yaml", &harden::service_account(metadata(&name)))?;
    files.yaml(
        "deployment.yaml",
        &Object {
            api_version: "apps/v1",
            kind: "Deployment",
            metadata: deployment_metadata,
            body: Spec {
                spec: DeploymentSpec {
                    replicas: DEFAULT_REPLICAS,
                    revision_history_limit: 5,
                    selector: match_labels(),
                    template: workload.template(),
                },
            },
        },
    )?;
    files.yaml(
        "service.yaml",
        &Object {
            api_version: "v1",
            kind: "Service",
            metadata: metadata(&name),
            body: Spec {
                spec: ServiceSpec {
                    kind: "ClusterIP",
                    selector: selector.clone(),
                    ports: vec![ServicePort {
                        name: PORT_NAME,
                        port,
                        target_port: PORT_NAME,
                        protocol: "TCP",
                    }],
                },
            },
        },
    )?;
    files.yaml(
        "networkpolicy.yaml",
        &Object {
            api_version: "networking.k8s.io/v1",
            kind: "NetworkPolicy",
            metadata: metadata(&name),
            body: Spec {
                spec: NetworkPolicySpec {
                    pod_selector: match_labels(),
                    policy_types: vec!["Ingress", "Egress"],
                    ingress: vec![PolicyRule {
                        to: vec![],
                        ports: vec![PolicyPort {
                            protocol: "TCP",
                            port,
                        }],
                    }],
                    egress: vec![harden::dns_egress()],
                },
            },
        },
    )?;
    files.yaml(
        "poddisruptionbudget.yaml",
        &Object {
            api_version: "policy/v1",
            kind: "PodDisruptionBudget",
            metadata: metadata(&name),
            body: Spec {
                spec: DisruptionBudgetSpec {
                    max_unavailable: 1,
                    selector: match_labels(),
                },
            },
        },
    )?;
    let patch_target = || Metadata {
        name: Some(name.clone()),
        ..Metadata::default()
    };
    files.yaml(
        "patches/replicas.yaml",
        &Object {
            api_version: "apps/v1",
            kind: "Deployment",
            metadata: patch_target(),
            body: Spec {
                spec: ReplicasPatch {
                    replicas: DEFAULT_REPLICAS,
                },
            },
        },
    )?;
    files.yaml(
        "patches/resources.yaml",
        &Object {
            api_version: "apps/v1",
            kind: "Deployment",
            metadata: patch_target(),
            body: Spec {
                spec: TemplatePatch {
                    template: PodPatch {
                        spec: ContainersPatch {
                            containers: vec![ContainerResources {
                                name: name.clone(),
                                resources: workload.resources.clone(),
                            }],
                        },
                    },
                },
            },
        },
    )?;
    files.yaml(
        "kustomization.yaml",
        &Kustomization {
            api_version: "kustomize.config.k8s.io/v1beta1",
            kind: "Kustomization",
            namespace,
            resources: [
                "namespace.yaml",
                "serviceaccount.yaml",
                "deployment.yaml",
                "service.yaml",
                "networkpolicy.yaml",
                "poddisruptionbudget.yaml",
            ]
            .map(str::to_owned)
            .to_vec(),
            images: vec![ImageOverride {
                name: options.image_name.clone(),
                new_name: options.repository.clone(),
                digest: facts.digest.oci(),
            }],
            patches: ["patches/replicas.yaml", "patches/resources.yaml"]
                .map(|path| Patch {
                    path: path.to_owned(),
                })
                .to_vec(),
        },
    )?;
    Ok(Base {
        files,
        image,
        port,
        notes,
    })
}

/// A Kubernetes name: an RFC 1123 DNS label.
pub fn dns_label(what: &'static str, value: &str) -> Result<String> {
    let invalid = |reason: &str| Error::Invalid {
        what,
        value: value.to_owned(),
        reason: reason.to_owned(),
    };
    if value.is_empty() || value.len() > 63 {
        return Err(invalid("it must be 1 to 63 characters long"));
    }
    if !value
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(invalid("only lowercase letters, digits and `-` are allowed"));
    }
    if !value.starts_with(|c: char| c.is_ascii_lowercase()) || value.ends_with('-') {
        return Err(invalid(
            "it must start with a letter and end with a letter or digit",
        ));
    }
    Ok(value.to_owned())
}

#[derive(Serialize)]
struct ReplicasPatch {
    replicas: u32,
}

#[derive(Serialize)]
struct TemplatePatch {
    template: PodPatch,
}

#[derive(Serialize)]
struct PodPatch {
    spec: ContainersPatch,
}

#[derive(Serialize)]
struct ContainersPatch {
    containers: Vec<ContainerResources>,
}

#[derive(Serialize)]
struct ContainerResources {
    name: String,
    resources: crate::k8s::Resources,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Kustomization {
    api_version: &'static str,
    kind: &'static str,
    namespace: String,
    resources: Vec<String>,
    images: Vec<ImageOverride>,
    patches: Vec<Patch>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ImageOverride {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    new_name: Option<String>,
    digest: String,
}

#[derive(Clone, Serialize)]
struct Patch {
    path: String,
}
