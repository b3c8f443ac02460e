//! Package databases found in an image, as scanners (syft, trivy, grype) find them:
//!
//! - dpkg: `/var/lib/dpkg/status` (stanzas whose `Status` ends in `installed`) with file
//!   lists in `/var/lib/dpkg/info/<package>[:<arch>].md5sums` and `.list`; or the
//!   distroless layout, `/var/lib/dpkg/status.d/<package>` with
//!   `status.d/<package>.md5sums`;
//! - apk: `/lib/apk/db/installed` (`P:` package, `F:` directory, `R:` file lines);
//! - rpm: the database files only (`Packages`, `Packages.db`, `rpmdb.sqlite` under
//!   `/var/lib/rpm` or `/usr/lib/sysimage/rpm`); rpm's file lists are not read.
//!
//! File lists are keyed by canonical path (directory links followed), so `/bin/ls` in
//! a merged-`/usr` image is `usr/bin/ls`.

use crate::view::ImageView;
use buckle_debian::deb822;
use buckle_oci::RelPath;
use std::collections::{BTreeMap, BTreeSet};

const DPKG_STATUS: &str = "var/lib/dpkg/status";
const DPKG_STATUS_D: &str = "var/lib/dpkg/status.d/";
const DPKG_INFO: &str = "var/lib/dpkg/info/";
const APK_INSTALLED: &str = "lib/apk/db/installed";
const RPM_DATABASES: [&str; 6] = [
    "var/lib/rpm/Packages",
    "var/lib/rpm/Packages.db",
    "var/lib/rpm/rpmdb.sqlite",
    "usr/lib/sysimage/rpm/Packages",
    "usr/lib/sysimage/rpm/Packages.db",
    "usr/lib/sysimage/rpm/rpmdb.sqlite",
];

/// Which package manager's database an image has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Database {
    /// dpkg's `status` file.
    Dpkg,
    /// The distroless `status.d` directory.
    DpkgStatusD,
    /// apk's `installed`.
    Apk,
    /// An rpm database.
    Rpm,
}

/// What the package databases say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Packages {
    /// The databases found, with the path of each.
    pub databases: BTreeMap<Database, String>,
    /// Installed package names (dpkg and apk; rpm is not read).
    pub installed: BTreeSet<String>,
    /// Canonical path -> owning package, from the file lists.
    pub owners: BTreeMap<RelPath, String>,
    /// Whether the file lists could be read (dpkg or apk present).
    pub has_file_lists: bool,
}

impl Packages {
    /// Reads the databases in `view`.
    pub fn of(view: &ImageView) -> Self {
        let mut found = Packages::default();
        found.read_dpkg_status(view);
        found.read_dpkg_status_d(view);
        found.read_dpkg_info(view);
        found.read_apk(view);
        found.read_python_records(view);
        for path in RPM_DATABASES {
            if view.files.contains_key(&rel(path)) {
                found.databases.insert(Database::Rpm, format!("/{path}"));
            }
        }
        found
    }

    /// The package owning the file at `path` (a canonical path), if any.
    pub fn owner(&self, path: &RelPath) -> Option<&str> {
        self.owners.get(path).map(String::as_str)
    }

    fn read_dpkg_status(&mut self, view: &ImageView) {
        let Some(text) = view.content(DPKG_STATUS) else {
            return;
        };
        let text = String::from_utf8_lossy(text);
        let installed = deb822::paragraphs(&text)
            .filter_map(Result::ok)
            .filter(|p| p.get("Status").is_some_and(|s| s.trim().ends_with(" installed")))
            .filter_map(|p| p.get("Package").map(str::to_owned));
        self.installed.extend(installed);
        self.databases.insert(Database::Dpkg, format!("/{DPKG_STATUS}"));
    }

    fn read_dpkg_status_d(&mut self, view: &ImageView) {
        for (path, file) in files_under(view, DPKG_STATUS_D) {
            let name = path.file_name().unwrap_or_default();
            let Some(content) = &file.content else { continue };
            let text = String::from_utf8_lossy(content);
            if let Some(package) = name.strip_suffix(".md5sums") {
                self.add_md5sums(view, package, &text);
                continue;
            }
            let names = deb822::paragraphs(&text)
                .filter_map(Result::ok)
                .filter_map(|p| p.get("Package").map(str::to_owned));
            self.installed.extend(names);
            self.databases
                .insert(Database::DpkgStatusD, format!("/{DPKG_STATUS_D}"));
        }
    }

    fn read_dpkg_info(&mut self, view: &ImageView) {
        for (path, file) in files_under(view, DPKG_INFO) {
            let name = path.file_name().unwrap_or_default();
            let Some(content) = &file.content else { continue };
            let text = String::from_utf8_lossy(content);
            if let Some(stem) = name.strip_suffix(".md5sums") {
                self.add_md5sums(view, package_of(stem), &text);
            } else if let Some(stem) = name.strip_suffix(".list") {
                let paths = text.lines().map(str::trim).filter(|l| !l.is_empty());
                self.add_owned(view, package_of(stem), paths);
            }
        }
    }

