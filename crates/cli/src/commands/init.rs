//! `buckle init app --python DIR | --node DIR`: a first app spec, and what was guessed.

use crate::args::InitCommand;
use crate::exit::UserError;
use crate::files;
use crate::printer::Printer;
use buckle_app::init::{plan, ProjectKind};
use serde_json::json;
use std::path::Path;

pub fn run(command: &InitCommand, printer: &Printer) -> anyhow::Result<()> {
    let InitCommand::App(args) = command;
    let (dir, kind) = match (&args.python, &args.node) {
        (Some(dir), _) => (dir, ProjectKind::Python),
        (None, Some(dir)) => (dir, ProjectKind::Node),
        (None, None) => anyhow::bail!(UserError::new("pass --python DIR or --node DIR")),
    };
    let plan = plan(dir, kind)?;
    let spec_path = dir.join("buckle.toml");
    if spec_path.exists() && !args.force {
        anyhow::bail!(UserError::with_hint(
            format!("`{}` already exists", spec_path.display()),
            "pass --force to replace it"
        ));
    }
    files::write_output(&spec_path, plan.spec.as_bytes())?;
    printer.status("Wrote", spec_path.display());
    let ignore_path = dir.join(".buckleignore");
    if let Some(ignore) = &plan.ignore_file {
        files::write_output(&ignore_path, ignore.as_bytes())?;
        printer.status("Wrote", ignore_path.display());
    }
    if printer.json {
        return printer.json(&json!({
            "spec": spec_path,
            "ignore_file": plan.ignore_file.as_ref().map(|_| &ignore_path),
            "guesses": plan.guesses,
            "todo": plan.todo,
        }));
    }
    for guess in &plan.guesses {
        printer.result(format!("guessed: {guess}"));
    }
    for todo in &plan.todo {
        printer.result(format!("to do:   {todo}"));
    }
    printer.result(format!(
        "next:    edit {} as needed, then `buckle build {}`",
        spec_path.display(),
        Path::new(&spec_path).display()
    ));
    Ok(())
}
