//! Runs a command in an unpacked image with runc, the way a hardened deployment would:
//! as the image's user, read-only root, no capabilities, no new privileges, a private
//! network namespace with only loopback (or, for a service and its client, the host's
//! network), a tmpfs on /tmp, and a fresh directory on each volume the image declares.

use anyhow::Context;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// What to run and how.
#[derive(Clone)]
pub struct Process {
    pub args: Vec<String>,
    pub env: Vec<String>,
    pub cwd: String,
    pub uid: u32,
    pub gid: u32,
    /// Mount the image's root read-only, as a hardened deployment does.
    pub read_only_root: bool,
    /// A seccomp profile and tracing, for the container under test only.
    pub confinement: Confinement,
}

/// What `buckle seccomp` adds to a container: a profile it runs under, and a trace of
/// every syscall runc and the container make.
#[derive(Clone, Debug, Default)]
pub struct Confinement {
    /// An OCI `linux.seccomp` profile.
    pub seccomp: Option<Value>,
    /// Run runc under `strace -f`, writing the trace to this file.
    pub trace: Option<PathBuf>,
}

/// A host file or directory bind-mounted into the container.
pub struct BindMount {
    pub host: PathBuf,
    pub container: String,
}

/// How a container sees the image and the network.
pub struct Sandbox<'a> {
    /// Host files bind-mounted read-only.
    pub mounts: &'a [BindMount],
    /// Host directories bind-mounted read-write: the image's declared volumes.
    pub volumes: &'a [BindMount],
    /// The host's network (a service and its client meet on 127.0.0.1), else a private
    /// one with only loopback.
    pub host_network: bool,
}

/// What the command printed and how it ended.
pub struct Outcome {
    pub success: bool,
    /// The exit code; `None` when a signal ended the command.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Writes `config.json` into `bundle` (whose `rootfs/` holds the unpacked image) and runs
/// it with `runc --rootless true run` to its end.
pub fn run(bundle: &Path, process: &Process, sandbox: &Sandbox<'_>) -> anyhow::Result<Outcome> {
    let id = prepare(bundle, process, sandbox)?;
    let output = runc_command(bundle, &id, &process.confinement)
        .stdin(Stdio::null())
        .output()
        .map_err(not_installed)?;
    Ok(Outcome {
        success: output.status.success(),
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    })
}

/// A container started by [`start`], running until [`Running::stop`].
pub struct Running {
    id: String,
    child: Child,
    log: PathBuf,
}

/// Starts the container like [`run`] but returns at once; its output goes to a log in
/// the bundle.
pub fn start(bundle: &Path, process: &Process, sandbox: &Sandbox<'_>) -> anyhow::Result<Running> {
    let id = prepare(bundle, process, sandbox)?;
    let log = bundle.join("container.log");
    let file = std::fs::File::create(&log).with_context(|| format!("cannot create `{}`", log.display()))?;
    let child = runc_command(bundle, &id, &process.confinement)
        .stdin(Stdio::null())
        .stdout(file.try_clone()?)
        .stderr(file)
        .spawn()
        .map_err(not_installed)?;
    Ok(Running { id, child, log })
}

impl Running {
    /// Whether the container's process has ended.
    pub fn exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// Kills the container and returns what it printed.
    pub fn stop(mut self) -> String {
        self.kill();
        std::fs::read(&self.log)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    }

