//! One test per edge case the real data's README lists (each is real), plus the
//! pitfall that a changelog mention is not always a fix.
#![allow(clippy::unwrap_used)]

mod common;

use buckle_debian::Version;
use buckle_vuln::{
    kev, scan, tracker, Changelog, Database, Evidence, IdKind, Installed, MentionKind, NotAFix, Release,
    SourceHistory,
};

fn release(name: &str) -> Release {
    name.parse().unwrap()
}

fn db(release: &str) -> Database {
    let mut db = Database::new();
    for history in common::histories(release) {
        db.add_history(history);
    }
    db
}

fn installed(release: &str, binary: &str) -> Installed {
    let p = common::packages(release)
        .into_iter()
        .find(|p| p.name.as_str() == binary)
        .unwrap();
    Installed {
        name: p.name,
        version: p.version,
        arch: p.arch,
        source: p.source,
        source_version: p.source_version,
        purl: None,
    }
}

fn ids(findings: &[buckle_vuln::Finding]) -> Vec<String> {
    let mut ids: Vec<String> = findings.iter().map(|f| f.id.to_string()).collect();
    ids.sort();
    ids
}

#[test]
fn binnmu_matches_by_its_source_version_and_the_fix_sorts_above_plus_b1() {
    let libssh2 = installed("bookworm", "libssh2-1");
    assert_eq!(
        (libssh2.version.as_str(), libssh2.source_version.as_str()),
        ("1.10.0-3+b1", "1.10.0-3")
    );
    assert!(common::dpkg_lt("1.10.0-3+b1", "1.10.0-3+deb12u1"));
    assert!("1.10.0-3+b1".parse::<Version>().unwrap() < "1.10.0-3+deb12u1".parse().unwrap());
    let findings = scan(&db("bookworm"), &release("bookworm"), &[libssh2]);
    assert_eq!(findings.len(), 6);
    assert!(findings
        .iter()
        .all(|f| f.fixed.as_ref().unwrap().as_str() == "1.10.0-3+deb12u1"));
    assert!(findings.iter().all(|f| f.installed.as_str() == "1.10.0-3+b1"));
    // The binNMU's own changelog.Debian.amd64.gz names only the rebuild, no fixes.
    let dir = common::data_dir().join("changelogs/bookworm/libssh2-1_1.10.0-3+b1/changelog.Debian.amd64.gz");
    let binnmu = Changelog::parse(&common::gunzip(&std::fs::read(dir).unwrap())).unwrap();
    assert_eq!(binnmu.entries.len(), 1);
    assert_eq!(binnmu.entries[0].version.as_str(), "1.10.0-3+b1");
    assert!(binnmu.entries[0].mentions.is_empty());
}

#[test]
fn native_package_changelog_gz_gives_its_fix() {
    let (file, _) = common::changelog_file("bookworm-security", "apt", "2.6.2");
    assert_eq!(file, "changelog.gz");
    let apt = installed("bookworm", "apt");
    assert_eq!(apt.version.revision(), "", "apt is native");
    let findings = scan(&db("bookworm"), &release("bookworm"), &[apt]);
    assert_eq!(ids(&findings), ["CVE-2026-109518"]);
    assert_eq!(findings[0].fixed.as_ref().unwrap().as_str(), "2.6.2");
}

#[test]
fn security_suite_older_than_the_point_release_is_not_taken_as_newest() {
    for (release_name, binary, point, security) in [
        ("bookworm", "sudo", "1.9.13p3-1+deb12u4", "1.9.13p3-1+deb12u2"),
        (
            "bookworm",
            "libxml2",
            "2.9.14+dfsg-1.3~deb12u6",
            "2.9.14+dfsg-1.3~deb12u4",
        ),
        ("trixie", "libssh2-1t64", "1.11.1-1+deb13u2", "1.11.1-1+deb13u1"),
    ] {
        assert!(common::dpkg_lt(security, point));
        let histories = common::histories(release_name);
        let source = installed(release_name, binary).source;
        let history = histories.iter().find(|h| h.source == source).unwrap();
        assert_eq!(
            (history.version.as_str(), history.suite.as_str()),
            (point, release_name),
            "{binary}"
        );
        let findings = scan(
            &db(release_name),
            &release(release_name),
            &[installed(release_name, binary)],
        );
        assert!(
            findings.is_empty(),
            "{binary} at the point release has nothing newer: {findings:?}"
        );
    }
}

