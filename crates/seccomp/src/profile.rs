//! The seccomp profile, in the format runc reads from an OCI config's `linux.seccomp`
//! and Kubernetes reads from a `Localhost` profile file: deny by default with `EPERM`,
//! allow a list of syscalls by name.

use serde_json::{json, Value};
use std::collections::BTreeSet;

/// What runc does between loading the filter and the container's `execve`: it checks
/// the command is there and executable, opens and writes its exec FIFO, marks every
/// descriptor above stdio close-on-exec after listing `/proc/self/fd` (checking it is
/// procfs), and its Go runtime keeps scheduling and handling signals. These are allowed
/// whatever the trace holds, or the container would never start.
const RUNTIME: [&str; 33] = [
    "execve",
    "newfstatat",
    "faccessat2",
    "getppid",
    "getpid",
    "openat",
    "write",
    "read",
    "close",
    "fcntl",
    "fstat",
    "fstatfs",
    "getdents64",
    "epoll_ctl",
    "epoll_pwait",
    "futex",
    "nanosleep",
    "sched_yield",
    "rt_sigaction",
    "rt_sigprocmask",
    "rt_sigreturn",
    "sigaltstack",
    "gettid",
    "tgkill",
    "mmap",
    "munmap",
    "madvise",
    "exit",
    "exit_group",
    "clock_gettime",
    "getrandom",
    "sched_getaffinity",
    "prctl",
];

/// Syscalls that x86-64 has and arm64 does not, and what arm64 programs call instead
/// (arm64 has only the `*at` and newer forms). A profile recorded on one architecture
/// allows the other's names for the same work.
const ARM64_EQUIVALENTS: [(&str, &str); 34] = [
    ("open", "openat"),
    ("creat", "openat"),
    ("stat", "newfstatat"),
    ("lstat", "newfstatat"),
    ("access", "faccessat"),
    ("pipe", "pipe2"),
    ("dup2", "dup3"),
    ("poll", "ppoll"),
    ("select", "pselect6"),
    ("epoll_wait", "epoll_pwait"),
    ("epoll_create", "epoll_create1"),
    ("eventfd", "eventfd2"),
    ("inotify_init", "inotify_init1"),
    ("signalfd", "signalfd4"),
    ("getdents", "getdents64"),
    ("readlink", "readlinkat"),
    ("unlink", "unlinkat"),
    ("rmdir", "unlinkat"),
    ("rename", "renameat2"),
    ("renameat", "renameat2"),
    ("mkdir", "mkdirat"),
    ("mknod", "mknodat"),
    ("chmod", "fchmodat"),
    ("chown", "fchownat"),
    ("lchown", "fchownat"),
    ("symlink", "symlinkat"),
    ("link", "linkat"),
    ("fork", "clone"),
    ("vfork", "clone"),
    ("time", "clock_gettime"),
    ("getpgrp", "getpgid"),
    ("alarm", "setitimer"),
    ("utimes", "utimensat"),
    ("futimesat", "utimensat"),
];

/// The seccomp architectures of an OCI platform architecture (with the compatible
/// 32-bit ABIs the kernel also accepts there).
pub fn seccomp_architectures(arch: &str) -> Option<&'static [&'static str]> {
    match arch {
        "amd64" => Some(&["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]),
        "arm64" => Some(&["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]),
        _ => None,
    }
}

/// A profile: the syscalls allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// Allowed syscall names.
    pub allowed: BTreeSet<String>,
}

impl Profile {
    /// The profile allowing what a container was recorded calling, what the runtime
    /// needs to start it, and the arm64 names of the same calls.
    pub fn from_recorded(recorded: &BTreeSet<String>) -> Profile {
        let mut allowed: BTreeSet<String> = recorded.clone();
        allowed.extend(RUNTIME.iter().map(|s| (*s).to_owned()));
        for (x86_64, arm64) in ARM64_EQUIVALENTS {
            if allowed.contains(x86_64) {
                allowed.insert(arm64.to_owned());
            }
        }
        Profile { allowed }
    }

    /// The profile as OCI / Kubernetes JSON for images of `arches` (OCI names,
    /// `amd64`, `arm64`): everything else fails with EPERM.
    pub fn to_json(&self, arches: &[&str]) -> Value {
        let architectures: Vec<&str> = arches
            .iter()
            .filter_map(|a| seccomp_architectures(a))
            .flatten()
            .copied()
            .collect();
        json!({
            "defaultAction": "SCMP_ACT_ERRNO",
            "defaultErrnoRet": 1,
            "architectures": architectures,
            "syscalls": [{
                "names": self.allowed,
                "action": "SCMP_ACT_ALLOW",
            }],
        })
    }

    /// Reads the allowed names back from a profile's JSON.
    pub fn from_json(value: &Value) -> Option<Profile> {
        let mut allowed = BTreeSet::new();
        for rule in value.get("syscalls")?.as_array()? {
            if rule.get("action")?.as_str()? == "SCMP_ACT_ALLOW" {
                for name in rule.get("names")?.as_array()? {
                    allowed.insert(name.as_str()?.to_owned());
                }
            }
        }
        Some(Profile { allowed })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recorded_profile_allows_the_calls_the_runtime_and_arm64_names_and_denies_the_rest() {
        let recorded: BTreeSet<String> = ["open", "stat", "brk"].map(String::from).into();
        let profile = Profile::from_recorded(&recorded);
        for name in ["open", "openat", "stat", "newfstatat", "brk", "execve"] {
            assert!(profile.allowed.contains(name), "{name}");
        }
        assert!(!profile.allowed.contains("getpriority"));
        let json = profile.to_json(&["amd64", "arm64"]);
        assert_eq!(json["defaultAction"], "SCMP_ACT_ERRNO");
        assert_eq!(json["defaultErrnoRet"], 1);
        assert_eq!(
            json["architectures"],
            json!([
                "SCMP_ARCH_X86_64",
                "SCMP_ARCH_X86",
                "SCMP_ARCH_X32",
                "SCMP_ARCH_AARCH64",
                "SCMP_ARCH_ARM"
            ])
        );
        assert_eq!(Profile::from_json(&json), Some(profile));
    }
}
