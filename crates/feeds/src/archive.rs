//! The archive feed: for each release, the newest version of every source package
//! that the release's update suites (`-security`, `-updates`) carry, and the changelog
//! of that version, read from its `.deb` (fetched and verified through
//! `buckle-archive`, read through `buckle-image`). A `.deb` whose doc directory is a
//! symlink to another package's has its changelog read from that package.

use crate::error::{Error, Result};
use crate::store::{CachedChangelog, FeedInfo, FeedKind, Store};
use buckle_archive::{Archive, DebFile, Keyring, ReleaseDate, Reporter};
use buckle_debian::{Arch, BinaryPackage, Component, MirrorUrl, PackageName, PoolPath, Suite};
use buckle_image::deb::{read_deb, FileKind, Limits};
use buckle_vuln::{changelog_paths, newest_sources, Changelog, Release, SourceHistory};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use tracing::{debug, info, instrument, warn};

/// One suite to read, and the mirror that serves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuiteSource {
    /// The mirror.
    pub mirror: MirrorUrl,
    /// The suite.
    pub suite: Suite,
}

/// A release and its suites: the point release first, then its update suites.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseSuites {
    /// The release.
    pub release: Release,
    /// Its suites, the point release first.
    pub suites: Vec<SuiteSource>,
}

impl ReleaseSuites {
    /// `release`, `release-updates` from `archive` and `release-security` from `security`.
    pub fn debian(release: &Release, archive: &MirrorUrl, security: &MirrorUrl) -> Result<ReleaseSuites> {
        let suite = |name: String, mirror: &MirrorUrl| -> Result<SuiteSource> {
            Ok(SuiteSource {
                mirror: mirror.clone(),
                suite: name.parse()?,
            })
        };
        Ok(ReleaseSuites {
            release: release.clone(),
            suites: vec![
                suite(release.to_string(), archive)?,
                suite(format!("{release}-updates"), archive)?,
                suite(format!("{release}-security"), security)?,
            ],
        })
    }
}

/// What an archive update did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArchiveSummary {
    /// Source histories stored.
    pub sources: usize,
    /// `.deb`s downloaded.
    pub downloaded: usize,
    /// Bytes downloaded.
    pub bytes: u64,
    /// Changelogs taken from the store's cache (read on an earlier update).
    pub cached: usize,
    /// Sources left out: no `.deb` small enough to read, or one that could not be read.
    pub skipped: usize,
}

/// The largest `.deb` read for its changelog: every binary of a source carries the
/// changelog, so a small one is picked; debug-symbol packages can be gigabytes.
const MAX_DEB: u64 = 64 << 20;

fn small_enough(binary: &BinaryPackage) -> bool {
    binary.sha256.is_some() && binary.size.is_some_and(|size| size <= MAX_DEB)
}

/// The `.deb` to read for one source package.
struct Pick {
    release: Release,
    source: PackageName,
    newest: buckle_vuln::Newest,
    mirror: MirrorUrl,
    binary: BinaryPackage,
}

/// What to read and when: the releases and their suites, the architecture, the
/// keyring the InRelease files must verify with, and the clock.
#[derive(Debug, Clone)]
pub struct UpdateOptions<'a> {
    /// The releases.
    pub releases: &'a [ReleaseSuites],
    /// The architecture whose indices to read.
    pub arch: Arch,
    /// The keyring.
    pub keyring: &'a Keyring,
    /// Now, to check InRelease dates.
    pub now: ReleaseDate,
    /// Now, in seconds since 1970, recorded as the time the feed was stored.
    pub stored_at: u64,
}

