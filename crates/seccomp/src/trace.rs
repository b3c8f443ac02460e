//! Reading `strace -f -o FILE` output (one line per event, each starting with the pid).

use std::collections::{BTreeSet, HashMap, HashSet};

/// Why a trace says nothing about the container.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TraceError {
    /// No `runc init` process executed a command.
    #[error("no `runc init` process in the trace executed a command: the container never started")]
    NoExec,
}

/// The syscalls that the container's processes made. runc re-executes itself as
/// `runc init` (argv `["runc", "init"]`), and `runc init` and the processes it creates
/// set the container up; the first program one of them executes that is not runc is
/// the container's command. That process from its `execve` on, and every process it or
/// its children create, are the container; the runtime's own work (mounts, pivot_root,
/// dropping privileges) is left out.
pub fn container_syscalls(trace: &str) -> Result<BTreeSet<String>, TraceError> {
    let mut runtime: HashSet<u32> = HashSet::new();
    let mut container: HashSet<u32> = HashSet::new();
    // Calls strace split into `<unfinished ...>` and `<... resumed>`: the first half.
    let mut pending: HashMap<u32, String> = HashMap::new();
    let mut calls = BTreeSet::new();
    for line in trace.lines() {
        let Some((pid, event)) = split_pid(line) else {
            continue;
        };
        let Some((name, rest)) = syscall(event) else {
            continue;
        };
        let whole = if let Some(first) = rest.strip_suffix(" <unfinished ...>") {
            pending.insert(pid, first.to_owned());
            if container.contains(&pid) {
                calls.insert(name.to_owned());
            }
            continue;
        } else if event.starts_with("<... ") {
            format!("{}{rest}", pending.remove(&pid).unwrap_or_default())
        } else {
            rest.to_owned()
        };
        let created = matches!(name, "clone" | "clone3" | "fork" | "vfork")
            .then(|| {
                returned(&whole)
                    .and_then(|n| u32::try_from(n).ok())
                    .filter(|n| *n > 0)
            })
            .flatten();
        if container.contains(&pid) {
            calls.insert(name.to_owned());
            container.extend(created);
            continue;
        }
        let executed = matches!(name, "execve" | "execveat") && returned(&whole) == Some(0);
        if executed && argv(&whole).starts_with("[\"runc\", \"init\"") {
            runtime.insert(pid);
        } else if runtime.contains(&pid) {
            if executed && !argv(&whole).starts_with("[\"runc\"") {
                container.insert(pid);
                calls.insert(name.to_owned());
            } else {
                runtime.extend(created);
            }
        }
    }
    if calls.is_empty() {
        return Err(TraceError::NoExec);
    }
    Ok(calls)
}

/// The argv list of an `execve(path, [...], ...)` or `execveat(fd, path, [...], ...)`.
fn argv(args: &str) -> &str {
    args.find(", [").map_or("", |at| &args[at + 2..])
}

/// `1234 read(...)` -> (1234, `read(...)`).
fn split_pid(line: &str) -> Option<(u32, &str)> {
    let (pid, event) = line.split_once(char::is_whitespace)?;
    Some((pid.parse().ok()?, event.trim_start()))
}

/// The syscall an event line is about, and what follows its name: `read(3, ...) = 5`,
/// `read(3, <unfinished ...>` and `<... read resumed>...) = 5` all name `read`.
/// Signals (`--- SIG...`) and exits (`+++ ...`) name none.
fn syscall(event: &str) -> Option<(&str, &str)> {
    if let Some(resumed) = event.strip_prefix("<... ") {
        let (name, rest) = resumed.split_once(" resumed>")?;
        return valid(name).then_some((name, rest));
    }
    let (name, rest) = event.split_once('(')?;
    valid(name).then_some((name, rest))
}

fn valid(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// The return value at the end of a complete call (`... = 42`, `... = -1 ENOENT (...)`).
fn returned(rest: &str) -> Option<i64> {
    let (_, value) = rest.rsplit_once(" = ")?;
    value.split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRACE: &str = r#"100 execve("/usr/sbin/runc", ["runc", "--rootless", "true", "run"], 0x7ffd /* 20 vars */) = 0
100 clone(child_stack=NULL, flags=CLONE_NEWUSER|SIGCHLD) = 101
101 execve("/proc/self/exe", ["runc", "init"], 0x7ffd /* 5 vars */ <unfinished ...>
100 futex(0xc000, FUTEX_WAIT_PRIVATE, 0, NULL <unfinished ...>
101 <... execve resumed>)             = 0
101 execveat(7, "", ["runc", "init"], 0x3087 /* 9 vars */, AT_EMPTY_PATH) = 0
101 mount("proc", "/proc", "proc", 0, NULL) = 0
101 clone(child_stack=0x7ffc, flags=CLONE_PARENT|SIGCHLD) = 104
104 pivot_root(".", ".") = 0
104 execve("/usr/bin/python3", ["/usr/bin/python3", "-c", "print(1)"], 0xc000 /* 3 vars */ <unfinished ...>
100 <... futex resumed>)              = 0
104 <... execve resumed>)             = 0
104 brk(NULL)                         = 0x55d0
104 openat(AT_FDCWD, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC) = 3
104 read(3,  <unfinished ...>
104 <... read resumed>"\177ELF", 832) = 832
104 clone3({flags=CLONE_VM, exit_signal=0}, 88 <unfinished ...>
104 <... clone3 resumed>) = 102
102 set_robust_list(0x7f, 24) = 0
103 getpriority(PRIO_PROCESS, 0) = 20
104 --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED} ---
104 exit_group(0)                     = ?
104 +++ exited with 0 +++
"#;
    #[test]
    fn only_the_container_command_and_its_children_are_counted() {
        let calls = container_syscalls(TRACE).unwrap();
        let names: Vec<&str> = calls.iter().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "brk",
                "clone3",
                "execve",
                "exit_group",
                "openat",
                "read",
                "set_robust_list"
            ]
        );
    }

    #[test]
    fn a_trace_where_no_command_ran_is_an_error() {
        let runtime_only: String = TRACE.lines().take(9).map(|l| format!("{l}\n")).collect();
        assert_eq!(container_syscalls(&runtime_only), Err(TraceError::NoExec));
        let failed = "5 execve(\"/proc/self/exe\", [\"runc\", \"init\"], 0x0) = 0\n5 execve(\"/usr/bin/python3\", [\"/usr/bin/python3\"], 0x0) = -1 ENOENT (No such file)\n";
        assert_eq!(container_syscalls(failed), Err(TraceError::NoExec));
    }
}
