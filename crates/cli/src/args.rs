//! Command-line arguments.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const ABOUT: &str = "Build hardened, minimal, reproducible OCI images from real Debian packages.";

const LONG_ABOUT: &str = "\
Build hardened, minimal, reproducible OCI images from real Debian packages.

A spec (TOML) names the Debian packages an image needs. buckle resolves them against
the Debian archive into a lock, downloads and verifies every .deb from the archive's
signature down, and writes a non-root image with no shell and no package manager.

  buckle build catalog/python.toml          # lock if needed, fetch, build out/python
  buckle test catalog/python.toml           # run the spec's smoke test with runc
  buckle inspect out/python                 # what is in the image

The Debian mirror is the one the host's apt uses, unless the spec or BUCKLE_MIRROR
says otherwise. Downloads are cached in $BUCKLE_CACHE (default: $XDG_CACHE_HOME/buckle).";

#[derive(Debug, Parser)]
#[command(name = "buckle", version, about = ABOUT, long_about = LONG_ABOUT, after_help = crate::exit::HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub global: Global,
}

#[derive(Debug, Args)]
pub struct Global {
    /// Print machine-readable JSON on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    /// Print results only: no progress, no status lines.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Log what happens (-v debug, -vv trace); BUCKLE_LOG sets filters.
    #[arg(long, short, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Cache directory for .debs and indexes [default: $XDG_CACHE_HOME/buckle]
    #[arg(long, global = true, env = "BUCKLE_CACHE", value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// Debian mirror URL, instead of the one the host's apt uses.
    #[arg(long, global = true, env = "BUCKLE_MIRROR", value_name = "URL")]
    pub mirror: Option<String>,
    /// Debian security mirror URL, instead of the one the host's apt uses.
    #[arg(long, global = true, env = "BUCKLE_SECURITY_MIRROR", value_name = "URL")]
    pub security_mirror: Option<String>,
    /// The most memory reading an image's files may take (bytes, or with K, M, G):
    /// a hostile image gets an error instead of exhausting the machine.
    #[arg(long, global = true, env = "BUCKLE_MEMORY_BUDGET", value_name = "SIZE",
          default_value = "512M", value_parser = parse_size)]
    pub memory_budget: u64,
    /// Work without the network: nothing is downloaded, and what the cache lacks is
    /// named. Suites come from imported bundles (`buckle bundle import`), judged as of
    /// the day the bundle was made.
    #[arg(long, global = true)]
    pub offline: bool,
}

