//! apt configuration -> default mirrors: the URI serving the Debian archive and the one
//! serving Debian security updates, as the host's apt is configured.
//!
//! Reads `sources.list` (one-line format) and `sources.list.d/*.list` and `*.sources`
//! (deb822 format) under the apt configuration directory, in apt's order. An entry
//! counts when its type is `deb`, it is enabled, its URI is `http(s)` and one of its
//! suites is a Debian suite (a codename or an alias such as `stable`, optionally with
//! `-updates`, `-backports`, `-proposed-updates` or `-security`).

use crate::error::{Error, Result};
use buckle_debian::{deb822, MirrorUrl};
use std::path::{Path, PathBuf};
use tracing::debug;

/// Debian codenames and suite aliases (from Debian's release history).
const DEBIAN_SUITES: [&str; 19] = [
    "jessie",
    "stretch",
    "buster",
    "bullseye",
    "bookworm",
    "trixie",
    "forky",
    "duke",
    "sid",
    "stable",
    "oldstable",
    "oldoldstable",
    "testing",
    "unstable",
    "experimental",
    "rc-buggy",
    "squeeze",
    "wheezy",
    "lenny",
];

/// Suffixes a Debian suite may carry.
const SUFFIXES: [&str; 5] = [
    "-updates",
    "-backports-sloppy",
    "-backports",
    "-proposed-updates",
    "-security",
];

/// The mirrors the host's apt uses for Debian.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AptMirrors {
    dir: PathBuf,
    /// The first URI serving a Debian suite other than `-security` ones.
    pub archive: Option<MirrorUrl>,
    /// The first URI serving a `<suite>-security` suite.
    pub security: Option<MirrorUrl>,
}

impl AptMirrors {
    /// The Debian archive mirror, or an error saying none is configured.
    pub fn archive(&self) -> Result<&MirrorUrl> {
        self.archive.as_ref().ok_or_else(|| Error::NoMirror {
            what: "archive",
            dir: self.dir.clone(),
        })
    }

    /// The Debian security mirror, or an error saying none is configured.
    pub fn security(&self) -> Result<&MirrorUrl> {
        self.security.as_ref().ok_or_else(|| Error::NoMirror {
            what: "security",
            dir: self.dir.clone(),
        })
    }
}

/// One `deb` source: a URI and its suites.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Source {
    uri: String,
    suites: Vec<String>,
}

/// Reads the apt configuration under `etc_apt` (normally `/etc/apt`).
pub fn from_apt_config(etc_apt: &Path) -> Result<AptMirrors> {
    let mut sources = Vec::new();
    let list = etc_apt.join("sources.list");
    if let Some(text) = read_optional(&list)? {
        sources.extend(one_line_sources(&text));
    }
    for path in parts(&etc_apt.join("sources.list.d"))? {
        let Some(text) = read_optional(&path)? else {
            continue;
        };
        match path.extension().and_then(|e| e.to_str()) {
            Some("list") => sources.extend(one_line_sources(&text)),
            Some("sources") => sources.extend(deb822_sources(&text, &path)),
            _ => {}
        }
    }
    let mut mirrors = AptMirrors {
        dir: etc_apt.to_owned(),
        archive: None,
        security: None,
    };
    for source in sources {
        let Ok(url) = source.uri.trim_end_matches('/').parse::<MirrorUrl>() else {
            continue;
        };
        let kinds: Vec<SuiteKind> = source.suites.iter().filter_map(|s| suite_kind(s)).collect();
        if mirrors.archive.is_none() && kinds.contains(&SuiteKind::Archive) {
            mirrors.archive = Some(url.clone());
        }
        if mirrors.security.is_none() && kinds.contains(&SuiteKind::Security) {
            mirrors.security = Some(url);
        }
    }
    debug!(archive = ?mirrors.archive, security = ?mirrors.security, "mirrors from apt configuration");
    Ok(mirrors)
}

/// The `*.list` and `*.sources` files of `sources.list.d`, sorted by name as apt does.
fn parts(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(io_error(dir, source)),
    };
    let mut paths = Vec::new();
    for entry in entries {
        let path = entry.map_err(|source| io_error(dir, source))?.path();
        if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("list" | "sources")
        ) {
            paths.push(path);
        }
    }
    paths.sort();
    Ok(paths)
}

fn read_optional(path: &Path) -> Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(io_error(path, source)),
    }
}

fn io_error(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        action: "read",
        path: path.to_owned(),
        source,
    }
}

/// `deb [ option=value ... ] uri suite [component ...]` lines.
fn one_line_sources(text: &str) -> Vec<Source> {
    let mut sources = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or_default().trim();
        let Some(rest) = line.strip_prefix("deb ").or_else(|| line.strip_prefix("deb\t")) else {
            continue;
        };
        let rest = rest.trim_start();
        let rest = match rest.strip_prefix('[') {
            Some(options) => options.split_once(']').map_or("", |(_, after)| after),
            None => rest,
        };
        let mut words = rest.split_whitespace();
        if let (Some(uri), Some(suite)) = (words.next(), words.next()) {
            sources.push(Source {
                uri: uri.to_owned(),
                suites: vec![suite.to_owned()],
            });
        }
    }
    sources
}

