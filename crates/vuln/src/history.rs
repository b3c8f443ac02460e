//! A source package's fix history as the release's newest archive version tells it:
//! the changelog of that version, read from its `.deb`.

use crate::changelog::{Changelog, Entry, MentionKind, NotAFix};
use crate::id::VulnId;
use crate::release::Release;
use buckle_debian::{BinaryPackage, PackageName, Version};
use buckle_digest::Sha256;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The newest version of one source package in one release, and its changelog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceHistory {
    /// The release.
    pub release: Release,
    /// The source package.
    pub source: PackageName,
    /// Its newest source version among the release's suites (by dpkg order, never by suite).
    pub version: Version,
    /// The suite that has it (`bookworm-security`).
    pub suite: String,
    /// The binary package whose `.deb` the changelog was read from.
    pub binary: PackageName,
    /// That binary's version (a binNMU's `+bN` included).
    pub binary_version: Version,
    /// SHA256 of that `.deb`.
    pub deb_sha256: Option<Sha256>,
    /// The changelog's path in the `.deb`.
    pub changelog_path: String,
    /// The changelog.
    pub changelog: Changelog,
}

/// A fix the newest version has and an installed version lacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangelogFix {
    /// The id fixed.
    pub id: VulnId,
    /// The oldest changelog entry (above the installed version) that fixes it.
    pub fixed: Version,
    /// That entry's distribution field.
    pub distribution: String,
    /// Every line of that entry that names the id.
    pub lines: Vec<String>,
}

/// The entries of a history split at an installed source version.
#[derive(Debug, Clone)]
pub struct Split<'a> {
    /// Entries the installed version lacks: the uploads above it, in file order.
    pub newer: Vec<&'a Entry>,
    /// Entries the installed version has: its own entry and everything below it, and
    /// the entry of each version a stable update was made from (see
    /// [`SourceHistory::split`]).
    pub older: Vec<&'a Entry>,
    /// Whether the installed version is older than every entry of a trimmed changelog,
    /// so fixes from removed entries cannot be seen.
    pub beyond_trimmed: bool,
}

impl SourceHistory {
    /// Splits the changelog at `installed` (a source version). The changelog is read
    /// top-down, newest first: its order is the release's own history, so a backport
    /// (`~deb12u1`) sorts below the unstable upload it came from without being older
    /// than the entries above it. The split is at the first entry at or below
    /// `installed` by dpkg order.
    ///
    /// A Debian stable update is named after the version it was made from, and the
    /// changelog it ships holds that version's entry: `2.10-3~deb12u1` and
    /// `2.10-3+deb12u1` were made from `2.10-3`, `6.16-1+deb13u1~deb12u1` from
    /// `6.16-1+deb13u1` and so from `6.16-1`. Where this changelog has such an entry, the
    /// installed version has it, although `2.10-3~deb12u1` sorts below `2.10-3` and this
    /// changelog may not hold the update's own entry. Nothing else is read into the
    /// version: every other entry above the split stays newer.
    pub fn split(&self, installed: &Version) -> Split<'_> {
        let entries = &self.changelog.entries;
        let at = entries
            .iter()
            .position(|e| e.version <= *installed)
            .unwrap_or(entries.len());
        let made_from = made_from(installed);
        let mut newer = Vec::new();
        let mut older = Vec::new();
        for (index, entry) in entries.iter().enumerate() {
            if index < at && !made_from.contains(&entry.version) {
                newer.push(entry);
            } else {
                older.push(entry);
            }
        }
        Split {
            newer,
            older,
            beyond_trimmed: at == entries.len() && self.changelog.trimmed,
        }
    }

    /// The fixes that the newest version has and `installed` lacks: ids that an entry
    /// the installed version lacks fixes, that no entry it has names. Mentions that
    /// are not fixes (dropped patches, tests, notes) do not count; an id only cited in
    /// another id's fix is no evidence for either side.
    pub fn fixes_after(&self, installed: &Version) -> Vec<ChangelogFix> {
        if self.version <= *installed {
            return Vec::new();
        }
        let split = self.split(installed);
        let known: BTreeSet<&VulnId> = split
            .older
            .iter()
            .flat_map(|e| &e.mentions)
            .filter(|m| m.kind != MentionKind::NotAFix(NotAFix::Cited))
            .map(|m| &m.id)
            .collect();
        let mut fixes: BTreeMap<VulnId, ChangelogFix> = BTreeMap::new();
        // Oldest first, so the first fixing entry found is the one that fixed it.
        for entry in split.newer.iter().rev() {
            for mention in &entry.mentions {
                if mention.kind != MentionKind::Fix
                    || known.contains(&mention.id)
                    || fixes.contains_key(&mention.id)
                {
                    continue;
                }
                let lines = entry
                    .mentions
                    .iter()
                    .filter(|m| m.id == mention.id)
                    .map(|m| m.line.clone())
                    .collect();
                fixes.insert(
                    mention.id.clone(),
                    ChangelogFix {
                        id: mention.id.clone(),
                        fixed: entry.version.clone(),
                        distribution: entry.distribution.clone(),
                        lines,
                    },
                );
            }
        }
        fixes.into_values().collect()
    }

    /// Whether the release's own changelog says `installed` already has a fix for `id`:
    /// an entry the installed version has (see [`SourceHistory::split`]) fixes it.
    pub fn fixed_at_or_before(&self, installed: &Version, id: &VulnId) -> bool {
        self.split(installed)
            .older
            .iter()
            .flat_map(|e| &e.mentions)
            .any(|m| m.id == *id && m.kind == MentionKind::Fix)
    }
}

