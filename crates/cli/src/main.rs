//! `buckle`: the command that wires buckle's crates together.
//!
//! This crate owns argument parsing, the [`printer::Printer`] that all output goes
//! through, progress bars, error reporting with hints, and exit codes. The work itself
//! lives in the library crates, composed into the steps of the factory in [`ops`];
//! each command in [`commands`] parses its arguments, calls ops and prints.

mod args;
mod clock;
mod commands;
mod describe;
mod diagnostics;
mod errors;
mod exit;
mod files;
mod image_view;
mod keys;
mod mcp_tools;
mod ops;
mod printer;
mod progress;
mod registry;
mod runc;
mod session;
mod upstream;

use clap::Parser;
use printer::{Printer, Verbosity};

/// mimalloc, giving memory back at once (see buckle-alloc).
#[global_allocator]
static ALLOCATOR: buckle_alloc::Allocator = buckle_alloc::Allocator;

fn main() -> std::process::ExitCode {
    buckle_alloc::give_memory_back_at_once();
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let code = if err.use_stderr() {
                exit::Code::BadInput as u8
            } else {
                0
            };
            let _ = err.print();
            return std::process::ExitCode::from(code);
        }
    };
    let verbosity = match (cli.global.quiet, cli.global.verbose) {
        (true, _) => Verbosity::Quiet,
        (false, 0) => Verbosity::Normal,
        (false, _) => Verbosity::Verbose,
    };
    init_logging(cli.global.verbose);
    image_view::set_memory_budget(cli.global.memory_budget);
    let printer = Printer::new(verbosity, cli.global.json);
    match commands::run(cli, &printer) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            diagnostics::report(&printer, &err);
            std::process::ExitCode::from(exit::code(&err) as u8)
        }
    }
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "buckle=debug,info",
        _ => "buckle=trace,debug",
    };
    let filter = std::env::var("BUCKLE_LOG").unwrap_or_else(|_| default.to_owned());
    let filter = tracing_subscriber::EnvFilter::try_new(&filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
