//! `buckle migrate` against a real Dockerfile builder. Every corpus Dockerfile that has
//! a build context in crates/migrate/testdata/contexts is built with buildah twice:
//!
//! - as written, FROM stand-ins for the images it names (python, node, nginx, golang,
//!   rust, debian, ubuntu, distroless, uv), made here with mmdebstrap from the mirror
//!   the host's apt uses, the way Debian's official images are made;
//! - as `buckle migrate` wrote it, FROM the catalog's images (the ones the mirror tests
//!   build) and the spec it generated, built by `buckle build`.
//!
//! Both images then answer the context's smoke test (smoke.toml: the image's own
//! command, or one HTTP request) with the same output. The migrated one runs as 65532
//! on a read-only root with no capabilities, has no shell, has no hadolint error, fails
//! no `buckle check` rule about its contents, and once `buckle sign`ed scores at least
//! 95. The figures (`--nocapture` prints them) are the table of docs/retrofit.md.

use crate::apt_oracle::host_mirrors;
use crate::buildah::{tool, Buildah};
use crate::cli::Buckle;
use crate::mirror::{catalog, copy_dir_except};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Where the migrated Dockerfiles find the buckle images (`buckle migrate`'s default).
const PREFIX: &str = "localhost:5000/buckle";

/// The host's CA bundle. This machine reaches the Python index and the npm registry
/// through a proxy whose CA only the host trusts, so every build's RUN steps get the
/// host's bundle at HOST_CA_INSIDE and a pip configuration naming it, the original's and
/// the migrated one's alike; npm runs only in the node stand-in, whose npmrc names it.
/// (Mounted over the image's own bundle, it would break steps that install
/// ca-certificates.)
const HOST_CA: &str = "/etc/ssl/certs/ca-certificates.crt";
const HOST_CA_INSIDE: &str = "/etc/host-ca.crt";

/// npm as the node images carry it: the registry's package, unpacked into the stand-in.
const NPM_PACKAGE: &str = "npm@10.9.9";

const PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// A stand-in for upstream images: mmdebstrap's minbase of `suite` with `packages`,
/// a hook run on the root (as `$1`), the image config, and the names it stands for.
struct StandIn {
    suite: &'static str,
    packages: &'static str,
    hook: &'static str,
    config: &'static [&'static str],
    names: &'static [&'static str],
}

const STAND_INS: &[StandIn] = &[
    StandIn {
        suite: "bookworm",
        packages: "",
        hook: "",
        config: &["--cmd", "[\"bash\"]"],
        names: &["docker.io/library/debian:bookworm", "docker.io/library/debian:bookworm-slim"],
    },
    StandIn {
        suite: "trixie",
        packages: "",
        hook: "",
        config: &["--cmd", "[\"bash\"]"],
        names: &["docker.io/library/ubuntu:24.04"],
    },
    // The python images' interpreter is their own, whose pip installs system-wide:
    // Debian's refuses (PEP 668) until its marker is gone.
    StandIn {
        suite: "trixie",
        packages: "python3,python3-pip,python3-venv,python-is-python3",
        hook: "rm -f \"$1\"/usr/lib/python3*/EXTERNALLY-MANAGED",
        config: &["--cmd", "[\"python3\"]"],
        names: &[
            "docker.io/library/python:3.11-bookworm",
            "docker.io/library/python:3.11-slim-bookworm",
            "docker.io/library/python:3.12-slim",
            "docker.io/library/python:3.13-slim",
        ],
    },
    // The node images carry npm from the npm registry, not Debian's (which brings some
    // 300 node-* packages): NPM_PACKAGE, unpacked by the test at `{npm}`. It uses its
    // own CA list unless told: the proxy's CA (see HOST_CA).
    StandIn {
        suite: "trixie",
        packages: "nodejs",
        hook: "mkdir -p \"$1\"/usr/local/lib/node_modules \"$1\"/usr/etc \
               && cp -a {npm} \"$1\"/usr/local/lib/node_modules/npm \
               && ln -s ../lib/node_modules/npm/bin/npm-cli.js \"$1\"/usr/local/bin/npm \
               && echo cafile=/etc/host-ca.crt > \"$1\"/usr/etc/npmrc",
        config: &["--cmd", "[\"node\"]"],
        names: &["docker.io/library/node:22-bookworm-slim"],
    },
    // Configured as the nginx images are: one default server on port 80 for
    // /usr/share/nginx/html, logs to the container's output.
    StandIn {
        suite: "trixie",
        packages: "nginx",
        hook: "rm \"$1\"/etc/nginx/sites-enabled/default \
               && printf 'server {\\n listen 80;\\n root /usr/share/nginx/html;\\n index index.html;\\n}\\n' > \"$1\"/etc/nginx/conf.d/default.conf \
               && ln -sf /dev/stdout \"$1\"/var/log/nginx/access.log && ln -sf /dev/stderr \"$1\"/var/log/nginx/error.log",
        config: &["--cmd", "[\"nginx\", \"-g\", \"daemon off;\"]", "--port", "80"],
        names: &["docker.io/library/nginx:1.27-bookworm"],
    },
    StandIn {
        suite: "trixie",
        packages: "golang-go,ca-certificates",
        hook: "",
        config: &["--env", "GOTOOLCHAIN=local", "--cmd", "[\"bash\"]"],
        names: &["docker.io/library/golang:1.23-bookworm", "docker.io/library/golang:1.24-bookworm"],
    },
    StandIn {
        suite: "trixie",
        packages: "cargo",
        hook: "",
        config: &["--cmd", "[\"bash\"]"],
        names: &["docker.io/library/rust:1.82-slim-bookworm"],
    },
];