    fn kill(&mut self) {
        if !self.exited() {
            // runc removes the container once its process is gone.
            let _ = Command::new("runc")
                .args(["--rootless", "true", "kill", &self.id, "KILL"])
                .output();
            let _ = self.child.wait();
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Writes the bundle's `config.json`; returns a container id unique on this machine.
fn prepare(bundle: &Path, process: &Process, sandbox: &Sandbox<'_>) -> anyhow::Result<String> {
    static CONTAINERS: AtomicUsize = AtomicUsize::new(0);
    let config = runtime_config(process, sandbox);
    let path = bundle.join("config.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&config)?)
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    let n = CONTAINERS.fetch_add(1, Ordering::Relaxed);
    Ok(format!("buckle-test-{}-{n}", std::process::id()))
}

fn runc_command(bundle: &Path, id: &str, confinement: &Confinement) -> Command {
    let mut command = match &confinement.trace {
        Some(trace) => {
            let mut strace = Command::new("strace");
            strace.args(["-f", "-qq", "-o"]).arg(trace).args(["--", "runc"]);
            strace
        }
        None => Command::new("runc"),
    };
    command
        .args(["--rootless", "true", "run", "--bundle"])
        .arg(bundle)
        .arg(id);
    command
}

fn not_installed(err: std::io::Error) -> anyhow::Error {
    if err.kind() == std::io::ErrorKind::NotFound {
        crate::exit::UserError::with_hint(
            "`runc` (or, to record a seccomp profile, `strace`) is not installed",
            "install it (Debian: `apt-get install runc strace`) to run smoke tests",
        )
        .into()
    } else {
        anyhow::Error::new(err).context("cannot start runc")
    }
}

/// The OCI runtime config: hardened defaults, nothing the image could loosen.
fn runtime_config(process: &Process, sandbox: &Sandbox<'_>) -> Value {
    let no_caps = json!({"bounding": [], "effective": [], "permitted": [], "ambient": []});
    let mut all_mounts = vec![
        json!({"destination": "/proc", "type": "proc", "source": "proc"}),
        json!({"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
               "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]}),
        json!({"destination": "/dev/pts", "type": "devpts", "source": "devpts",
               "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]}),
        json!({"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
               "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]}),
        json!({"destination": "/sys", "type": "none", "source": "/sys",
               "options": ["rbind", "nosuid", "noexec", "nodev", "ro"]}),
        json!({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
               "options": ["nosuid", "nodev", "mode=1777", "size=65536k"]}),
    ];
    for volume in sandbox.volumes {
        all_mounts.push(json!({"destination": volume.container, "type": "none",
            "source": volume.host, "options": ["bind", "rw", "nosuid", "nodev"]}));
    }
    for mount in sandbox.mounts {
        all_mounts.push(json!({"destination": mount.container, "type": "none",
            "source": mount.host, "options": ["bind", "ro", "nosuid", "nodev"]}));
    }
    let mut namespaces = vec![
        json!({"type": "pid"}),
        json!({"type": "ipc"}),
        json!({"type": "uts"}),
        json!({"type": "mount"}),
        json!({"type": "user"}),
    ];
    if !sandbox.host_network {
        namespaces.push(json!({"type": "network"}));
    }
    // Root on the host is root in the container's user namespace; the range covers
    // uid/gid 65532 so the image's nonroot user exists.
    let id_map = json!([{"containerID": 0, "hostID": 0, "size": 65536 * 2}]);
    let mut config = json!({
        "ociVersion": "1.0.2",
        "process": {
            "terminal": false,
            "user": {"uid": process.uid, "gid": process.gid},
            "args": process.args,
            "env": process.env,
            "cwd": process.cwd,
            "capabilities": no_caps,
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
            "noNewPrivileges": true,
        },
        "root": {"path": "rootfs", "readonly": process.read_only_root},
        "hostname": "buckle-test",
        "mounts": all_mounts,
        "linux": {
            "uidMappings": id_map,
            "gidMappings": id_map,
            "namespaces": namespaces,
            "maskedPaths": ["/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                            "/proc/timer_list", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
            "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
        },
    });
    if let Some(profile) = &process.confinement.seccomp {
        config["linux"]["seccomp"] = profile.clone();
    }
    config
}

/// Whether this machine can run binaries of an OCI architecture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Runnable {
    /// The host's own architecture.
    Native,
    /// Through the binfmt_misc entry named here (its flags include F, so the emulator
    /// is found inside the container's root too).
    Emulated(String),
    /// Neither: what is missing.
    No(String),
}

/// Asks the kernel's binfmt_misc whether `arch` runs here.
pub fn runnable(arch: &str) -> Runnable {
    if arch == crate::image_view::host_arch() {
        return Runnable::Native;
    }
    let Some(qemu) = qemu_name(arch) else {
        return Runnable::No(format!("no emulator is known for `{arch}`"));
    };
    let entry = Path::new(BINFMT_MISC).join(format!("qemu-{qemu}"));
    let Ok(text) = std::fs::read_to_string(&entry) else {
        return Runnable::No(format!("`{}` is not registered", entry.display()));
    };
    binfmt_entry_usable(&entry, &text)
}

const BINFMT_MISC: &str = "/proc/sys/fs/binfmt_misc";

/// An entry is usable when enabled and registered with flag F (the interpreter is
/// opened at registration, so it works inside a container root that lacks it).
fn binfmt_entry_usable(entry: &Path, text: &str) -> Runnable {
    let enabled = text.lines().next() == Some("enabled");
    let flags = text
        .lines()
        .find_map(|line| line.strip_prefix("flags: "))
        .unwrap_or("");
    match (enabled, flags.contains('F')) {
        (true, true) => Runnable::Emulated(entry.display().to_string()),
        (false, _) => Runnable::No(format!("`{}` is disabled", entry.display())),
        (true, false) => Runnable::No(format!(
            "`{}` lacks flag F, so the emulator is not found inside a container",
            entry.display()
        )),
    }
}

/// qemu-user's name for an OCI architecture.
fn qemu_name(arch: &str) -> Option<&'static str> {
    Some(match arch {
        "amd64" => "x86_64",
        "arm64" => "aarch64",
        "arm" => "arm",
        "386" => "i386",
        "ppc64le" => "ppc64le",
        "s390x" => "s390x",
        "riscv64" => "riscv64",
        "mips64le" => "mips64el",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const QEMU_ENTRY: &str =
        "enabled\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\nflags: POF\noffset 0\n";

    #[test]
    fn binfmt_entry_with_flag_f_runs_foreign_binaries() {
        let entry = Path::new("/proc/sys/fs/binfmt_misc/qemu-aarch64");
        assert_eq!(
            binfmt_entry_usable(entry, QEMU_ENTRY),
            Runnable::Emulated(entry.display().to_string())
        );
    }

    #[test]
    fn binfmt_entry_disabled_or_without_flag_f_is_not_usable() {
        let entry = Path::new("/proc/sys/fs/binfmt_misc/qemu-aarch64");
        let disabled = QEMU_ENTRY.replacen("enabled", "disabled", 1);
        assert!(
            matches!(binfmt_entry_usable(entry, &disabled), Runnable::No(why) if why.contains("disabled"))
        );
        let no_f = QEMU_ENTRY.replace("flags: POF", "flags: P");
        assert!(matches!(binfmt_entry_usable(entry, &no_f), Runnable::No(why) if why.contains("flag F")));
    }

    #[test]
    fn host_architecture_is_native_and_unknown_ones_are_named() {
        assert_eq!(runnable(crate::image_view::host_arch()), Runnable::Native);
        assert!(matches!(runnable("vax"), Runnable::No(why) if why.contains("`vax`")));
    }
}