/// `512M`, `2G`, `65536`: a size in bytes, with an optional binary K/M/G suffix.
fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (digits, shift) = match text.char_indices().last() {
        Some((at, 'K' | 'k')) => (&text[..at], 10),
        Some((at, 'M' | 'm')) => (&text[..at], 20),
        Some((at, 'G' | 'g')) => (&text[..at], 30),
        _ => (text, 0),
    };
    let value: u64 = digits
        .parse()
        .map_err(|_| format!("`{text}` is not a size: write bytes, or a number with K, M or G (512M)"))?;
    value
        .checked_mul(1 << shift)
        .filter(|bytes| *bytes > 0)
        .ok_or_else(|| format!("`{text}` is not a usable size"))
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Resolve a spec's packages into a lock file (SPEC.lock beside the spec).
    #[command(
        long_about = "Resolve a spec's packages against the Debian archive into a lock file \
written beside the spec (python.toml -> python.lock).\n\nWithout --update, versions already pinned \
in an existing lock are kept while the archive still has them; with --update everything is \
re-resolved against today's archive."
    )]
    Lock(LockArgs),
    /// Download and verify every .deb of a lock into the cache.
    Fetch(FetchArgs),
    /// Show the dependency chain that pulled a package into a lock.
    Why(WhyArgs),
    /// Build images from specs (locking and fetching first when needed).
    Build(BuildArgs),
    /// Write a first spec for a project: `buckle init app --python DIR` or `--node DIR`.
    #[command(subcommand)]
    Init(InitCommand),
    /// Run a spec's smoke test in its built image with runc (non-root, read-only, no network).
    Test(TestArgs),
    /// Show an image: digest, platform, layers, user, entrypoint, packages.
    Inspect(InspectArgs),
    /// Compare two images: packages and files added, removed, changed.
    Diff(DiffArgs),
    /// Push an OCI layout to a registry, with its referrers and cosign tags.
    #[command(
        long_about = "Push an image from an OCI layout (LAYOUT, or LAYOUT:TAG for one of several) to a \
registry: every platform, then what is attached to it in the layout (manifests whose subject is the \
image: SBOMs, signatures, attestations; and cosign's sha256-<digest>.sig/.att tags), then the tags. \
Blobs and manifests the registry has are skipped and a tag that already names the image is left alone, \
so pushing an unchanged image sends nothing. An interrupted push resumes where it stopped.\n\n\
Credentials come from BUCKLE_REGISTRY_USER and BUCKLE_REGISTRY_PASSWORD, else docker's config.json \
(auths, credHelpers, credsStore)."
    )]
    Push(PushArgs),
    /// Pull an image with its referrers and cosign tags into an OCI layout.
    Pull(PullArgs),
    /// Copy an image with its referrers and cosign tags to another repository or registry.
    Mirror(MirrorArgs),
    /// Write an image's SBOM (SPDX 2.3 or CycloneDX 1.6 JSON) from its dpkg metadata.
    #[command(
        long_about = "Write the SBOM of an image: every Debian package its dpkg metadata lists \
(/var/lib/dpkg/status or status.d/), with versions, source packages, licenses from machine-readable \
copyright files, purls and dependencies; --files adds every file with its SHA-256 and owner.\n\n\
Works on any Debian-based image, not only buckle's. For an image buckle built, --lock adds each \
.deb's SHA-256 and download URL. The output is deterministic: the same image gives the same bytes."
    )]
    Sbom(SbomArgs),
    /// Judge any image's hardening: rules, findings, a score, a CI gate.
    Check(CheckArgs),
    /// Put two images side by side: packages, size, shells, setuid files, findings.
    Compare(CompareArgs),
    /// Rebuild a Debian-based image hardened: its app on only the packages the app needs.
    #[command(
        long_about = "Rebuild any Debian-based image (bookworm or trixie) as a hardened buckle image of the same app: the app's files (those no dpkg package owns, less package manager state, caches, logs, docs and what maintainer scripts generate) on top of a buckle build of only the Debian packages the app needs: the libraries its ELF files link (the DT_NEEDED closure, found as the loader finds them), the interpreters of its scripts, the program its entrypoint runs, and --keep-package. No shell, no package manager, no setuid bits, uid 65532 unless --user; entrypoint, cmd, env, workdir, exposed ports and labels are kept.\n\nA smoke test runs the same command (--test, else the image's entrypoint and cmd) in the original, as its own user, and in the hardened image, read-only; a difference in output or exit code fails the command and nothing is written. The report lists packages and size before and after, what was removed and why, and the `buckle check` score of both (docs/retrofit.md)."
    )]
    Harden(HardenArgs),
    /// Make a signing key pair in cosign's format: NAME.key (encrypted) and NAME.pub.
    #[command(
        long_about = "Make an ECDSA P-256 key pair in cosign's format: NAME.key, the private key \
encrypted with a password (from BUCKLE_PASSWORD, else asked on the terminal), and NAME.pub. cosign \
reads both, and buckle reads keys made by `cosign generate-key-pair`."
    )]
    Keygen(KeygenArgs),
    /// Sign an image: cosign signature, SLSA provenance and SBOM attestations.
    #[command(
        long_about = "Sign every image of an OCI layout (each platform manifest and the index): \
a cosign signature over each digest, and in-toto attestations in DSSE envelopes: SLSA provenance v1 \
(with --spec or --lock: the spec, every InRelease and .deb, the lock) and the SPDX and CycloneDX SBOMs. \
They are attached twice, under cosign's tags (sha256-<digest>.sig, .att) and as OCI 1.1 referrers, so \
`cosign verify` and `cosign verify-attestation` check them once the layout is pushed."
    )]
    Sign(SignArgs),
    /// Verify an image's signatures and attestations with a public key; exit 1 on any failure.
    #[command(
        long_about = "Verify every image of an OCI layout with a public key: that every blob \
matches its digest, that a signature over the digest verifies, that every attestation's signature \
verifies and is about that digest, that the provenance's .deb dependencies and the SBOMs list exactly \
the image's packages, and what a policy requires. Exits 1 naming each failed check."
    )]
    Verify(VerifyArgs),
    /// List the signatures, attestations and SBOMs attached to an image.
    Attestations(AttestationsArgs),
    /// Refresh or import the vulnerability data that `buckle scan` uses.
    Feeds(FeedsArgs),
    /// Find known vulnerabilities in an image, SBOM or dpkg status file: KEV first, VEX applied.
    #[command(
        long_about = "Match the Debian packages of an image (OCI layout or docker archive), an SBOM \
(SPDX or CycloneDX JSON) or a dpkg status file against the stored feeds (`buckle feeds update`, \
`buckle feeds import`), by source package and Debian version order within the image's release. \
Findings list the fixed version (or \"no fix yet\"), KEV dates, EPSS and severity, known-exploited \
first. --vex applies OpenVEX statements; packages with no file in the image are not_affected \
automatically. --fail-on kev,critical,... exits 1 when a finding that VEX does not suppress matches."
    )]
    Scan(ScanArgs),
    /// Relock against today's archive: what changed per image and why (KEV first); --rebuild publishes it.
    #[command(
        long_about = "Relock every spec against today's archive (all its suites) and compare with the \
committed lock: per image, the packages that change (old -> new) and why: a security fix (the \
vulnerabilities the new version fixes, from its changelog and the stored feeds, KEV and EPSS \
included), a point release, or other. Known-exploited fixes come first.\n\nWith --rebuild, only \
the images whose lock changed are rebuilt, signed (--sign) and pushed (--push), most urgent first; \
each gets an advisory (JSON and Markdown, in OUT/advisories) with the old and new digest, the fixes \
and the patch latency; each spec's new lock is written once its images are published. Unchanged \
images are not touched. --watch repeats this every interval until SIGINT or SIGTERM, backing off \
while the mirror or registry is down."
    )]
    Update(UpdateArgs),
    /// List the advisories `buckle update --rebuild` wrote: per image, what changed when, and why.
    Advisories(AdvisoriesArgs),
    /// Rewrite a Dockerfile onto buckle images: Dockerfile.buckle, a spec, a report of every change.
    #[command(
        long_about = "Rewrite a Dockerfile onto buckle images and write it beside the original as \
DOCKERFILE.buckle. Each stage's base image is mapped to the catalog (python, node, nginx, debian, \
ubuntu, distroless, scratch, ...): build stages get PREFIX/<image>-dev, the final stage \
PREFIX/<image>. Packages the final stage installs with apt-get (or apk) go into a generated spec \
(NAME.toml beside the output, Ubuntu and Alpine names mapped to Debian's) whose image the final \
stage then uses; its other RUN steps move to a build stage and their results come over with COPY \
--from, since the runtime image has no shell. USER becomes 65532, plain shell-form ENTRYPOINT/CMD \
become exec form.\n\nThe report gives each change with its reason and lists what needs a person: \
commands that need a shell, ports below 1024, files a moved RUN makes. --map FILE adds image and \
package rules (docs/retrofit.md); its entries win over the built-in ones."
    )]
    Migrate(MigrateArgs),
    /// Show the layer cache (entries and bytes per kind); `buckle cache prune` trims it.
    #[command(
        long_about = "Show what the layer cache holds: finished layer blobs, layer records (a layer's \
exact entries -> its blob), image records (an image's .debs and options -> its layers) and temporary \
files of running or killed builds, each with its bytes, and the downloads beside it.\n\n\
`buckle build` copies a layer from this cache instead of compressing it again when its entries were \
written before, and skips unpacking altogether when the whole image was: a rebuild costs what changed."
    )]
    Cache(CacheArgs),
    /// Seccomp profiles recorded from what a smoke test really calls.
    #[command(subcommand)]
    Seccomp(SeccompCommand),
    /// Air-gapped work: one verified file of everything the catalog needs.
    #[command(
        subcommand,
        long_about = "Air-gapped work. On a connected machine, `bundle create` writes one file (tar, zstd) \
holding the archive's InRelease files byte for byte, the Packages indexes the locks need, every locked \
.deb and upstream artifact, and the vulnerability feeds. Anywhere, `bundle verify` checks it; on the \
disconnected machine `bundle import` adds it to the cache, and `--offline` commands use it. `bundle serve` \
serves its mirrors as apt repositories.\n\nThe Debian signatures stay the root of trust: each InRelease \
is checked against the Debian keys, each index against its InRelease, each .deb against its index, on \
verify, import and serve. The manifest lists every member with its SHA-256 and can be signed (`--sign`).\n\n\
Examples:\n  buckle bundle create catalog/ -o catalog.bundle\n  \
buckle bundle create catalog/ --since catalog-yesterday.bundle -o delta.bundle\n  \
buckle bundle verify catalog.bundle\n  buckle bundle import catalog.bundle\n  \
buckle build catalog/python.toml --offline\n  buckle bundle serve catalog.bundle --addr 127.0.0.1:8080"
    )]
    Bundle(BundleCommand),
    /// Generate a static web catalog of built images (and serve it with --serve).
    #[command(
        long_about = "Generate a static web site of the images in the folders given: an index (name, \
description, variants, architectures, tag and digests, packages, size, open findings KEV first, \
signature, last rebuild) and a page per image (pull and verify commands, packages with CSV and JSON \
exports, findings with VEX, advisories, attestations with the SBOMs and provenance to download, the \
smoke test, and a chart against the -dev variant or --compare IMAGE).\n\nPlain HTML and CSS, one \
script that only adds filtering, nothing loaded from elsewhere, a strict Content-Security-Policy. \
Findings come from the feed store (`buckle feeds update`); without feed data an image shows as not \
scanned, never as clean.\n\nExamples:\n  buckle site out/ -o site/\n  buckle site out/ --compare \
debian-slim/ -o site/\n  buckle site out/ --serve 127.0.0.1:8080"
    )]
    Site(SiteArgs),
    /// Answer AI agents on stdio: an MCP server with tools over the images in --root folders.
    #[command(
        long_about = "An MCP (Model Context Protocol) server on stdin/stdout: newline-delimited \
JSON-RPC 2.0, protocol revisions 2025-06-18 and 2025-11-25. Its tools list images, describe one, \
list packages, vulnerabilities (KEV, VEX), attestations (and verify them with a public key), explain \
why a package is in an image, compare two images, check one, and list advisories since a day.\n\n\
Tools read only files under the --root folders (after following symbolic links); an argument \
outside them is refused. Nothing is changed unless --allow-build is given, which adds a `build` \
tool.\n\nExample client configuration: {\"command\": \"buckle\", \"args\": [\"mcp\", \"--root\", \
\"/srv/images\"]}"
    )]
    Mcp(McpArgs),
    /// Kubernetes manifests that keep an image's hardening; `deploy lint` judges any manifests.
    #[command(
        long_about = "Write a kustomize base for an image (an OCI layout from `buckle build`): \
Namespace (Pod Security \"restricted\" enforced), ServiceAccount (no token), Deployment, Service, \
NetworkPolicy (ingress to the port, egress to DNS only), PodDisruptionBudget, and patches/ for \
what a person chooses (replicas, resources). The pods meet the restricted profile in every field: \
non-root with the image's uid and gid, no privilege escalation, every capability dropped \
(NET_BIND_SERVICE kept only for a port below 1024), seccomp RuntimeDefault (or --seccomp-localhost), \
read-only root with emptyDir volumes at /tmp and the image's declared volumes, image pinned by \
digest, requests and limits, tcpSocket or httpGet probes.\n\n  \
buckle deploy out/python --name api --port 8080 -o deploy/ -- -m http.server 8080\n  \
kustomize build deploy/ | kubectl apply -f -\n  \
buckle deploy lint deploy/ other-team/manifests/\n\n\
`deploy lint` judges any Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job or CronJob \
against the restricted profile as the pod-security admission controller does, plus the same \
hardening; exits 1 on any finding.",
        args_conflicts_with_subcommands = true,
        subcommand_negates_reqs = true
    )]
    Deploy(DeployArgs),
    /// The image factory on a cluster: a CronJob of an Indexed Job, one catalog shard per pod.
    #[command(subcommand)]
    Factory(FactoryCommand),
}