/// What both images must answer (`smoke.toml` in the context).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Smoke {
    /// A command run in the context on the host before the builds (a C program the
    /// Dockerfile copies in, compiled by the host's gcc).
    #[serde(default)]
    prepare: Vec<String>,
    run: Option<RunSmoke>,
    http: Option<HttpSmoke>,
    /// `buckle harden` the original image too (a command smoke test only).
    harden: Option<HardenCase>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HardenCase {
    /// `--keep-package`: what the app loads in a way no file shows (dlopen).
    #[serde(default)]
    keep: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RunSmoke {
    /// Replaces the image's CMD.
    args: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HttpSmoke {
    port: u16,
    path: String,
    /// The port the migrated image listens on, when the migration moved it.
    migrated_port: Option<u16>,
}

/// The stand-ins and the catalog images in one buildah storage, built once.
struct Builder {
    dir: PathBuf,
    buildah: Buildah,
    buckle: Buckle,
    loaded: Mutex<BTreeSet<String>>,
}

fn builder() -> &'static Builder {
    static BUILDER: OnceLock<Builder> = OnceLock::new();
    BUILDER.get_or_init(|| {
        let started = Instant::now();
        let dir = crate::fixture::process_dir("retrofit");
        let buildah = Buildah::new(&dir.join("buildah"));
        let (mirror, _) = host_mirrors();
        let npm = dir.join("npm");
        std::fs::create_dir(&npm).unwrap();
        let destination = npm.to_str().unwrap();
        tool(
            "npm",
            &["pack", NPM_PACKAGE, "--silent", "--pack-destination"],
            &[destination],
        );
        let tarball = std::fs::read_dir(&npm).unwrap().next().unwrap().unwrap().path();
        tool("tar", &["-xzf"], &[tarball.to_str().unwrap(), "-C", destination]);
        let npm = npm.join("package");
        std::thread::scope(|scope| {
            for stand_in in STAND_INS {
                let (buildah, mirror, npm) = (&buildah, &mirror, &npm);
                scope.spawn(move || stand_in.make(buildah, mirror, npm));
            }
        });
        scratch_stand_ins(&dir, &buildah);
        eprintln!("retrofit: stand-ins made in {:.0?}", started.elapsed());
        let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("buckle-cache");
        let buckle = Buckle::new(&dir, &cache);
        buckle
            .run_with_password(Some("retrofit"), &["keygen", "-o", "signer"])
            .ok();
        Builder {
            dir,
            buildah,
            buckle,
            loaded: Mutex::new(BTreeSet::new()),
        }
    })
}

impl StandIn {
    /// mmdebstrap writes the root straight into a mounted working container.
    fn make(&self, buildah: &Buildah, mirror: &str, npm: &Path) {
        let container = buildah.run(&["from", "scratch"]).trim().to_owned();
        let root = buildah.run(&["mount", &container]).trim().to_owned();
        let include = format!("--include={}", self.packages);
        let hook = format!(
            "--customize-hook={}",
            self.hook.replace("{npm}", npm.to_str().unwrap())
        );
        let mut args = vec![
            "--variant=minbase",
            "--quiet",
            "--skip=output/dev",
            "--format=directory",
            // As Debian's official images do (and the file stays in the image for the
            // builds' apt-get steps): no fsync per file in a throwaway root.
            "--dpkgopt=force-unsafe-io",
        ];
        if !self.packages.is_empty() {
            args.push(&include);
        }
        if !self.hook.is_empty() {
            args.push(&hook);
        }
        args.extend([self.suite, &root, mirror]);
        tool("mmdebstrap", &[], &args);
        buildah.run(&["umount", &container]);
        let mut config = vec!["config", "--env", PATH];
        config.extend_from_slice(self.config);
        config.push(&container);
        buildah.run(&config);
        buildah.run(&["commit", "-q", "--rm", &container, self.names[0]]);
        for name in &self.names[1..] {
            buildah.run(&["tag", self.names[0], name]);
        }
    }
}

/// Images with no distribution in them: distroless's static image (accounts, /tmp)
/// and uv's image (the uv binary the test environment installed from PyPI).
fn scratch_stand_ins(dir: &Path, buildah: &Buildah) {
    let static_root = dir.join("distroless-static");
    std::fs::create_dir_all(static_root.join("etc")).unwrap();
    std::fs::create_dir_all(static_root.join("tmp")).unwrap();
    std::fs::write(
        static_root.join("etc/passwd"),
        "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n",
    )
    .unwrap();
    std::fs::write(
        static_root.join("etc/group"),
        "root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n",
    )
    .unwrap();
    let uv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("../lock-venv/bin/uv");
    assert!(uv.exists(), "scripts/test installs uv in target/lock-venv");
    let uv_root = dir.join("uv");
    std::fs::create_dir_all(&uv_root).unwrap();
    std::fs::copy(&uv, uv_root.join("uv")).unwrap();
    for (root, name) in [
        (&static_root, "gcr.io/distroless/static-debian12:latest"),
        (&uv_root, "ghcr.io/astral-sh/uv:0.4"),
    ] {
        let container = buildah.run(&["from", "scratch"]).trim().to_owned();
        buildah.run(&["copy", &container, root.to_str().unwrap(), "/"]);
        buildah.run(&["commit", "-q", "--rm", &container, name]);
    }
}

impl Builder {
    /// Puts the catalog image `name` (runtime or -dev) in the storage as `PREFIX/name`.
    fn load(&self, name: &str, layout: &Path) {
        let mut loaded = self.loaded.lock().unwrap();
        if !loaded.insert(name.to_owned()) {
            return;
        }
        // buildah names an image pulled from a layout after its path, which must then
        // be a valid (lower-case) repository name.
        let link = self.dir.join(format!("layout-{name}"));
        std::os::unix::fs::symlink(layout, &link).unwrap();
        let pulled = self
            .buildah
            .run(&["pull", "-q", &format!("oci:{}", link.display())]);
        self.buildah
            .run(&["tag", pulled.trim(), &format!("{PREFIX}/{name}")]);
    }
}

/// The image's config, from an OCI layout with one manifest.
fn image_config(layout: &Path) -> Value {
    let blob = |digest: &str| -> Value {
        let hex = digest.strip_prefix("sha256:").unwrap();
        serde_json::from_slice(&std::fs::read(layout.join("blobs/sha256").join(hex)).unwrap()).unwrap()
    };
    let index: Value = serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    let manifest = blob(index["manifests"][0]["digest"].as_str().unwrap());
    blob(manifest["config"]["digest"].as_str().unwrap())["config"].clone()
}

/// How an image runs here: the original as Docker runs it (root unless it says
/// otherwise, a writable root, Docker's default capabilities); the migrated one as
/// a hardened deployment runs it (its user, a read-only root with a tmpfs at /tmp, no
/// capabilities, no new privileges). Both on the host's network, with a tmpfs for each volume (Docker's
/// anonymous volumes).
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    AsDockerRunsIt,
    Hardened,
}

