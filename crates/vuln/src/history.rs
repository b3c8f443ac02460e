//! A source package's fix history as the release's newest archive version tells it:
//! the changelog of that version, read from its `.deb`.

use crate::changelog::{Changelog, Entry, MentionKind};
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
#[derive(Debug, Clone, Copy)]
pub struct Split<'a> {
    /// Entries above the installed version: uploads it does not contain.
    pub newer: &'a [Entry],
    /// The installed version's entry and everything below it.
    pub older: &'a [Entry],
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
    pub fn split(&self, installed: &Version) -> Split<'_> {
        let entries = &self.changelog.entries;
        let at = entries
            .iter()
            .position(|e| e.version <= *installed)
            .unwrap_or(entries.len());
        let (newer, older) = entries.split_at(at);
        Split {
            newer,
            older,
            beyond_trimmed: older.is_empty() && self.changelog.trimmed,
        }
    }

    /// The fixes that the newest version has and `installed` lacks: ids that an entry
    /// above the installed version fixes, that no entry at or below it names.
    /// Mentions that are not fixes (dropped patches, tests, notes) do not count.
    pub fn fixes_after(&self, installed: &Version) -> Vec<ChangelogFix> {
        if self.version <= *installed {
            return Vec::new();
        }
        let split = self.split(installed);
        let known: BTreeSet<&VulnId> = split
            .older
            .iter()
            .flat_map(|e| &e.mentions)
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

    /// Whether the release's own changelog says `installed` already has a fix for `id`.
    pub fn fixed_at_or_before(&self, installed: &Version, id: &VulnId) -> bool {
        self.split(installed)
            .older
            .iter()
            .flat_map(|e| &e.mentions)
            .any(|m| m.id == *id && m.kind == MentionKind::Fix)
    }
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