#[derive(Debug, Args)]
pub struct DeployArgs {
    #[command(subcommand)]
    pub command: Option<DeployCommand>,
    /// The image: an OCI layout directory (out/python, or out/python:TAG).
    #[arg(required = true, value_name = "IMAGE")]
    pub image: Option<PathBuf>,
    /// The application's name (Deployment, Service, ServiceAccount, container).
    #[arg(long, required = true)]
    pub name: Option<String>,
    /// The TCP port it listens on [default: the image's only exposed port].
    #[arg(long)]
    pub port: Option<u16>,
    /// The namespace [default: the name].
    #[arg(long)]
    pub namespace: Option<String>,
    /// The repository the cluster pulls the image from (kustomization `images[].newName`).
    #[arg(long, value_name = "REPOSITORY")]
    pub repository: Option<String>,
    /// Probe with an HTTP GET of this path instead of a TCP connection.
    #[arg(long, value_name = "PATH")]
    pub http_probe: Option<String>,
    /// Run under this seccomp profile on the node (relative to the kubelet's seccomp directory).
    #[arg(long, value_name = "PROFILE")]
    pub seccomp_localhost: Option<String>,
    /// The directory to write the base into.
    #[arg(long, short, default_value = "deploy", value_name = "DIR")]
    pub output: PathBuf,
    /// Arguments after the image's entrypoint (after `--`).
    #[arg(last = true, value_name = "ARGS")]
    pub args: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum DeployCommand {
    /// Judge manifests against Pod Security "restricted" and buckle's hardening; exit 1 on failure.
    Lint(DeployLintArgs),
}

#[derive(Debug, Args)]
pub struct DeployLintArgs {
    /// Manifest files (multi-document YAML) or directories of them (*.yaml, *.yml).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Print SARIF 2.1.0 (for code scanning) instead of text.
    #[arg(long, conflicts_with = "json")]
    pub sarif: bool,
}

#[derive(Debug, Subcommand)]
pub enum FactoryCommand {
    /// Write the factory's kustomize base (k8s/) and GitHub Actions workflow (github/).
    #[command(
        long_about = "Write the image factory for a catalog: k8s/, a kustomize base with a CronJob \
(concurrencyPolicy Forbid) whose Indexed Job runs COUNT pods, pod i running `buckle update --rebuild \
--push REGISTRY --shard i/COUNT` on the buckle image (pinned by digest, hardened like any \
deployment), the catalog as a generated ConfigMap, a NetworkPolicy allowing only DNS, the mirror and \
the registry; and github/buckle-factory.yml, the same shards as a matrix. The registry is the only \
shared state; the registry's docker config comes from the Secret `buckle-registry`.\n\n  \
buckle factory k8s catalog/ --registry registry.example/hardened --buckle-image out/buckle -o factory/"
    )]
    K8s(FactoryK8sArgs),
}