const DOCKER_CAPABILITIES: &[&str] = &[
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
];

/// An unpacked image ready for runc.
struct Bundle {
    dir: PathBuf,
    config: Value,
}

impl Bundle {
    fn unpack(layout: &Path, dir: &Path) -> Bundle {
        let image = buckle_oci::open_image(layout, &Default::default()).unwrap();
        buckle_oci::unpack(&image, &dir.join("rootfs")).unwrap();
        Bundle {
            dir: dir.to_owned(),
            config: image_config(layout),
        }
    }

    /// The uid and gid the image's USER names (numbers, or names in its /etc/passwd).
    fn user(&self) -> (u64, u64) {
        let user = self.config["User"].as_str().unwrap_or("");
        let (name, group) = user.split_once(':').unwrap_or((user, ""));
        let passwd = std::fs::read_to_string(self.dir.join("rootfs/etc/passwd")).unwrap_or_default();
        let entry = passwd
            .lines()
            .map(|l| l.split(':').collect::<Vec<_>>())
            .find(|f| f.len() > 3 && (f[0] == name || f[2] == name));
        let uid = match name {
            "" => 0,
            _ => name
                .parse()
                .ok()
                .or_else(|| entry.as_ref().map(|f| f[2].parse().unwrap()))
                .unwrap_or_else(|| panic!("user {name} is not in the image's /etc/passwd")),
        };
        let gid = group
            .parse()
            .ok()
            .or_else(|| entry.as_ref().map(|f| f[3].parse().unwrap()))
            .unwrap_or(if name.parse::<u64>().is_ok() { uid } else { 0 });
        (uid, gid)
    }

