//! `buckle mcp [--root DIR]... [--allow-build]`: an MCP server on stdin/stdout whose
//! tools read the images under the roots.

use crate::args::{Global, McpArgs};
use crate::exit::UserError;
use crate::mcp_tools::Tools;
use crate::printer::{Printer, Verbosity};
use crate::session::Session;
use buckle_mcp::roots::Roots;
use buckle_mcp::Server;
use std::path::PathBuf;

pub fn run(args: &McpArgs, global: &Global) -> anyhow::Result<()> {
    let dirs = if args.root.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.root.clone()
    };
    let roots = Roots::new(&dirs)
        .map_err(|problem| UserError::with_hint(problem, "--root takes an existing folder (repeatable)"))?;
    // stdout carries the protocol: results never go there, status lines only with -v.
    let verbosity = if global.verbose > 0 {
        Verbosity::Verbose
    } else {
        Verbosity::Quiet
    };
    let tools = Tools {
        session: Session::new(global)?,
        global,
        registry: &args.registry,
        printer: Printer::new(verbosity, false),
    };
    let server = Server::new(
        tools,
        roots,
        args.allow_build,
        "buckle",
        env!("CARGO_PKG_VERSION"),
    );
    server.serve(std::io::stdin().lock(), std::io::stdout().lock())?;
    Ok(())
}