#[test]
fn backport_changelog_order_wins_over_a_naive_compare_with_unstable_entries() {
    // libxml2 2.9.14+dfsg-1.3~deb12u6 sorts below the unstable entry 2.9.14+dfsg-1.3
    // below it in its changelog; that entry's CVE-2022-2309 is old history, not a fix.
    assert!(common::dpkg_lt("2.9.14+dfsg-1.3~deb12u6", "2.9.14+dfsg-1.3"));
    let history = common::histories("bookworm")
        .into_iter()
        .find(|h| h.source.as_str() == "libxml2")
        .unwrap();
    let naive: Vec<_> = history
        .changelog
        .entries
        .iter()
        .filter(|e| e.version > history.version)
        .map(|e| e.version.to_string())
        .collect();
    assert!(naive.contains(&"2.9.14+dfsg-1.3".to_owned()), "{naive:?}");
    assert!(history
        .fixes_after(&"2.9.14+dfsg-1.3~deb12u6".parse().unwrap())
        .is_empty());
}

#[test]
fn security_fix_without_a_cve_id_is_reported_as_an_advisory() {
    for (release_name, fixed, line) in [
        (
            "bookworm",
            "5.4.1-1+deb12u2",
            "- Includes security fix for GHSA-5qpq-xqfv-j9pg (Closes: #1147318)",
        ),
        (
            "trixie",
            "5.8.1-1+deb13u2",
            "* GHSA-5qpq-xqfv-j9pg (\"Invalid write if a decoder is reinitialized after",
        ),
    ] {
        let findings = scan(
            &db(release_name),
            &release(release_name),
            &[installed(release_name, "liblzma5")],
        );
        assert_eq!(ids(&findings), ["GHSA-5qpq-xqfv-j9pg"], "{release_name}");
        assert_eq!(findings[0].id.kind(), IdKind::Ghsa);
        assert_eq!(findings[0].fixed.as_ref().unwrap().as_str(), fixed);
        let Evidence::Changelog { lines, .. } = &findings[0].evidence[0] else {
            panic!()
        };
        assert_eq!(lines, &[line]);
    }
}

#[test]
fn trimmed_changelogs_are_detected_and_flag_fixes_that_may_hide_older_ones() {
    // The point release's build keeps all 35 entries; the security build keeps 7.
    for (suite, binary, version, entries, trimmed) in [
        ("bookworm", "libssh2-1", "1.10.0-3+b1", 35, false),
        ("bookworm-security", "libssh2-1", "1.10.0-3+deb12u1", 7, true),
        ("trixie", "libssh2-1t64", "1.11.1-1+deb13u2", 17, true),
    ] {
        let (_, text) = common::changelog_file(suite, binary, version);
        let log = Changelog::parse(&text).unwrap();
        assert_eq!(log.trimmed, trimmed, "{suite} {binary}");
        assert_eq!(log.entries.len(), entries, "{suite} {binary}");
    }
    // An installed version older than every kept entry: fixes are reported, marked.
    let history = common::histories("bookworm")
        .into_iter()
        .find(|h| h.source.as_str() == "libssh2")
        .unwrap();
    let oldest_kept = history.changelog.entries.last().unwrap().version.clone();
    let mut db = Database::new();
    db.add_history(history);
    let old = Installed {
        source_version: "1.8.0-1".parse().unwrap(),
        purl: None,
        version: "1.8.0-1".parse().unwrap(),
        ..installed("bookworm", "libssh2-1")
    };
    assert!(old.source_version < oldest_kept);
    let findings = scan(&db, &release("bookworm"), &[old]);
    assert!(!findings.is_empty());
    assert!(findings
        .iter()
        .all(|f| matches!(&f.evidence[0], Evidence::Changelog { trimmed: true, .. })));
    let current = scan(&db, &release("bookworm"), &[installed("bookworm", "libssh2-1")]);
    assert!(current
        .iter()
        .all(|f| matches!(&f.evidence[0], Evidence::Changelog { trimmed: false, .. })));
}

#[test]
fn epochs_order_and_print_in_fixed_versions() {
    assert!(common::dpkg_lt("5:7.0.15-1~deb12u7", "5:7.0.15-1~deb12u10"));
    assert!(
        common::dpkg_lt("7.0.15-1~deb12u10", "5:7.0.15-1~deb12u7"),
        "an epoch outranks everything after it"
    );
    let redis = scan(
        &db("bookworm"),
        &release("bookworm"),
        &[installed("bookworm", "redis-server")],
    );
    assert_eq!(redis.len(), 5);
    assert!(redis.iter().all(|f| f
        .fixed
        .as_ref()
        .unwrap()
        .as_str()
        .starts_with("5:7.0.15-1~deb12u")));
    let vim = scan(
        &db("trixie"),
        &release("trixie"),
        &[installed("trixie", "vim-tiny")],
    );
    assert_eq!(vim.len(), 40);
    assert!(vim
        .iter()
        .all(|f| f.fixed.as_ref().unwrap().as_str() == "2:9.1.1230-2+deb13u1"));
}

