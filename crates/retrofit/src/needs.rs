//! What the app's files need from Debian: the packages of the libraries its ELF
//! objects link (their `DT_NEEDED`, found the way the dynamic loader finds them), of
//! its scripts' interpreters, and of the programs its commands run.

use crate::files::Files;
use crate::owners::Owners;
use crate::Error;
use buckle_debian::{Arch, PackageName};
use buckle_image::harden::elf;
use buckle_oci::tar::{Entry, EntryKind};
use buckle_oci::RelPath;
use std::collections::{BTreeMap, BTreeSet};

/// Programs that are shells: a hardened image has none.
const SHELLS: &[&str] = &[
    "sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "csh", "tcsh", "fish", "busybox",
];

/// `PATH` when the image's config sets none (Debian's default for root).
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The packages the app needs, each with why; and what could not be satisfied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Needs {
    /// Package -> the reasons it is needed (`libz.so.1, needed by /app/server`).
    pub packages: BTreeMap<PackageName, BTreeSet<String>>,
    /// What the app asks for that the image cannot give it (a missing library, a script
    /// run by a shell); the hardened image behaves as the original there.
    pub warnings: Vec<String>,
}

impl Needs {
    fn add(&mut self, package: &PackageName, why: String) {
        self.packages.entry(package.clone()).or_default().insert(why);
    }
}

/// Where programs and libraries are looked for.
pub(crate) struct Lookup<'a> {
    pub files: &'a Files,
    pub owners: &'a Owners,
    /// `PATH` of the image's config, split.
    pub path: Vec<String>,
    /// The working directory, for relative commands.
    pub workdir: String,
    /// The loader's directories: `ld.so.conf`, then the multiarch and plain lib dirs.
    pub library_dirs: Vec<String>,
}

impl<'a> Lookup<'a> {
    pub fn new(files: &'a Files, owners: &'a Owners, env: &[String], workdir: &str, arch: &Arch) -> Self {
        let path = env
            .iter()
            .find_map(|e| e.strip_prefix("PATH="))
            .unwrap_or(DEFAULT_PATH)
            .split(':')
            .filter(|d| !d.is_empty())
            .map(str::to_owned)
            .collect();
        Lookup {
            files,
            owners,
            path,
            workdir: if workdir.is_empty() {
                "/".into()
            } else {
                workdir.to_owned()
            },
            library_dirs: library_dirs(files, arch),
        }
    }

    /// Where a command's program is: a path (relative to the working directory), or a
    /// name looked up in `PATH`.
    pub fn program(&self, program: &str) -> Option<(String, crate::files::Resolved)> {
        if program.contains('/') {
            let absolute = if program.starts_with('/') {
                program.to_owned()
            } else {
                format!("{}/{program}", self.workdir.trim_end_matches('/'))
            };
            let resolved = self.files.resolve(&absolute)?;
            return self
                .files
                .is_file(&resolved.target)
                .then_some((absolute, resolved));
        }
        self.path.iter().find_map(|dir| {
            let candidate = format!("{}/{program}", dir.trim_end_matches('/'));
            let resolved = self.files.resolve(&candidate)?;
            self.files
                .is_file(&resolved.target)
                .then_some((candidate, resolved))
        })
    }

    /// The packages owning a resolved path or any symlink on the way to it, with the
    /// `-minimal` package's full one when the image has it (`python3.11-minimal` ->
    /// `python3.11`: the standard library the app was run with).
    fn owners_of(&self, resolved: &crate::files::Resolved) -> BTreeSet<PackageName> {
        let mut out = BTreeSet::new();
        for path in resolved.links.iter().chain([&resolved.target]) {
            for owner in self.owners.of(path) {
                out.insert(owner.clone());
                if let Some(full) = owner.as_str().strip_suffix("-minimal") {
                    if let Some(full) = self.owners.installed().iter().find(|p| p.as_str() == full) {
                        out.insert(full.clone());
                    }
                }
            }
        }
        out
    }

