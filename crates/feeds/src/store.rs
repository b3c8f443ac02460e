//! The feed store: one JSON file per feed kind under `<cache>/vuln/`, the archive feed
//! one per release (`archive-bookworm.json`), an index (`feeds.json`) with the source,
//! release and date of each, and the changelogs read from `.deb`s, kept by the `.deb`'s
//! SHA256 so an update reads each `.deb` once. Storing one release's archive data
//! leaves the others' alone; loading merges them all. A store written before the
//! archive feed was kept per release (one `archive.json` for every release) is read as
//! one entry per release found in it, and split into per-release files on the next
//! archive update. Every file is written to a temporary sibling and renamed into place.

use crate::error::{Error, Result};
use buckle_digest::Sha256;
use buckle_vuln::{Advisory, Changelog, Database, Epss, Kev, PackageAdvisory, Release, SourceHistory};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The kinds of feed, each optional.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FeedKind {
    /// Fixes named by the changelogs of the newest archive versions.
    Archive,
    /// The Debian security tracker.
    Tracker,
    /// OSV Debian advisories.
    Osv,
    /// OSV advisories about application packages (PyPI, npm).
    OsvPackages,
    /// CISA's Known Exploited Vulnerabilities catalog.
    Kev,
    /// FIRST's EPSS scores.
    Epss,
}

impl FeedKind {
    /// Every kind, in the order reports list them.
    pub const ALL: [FeedKind; 6] = [
        FeedKind::Archive,
        FeedKind::Tracker,
        FeedKind::Osv,
        FeedKind::OsvPackages,
        FeedKind::Kev,
        FeedKind::Epss,
    ];

    /// The name used in the store and in reports.
    pub fn name(self) -> &'static str {
        match self {
            FeedKind::Archive => "archive",
            FeedKind::Tracker => "tracker",
            FeedKind::Osv => "osv",
            FeedKind::OsvPackages => "osv-packages",
            FeedKind::Kev => "kev",
            FeedKind::Epss => "epss",
        }
    }

    /// What it is, for people.
    pub fn title(self) -> &'static str {
        match self {
            FeedKind::Archive => "Debian archive changelogs",
            FeedKind::Tracker => "Debian security tracker",
            FeedKind::Osv => "OSV Debian advisories",
            FeedKind::OsvPackages => "OSV PyPI and npm advisories",
            FeedKind::Kev => "CISA KEV catalog",
            FeedKind::Epss => "EPSS scores",
        }
    }
}

/// Where a stored feed came from and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedInfo {
    /// The kind.
    pub kind: FeedKind,
    /// The URLs or files it was read from.
    pub source: Vec<String>,
    /// When it was stored (seconds since 1970, UTC).
    pub stored_at: u64,
    /// The date the data itself carries (KEV `dateReleased`, EPSS score date, the
    /// newest InRelease `Date` of the archive), when it has one.
    pub data_date: Option<String>,
    /// Records: source histories, advisories, KEV entries or scores.
    pub records: usize,
    /// The release the data is about (the archive feed, stored per release); `None` for
    /// feeds that cover every release.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<Release>,
}

/// `CISA KEV catalog: 1404 records (data of 2025-08-25) from kev.json`,
/// `Debian archive changelogs for bookworm: 12 records …`.
impl std::fmt::Display for FeedInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.kind.title())?;
        if let Some(release) = &self.release {
            write!(f, " for {release}")?;
        }
        write!(f, ": {} records", self.records)?;
        if let Some(date) = &self.data_date {
            write!(f, " (data of {date})")?;
        }
        write!(f, " from {}", self.source.join(", "))
    }
}

impl FeedInfo {
    /// The file holding the data: `<kind>.json`, or `archive-<release>.json`.
    fn file(&self) -> String {
        match &self.release {
            Some(release) => format!("{}-{release}.json", self.kind.name()),
            None => format!("{}.json", self.kind.name()),
        }
    }

