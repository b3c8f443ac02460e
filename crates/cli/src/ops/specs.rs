//! Which image specs a command over many specs works on (`lock`, `update`, `bundle`).

use crate::exit::UserError;
use crate::ops::app::{base_spec_path, is_app_spec, AppFile};
use anyhow::Context;
use std::path::{Path, PathBuf};

/// The image specs `given` names: files as given, each directory's `*.toml` sorted by
/// name. An app spec stands for its base: the base's lock is what an app build reuses,
/// and the only thing of the app there is to lock, update or bundle. Each spec is
/// listed once, at its first place.
pub fn image_specs(given: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out: Vec<PathBuf> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for path in spec_files(given)? {
        let path = if is_app_spec(&path)? {
            base_spec_path(&AppFile::load(&path)?)?
        } else {
            path
        };
        if seen.insert(identity(&path)) {
            out.push(path);
        }
    }
    Ok(out)
}

fn spec_files(given: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for path in given {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .with_context(|| format!("cannot read the directory `{}`", path.display()))?
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "toml") && p.is_file())
                .collect();
            if found.is_empty() {
                anyhow::bail!(UserError::with_hint(
                    format!("`{}` holds no specs (*.toml)", path.display()),
                    "name a catalog directory or spec files"
                ));
            }
            found.sort();
            out.extend(found);
        } else if path.is_file() {
            out.push(path.clone());
        } else {
            anyhow::bail!(UserError::new(format!(
                "`{}` is neither a spec nor a directory of specs",
                path.display()
            )));
        }
    }
    Ok(out)
}

fn identity(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_owned())
}
