//! The hardened pod every generated workload runs in: the Pod Security Standards
//! "restricted" profile in every field, plus a read-only root, no service-account
//! token, pinned image, bounded resources.

use crate::k8s::{
    Capabilities, Container, ContainerPort, EmptyDir, EnvVar, HttpGet, Map, Metadata, Object,
    PodSecurityContext, PodSpec, PodTemplate, PolicyPeer, PolicyPort, PolicyRule, Probe, Quantities,
    Resources, SeccompProfile, SecurityContext, Selector, ServiceAccount, TcpSocket, Volume, VolumeMount,
};

/// The name of the container port (and the Service's target port).
pub const PORT_NAME: &str = "http";
/// Ports below this need `NET_BIND_SERVICE`.
pub const PRIVILEGED_PORT_LIMIT: u16 = 1024;

/// Which seccomp profile the pod runs under.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Seccomp {
    /// The container runtime's default profile.
    #[default]
    RuntimeDefault,
    /// A profile file on the node, relative to the kubelet's seccomp directory.
    Localhost(String),
}

impl Seccomp {
    fn profile(&self) -> SeccompProfile {
        match self {
            Seccomp::RuntimeDefault => SeccompProfile {
                kind: "RuntimeDefault",
                localhost_profile: None,
            },
            Seccomp::Localhost(path) => SeccompProfile {
                kind: "Localhost",
                localhost_profile: Some(path.clone()),
            },
        }
    }
}

/// How the kubelet checks that the container is alive and ready.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    /// A TCP connection to the port.
    Tcp,
    /// An HTTP GET of this path on the port (2xx or 3xx).
    Http(String),
}

/// One hardened workload: what varies between a deployment and the factory's job.
#[derive(Debug, Clone)]
pub struct Workload {
    /// The container's name, also the service account's.
    pub name: String,
    /// Labels of the pod template.
    pub labels: Map,
    /// `NAME@sha256:...` or `REPOSITORY:TAG@sha256:...`.
    pub image: String,
    /// The image's numeric uid and gid.
    pub uid: u32,
    /// The gid.
    pub gid: u32,
    /// Arguments after the image's entrypoint.
    pub args: Vec<String>,
    /// Environment variables.
    pub env: Vec<EnvVar>,
    /// The port served, with its health checks; `None` for a batch job.
    pub port: Option<(u16, Health)>,
    /// Absolute paths that get a writable emptyDir, each with its size limit.
    pub writable: Vec<(String, String)>,
    /// Requests and limits.
    pub resources: Resources,
    /// The seccomp profile.
    pub seccomp: Seccomp,
    /// `restartPolicy` (`Never` for Jobs).
    pub restart_policy: Option<&'static str>,
    /// Read-only volumes (ConfigMaps, Secrets) and where they are mounted.
    pub extra_volumes: Vec<(Volume, VolumeMount)>,
}

/// Requests and limits from CPU, memory and ephemeral-storage quantities (`100m`,
/// `128Mi`, `1Gi`).
pub fn resources(request: [&str; 3], limit: [&str; 3]) -> Resources {
    let quantities = |[cpu, memory, storage]: [&str; 3]| Quantities {
        cpu: cpu.to_owned(),
        memory: memory.to_owned(),
        ephemeral_storage: storage.to_owned(),
    };
    Resources {
        requests: quantities(request),
        limits: quantities(limit),
    }
}

impl Workload {
    /// Whether the port needs `NET_BIND_SERVICE`.
    pub fn binds_privileged_port(&self) -> bool {
        self.port
            .as_ref()
            .is_some_and(|(port, _)| *port < PRIVILEGED_PORT_LIMIT)
    }

    /// The pod template.
    pub fn template(&self) -> PodTemplate {
        PodTemplate {
            metadata: Metadata {
                labels: self.labels.clone(),
                ..Metadata::default()
            },
            spec: self.pod(),
        }
    }

