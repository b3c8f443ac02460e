//! The rules: the Pod Security Standards "restricted" profile as the pod-security
//! admission controller enforces it at version `latest` (Kubernetes 1.31 and later),
//! field by field, and buckle's hardening rules on top.

use buckle_check::Severity;

/// Which policy a rule comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// Pod Security Standards, baseline (and so restricted).
    Baseline,
    /// Pod Security Standards, restricted only.
    Restricted,
    /// buckle's hardening beyond the standards.
    Hardening,
}

/// A lint rule.
#[derive(Debug, serde::Serialize)]
pub struct Rule {
    /// Stable id (`PSS-PRIVILEGED`, `BKL-K8S-DIGEST`).
    pub id: &'static str,
    /// One-line title.
    pub title: &'static str,
    /// Where it comes from.
    pub profile: Profile,
    /// How bad a failure is.
    pub severity: Severity,
    /// Why it matters.
    pub description: &'static str,
    /// How to fix a failure.
    pub hint: &'static str,
}

macro_rules! rules {
    ($($name:ident = $id:literal, $profile:ident, $severity:ident, $title:literal, $description:literal, $hint:literal;)*) => {
        $(
            #[doc = $title]
            pub static $name: Rule = Rule {
                id: $id,
                title: $title,
                profile: Profile::$profile,
                severity: Severity::$severity,
                description: $description,
                hint: $hint,
            };
        )*
        /// Every rule, in the order findings are listed.
        pub static ALL: &[&Rule] = &[$(&$name),*];
    };
}

rules! {
    HOST_PROCESS = "PSS-HOST-PROCESS", Baseline, Critical, "Windows host process",
        "A Windows HostProcess container runs with the node's privileges.",
        "remove securityContext.windowsOptions.hostProcess";
    HOST_NAMESPACES = "PSS-HOST-NAMESPACES", Baseline, Critical, "host namespaces shared",
        "hostNetwork, hostPID and hostIPC give the pod the node's network, processes or IPC.",
        "remove hostNetwork, hostPID and hostIPC (or set them to false)";
    PRIVILEGED = "PSS-PRIVILEGED", Baseline, Critical, "privileged container",
        "A privileged container has every capability and every device of the node.",
        "remove securityContext.privileged (or set it to false)";
    CAPABILITIES = "PSS-CAPABILITIES", Restricted, High, "capabilities not dropped",
        "The restricted profile requires capabilities.drop to contain ALL and allows adding only NET_BIND_SERVICE.",
        "set securityContext.capabilities.drop: [ALL] and add nothing but NET_BIND_SERVICE";
    HOST_PATH = "PSS-HOST-PATH", Baseline, Critical, "hostPath volume",
        "A hostPath volume exposes the node's file system to the pod.",
        "use an emptyDir, configMap, secret or persistentVolumeClaim instead";
    HOST_PORTS = "PSS-HOST-PORTS", Baseline, High, "host port",
        "A hostPort binds a port on the node's own address, bypassing the Service and NetworkPolicy.",
        "remove ports[].hostPort and expose the port through a Service";
    APPARMOR = "PSS-APPARMOR", Baseline, High, "AppArmor unconfined",
        "Only the runtime's default AppArmor profile or a profile loaded on the node may be set.",
        "remove the Unconfined AppArmor profile (type RuntimeDefault or Localhost)";
    SELINUX = "PSS-SELINUX", Baseline, High, "custom SELinux options",
        "SELinux user and role must not be set, and the type must be one of the container types.",
        "remove seLinuxOptions.user and .role; use type container_t, container_init_t, container_kvm_t or container_engine_t";
    PROC_MOUNT = "PSS-PROC-MOUNT", Baseline, High, "unmasked /proc",
        "procMount Unmasked shows the container the parts of /proc the runtime hides.",
        "remove securityContext.procMount (or set it to Default)";
    SECCOMP = "PSS-SECCOMP", Restricted, High, "no seccomp profile",
        "Every container must run under the runtime's default seccomp profile or one loaded on the node; Unconfined is forbidden.",
        "set securityContext.seccompProfile.type: RuntimeDefault on the pod (or Localhost with a recorded profile)";
    SYSCTLS = "PSS-SYSCTLS", Baseline, High, "unsafe sysctl",
        "Only the namespaced sysctls Kubernetes lists as safe may be set.",
        "remove the sysctl, or set it on the node";
    VOLUME_TYPES = "PSS-VOLUME-TYPES", Restricted, Medium, "volume type not allowed",
        "The restricted profile allows only configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected and secret volumes.",
        "use one of the allowed volume types";
    PRIVILEGE_ESCALATION = "PSS-PRIVILEGE-ESCALATION", Restricted, High, "privilege escalation allowed",
        "Without allowPrivilegeEscalation: false a process can gain more privileges than its parent (setuid files, file capabilities).",
        "set securityContext.allowPrivilegeEscalation: false on every container";
    RUN_AS_NON_ROOT = "PSS-RUN-AS-NON-ROOT", Restricted, High, "may run as root",
        "runAsNonRoot: true makes the kubelet refuse to start a container whose user is root.",
        "set securityContext.runAsNonRoot: true on the pod (and false on no container)";
    RUN_AS_USER = "PSS-RUN-AS-USER", Restricted, High, "runs as uid 0",
        "runAsUser: 0 runs the container as root.",
        "set runAsUser to the image's non-root uid (65532 for buckle images)";
    READ_ONLY_ROOT = "BKL-K8S-READ-ONLY-ROOT", Hardening, Medium, "writable root file system",
        "A read-only root file system keeps an attacker from changing the image's files; writable paths get emptyDir volumes.",
        "set securityContext.readOnlyRootFilesystem: true and mount an emptyDir where the application writes";
    TOKEN = "BKL-K8S-TOKEN", Hardening, Medium, "service-account token mounted",
        "A mounted token lets anything in the pod talk to the Kubernetes API as the service account.",
        "set automountServiceAccountToken: false on the pod";
    DIGEST = "BKL-K8S-DIGEST", Hardening, Medium, "image not pinned by digest",
        "A tag can be moved to other content; a digest names exactly the image that was built, scanned and signed.",
        "write the image as NAME@sha256:DIGEST (kustomize: images[].digest)";
    RESOURCES = "BKL-K8S-RESOURCES", Hardening, Medium, "no resource requests or limits",
        "Without requests the scheduler cannot place the pod; without limits one pod can starve the node.",
        "set resources.requests and resources.limits for cpu and memory";
    PROBES = "BKL-K8S-PROBES", Hardening, Low, "no liveness or readiness probe",
        "Without probes a hung process keeps receiving traffic and is never restarted.",
        "add livenessProbe and readinessProbe (httpGet or tcpSocket: a buckle image has no shell for exec)";
}

/// The namespaced sysctls the restricted profile allows (`latest`, Kubernetes 1.29+).
pub const SAFE_SYSCTLS: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
];

/// The volume types the restricted profile allows.
pub const ALLOWED_VOLUMES: &[&str] = &[
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

/// The SELinux types the baseline profile allows (besides none).
pub const SELINUX_TYPES: &[&str] = &[
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
];

/// Finds a rule by id.
pub fn find(id: &str) -> Option<&'static Rule> {
    ALL.iter().copied().find(|r| r.id == id)
}
