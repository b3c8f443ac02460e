//! The rules arrow: an [`ImageView`] -> one outcome per rule of the [`catalog`].
//!
//! Each rule has an id, a title, a severity and weight, the CIS Docker Benchmark
//! (section 4, "Container Images and Build File") recommendation it checks where there
//! is one, a description and a fix hint. CIS recommendations that cannot be judged from
//! a built image (4.2 trusted base images, 4.4 rebuild for patches, 4.11 verified
//! packages) have no rule; 4.3 (no unnecessary packages) is judged through the shell and
//! package-manager rules, 4.5 (content trust) through the signature rule.

mod entrypoint;
mod modes;
mod package_db;
mod secrets;
mod supply;
mod tools;
mod user;
mod writes;

pub(crate) use tools::{package_managers, setuid_files, shells};

use crate::accounts::Accounts;
use crate::packages::Packages;
use crate::report::{Evidence, Severity, Status};
use crate::view::{ImageView, Variant};

/// A hardening rule: its metadata and its check.
#[derive(Debug)]
pub struct Rule {
    /// Stable id (`BKL-USER-ROOT`), used by policies and SARIF.
    pub id: &'static str,
    /// One-line title.
    pub title: &'static str,
    /// Severity when the policy does not change it.
    pub severity: Severity,
    /// Points a failure costs when the policy does not change it.
    pub weight: u32,
    /// The CIS Docker Benchmark recommendation it checks (`4.1`).
    pub cis: Option<&'static str>,
    /// Why it matters, in a few sentences.
    pub description: &'static str,
    /// How to fix a failure.
    pub hint: &'static str,
    check: fn(&Context<'_>) -> Outcome,
}

impl Rule {
    pub(crate) fn run(&self, cx: &Context<'_>) -> Outcome {
        (self.check)(cx)
    }
}

/// What every rule may look at, computed once per image.
pub(crate) struct Context<'a> {
    pub view: &'a ImageView,
    pub packages: Packages,
    pub accounts: Accounts,
    pub variant: Variant,
    /// The time to judge dates against (seconds since 1970), when the caller gave one.
    pub now: Option<u64>,
}

impl<'a> Context<'a> {
    pub fn new(view: &'a ImageView, now: Option<u64>) -> Self {
        Context {
            view,
            packages: Packages::of(view),
            accounts: Accounts::of(view),
            variant: view.variant(),
            now,
        }
    }
}

/// A rule's verdict before the policy sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Outcome {
    pub status: Status,
    /// What was found, without the evidence list (which [`Outcome::message`] adds).
    pub summary: String,
    pub evidence: Vec<Evidence>,
    /// A hint that replaces the rule's (the dev-variant hint).
    pub hint: Option<String>,
}

/// Evidence items a message lists before "and N more".
const LISTED: usize = 5;

impl Outcome {
    pub fn pass(message: impl Into<String>) -> Self {
        Self::with(Status::Pass, message, Vec::new())
    }

    pub fn not_applicable(message: impl Into<String>) -> Self {
        Self::with(Status::NotApplicable, message, Vec::new())
    }

    pub fn fail(summary: impl Into<String>, evidence: Vec<Evidence>) -> Self {
        Self::with(Status::Fail, summary, evidence)
    }

    pub fn warn(summary: impl Into<String>, evidence: Vec<Evidence>) -> Self {
        Self::with(Status::Warn, summary, evidence)
    }

    fn with(status: Status, summary: impl Into<String>, evidence: Vec<Evidence>) -> Self {
        Outcome {
            status,
            summary: summary.into(),
            evidence,
            hint: None,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// The summary and the first few pieces of evidence.
    pub fn message(&self) -> String {
        if self.evidence.is_empty() {
            return self.summary.clone();
        }
        let listed: Vec<String> = self
            .evidence
            .iter()
            .take(LISTED)
            .map(ToString::to_string)
            .collect();
        let more = self.evidence.len().saturating_sub(LISTED);
        let tail = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        format!("{}: {}{tail}", self.summary, listed.join(", "))
    }
}

/// Every rule, in report order.
pub fn catalog() -> &'static [Rule] {
    &CATALOG
}

/// The rule with `id`.
pub fn find(id: &str) -> Option<&'static Rule> {
    CATALOG.iter().find(|rule| rule.id == id)
}

