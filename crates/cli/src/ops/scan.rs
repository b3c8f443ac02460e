//! Scanning: the installed Debian packages of an image, SBOM or status file matched
//! against the feed store, with VEX applied, and signed scan records attached.

pub mod attest;

use crate::clock::now_seconds;
use crate::exit::UserError;
use crate::image_view;
use crate::printer::Printer;
use crate::session::Session;
use anyhow::Context;
use buckle_debian::PackageName;
use buckle_feeds::{FeedInfo, Loaded};
use buckle_oci::Image;
use buckle_sbom::dpkg::{self, Detail};
use buckle_sbom::OsRelease;
use buckle_sign::key::PrivateKey;
use buckle_vuln::vex::parse_openvex;
use buckle_vuln::{
    apply, scan, scan_packages, AppInstalled, Decided, Installed, PackageFinding, Presence, Release,
    VexStatement,
};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// What was scanned: the packages, their release, and what it shows of their files.
struct Target {
    installed: Vec<Installed>,
    /// An app image's own packages (PyPI, npm).
    app_packages: Vec<AppInstalled>,
    os_release: OsRelease,
    files: Files,
}

/// What a target shows of its packages' files, the evidence the automatic VEX rule needs.
enum Files {
    /// An image.
    Image {
        /// Packages with at least one file (beyond their docs) in the image.
        present: BTreeSet<PackageName>,
        /// Packages whose file list is in the image, with its path.
        lists: BTreeMap<PackageName, String>,
    },
    /// A status file or an SBOM: no files at all; why.
    NotListed(&'static str),
}

impl Files {
    /// What is known of `package`'s files: present, proven absent by its file list, or
    /// unknown (no list: unknown is not absent).
    fn presence(&self, package: &PackageName) -> Presence {
        match self {
            Files::Image { present, .. } if present.contains(package) => Presence::Present,
            Files::Image { lists, .. } => match lists.get(package) {
                Some(list) => Presence::Absent { list: list.clone() },
                None => Presence::Unknown {
                    reason: format!(
                        "the image has no dpkg file list for `{package}` (var/lib/dpkg/info/{package}.list or \
                         .md5sums, var/lib/dpkg/status.d/{package}.md5sums): whether its files are there is unknown"
                    ),
                },
            },
            Files::NotListed(reason) => Presence::Unknown {
                reason: (*reason).to_owned(),
            },
        }
    }
}

/// One target's findings with VEX applied.
pub struct Scanned<'a> {
    pub target: &'a Path,
    pub release: Release,
    pub decided: Vec<Decided>,
    /// Findings in an app image's own packages.
    pub packages: Vec<PackageFinding>,
}

impl Scanned<'_> {
    /// The findings to show: all of them, or only those VEX does not suppress.
    pub fn shown(&self, show_suppressed: bool) -> Vec<Decided> {
        self.decided
            .iter()
            .filter(|d| show_suppressed || !is_suppressed(d))
            .cloned()
            .collect()
    }

    /// What `buckle scan --format json` prints for this target.
    pub fn to_json(&self, feeds: &[serde_json::Value], shown: &[Decided]) -> serde_json::Value {
        serde_json::json!({
            "target": self.target.display().to_string(),
            "release": self.release.as_str(),
            "feeds": feeds,
            "findings": shown,
            "packageFindings": self.packages,
        })
    }
}

/// The feed store's data, refused when empty; a status line per feed with its age.
pub fn load_feeds(session: &Session, printer: &Printer) -> anyhow::Result<Loaded> {
    let loaded = session
        .feed_store()
        .load()
        .context("cannot read the vulnerability feeds")?;
    if loaded.feeds.is_empty() {
        anyhow::bail!(UserError::with_hint(
            "no vulnerability data: the feed store is empty",
            "run `buckle feeds update` (the Debian archive) and `buckle feeds import FILES` (tracker, OSV, KEV, EPSS)"
        ));
    }
    let now = now_seconds();
    for info in &loaded.feeds {
        let age = now.saturating_sub(info.stored_at);
        printer.status("Feed", format!("{}, updated {} ago", info, human_age(age)));
    }
    Ok(loaded)
}

/// `buckle update --rebuild --sign`: attaches a signed scan record to each image of the
/// layout just built at `path` (release `codename`), when the feed store has the
/// release's archive data.
pub fn attest_rebuilt(
    session: &Session,
    key: &PrivateKey,
    path: &Path,
    codename: &str,
    printer: &Printer,
) -> anyhow::Result<()> {
    let loaded = session
        .feed_store()
        .load()
        .context("cannot read the vulnerability feeds")?;
    let release: Release = codename.parse()?;
    // A signed scan without the release's archive data would vouch for an image whose
    // fixes were never looked at.
    if let Err(missing) = check_archive_data(&loaded, &release, now_seconds(), printer) {
        printer.status("Skipped", format!("the scan attestation: {missing:#}"));
        return Ok(());
    }
    let attesting = attest::Attesting {
        key,
        database: &loaded.database,
        statements: &[],
        release: Some(codename),
        feeds: &loaded.feeds,
        started: buckle_oci::rfc3339_utc(now_seconds()),
    };
    attest::attest_layout(path, &attesting, printer)
}

