//! `buckle feeds import FILES…`: files downloaded elsewhere -> stored feeds. The kind
//! of each file is told from its content; several files of one kind are merged and
//! replace that kind's stored feed.

use crate::error::{Error, Result};
use crate::store::{FeedInfo, FeedKind, Store};
use buckle_vuln::{epss, kev, osv, packages, tracker, Advisory, Epss, Kev, PackageAdvisory};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use tracing::info;

/// What one file turned out to hold.
enum Parsed {
    Tracker(Vec<Advisory>),
    Osv(Vec<Advisory>, Vec<PackageAdvisory>),
    Kev(Kev),
    Epss(Epss),
}

/// Imports `paths` into `store`, `now` being the time to record. Returns what was stored.
pub fn import(store: &Store, paths: &[PathBuf], now: u64) -> Result<Vec<FeedInfo>> {
    let mut advisories: BTreeMap<FeedKind, (Vec<String>, Vec<Advisory>)> = BTreeMap::new();
    let mut singles: Vec<(FeedInfo, Parsed)> = Vec::new();
    let mut package_sources: Vec<String> = Vec::new();
    let mut package_advisories: Vec<PackageAdvisory> = Vec::new();
    for path in paths {
        let source = path.display().to_string();
        match read_feed(path)? {
            Parsed::Tracker(list) => add(&mut advisories, FeedKind::Tracker, source, list),
            Parsed::Osv(list, packages) => {
                if !packages.is_empty() {
                    package_sources.push(source.clone());
                    package_advisories.extend(packages);
                }
                if !list.is_empty() || package_sources.last() != Some(&source) {
                    add(&mut advisories, FeedKind::Osv, source, list);
                }
            }
            parsed @ Parsed::Kev(_) | parsed @ Parsed::Epss(_) => {
                let (kind, records, data_date) = match &parsed {
                    Parsed::Kev(kev) => (FeedKind::Kev, kev.entries.len(), Some(kev.released.clone())),
                    Parsed::Epss(epss) => (FeedKind::Epss, epss.scores.len(), Some(epss.score_date.clone())),
                    _ => unreachable!("matched above"),
                };
                singles.retain(|(info, _)| info.kind != kind);
                let info = FeedInfo {
                    kind,
                    source: vec![source],
                    stored_at: now,
                    data_date: data_date.filter(|d| !d.is_empty()),
                    records,
                    release: None,
                };
                singles.push((info, parsed));
            }
        }
    }
    let mut stored = Vec::new();
    for (kind, (sources, list)) in advisories {
        let info = FeedInfo {
            kind,
            source: sources,
            stored_at: now,
            data_date: None,
            records: list.len(),
            release: None,
        };
        store.put(info.clone(), &list)?;
        stored.push(info);
    }
    if !package_sources.is_empty() {
        let info = FeedInfo {
            kind: FeedKind::OsvPackages,
            source: package_sources,
            stored_at: now,
            data_date: None,
            records: package_advisories.len(),
            release: None,
        };
        store.put(info.clone(), &package_advisories)?;
        stored.push(info);
    }
    for (info, parsed) in singles {
        match &parsed {
            Parsed::Kev(kev) => store.put(info.clone(), kev)?,
            Parsed::Epss(epss) => store.put(info.clone(), epss)?,
            Parsed::Tracker(_) | Parsed::Osv(..) => {}
        }
        stored.push(info);
    }
    for info in &stored {
        info!(feed = info.kind.name(), records = info.records, "imported");
    }
    Ok(stored)
}

fn add(
    into: &mut BTreeMap<FeedKind, (Vec<String>, Vec<Advisory>)>,
    kind: FeedKind,
    source: String,
    list: Vec<Advisory>,
) {
    let entry = into.entry(kind).or_default();
    entry.0.push(source);
    entry.1.extend(list);
}

/// Reads one file, gunzipping it first if needed, and tells its kind.
fn read_feed(path: &Path) -> Result<Parsed> {
    let raw = std::fs::read(path).map_err(|source| Error::Io {
        action: "read",
        path: path.to_owned(),
        source,
    })?;
    let bytes = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .map_err(|source| Error::Io {
                action: "gunzip",
                path: path.to_owned(),
                source,
            })?;
        out
    } else {
        raw
    };
    let origin = path.display().to_string();
    let import_err = |source| Error::Import {
        path: path.to_owned(),
        source,
    };
    if bytes.starts_with(b"PK\x03\x04") {
        return osv_zip(path, &bytes);
    }
    let head = String::from_utf8_lossy(bytes.get(..4096).unwrap_or(&bytes)).into_owned();
    let trimmed = head.trim_start();
    if trimmed.starts_with('{') {
        return if head.contains("\"catalogVersion\"") {
            kev::parse(&origin, &bytes).map(Parsed::Kev).map_err(import_err)
        } else if head.contains("\"affected\"") || head.contains("\"schema_version\"") {
            osv_record(&origin, &bytes)
                .map(|(debian, packages)| Parsed::Osv(debian, packages))
                .map_err(import_err)
        } else {
            tracker::parse(&origin, &bytes)
                .map(Parsed::Tracker)
                .map_err(import_err)
        };
    }
    if head.contains("cve,epss,percentile") {
        let text = String::from_utf8_lossy(&bytes);
        return epss::parse(&origin, &text).map(Parsed::Epss).map_err(import_err);
    }
    Err(Error::UnknownFeed {
        path: path.to_owned(),
    })
}

/// One OSV record: its Debian advisories and its PyPI and npm ones.
fn osv_record(origin: &str, bytes: &[u8]) -> buckle_vuln::Result<(Vec<Advisory>, Vec<PackageAdvisory>)> {
    Ok((osv::parse(origin, bytes)?, packages::parse_osv(origin, bytes)?))
}

/// Every `.json` record in a zip of OSV records (as OSV publishes per ecosystem:
/// Debian, PyPI, npm, …).
fn osv_zip(path: &Path, bytes: &[u8]) -> Result<Parsed> {
    let zip_err = |source| Error::Zip {
        path: path.to_owned(),
        source,
    };
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(zip_err)?;
    let mut out = Vec::new();
    let mut package_advisories = Vec::new();
    for index in 0..archive.len() {
        let mut file = archive.by_index(index).map_err(zip_err)?;
        if !file.name().ends_with(".json") {
            continue;
        }
        let name = format!("{}:{}", path.display(), file.name());
        let mut record = Vec::new();
        file.read_to_end(&mut record).map_err(|source| Error::Io {
            action: "read",
            path: PathBuf::from(&name),
            source,
        })?;
        let (debian, packages) = osv_record(&name, &record).map_err(|source| Error::Import {
            path: PathBuf::from(&name),
            source,
        })?;
        out.extend(debian);
        package_advisories.extend(packages);
    }
    Ok(Parsed::Osv(out, package_advisories))
}
