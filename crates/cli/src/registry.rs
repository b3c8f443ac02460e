//! Reaching registries from the command line: flags and environment into
//! [`buckle_registry::Options`], the loud `--insecure` warning, progress, and registry
//! references wherever an IMAGE is accepted.

use crate::args::{Global, RegistryArgs};
use crate::printer::Printer;
use crate::progress::Transfer;
use anyhow::Context;
use buckle_registry::{CredentialStore, Options, Reference, Registry};
use std::path::{Path, PathBuf};

/// `BUCKLE_REGISTRY_INSECURE`: the environment's `--insecure`, read by [`parse_switch`].
pub const INSECURE_ENV: &str = "BUCKLE_REGISTRY_INSECURE";

/// The one parser of on/off switches given as a value, such as `--insecure`'s
/// environment variable: `1`, `true`, `yes`, `on` and `0`, `false`, `no`, `off`, in any
/// case; empty (a variable set to nothing) is off. Anything else is an error that
/// lists them.
pub fn parse_switch(text: &str) -> Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        _ => Err(format!(
            "expected 1, true, yes or on to switch it on, 0, false, no or off to switch it off (the flag, or {INSECURE_ENV})"
        )),
    }
}

/// How an IMAGE argument that is a registry reference is reached: the command's
/// registry flags, the cache the image is pulled into, and where to warn.
pub struct Remote<'a> {
    pub args: &'a RegistryArgs,
    pub cache: Option<&'a Path>,
    pub printer: &'a Printer,
}

impl<'a> Remote<'a> {
    pub fn new(args: &'a RegistryArgs, global: &'a Global, printer: &'a Printer) -> Remote<'a> {
        Remote {
            args,
            cache: global.cache.as_deref(),
            printer,
        }
    }
}

/// What a command reads of an image in a registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wanted {
    /// The image only (its manifests, configs and layers), pulled once per digest.
    Image,
    /// The image and what is attached to it in the registry (referrers and cosign's
    /// tags), read afresh each time: signatures can be added to an image at any time.
    WithAttachments,
}

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

/// An image pulled from a registry for a command that reads an IMAGE.
pub struct Pulled {
    /// The OCI layout it was pulled into, in the cache.
    pub layout: PathBuf,
    pub registry: Registry,
    pub reference: Reference,
}

impl Pulled {
    /// The tags of the image's repository that name `digest` (not the cosign and
    /// referrers tags).
    pub fn tags_naming(&self, digest: &buckle_digest::Sha256) -> anyhow::Result<Vec<String>> {
        self.registry
            .tags_naming(self.reference.repository.as_str(), digest)
            .with_context(|| format!("cannot list the tags of `{}`", self.reference))
    }
}

/// For an IMAGE argument that is no file but a registry reference: the image pulled
/// into the cache as an OCI layout (see [`Wanted`]). `None` when `arg` is a path or not
/// a reference.
pub fn image_from_registry(arg: &Path, remote: &Remote, wanted: Wanted) -> anyhow::Result<Option<Pulled>> {
    let text = arg.to_string_lossy();
    let (path, _) = buckle_oci::parse_image_arg(&text);
    if arg.exists() || path.exists() {
        return Ok(None);
    }
    let Ok(reference) = text.parse::<Reference>() else {
        return Ok(None);
    };
    let options = options(remote.args, remote.cache)?;
    let registry = connect(&reference.registry, &options, remote.printer)?;
    let images = state_dir(remote.cache)?.join("images");
    let pull_options = buckle_registry::PullOptions {
        attachments: wanted == Wanted::WithAttachments,
    };
    let path = with_progress(remote.printer, "Pulling", |bar| {
        buckle_registry::pull_cached(&registry, &reference, &images, pull_options, bar)
    })
    .with_context(|| format!("cannot pull `{reference}`"))?;
    Ok(Some(Pulled {
        layout: path,
        registry,
        reference,
    }))
}

/// Bytes as a rate over `seconds`.
pub fn rate(bytes: u64, seconds: f64) -> String {
    let per_second = if seconds > 0.0 {
        bytes as f64 / seconds
    } else {
        0.0
    };
    format!("{}/s", crate::printer::human_size(per_second as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_of_a_switch_parses_and_anything_else_names_them() {
        for on in ["1", "true", "TRUE", "yes", "Yes", "on"] {
            assert_eq!(parse_switch(on), Ok(true), "{on}");
        }
        for off in ["0", "false", "False", "no", "NO", "off", ""] {
            assert_eq!(parse_switch(off), Ok(false), "{off}");
        }
        for bad in ["2", "maybe", "y e s", "enabled"] {
            let error = parse_switch(bad).unwrap_err();
            assert!(error.contains("1, true, yes or on"), "{error}");
            assert!(error.contains(INSECURE_ENV), "{error}");
        }
    }
}