    /// Finds the library `soname` for `object` at `origin` (its directory).
    fn library(&self, soname: &str, object: &elf::Object, origin: &str) -> Option<crate::files::Resolved> {
        if soname.contains('/') {
            return self
                .files
                .resolve(soname)
                .filter(|r| self.files.is_file(&r.target));
        }
        let own = object
            .search_path
            .iter()
            .map(|dir| dir.replace("${ORIGIN}", origin).replace("$ORIGIN", origin));
        own.chain(self.library_dirs.iter().cloned()).find_map(|dir| {
            let resolved = self
                .files
                .resolve(&format!("{}/{soname}", dir.trim_end_matches('/')))?;
            self.files.is_file(&resolved.target).then_some(resolved)
        })
    }
}

/// The loader's search directories: those in `/etc/ld.so.conf` and the files it
/// includes, then the trusted multiarch and plain ones.
fn library_dirs(files: &Files, arch: &Arch) -> Vec<String> {
    let mut dirs = Vec::new();
    let mut pending = vec!["etc/ld.so.conf".to_owned()];
    let mut read = BTreeSet::new();
    while let Some(conf) = pending.pop() {
        let Some(resolved) = files.resolve(&conf) else {
            continue;
        };
        if !read.insert(resolved.target.clone()) {
            continue;
        }
        let Some(text) = files.content(&resolved.target) else {
            continue;
        };
        for line in String::from_utf8_lossy(text).lines() {
            let line = line.split('#').next().unwrap_or_default().trim();
            if let Some(pattern) = line.strip_prefix("include") {
                pending.extend(conf_glob(files, pattern.trim()));
            } else if line.starts_with('/') {
                dirs.push(line.to_owned());
            }
        }
    }
    if let Some(tuple) = arch.multiarch_tuple() {
        dirs.push(format!("/lib/{tuple}"));
        dirs.push(format!("/usr/lib/{tuple}"));
    }
    dirs.extend(["/lib", "/usr/lib", "/lib64", "/usr/lib64"].map(str::to_owned));
    dirs
}

/// The files an `include` line of ld.so.conf names: `DIR/*.conf` style patterns with
/// one `*` in the file name, or a plain path; sorted, as glob(3) returns them.
fn conf_glob(files: &Files, pattern: &str) -> Vec<String> {
    let (dir, name) = pattern.rsplit_once('/').unwrap_or(("", pattern));
    let Some((prefix, suffix)) = name.split_once('*') else {
        return vec![pattern.to_owned()];
    };
    let Some(resolved) = files.resolve(dir) else {
        return Vec::new();
    };
    let mut out: Vec<String> = files
        .entries()
        .filter(|e| e.path.parent().as_ref() == Some(&resolved.target))
        .filter_map(|e| e.path.file_name())
        .filter(|n| n.starts_with(prefix) && n.ends_with(suffix) && n.len() >= prefix.len() + suffix.len())
        .map(|n| format!("{dir}/{n}"))
        .collect();
    out.sort();
    // Popped from the end: read in sorted order.
    out.reverse();
    out
}

/// Adds what each of the app's regular files needs: ELF objects their interpreter and
/// libraries, scripts their interpreter.
pub(crate) fn app_needs(lookup: &Lookup<'_>, app: &[Entry], needs: &mut Needs) {
    for entry in app {
        if !matches!(entry.kind, EntryKind::File { .. } | EntryKind::Hardlink { .. }) {
            continue;
        }
        let Some(bytes) = lookup.files.content(&entry.path) else {
            continue;
        };
        let shown = format!("/{}", entry.path);
        if let Some(object) = elf::object(bytes) {
            elf_needs(lookup, &entry.path, &object, needs);
        } else if let Some(interpreter) = shebang(bytes) {
            if let Err(problem) = interpreter_needs(lookup, &shown, &interpreter, needs) {
                needs.warnings.push(problem.message);
            }
        }
    }
}

fn elf_needs(lookup: &Lookup<'_>, path: &RelPath, object: &elf::Object, needs: &mut Needs) {
    let shown = format!("/{path}");
    let origin = format!("/{}", path.parent().unwrap_or_default());
    if let Some(interpreter) = &object.interpreter {
        match lookup.files.resolve(interpreter) {
            Some(resolved) => {
                for owner in lookup.owners_of(&resolved) {
                    needs.add(&owner, format!("{interpreter}, the loader of {shown}"));
                }
            }
            None => needs.warnings.push(format!(
                "{shown} needs the loader {interpreter}, which the image does not have"
            )),
        }
    }
    for soname in &object.needed {
        match lookup.library(soname, object, &origin) {
            // An unowned library is one of the app's files, whose own needs are added.
            Some(resolved) => {
                for owner in lookup.owners_of(&resolved) {
                    needs.add(&owner, format!("{soname}, needed by {shown}"));
                }
            }
            None => needs
                .warnings
                .push(format!("{shown} needs {soname}, which the image does not have")),
        }
    }
}

