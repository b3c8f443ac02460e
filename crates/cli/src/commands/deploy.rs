//! `buckle deploy IMAGE`: a hardened kustomize base; `buckle deploy lint PATH...`:
//! manifests judged against Pod Security "restricted" and the same hardening.

use crate::args::{DeployArgs, DeployCommand, DeployLintArgs};
use crate::exit::{GateFailed, UserError};
use crate::printer::Printer;
use buckle_deploy::lint::{lint_paths, rules};
use buckle_deploy::{generate, DeployOptions, Health, ImageFacts, Seccomp};

pub fn run(args: &DeployArgs, printer: &Printer) -> anyhow::Result<()> {
    if let Some(DeployCommand::Lint(lint)) = &args.command {
        return run_lint(lint, printer);
    }
    let (Some(image), Some(name)) = (&args.image, &args.name) else {
        anyhow::bail!(UserError::with_hint(
            "an IMAGE and --name are needed",
            "buckle deploy out/python --name api"
        ));
    };
    let image = image.to_string_lossy();
    let facts = ImageFacts::from_layout(&image).map_err(user)?;
    let options = DeployOptions {
        name: name.clone(),
        namespace: args.namespace.clone(),
        port: args.port,
        image_name: ImageFacts::name_of(&image).unwrap_or_else(|| name.clone()),
        repository: args.repository.clone(),
        health: match &args.http_probe {
            Some(path) => Health::Http(path.clone()),
            None => Health::Tcp,
        },
        args: args.args.clone(),
        seccomp: match &args.seccomp_localhost {
            Some(profile) => Seccomp::Localhost(profile.clone()),
            None => Seccomp::RuntimeDefault,
        },
    };
    let base = generate(&facts, &options).map_err(user)?;
    base.files.write_to(&args.output).map_err(user)?;
    if printer.json {
        let paths: Vec<&str> = base.files.0.iter().map(|f| f.path.as_str()).collect();
        return printer.json(&serde_json::json!({
            "output": args.output, "files": paths, "image": base.image, "port": base.port, "notes": base.notes,
        }));
    }
    for file in &base.files.0 {
        printer.result(args.output.join(&file.path).display());
    }
    printer.status("Pinned", &base.image);
    for note in &base.notes {
        printer.status("Note", note);
    }
    Ok(())
}

fn run_lint(args: &DeployLintArgs, printer: &Printer) -> anyhow::Result<()> {
    let report = lint_paths(&args.paths).map_err(user)?;
    if args.sarif {
        printer.result(serde_json::to_string_pretty(&report.to_sarif())?);
    } else if printer.json {
        printer.json(&serde_json::to_value(&report)?)?;
    } else {
        for finding in &report.findings {
            let title = rules::find(finding.rule).map_or("", |r| r.title);
            printer.result(format!(
                "{}:{} {} {} ({title})\n  {}: {}",
                finding.file, finding.document, finding.object, finding.rule, finding.field, finding.message
            ));
        }
        printer.status(
            "Linted",
            format!(
                "{} workload(s) in {} file(s): {} finding(s)",
                report.workloads.len(),
                report.files.len(),
                report.findings.len()
            ),
        );
    }
    if !report.passed() {
        anyhow::bail!(GateFailed {
            message: format!(
                "{} finding(s) against Pod Security \"restricted\" and buckle's hardening",
                report.findings.len()
            )
        });
    }
    Ok(())
}

/// A deployment error as bad input, with its hint.
pub fn user(error: buckle_deploy::Error) -> anyhow::Error {
    match error.hint() {
        Some(hint) => UserError::with_hint(error.to_string(), hint).into(),
        None => UserError::new(error.to_string()).into(),
    }
}