/// What the scan output says about each feed it used.
pub fn feeds_json(feeds: &[FeedInfo]) -> Vec<serde_json::Value> {
    feeds
        .iter()
        .map(|f| {
            serde_json::json!({
                "kind": f.kind.name(), "release": f.release, "source": f.source, "storedAt": buckle_oci::rfc3339_utc(f.stored_at),
                "dataDate": f.data_date, "records": f.records,
            })
        })
        .collect()
}

/// Matches one target's packages and applies VEX; reports what it found.
pub fn scan_target<'a>(
    path: &'a Path,
    release_given: Option<&str>,
    loaded: &Loaded,
    now: u64,
    statements: &[VexStatement],
    remote: &crate::registry::Remote,
) -> anyhow::Result<Scanned<'a>> {
    let printer = remote.printer;
    let target = read_target(path, remote)?;
    let release = release(release_given, path, &target.os_release)?;
    check_archive_data(loaded, &release, now, printer)?;
    let decided = decide(&target, &release, &loaded.database, statements);
    let packages = scan_packages(loaded.database.package_advisories(), &target.app_packages);
    if !target.app_packages.is_empty() {
        printer.status(
            "Scanned",
            format!(
                "{}: {} app packages, {} findings",
                path.display(),
                target.app_packages.len(),
                packages.len()
            ),
        );
    }
    let suppressed = decided.iter().filter(|d| is_suppressed(d)).count();
    let unknown: BTreeSet<&str> = decided
        .iter()
        .filter(|d| d.no_automatic_vex.is_some())
        .map(|d| d.finding.package.as_str())
        .collect();
    printer.status(
        "Scanned",
        format!(
            "{}: {} packages ({release}), {} findings, {} KEV, {} suppressed by VEX",
            path.display(),
            target.installed.len(),
            decided.len() - suppressed,
            decided
                .iter()
                .filter(|d| !is_suppressed(d) && d.finding.kev.is_some())
                .count(),
            suppressed,
        ),
    );
    if !unknown.is_empty() {
        let list: Vec<&str> = unknown.into_iter().collect();
        printer.status(
            "Kept",
            format!(
                "the findings of {} ({}): their files are unknown, so no automatic not_affected",
                list.join(", "),
                match &target.files {
                    Files::Image { .. } => "no dpkg file list in the image",
                    Files::NotListed(reason) => *reason,
                }
            ),
        );
    }
    Ok(Scanned {
        target: path,
        release,
        decided,
        packages,
    })
}

/// How old the archive data may be before `scan` warns: a day.
const STALE_AFTER: u64 = 86_400;

/// Refuses a release the archive feed has no data for (its fixes would all be missed),
/// and warns when its data is older than a day.
fn check_archive_data(loaded: &Loaded, release: &Release, now: u64, printer: &Printer) -> anyhow::Result<()> {
    let update = format!("buckle feeds update --release {release}");
    let Some(info) = loaded.archive(release) else {
        let stored: Vec<String> = loaded
            .feeds
            .iter()
            .filter_map(|f| f.release.as_ref().map(ToString::to_string))
            .collect();
        let held = match stored.as_slice() {
            [] => String::new(),
            some => format!(" (it has {})", some.join(", ")),
        };
        anyhow::bail!(UserError::with_hint(
            format!(
                "no Debian archive data for {release} in the feed store{held}: the fixes of {release}'s updates would all be missed"
            ),
            format!("run `{update}`"),
        ));
    };
    let age = now.saturating_sub(info.stored_at);
    if age > STALE_AFTER {
        printer.error_line(
            "warning:",
            format!(
                "the Debian archive data for {release} is {} old: fixes published since are missing; run `{update}`",
                human_age(age)
            ),
        );
    }
    Ok(())
}

/// The findings for `target`'s packages in `release`, with VEX applied (automatic
/// `not_affected` only for packages whose file list shows none of their files in the
/// image).
fn decide(
    target: &Target,
    release: &Release,
    database: &buckle_vuln::Database,
    statements: &[VexStatement],
) -> Vec<Decided> {
    let findings = scan(database, release, &target.installed);
    apply(findings, statements, |package| target.files.presence(package))
}

pub fn is_suppressed(decided: &Decided) -> bool {
    decided.vex.as_ref().is_some_and(|v| v.suppresses())
}