/// A script's interpreter line: the program and its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Interpreter {
    pub program: String,
    pub args: Vec<String>,
}

/// The `#!` line of a script, if `bytes` start with one.
pub(crate) fn shebang(bytes: &[u8]) -> Option<Interpreter> {
    let rest = bytes.strip_prefix(b"#!")?;
    let line = rest.split(|&b| b == b'\n').next()?;
    let line = std::str::from_utf8(line).ok()?.trim();
    let mut words = line.split_whitespace().map(str::to_owned);
    Some(Interpreter {
        program: words.next()?,
        args: words.collect(),
    })
}

/// Why a script cannot run in the hardened image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ScriptProblem {
    /// Its interpreter is a shell.
    pub shell: bool,
    pub message: String,
}

/// Adds the packages of the interpreter `script` runs with. `/usr/bin/env NAME` runs
/// NAME from `PATH`, so env's package and NAME's are both needed. Errors say what
/// cannot run in a hardened image: a shell, or a missing interpreter.
pub(crate) fn interpreter_needs(
    lookup: &Lookup<'_>,
    script: &str,
    interpreter: &Interpreter,
    needs: &mut Needs,
) -> Result<(), ScriptProblem> {
    let mut programs = vec![interpreter.program.clone()];
    if base_name(&interpreter.program) == "env" {
        let named = interpreter
            .args
            .iter()
            .find(|a| !a.starts_with('-') && !a.contains('='));
        programs.extend(named.cloned());
    }
    for program in programs {
        if is_shell(lookup, &program) {
            return Err(ScriptProblem {
                shell: true,
                message: format!(
                    "{script} runs with {program}, a shell, which a hardened image does not have"
                ),
            });
        }
        let Some((path, resolved)) = lookup.program(&program) else {
            return Err(ScriptProblem {
                shell: false,
                message: format!("{script} runs with {program}, which the image does not have"),
            });
        };
        for owner in lookup.owners_of(&resolved) {
            needs.add(&owner, format!("{path}, the interpreter of {script}"));
        }
    }
    Ok(())
}

fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Whether `program` is a shell, by its name or by what it links to (`/bin/sh` -> dash).
pub(crate) fn is_shell(lookup: &Lookup<'_>, program: &str) -> bool {
    if SHELLS.contains(&base_name(program)) {
        return true;
    }
    lookup
        .program(program)
        .and_then(|(_, resolved)| resolved.target.file_name().map(|n| SHELLS.contains(&n)))
        .unwrap_or(false)
}

/// Adds what running `command` (entrypoint and cmd, or the smoke test's) needs: its
/// program's package, or when the program is the app's, what the app's files need
/// (added apart). A shell, shell form included, is an error.
pub(crate) fn command_needs(lookup: &Lookup<'_>, command: &[String], needs: &mut Needs) -> Result<(), Error> {
    let Some(program) = command.first() else {
        return Err(Error::NoCommand);
    };
    if is_shell(lookup, program) {
        return Err(Error::NeedsShell {
            command: command.to_vec(),
            why: if command.get(1).is_some_and(|a| a == "-c") {
                "it is in shell form (`/bin/sh -c ...`)".into()
            } else {
                format!("it runs the shell {program}")
            },
        });
    }
    let (path, resolved) = lookup.program(program).ok_or_else(|| Error::MissingProgram {
        command: command.to_vec(),
    })?;
    let owners = lookup.owners_of(&resolved);
    for owner in &owners {
        needs.add(owner, format!("{path}, which the command {command:?} runs"));
    }
    if owners.is_empty() {
        if let Some(interpreter) = lookup.files.content(&resolved.target).and_then(shebang) {
            interpreter_needs(lookup, &path, &interpreter, needs).map_err(|problem| match problem.shell {
                true => Error::NeedsShell {
                    command: command.to_vec(),
                    why: format!("{path} is a shell script"),
                },
                false => Error::Interpreter {
                    problem: problem.message,
                },
            })?;
        }
    }
    Ok(())
}
