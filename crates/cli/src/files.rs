//! Reading the user's files (specs, locks) and choosing where outputs go.

use crate::args::{FormatArg, VariantArg};
use anyhow::Context;
use buckle_spec::{Lock, Spec, Variant};
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

/// Writes `bytes` to `path` atomically: a temporary sibling, then a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    let mut temp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write in `{}`", dir.display()))?;
    std::io::Write::write_all(&mut temp, bytes)
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    temp.persist(path)
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    Ok(())
}
