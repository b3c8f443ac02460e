//! A package's `debian/changelog` -> entries and the vulnerability ids each names,
//! with whether the mention is a fix.
//!
//! The format is deb-changelog(5): a header `source (version) distributions; urgency=…`,
//! indented change lines (`  * …`, sub-items `    - …` / `    + …`), a trailer
//! ` -- Maintainer <email>  date`. Lines starting with `#` are comments; Debian's
//! trimmed changelogs end with `# Older entries have been removed from this changelog.`
//!
//! Not every mention of a CVE is a fix: `Drop CVE-2026-49975_1.patch, now included in
//! upstream`, `Fix unit tests for CVE-2025-49794`, `Add a NEWS entry following
//! CVE-2025-23048`, "not affected" notes and reverts are recorded as [`NotAFix`].

use crate::error::{Error, Result};
use crate::id::{find_ids, VulnId};
use buckle_debian::{PackageName, Version};
use serde::{Deserialize, Serialize};

/// A parsed changelog, newest entry first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changelog {
    /// The entries in file order (newest first).
    pub entries: Vec<Entry>,
    /// Whether older entries were removed (Debian trims long changelogs in binary packages).
    pub trimmed: bool,
}

/// One changelog entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The source package named in the header.
    pub source: PackageName,
    /// The version of this upload.
    pub version: Version,
    /// The distribution field (`bookworm-security`, `unstable`).
    pub distribution: String,
    /// The ids the entry mentions, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mentions: Vec<Mention>,
}

/// One id named in an entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mention {
    /// The id.
    pub id: VulnId,
    /// Whether the change item fixes it.
    pub kind: MentionKind,
    /// The changelog line that names it, trimmed.
    pub line: String,
}

/// What a change item does about the id it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MentionKind {
    /// The item fixes it (the default reading).
    Fix,
    /// The item names it without fixing it.
    NotAFix(NotAFix),
}

/// Why a mention is not a fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotAFix {
    /// A patch for it is dropped or refreshed because upstream already has the fix.
    Upstreamed,
    /// The package is said not to be affected.
    NotAffected,
    /// The fix is reverted.
    Reverted,
    /// Only tests for it change.
    TestsOnly,
    /// A reference: a NEWS entry, documentation, a typo in an earlier entry.
    Reference,
}

impl Changelog {
    /// Parses changelog text. Entries that cannot be read (a header with a bad version)
    /// are an error naming the line; text after the last entry in another format
    /// (`Local variables:`, old-style logs) is ignored.
    pub fn parse(text: &str) -> Result<Changelog> {
        let mut entries: Vec<Entry> = Vec::new();
        let mut trimmed = false;
        let mut items: Vec<Item> = Vec::new();
        let mut in_entry = false;
        for (index, raw) in text.lines().enumerate() {
            let line_no = index + 1;
            if raw.starts_with('#') {
                trimmed |= raw
                    .to_ascii_lowercase()
                    .contains("older entries have been removed");
                continue;
            }
            if raw.trim().is_empty() {
                continue;
            }
            if !raw.starts_with([' ', '\t']) {
                if let Some(entry) = header(raw, line_no)? {
                    finish(&mut entries, &mut items);
                    entries.push(entry);
                    in_entry = true;
                    continue;
                }
                // Another format follows (emacs variables, an old changelog): stop.
                finish(&mut entries, &mut items);
                in_entry = false;
                continue;
            }
            if !in_entry || raw.starts_with(" -- ") {
                continue;
            }
            add_line(&mut items, raw.trim());
        }
        finish(&mut entries, &mut items);
        Ok(Changelog { entries, trimmed })
    }
}

/// A change item: its lines (the bullet's and its continuations).
struct Item {
    lines: Vec<String>,
}

fn add_line(items: &mut Vec<Item>, line: &str) {
    let starts_item = ["* ", "- ", "+ ", "[ "].iter().any(|b| line.starts_with(b)) || line == "*";
    match items.last_mut() {
        Some(item) if !starts_item => item.lines.push(line.to_owned()),
        _ => items.push(Item {
            lines: vec![line.to_owned()],
        }),
    }
}

/// Turns the collected items into mentions of the last entry.
fn finish(entries: &mut [Entry], items: &mut Vec<Item>) {
    let Some(entry) = entries.last_mut() else {
        items.clear();
        return;
    };
    for item in items.drain(..) {
        let kind = classify(&item.lines.join(" "));
        for line in &item.lines {
            for id in find_ids(line) {
                entry.mentions.push(Mention {
                    id,
                    kind,
                    line: line.clone(),
                });
            }
        }
    }
}

/// `source (version) distributions; urgency=…`, or `None` when the line is no header.
fn header(line: &str, line_no: usize) -> Result<Option<Entry>> {
    let Some((source, rest)) = line.split_once(" (") else {
        return Ok(None);
    };
    let Some((version, rest)) = rest.split_once(')') else {
        return Ok(None);
    };
    let Ok(source) = source.trim().parse::<PackageName>() else {
        return Ok(None);
    };
    let version = version.parse().map_err(|source| Error::ChangelogVersion {
        line: line_no,
        source,
    })?;
    let distribution = rest.split(';').next().unwrap_or_default().trim().to_owned();
    Ok(Some(Entry {
        source,
        version,
        distribution,
        mentions: Vec::new(),
    }))
}

