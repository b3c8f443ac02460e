//! Retrofit: an existing Debian-based image seen as an app on top of Debian packages.
//!
//! [`plan`] takes the image's merged file system ([`Files`]), who owns each path
//! ([`Owners`], from dpkg's file lists) and its config, and decides what a hardened
//! rebuild keeps:
//! - the app's files: what no package owns, less package manager state, caches,
//!   logs, documentation and files maintainer scripts generate ([`app::survey`]);
//! - the root packages: those of the libraries in the `DT_NEEDED` closure of the app's
//!   ELF objects, of the interpreters of its scripts, of the program its entrypoint
//!   runs, the [`RUNTIME_DATA`] packages the image has, and those the user keeps,
//!   each with why ([`needs`]).
//!
//! Only the contents of the app's files and of `ld.so.conf` are read
//! ([`wants_content`]); the caller adds them to [`Files`] after [`app::survey`].

pub mod app;
pub mod files;
pub mod needs;
pub mod owners;

pub use app::{survey, Dropped, Survey};
pub use files::Files;
pub use needs::Needs;
pub use owners::Owners;

use buckle_debian::{Arch, PackageName};
use buckle_oci::RelPath;
use std::collections::BTreeSet;

/// Why an image cannot be retrofitted.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    #[error("the image has neither an entrypoint nor a cmd, so there is nothing to run")]
    NoCommand,
    #[error("the command {command:?} needs a shell: {why}; a hardened image has none")]
    NeedsShell { command: Vec<String>, why: String },
    #[error("the command {command:?} runs a program the image does not have")]
    MissingProgram { command: Vec<String> },
    #[error("{problem}")]
    Interpreter { problem: String },
}

/// What the image runs: its config's entrypoint and cmd and where.
#[derive(Debug, Clone, Default)]
pub struct Run {
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    /// `NAME=value`.
    pub env: Vec<String>,
    pub workdir: String,
}

impl Run {
    /// What a container runs: entrypoint then cmd.
    pub fn command(&self) -> Vec<String> {
        self.entrypoint.iter().chain(&self.cmd).cloned().collect()
    }
}

/// What the hardened rebuild is made of.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The app's files and what was left out.
    pub survey: Survey,
    /// The packages to resolve from, with why each is there.
    pub needs: Needs,
}

impl Plan {
    pub fn roots(&self) -> Vec<PackageName> {
        self.needs.packages.keys().cloned().collect()
    }
}

/// Whether [`plan`] reads the content of `path`: an app file, or the loader's
/// configuration.
pub fn wants_content(path: &RelPath, app: &BTreeSet<RelPath>) -> bool {
    app.contains(path) || path.as_str() == "etc/ld.so.conf" || path.as_str().starts_with("etc/ld.so.conf.d/")
}

/// Packages of data that programs read at run time without linking or running
/// anything of them (os-release, CA certificates, `/etc/services`, time zones): kept
/// when the image has them, as no file of the app shows the need.
pub const RUNTIME_DATA: &[&str] = &["base-files", "ca-certificates", "netbase", "tzdata"];

/// Decides the root packages of the app in `files`: what its files and `commands`
/// (the config's, and the smoke test's when it differs) need, plus `keep`.
pub fn plan(
    files: &Files,
    owners: &Owners,
    survey: Survey,
    run: &Run,
    commands: &[Vec<String>],
    keep: &[PackageName],
    arch: &Arch,
) -> Result<Plan, Error> {
    let lookup = needs::Lookup::new(files, owners, &run.env, &run.workdir, arch);
    let mut needs = Needs::default();
    for command in commands {
        needs::command_needs(&lookup, command, &mut needs)?;
    }
    needs::app_needs(&lookup, &survey.app, &mut needs);
    for package in owners
        .installed()
        .iter()
        .filter(|p| RUNTIME_DATA.contains(&p.as_str()))
    {
        needs
            .packages
            .entry(package.clone())
            .or_default()
            .insert("data read at run time, installed in the original".into());
    }
    for package in keep {
        needs
            .packages
            .entry(package.clone())
            .or_default()
            .insert("--keep-package".into());
    }
    Ok(Plan { survey, needs })
}

#[cfg(test)]
mod tests;
