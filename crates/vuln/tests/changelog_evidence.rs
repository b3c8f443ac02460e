//! What a changelog proves, on real changelogs (`testdata/changelogs`, see its README):
//! a stable update holds the fixes of the version it was made from, and an id cited in
//! another id's fix is evidence for that fix only.
#![allow(clippy::unwrap_used)]

mod common;

use buckle_vuln::{scan, Advisory, Database, Entry, Installed, MentionKind, NotAFix, SourceHistory, State};

fn entry<'a>(history: &'a SourceHistory, version: &str) -> &'a Entry {
    history
        .changelog
        .entries
        .iter()
        .find(|e| e.version.as_str() == version)
        .unwrap_or_else(|| panic!("no entry {version}"))
}

fn kinds(entry: &Entry, id: &str) -> Vec<MentionKind> {
    entry
        .mentions
        .iter()
        .filter(|m| m.id.as_str() == id)
        .map(|m| m.kind)
        .collect()
}

fn fixed_ids(history: &SourceHistory, installed: &str) -> Vec<String> {
    history
        .fixes_after(&installed.parse().unwrap())
        .iter()
        .map(|f| f.id.to_string())
        .collect()
}

fn installed(source: &str, binary: &str, version: &str) -> Installed {
    Installed {
        name: binary.parse().unwrap(),
        version: version.parse().unwrap(),
        arch: "amd64".parse().unwrap(),
        source: source.parse().unwrap(),
        source_version: version.parse().unwrap(),
        purl: None,
    }
}

fn unstable_advisory(id: &str, source: &str, state: State) -> Advisory {
    Advisory {
        id: id.parse().unwrap(),
        aliases: Vec::new(),
        source: source.parse().unwrap(),
        release: None,
        state,
        severity: None,
        record: format!("tracker {id}"),
    }
}

/// The bookworm history of `source` read from `binary`'s changelog excerpt `file`.
fn bookworm(source: &str, binary: &str, file: &str) -> SourceHistory {
    common::history_of("bookworm", source, binary, common::excerpt(file))
}

fn rustc_web() -> SourceHistory {
    bookworm(
        "rustc-web",
        "rust-web-all",
        "rustc-web_1.96.0+dfsg1-1~deb12u2.txt",
    )
}

#[test]
fn a_backport_holds_the_fixes_of_the_unstable_version_it_was_made_from() {
    // bookworm's rustc-web 1.85.0+dfsg3-1~deb12u3 was made from unstable's rustc
    // 1.85.0+dfsg3-1, which sorts above it. Its own changelog says so: the unstable
    // entry, with its CVE-2025-31130 fix, is right below its own entries.
    let backport = "1.85.0+dfsg3-1~deb12u3";
    assert!(common::dpkg_lt(backport, "1.85.0+dfsg3-1"));
    let own = common::excerpt("rustc-web_1.85.0+dfsg3-1~deb12u3.txt");
    let versions: Vec<&str> = own.entries.iter().map(|e| e.version.as_str()).collect();
    assert_eq!(
        versions[..5],
        [
            backport,
            "1.85.0+dfsg3-1~deb12u2",
            "1.85.0+dfsg3-1~deb12u1",
            "1.85.0+dfsg3-1",
            "1.85.0+dfsg2-3"
        ]
    );
    assert_eq!(kinds(&own.entries[3], "CVE-2025-31130"), [MentionKind::Fix]);

    // The release's newest changelog (1.96.0+dfsg1-1~deb12u2) has the unstable entry
    // but none of the backport's own entries.
    let history = rustc_web();
    assert!(history
        .changelog
        .entries
        .iter()
        .all(|e| e.version.as_str() != backport));
    assert_eq!(
        kinds(entry(&history, "1.85.0+dfsg3-1"), "CVE-2025-31130"),
        [MentionKind::Fix]
    );

    // The backport lacks the fixes of the newer uploads, not the one it was made from.
    assert_eq!(
        fixed_ids(&history, backport),
        [
            "CVE-2026-33055",
            "CVE-2026-33056",
            "CVE-2026-5222",
            "CVE-2026-5223"
        ]
    );
    let cve = "CVE-2025-31130".parse().unwrap();
    assert!(history.fixed_at_or_before(&backport.parse().unwrap(), &cve));

    // The scan agrees, and an unstable advisory's higher version does not bring it back.
    let mut db = Database::new();
    db.add_history(history.clone());
    db.add_advisories([unstable_advisory(
        "CVE-2025-31130",
        "rustc-web",
        State::Fixed("1.85.0+dfsg3-1".parse().unwrap()),
    )]);
    let release = "bookworm".parse().unwrap();
    let findings = scan(&db, &release, &[installed("rustc-web", "rust-web-gdb", backport)]);
    assert!(
        findings.iter().all(|f| f.id.as_str() != "CVE-2025-31130"),
        "{findings:?}"
    );
    assert_eq!(findings.len(), 4);

    // Versions the changelog does not prove stay affected: a backport of the entry
    // below, an experimental build, the unstable version's predecessor.
    for other in ["1.85.0+dfsg2-3~deb12u1", "1.85.0+dfsg3-1~exp1", "1.85.0+dfsg2-3"] {
        assert!(
            fixed_ids(&history, other).contains(&"CVE-2025-31130".to_owned()),
            "{other}"
        );
        assert!(
            !history.fixed_at_or_before(&other.parse().unwrap(), &cve),
            "{other}"
        );
    }
}

