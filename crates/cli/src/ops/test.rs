//! Smoke tests: a spec's test run in its built image with runc, as a hardened
//! deployment would run it (uid 65532, read-only root): a command and its output, or a
//! service started and probed by a client from the -dev image or an HTTP request.

use crate::args::FormatArg;
use crate::exit::{GateFailed, UserError};
use crate::files::SpecFile;
use crate::image_view;
use crate::printer::Printer;
use crate::runc::{self, BindMount, Process, Sandbox};
use anyhow::Context;
use buckle_spec::{Check, SmokeTest, Variant};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// `uid:gid` (numeric, as buckle writes it); names are not resolved.
pub fn parse_user(user: &str) -> anyhow::Result<(u32, u32)> {
    let (uid, gid) = user.split_once(':').unwrap_or((user, user));
    match (uid.parse(), gid.parse()) {
        (Ok(uid), Ok(gid)) => Ok((uid, gid)),
        _ if user.is_empty() || user == "root" => Ok((0, 0)),
        _ => anyhow::bail!(UserError::new(format!(
            "the image's user `{user}` is not numeric `uid:gid`; buckle test needs numeric ids"
        ))),
    }
}

/// The directory a container of `config` starts in.
pub fn working_dir(config: &buckle_oci::ContainerConfig) -> String {
    config
        .working_dir
        .clone()
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| "/".into())
}

/// Unpacks `image` into a fresh bundle and runs `process` in it with runc, with no
/// network and `mounts` bound read-only.
pub fn run_image(
    image: &buckle_oci::Image,
    process: &Process,
    mounts: &[BindMount],
) -> anyhow::Result<runc::Outcome> {
    let bundle = tempfile::Builder::new()
        .prefix("buckle-test-")
        .tempdir()
        .context("cannot create a bundle directory")?;
    let rootfs = bundle.path().join("rootfs");
    buckle_oci::unpack(image, &rootfs)
        .with_context(|| format!("cannot unpack `{}`", image.path().display()))?;
    let sandbox = Sandbox {
        mounts,
        volumes: &[],
        host_network: false,
    };
    runc::run(bundle.path(), process, &sandbox)
}

/// `--mount HOST:CONTAINER` arguments as bind mounts (the host path must exist).
pub fn parse_mounts(specs: &[String]) -> anyhow::Result<Vec<BindMount>> {
    specs
        .iter()
        .map(|spec| {
            let (host, container) = spec
                .split_once(':')
                .ok_or_else(|| UserError::new(format!("`--mount {spec}`: expected HOST:CONTAINER")))?;
            let host = PathBuf::from(host)
                .canonicalize()
                .map_err(|e| UserError::new(format!("`--mount {spec}`: cannot use `{host}`: {e}")))?;
            Ok(BindMount {
                host,
                container: container.to_owned(),
            })
        })
        .collect()
}

/// Where `buckle build` writes the image of the spec at `path`: `out/NAME` (`-dev` for
/// the dev variant of an image spec).
pub fn default_image(path: &Path, variant: Variant) -> anyhow::Result<std::path::PathBuf> {
    if crate::ops::app::is_app_spec(path)? {
        let name = crate::ops::app::AppFile::load(path)?.spec.name.to_string();
        return Ok(Path::new("out").join(name));
    }
    Ok(SpecFile::load(path)?.default_output(variant, FormatArg::Oci))
}

/// How a smoke test runs besides its image and spec.
#[derive(Default)]
pub struct TestOptions<'a> {
    /// Host paths bind-mounted read-only.
    pub mounts: &'a [BindMount],
    /// The service's port instead of the spec's.
    pub port: Option<u16>,
    /// A seccomp profile and tracing for the tested container (not its client).
    pub confinement: runc::Confinement,
}

/// Runs `spec`'s smoke test in `image` (its `arch` image when given); a failure is a
/// [`GateFailed`].
pub fn smoke_test(
    spec: &SpecFile,
    image_path: &Path,
    arch: Option<&str>,
    options: &TestOptions<'_>,
    printer: &Printer,
) -> anyhow::Result<()> {
    let Some(test) = &spec.spec.test else {
        anyhow::bail!(UserError::with_hint(
            format!("`{}` declares no smoke test", spec.path.display()),
            "add a [test] table with `command` and `expect` (see docs/spec.md)"
        ));
    };
    let dev = DevImage {
        path: spec.default_output(Variant::Dev, FormatArg::Oci),
        spec: spec.path.clone(),
    };
    let image = TestedImage {
        name: &spec.spec.name.to_string(),
        path: image_path,
        arch,
        dev: Some(&dev),
    };
    run_smoke_test(&image, test, options, printer)
}

