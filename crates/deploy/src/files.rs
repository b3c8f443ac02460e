//! A set of generated files, and writing it to a directory.

use crate::error::{Error, Result};
use serde::Serialize;
use std::path::Path;

/// One generated file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GeneratedFile {
    /// Its path relative to the output directory (`patches/replicas.yaml`).
    pub path: String,
    /// Its text.
    pub content: String,
}

/// Generated files, in the order they were made.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Files(pub Vec<GeneratedFile>);

impl Files {
    /// Adds `value` as a YAML file.
    pub fn yaml(&mut self, path: &str, value: &impl Serialize) -> Result<()> {
        let content = serde_yaml::to_string(value).map_err(|source| Error::Serialize {
            what: path.to_owned(),
            source,
        })?;
        self.text(path, content);
        Ok(())
    }

    /// Adds a text file.
    pub fn text(&mut self, path: &str, content: String) {
        self.0.push(GeneratedFile {
            path: path.to_owned(),
            content,
        });
    }

    /// The text of the file at `path`.
    pub fn get(&self, path: &str) -> Option<&str> {
        self.0.iter().find(|f| f.path == path).map(|f| f.content.as_str())
    }

    /// Writes every file under `dir`, creating directories; files already there are
    /// replaced, others left alone.
    pub fn write_to(&self, dir: &Path) -> Result<()> {
        for file in &self.0 {
            let target = dir.join(&file.path);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).map_err(|source| Error::Io {
                    action: "create",
                    path: parent.to_owned(),
                    source,
                })?;
            }
            std::fs::write(&target, &file.content).map_err(|source| Error::Io {
                action: "write",
                path: target.clone(),
                source,
            })?;
        }
        Ok(())
    }
}
