//! `buckle inspect IMAGE`: what an image is and what is in it.

use crate::args::{Global, InspectArgs};
use crate::image_view;
use crate::printer::{human_size, Printer};
use crate::registry::Remote;
use buckle_sbom::dpkg::Detail;
use serde_json::json;

pub fn run(args: &InspectArgs, global: &Global, printer: &Printer) -> anyhow::Result<()> {
    let image = image_view::open(&args.image, &Remote::new(&args.registry, global, printer))?;
    let (files, found) = image_view::packages(&image, Detail::Packages)?;
    let config = image.config();
    let container = config.config.clone().unwrap_or_default();
    let layers: Vec<_> = image
        .layers()
        .iter()
        .map(|l| json!({"digest": l.descriptor.digest.oci(), "size": l.descriptor.size, "mediaType": l.descriptor.media_type}))
        .collect();
    let total: u64 = image.layers().iter().map(|l| l.descriptor.size).sum();
    let packages: Vec<_> = found
        .packages
        .iter()
        .map(|p| json!({"name": p.name.as_str(), "version": p.version.as_str(), "architecture": p.arch.as_str(), "source": p.source.as_str()}))
        .collect();
    let eol = container
        .labels
        .get(buckle_check::EOL_LABEL)
        .map(|text| support(text));
    let upstream: Vec<_> = container
        .labels
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix(crate::upstream::UPSTREAM_LABEL_PREFIX)?, v)))
        .map(|(name, origin)| json!({"name": name, "origin": origin}))
        .collect();
    let report = json!({
        "image": args.image.display().to_string(),
        "digest": image.manifest_digest().oci(),
        "platform": format!("{}/{}", config.os, config.architecture),
        "created": config.created,
        "user": container.user,
        "entrypoint": container.entrypoint,
        "cmd": container.cmd,
        "workingDir": container.working_dir,
        "env": container.env,
        "exposedPorts": container.exposed_ports.keys().collect::<Vec<_>>(),
        "volumes": container.volumes.keys().collect::<Vec<_>>(),
        "labels": container.labels,
        "eol": eol,
        "upstream": upstream,
        "layers": layers,
        "size": total,
        "files": files.len(),
        "packages": packages,
    });
    if printer.json {
        return printer.json(&report);
    }
    let field = |name: &str, value: String| printer.result(format!("{:<12} {value}", format!("{name}:")));
    field("image", args.image.display().to_string());
    field("digest", image.manifest_digest().oci());
    field("platform", format!("{}/{}", config.os, config.architecture));
    field("created", config.created.clone().unwrap_or_else(|| "-".into()));
    field("user", container.user.clone().unwrap_or_else(|| "(root)".into()));
    field(
        "entrypoint",
        format!("{:?}", container.entrypoint.clone().unwrap_or_default()),
    );
    field("cmd", format!("{:?}", container.cmd.clone().unwrap_or_default()));
    field(
        "workdir",
        container.working_dir.clone().unwrap_or_else(|| "/".into()),
    );
    field(
        "size",
        format!(
            "{} compressed, {} layers, {} files",
            human_size(total),
            layers.len(),
            files.len()
        ),
    );
    if let Some(eol) = &eol {
        field("eol", eol["summary"].as_str().unwrap_or_default().to_owned());
    }
    for item in &upstream {
        field(
            "upstream",
            format!(
                "{}: {}",
                item["name"].as_str().unwrap_or_default(),
                item["origin"].as_str().unwrap_or_default()
            ),
        );
    }
    printer.result("layers:");
    for layer in image.layers() {
        printer.result(format!(
            "  {}  {:>10}",
            layer.descriptor.digest.oci(),
            human_size(layer.descriptor.size)
        ));
    }
    printer.result(format!("packages ({}):", found.packages.len()));
    for p in &found.packages {
        printer.result(format!(
            "  {:<32} {:<28} {}",
            p.name.as_str(),
            p.version.as_str(),
            p.arch.as_str()
        ));
    }
    Ok(())
}

/// The upstream end of life a label gives, judged against today.
fn support(text: &str) -> serde_json::Value {
    let now = crate::clock::now_seconds();
    match text.parse::<buckle_spec::EndOfLife>() {
        Ok(eol) if eol.is_past(now) => json!({"date": text, "past": true,
            "summary": format!("{eol} (upstream support ended {} days ago)", -eol.days_left(now))}),
        Ok(eol) => json!({"date": text, "past": false,
            "summary": format!("{eol} ({} days left)", eol.days_left(now))}),
        Err(problem) => {
            json!({"date": text, "past": null, "summary": format!("{text} (unreadable: {problem})")})
        }
    }
}