#[derive(Debug, Args)]
pub struct FactoryK8sArgs {
    /// The catalog directory (specs, locks and the files they name).
    #[arg(value_name = "CATALOG")]
    pub catalog: PathBuf,
    /// Where images are pushed: HOST[:PORT]/PATH.
    #[arg(long, value_name = "PREFIX")]
    pub registry: String,
    /// The buckle image the pods run (an OCI layout).
    #[arg(long, default_value = "out/buckle", value_name = "IMAGE")]
    pub buckle_image: PathBuf,
    /// How many shards (pods, matrix jobs).
    #[arg(long, default_value_t = 3)]
    pub shards: u32,
    /// When to run (cron syntax, UTC).
    #[arg(long, default_value = "0 3 * * *")]
    pub schedule: String,
    /// The namespace.
    #[arg(long, default_value = "buckle-factory")]
    pub namespace: String,
    /// The directory to write into.
    #[arg(long, short, default_value = "factory", value_name = "DIR")]
    pub output: PathBuf,
}

#[derive(Debug, Args)]
pub struct CacheArgs {
    #[command(subcommand)]
    pub command: Option<CacheCommand>,
}

#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// Remove the layers no lock in DIRS uses, or older than --older-than.
    #[command(
        long_about = "Remove layer cache entries made from a .deb that no lock (*.lock) in DIRS pins, \
and with --older-than those not written for that long; then every blob no remaining entry names, and \
temporary files a killed build left. Without DIRS and --older-than only the last two go. Running \
builds are safe: an entry removed under one is built again."
    )]
    Prune(CachePruneArgs),
}

#[derive(Debug, Args)]
pub struct CachePruneArgs {
    /// Directories whose *.lock files name the .debs to keep layers of (e.g. catalog).
    #[arg(value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// Also remove entries not written for this long: 30s, 15m, 6h, 7d.
    #[arg(long, value_name = "DURATION")]
    pub older_than: Option<String>,
}

#[derive(Debug, Args)]
pub struct FeedsArgs {
    #[command(subcommand)]
    pub command: FeedsCommand,
}

