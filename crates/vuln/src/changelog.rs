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
    /// The version of the rules that classified the mentions ([`Changelog::RULES`]);
    /// 0 for a changelog stored before rules had versions.
    #[serde(default)]
    pub rules: u32,
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
    /// Cited in another id's fix (`CVE-2024-36138: Bypass incomplete fix of
    /// CVE-2024-27980`): evidence for the other id only.
    Cited,
}

impl Changelog {
    /// The version of the mention rules: raised whenever a mention would be classified
    /// differently, so that changelogs stored under older rules are read again.
    pub const RULES: u32 = 1;

    /// Whether the mentions were classified under the current rules.
    pub fn is_current(&self) -> bool {
        self.rules == Changelog::RULES
    }

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
        Ok(Changelog {
            entries,
            trimmed,
            rules: Changelog::RULES,
        })
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
        let text = item.lines.join(" ");
        let kind = classify(&text);
        let cited = match kind {
            MentionKind::Fix => cited_ids(&text),
            MentionKind::NotAFix(_) => Vec::new(),
        };
        for line in &item.lines {
            for id in find_ids(line) {
                let kind = if cited.contains(&id) {
                    MentionKind::NotAFix(NotAFix::Cited)
                } else {
                    kind
                };
                entry.mentions.push(Mention {
                    id,
                    kind,
                    line: line.clone(),
                });
            }
        }
    }
}

/// Words just before an id that make it the subject of another fix, not what the item
/// fixes: `Bypass incomplete fix of CVE-2024-27980`, `The fix for CVE-2021-33196 can be
/// bypassed`, `a follow up to CVE-2019-14232`, `similar as CVE-2022-3140`.
const CITING: &[&str] = &[
    "the fix for",
    "the fix of",
    "the fixes for",
    "the patch for",
    "the patches for",
    "incomplete fix",
    "insufficient fix",
    "previous fix",
    "original fix",
    "earlier fix",
    "introduced by",
    "introduced in",
    "introduced with",
    "regression in",
    "regression of",
    "regression from",
    "follow up to",
    "follow up for",
    "follow-up to",
    "follow-up for",
    "followup to",
    "followup for",
    "similar to",
    "similar as",
    "same as",
    "related to",
    "variant of",
    "bypass of",
    "when addressing",
];

/// Words just after an id that, with `the` before it, make it the subject of another
/// fix: `apply the CVE-2023-2222 fix to …`.
const CITED_AFTER: &[&str] = &["fix", "fixes", "patch", "patches", "regression"];

/// The ids an item cites while fixing another id: every occurrence of the id is a
/// citation, and some other id in the item is not. An item that only cites (`Fix a
/// regression introduced by the fix for CVE-…`) is left as it reads.
fn cited_ids(item: &str) -> Vec<VulnId> {
    let lower = item.to_ascii_lowercase();
    let ids = find_ids(item);
    // Each occurrence of an id, in text order: (start, end, id).
    let mut occurrences: Vec<(usize, usize, &VulnId)> = Vec::new();
    for id in &ids {
        let needle = id.as_str().to_ascii_lowercase();
        for (at, _) in lower.match_indices(&needle) {
            let end = at + needle.len();
            // Not the start of a longer id (`CVE-2024-1111` in `CVE-2024-11112`).
            if !lower[end..].starts_with(|c: char| c.is_ascii_digit()) {
                occurrences.push((at, end, id));
            }
        }
    }
    occurrences.sort_by_key(|(start, _, _)| *start);
    let mut cited_at: Vec<bool> = Vec::with_capacity(occurrences.len());
    for (index, (start, end, _)) in occurrences.iter().enumerate() {
        let before_from = index.checked_sub(1).map_or(0, |i| occurrences[i].1);
        let before = &lower[before_from..*start];
        // `… follow up to CVE-A and CVE-B`: a list continues the citation before it.
        let continues = index > 0 && is_list_separator(before);
        let cited = if continues {
            cited_at[index - 1]
        } else {
            cites(before, &lower[*end..])
        };
        cited_at.push(cited);
    }
    // Whether each occurrence of `id` is a citation.
    let cited_occurrences = |id: &VulnId| -> Vec<bool> {
        occurrences
            .iter()
            .zip(&cited_at)
            .filter(|((_, _, o), _)| *o == id)
            .map(|(_, cited)| *cited)
            .collect()
    };
    // The item's subject: an id written out somewhere not as a citation.
    if !ids.iter().any(|id| cited_occurrences(id).contains(&false)) {
        return Vec::new();
    }
    // Abbreviated followers (`and -49796`) have no occurrence of their own and keep the
    // item's reading.
    ids.iter()
        .filter(|id| {
            let cited = cited_occurrences(id);
            !cited.is_empty() && !cited.contains(&false)
        })
        .cloned()
        .collect()
}

/// Whether the text before an id (since the previous id) and after it make it cited.
fn cites(before: &str, after: &str) -> bool {
    let before = before.trim_end_matches([' ', '(', '[', '"', '\'']);
    let tail_is_short = |rest: &str| {
        let rest = rest.trim_matches([' ', '(', '[', '"', '\'']);
        !rest.contains([',', '.', ';', ':']) && rest.split_whitespace().count() <= 2
    };
    let cue_before = CITING.iter().any(|cue| {
        before
            .rfind(cue)
            .is_some_and(|at| tail_is_short(&before[at + cue.len()..]))
    });
    let the_before = before == "the" || before.ends_with(" the");
    let after = after.strip_prefix("'s").unwrap_or(after);
    let word_after = after
        .starts_with(char::is_whitespace)
        .then(|| {
            after
                .split(|c: char| !c.is_ascii_alphabetic())
                .find(|w| !w.is_empty())
        })
        .flatten()
        .unwrap_or_default();
    cue_before || (the_before && CITED_AFTER.contains(&word_after))
}