/// Reads what a change item does about the ids it names, from its first sentence: a
/// description that goes on ("… Installations that prevent Lua scripts were
/// unaffected.") does not turn a fix into a note.
fn classify(item: &str) -> MentionKind {
    let first_sentence = item.split(". ").next().unwrap_or(item);
    let text = first_sentence.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| text.contains(w));
    if has(&[
        "not affected",
        "unaffected",
        "not vulnerable",
        "does not affect",
        "doesn't affect",
        "not applicable",
    ]) {
        return MentionKind::NotAFix(NotAFix::NotAffected);
    }
    if has(&["revert"]) {
        return MentionKind::NotAFix(NotAFix::Reverted);
    }
    if has(&["new upstream"]) {
        return MentionKind::Fix;
    }
    let patch_housekeeping = has(&[
        "drop", "remove", "refresh", "rebase", "rediff", "unfuzz", "delete",
    ]) && has(&["patch", ".diff"]);
    if patch_housekeeping
        || has(&[
            "included upstream",
            "applied upstream",
            "merged upstream",
            "upstreamed",
        ])
    {
        return MentionKind::NotAFix(NotAFix::Upstreamed);
    }
    if has(&["tests for", "test for", "test case for", "testsuite for"])
        || (has(&["test"]) && has(&["forward port", "forward-port"]))
    {
        return MentionKind::NotAFix(NotAFix::TestsOnly);
    }
    if has(&[
        "news entry",
        "following cve",
        "typo",
        "changelog entry",
        "wrong cve",
        "similar to cve",
        "same as cve",
        "related to cve",
        "see cve",
    ]) {
        return MentionKind::NotAFix(NotAFix::Reference);
    }
    MentionKind::Fix
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "\
apache2 (2.4.68-1~deb12u1) bookworm; urgency=medium

  * New upstream version (Closes: CVE-2026-29167, CVE-2026-29170,
    CVE-2026-34355)
  * Drop CVE-2026-49975_1.patch, now included in upstream
  * Add a NEWS entry following CVE-2025-23048

 -- Maintainer <m@example.org>  Sat, 04 Jul 2026 10:00:00 +0200

apache2 (2.4.67-1~deb12u3) bookworm-security; urgency=high

  * Fix CVE-2026-49975 (HTTP/2 Bomb)
  * Fix unit tests for CVE-2025-49794 and -49796.
  * Revert the fix for CVE-2026-1111, it broke mod_proxy

 -- Maintainer <m@example.org>  Sat, 04 Jul 2026 10:00:00 +0200

# Older entries have been removed from this changelog.
";

    fn kinds(entry: &Entry) -> Vec<(String, MentionKind)> {
        entry
            .mentions
            .iter()
            .map(|m| (m.id.to_string(), m.kind))
            .collect()
    }

    #[test]
    fn entries_name_their_fixes_and_other_mentions() {
        let log = Changelog::parse(TEXT).unwrap();
        assert!(log.trimmed);
        assert_eq!(log.entries.len(), 2);
        let first = &log.entries[0];
        assert_eq!(first.version.as_str(), "2.4.68-1~deb12u1");
        assert_eq!(first.distribution, "bookworm");
        use MentionKind::*;
        assert_eq!(
            kinds(first),
            [
                ("CVE-2026-29167".into(), Fix),
                ("CVE-2026-29170".into(), Fix),
                ("CVE-2026-34355".into(), Fix),
                ("CVE-2026-49975".into(), NotAFix(self::NotAFix::Upstreamed)),
                ("CVE-2025-23048".into(), NotAFix(self::NotAFix::Reference)),
            ]
        );
        assert_eq!(first.mentions[2].line, "CVE-2026-34355)");
        assert_eq!(
            kinds(&log.entries[1]),
            [
                ("CVE-2026-49975".into(), Fix),
                ("CVE-2025-49794".into(), NotAFix(self::NotAFix::TestsOnly)),
                ("CVE-2025-49796".into(), NotAFix(self::NotAFix::TestsOnly)),
                ("CVE-2026-1111".into(), NotAFix(self::NotAFix::Reverted)),
            ]
        );
    }

    #[test]
    fn a_description_mentioning_unaffected_setups_is_still_a_fix() {
        let text = "redis (5:7.0.15-1~deb12u8) bookworm-security; urgency=high\n\n  * CVE-2026-23631: An authenticated attacker could have exploited the\n    replicas. Installations that prevent users from executing Lua scripts were unaffected.\n\n -- M <m@e.org>  Mon, 13 Jul 2026 13:01:48 -0700\n";
        let log = Changelog::parse(text).unwrap();
        assert_eq!(log.entries[0].mentions[0].kind, MentionKind::Fix);
    }

    #[test]
    fn not_affected_notes_are_not_fixes() {
        let text = "foo (1.0-2) unstable; urgency=medium\n\n  * CVE-2025-0001: foo is not affected, the code is not built\n\n -- M <m@e.org>  Mon, 01 Jan 2024 00:00:00 +0000\n";
        let log = Changelog::parse(text).unwrap();
        assert_eq!(
            log.entries[0].mentions[0].kind,
            MentionKind::NotAFix(NotAFix::NotAffected)
        );
        assert!(!log.trimmed);
    }

    #[test]
    fn a_header_with_a_bad_version_names_the_line() {
        let err = Changelog::parse("foo (1.0-1) unstable; urgency=low\n\nfoo (:bad) unstable; urgency=low\n")
            .unwrap_err();
        assert!(err.to_string().starts_with("changelog line 3: "), "{err}");
    }

    #[test]
    fn trailing_text_in_another_format_is_ignored() {
        let text = "foo (1.0-1) unstable; urgency=low\n\n  * Fix CVE-2020-1234\n\n -- M <m@e.org>  Mon, 01 Jan 2024 00:00:00 +0000\n\nLocal variables:\nmode: debian-changelog\nOld Changelog:\n  * CVE-1999-0001\n";
        let log = Changelog::parse(text).unwrap();
        assert_eq!(log.entries.len(), 1);
        assert_eq!(log.entries[0].mentions.len(), 1);
    }
}