    /// Whether `other` is about the same data (same kind and release), which it replaces.
    fn same_data(&self, other: &FeedInfo) -> bool {
        self.kind == other.kind && self.release == other.release
    }
}

/// Every stored feed merged, and what each one is.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The merged data.
    pub database: Database,
    /// The feeds it was made of (the archive feed once per release).
    pub feeds: Vec<FeedInfo>,
}

impl Loaded {
    /// What is stored of the archive feed for `release`, if anything.
    pub fn archive(&self, release: &Release) -> Option<&FeedInfo> {
        self.feeds
            .iter()
            .find(|f| f.kind == FeedKind::Archive && f.release.as_ref() == Some(release))
    }
}

/// The feed store in a cache directory.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

impl Store {
    /// The store under `<cache_root>/vuln`.
    pub fn new(cache_root: &Path) -> Store {
        Store {
            dir: cache_root.join("vuln"),
        }
    }

    /// The store's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What is stored, by kind (and release); empty when nothing is.
    pub fn infos(&self) -> Result<Vec<FeedInfo>> {
        Ok(self
            .read_json::<Vec<FeedInfo>>(&self.dir.join("feeds.json"))?
            .unwrap_or_default())
    }

    /// Loads every stored feed into one database.
    pub fn load(&self) -> Result<Loaded> {
        let mut feeds = Vec::new();
        let mut database = Database::new();
        for info in self.infos()? {
            let path = self.dir.join(info.file());
            match info.kind {
                FeedKind::Archive if info.release.is_none() => {
                    let histories = self.read_required::<Vec<SourceHistory>>(&path)?;
                    for (info, histories) in per_release(&info, histories) {
                        histories.into_iter().for_each(|h| database.add_history(h));
                        feeds.push(info);
                    }
                    continue;
                }
                FeedKind::Archive => {
                    for history in self.read_required::<Vec<SourceHistory>>(&path)? {
                        database.add_history(history);
                    }
                }
                FeedKind::Tracker | FeedKind::Osv => {
                    database.add_advisories(self.read_required::<Vec<Advisory>>(&path)?);
                }
                FeedKind::OsvPackages => {
                    database.add_package_advisories(self.read_required::<Vec<PackageAdvisory>>(&path)?);
                }
                FeedKind::Kev => database.set_kev(self.read_required::<Kev>(&path)?),
                FeedKind::Epss => database.set_epss(self.read_required::<Epss>(&path)?),
            }
            feeds.push(info);
        }
        feeds.sort_by(|a, b| (a.kind, &a.release).cmp(&(b.kind, &b.release)));
        Ok(Loaded { database, feeds })
    }

    /// Stores a feed's data (replacing that kind's, or for the archive feed that
    /// release's) and records where it came from.
    pub fn put<T: Serialize>(&self, info: FeedInfo, data: &T) -> Result<()> {
        if info.release.is_some() {
            self.split_legacy_archive()?;
        }
        self.write_json(&self.dir.join(info.file()), data)?;
        self.put_info(info)
    }

    /// Records (or replaces) what a stored feed is.
    pub fn put_info(&self, info: FeedInfo) -> Result<()> {
        let mut infos = self.infos()?;
        infos.retain(|i| !i.same_data(&info));
        infos.push(info);
        infos.sort_by(|a, b| (a.kind, &a.release).cmp(&(b.kind, &b.release)));
        self.write_json(&self.dir.join("feeds.json"), &infos)
    }

