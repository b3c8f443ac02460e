//! Reading the user's files (specs, locks) and choosing where outputs go.

use crate::args::{FormatArg, VariantArg};
use anyhow::Context;
use buckle_spec::{Lock, Spec, Variant};
use std::io::Write;
use std::path::{Path, PathBuf};

/// A spec with the path it was read from.
pub struct SpecFile {
    pub path: PathBuf,
    pub spec: Spec,
}

impl SpecFile {
    /// Reads and parses a spec. A `.lock` path is taken as its spec's.
    pub fn load(path: &Path) -> anyhow::Result<SpecFile> {
        let path = if path.extension().is_some_and(|e| e == "lock") {
            path.with_extension("toml")
        } else {
            path.to_owned()
        };
        let text = read_text(&path)?;
        let spec = Spec::parse(&text, &path)?;
        Ok(SpecFile { path, spec })
    }

    /// `python.toml` -> `python.lock`, beside it.
    pub fn lock_path(&self) -> PathBuf {
        self.path.with_extension("lock")
    }

    /// The lock beside the spec, if there is one.
    pub fn read_lock(&self) -> anyhow::Result<Option<Lock>> {
        let path = self.lock_path();
        if !path.exists() {
            return Ok(None);
        }
        let text = read_text(&path)?;
        Ok(Some(Lock::parse(&text, &path)?))
    }

    /// The directory relative paths in the spec are relative to.
    pub fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }

    /// `out/<name>` or `out/<name>-dev` (with `.tar` for docker archives).
    pub fn default_output(&self, variant: Variant, format: FormatArg) -> PathBuf {
        let mut name = self.spec.name.to_string();
        if variant == Variant::Dev {
            name.push_str("-dev");
        }
        if format == FormatArg::DockerArchive {
            name.push_str(".tar");
        }
        Path::new("out").join(name)
    }
}

pub fn variant(arg: VariantArg) -> Variant {
    match arg {
        VariantArg::Runtime => Variant::Runtime,
        VariantArg::Dev => Variant::Dev,
    }
}

/// Reads a UTF-8 text file, naming it in the error.
pub fn read_text(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read `{}`", path.display()))
}

/// The mode of a document buckle writes (before the umask); a private key gets 0600.
pub const DOCUMENT_MODE: u32 = 0o644;

/// Whether an output path is `-`, which means stdout.
pub fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Writes `bytes` to the output `path`: `-` is stdout; a regular file or a new path is
/// written to a temporary sibling and renamed into place; a device, FIFO, socket or
/// `/dev/stdout` is written in place and never replaced; a symbolic link is followed.
/// The rule is [`buckle_oci::FileOutput`]'s.
pub fn write_output(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    write_output_mode(path, bytes, DOCUMENT_MODE)
}

/// [`write_output`] giving a new or replaced file `mode`.
pub fn write_output_mode(path: &Path, bytes: &[u8], mode: u32) -> anyhow::Result<()> {
    if is_stdout(path) {
        return write_stdout(bytes);
    }
    buckle_oci::write_file(path, bytes, mode).with_context(|| format!("cannot write `{}`", path.display()))
}

/// Writes a document's bytes to stdout as they are (for `-o -` and binary output).
pub fn write_stdout(bytes: &[u8]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes).context("cannot write to stdout")?;
    out.flush().context("cannot write to stdout")
}
