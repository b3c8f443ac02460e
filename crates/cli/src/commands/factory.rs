//! `buckle factory k8s CATALOG`: the image factory as a CronJob of an Indexed Job (one
//! catalog shard per pod) and as a GitHub Actions matrix.

use crate::args::{FactoryCommand, Global};
use crate::commands::deploy::user;
use crate::exit::UserError;
use crate::printer::Printer;
use buckle_deploy::factory::{generate_factory, read_catalog, FactoryOptions};
use buckle_deploy::ImageFacts;
use std::path::Path;

pub fn run(command: &FactoryCommand, global: &Global, printer: &Printer) -> anyhow::Result<()> {
    let FactoryCommand::K8s(args) = command;
    if args.shards == 0 {
        anyhow::bail!(UserError::new("--shards must be at least 1"));
    }
    let image = args.buckle_image.to_string_lossy();
    let buckle = ImageFacts::from_layout(&image).map_err(user)?;
    let catalog = read_catalog(&args.catalog).map_err(user)?;
    let (mirror, security_mirror) = mirrors(global)?;
    let options = FactoryOptions {
        shards: args.shards,
        registry: args.registry.trim_end_matches('/').to_owned(),
        schedule: args.schedule.clone(),
        namespace: args.namespace.clone(),
        image_name: ImageFacts::name_of(&image).unwrap_or_else(|| "buckle".to_owned()),
        repository: Some(format!("{}/buckle", args.registry.trim_end_matches('/'))),
        catalog_dir: args.catalog.to_string_lossy().into_owned(),
        mirror,
        security_mirror,
    };
    let files = generate_factory(&buckle, &catalog, &options).map_err(user)?;
    files.write_to(&args.output).map_err(user)?;
    if printer.json {
        let paths: Vec<&str> = files.0.iter().map(|f| f.path.as_str()).collect();
        return printer
            .json(&serde_json::json!({"output": args.output, "files": paths, "shards": args.shards}));
    }
    for file in files.0.iter().filter(|f| !f.path.starts_with("k8s/catalog/")) {
        printer.result(args.output.join(&file.path).display());
    }
    printer.status(
        "Sharded",
        format!(
            "{} catalog file(s) into {} shard(s); apply with `kustomize build {}`",
            catalog.len(),
            args.shards,
            args.output.join("k8s").display()
        ),
    );
    printer.status(
        "Note",
        "copy github/buckle-factory.yml to .github/workflows/ for the same shards on GitHub Actions",
    );
    Ok(())
}

/// The Debian mirrors the pods use: --mirror and --security-mirror, else the host's apt
/// configuration (the pods have none of their own).
fn mirrors(global: &Global) -> anyhow::Result<(String, String)> {
    let apt = || buckle_archive::from_apt_config(Path::new("/etc/apt"));
    let mirror = match &global.mirror {
        Some(url) => url.clone(),
        None => apt()?.archive()?.to_string(),
    };
    let security = match (&global.security_mirror, &global.mirror) {
        (Some(url), _) => url.clone(),
        (None, Some(main)) => format!("{main}-security"),
        (None, None) => apt()?.security()?.to_string(),
    };
    Ok((mirror, security))
}