/// `, `, ` and `, ` / `, `, and `, ` or `: what separates ids in a list.
fn is_list_separator(between: &str) -> bool {
    let words: Vec<&str> = between
        .split(|c: char| c.is_whitespace() || c == ',' || c == '/')
        .filter(|w| !w.is_empty())
        .collect();
    words.iter().all(|w| *w == "and" || *w == "or") && words.len() <= 1
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

    fn item_kinds(item: &str) -> Vec<(String, MentionKind)> {
        let text = format!("foo (1.0-2) unstable; urgency=medium\n\n  * {item}\n\n -- M <m@e.org>  Mon, 01 Jan 2024 00:00:00 +0000\n");
        kinds(&Changelog::parse(&text).unwrap().entries[0])
    }

    #[test]
    fn an_id_cited_in_another_ids_fix_is_not_fixed_by_it() {
        use MentionKind::{Fix, NotAFix as Not};
        let cited = Not(NotAFix::Cited);
        for (item, expected) in [
            (
                "CVE-2024-1111: apply the CVE-2023-2222 fix to another path",
                vec![("CVE-2024-1111", Fix), ("CVE-2023-2222", cited)],
            ),
            (
                "CVE-2024-1111: the fix for CVE-2023-2222 can be bypassed",
                vec![("CVE-2024-1111", Fix), ("CVE-2023-2222", cited)],
            ),
            (
                "Fix CVE-2024-1111, a regression introduced by the fix for CVE-2023-2222 and CVE-2023-3333",
                vec![
                    ("CVE-2024-1111", Fix),
                    ("CVE-2023-2222", cited),
                    ("CVE-2023-3333", cited),
                ],
            ),
            (
                "Fix CVE-2024-1111 (variant of CVE-2023-2222)",
                vec![("CVE-2024-1111", Fix), ("CVE-2023-2222", cited)],
            ),
            // Lists of fixes stay fixes, whatever words surround them.
            (
                "Backport security fix for CVE-2023-0800, CVE-2023-0801 and CVE-2023-0802",
                vec![
                    ("CVE-2023-0800", Fix),
                    ("CVE-2023-0801", Fix),
                    ("CVE-2023-0802", Fix),
                ],
            ),
            (
                "backport tar CVE-2026-33055/CVE-2026-33056 fixes",
                vec![("CVE-2026-33055", Fix), ("CVE-2026-33056", Fix)],
            ),
            (
                "Apply the fix for CVE-2023-2222 and CVE-2023-3333",
                vec![("CVE-2023-2222", Fix), ("CVE-2023-3333", Fix)],
            ),
            // An item that only cites is left as it reads: no other id is its subject.
            (
                "Apply the fix for CVE-2025-49794 and -49796",
                vec![("CVE-2025-49794", Fix), ("CVE-2025-49796", Fix)],
            ),
            (
                "Fix a regression introduced by the fix for CVE-2023-2222",
                vec![("CVE-2023-2222", Fix)],
            ),
            // An id named both as the subject and in a citation is the subject.
            (
                "Fix CVE-2023-2222 (the fix for CVE-2023-2222 in 1.0-1 was incomplete)",
                vec![("CVE-2023-2222", Fix)],
            ),
            // `CVE-2024-11112` is not a citation of `CVE-2024-1111`.
            (
                "CVE-2024-1111: the fix for CVE-2024-11112 is also needed",
                vec![("CVE-2024-1111", Fix), ("CVE-2024-11112", cited)],
            ),
        ] {
            let expected: Vec<(String, MentionKind)> = expected
                .into_iter()
                .map(|(id, kind)| (id.to_owned(), kind))
                .collect();
            assert_eq!(item_kinds(item), expected, "{item}");
        }
    }

    #[test]
    fn a_cited_id_is_fixed_where_its_own_item_says_so() {
        let text = "foo (1.0-2) unstable; urgency=medium\n\n  * CVE-2024-1111: apply the CVE-2023-2222 fix to another path\n  * Fix CVE-2023-2222\n\n -- M <m@e.org>  Mon, 01 Jan 2024 00:00:00 +0000\n";
        let log = Changelog::parse(text).unwrap();
        assert_eq!(
            kinds(&log.entries[0]),
            [
                ("CVE-2024-1111".into(), MentionKind::Fix),
                ("CVE-2023-2222".into(), MentionKind::NotAFix(NotAFix::Cited)),
                ("CVE-2023-2222".into(), MentionKind::Fix),
            ]
        );
    }

    #[test]
    fn parsed_changelogs_carry_the_current_rules() {
        let log = Changelog::parse(TEXT).unwrap();
        assert!(log.is_current());
        let stored = serde_json::to_value(&log).unwrap();
        let mut older = stored.clone();
        older.as_object_mut().unwrap().remove("rules");
        let older: Changelog = serde_json::from_value(older).unwrap();
        assert_eq!(older.rules, 0);
        assert!(!older.is_current());
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