#[derive(Debug, Subcommand)]
pub enum InitCommand {
    /// Write buckle.toml (and an ignore file when there is none) for a Python or Node app.
    #[command(
        long_about = "Write DIR/buckle.toml, an app spec for the project in DIR, and say what was guessed.\n\n\
--python reads pyproject.toml, requirements.txt (hashed) or uv.lock, and looks for a package with a \
__main__.py, else main.py or app.py, for the entrypoint; the base is the catalog's `python`. --node reads \
package.json (name, engines.node, scripts.start, main) and package-lock.json; the base is the catalog's \
Node image for engines.node. Without an ignore file, a .buckleignore is written too. Then: \
`buckle build DIR/buckle.toml`."
    )]
    App(InitAppArgs),
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct InitAppArgs {
    /// A Python project: pyproject.toml, requirements.txt or uv.lock.
    #[arg(long, value_name = "DIR")]
    pub python: Option<PathBuf>,
    /// A Node project: package.json and package-lock.json.
    #[arg(long, value_name = "DIR")]
    pub node: Option<PathBuf>,
    /// Replace an existing buckle.toml.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Subcommand)]
pub enum FeedsCommand {
    /// Read fixes from the changelogs of the archive's newest packages; fetch the web feeds.
    Update(FeedsUpdateArgs),
    /// Import feed files: tracker JSON, OSV Debian .json/.zip, KEV JSON, EPSS .csv/.csv.gz.
    Import(FeedsImportArgs),
}

#[derive(Debug, Args)]
pub struct FeedsUpdateArgs {
    /// Debian releases to read (each with its -updates and -security suites).
    #[arg(long, value_delimiter = ',', default_values_t = ["bookworm".to_owned(), "trixie".to_owned()])]
    pub release: Vec<String>,
    /// Architecture whose indices to read [default: the host's].
    #[arg(long)]
    pub arch: Option<String>,
    /// Read only the Debian archive; do not try the feeds published on the web.
    #[arg(long)]
    pub archive_only: bool,
    /// OpenPGP keys the mirror's InRelease files are signed with [default: Debian's archive keys].
    #[arg(long, value_name = "FILE")]
    pub keyring: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct FeedsImportArgs {
    /// Feed files (the kind of each is told from its content).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScanFormatArg {
    /// A table, KEV first.
    Table,
    /// Findings as JSON.
    Json,
    /// SARIF 2.1.0 for GitHub code scanning.
    Sarif,
    /// An OpenVEX document.
    Openvex,
    /// A CycloneDX 1.6 VEX document.
    CyclonedxVex,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOnArg {
    /// A known-exploited vulnerability (CISA KEV).
    Kev,
    /// Critical severity.
    Critical,
    /// High severity or worse.
    High,
    /// Medium severity or worse.
    Medium,
    /// A finding with a fix in the archive.
    Fixable,
    /// Any finding.
    Any,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// OCI layout directories, docker-archive tars, registry references, SPDX/CycloneDX JSON
    /// SBOMs or dpkg status files (several are scanned in one run, the feeds read once).
    #[arg(value_name = "IMAGE|SBOM", required = true)]
    pub targets: Vec<PathBuf>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = ScanFormatArg::Table)]
    pub format: ScanFormatArg,
    /// Exit 1 when an unsuppressed finding matches any of these (comma separated).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub fail_on: Vec<FailOnArg>,
    /// OpenVEX files whose statements apply (not_affected needs a justification).
    #[arg(long, value_name = "FILE")]
    pub vex: Vec<PathBuf>,
    /// Also list findings that VEX suppresses.
    #[arg(long)]
    pub show_suppressed: bool,
    /// The Debian release to match in [default: from the image's os-release].
    #[arg(long)]
    pub release: Option<String>,
    /// Write the document to FILE instead of stdout (`-` is stdout).
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Sign each image's scan with this private key and attach it to the OCI layout as
    /// an in-toto vulnerability scan attestation (cosign's `--type vuln`).
    #[arg(long, value_name = "KEY")]
    pub attest: Option<PathBuf>,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub struct LockArgs {
    /// Spec files (catalog/*.toml).
    #[arg(required = true, value_name = "SPEC")]
    pub specs: Vec<PathBuf>,
    /// Re-resolve against today's archive instead of keeping pinned versions.
    #[arg(long)]
    pub update: bool,
}

#[derive(Debug, Args)]
pub struct FetchArgs {
    /// Lock files, or specs whose locks to fetch.
    #[arg(required = true, value_name = "LOCK")]
    pub locks: Vec<PathBuf>,
    /// Parallel downloads.
    #[arg(long, short = 'j', default_value_t = 6)]
    pub jobs: usize,
}

#[derive(Debug, Args)]
pub struct WhyArgs {
    /// The lock file (or its spec).
    pub lock: PathBuf,
    /// The package to explain.
    pub package: String,
    /// Architecture to explain [default: the lock's first].
    #[arg(long)]
    pub arch: Option<String>,
    /// Explain the -dev variant.
    #[arg(long, value_enum, default_value_t = VariantArg::Runtime)]
    pub variant: VariantArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VariantArg {
    /// No shell, no package manager.
    Runtime,
    /// Adds a shell, apt and dpkg, for build stages.
    Dev,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// OCI image layout directory.
    Oci,
    /// A tar for `docker load` / `podman load`.
    DockerArchive,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompressionArg {
    Gzip,
    Zstd,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Spec files (catalog/*.toml).
    #[arg(required = true, value_name = "SPEC")]
    pub specs: Vec<PathBuf>,
    /// Which variant to build.
    #[arg(long, value_enum, default_value_t = VariantArg::Runtime)]
    pub variant: VariantArg,
    /// Architectures, comma separated [default: the spec's].
    #[arg(long, value_delimiter = ',')]
    pub arch: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Oci)]
    pub format: FormatArg,
    /// Output path [default: out/<name> or out/<name>-dev; with docker-archive, out/<name>.tar].
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Layer compression.
    #[arg(long, value_enum, default_value_t = CompressionArg::Gzip)]
    pub compression: CompressionArg,
    /// Image creation time and file mtimes, in seconds since 1970 [default: from the lock].
    #[arg(long, env = "SOURCE_DATE_EPOCH")]
    pub source_date_epoch: Option<u64>,
    /// Run the spec's smoke test after building.
    #[arg(long)]
    pub test: bool,
    /// Sign the image with this private key (see `buckle sign`).
    #[arg(long, value_name = "KEY")]
    pub sign: Option<PathBuf>,
    /// Push the image (signed, tested) to HOST[:PORT]/REPOSITORY[:TAG] under a version
    /// tag `<version>-<codename>-<lock hash>` that never moves, plus REF's tag and --tag.
    #[arg(long, value_name = "REF")]
    pub push: Option<String>,
    /// More floating tags for --push (repeatable).
    #[arg(long, value_name = "TAG", requires = "push")]
    pub tag: Vec<String>,
    /// Compress every layer again, neither reading nor writing the layer cache.
    #[arg(long)]
    pub no_layer_cache: bool,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Spec files whose built images to test.
    #[arg(required = true, value_name = "SPEC")]
    pub specs: Vec<PathBuf>,
    /// Which variant to test.
    #[arg(long, value_enum, default_value_t = VariantArg::Runtime)]
    pub variant: VariantArg,
    /// The image to test [default: the build output for the spec].
    #[arg(long)]
    pub image: Option<PathBuf>,
    /// Bind-mount a host file read-only into the container: HOST:CONTAINER.
    #[arg(long, value_name = "HOST:CONTAINER")]
    pub mount: Vec<String>,
    /// Architectures to test (repeatable) [default: every architecture of the image
    /// this machine can run, natively or through a binfmt_misc emulator].
    #[arg(long, value_name = "ARCH")]
    pub arch: Vec<String>,
    /// Run a service test's service on this port instead of the spec's `[test]` port
    /// (`{port}` in its commands follows), e.g. when that one is taken here.
    #[arg(long, value_name = "PORT", value_parser = clap::value_parser!(u16).range(1024..))]
    pub port: Option<u16>,
    /// Run the tested container under this seccomp profile (`buckle seccomp record`
    /// writes one); a syscall outside it fails with EPERM.
    #[arg(long, value_name = "PROFILE")]
    pub seccomp: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum SeccompCommand {
    /// Record a seccomp profile from the syscalls a spec's smoke test really makes.
    #[command(
        long_about = "Run SPEC's smoke test with runc under `strace -f`, keep the syscalls of \
the container's own processes (from its command's execve on, and their children), and write an \
OCI / Kubernetes seccomp profile: everything else fails with EPERM. The smoke test then runs again \
under the profile and must pass.\n\nThe trace is made on this machine's architecture; the profile \
also allows the arm64 names of the same calls (arm64 has only the *at forms). Use it with \
`buckle deploy --seccomp-localhost` (copy it into the kubelet's seccomp directory), Kubernetes' `seccompProfile: {type: Localhost}`, or \
`buckle test --seccomp`. Needs strace (Debian: `apt-get install strace`).\n\n\
Example:\n  buckle seccomp record catalog/python.toml -o python.json"
    )]
    Record(SeccompRecordArgs),
}

#[derive(Debug, Args)]
pub struct SeccompRecordArgs {
    /// The spec whose smoke test to record.
    #[arg(value_name = "SPEC")]
    pub spec: PathBuf,
    /// The image to run [default: the build output for the spec].
    #[arg(long)]
    pub image: Option<PathBuf>,
    /// Bind-mount a host file read-only into the container: HOST:CONTAINER.
    #[arg(long, value_name = "HOST:CONTAINER")]
    pub mount: Vec<String>,
    /// Run a service test's service on this port instead of the spec's.
    #[arg(long, value_name = "PORT", value_parser = clap::value_parser!(u16).range(1024..))]
    pub port: Option<u16>,
    /// Where to write the profile [default: NAME.seccomp.json].
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

/// How to reach a registry.
#[derive(Debug, Clone, Args)]
pub struct RegistryArgs {
    /// A PEM file with the CA that signed the registry's certificate (trusted besides
    /// the system's).
    #[arg(long, env = "BUCKLE_REGISTRY_CA", value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Plain HTTP without TLS: only for a registry on this machine (localhost, 127.0.0.1).
    /// BUCKLE_REGISTRY_INSECURE takes 1/true/yes/on or 0/false/no/off.
    #[arg(
        long,
        env = crate::registry::INSECURE_ENV,
        action = clap::ArgAction::SetTrue,
        value_parser = crate::registry::parse_switch
    )]
    pub insecure: bool,
}

#[derive(Debug, Args)]
pub struct PushArgs {
    /// An OCI layout directory (`dir:tag` picks one of several images).
    pub layout: PathBuf,
    /// Where to: HOST[:PORT]/REPOSITORY[:TAG].
    pub reference: String,
    /// More tags for the image (repeatable).
    #[arg(long, value_name = "TAG")]
    pub tag: Vec<String>,
    /// A repository on the same registry to mount blobs from instead of uploading them.
    #[arg(long, value_name = "REPOSITORY")]
    pub mount_from: Option<String>,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub struct PullArgs {
    /// What to pull: HOST[:PORT]/REPOSITORY[:TAG][@sha256:DIGEST].
    pub reference: String,
    /// The OCI layout to write (replaced atomically when it exists).
    pub layout: PathBuf,
    /// Only the image: no referrers, no cosign tags.
    #[arg(long)]
    pub no_attachments: bool,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub struct MirrorArgs {
    /// From: HOST[:PORT]/REPOSITORY[:TAG][@sha256:DIGEST].
    pub source: String,
    /// To: HOST[:PORT]/REPOSITORY[:TAG] (the source's tag when none is given).
    pub target: String,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// An OCI layout directory, a docker-archive tar, or a registry reference HOST[:PORT]/REPOSITORY[:TAG][@sha256:DIGEST].
    pub image: PathBuf,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SbomFormatArg {
    /// SPDX 2.3 JSON.
    SpdxJson,
    /// CycloneDX 1.6 JSON.
    CyclonedxJson,
}

#[derive(Debug, Args)]
pub struct SbomArgs {
    /// An OCI layout directory or a docker-archive tar (`path:tag` picks a tag), or a registry reference HOST[:PORT]/REPOSITORY[:TAG][@sha256:DIGEST].
    pub image: PathBuf,
    /// The document format.
    #[arg(long, short = 'f', value_enum, default_value_t = SbomFormatArg::SpdxJson)]
    pub format: SbomFormatArg,
    /// Write to FILE instead of stdout (`-` is stdout); a regular file is replaced
    /// atomically, a device or FIFO written in place, a symbolic link followed.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// List every file with its SHA-256 and the package it came from.
    #[arg(long)]
    pub files: bool,
    /// Read every layer, even of a buckle image whose layer indexes would do (the
    /// same result, slower: for checking the indexes).
    #[arg(long)]
    pub read_layers: bool,
    /// The lock the image was built from: adds each .deb's SHA-256 and download URL.
    #[arg(long, value_name = "LOCK")]
    pub lock: Option<PathBuf>,
    /// For a multi-arch image: the architecture (default: the host's).
    #[arg(long)]
    pub arch: Option<String>,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormatArg {
    /// A table for people.
    Table,
    /// Every finding as JSON (same as --json).
    Json,
    /// SARIF 2.1.0 for code-scanning dashboards.
    Sarif,
}

#[derive(Debug, Args)]
pub struct HardenArgs {
    /// The image: an OCI layout directory, a docker-archive tar, or a registry reference HOST[:PORT]/REPOSITORY[:TAG].
    pub image: PathBuf,
    /// Where the hardened OCI layout goes (it must not exist yet).
    #[arg(long, short = 'o', value_name = "DIR", default_value = "out/app-hardened")]
    pub output: PathBuf,
    /// Keep this Debian package too (one the app loads in a way no file shows: Python
    /// modules from Debian, plugins, data); repeatable.
    #[arg(long = "keep-package", value_name = "PACKAGE")]
    pub keep_package: Vec<String>,
    /// The hardened image's user: `nonroot` (65532), `root` or `UID:GID`.
    #[arg(long, default_value = "nonroot")]
    pub user: String,
    /// The smoke test's command as a JSON array (`["/app/server","--version"])
    /// [default: the image's entrypoint and cmd].
    #[arg(long, value_name = "JSON-ARRAY")]
    pub test: Option<String>,
    /// Sign the hardened image with this private key (see `buckle sign`).
    #[arg(long, value_name = "KEY")]
    pub sign: Option<PathBuf>,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// An OCI layout directory, a docker-archive tar (`docker save` output), or a registry reference HOST[:PORT]/REPOSITORY[:TAG][@sha256:DIGEST]
    /// (its referrers and cosign tags read from the registry).
    pub image: PathBuf,
    /// A TOML policy: rules to skip, severities, weights, exceptions with reasons.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Exit 1 when the score is below N (0-100).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=100))]
    pub fail_under: Option<u32>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = CheckFormatArg::Table)]
    pub format: CheckFormatArg,
    /// Show passing rules too.
    #[arg(long)]
    pub all: bool,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The image you have (say, one built on a general-purpose base).
    pub theirs: PathBuf,
    /// The image to compare it with (say, buckle's).
    pub ours: PathBuf,
    /// A TOML policy applied to both.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The old image (a layout, docker archive or registry reference).
    pub old: PathBuf,
    /// The new image (a layout, docker archive or registry reference).
    pub new: PathBuf,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Path of the pair without suffix: writes PATH.key and PATH.pub.
    #[arg(long, short, default_value = "buckle", value_name = "PATH")]
    pub output: PathBuf,
    /// Replace existing key files.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct SignArgs {
    /// An OCI layout directory (`dir:tag` signs one tag).
    pub image: PathBuf,
    /// The private key (from `buckle keygen` or `cosign generate-key-pair`).
    #[arg(long, value_name = "KEY")]
    pub key: PathBuf,
    /// The spec the image was built from (its lock beside it), for the provenance.
    #[arg(long, value_name = "SPEC")]
    pub spec: Option<PathBuf>,
    /// The lock the image was built from (its spec beside it), for the provenance.
    #[arg(long, value_name = "LOCK")]
    pub lock: Option<PathBuf>,
    /// The builder id the provenance names.
    #[arg(long, env = "BUCKLE_BUILDER_ID", value_name = "URI")]
    pub builder_id: Option<String>,
    /// The repository the signature names [default: the image's title].
    #[arg(long, value_name = "NAME")]
    pub reference: Option<String>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// An OCI layout directory (`dir:tag` verifies one tag), or a registry reference HOST[:PORT]/REPOSITORY[:TAG][@sha256:DIGEST]
    /// (its signatures and attestations read from the registry).
    pub image: PathBuf,
    /// The public key (from `buckle keygen` or `cosign generate-key-pair`).
    #[arg(long, value_name = "KEY.pub")]
    pub key: PathBuf,
    /// A TOML policy: `require = [...]` predicate types, `builder-id = "..."`.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Require a verified attestation of this type (slsaprovenance1, spdxjson, cyclonedx, vuln or a URI).
    #[arg(long, value_name = "TYPE")]
    pub require: Vec<String>,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub struct AttestationsArgs {
    /// An OCI layout directory (`dir:tag` lists one tag), or a registry reference HOST[:PORT]/REPOSITORY[:TAG][@sha256:DIGEST].
    pub image: PathBuf,
    /// Print the in-toto statements of this predicate type (slsaprovenance1, spdxjson,
    /// cyclonedx, vuln or a URI), one JSON document per line, as attached: NOT
    /// verified (that is `buckle verify`).
    #[arg(long, value_name = "TYPE")]
    pub show: Option<String>,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// Spec files, or directories of them (catalog/).
    #[arg(required = true, value_name = "DIR|SPEC")]
    pub specs: Vec<PathBuf>,
    /// Rebuild the images whose lock changed, write advisories and the new locks.
    #[arg(long)]
    pub rebuild: bool,
    /// Sign rebuilt images with this private key (see `buckle sign`).
    #[arg(long, value_name = "KEY")]
    pub sign: Option<PathBuf>,
    /// Push rebuilt images to PREFIX/<image>:latest and a version tag.
    #[arg(long, value_name = "REF-PREFIX")]
    pub push: Option<String>,
    /// Without --rebuild: write the new locks (for review in a Git-ops flow).
    #[arg(long, conflicts_with = "rebuild")]
    pub write_locks: bool,
    /// Exit 1 when an image has an update waiting (a CI gate; without --rebuild).
    #[arg(long, conflicts_with = "rebuild")]
    pub check: bool,
    /// Which variants [default: both].
    #[arg(long, value_enum)]
    pub variant: Vec<VariantArg>,
    /// Where images and advisories go.
    #[arg(long, default_value = "out", value_name = "DIR")]
    pub output_dir: PathBuf,
    /// Run every INTERVAL (30s, 15m, 6h, 1d) until SIGINT or SIGTERM.
    #[arg(long, value_name = "INTERVAL")]
    pub watch: Option<String>,
    /// With --watch: the status file [default: OUT/update-status.json].
    #[arg(long, value_name = "FILE", requires = "watch")]
    pub status: Option<PathBuf>,
    /// Only shard INDEX of COUNT (0/3, 1/3, 2/3): specs sorted by file name, dealt out in
    /// turn, so that COUNT workers sharing only the registry never build the same image.
    #[arg(long, value_name = "INDEX/COUNT")]
    pub shard: Option<buckle_deploy::Shard>,
    /// Write new locks into DIR instead of beside their specs (a read-only catalog).
    #[arg(long, value_name = "DIR")]
    pub lock_dir: Option<PathBuf>,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub struct AdvisoriesArgs {
    /// The output directory of `buckle update` (or its advisories/ directory).
    #[arg(default_value = "out")]
    pub dir: PathBuf,
    /// Only this image's advisories.
    #[arg(long, value_name = "IMAGE")]
    pub image: Option<String>,
    /// Only the advisories of rebuilds on or after this day (UTC).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub since: Option<String>,
}

#[derive(Debug, Args)]
pub struct SiteArgs {
    /// Folders of built images: an OCI layout, or a folder of layouts (buckle build's out/).
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// Where to write the site [default: site].
    #[arg(long, short, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// The image every page compares with [default: each image's -dev variant].
    #[arg(long, value_name = "IMAGE")]
    pub compare: Option<PathBuf>,
    /// Folders with the specs the images were built from, for their smoke tests
    /// (repeatable) [default: the current folder and each DIR's parent].
    #[arg(long, value_name = "DIR")]
    pub specs: Vec<PathBuf>,
    /// Serve the site read-only at ADDRESS (127.0.0.1:8080) and regenerate it when a DIR
    /// changes, until interrupted.
    #[arg(long, value_name = "ADDRESS")]
    pub serve: Option<String>,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub struct McpArgs {
    /// A folder the tools may read (repeatable) [default: the current folder].
    #[arg(long, value_name = "DIR")]
    pub root: Vec<PathBuf>,
    /// Offer the `build` tool, which writes images under a root.
    #[arg(long)]
    pub allow_build: bool,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// The Dockerfile to migrate.
    pub dockerfile: PathBuf,
    /// Where the buckle images are published: FROM lines name PREFIX/<image>.
    #[arg(long, value_name = "PREFIX", default_value = buckle_migrate::DEFAULT_REGISTRY)]
    pub registry: String,
    /// A mapping file (TOML) whose image, package and program rules win over the built-in ones.
    #[arg(long, value_name = "FILE")]
    pub map: Option<PathBuf>,
    /// Where to write the migrated Dockerfile (`-` for stdout) [default: DOCKERFILE.buckle].
    #[arg(long, short, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Name of the generated spec [default: from the Dockerfile's name or directory].
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_take_binary_suffixes_and_refuse_the_rest() {
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("2g"), Ok(2 << 30));
        assert_eq!(parse_size("65536"), Ok(65536));
        for bad in ["", "12Q", "M", "-5M", "0"] {
            assert!(parse_size(bad).is_err(), "{bad:?} was taken");
        }
        assert!(parse_size("99999999999G")
            .unwrap_err()
            .contains("not a usable size"));
    }
}

#[derive(Debug, Subcommand)]
pub enum BundleCommand {
    /// On a connected machine: bundle the suites, indexes, locked .debs, upstream
    /// artifacts and feeds of specs (each must have a lock).
    Create(BundleCreateArgs),
    /// Check a bundle: members, signatures, the Debian chain; show what it holds and how old it is.
    Verify(BundleVerifyArgs),
    /// On the disconnected machine: verify a bundle and add it to the cache and feed store.
    Import(BundleImportArgs),
    /// Serve a bundle's mirrors as apt repositories (Release files are the archive's own).
    Serve(BundleServeArgs),
}

#[derive(Debug, Args)]
pub struct BundleCreateArgs {
    /// Specs, or directories of specs (their *.toml); app specs are skipped (bundle their base).
    #[arg(required = true)]
    pub specs: Vec<PathBuf>,
    /// The bundle file to write.
    #[arg(long, short)]
    pub output: PathBuf,
    /// Every component's indexes for the specs' suites and architectures, not only the
    /// specs' components.
    #[arg(long)]
    pub full: bool,
    /// Write a delta: only what OLD does not hold. Import OLD first, then the delta.
    #[arg(long, value_name = "OLD")]
    pub since: Option<PathBuf>,
    /// Carry the OCI layouts (with their attachments) under this directory.
    #[arg(long, value_name = "DIR")]
    pub images: Option<PathBuf>,
    /// Sign the manifest with this private key (`buckle keygen`); password from BUCKLE_PASSWORD.
    #[arg(long, value_name = "KEY")]
    pub sign: Option<PathBuf>,
    /// Parallel downloads.
    #[arg(long, short, default_value_t = 8)]
    pub jobs: usize,
}

#[derive(Debug, Args)]
pub struct BundleCheckArgs {
    /// Require the manifest to be signed by this public key.
    #[arg(long, value_name = "PUBLIC_KEY")]
    pub key: Option<PathBuf>,
    /// OpenPGP keyrings trusted for InRelease besides Debian's (for specs with their own `keyring`).
    #[arg(long, value_name = "FILE")]
    pub keyring: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct BundleVerifyArgs {
    /// The bundle file.
    pub bundle: PathBuf,
    #[command(flatten)]
    pub check: BundleCheckArgs,
}

#[derive(Debug, Args)]
pub struct BundleImportArgs {
    /// The bundle file.
    pub bundle: PathBuf,
    #[command(flatten)]
    pub check: BundleCheckArgs,
    /// Where to write the OCI layouts the bundle carries (left out without it).
    #[arg(long, value_name = "DIR")]
    pub images: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct BundleServeArgs {
    /// The bundle file.
    pub bundle: PathBuf,
    #[command(flatten)]
    pub check: BundleCheckArgs,
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: String,
}