/// The versions a Debian stable update was made from, nearest first: `2.10-3~deb12u1`
/// and `2.10-3+deb12u1` -> `2.10-3`; `6.16-1+deb13u1~deb12u1` -> `6.16-1+deb13u1`,
/// `6.16-1`. Only a trailing `~debNuM` / `+debNuM` is read; any other version has none.
fn made_from(version: &Version) -> Vec<Version> {
    let mut found = Vec::new();
    let mut text = version.as_str();
    while let Some(at) = text.rfind(['~', '+']) {
        if !is_stable_update(&text[at + 1..]) {
            break;
        }
        text = &text[..at];
        match text.parse() {
            Ok(base) => found.push(base),
            Err(_) => break,
        }
    }
    found
}

/// `debNuM`: N the Debian release, M the update.
fn is_stable_update(suffix: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    suffix
        .strip_prefix("deb")
        .and_then(|rest| rest.split_once('u'))
        .is_some_and(|(release, update)| digits(release) && digits(update))
}

/// The newest version of a source package among a release's suites, and the binary
/// packages built from it (smallest `.deb` first: any of them carries the changelog).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Newest {
    /// The source version.
    pub version: Version,
    /// The suite it was found in (the first suite given, on a tie).
    pub suite: String,
    /// Its binary packages in that suite, smallest first.
    pub binaries: Vec<BinaryPackage>,
}

/// For each source package in `suites` (suite name, its packages), the newest version
/// by dpkg order. The security suite can hold an older version than the point release:
/// the suite never decides, the version does.
pub fn newest_sources<'a>(
    suites: impl IntoIterator<Item = (&'a str, &'a [BinaryPackage])>,
) -> BTreeMap<PackageName, Newest> {
    let mut newest: BTreeMap<PackageName, Newest> = BTreeMap::new();
    for (suite, packages) in suites {
        for package in packages {
            match newest.get_mut(&package.source) {
                Some(found) if found.version > package.source_version => {}
                Some(found) if found.version == package.source_version && found.suite != suite => {}
                Some(found) if found.version == package.source_version => {
                    found.binaries.push(package.clone())
                }
                _ => {
                    newest.insert(
                        package.source.clone(),
                        Newest {
                            version: package.source_version.clone(),
                            suite: suite.to_owned(),
                            binaries: vec![package.clone()],
                        },
                    );
                }
            }
        }
    }
    for found in newest.values_mut() {
        found.binaries.sort_by(|a, b| {
            (a.size.unwrap_or(u64::MAX), &a.name).cmp(&(b.size.unwrap_or(u64::MAX), &b.name))
        });
    }
    newest
}

