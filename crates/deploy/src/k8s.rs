//! The Kubernetes objects buckle writes, as typed data: only the fields it sets, in
//! the API's field names, so that what is serialized is exactly what was decided.

use serde::Serialize;
use std::collections::BTreeMap;

/// Labels or annotations.
pub type Map = BTreeMap<String, String>;

/// A top-level object: `apiVersion`, `kind`, `metadata` and the kind's own fields.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Object<T> {
    /// `apps/v1`, `v1`, ...
    pub api_version: &'static str,
    /// `Deployment`, ...
    pub kind: &'static str,
    /// Name and labels.
    pub metadata: Metadata,
    /// `spec`, or for a ServiceAccount its top-level fields.
    #[serde(flatten)]
    pub body: T,
}

/// `metadata`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Metadata {
    /// `name` (absent in a pod template).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `labels`.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub labels: Map,
    /// `annotations`.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub annotations: Map,
}

/// An object whose only content is `spec`.
#[derive(Debug, Clone, Serialize)]
pub struct Spec<S> {
    /// `spec`.
    pub spec: S,
}

/// A ServiceAccount's fields.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceAccount {
    /// Always `false`: the token is mounted nowhere unless a pod asks.
    pub automount_service_account_token: bool,
}

/// `matchLabels`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Selector {
    /// `matchLabels`.
    pub match_labels: Map,
}

/// A Deployment's `spec`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentSpec {
    /// `replicas`.
    pub replicas: u32,
    /// `revisionHistoryLimit`.
    pub revision_history_limit: u32,
    /// `selector`.
    pub selector: Selector,
    /// `template`.
    pub template: PodTemplate,
}

/// A pod template.
#[derive(Debug, Clone, Serialize)]
pub struct PodTemplate {
    /// `metadata`.
    pub metadata: Metadata,
    /// `spec`.
    pub spec: PodSpec,
}

/// A pod's `spec`, with the fields the restricted profile judges.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodSpec {
    /// `serviceAccountName`.
    pub service_account_name: String,
    /// `automountServiceAccountToken`: always `false`.
    pub automount_service_account_token: bool,
    /// `enableServiceLinks`: `false`, no environment variables naming other services.
    pub enable_service_links: bool,
    /// `restartPolicy` (Jobs: `Never`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<&'static str>,
    /// `securityContext`.
    pub security_context: PodSecurityContext,
    /// `containers`.
    pub containers: Vec<Container>,
    /// `volumes`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<Volume>,
}

/// The pod's `securityContext`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodSecurityContext {
    /// `runAsNonRoot`.
    pub run_as_non_root: bool,
    /// `runAsUser`.
    pub run_as_user: u32,
    /// `runAsGroup`.
    pub run_as_group: u32,
    /// `fsGroup`: volumes are group-owned by it.
    pub fs_group: u32,
    /// `seccompProfile`.
    pub seccomp_profile: SeccompProfile,
}

/// `seccompProfile`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SeccompProfile {
    /// `RuntimeDefault` or `Localhost`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// For `Localhost`: the profile's path under the kubelet's seccomp directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub localhost_profile: Option<String>,
}

/// A container.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Container {
    /// `name`.
    pub name: String,
    /// `image`: `NAME@sha256:...`.
    pub image: String,
    /// `imagePullPolicy`.
    pub image_pull_policy: &'static str,
    /// `args` (the image's entrypoint is kept).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// `env`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<EnvVar>,
    /// `ports`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<ContainerPort>,
    /// `securityContext`.
    pub security_context: SecurityContext,
    /// `resources`.
    pub resources: Resources,
    /// `livenessProbe`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub liveness_probe: Option<Probe>,
    /// `readinessProbe`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub readiness_probe: Option<Probe>,
    /// `volumeMounts`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volume_mounts: Vec<VolumeMount>,
}