/// Reads the changelogs of the newest versions in each release's update suites and
/// stores them as the archive feed, each release on its own (replacing only what was
/// stored for the releases read).
#[instrument(skip_all, fields(releases = options.releases.len()))]
pub fn update(
    archive: &Archive,
    store: &Store,
    options: &UpdateOptions<'_>,
    reporter: &dyn Reporter,
) -> Result<ArchiveSummary> {
    let UpdateOptions {
        releases,
        arch,
        keyring,
        now,
        stored_at,
    } = options;
    let (arch, now, stored_at) = (arch, *now, *stored_at);
    let main: Component = "main".parse().expect("`main` is a component name");
    let mut picks = Vec::new();
    // Per release: the suites read and the newest InRelease date.
    let mut read: BTreeMap<Release, (Vec<String>, Option<ReleaseDate>)> = BTreeMap::new();
    let mut skipped = 0;
    for release in releases.iter() {
        let mut indexes: Vec<(String, MirrorUrl, Vec<BinaryPackage>)> = Vec::new();
        let (sources, newest_date) = read.entry(release.release.clone()).or_default();
        for source in &release.suites {
            let verified = archive.open_suite(&source.mirror, &source.suite, keyring, now, None)?;
            *newest_date = (*newest_date).max(Some(verified.date()));
            sources.push(format!("{} {}", source.mirror, source.suite));
            let index = archive.packages(&verified, &main, arch)?;
            indexes.push((source.suite.to_string(), source.mirror.clone(), index.packages));
        }
        let updated: BTreeSet<&PackageName> = indexes
            .iter()
            .skip(1)
            .flat_map(|(_, _, p)| p)
            .map(|p| &p.source)
            .collect();
        let newest = newest_sources(indexes.iter().map(|(s, _, p)| (s.as_str(), p.as_slice())));
        for (source, newest) in newest {
            if !updated.contains(&source) {
                continue;
            }
            let Some(mirror) = indexes
                .iter()
                .find(|(s, _, _)| *s == newest.suite)
                .map(|(_, m, _)| m.clone())
            else {
                continue;
            };
            let Some(binary) = newest.binaries.iter().find(|b| small_enough(b)).cloned() else {
                skipped += 1;
                continue;
            };
            picks.push(Pick {
                release: release.release.clone(),
                source,
                newest,
                mirror,
                binary,
            });
        }
    }
    info!(sources = picks.len(), "changelogs to read");
    let mut summary = ArchiveSummary {
        skipped,
        ..ArchiveSummary::default()
    };
    let mut histories = Vec::new();
    // Two rounds: a doc directory that is a symlink sends us to its target package.
    let mut pending: Vec<Pick> = picks;
    for _round in 0..2 {
        let mut todo = Vec::new();
        for pick in &pending {
            let sha = pick.binary.sha256.expect("picked with a digest");
            if store.changelog(&sha)?.is_none() {
                todo.push(deb_file(pick)?);
            }
        }
        let fetched = archive.fetch_debs(&todo, 6, reporter)?;
        summary.downloaded += fetched.downloaded;
        summary.bytes += fetched.bytes;
        let mut redirected = Vec::new();
        for pick in pending {
            let sha = pick.binary.sha256.expect("picked with a digest");
            let cached = store.changelog(&sha)?;
            let found = match cached {
                Some(found) => {
                    summary.cached += 1;
                    Found::Changelog(found)
                }
                None => match read_changelog(archive, &pick) {
                    Ok(found) => {
                        if let Found::Changelog(changelog) = &found {
                            store.put_changelog(&sha, changelog)?;
                        }
                        found
                    }
                    // One unreadable package leaves its source out, not the release.
                    Err(e) => {
                        warn!(source = %pick.source, error = %e, "changelog not read");
                        summary.skipped += 1;
                        continue;
                    }
                },
            };
            match found {
                Found::Changelog(cached) => histories.push(history(&pick, cached)),
                Found::DocLink(target) => {
                    match pick
                        .newest
                        .binaries
                        .iter()
                        .find(|b| b.name.as_str() == target && small_enough(b))
                    {
                        Some(binary) => redirected.push(Pick {
                            binary: binary.clone(),
                            ..pick
                        }),
                        None => {
                            debug!(source = %pick.source, target, "doc directory points outside the source")
                        }
                    }
                }
                Found::Nothing => debug!(source = %pick.source, "no changelog in the package"),
            }
        }
        pending = redirected;
        if pending.is_empty() {
            break;
        }
    }
    summary.sources = histories.len();
    histories.sort_by(|a, b| (&a.release, &a.source).cmp(&(&b.release, &b.source)));
    // Each release on its own: the releases not read now keep what was stored for them.
    for (release, (sources, newest_date)) in read {
        let of_release: Vec<&SourceHistory> = histories.iter().filter(|h| h.release == release).collect();
        let info = FeedInfo {
            kind: FeedKind::Archive,
            source: sources,
            stored_at,
            data_date: newest_date.map(day),
            records: of_release.len(),
            release: Some(release),
        };
        store.put(info, &of_release)?;
    }
    info!(
        sources = summary.sources,
        downloaded = summary.downloaded,
        "archive feed stored"
    );
    Ok(summary)
}

