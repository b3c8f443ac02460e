//! What a machine has imported: one record per bundle, in the cache, written last by
//! an import (so a record means the whole bundle is in the cache). Offline work finds
//! the InRelease of a suite, and the bundle it came from, here.

use crate::error::{io, Error, Result};
use buckle_archive::ReleaseDate;
use buckle_digest::Sha256;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// One imported bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ImportRecord {
    /// The bundle's digest (its manifest's SHA-256).
    pub digest: Sha256,
    /// When it was made.
    pub created: ReleaseDate,
    /// When it was imported here.
    pub imported: ReleaseDate,
    /// The bundle it is a delta on, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<Sha256>,
    /// Its suites.
    pub suites: Vec<ImportedSuite>,
}

/// A suite an imported bundle holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ImportedSuite {
    /// The mirror's name in the bundle (`debian`, `debian-security`, ...).
    pub mirror: String,
    /// The mirror's URL where the bundle was made.
    pub url: String,
    /// The suite.
    pub suite: String,
    /// The SHA-256 of its InRelease (the bytes are in the cache under it).
    pub inrelease: Sha256,
    /// Release's `Date`.
    pub date: ReleaseDate,
    /// Release's `Valid-Until`, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<ReleaseDate>,
}

impl ImportedSuite {
    /// Whether `Valid-Until` has passed at `now`.
    pub fn expired_at(&self, now: ReleaseDate) -> bool {
        self.valid_until.is_some_and(|until| until < now)
    }
}

/// The records under `<cache>/bundles`.
#[derive(Debug, Clone)]
pub struct Imports {
    dir: PathBuf,
}

impl Imports {
    /// The records of the cache at `cache_root`.
    pub fn new(cache_root: &Path) -> Imports {
        Imports {
            dir: cache_root.join("bundles"),
        }
    }

    fn path(&self, digest: &Sha256) -> PathBuf {
        self.dir.join(format!("{}.json", digest.hex()))
    }

    /// Whether the bundle `digest` was imported.
    pub fn contains(&self, digest: &Sha256) -> bool {
        self.path(digest).is_file()
    }

    /// Records an import (atomically: a temporary file renamed into place).
    pub fn record(&self, record: &ImportRecord) -> Result<()> {
        std::fs::create_dir_all(&self.dir).map_err(io("create", &self.dir))?;
        let path = self.path(&record.digest);
        let temp = self
            .dir
            .join(format!(".{}.{}", record.digest.hex(), std::process::id()));
        let bytes = serde_json::to_vec_pretty(record).expect("a record of plain fields serialises");
        std::fs::write(&temp, bytes).map_err(io("write", &temp))?;
        std::fs::rename(&temp, &path).map_err(io("rename into place", &path))
    }

    /// Every record, newest bundle first.
    pub fn all(&self) -> Result<Vec<ImportRecord>> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io("read the directory", &self.dir)(e)),
        };
        let mut records = Vec::new();
        for entry in entries {
            let path = entry.map_err(io("read the directory", &self.dir))?.path();
            if path.extension().is_some_and(|e| e == "json") {
                let bytes = std::fs::read(&path).map_err(io("read", &path))?;
                let record: ImportRecord = serde_json::from_slice(&bytes)
                    .map_err(|e| Error::Manifest(format!("the import record `{}`: {e}", path.display())))?;
                records.push(record);
            }
        }
        records.sort_by_key(|r| std::cmp::Reverse(r.created));
        Ok(records)
    }

    /// The newest imported InRelease of `suite`, with its bundle; one whose mirror URL
    /// is `url` first.
    pub fn suite(&self, url: &str, suite: &str) -> Result<Option<(ImportRecord, ImportedSuite)>> {
        let records = self.all()?;
        let find = |same_url: bool| {
            records.iter().find_map(|record| {
                record
                    .suites
                    .iter()
                    .find(|s| {
                        s.suite == suite
                            && (!same_url || s.url.trim_end_matches('/') == url.trim_end_matches('/'))
                    })
                    .map(|s| (record.clone(), s.clone()))
            })
        };
        Ok(find(true).or_else(|| find(false)))
    }

    /// The newest imported bundle holding one of the InRelease files `inreleases`.
    pub fn holding(&self, inreleases: &[Sha256]) -> Result<Option<ImportRecord>> {
        Ok(self
            .all()?
            .into_iter()
            .find(|record| record.suites.iter().any(|s| inreleases.contains(&s.inrelease))))
    }
}
