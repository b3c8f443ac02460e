//! Runs a command in an unpacked image with runc, the way a hardened deployment would:
//! as the image's user, read-only root, no capabilities, no new privileges, a private
//! network namespace with only loopback, and a tmpfs on /tmp.

use anyhow::{bail, Context};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

/// What to run and how.
pub struct Process {
    pub args: Vec<String>,
    pub env: Vec<String>,
    pub cwd: String,
    pub uid: u32,
    pub gid: u32,
}

/// A host file bind-mounted read-only into the container.
pub struct BindMount {
    pub host: PathBuf,
    pub container: String,
}

/// What the command printed and how it ended.
pub struct Outcome {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

/// Writes `config.json` into `bundle` (whose `rootfs/` holds the unpacked image) and runs
/// it with `runc --rootless true run`.
pub fn run(bundle: &Path, process: &Process, mounts: &[BindMount]) -> anyhow::Result<Outcome> {
    let config = runtime_config(process, mounts);
    let path = bundle.join("config.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&config)?)
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    let id = format!("buckle-test-{}", std::process::id());
    let output = Command::new("runc")
        .args(["--rootless", "true", "run", "--bundle"])
        .arg(bundle)
        .arg(&id)
        .stdin(std::process::Stdio::null())
        .output();
    let output = match output {
        Ok(output) => output,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            bail!(crate::exit::UserError::with_hint(
                "`runc` is not installed",
                "install it (Debian: `apt-get install runc`) to run smoke tests"
            ))
        }
        Err(err) => return Err(err).context("cannot start runc"),
    };
    Ok(Outcome {
        success: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    })
}

/// The OCI runtime config: hardened defaults, nothing the image could loosen.
fn runtime_config(process: &Process, mounts: &[BindMount]) -> Value {
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
    for mount in mounts {
        all_mounts.push(json!({"destination": mount.container, "type": "none",
            "source": mount.host, "options": ["bind", "ro", "nosuid", "nodev"]}));
    }
    // Root on the host is root in the container's user namespace; the range covers
    // uid/gid 65532 so the image's nonroot user exists.
    let id_map = json!([{"containerID": 0, "hostID": 0, "size": 65536 * 2}]);
    json!({
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
        "root": {"path": "rootfs", "readonly": true},
        "hostname": "buckle-test",
        "mounts": all_mounts,
        "linux": {
            "uidMappings": id_map,
            "gidMappings": id_map,
            "namespaces": [{"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"},
                           {"type": "user"}, {"type": "network"}],
            "maskedPaths": ["/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                            "/proc/timer_list", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
            "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
        },
    })
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