/// An image (layout or docker archive), an SBOM (SPDX or CycloneDX JSON) or a dpkg
/// status file.
fn read_target(path: &Path, remote: &crate::registry::Remote) -> anyhow::Result<Target> {
    if path.is_file() {
        let bytes = std::fs::read(path).with_context(|| format!("cannot read `{}`", path.display()))?;
        if bytes.starts_with(b"Package:") || bytes.windows(9).take(4096).any(|w| w == b"\nPackage:") {
            return status_file(path, bytes);
        }
        if bytes.trim_ascii_start().starts_with(b"{") {
            return sbom_file(path, &bytes);
        }
    }
    image_target(&image_view::open(path, remote)?)
}

/// The packages of an image and which of them have files in it (beyond their docs).
fn image_target(image: &Image) -> anyhow::Result<Target> {
    let (_, found) = image_view::packages(image, Detail::Owners)?;
    let mut present = BTreeSet::new();
    for file in found.owners.iter().flatten() {
        if !file.path.starts_with("/usr/share/doc/") {
            present.extend(file.packages.iter().cloned());
        }
    }
    let app_packages = found
        .app
        .iter()
        .flat_map(|app| &app.packages)
        .map(|p| AppInstalled {
            ecosystem: p.ecosystem.osv_name().to_owned(),
            name: p.name.clone(),
            version: p.version.clone(),
            purl: p.purl.clone(),
        })
        .collect();
    Ok(Target {
        installed: found
            .packages
            .iter()
            .map(|p| installed(p, &found.os_release))
            .collect(),
        app_packages,
        os_release: found.os_release,
        files: Files::Image {
            present,
            lists: found.file_lists.unwrap_or_default(),
        },
    })
}

fn installed(p: &buckle_sbom::PackageFacts, os: &OsRelease) -> Installed {
    Installed {
        name: p.name.clone(),
        version: p.version.clone(),
        arch: p.arch.clone(),
        source: p.source.clone(),
        source_version: p.source_version.clone(),
        purl: Some(p.purl(os)),
    }
}

fn status_file(path: &Path, bytes: Vec<u8>) -> anyhow::Result<Target> {
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    files.insert("/var/lib/dpkg/status".to_owned(), bytes);
    let found = dpkg::collect(&files, Detail::Packages)
        .with_context(|| format!("cannot read the dpkg status file `{}`", path.display()))?;
    Ok(Target {
        installed: found
            .packages
            .iter()
            .map(|p| installed(p, &found.os_release))
            .collect(),
        app_packages: Vec::new(),
        os_release: found.os_release,
        files: Files::NotListed("a dpkg status file does not say which files are in the image"),
    })
}

/// Debian packages from an SBOM (their `pkg:deb/…` package URLs).
fn sbom_file(path: &Path, bytes: &[u8]) -> anyhow::Result<Target> {
    let packages = buckle_sbom::read::deb_packages(bytes)
        .with_context(|| format!("cannot read `{}` as an SBOM", path.display()))?;
    let mut os_release = OsRelease::default();
    let mut installed = Vec::new();
    for package in packages {
        if let Some(distro) = &package.distro {
            os_release.version_id = distro.rsplit('-').next().map(str::to_owned);
        }
        installed.push(Installed {
            name: package.name,
            version: package.version,
            arch: package.arch,
            source: package.source,
            source_version: package.source_version,
            purl: Some(package.purl),
        });
    }
    Ok(Target {
        installed,
        app_packages: Vec::new(),
        os_release,
        files: Files::NotListed("an SBOM's package list does not say which files are in the image"),
    })
}

/// The release to match in: `--release`, else the image's os-release.
fn release(given: Option<&str>, target: &Path, os: &OsRelease) -> anyhow::Result<Release> {
    if let Some(release) = given {
        return Ok(release.parse()?);
    }
    let found = os
        .version_codename
        .as_deref()
        .and_then(|c| c.parse().ok())
        .or_else(|| os.version_id.as_deref().and_then(Release::of_version_id));
    found.ok_or_else(|| {
        UserError::with_hint(
            format!("cannot tell which Debian release `{}` is", target.display()),
            "pass --release bookworm (or trixie, …): fixes are matched per release",
        )
        .into()
    })
}

pub fn read_vex(paths: &[std::path::PathBuf]) -> anyhow::Result<Vec<VexStatement>> {
    let mut statements = Vec::new();
    for path in paths {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read the VEX file `{}`", path.display()))?;
        statements.extend(parse_openvex(&path.display().to_string(), &bytes)?);
    }
    Ok(statements)
}

/// `3 days`, `5 hours`, `12 minutes`.
pub fn human_age(seconds: u64) -> String {
    match seconds {
        s if s >= 2 * 86_400 => format!("{} days", s / 86_400),
        s if s >= 2 * 3_600 => format!("{} hours", s / 3_600),
        s if s >= 120 => format!("{} minutes", s / 60),
        s => format!("{s} seconds"),
    }
}
