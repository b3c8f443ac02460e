//! Shells and package managers on the command search path.

use super::{Context, Outcome};
use crate::report::Evidence;
use crate::view::{absolute, Variant, DEBUG_LABEL, VARIANT_LABEL};
use buckle_oci::tar::EntryKind;
use buckle_oci::RelPath;

/// Shell program names.
pub const SHELLS: [&str; 8] = ["sh", "bash", "dash", "ash", "busybox", "zsh", "ksh", "mksh"];
/// Package manager program names (pip is handled apart: only in the system directories).
pub const PACKAGE_MANAGERS: [&str; 8] = ["apt", "apt-get", "dpkg", "apk", "rpm", "dnf", "yum", "microdnf"];
/// Directories searched for shells and package managers.
const BIN_DIRS: [&str; 6] = [
    "bin",
    "sbin",
    "usr/bin",
    "usr/sbin",
    "usr/local/bin",
    "usr/local/sbin",
];
/// Where a pip is the distribution's, a system tool (a pip in /usr/local/bin or a
/// virtual environment belongs to the application).
const SYSTEM_BIN_DIRS: [&str; 2] = ["bin", "usr/bin"];

/// A program found on the search path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Program {
    /// Where it was found.
    pub path: RelPath,
    /// The regular file it resolves to.
    pub target: RelPath,
    /// The package that owns the target, if the metadata says.
    pub package: Option<String>,
}

impl Program {
    fn evidence(&self) -> Evidence {
        let mut details = Vec::new();
        if self.target != self.path {
            details.push(format!("link to {}", absolute(&self.target)));
        }
        if let Some(package) = &self.package {
            details.push(format!("package `{package}`"));
        }
        let evidence = Evidence::at(absolute(&self.path));
        if details.is_empty() {
            evidence
        } else {
            evidence.detail(details.join(", "))
        }
    }
}

/// The shells on the search path that resolve to a file.
pub(crate) fn shells(cx: &Context<'_>) -> Vec<Program> {
    programs(cx, |dir, name| BIN_DIRS.contains(&dir) && SHELLS.contains(&name))
}

/// The package managers on the search path that resolve to a file.
pub(crate) fn package_managers(cx: &Context<'_>) -> Vec<Program> {
    programs(cx, |dir, name| {
        (BIN_DIRS.contains(&dir) && PACKAGE_MANAGERS.contains(&name))
            || (SYSTEM_BIN_DIRS.contains(&dir) && is_pip(name))
    })
}

/// Regular files with the setuid or setgid bit.
pub(crate) fn setuid_files(cx: &Context<'_>) -> Vec<Evidence> {
    cx.view
        .files
        .values()
        .filter(|file| file.is_file() && file.entry.mode & 0o6000 != 0)
        .map(|file| {
            let mut bits = Vec::new();
            if file.entry.mode & 0o4000 != 0 {
                bits.push(format!("setuid uid {}", file.entry.uid));
            }
            if file.entry.mode & 0o2000 != 0 {
                bits.push(format!("setgid gid {}", file.entry.gid));
            }
            if let Some(package) = cx.packages.owner(&file.entry.path) {
                bits.push(format!("package `{package}`"));
            }
            Evidence::at(file.display_path()).detail(bits.join(", "))
        })
        .collect()
}

/// `pip`, `pip3`, `pip3.11`.
fn is_pip(name: &str) -> bool {
    name == "pip"
        || name == "pip3"
        || name
            .strip_prefix("pip3.")
            .is_some_and(|minor| !minor.is_empty() && minor.bytes().all(|b| b.is_ascii_digit()))
}

fn programs(cx: &Context<'_>, wanted: impl Fn(&str, &str) -> bool) -> Vec<Program> {
    let view = cx.view;
    view.files
        .iter()
        .filter(|(path, file)| {
            let dir = path.parent().unwrap_or_default();
            let name = path.file_name().unwrap_or_default();
            !matches!(file.entry.kind, EntryKind::Directory) && wanted(dir.as_str(), name)
        })
        .filter_map(|(path, _)| {
            let target = view.canonical(path, true)?;
            view.files.get(&target).filter(|f| f.is_file())?;
            Some(Program {
                path: path.clone(),
                package: cx.packages.owner(&target).map(str::to_owned),
                target,
            })
        })
        .collect()
}

/// The sentence that says why a dev variant fails, naming the marker found.
fn dev_variant(cx: &Context<'_>, what: &str) -> Option<String> {
    if cx.variant != Variant::Dev {
        return None;
    }
    let marker = if cx.view.metadata_value(VARIANT_LABEL) == Some("dev") {
        format!("label `{VARIANT_LABEL}=dev`")
    } else {
        "an image title ending in `-dev`".to_owned()
    };
    Some(format!(
        "this is the dev variant ({marker}), meant for build stages: it ships {what} on purpose"
    ))
}

const DEV_HINT: &str =
    "use the dev variant only in build stages; build the final stage FROM the runtime variant and copy what you built into it";

pub(super) fn shell(cx: &Context<'_>) -> Outcome {
    let found = shells(cx);
    match cx.view.metadata_value(DEBUG_LABEL) {
        Some(why) if !found.is_empty() => Outcome::fail(
            format!("this is a debugging image (label `{DEBUG_LABEL}`: {why}): it ships a shell by design"),
            found.iter().map(Program::evidence).collect(),
        )
        .hint(DEBUG_HINT),
        _ => judge(cx, found, "a shell", "a shell is present"),
    }
}

const DEBUG_HINT: &str = "attach it to a running pod for a session (`kubectl debug -it POD --image=... --target=CONTAINER`); never deploy it as a workload";

pub(super) fn package_manager(cx: &Context<'_>) -> Outcome {
    judge(
        cx,
        package_managers(cx),
        "a package manager",
        "a package manager is present",
    )
}

fn judge(cx: &Context<'_>, found: Vec<Program>, what: &str, summary: &str) -> Outcome {
    if found.is_empty() {
        return Outcome::pass(format!("no {} on the search path", what.trim_start_matches("a ")));
    }
    let evidence = found.iter().map(Program::evidence).collect();
    match dev_variant(cx, what) {
        Some(dev) => Outcome::fail(dev, evidence).hint(DEV_HINT),
        None => Outcome::fail(summary, evidence),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pip_names_are_recognised_exactly() {
        for name in ["pip", "pip3", "pip3.11"] {
            assert!(is_pip(name), "{name}");
        }
        for name in ["pip3.", "pipx", "pip3.x", "pip-compile"] {
            assert!(!is_pip(name), "{name}");
        }
    }
}