    /// Rewrites an `archive.json` of every release (the store's earlier layout) as one
    /// file per release, so that storing one release keeps the others.
    fn split_legacy_archive(&self) -> Result<()> {
        let infos = self.infos()?;
        let Some(legacy) = infos
            .iter()
            .find(|i| i.kind == FeedKind::Archive && i.release.is_none())
        else {
            return Ok(());
        };
        let path = self.dir.join(legacy.file());
        let histories = self.read_required::<Vec<SourceHistory>>(&path)?;
        let split = per_release(legacy, histories);
        let mut infos: Vec<FeedInfo> = infos.iter().filter(|i| !i.same_data(legacy)).cloned().collect();
        for (info, histories) in split {
            self.write_json(&self.dir.join(info.file()), &histories)?;
            infos.push(info);
        }
        infos.sort_by(|a, b| (a.kind, &a.release).cmp(&(b.kind, &b.release)));
        self.write_json(&self.dir.join("feeds.json"), &infos)?;
        std::fs::remove_file(&path).map_err(|source| Error::Io {
            action: "remove",
            path,
            source,
        })
    }

    /// The changelog read earlier from the `.deb` with this digest; `None` when it was
    /// classified under older mention rules (the `.deb` is to be read again).
    pub fn changelog(&self, deb: &Sha256) -> Result<Option<CachedChangelog>> {
        let cached: Option<CachedChangelog> = self.read_json(&self.changelog_path(deb))?;
        Ok(cached.filter(|c| c.changelog.is_current()))
    }

    /// Keeps the changelog read from the `.deb` with this digest.
    pub fn put_changelog(&self, deb: &Sha256, changelog: &CachedChangelog) -> Result<()> {
        self.write_json(&self.changelog_path(deb), changelog)
    }

    fn changelog_path(&self, deb: &Sha256) -> PathBuf {
        self.dir.join("changelogs").join(format!("{}.json", deb.hex()))
    }

    fn read_required<T: DeserializeOwned>(&self, path: &Path) -> Result<T> {
        self.read_json(path)?.ok_or_else(|| Error::Io {
            action: "read",
            path: path.to_owned(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "listed in feeds.json but missing"),
        })
    }

    fn read_json<T: DeserializeOwned>(&self, path: &Path) -> Result<Option<T>> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(Error::Io {
                    action: "read",
                    path: path.to_owned(),
                    source,
                })
            }
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|source| Error::Stored {
                path: path.to_owned(),
                source,
            })
    }

    fn write_json<T: Serialize + ?Sized>(&self, path: &Path, value: &T) -> Result<()> {
        let bytes = serde_json::to_vec(value).map_err(|source| Error::Stored {
            path: path.to_owned(),
            source,
        })?;
        write_atomically(path, &bytes)
    }
}

/// The histories of an archive feed stored for every release at once, with an entry
/// for each release they are about (same source, time and date).
fn per_release(info: &FeedInfo, histories: Vec<SourceHistory>) -> Vec<(FeedInfo, Vec<SourceHistory>)> {
    let mut by_release: BTreeMap<Release, Vec<SourceHistory>> = BTreeMap::new();
    for history in histories {
        by_release
            .entry(history.release.clone())
            .or_default()
            .push(history);
    }
    by_release
        .into_iter()
        .map(|(release, histories)| {
            let info = FeedInfo {
                release: Some(release),
                records: histories.len(),
                ..info.clone()
            };
            (info, histories)
        })
        .collect()
}

/// A changelog read from a `.deb`: where it was and what it says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedChangelog {
    /// Its path in the `.deb`.
    pub path: String,
    /// The parsed changelog.
    pub changelog: Changelog,
}

/// Writes `bytes` to a temporary sibling of `path`, then renames it into place.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let io = |action: &'static str, path: &Path| {
        let path = path.to_owned();
        move |source| Error::Io { action, path, source }
    };
    std::fs::create_dir_all(dir).map_err(io("create", dir))?;
    let mut temp = tempfile::NamedTempFile::new_in(dir).map_err(io("create", dir))?;
    temp.write_all(bytes).map_err(io("write", path))?;
    temp.persist(path).map_err(|e| Error::Io {
        action: "write",
        path: path.to_owned(),
        source: e.error,
    })?;
    Ok(())
}