/// Where a spec's -dev image is (clients and init steps run there), and the spec that
/// builds it.
pub struct DevImage {
    pub path: std::path::PathBuf,
    pub spec: std::path::PathBuf,
}

/// The image a smoke test runs in.
pub struct TestedImage<'a> {
    pub name: &'a str,
    pub path: &'a Path,
    /// Its architecture to pick from a multi-arch index.
    pub arch: Option<&'a str>,
    /// None for an image without a -dev variant (an app image): its test may only be
    /// a command or an HTTP probe.
    pub dev: Option<&'a DevImage>,
}

/// Runs `test` in `image`; a failure is a [`GateFailed`].
pub fn run_smoke_test(
    image: &TestedImage<'_>,
    test: &SmokeTest,
    options: &TestOptions<'_>,
    printer: &Printer,
) -> anyhow::Result<()> {
    let (name, image_path, arch) = (image.name, image.path, image.arch);
    let mounts = options.mounts;
    let test = match options.port {
        Some(port) => test.clone().on_port(port),
        None => test.clone(),
    };
    let unpacked = Unpacked::new(image_path, arch)?;
    let platform = unpacked.platform.clone();
    let (uid, gid) = (unpacked.process.uid, unpacked.process.gid);
    let volumes = Volumes::new(&unpacked.volumes, uid, gid)?;
    let sandbox = Sandbox {
        mounts,
        volumes: &volumes.mounts,
        host_network: test.port().is_some(),
    };
    // A client and an init step run in the -dev image, on the same network and volumes.
    let dev = || -> anyhow::Result<Unpacked> {
        let Some(dev) = image.dev else {
            anyhow::bail!(UserError::new(format!(
                "`{name}` has no -dev image for the test's `client` or `init` to run in"
            )));
        };
        Unpacked::new(&dev.path, Some(platform.as_str())).map_err(|e| {
            UserError::with_hint(
                format!(
                    "the test's `client` and `init` run in the -dev image `{}`: {e:#}",
                    dev.path.display()
                ),
                format!(
                    "build it first: buckle build --variant dev {}",
                    dev.spec.display()
                ),
            )
            .into()
        })
    };
    let mut process = unpacked.process_for(&test.command_for(&unpacked.arch));
    process.confinement = options.confinement.clone();
    for entry in test.env_for(&unpacked.arch) {
        let name = entry.split('=').next().unwrap_or_default();
        process.env.retain(|e| e.split('=').next() != Some(name));
        process.env.push(entry);
    }
    let network = if sandbox.host_network {
        format!(
            "the host's network, service on port {}",
            test.port().unwrap_or_default()
        )
    } else {
        "no network".to_owned()
    };
    printer.status(
        "Testing",
        format!(
            "{name} ({}, {platform}) as {uid}:{gid}, read-only root, no capabilities, {network}",
            image_path.display()
        ),
    );
    let fail = |why: String, output: &str| GateFailed {
        message: format!(
            "smoke test of `{name}` ({platform}) failed: {why}\noutput:\n{}",
            output.trim_end()
        ),
    };
    let (expect, output) = match &test.check {
        Check::Output { expect } => {
            let outcome = runc::run(unpacked.bundle.path(), &process, &sandbox)?;
            let output = format!("{}{}", outcome.stdout, outcome.stderr);
            if !outcome.success {
                anyhow::bail!(fail(format!("the command {:?} failed", process.args), &output));
            }
            if !output.contains(expect.as_str()) {
                anyhow::bail!(fail(format!("its output does not contain `{expect}`"), &output));
            }
            (expect, output)
        }
        Check::Client {
            port,
            command,
            expect,
        } => {
            let client = dev()?;
            init(&test, &client, &sandbox)?;
            let service = Service::start(&unpacked, &mut process, &sandbox, *port)?;
            let args = test.fill_in(command, &client.arch);
            // A service may listen before it is ready (PostgreSQL refuses clients while it
            // starts up): a failing client is retried a while.
            let mut attempts = 0;
            let outcome = loop {
                attempts += 1;
                let outcome = runc::run(client.bundle.path(), &client.process_for(&args), &sandbox);
                match outcome {
                    Ok(o) if !o.success && attempts < PROBE_ATTEMPTS => {
                        std::thread::sleep(Duration::from_secs(1))
                    }
                    other => break other,
                }
            };
            let logs = service.stop();
            let outcome = outcome?;
            let output = format!("{}{}", outcome.stdout, outcome.stderr);
            if !outcome.success || !output.contains(expect.as_str()) {
                let why = if outcome.success {
                    format!("the client's output does not contain `{expect}`")
                } else {
                    format!("the client {args:?} failed")
                };
                anyhow::bail!(fail(why, &format!("{output}\nservice log:\n{logs}")));
            }
            (expect, output)
        }
        Check::Http { port, path, expect } => {
            if !test.init.is_empty() {
                init(&test, &dev()?, &sandbox)?;
            }
            let service = Service::start(&unpacked, &mut process, &sandbox, *port)?;
            let mut attempts = 0;
            let response = loop {
                attempts += 1;
                match http_get(*port, path) {
                    Err(_) if attempts < PROBE_ATTEMPTS => std::thread::sleep(Duration::from_secs(1)),
                    other => break other,
                }
            };
            let logs = service.stop();
            let response = response.map_err(|e| fail(format!("GET {path}: {e}"), &logs))?;
            if !response.contains(expect.as_str()) {
                let why = format!("the response to GET {path} does not contain `{expect}`");
                anyhow::bail!(fail(why, &format!("{response}\nservice log:\n{logs}")));
            }
            let status = response.lines().next().unwrap_or_default().to_owned();
            (expect, status)
        }
    };
    printer.status(
        "Passed",
        format!("{name} ({platform}): output contains `{expect}`"),
    );
    if !printer.json {
        printer.result(output.trim_end());
    }
    Ok(())
}