static CATALOG: [Rule; 29] = [
    Rule {
        id: "BKL-USER-ROOT",
        title: "runs as root",
        severity: Severity::High,
        weight: 20,
        cis: Some("4.1"),
        description: "A container whose config sets no User, or User 0 or root (or a name with uid 0), runs its process as root: a breakout or a writable host mount then acts as root. A user name that /etc/passwd does not list cannot be resolved to a uid, so the container does not start as that user.",
        hint: "set `USER 65532:65532` (a numeric uid:gid with an /etc/passwd entry) in the image config",
        check: user::root,
    },
    Rule {
        id: "BKL-SHELL",
        title: "a shell is present",
        severity: Severity::Medium,
        weight: 10,
        cis: Some("4.3"),
        description: "A shell (sh, bash, dash, ash, busybox, zsh, ksh, mksh) lets anyone who gets code execution in the container run arbitrary commands interactively, and is the first thing exploit payloads reach for.",
        hint: "build the final stage FROM a base without a shell (buckle's runtime images) and copy the application into it",
        check: tools::shell,
    },
    Rule {
        id: "BKL-PACKAGE-MANAGER",
        title: "a package manager is present",
        severity: Severity::Medium,
        weight: 10,
        cis: Some("4.3"),
        description: "A package manager (apt, apt-get, dpkg, apk, rpm, dnf, yum, microdnf, or pip in /usr/bin as a system tool) lets an attacker install tools into a running container, and is not needed at run time.",
        hint: "install packages in a build stage and copy the result into a final stage without a package manager",
        check: tools::package_manager,
    },
    Rule {
        id: "BKL-SETUID",
        title: "setuid or setgid files",
        severity: Severity::High,
        weight: 20,
        cis: Some("4.8"),
        description: "Files with the setuid or setgid bit run with their owner's or group's privileges whoever starts them: each one is a privilege-escalation path for a non-root process.",
        hint: "remove the bits (`chmod u-s,g-s FILE`) or the files in the image build; buckle images have none",
        check: modes::setuid,
    },
    Rule {
        id: "BKL-WORLD-WRITABLE",
        title: "world-writable files or directories without the sticky bit",
        severity: Severity::Medium,
        weight: 10,
        cis: None,
        description: "A world-writable file can be changed by any user in the container; a world-writable directory without the sticky bit lets any user delete or replace the files of others.",
        hint: "drop the others-write bit (`chmod o-w`), or set the sticky bit on shared directories (`chmod 1777`)",
        check: modes::world_writable,
    },
    Rule {
        id: "BKL-DEVICE-NODE",
        title: "device nodes",
        severity: Severity::Medium,
        weight: 10,
        cis: None,
        description: "Device nodes belong to the runtime, which creates /dev for each container; a node baked into an image can give access to host devices when the container runs with device permissions.",
        hint: "remove device nodes from the image; the runtime provides /dev",
        check: modes::device_nodes,
    },
    Rule {
        id: "BKL-TMP",
        title: "/tmp is missing or not mode 1777",
        severity: Severity::Low,
        weight: 4,
        cis: None,
        description: "Programs write temporary files to /tmp. It should exist as a directory with mode 1777 so that a non-root user can write there and a tmpfs can be mounted over it when the root file system is read-only.",
        hint: "create /tmp as a directory with mode 1777 (buckle images do) and mount a tmpfs there at run time",
        check: modes::tmp,
    },
    Rule {
        id: "BKL-SECRET-PRIVATE-KEY",
        title: "private keys in the file system",
        severity: Severity::Critical,
        weight: 30,
        cis: Some("4.10"),
        description: "A PEM private key (RSA, EC, PKCS#8, OpenSSH, OpenPGP) in an image is readable by everyone who can pull the image. Public certificates and the CA bundle are not keys and are not reported.",
        hint: "remove the key and rotate it; mount keys at run time as secrets instead of copying them into the image",
        check: secrets::private_keys,
    },
    Rule {
        id: "BKL-SECRET-CLOUD-CREDENTIALS",
        title: "cloud credential files",
        severity: Severity::Critical,
        weight: 30,
        cis: Some("4.10"),
        description: "Cloud CLI credential files (~/.aws/credentials, ~/.config/gcloud/*credentials*, ~/.azure) give whoever pulls the image the cloud account they belong to.",
        hint: "remove the files and revoke the credentials; use workload identity or secrets mounted at run time",
        check: secrets::cloud_credentials,
    },
    Rule {
        id: "BKL-SECRET-SSH-HOST-KEY",
        title: "SSH host keys",
        severity: Severity::High,
        weight: 20,
        cis: Some("4.10"),
        description: "SSH host private keys (/etc/ssh/ssh_host_*_key) baked into an image are shared by every container made from it, so any one of them can impersonate all the others.",
        hint: "delete /etc/ssh/ssh_host_*_key in the build and generate host keys when the container starts, or do not run sshd in a container",
        check: secrets::ssh_host_keys,
    },
    Rule {
        id: "BKL-SECRET-DOTENV",
        title: ".env files",
        severity: Severity::High,
        weight: 20,
        cis: Some("4.10"),
        description: ".env files hold an application's configuration secrets (database passwords, API tokens) and are copied into images by a broad COPY. Templates named .env.example, .env.sample, .env.template or .env.dist are not reported.",
        hint: "add .env to .dockerignore and pass configuration as environment or mounted secrets at run time",
        check: secrets::dotenv,
    },
    Rule {
        id: "BKL-SECRET-SHELL-HISTORY",
        title: "shell and REPL history files",
        severity: Severity::Medium,
        weight: 10,
        cis: Some("4.10"),
        description: "History files (.bash_history, .zsh_history, .python_history, ...) record commands typed during a build or debugging session, often with passwords and tokens on the command line.",
        hint: "delete history files in the build and add them to .dockerignore",
        check: secrets::shell_history,
    },
    Rule {
        id: "BKL-SECRET-GIT-DIR",
        title: ".git directories",
        severity: Severity::Medium,
        weight: 10,
        cis: Some("4.10"),
        description: "A .git directory carries the whole repository history, including files deleted long ago and credentials in remote URLs.",
        hint: "add .git to .dockerignore, or copy only the build output into the image",
        check: secrets::git_dirs,
    },
    Rule {
        id: "BKL-SECRET-HISTORY",
        title: "secrets removed in a later layer but still in the image",
        severity: Severity::High,
        weight: 20,
        cis: Some("4.10"),
        description: "Deleting a file in a later layer only hides it: the layer that added it is still part of the image, and anyone can extract the file from that layer's tar.",
        hint: "rebuild so that the secret never enters a layer (build secrets with `RUN --mount=type=secret`, multi-stage builds), then rotate the secret",
        check: secrets::in_history,
    },
    Rule {
        id: "BKL-SECRET-ENV",
        title: "secrets in environment, labels or build history",
        severity: Severity::High,
        weight: 20,
        cis: Some("4.10"),
        description: "Env entries, labels and annotations are readable by anyone who can pull the image, and so are the ENV and ARG values recorded in its history. Names like *PASSWORD*, *SECRET*, *_TOKEN and *_API_KEY with a value, and values shaped like cloud or forge tokens, are reported (values are never printed).",
        hint: "remove the value from the Dockerfile and pass it at run time (environment from a secret store, or a mounted file)",
        check: secrets::in_metadata,
    },
    Rule {
        id: "BKL-ENTRYPOINT-SHELL",
        title: "the entrypoint needs a shell",
        severity: Severity::Medium,
        weight: 10,
        cis: None,
        description: "An entrypoint in shell form (`/bin/sh -c ...`) or a script whose #! line names a shell breaks as soon as the shell is removed, and it runs the real program as a child of the shell, which does not forward signals.",
        hint: "use exec form with the program itself (`ENTRYPOINT [\"/app\"]`) and move the script's logic into the program or its configuration",
        check: entrypoint::needs_shell,
    },
    Rule {
        id: "BKL-READONLY-ROOT-WRITES",
        title: "start-up writes under a read-only root",
        severity: Severity::Medium,
        weight: 10,
        cis: None,
        description: "Some programs write at start-up to fixed paths (nginx: its pid file, temp and log directories; apache2, php-fpm, sshd, postgres: run directories). With a read-only root file system these writes fail unless a volume covers the path. nginx's own `pid`, `*_temp_path` and `access_log` directives in /etc/nginx/nginx.conf are read; php-fpm's `pid`, `error_log`, `listen` (a Unix socket), `access.log` and `slowlog` in /etc/php/<version>/fpm/php-fpm.conf and the pool files it includes, or Debian's /run/php without it; other programs are judged by their packaged defaults (apache2's from Debian's /etc/apache2/envvars; postgres's socket directory from `unix_socket_directories=` on the entrypoint or cmd when given).",
        hint: "point the paths at /tmp (and declare /tmp a volume or mount a tmpfs), log to stdout/stderr, or declare a VOLUME for each path",
        check: writes::startup_writes,
    },
    Rule {
        id: "BKL-PACKAGE-METADATA-MISSING",
        title: "no package metadata",
        severity: Severity::Medium,
        weight: 10,
        cis: None,
        description: "Without a package database (dpkg status or status.d, apk installed, rpm database) vulnerability scanners cannot tell what is installed and report nothing, which looks like a clean image.",
        hint: "keep /var/lib/dpkg/status (or distroless-style /var/lib/dpkg/status.d/<package> with .md5sums files) in the image",
        check: package_db::missing,
    },
    Rule {
        id: "BKL-PACKAGE-METADATA-STALE",
        title: "binaries not owned by any package",
        severity: Severity::Medium,
        weight: 10,
        cis: None,
        description: "ELF binaries and libraries in the bin and lib directories of / and /usr that no package's file list (.md5sums, .list, apk R: lines) names are invisible to package-based scanners: their CVEs are never reported. (/usr/local is BKL-LOCAL-BINARIES.)",
        hint: "install software through packages, or ship an SBOM that lists the extra binaries",
        check: package_db::stale,
    },
    Rule {
        id: "BKL-LOCAL-BINARIES",
        title: "binaries installed under /usr/local",
        severity: Severity::Info,
        weight: 0,
        cis: None,
        description: "ELF binaries and libraries under /usr/local were installed outside any package (Debian policy 9.1.2 keeps packages out of /usr/local): an app's own programs, or tools copied from a build stage. Package-based scanners do not see them, so their vulnerabilities are yours to track. Informational: costs no points, because no package metadata is wrong about them.",
        hint: "ship an SBOM that lists them, and rebuild the image when their sources change; install distribution tools through packages instead of copying them",
        check: package_db::local,
    },
    Rule {
        id: "BKL-ATTACH-SBOM",
        title: "no SBOM attached",
        severity: Severity::Low,
        weight: 4,
        cis: None,
        description: "An SBOM attached to the image (an OCI referrer or cosign `.sbom` tag) lets consumers see what is inside without unpacking it. Only an OCI layout can carry attachments.",
        hint: "attach an SPDX or CycloneDX SBOM as a referrer (buckle build does)",
        check: supply::sbom,
    },
    Rule {
        id: "BKL-ATTACH-PROVENANCE",
        title: "no provenance attached",
        severity: Severity::Low,
        weight: 4,
        cis: None,
        description: "SLSA provenance attached to the image records how and from what it was built.",
        hint: "attach a signed SLSA provenance attestation as a referrer (buckle build does)",
        check: supply::provenance,
    },
    Rule {
        id: "BKL-ATTACH-SIGNATURE",
        title: "no signature attached",
        severity: Severity::Low,
        weight: 4,
        cis: Some("4.5"),
        description: "A signature (cosign, notation, a sigstore bundle or a DSSE-signed attestation) lets consumers verify who published the image before they run it.",
        hint: "sign the image (buckle's attestations are DSSE-signed; or `cosign sign`)",
        check: supply::signature,
    },
    Rule {
        id: "BKL-BASE-UNPINNED",
        title: "base image not pinned by digest",
        severity: Severity::Low,
        weight: 4,
        cis: None,
        description: "Without the `org.opencontainers.image.base.digest` annotation nobody can tell which base image build this image was made from, nor rebuild it on the same base. Single-layer images, images whose `org.opencontainers.image.base.name` is `scratch`, and images buckle built from packages (every history entry starts with `buckle: `) have no base image.",
        hint: "build FROM name@sha256:... and record it as `org.opencontainers.image.base.digest` (buildx does with `--annotation`)",
        check: supply::base_pinned,
    },
    Rule {
        id: "BKL-TAG-LATEST",
        title: "only a `latest` tag",
        severity: Severity::Low,
        weight: 4,
        cis: None,
        description: "An image known only as `latest` changes under its users' feet; deployments cannot say which build they run.",
        hint: "tag images with a version or date as well, and deploy by digest",
        check: supply::latest_only,
    },
    Rule {
        id: "BKL-HISTORY-ADD-REMOTE",
        title: "ADD of a remote URL",
        severity: Severity::Medium,
        weight: 10,
        cis: Some("4.9"),
        description: "ADD with a URL downloads content at build time without checking it, and the history keeps only the URL. ADD of local files cannot be told apart from COPY in the history, so only remote sources are judged.",
        hint: "download in a RUN step that verifies a checksum (or `ADD --checksum=sha256:...`), or COPY a vendored file",
        check: supply::add_remote,
    },
    Rule {
        id: "BKL-HISTORY-UPDATE-ALONE",
        title: "package index update alone in a build step",
        severity: Severity::Low,
        weight: 4,
        cis: Some("4.7"),
        description: "A build step that only refreshes the package index (`apt-get update`, `apk update`, `yum update`) is cached by the builder, so later install steps use a stale index and miss security updates.",
        hint: "update and install in the same RUN (`apt-get update && apt-get install -y ...`)",
        check: supply::update_alone,
    },
    Rule {
        id: "BKL-HEALTHCHECK",
        title: "no HEALTHCHECK",
        severity: Severity::Info,
        weight: 0,
        cis: Some("4.6"),
        description: "CIS asks for a HEALTHCHECK in the image. Distroless-style images usually have none on purpose: a health check command needs a shell or an extra probe binary in the image, and orchestrators such as Kubernetes define liveness and readiness probes outside the image. This rule is informational and costs no points.",
        hint: "define probes in the orchestrator, or add a HEALTHCHECK in exec form that runs a binary the image already has",
        check: supply::healthcheck,
    },
    Rule {
        id: "BKL-EOL",
        title: "upstream support has ended",
        severity: Severity::Medium,
        weight: 10,
        cis: None,
        description: "An image whose `dev.buckle.eol` label (written from the spec's `eol`) is past ships software its upstream no longer fixes: new vulnerabilities in it stay open. Images without the label are not judged.",
        hint: "move to a spec that ships a supported release (for Node, the current LTS image), and rebuild",
        check: supply::end_of_life,
    },
];