/// An `env` entry.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvVar {
    /// `name`.
    pub name: String,
    /// `value`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// `valueFrom`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_from: Option<EnvSource>,
}

impl EnvVar {
    /// `name: value`.
    pub fn value(name: &str, value: &str) -> Self {
        EnvVar {
            name: name.to_owned(),
            value: Some(value.to_owned()),
            value_from: None,
        }
    }
}

/// `valueFrom`: a field of the pod.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvSource {
    /// `fieldRef`.
    pub field_ref: FieldRef,
}

/// `fieldRef`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldRef {
    /// `fieldPath`.
    pub field_path: String,
}

/// A container port.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerPort {
    /// `name`.
    pub name: &'static str,
    /// `containerPort`.
    pub container_port: u16,
    /// `protocol`.
    pub protocol: &'static str,
}

/// The container's `securityContext`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityContext {
    /// `privileged`.
    pub privileged: bool,
    /// `allowPrivilegeEscalation`.
    pub allow_privilege_escalation: bool,
    /// `readOnlyRootFilesystem`.
    pub read_only_root_filesystem: bool,
    /// `runAsNonRoot`.
    pub run_as_non_root: bool,
    /// `runAsUser`.
    pub run_as_user: u32,
    /// `runAsGroup`.
    pub run_as_group: u32,
    /// `capabilities`.
    pub capabilities: Capabilities,
    /// `seccompProfile`.
    pub seccomp_profile: SeccompProfile,
}

/// `capabilities`.
#[derive(Debug, Clone, Serialize)]
pub struct Capabilities {
    /// `drop`: always `[ALL]`.
    pub drop: Vec<&'static str>,
    /// `add`: at most `NET_BIND_SERVICE`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub add: Vec<&'static str>,
}

/// `resources`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resources {
    /// `requests`.
    pub requests: Quantities,
    /// `limits`.
    pub limits: Quantities,
}

/// CPU, memory and ephemeral storage quantities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Quantities {
    /// `cpu`.
    pub cpu: String,
    /// `memory`.
    pub memory: String,
    /// `ephemeral-storage`.
    pub ephemeral_storage: String,
}

/// A probe: `httpGet` or `tcpSocket`, never `exec` (a buckle image has no shell, and a
/// probe that forks inside the container is one more thing to allow).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Probe {
    /// `httpGet`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_get: Option<HttpGet>,
    /// `tcpSocket`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tcp_socket: Option<TcpSocket>,
    /// `initialDelaySeconds`.
    pub initial_delay_seconds: u32,
    /// `periodSeconds`.
    pub period_seconds: u32,
    /// `timeoutSeconds`.
    pub timeout_seconds: u32,
    /// `failureThreshold`.
    pub failure_threshold: u32,
}

/// `httpGet`.
#[derive(Debug, Clone, Serialize)]
pub struct HttpGet {
    /// `path`.
    pub path: String,
    /// `port`: the port's name.
    pub port: &'static str,
}

/// `tcpSocket`.
#[derive(Debug, Clone, Serialize)]
pub struct TcpSocket {
    /// `port`: the port's name.
    pub port: &'static str,
}

/// A volume mount.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeMount {
    /// `name`.
    pub name: String,
    /// `mountPath`.
    pub mount_path: String,
    /// `readOnly`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_only: Option<bool>,
}

/// A volume: an `emptyDir` with a size limit, ConfigMaps projected into one directory,
/// or a Secret (all allowed by the restricted profile).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Volume {
    /// `name`.
    pub name: String,
    /// `emptyDir`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub empty_dir: Option<EmptyDir>,
    /// `projected`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub projected: Option<ProjectedVolume>,
    /// `secret`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<SecretVolume>,
}

/// A `projected` volume: several sources in one directory.
#[derive(Debug, Clone, Serialize)]
pub struct ProjectedVolume {
    /// `sources`.
    pub sources: Vec<ProjectedSource>,
}