/// Runs the test's `init` command, if any, to its end in the -dev image `dev`.
fn init(test: &SmokeTest, dev: &Unpacked, sandbox: &Sandbox<'_>) -> anyhow::Result<()> {
    if test.init.is_empty() {
        return Ok(());
    }
    let args = test.fill_in(&test.init, &dev.arch);
    let outcome = runc::run(dev.bundle.path(), &dev.process_for(&args), sandbox)?;
    if !outcome.success {
        anyhow::bail!(GateFailed {
            message: format!(
                "the init step {args:?} failed\noutput:\n{}{}",
                outcome.stdout,
                outcome.stderr.trim_end()
            )
        });
    }
    Ok(())
}

/// The image's declared volumes as fresh directories, owned by the image's user with
/// mode 0700 (as a new volume would be), shared by every container of one test.
/// `/tmp` is left out: every container gets a tmpfs there.
struct Volumes {
    _dir: tempfile::TempDir,
    mounts: Vec<BindMount>,
}

impl Volumes {
    fn new(paths: &[String], uid: u32, gid: u32) -> anyhow::Result<Volumes> {
        let dir = tempfile::Builder::new()
            .prefix("buckle-volumes-")
            .tempdir()
            .context("cannot create the volumes' directory")?;
        let mut mounts = Vec::new();
        for (i, path) in paths.iter().filter(|p| p.as_str() != "/tmp").enumerate() {
            let host = dir.path().join(i.to_string());
            std::fs::create_dir(&host).with_context(|| format!("cannot create `{}`", host.display()))?;
            std::os::unix::fs::chown(&host, Some(uid), Some(gid))
                .with_context(|| format!("cannot give `{}` to {uid}:{gid}", host.display()))?;
            std::fs::set_permissions(&host, std::fs::Permissions::from_mode(0o700))?;
            mounts.push(BindMount {
                host,
                container: path.clone(),
            });
        }
        Ok(Volumes { _dir: dir, mounts })
    }
}