    fn pod(&self) -> PodSpec {
        let volumes: Vec<(String, String, String)> = self
            .writable
            .iter()
            .map(|(path, size)| (volume_name(path), path.clone(), size.clone()))
            .collect();
        let probe = |(_, health): &(u16, Health), initial_delay_seconds| Probe {
            http_get: match health {
                Health::Http(path) => Some(HttpGet {
                    path: path.clone(),
                    port: PORT_NAME,
                }),
                Health::Tcp => None,
            },
            tcp_socket: (*health == Health::Tcp).then_some(TcpSocket { port: PORT_NAME }),
            initial_delay_seconds,
            period_seconds: 10,
            timeout_seconds: 2,
            failure_threshold: 3,
        };
        let container = Container {
            name: self.name.clone(),
            image: self.image.clone(),
            image_pull_policy: "Always",
            args: self.args.clone(),
            env: self.env.clone(),
            ports: self
                .port
                .iter()
                .map(|(port, _)| ContainerPort {
                    name: PORT_NAME,
                    container_port: *port,
                    protocol: "TCP",
                })
                .collect(),
            security_context: SecurityContext {
                privileged: false,
                allow_privilege_escalation: false,
                read_only_root_filesystem: true,
                run_as_non_root: true,
                run_as_user: self.uid,
                run_as_group: self.gid,
                capabilities: Capabilities {
                    drop: vec!["ALL"],
                    add: if self.binds_privileged_port() {
                        vec!["NET_BIND_SERVICE"]
                    } else {
                        vec![]
                    },
                },
                seccomp_profile: self.seccomp.profile(),
            },
            resources: self.resources.clone(),
            liveness_probe: self.port.as_ref().map(|p| probe(p, 10)),
            readiness_probe: self.port.as_ref().map(|p| probe(p, 2)),
            volume_mounts: self
                .extra_volumes
                .iter()
                .map(|(_, mount)| mount.clone())
                .chain(volumes.iter().map(|(name, path, _)| VolumeMount {
                    name: name.clone(),
                    mount_path: path.clone(),
                    read_only: None,
                }))
                .collect(),
        };
        PodSpec {
            service_account_name: self.name.clone(),
            automount_service_account_token: false,
            enable_service_links: false,
            restart_policy: self.restart_policy,
            security_context: PodSecurityContext {
                run_as_non_root: true,
                run_as_user: self.uid,
                run_as_group: self.gid,
                fs_group: self.gid,
                seccomp_profile: self.seccomp.profile(),
            },
            containers: vec![container],
            volumes: volumes
                .into_iter()
                .map(|(name, _, size_limit)| Volume {
                    name,
                    empty_dir: Some(EmptyDir { size_limit }),
                    projected: None,
                    secret: None,
                })
                .chain(self.extra_volumes.iter().map(|(volume, _)| volume.clone()))
                .collect(),
        }
    }
}

/// A volume name for a path: `/var/cache/app` -> `var-cache-app`, `/` -> `root`.
fn volume_name(path: &str) -> String {
    let name: String = path
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let name: Vec<&str> = name.split('-').filter(|part| !part.is_empty()).collect();
    let name = name.join("-");
    let name = if name.is_empty() { "root".to_owned() } else { name };
    name.chars()
        .take(63)
        .collect::<String>()
        .trim_end_matches('-')
        .to_owned()
}

/// A top-level object with no fields of its own (a Namespace).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Empty {}

/// A Namespace whose pods the admission controller holds to the restricted profile
/// (enforced at the latest version, and warned and audited).
pub fn restricted_namespace(name: &str) -> Object<Empty> {
    Object {
        api_version: "v1",
        kind: "Namespace",
        metadata: Metadata {
            name: Some(name.to_owned()),
            labels: [
                ("pod-security.kubernetes.io/enforce", "restricted"),
                ("pod-security.kubernetes.io/enforce-version", "latest"),
                ("pod-security.kubernetes.io/warn", "restricted"),
                ("pod-security.kubernetes.io/audit", "restricted"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
            ..Metadata::default()
        },
        body: Empty {},
    }
}

/// A ServiceAccount whose token is never mounted: the pods talk to no API server.
pub fn service_account(metadata: Metadata) -> Object<ServiceAccount> {
    Object {
        api_version: "v1",
        kind: "ServiceAccount",
        metadata,
        body: ServiceAccount {
            automount_service_account_token: false,
        },
    }
}

/// Egress to the cluster's DNS only: kube-dns in kube-system, UDP and TCP 53.
pub fn dns_egress() -> PolicyRule {
    PolicyRule {
        to: vec![PolicyPeer {
            namespace_selector: Selector {
                match_labels: [("kubernetes.io/metadata.name".to_owned(), "kube-system".to_owned())].into(),
            },
            pod_selector: Selector {
                match_labels: [("k8s-app".to_owned(), "kube-dns".to_owned())].into(),
            },
        }],
        ports: ["UDP", "TCP"]
            .into_iter()
            .map(|protocol| PolicyPort { protocol, port: 53 })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_names_are_dns_labels() {
        assert_eq!(volume_name("/tmp"), "tmp");
        assert_eq!(volume_name("/var/cache/My_App/"), "var-cache-my-app");
        assert_eq!(volume_name("/"), "root");
        assert!(volume_name(&format!("/{}", "a/".repeat(60))).len() <= 63);
    }
}