    fn start(&self, mode: Mode, args: Option<&[String]>, id: &str) -> Running {
        let config = &self.config;
        let strings = |value: &Value| -> Vec<String> {
            value
                .as_array()
                .map(|a| a.iter().map(|v| v.as_str().unwrap().to_owned()).collect())
                .unwrap_or_default()
        };
        let mut process_args = strings(&config["Entrypoint"]);
        match args {
            Some(args) => process_args.extend_from_slice(args),
            None => process_args.extend(strings(&config["Cmd"])),
        }
        let (uid, gid) = self.user();
        let mut mounts = vec![
            json!({"destination": "/proc", "type": "proc", "source": "proc"}),
            json!({"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=755"]}),
        ];
        if mode == Mode::Hardened {
            // `docker run --read-only --tmpfs /tmp`, as buckle deploy's manifests mount it.
            mounts.push(json!({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
                "options": ["nosuid", "nodev", "mode=1777"]}));
        }
        for volume in config["Volumes"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, _)| k)
        {
            mounts.push(json!({"destination": volume, "type": "tmpfs", "source": "tmpfs",
                "options": ["nosuid", "nodev", "mode=1777"]}));
        }
        let capabilities: Vec<&str> = match mode {
            Mode::AsDockerRunsIt => DOCKER_CAPABILITIES.to_vec(),
            Mode::Hardened => Vec::new(),
        };
        let runtime = json!({
            "ociVersion": "1.0.2",
            "process": {
                "terminal": false,
                "user": {"uid": uid, "gid": gid},
                "args": process_args,
                "env": strings(&config["Env"]),
                "cwd": config["WorkingDir"].as_str().filter(|w| !w.is_empty()).unwrap_or("/"),
                "capabilities": {"bounding": capabilities, "effective": capabilities, "permitted": capabilities},
                "noNewPrivileges": mode == Mode::Hardened,
            },
            "root": {"path": "rootfs", "readonly": mode == Mode::Hardened},
            "hostname": "retrofit",
            "mounts": mounts,
            "linux": {"namespaces": [{"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}]},
        });
        std::fs::write(self.dir.join("config.json"), runtime.to_string()).unwrap();
        let child = Command::new("runc")
            .args(["run", "--bundle"])
            .arg(&self.dir)
            .arg(id)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        Running {
            id: id.to_owned(),
            child,
        }
    }
}

/// A started container, killed and deleted when dropped.
struct Running {
    id: String,
    child: Child,
}

impl Running {
    /// Its standard output once it exits successfully (within two minutes).
    fn output(mut self) -> String {
        let start = Instant::now();
        while self.child.try_wait().unwrap().is_none() {
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "{} did not exit",
                self.id
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let mut stdout = String::new();
        let mut stderr = String::new();
        self.child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut stdout)
            .unwrap();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        let status = self.child.wait().unwrap();
        assert!(
            status.success(),
            "{} failed ({status}):\n{stdout}\n{stderr}",
            self.id
        );
        stdout
    }

    /// The body of `GET path` once something listens on `port`.
    fn get(mut self, port: u16, path: &str) -> String {
        let start = Instant::now();
        loop {
            if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) {
                write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
                let mut response = String::new();
                stream.read_to_string(&mut response).unwrap();
                let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
                assert!(
                    head.starts_with("HTTP/1") && head.contains(" 200 "),
                    "{}: {head}",
                    self.id
                );
                return body.to_owned();
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                let mut stderr = String::new();
                self.child
                    .stderr
                    .take()
                    .unwrap()
                    .read_to_string(&mut stderr)
                    .unwrap();
                panic!(
                    "{} exited ({status}) without listening on {port}:\n{stderr}",
                    self.id
                );
            }
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "nothing listened on {port}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = Command::new("runc").args(["kill", &self.id, "KILL"]).output();
        let _ = self.child.wait();
        let _ = Command::new("runc")
            .args(["delete", "--force", &self.id])
            .output();
    }
}

/// The buckle images a migrated Dockerfile names (`PREFIX/NAME` after FROM or --from=).
fn buckle_images(dockerfile: &str) -> BTreeSet<String> {
    dockerfile
        .split_whitespace()
        .filter_map(|word| word.strip_prefix("--from=").or(Some(word)))
        .filter_map(|word| word.strip_prefix(&format!("{PREFIX}/")))
        .map(str::to_owned)
        .collect()
}

/// Where a case's time goes (`--nocapture` prints it).
struct Clock {
    last: Instant,
    laps: Vec<String>,
}

impl Default for Clock {
    fn default() -> Clock {
        Clock {
            last: Instant::now(),
            laps: Vec::new(),
        }
    }
}

impl Clock {
    fn lap(&mut self, what: &str) {
        self.laps.push(format!("{what} {:.0?}", self.last.elapsed()));
        self.last = Instant::now();
    }
}

/// What `buckle inspect` and `buckle check` say of an image: (packages, size, score),
/// and the failing rules about its contents (not attachments nor the `latest` tag)
/// with their evidence.
type Findings = Vec<(String, BTreeSet<String>)>;

fn facts(builder: &Builder, layout: &Path) -> ((usize, u64, u64), Findings) {
    let layout = layout.to_str().unwrap();
    let inspect = builder.buckle.run(&["inspect", layout, "--json"]).ok().json();
    let checked = builder.buckle.run(&["check", layout, "--json"]).json();
    let findings = checked["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "fail")
        .map(|f| {
            let evidence = f["evidence"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|e| e["location"].as_str().unwrap_or_default().to_owned())
                .collect();
            (f["rule"].as_str().unwrap().to_owned(), evidence)
        })
        .filter(|(rule, _)| !rule.starts_with("BKL-ATTACH-") && rule != "BKL-TAG-LATEST")
        .collect();
    let figures = (
        inspect["packages"].as_array().unwrap().len(),
        inspect["size"].as_u64().unwrap(),
        checked["score"].as_u64().unwrap(),
    );
    (figures, findings)
}

/// Builds the case both ways, runs both, and checks the migrated one.
fn retrofit(case: &str) {
    let builder = builder();
    let mut clock = Clock::default();
    let testdata = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrate/testdata");
    let dir = builder.dir.join(case);
    let context = dir.join("context");
    copy_dir_except(&testdata.join("contexts").join(case), &context, &|path| {
        path.file_name().is_some_and(|name| name == "smoke.toml")
    });
    std::fs::copy(
        testdata.join(format!("corpus/{case}.Dockerfile")),
        context.join("Dockerfile"),
    )
    .unwrap();
    let smoke: Smoke = toml::from_str(
        &std::fs::read_to_string(testdata.join(format!("contexts/{case}/smoke.toml"))).unwrap(),
    )
    .unwrap();
    if let Some((program, args)) = smoke.prepare.split_first() {
        let status = Command::new(program)
            .args(args)
            .current_dir(&context)
            .status()
            .unwrap();
        assert!(status.success(), "{case}: {:?}", smoke.prepare);
    }

    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("buckle-cache");
    let buckle = Buckle::new(&context, &cache);
    let migration = buckle
        .run(&["migrate", "Dockerfile", "--name", case, "--json"])
        .ok()
        .json();
    let migrated_text = std::fs::read_to_string(context.join("Dockerfile.buckle")).unwrap();
    if migration["spec"].is_string() {
        buckle.run(&["build", "-q", &format!("{case}.toml")]).ok();
        builder.load(case, &context.join(format!("out/{case}")));
    }
    for image in buckle_images(&migrated_text) {
        if image != case {
            builder.load(&image, &catalog().path(&format!("out/{image}")));
        }
    }

    let pip_conf = dir.join("pip.conf");
    std::fs::write(&pip_conf, format!("[global]\ncert = {HOST_CA_INSIDE}\n")).unwrap();
    let volumes = [
        format!("{HOST_CA}:{HOST_CA_INSIDE}:ro"),
        format!("{}:/etc/pip.conf:ro", pip_conf.display()),
    ];
    clock.lap("migrate and the buckle images");
    let mut layouts = Vec::new();
    for (file, side) in [("Dockerfile", "original"), ("Dockerfile.buckle", "migrated")] {
        let tag = format!("localhost/{case}-{side}");
        let volume_args: Vec<&str> = volumes.iter().flat_map(|v| ["--volume", v.as_str()]).collect();
        builder
            .buildah
            .bud_file(&context, &context.join(file), &tag, &volume_args);
        let layout = dir.join(side);
        // Uncompressed: nothing is sent anywhere, and gzip would be most of the time.
        let destination = format!("oci:{}:latest", layout.display());
        builder
            .buildah
            .run(&["push", "-q", "--disable-compression", &tag, &destination]);
        builder.buildah.run(&["rmi", "-f", &tag]);
        layouts.push(layout);
        clock.lap(side);
    }
    let original = Bundle::unpack(&layouts[0], &dir.join("bundle-original"));
    let migrated = Bundle::unpack(&layouts[1], &dir.join("bundle-migrated"));
    assert_eq!(
        migrated.user(),
        (65532, 65532),
        "{case}: the migrated image's user"
    );
    assert!(
        !dir.join("bundle-migrated/rootfs/bin/sh").exists(),
        "{case}: a shell in the migrated image"
    );

    clock.lap("unpack");
    let id = |side: &str| format!("retrofit-{case}-{side}-{}", std::process::id());
    let answers: Vec<String> = match (&smoke.run, &smoke.http) {
        (Some(run), None) => [
            (&original, Mode::AsDockerRunsIt, "original"),
            (&migrated, Mode::Hardened, "migrated"),
        ]
        .into_iter()
        .map(|(bundle, mode, side)| bundle.start(mode, run.args.as_deref(), &id(side)).output())
        .collect(),
        (None, Some(http)) => vec![
            original
                .start(Mode::AsDockerRunsIt, None, &id("original"))
                .get(http.port, &http.path),
            migrated
                .start(Mode::Hardened, None, &id("migrated"))
                .get(http.migrated_port.unwrap_or(http.port), &http.path),
        ],
        _ => panic!("{case}: smoke.toml has one of [run] and [http]"),
    };
    assert!(
        !answers[0].trim().is_empty(),
        "{case}: the original answered nothing"
    );
    assert_eq!(
        answers[0], answers[1],
        "{case}: the original and the migrated image answer differently"
    );

    clock.lap("smoke test");
    if let Some(harden) = &smoke.harden {
        let hardened = dir.join("hardened");
        let mut args = vec![
            "harden",
            layouts[0].to_str().unwrap(),
            "-o",
            hardened.to_str().unwrap(),
            "--sign",
            "signer.key",
            "--json",
        ];
        for package in &harden.keep {
            args.extend(["--keep-package", package.as_str()]);
        }
        let report = builder
            .buckle
            .run_with_password(Some("retrofit"), &args)
            .ok()
            .json();
        let packages = |side: &str| report[side]["packages"].as_u64().unwrap();
        eprintln!(
            "| {case} (harden) | {} → {} | {:.1} → {:.1} MB | {} → {} |",
            packages("before"),
            packages("after"),
            report["before"]["size"].as_f64().unwrap() / 1e6,
            report["after"]["size"].as_f64().unwrap() / 1e6,
            report["before"]["score"],
            report["after"]["score"]
        );
        assert!(packages("after") * 2 < packages("before"), "{case}: {report:#}");
        assert!(
            report["after"]["score"].as_u64().unwrap() >= 95,
            "{case}: {report:#}"
        );
        let bundle = Bundle::unpack(&hardened, &dir.join("bundle-hardened"));
        assert_eq!(bundle.user(), (65532, 65532), "{case}: the hardened image's user");
        let args = smoke.run.as_ref().and_then(|run| run.args.as_deref());
        let answer = bundle.start(Mode::Hardened, args, &id("hardened")).output();
        assert_eq!(
            answer, answers[0],
            "{case}: the hardened image answers differently"
        );
    }

    clock.lap("harden");
    let hadolint = Command::new("hadolint")
        .args(["--no-color", "-f", "json"])
        .arg(context.join("Dockerfile.buckle"))
        .output()
        .expect("scripts/test installs hadolint in target/test-venv");
    let findings: Value = serde_json::from_slice(&hadolint.stdout).unwrap();
    let errors: Vec<&Value> = findings
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["level"] == "error")
        .collect();
    assert!(errors.is_empty(), "{case}: hadolint errors {errors:?}");

    // The migration adds no finding about the image's contents: the only ones allowed
    // are about the app's own files (binaries no package owns, a file its tools left
    // world-writable), which the original carries too.
    builder
        .buckle
        .run_with_password(
            Some("retrofit"),
            &["sign", layouts[1].to_str().unwrap(), "--key", "signer.key"],
        )
        .ok();
    let (before, original_findings) = facts(builder, &layouts[0]);
    let (after, migrated_findings) = facts(builder, &layouts[1]);
    for (rule, evidence) in migrated_findings {
        let in_original = original_findings
            .iter()
            .any(|(r, e)| *r == rule && evidence.is_subset(e));
        assert!(
            in_original,
            "{case}: the migrated image fails {rule} ({evidence:?})"
        );
    }
    clock.lap("hadolint, sign, check");
    eprintln!("retrofit {case}: {}", clock.laps.join(", "));
    eprintln!(
        "| {case} | {} → {} | {:.1} → {:.1} MB | {} → {} |",
        before.0,
        after.0,
        before.1 as f64 / 1e6,
        after.1 as f64 / 1e6,
        before.2,
        after.2
    );
    assert!(
        after.2 >= 95,
        "{case}: the signed migrated image scores {}",
        after.2
    );
    assert!(
        after.2 > before.2,
        "{case}: the original scores {} and the migrated {}",
        before.2,
        after.2
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn every_corpus_dockerfile_with_a_context_is_in_a_test_here() {
    let contexts = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrate/testdata/contexts");
    let mut cases: Vec<String> = std::fs::read_dir(contexts)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    cases.sort();
    let source = include_str!("retrofit.rs");
    for case in &cases {
        assert!(
            source.contains(&format!("retrofit(\"{case}\")")),
            "no test builds {case}"
        );
    }
    assert!(cases.len() >= 12, "{} contexts", cases.len());
}

#[test]
fn python_script_with_a_shell_form_cmd_and_user_root() {
    retrofit("python-script");
}

#[test]
fn python_service_installed_with_pip() {
    retrofit("python-pip");
}

#[test]
fn python_worker_built_with_poetry() {
    retrofit("python-poetry");
}

#[test]
fn python_api_synced_with_uv_and_a_user_of_its_own() {
    retrofit("python-uv");
}

#[test]
fn flask_in_a_virtual_environment_under_gunicorn() {
    retrofit("python-flask-venv");
}

#[test]
fn node_service_installed_with_npm_ci_and_tini_from_apt() {
    retrofit("node-express");
}

#[test]
fn nginx_static_site_on_port_80() {
    retrofit("nginx-site");
}

#[test]
fn go_server_on_distroless_static() {
    retrofit("go-binary");
}

#[test]
fn go_probe_from_scratch() {
    retrofit("go-scratch");
}

#[test]
fn rust_binary_on_debian_slim_with_apt_packages() {
    retrofit("rust-binary");
}

#[test]
fn program_on_an_arg_parameterised_from() {
    retrofit("arg-from");
}

#[test]
fn program_on_an_apt_heavy_debian_image() {
    retrofit("apt-heavy-debian");
}

#[test]
fn cmake_program_built_and_run_on_ubuntu() {
    retrofit("ubuntu-cc");
}