    fn add_md5sums(&mut self, view: &ImageView, package: &str, text: &str) {
        let paths = text
            .lines()
            .filter_map(|line| line.split_once(char::is_whitespace))
            .map(|(_, path)| path.trim());
        self.add_owned(view, package, paths);
    }

    fn add_owned<'a>(&mut self, view: &ImageView, package: &str, paths: impl Iterator<Item = &'a str>) {
        self.has_file_lists = true;
        for raw in paths {
            self.own(view, package, raw);
        }
    }

    fn own(&mut self, view: &ImageView, package: &str, raw: &str) {
        let Ok(path) = RelPath::new(raw.trim_start_matches('/')) else {
            return;
        };
        let canonical = view.canonical(&path, false).unwrap_or(path);
        self.owners.insert(canonical, package.to_owned());
    }

    /// The files each installed Python distribution lists in its `RECORD` (the wheel
    /// format's list of what it installed, which scanners read to find Python packages):
    /// a compiled extension a wheel installed belongs to that wheel, as
    /// `python:<distribution>`.
    fn read_python_records(&mut self, view: &ImageView) {
        let records: Vec<(&RelPath, &crate::view::FileView)> = view
            .files
            .iter()
            .filter(|(path, file)| path.as_str().ends_with(".dist-info/RECORD") && file.is_file())
            .collect();
        for (path, file) in records {
            let Some(content) = &file.content else { continue };
            let Some((site, dist_info)) = path
                .as_str()
                .strip_suffix("/RECORD")
                .and_then(|dir| dir.rsplit_once('/'))
            else {
                continue;
            };
            let distribution = dist_info.split('-').next().unwrap_or(dist_info);
            let owner = format!("python:{distribution}");
            for line in String::from_utf8_lossy(content).lines() {
                if let Some(installed) = record_path(line).and_then(|p| joined(site, &p)) {
                    self.own(view, &owner, &installed);
                }
            }
        }
    }

    fn read_apk(&mut self, view: &ImageView) {
        let Some(content) = view.content(APK_INSTALLED) else {
            return;
        };
        self.databases.insert(Database::Apk, format!("/{APK_INSTALLED}"));
        let text = String::from_utf8_lossy(content);
        let mut package = String::new();
        let mut dir = String::new();
        let mut files = Vec::new();
        for line in text.lines() {
            match line.split_once(':') {
                Some(("P", name)) => {
                    package = name.to_owned();
                    self.installed.insert(package.clone());
                }
                Some(("F", name)) => dir = name.to_owned(),
                Some(("R", name)) => files.push((package.clone(), format!("{dir}/{name}"))),
                _ => {}
            }
        }
        for (package, path) in files {
            self.add_owned(view, &package, std::iter::once(path.as_str()));
        }
    }
}

/// The path field of a `RECORD` line (CSV: path, hash, size; the path quoted when it
/// holds a comma or a quote).
fn record_path(line: &str) -> Option<String> {
    match line.strip_prefix('"') {
        Some(quoted) => {
            let mut path = String::new();
            let mut chars = quoted.chars();
            while let Some(c) = chars.next() {
                match (c, chars.clone().next()) {
                    ('"', Some('"')) => {
                        path.push('"');
                        chars.next();
                    }
                    ('"', _) => return Some(path),
                    _ => path.push(c),
                }
            }
            None
        }
        None => line
            .split(',')
            .next()
            .filter(|p| !p.is_empty())
            .map(str::to_owned),
    }
}

/// `relative` (which may climb with `..`, as a wheel's scripts do) below `base`, or
/// None when it leaves the root.
fn joined(base: &str, relative: &str) -> Option<String> {
    let mut parts: Vec<&str> = base.split('/').filter(|p| !p.is_empty()).collect();
    for part in relative.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            name => parts.push(name),
        }
    }
    Some(parts.join("/"))
}

/// `name` from an info file stem `name` or `name:arch`.
fn package_of(stem: &str) -> &str {
    stem.split_once(':').map_or(stem, |(name, _)| name)
}

fn files_under<'a>(
    view: &'a ImageView,
    dir: &str,
) -> impl Iterator<Item = (&'a RelPath, &'a crate::view::FileView)> + 'a {
    let base = rel(dir.trim_end_matches('/'));
    view.files
        .range(base.clone()..)
        .take_while(move |(path, _)| path.starts_with(&base))
        .filter(|(_, file)| file.is_file())
}

fn rel(path: &str) -> RelPath {
    RelPath::new(path).unwrap_or_default()
}