/// One source of a projected volume.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectedSource {
    /// `configMap`.
    pub config_map: ConfigMapVolume,
}

/// A ConfigMap as a volume source.
#[derive(Debug, Clone, Serialize)]
pub struct ConfigMapVolume {
    /// `name`.
    pub name: String,
    /// `items`: each key at its path.
    pub items: Vec<KeyToPath>,
}

/// A `secret` volume.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretVolume {
    /// `secretName`.
    pub secret_name: String,
    /// `optional`.
    pub optional: bool,
    /// `items`.
    pub items: Vec<KeyToPath>,
}

/// A key of a ConfigMap or Secret and the file it becomes.
#[derive(Debug, Clone, Serialize)]
pub struct KeyToPath {
    /// `key`.
    pub key: String,
    /// `path`.
    pub path: String,
}

/// `emptyDir`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EmptyDir {
    /// `sizeLimit`.
    pub size_limit: String,
}

/// A Service's `spec`.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceSpec {
    /// `type`: `ClusterIP`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// `selector`.
    pub selector: Map,
    /// `ports`.
    pub ports: Vec<ServicePort>,
}

/// A Service port.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicePort {
    /// `name`.
    pub name: &'static str,
    /// `port`.
    pub port: u16,
    /// `targetPort`: the container port's name.
    pub target_port: &'static str,
    /// `protocol`.
    pub protocol: &'static str,
}

/// A NetworkPolicy's `spec`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkPolicySpec {
    /// `podSelector`.
    pub pod_selector: Selector,
    /// `policyTypes`: both, so that what is not listed is denied.
    pub policy_types: Vec<&'static str>,
    /// `ingress`.
    pub ingress: Vec<PolicyRule>,
    /// `egress`.
    pub egress: Vec<PolicyRule>,
}

/// An ingress or egress rule.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyRule {
    /// `to` (egress only; absent means anywhere).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub to: Vec<PolicyPeer>,
    /// `ports`.
    pub ports: Vec<PolicyPort>,
}

/// A peer of an egress rule.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyPeer {
    /// `namespaceSelector`.
    pub namespace_selector: Selector,
    /// `podSelector`.
    pub pod_selector: Selector,
}

/// A port of a NetworkPolicy rule.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyPort {
    /// `protocol`.
    pub protocol: &'static str,
    /// `port`.
    pub port: u16,
}

/// A PodDisruptionBudget's `spec`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DisruptionBudgetSpec {
    /// `maxUnavailable`.
    pub max_unavailable: u32,
    /// `selector`.
    pub selector: Selector,
}

/// A CronJob's `spec`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CronJobSpec {
    /// `schedule`.
    pub schedule: String,
    /// `concurrencyPolicy`: `Forbid`.
    pub concurrency_policy: &'static str,
    /// `successfulJobsHistoryLimit`.
    pub successful_jobs_history_limit: u32,
    /// `failedJobsHistoryLimit`.
    pub failed_jobs_history_limit: u32,
    /// `jobTemplate`.
    pub job_template: JobTemplate,
}

/// A CronJob's `jobTemplate`.
#[derive(Debug, Clone, Serialize)]
pub struct JobTemplate {
    /// `metadata`.
    pub metadata: Metadata,
    /// `spec`.
    pub spec: JobSpec,
}

/// A Job's `spec`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobSpec {
    /// `completionMode`: `Indexed`.
    pub completion_mode: &'static str,
    /// `completions`: one per shard.
    pub completions: u32,
    /// `parallelism`.
    pub parallelism: u32,
    /// `backoffLimitPerIndex`: a failing shard is retried on its own.
    pub backoff_limit_per_index: u32,
    /// `activeDeadlineSeconds`.
    pub active_deadline_seconds: u64,
    /// `ttlSecondsAfterFinished`.
    pub ttl_seconds_after_finished: u32,
    /// `template`.
    pub template: PodTemplate,
}
