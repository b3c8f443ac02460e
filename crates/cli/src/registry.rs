//! Reaching registries from the command line: flags and environment into
//! [`buckle_registry::Options`], the loud `--insecure` warning, progress, and registry
//! references wherever an IMAGE is accepted.

use crate::args::RegistryArgs;
use crate::exit::UserError;
use crate::printer::Printer;
use crate::progress::Transfer;
use anyhow::Context;
use buckle_registry::{CredentialStore, Options, Reference, Registry};
use std::path::{Path, PathBuf};

/// `BUCKLE_REGISTRY_INSECURE`: plain HTTP to loopback registries where no flag can say it.
const INSECURE_ENV: &str = "BUCKLE_REGISTRY_INSECURE";

/// Where registry state lives: `<cache>/registry/{uploads,images,tmp}`.
pub fn state_dir(cache: Option<&Path>) -> anyhow::Result<PathBuf> {
    let cache = match cache {
        Some(dir) => dir.to_owned(),
        None => match std::env::var_os("BUCKLE_CACHE").filter(|d| !d.is_empty()) {
            Some(dir) => PathBuf::from(dir),
            None => crate::session::default_cache_dir()?,
        },
    };
    Ok(cache.join("registry"))
}

/// Options from the flags (and their environment variables) and the credentials the
/// environment offers.
pub fn options(args: &RegistryArgs, cache: Option<&Path>) -> anyhow::Result<Options> {
    Ok(Options {
        insecure: args.insecure,
        ca_file: args.ca_file.clone(),
        credentials: CredentialStore::from_environment()?,
        upload_state: Some(state_dir(cache)?.join("uploads")),
        ..Options::default()
    })
}

/// A reference given on the command line.
pub fn reference(text: &str) -> anyhow::Result<Reference> {
    Ok(text.parse::<Reference>()?)
}

/// Connects, warning loudly about plain HTTP.
pub fn connect(host: &str, options: &Options, printer: &Printer) -> anyhow::Result<Registry> {
    if options.insecure {
        printer.error_line(
            "warning:",
            format!("plain HTTP to `{host}` (--insecure): images and credentials travel unprotected and unauthenticated"),
        );
    }
    Registry::connect(host, options).with_context(|| format!("cannot reach the registry `{host}`"))
}

/// Runs a transfer with a byte progress bar.
pub fn with_progress<T>(printer: &Printer, verb: &'static str, work: impl FnOnce(&Transfer) -> T) -> T {
    let bar = Transfer::new(printer, verb);
    let result = work(&bar);
    bar.finish();
    result
}

/// For an IMAGE argument that is no file but a registry reference: the image pulled
/// (once per digest) into the cache. `None` when `arg` is a path or not a reference.
pub fn image_from_registry(arg: &Path) -> anyhow::Result<Option<PathBuf>> {
    let text = arg.to_string_lossy();
    let (path, _) = buckle_oci::parse_image_arg(&text);
    if arg.exists() || path.exists() {
        return Ok(None);
    }
    let Ok(reference) = text.parse::<Reference>() else {
        return Ok(None);
    };
    let insecure = std::env::var(INSECURE_ENV).is_ok_and(|v| matches!(v.as_str(), "1" | "true" | "yes"));
    let args = RegistryArgs {
        insecure,
        ca_file: std::env::var_os("BUCKLE_REGISTRY_CA").map(PathBuf::from),
    };
    let options = options(&args, None)?;
    if insecure && !reference.is_loopback() {
        anyhow::bail!(UserError::new(format!(
            "{INSECURE_ENV} is only for registries on loopback"
        )));
    }
    let registry = Registry::connect(&reference.registry, &options)
        .with_context(|| format!("cannot reach the registry `{}`", reference.registry))?;
    let images = state_dir(None)?.join("images");
    let path = buckle_registry::pull_cached(&registry, &reference, &images, &buckle_registry::NoReporter)
        .with_context(|| format!("cannot pull `{reference}`"))?;
    Ok(Some(path))
}

/// Bytes as a rate over `seconds`.
pub fn rate(bytes: u64, seconds: f64) -> String {
    let per_second = if seconds > 0.0 {
        bytes as f64 / seconds
    } else {
        0.0
    };
    format!("{}/s", crate::commands::inspect::human_size(per_second as u64))
}