#[test]
fn an_id_cited_in_another_ids_fix_is_evidence_for_that_fix_only() {
    let history = bookworm("nodejs", "nodejs", "nodejs_18.20.4+dfsg-1~deb12u3.txt");
    use MentionKind::{Fix, NotAFix as Not};
    // `CVE-2024-36138: Bypass incomplete fix of CVE-2024-27980 (High)`
    let deb12u1 = entry(&history, "18.20.4+dfsg-1~deb12u1");
    assert_eq!(kinds(deb12u1, "CVE-2024-36138"), [Fix]);
    assert_eq!(kinds(deb12u1, "CVE-2024-27980"), [Not(NotAFix::Cited)]);
    // `Fix CVE-2026-48934:` has its own item; `Fix CVE-2026-58040: … (incomplete fix of
    // CVE-2026-48934)` cites it.
    let deb12u3 = entry(&history, "18.20.4+dfsg-1~deb12u3");
    assert_eq!(kinds(deb12u3, "CVE-2026-58040"), [Fix]);
    assert_eq!(kinds(deb12u3, "CVE-2026-48934"), [Fix, Not(NotAFix::Cited)]);

    // What an older install lacks: the fixes, not the cited id that no entry fixes.
    let fixed = fixed_ids(&history, "18.19.0+dfsg-6~deb12u2");
    for id in ["CVE-2024-36138", "CVE-2026-48934", "CVE-2026-58040"] {
        assert!(fixed.contains(&id.to_owned()), "{id} in {fixed:?}");
    }
    assert!(!fixed.contains(&"CVE-2024-27980".to_owned()), "{fixed:?}");

    // The citation is no evidence that 18.20.4+dfsg-1~deb12u1 has CVE-2024-27980 fixed:
    // an advisory that says it is open is reported.
    let at = "18.20.4+dfsg-1~deb12u1".parse().unwrap();
    assert!(!history.fixed_at_or_before(&at, &"CVE-2024-27980".parse().unwrap()));
    assert!(history.fixed_at_or_before(&at, &"CVE-2024-36138".parse().unwrap()));
    let mut db = Database::new();
    db.add_history(history);
    db.add_advisories([unstable_advisory("CVE-2024-27980", "nodejs", State::Unfixed)]);
    let findings = scan(
        &db,
        &"bookworm".parse().unwrap(),
        &[installed("nodejs", "nodejs", "18.20.4+dfsg-1~deb12u3")],
    );
    let ids: Vec<&str> = findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["CVE-2024-27980"]);
    assert_eq!(findings[0].fixed, None);
}

#[test]
fn citations_in_real_descriptions_are_told_from_fixes() {
    use MentionKind::{Fix, NotAFix as Not};
    // `CVE-2023-43665: … Following the fix for CVE-2019-14232, …` and `CVE-2024-27351:
    // … This is, in part, a follow up to CVE-2019-14232 and CVE-2023-43665, …`
    let django = common::excerpt("python-django_3.2.25-0+deb12u1.txt");
    let entry = &django.entries[0];
    assert_eq!(entry.version.as_str(), "3:3.2.25-0+deb12u1");
    assert_eq!(kinds(entry, "CVE-2024-27351"), [Fix]);
    assert_eq!(kinds(entry, "CVE-2023-43665"), [Fix, Not(NotAFix::Cited)]);
    assert!(kinds(entry, "CVE-2019-14232")
        .iter()
        .all(|k| *k == Not(NotAFix::Cited)));
    assert_eq!(kinds(entry, "CVE-2019-14232").len(), 2);
    // `fix for CVE-2025-1080 ("Macro URL …" , similar as CVE-2022-3140)`
    let libreoffice = common::excerpt("libreoffice_7.4.7-1+deb12u7.txt");
    let entry = &libreoffice.entries[0];
    assert_eq!(kinds(entry, "CVE-2025-1080"), [Fix]);
    assert_eq!(kinds(entry, "CVE-2022-3140"), [Not(NotAFix::Cited)]);
}

#[test]
fn a_fix_listed_for_the_unstable_version_is_available_in_its_backport() {
    // bookworm-security's thunderbird 1:153.8.0esr-1~deb12u1 is a rebuild of unstable's
    // 1:153.8.0esr-1, whose entry lists the CVEs; dpkg sorts the backport below it.
    let history = bookworm(
        "thunderbird",
        "thunderbird",
        "thunderbird_153.8.0esr-1~deb12u1.txt",
    );
    assert!(common::dpkg_lt("1:153.8.0esr-1~deb12u1", "1:153.8.0esr-1"));
    let mut db = Database::new();
    db.add_history(history);
    let findings = scan(
        &db,
        &"bookworm".parse().unwrap(),
        &[installed("thunderbird", "thunderbird", "1:153.7.0esr-1~deb12u1")],
    );
    let spoofing = findings
        .iter()
        .find(|f| f.id.as_str() == "CVE-2026-136226")
        .unwrap();
    assert_eq!(spoofing.fixed.as_ref().unwrap().as_str(), "1:153.8.0esr-1");
    let available = spoofing.available.as_ref().unwrap();
    assert_eq!(
        (available.version.as_str(), available.suite.as_str()),
        ("1:153.8.0esr-1~deb12u1", "bookworm-security")
    );
    assert!(findings.iter().all(|f| f.available.is_some()));
}