/// Where a binary package keeps its changelog in its `.deb`: `changelog.Debian.gz`, or
/// `changelog.gz` for native packages, under `usr/share/doc/<doc dir>/`.
pub fn changelog_paths(doc_dir: &str) -> [String; 2] {
    [
        format!("usr/share/doc/{doc_dir}/changelog.Debian.gz"),
        format!("usr/share/doc/{doc_dir}/changelog.gz"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_updates_name_the_version_they_were_made_from() {
        for (version, bases) in [
            ("2.10-3~deb12u1", &["2.10-3"][..]),
            ("1.2+dfsg-1+deb12u2", &["1.2+dfsg-1"]),
            ("6.16-1+deb13u1~deb12u1", &["6.16-1+deb13u1", "6.16-1"]),
            ("5:7.0.15-1~deb12u10", &["5:7.0.15-1"]),
            ("20250419~deb12u2", &["20250419"]),
            ("2.10-3", &[]),
            ("2.10-3~bpo12+1", &[]),
            ("2.10-3~exp1", &[]),
            ("1.10.0-3+b1", &[]),
            ("2.10-3+deb12u", &[]),
            ("2.10-3~debian1", &[]),
        ] {
            let found: Vec<String> = made_from(&version.parse().unwrap())
                .iter()
                .map(ToString::to_string)
                .collect();
            assert_eq!(found, bases, "{version}");
        }
    }

    fn history(text: &str) -> SourceHistory {
        let changelog = Changelog::parse(text).unwrap();
        SourceHistory {
            release: "bookworm".parse().unwrap(),
            source: "foo".parse().unwrap(),
            version: changelog.entries[0].version.clone(),
            suite: "bookworm-security".into(),
            binary: "foo".parse().unwrap(),
            binary_version: changelog.entries[0].version.clone(),
            deb_sha256: None,
            changelog_path: "usr/share/doc/foo/changelog.Debian.gz".into(),
            changelog,
        }
    }

    fn entry(version: &str, distribution: &str, item: &str) -> String {
        format!("foo ({version}) {distribution}; urgency=medium\n\n  * {item}\n\n -- M <m@e.org>  Mon, 01 Jan 2024 00:00:00 +0000\n\n")
    }

    fn ids(fixes: &[ChangelogFix]) -> Vec<&str> {
        fixes.iter().map(|f| f.id.as_str()).collect()
    }

    #[test]
    fn a_backport_holds_only_the_entry_of_the_version_it_was_made_from() {
        // The newest changelog of the release lacks the backport's own entry; the
        // unstable entry it was made from is above it in dpkg order.
        let text = [
            entry("2.11-1~deb12u1", "bookworm-security", "Fix CVE-2024-0004"),
            entry("2.11-1", "unstable", "Fix CVE-2024-0003"),
            entry("2.10-3", "unstable", "Fix CVE-2024-0002"),
            entry("2.10-3~exp1", "experimental", "Fix CVE-2024-0001"),
            entry("2.10-2", "unstable", "Fix CVE-2023-0001"),
        ]
        .concat();
        let history = history(&text);
        let installed: Version = "2.10-3~deb12u1".parse().unwrap();
        let split = history.split(&installed);
        let versions =
            |entries: &[&Entry]| -> Vec<String> { entries.iter().map(|e| e.version.to_string()).collect() };
        assert_eq!(
            versions(&split.newer),
            ["2.11-1~deb12u1", "2.11-1", "2.10-3~exp1"]
        );
        assert_eq!(versions(&split.older), ["2.10-3", "2.10-2"]);
        // The experimental upload sorts above the backport and is no part of the claim.
        assert_eq!(
            ids(&history.fixes_after(&installed)),
            ["CVE-2024-0001", "CVE-2024-0003", "CVE-2024-0004"]
        );
        assert!(history.fixed_at_or_before(&installed, &"CVE-2024-0002".parse().unwrap()));
        // A backport of 2.10-2 holds 2.10-2 and nothing of 2.10-3.
        let other: Version = "2.10-2~deb12u1".parse().unwrap();
        assert_eq!(
            ids(&history.fixes_after(&other)),
            ["CVE-2024-0001", "CVE-2024-0002", "CVE-2024-0003", "CVE-2024-0004"]
        );
    }

    #[test]
    fn a_cited_id_below_the_installed_version_hides_no_fix() {
        let text = [
            entry("1.0-3", "unstable", "Fix CVE-2023-2222"),
            entry(
                "1.0-2",
                "unstable",
                "CVE-2024-1111: apply the CVE-2023-2222 fix to another path",
            ),
        ]
        .concat();
        let history = history(&text);
        let installed: Version = "1.0-2".parse().unwrap();
        let fixes = history.fixes_after(&installed);
        assert_eq!(ids(&fixes), ["CVE-2023-2222"]);
        assert_eq!(fixes[0].fixed.as_str(), "1.0-3");
        assert!(!history.fixed_at_or_before(&installed, &"CVE-2023-2222".parse().unwrap()));
    }
}