/// deb822 `.sources` paragraphs (`Types`, `URIs`, `Suites`, `Enabled`).
fn deb822_sources(text: &str, path: &Path) -> Vec<Source> {
    let mut sources = Vec::new();
    for paragraph in deb822::paragraphs(text) {
        let paragraph = match paragraph {
            Ok(p) => p,
            Err(e) => {
                debug!(path = %path.display(), error = %e, "skipping malformed apt source");
                break;
            }
        };
        let words = |field: &str| -> Vec<String> {
            paragraph
                .get(field)
                .unwrap_or_default()
                .split_whitespace()
                .map(str::to_owned)
                .collect()
        };
        let enabled = !paragraph
            .get("Enabled")
            .is_some_and(|v| v.eq_ignore_ascii_case("no"));
        if !enabled || !words("Types").iter().any(|t| t == "deb") {
            continue;
        }
        for uri in words("URIs") {
            sources.push(Source {
                uri,
                suites: words("Suites"),
            });
        }
    }
    sources
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SuiteKind {
    Archive,
    Security,
}

/// Whether `suite` is a Debian suite, and which archive serves it.
fn suite_kind(suite: &str) -> Option<SuiteKind> {
    // The old security layout: `bullseye/updates`.
    if let Some(base) = suite.strip_suffix("/updates") {
        return DEBIAN_SUITES.contains(&base).then_some(SuiteKind::Security);
    }
    let (base, suffix) = SUFFIXES
        .iter()
        .find_map(|s| suite.strip_suffix(s).map(|base| (base, *s)))
        .unwrap_or((suite, ""));
    if !DEBIAN_SUITES.contains(&base) {
        return None;
    }
    Some(if suffix == "-security" {
        SuiteKind::Security
    } else {
        SuiteKind::Archive
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn etc(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("sources.list.d")).unwrap();
        for (name, text) in files {
            fs::write(dir.path().join(name), text).unwrap();
        }
        dir
    }

    #[test]
    fn deb822_sources_give_archive_and_security_mirrors() {
        let dir = etc(&[(
            "sources.list.d/debian.sources",
            "Types: deb deb-src\n# a comment inside\nURIs: http://mirror.test/debian/\nSuites: trixie trixie-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\nTypes: deb\nURIs: http://security.test/debian-security\nSuites: trixie-security\nComponents: main\n",
        )]);
        let m = from_apt_config(dir.path()).unwrap();
        assert_eq!(m.archive().unwrap().as_str(), "http://mirror.test/debian");
        assert_eq!(
            m.security().unwrap().as_str(),
            "http://security.test/debian-security"
        );
    }

    #[test]
    fn one_line_sources_with_options_are_read() {
        let dir = etc(&[(
            "sources.list",
            "# deb http://commented.test/debian bookworm main\ndeb-src http://src.test/debian bookworm main\ndeb [arch=amd64 signed-by=/usr/share/keyrings/k.gpg] https://mirror.test/debian bookworm main contrib\ndeb http://security.test/debian-security bookworm-security main\n",
        )]);
        let m = from_apt_config(dir.path()).unwrap();
        assert_eq!(m.archive().unwrap().as_str(), "https://mirror.test/debian");
        assert_eq!(
            m.security().unwrap().as_str(),
            "http://security.test/debian-security"
        );
    }

    #[test]
    fn third_party_disabled_and_non_http_sources_are_skipped() {
        let dir = etc(&[
            (
                "sources.list",
                "deb cdrom:[Debian]/ bookworm main\ndeb file:/srv/debian bookworm main\n",
            ),
            (
                "sources.list.d/a-nodesource.sources",
                "Types: deb\nURIs: https://nodes.test/node_22.x\nSuites: nodistro\nComponents: main\n",
            ),
            (
                "sources.list.d/b-disabled.sources",
                "Enabled: no\nTypes: deb\nURIs: http://disabled.test/debian\nSuites: trixie\n",
            ),
            (
                "sources.list.d/c-debian.list",
                "deb http://mirror.test/debian sid main\n",
            ),
            (
                "sources.list.d/c-ignored.save",
                "deb http://ignored.test/debian sid main\n",
            ),
        ]);
        let m = from_apt_config(dir.path()).unwrap();
        assert_eq!(m.archive().unwrap().as_str(), "http://mirror.test/debian");
        assert!(m.security.is_none());
    }

    #[test]
    fn no_debian_source_is_a_clear_error() {
        let dir = etc(&[]);
        let m = from_apt_config(dir.path()).unwrap();
        let err = m.archive().unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "no Debian archive mirror found in the apt configuration under `{}`",
                dir.path().display()
            )
        );
        assert!(err.hint().unwrap().contains("BUCKLE_MIRROR"));
    }

    #[test]
    fn suite_kinds_follow_debian_names() {
        assert_eq!(suite_kind("trixie"), Some(SuiteKind::Archive));
        assert_eq!(suite_kind("stable-updates"), Some(SuiteKind::Archive));
        assert_eq!(suite_kind("bookworm-backports"), Some(SuiteKind::Archive));
        assert_eq!(suite_kind("trixie-security"), Some(SuiteKind::Security));
        assert_eq!(suite_kind("bullseye/updates"), Some(SuiteKind::Security));
        assert_eq!(suite_kind("nodistro"), None);
        assert_eq!(suite_kind("jammy"), None);
    }
}
