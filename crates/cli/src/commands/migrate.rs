//! `buckle migrate DOCKERFILE`: the Dockerfile rewritten onto buckle images, the spec
//! it needs, and the report (buckle-migrate does the work).

use crate::args::MigrateArgs;
use crate::exit::UserError;
use crate::files;
use crate::printer::Printer;
use buckle_migrate::{migrate, spec_name, Mapping, Options};
use serde_json::json;
use std::path::PathBuf;

pub fn run(args: &MigrateArgs, printer: &Printer) -> anyhow::Result<()> {
    let text = files::read_text(&args.dockerfile)?;
    let mut mapping = Mapping::builtin();
    if let Some(path) = &args.map {
        mapping = mapping.extended_by(Mapping::parse(
            &files::read_text(path)?,
            &path.display().to_string(),
        )?);
    }
    let file_name = args
        .dockerfile
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let directory = std::path::absolute(&args.dockerfile).ok().and_then(|p| {
        p.parent()
            .and_then(|d| d.file_name())
            .map(|d| d.to_string_lossy().into_owned())
    });
    let options = Options {
        registry: args.registry.clone(),
        spec_name: args
            .name
            .clone()
            .unwrap_or_else(|| spec_name(&file_name, directory.as_deref())),
        file: file_name.clone(),
    };
    let migration = migrate(&text, &mapping, &options)?;
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| args.dockerfile.with_file_name(format!("{file_name}.buckle")));
    let to_stdout = files::is_stdout(&output);
    if to_stdout && printer.json {
        anyhow::bail!(UserError::with_hint(
            "--json and `-o -` both want stdout",
            "pass -o with a path for the Dockerfile, or drop --json"
        ));
    }
    let spec_path = migration.spec.as_ref().map(|spec| {
        let dir = if to_stdout {
            args.dockerfile.parent()
        } else {
            output.parent()
        };
        dir.map(PathBuf::from)
            .unwrap_or_default()
            .join(format!("{}.toml", spec.name))
    });
    files::write_output(&output, migration.dockerfile.as_bytes())?;
    if let (Some(spec), Some(path)) = (&migration.spec, &spec_path) {
        files::write_output(path, spec.toml.as_bytes())?;
    }
    if printer.json {
        return printer.json(&json!({
            "dockerfile": output,
            "spec": spec_path,
            "report": migration.report,
        }));
    }
    let report = migration.report.to_string();
    if to_stdout {
        for line in report.lines() {
            printer.status("report", line);
        }
        return Ok(());
    }
    printer.status("wrote", output.display());
    if let Some(path) = &spec_path {
        printer.status(
            "wrote",
            format!(
                "{} (build it with `buckle build {}`)",
                path.display(),
                path.display()
            ),
        );
    }
    for line in report.lines() {
        printer.result(line);
    }
    Ok(())
}