/// `YYYY-MM-DD` of an InRelease date.
fn day(date: ReleaseDate) -> String {
    let seconds = u64::try_from(date.unix()).unwrap_or(0);
    buckle_oci::rfc3339_utc(seconds).chars().take(10).collect()
}

fn deb_file(pick: &Pick) -> Result<DebFile> {
    let binary = &pick.binary;
    let path: PoolPath = binary.filename.as_deref().unwrap_or_default().parse()?;
    Ok(DebFile {
        mirror: pick.mirror.clone(),
        path,
        sha256: binary.sha256.expect("picked with a digest"),
        size: binary.size.unwrap_or(0),
    })
}

fn history(pick: &Pick, cached: CachedChangelog) -> SourceHistory {
    SourceHistory {
        release: pick.release.clone(),
        source: pick.source.clone(),
        version: pick.newest.version.clone(),
        suite: pick.newest.suite.clone(),
        binary: pick.binary.name.clone(),
        binary_version: pick.binary.version.clone(),
        deb_sha256: pick.binary.sha256,
        changelog_path: cached.path,
        changelog: cached.changelog,
    }
}

/// What a `.deb` holds for its changelog.
enum Found {
    Changelog(CachedChangelog),
    /// `usr/share/doc/<name>` is a symlink to this package's doc directory.
    DocLink(String),
    Nothing,
}

fn read_changelog(archive: &Archive, pick: &Pick) -> Result<Found> {
    let sha = pick.binary.sha256.expect("picked with a digest");
    let name = pick
        .binary
        .filename
        .clone()
        .unwrap_or_else(|| pick.binary.to_string());
    let bytes = archive.cache().read(&sha)?;
    changelog_of(&name, &pick.binary.name, &bytes)
}

/// The changelog a binary package's `.deb` carries itself (`name` names the `.deb` in
/// errors); `None` when its doc directory is another package's or has no changelog.
pub fn changelog_in_deb(name: &str, binary: &PackageName, bytes: &[u8]) -> Result<Option<CachedChangelog>> {
    Ok(match changelog_of(name, binary, bytes)? {
        Found::Changelog(changelog) => Some(changelog),
        Found::DocLink(_) | Found::Nothing => None,
    })
}

fn changelog_of(name: &str, binary: &PackageName, bytes: &[u8]) -> Result<Found> {
    let deb = read_deb(name, bytes, &Limits::default()).map_err(|e| Error::Deb {
        deb: name.to_owned(),
        source: Box::new(e),
    })?;
    let files: BTreeMap<&str, &FileKind> = deb.files.iter().map(|f| (f.path.as_str(), &f.kind)).collect();
    let doc_dir = format!("usr/share/doc/{binary}");
    if let Some(FileKind::Symlink(target)) = files.get(doc_dir.as_str()) {
        let target = target
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or_default();
        return Ok(Found::DocLink(target.to_owned()));
    }
    for path in changelog_paths(binary.as_str()) {
        if let Some(FileKind::File(content)) = files.get(path.as_str()) {
            let mut bytes = Vec::new();
            flate2::read::GzDecoder::new(content.bytes())
                .read_to_end(&mut bytes)
                .map_err(|e| Error::Deb {
                    deb: format!("{name}: {path}"),
                    source: Box::new(e),
                })?;
            // Old entries may be in Latin-1; ids and versions are ASCII.
            let text = String::from_utf8_lossy(&bytes);
            let changelog = Changelog::parse(&text).map_err(|e| Error::Deb {
                deb: format!("{name}: {path}"),
                source: Box::new(e),
            })?;
            return Ok(Found::Changelog(CachedChangelog { path, changelog }));
        }
    }
    Ok(Found::Nothing)
}
