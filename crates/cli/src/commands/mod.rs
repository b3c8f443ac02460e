//! One module per command: its arguments in, the work done by [`crate::ops`], its
//! results printed. Commands never call each other.

pub mod advisories;
pub mod attestations;
pub mod build;
pub mod bundle;
pub mod cache;
pub mod check;
pub mod compare;
pub mod deploy;
pub mod diff;
pub mod factory;
pub mod feeds;
pub mod fetch;
pub mod harden;
pub mod init;
pub mod inspect;
pub mod keygen;
pub mod lock;
pub mod mcp;
pub mod migrate;
pub mod mirror;
pub mod pull;
pub mod push;
pub mod sbom;
pub mod scan;
pub mod seccomp;
pub mod sign;
pub mod site;
pub mod test;
pub mod update;
pub mod verify;
pub mod why;

use crate::args::{Cli, Command};
use crate::printer::Printer;

pub fn run(cli: Cli, printer: &Printer) -> anyhow::Result<()> {
    let global = &cli.global;
    match &cli.command {
        Command::Lock(args) => lock::run(args, global, printer),
        Command::Fetch(args) => fetch::run(args, global, printer),
        Command::Why(args) => why::run(args, global, printer),
        Command::Build(args) => build::run(args, global, printer),
        Command::Init(args) => init::run(args, printer),
        Command::Test(args) => test::run(args, printer),
        Command::Inspect(args) => inspect::run(args, global, printer),
        Command::Diff(args) => diff::run(args, global, printer),
        Command::Push(args) => push::run(args, global, printer),
        Command::Pull(args) => pull::run(args, global, printer),
        Command::Mirror(args) => mirror::run(args, global, printer),
        Command::Sbom(args) => sbom::run(args, global, printer),
        Command::Check(args) => check::run(args, global, printer),
        Command::Harden(args) => harden::run(args, global, printer),
        Command::Compare(args) => compare::run(args, global, printer),
        Command::Keygen(args) => keygen::run(args, printer),
        Command::Sign(args) => sign::run(args, global, printer),
        Command::Verify(args) => verify::run(args, global, printer),
        Command::Attestations(args) => attestations::run(args, global, printer),
        Command::Feeds(args) => feeds::run(args, global, printer),
        Command::Scan(args) => scan::run(args, global, printer),
        Command::Update(args) => update::run(args, global, printer),
        Command::Advisories(args) => advisories::run(args, printer),
        Command::Deploy(args) => deploy::run(args, printer),
        Command::Factory(command) => factory::run(command, global, printer),
        Command::Site(args) => site::run(args, global, printer),
        Command::Mcp(args) => mcp::run(args, global),
        Command::Cache(args) => cache::run(args, global, printer),
        Command::Bundle(command) => bundle::run(command, global, printer),
        Command::Seccomp(command) => seccomp::run(command, printer),
        Command::Migrate(args) => migrate::run(args, printer),
    }
}