#[test]
fn advisory_without_a_cve_xref_is_its_own_finding() {
    let path = "tracker/DSA-6545-1.json";
    let advisories = tracker::parse(path, &common::read(path)).unwrap();
    assert_eq!(advisories.len(), 1);
    assert_eq!(advisories[0].id.as_str(), "DSA-6545-1");
    let mut db = Database::new();
    db.add_advisories(advisories);
    let roundcube = |version: &str| Installed {
        name: "roundcube-core".parse().unwrap(),
        version: version.parse().unwrap(),
        arch: "all".parse().unwrap(),
        source: "roundcube".parse().unwrap(),
        source_version: version.parse().unwrap(),
        purl: None,
    };
    let findings = scan(&db, &release("trixie"), &[roundcube("1.6.18+dfsg-0+deb13u1")]);
    assert_eq!(ids(&findings), ["DSA-6545-1"]);
    assert_eq!(
        findings[0].fixed.as_ref().unwrap().as_str(),
        "1.6.19+dfsg-0+deb13u1"
    );
    assert!(scan(&db, &release("trixie"), &[roundcube("1.6.19+dfsg-0+deb13u1")]).is_empty());
    assert!(
        scan(&db, &release("bookworm"), &[roundcube("1.6.0-1")]).is_empty(),
        "the DSA is for trixie"
    );
}

#[test]
fn tracker_record_still_at_todo_does_not_hide_the_changelog_fix() {
    let path = "tracker/CVE-2025-27363.json";
    let todo = tracker::parse(path, &common::read(path)).unwrap();
    assert!(todo.is_empty(), "a TODO names no package");
    let mut db = db("bookworm");
    db.add_advisories(todo);
    db.set_kev(kev::parse("kev", &common::read("kev/known_exploited_vulnerabilities.json")).unwrap());
    let freetype = Installed {
        name: "libfreetype6".parse().unwrap(),
        version: "2.12.1+dfsg-5+deb12u3".parse().unwrap(),
        arch: "amd64".parse().unwrap(),
        source: "freetype".parse().unwrap(),
        source_version: "2.12.1+dfsg-5+deb12u3".parse().unwrap(),
        purl: None,
    };
    let findings = scan(&db, &release("bookworm"), &[freetype]);
    assert_eq!(ids(&findings), ["CVE-2025-27363"]);
    let kev = findings[0].kev.as_ref().unwrap();
    assert_eq!(
        (kev.date_added.as_str(), kev.due_date.as_str()),
        ("2025-05-06", "2025-05-27")
    );
}

#[test]
fn changelog_mentions_that_are_not_fixes_are_not_reported() {
    // Real lines: a patch dropped because upstream has the fix, tests for a CVE.
    let (_, apache) = common::changelog_file("bookworm", "apache2-bin", "2.4.68-1~deb12u1");
    let log = Changelog::parse(&apache).unwrap();
    let dropped: Vec<_> = log.entries[0]
        .mentions
        .iter()
        .filter(|m| m.kind == MentionKind::NotAFix(NotAFix::Upstreamed))
        .map(|m| m.line.as_str())
        .collect();
    assert_eq!(
        dropped,
        [
            "* Drop CVE-2026-49975_1.patch, now included in upstream",
            "* Drop CVE-2026-49975_2.patch, now included in upstream"
        ]
    );
    let (_, libxml2) = common::changelog_file("bookworm", "libxml2", "2.9.14+dfsg-1.3~deb12u6");
    let log = Changelog::parse(&libxml2).unwrap();
    let tests = log.entries[0]
        .mentions
        .iter()
        .find(|m| m.id.as_str() == "CVE-2025-49796")
        .unwrap();
    assert_eq!(tests.kind, MentionKind::NotAFix(NotAFix::TestsOnly));
    // A history whose only newer mention of a CVE drops its patch: nothing to report,
    // while the fix in the same history is.
    let text = "apache2 (2.4.68-1~deb12u1) bookworm; urgency=medium\n\n  * Drop CVE-2026-49975_1.patch, now included in upstream\n  * Fix CVE-2026-1234\n\n -- M <m@e.org>  Sat, 04 Jul 2026 10:00:00 +0200\n\napache2 (2.4.67-1~deb12u3) bookworm-security; urgency=high\n\n  * Fix a crash\n\n -- M <m@e.org>  Sat, 04 Jul 2026 10:00:00 +0200\n";
    let history = SourceHistory {
        release: release("bookworm"),
        source: "apache2".parse().unwrap(),
        version: "2.4.68-1~deb12u1".parse().unwrap(),
        suite: "bookworm".into(),
        binary: "apache2-bin".parse().unwrap(),
        binary_version: "2.4.68-1~deb12u1".parse().unwrap(),
        deb_sha256: None,
        changelog_path: "usr/share/doc/apache2-bin/changelog.Debian.gz".into(),
        changelog: Changelog::parse(text).unwrap(),
    };
    let fixes = history.fixes_after(&"2.4.67-1~deb12u3".parse().unwrap());
    let fixed: Vec<&str> = fixes.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(fixed, ["CVE-2026-1234"]);
}