/// An image unpacked into a runc bundle, with how its config says to run it.
struct Unpacked {
    bundle: tempfile::TempDir,
    platform: String,
    arch: buckle_debian::Arch,
    process: Process,
    /// The entrypoint and cmd.
    default_args: Vec<String>,
    volumes: Vec<String>,
}

impl Unpacked {
    fn new(image_path: &Path, arch: Option<&str>) -> anyhow::Result<Unpacked> {
        let image = image_view::open_local(image_path, arch)?;
        let platform = image.config().architecture.clone();
        let bundle = tempfile::Builder::new()
            .prefix("buckle-test-")
            .tempdir()
            .context("cannot create a bundle directory")?;
        buckle_oci::unpack(&image, &bundle.path().join("rootfs"))
            .with_context(|| format!("cannot unpack `{}`", image_path.display()))?;
        let config = image.config().config.clone().unwrap_or_default();
        let (uid, gid) = parse_user(config.user.as_deref().unwrap_or("0:0"))?;
        let arch =
            buckle_debian::Arch::from_oci(&platform, image.config().variant.as_deref()).ok_or_else(|| {
                UserError::new(format!(
                    "`{}` is for `{platform}`, which Debian has no architecture for",
                    image_path.display()
                ))
            })?;
        let default_args = config
            .entrypoint
            .iter()
            .flatten()
            .chain(config.cmd.iter().flatten())
            .cloned()
            .collect();
        Ok(Unpacked {
            bundle,
            platform,
            arch,
            process: Process {
                args: Vec::new(),
                env: config.env.clone(),
                cwd: working_dir(&config),
                uid,
                gid,
                read_only_root: true,
                confinement: Default::default(),
            },
            default_args,
            volumes: config.volumes.keys().cloned().collect(),
        })
    }

    /// How to run `args`, or the image's entrypoint and cmd when `args` is empty.
    fn process_for(&self, args: &[String]) -> Process {
        Process {
            args: if args.is_empty() {
                self.default_args.clone()
            } else {
                args.to_vec()
            },
            ..self.process.clone()
        }
    }
}

/// A service under test: started, listening, stopped after the probe.
struct Service(runc::Running);

impl Service {
    /// Starts the service and waits until it accepts connections on `port`; if it ends
    /// first or never listens, fails with its log.
    fn start(
        unpacked: &Unpacked,
        process: &mut Process,
        sandbox: &Sandbox<'_>,
        port: u16,
    ) -> anyhow::Result<Service> {
        if process.args.is_empty() {
            process.args = unpacked.default_args.clone();
        }
        if process.args.is_empty() {
            anyhow::bail!(UserError::with_hint(
                "the service test has no `command` and the image has no entrypoint",
                "add `command` to [test]"
            ));
        }
        if TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_err() {
            anyhow::bail!(UserError::with_hint(
                format!("port {port} is already in use on this machine, so the service cannot listen on it"),
                "run the test on a free port: buckle test --port <PORT>"
            ));
        }
        let mut running = runc::start(unpacked.bundle.path(), process, sandbox)?;
        let deadline = Instant::now() + SERVICE_START;
        loop {
            if TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok() {
                return Ok(Service(running));
            }
            if running.exited() || Instant::now() > deadline {
                let why = if running.exited() {
                    "ended".to_owned()
                } else {
                    format!("did not listen within {} s", SERVICE_START.as_secs())
                };
                let logs = running.stop();
                anyhow::bail!(GateFailed {
                    message: format!(
                        "the service {:?} {why} on port {port}\nservice log:\n{}",
                        process.args,
                        logs.trim_end()
                    )
                });
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Stops the service; returns its log.
    fn stop(self) -> String {
        self.0.stop()
    }
}

/// How often a probe that fails outright (not one answered wrongly) is tried, a second
/// apart, while the service gets ready.
const PROBE_ATTEMPTS: u32 = 20;

/// How long a service may take to listen: generous, since emulated architectures
/// start slowly.
const SERVICE_START: Duration = Duration::from_secs(120);

/// `GET path` over HTTP/1.0 on 127.0.0.1:`port`: the whole response.
fn http_get(port: u16, path: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port))?;
    stream.set_read_timeout(Some(SERVICE_START))?;
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    Ok(String::from_utf8_lossy(&response).into_owned())
}
