//! `buckle build SPEC...`: lock (when the lock is missing or stale), fetch, and build
//! each spec's image into an OCI layout or a docker archive; `--sign`, `--test` and
//! `--push` go on from there.

use crate::args::{BuildArgs, CompressionArg, Global};
use crate::exit::UserError;
use crate::files::{self, SpecFile};
use crate::keys::read_private_key;
use crate::ops::build::{build_spec, BuildRequest, PushRequest};
use crate::printer::Printer;
use crate::session::Session;
use anyhow::Context;
use buckle_oci::tar::Compression;
use serde_json::json;

pub fn run(args: &BuildArgs, global: &Global, printer: &Printer) -> anyhow::Result<()> {
    if args.output.is_some() && args.specs.len() > 1 {
        anyhow::bail!(UserError::new(
            "--output names one output; build one spec at a time with it"
        ));
    }
    // The password is asked for before any work is done.
    let key = args.sign.as_deref().map(read_private_key).transpose()?;
    let request = BuildRequest {
        arches: args.arch.clone(),
        format: args.format,
        output: args.output.clone(),
        compression: match args.compression {
            CompressionArg::Gzip => Compression::Gzip,
            CompressionArg::Zstd => Compression::Zstd,
        },
        source_date_epoch: args.source_date_epoch,
        test: args.test,
        layer_cache: !args.no_layer_cache,
        sign: key.as_ref(),
        push: args.push.as_ref().map(|reference| PushRequest {
            reference: reference.clone(),
            tags: args.tag.clone(),
            registry: args.registry.clone(),
        }),
        ..BuildRequest::layout(files::variant(args.variant))
    };
    let session = Session::new(global)?;
    let mut reports = Vec::new();
    for path in &args.specs {
        let report = if crate::ops::app::is_app_spec(path)? {
            crate::ops::app::build_app(&session, path, &request, printer)
                .with_context(|| format!("cannot build `{}`", path.display()))?
        } else {
            let spec = SpecFile::load(path)?;
            build_spec(&session, &spec, &request, printer)
                .with_context(|| format!("cannot build `{}`", spec.path.display()))?
        };
        reports.push(report);
    }
    if printer.json {
        printer.json(&json!(reports))?;
    }
    Ok(())
}
