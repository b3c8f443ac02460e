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
}

#[derive(Debug, Args)]
pub struct FeedsArgs {
    #[command(subcommand)]
    pub command: FeedsCommand,
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
}

/// How to reach a registry.
#[derive(Debug, Args)]
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
}
