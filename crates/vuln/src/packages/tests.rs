use super::*;

const JINJA2: &str = include_str!("../../testdata/osv/GHSA-cpwx-vrp4-4pq7.json");
const COOKIE: &str = include_str!("../../testdata/osv/GHSA-pxg6-pf52-xh8x.json");
const BODY_PARSER: &str = include_str!("../../testdata/osv/GHSA-qwcr-r2fm-qrc7.json");

fn advisories() -> Vec<PackageAdvisory> {
    [JINJA2, COOKIE, BODY_PARSER]
        .iter()
        .flat_map(|record| parse_osv("record.json", record.as_bytes()).unwrap())
        .collect()
}

fn installed(ecosystem: &str, name: &str, version: &str) -> AppInstalled {
    AppInstalled {
        ecosystem: ecosystem.into(),
        name: name.into(),
        version: version.into(),
        purl: format!("pkg:{}/{name}@{version}", ecosystem.to_ascii_lowercase()),
    }
}

#[test]
fn records_are_read_with_their_cve_ranges_and_severity() {
    let all = advisories();
    assert_eq!(all.len(), 3);
    let jinja = &all[0];
    assert_eq!(jinja.id, "CVE-2025-27516");
    assert_eq!(jinja.aliases, ["GHSA-cpwx-vrp4-4pq7"]);
    assert_eq!(
        (jinja.ecosystem.as_str(), jinja.name.as_str()),
        ("PyPI", "jinja2")
    );
    assert_eq!(
        jinja.ranges,
        [AffectedRange {
            introduced: None,
            fixed: Some("3.1.6".into()),
            last_affected: None
        }]
    );
    assert_eq!(jinja.severity, Some(Severity::Medium));
    assert_eq!(jinja.record, "osv GHSA-cpwx-vrp4-4pq7");
}

#[test]
fn installed_versions_before_the_fix_are_found_and_later_ones_are_not() {
    let packages = [
        installed("PyPI", "Jinja2", "3.1.5"),
        installed("PyPI", "jinja2", "3.1.6"),
        installed("npm", "cookie", "0.6.0"),
        installed("npm", "cookie", "0.7.1"),
        installed("npm", "body-parser", "1.20.3"),
        installed("npm", "body-parser", "1.20.2"),
        installed("PyPI", "cookie", "0.1.0"),
    ];
    let found: Vec<(String, String, String, Option<String>)> = scan_packages(&advisories(), &packages)
        .into_iter()
        .map(|f| (f.name, f.installed, f.id, f.fixed))
        .collect();
    assert_eq!(
        found,
        [
            (
                "Jinja2".into(),
                "3.1.5".into(),
                "CVE-2025-27516".into(),
                Some("3.1.6".into())
            ),
            (
                "body-parser".into(),
                "1.20.2".into(),
                "CVE-2024-45590".into(),
                Some("1.20.3".into())
            ),
            (
                "cookie".into(),
                "0.6.0".into(),
                "CVE-2024-47764".into(),
                Some("0.7.0".into())
            ),
        ],
        "names compare per ecosystem: a PyPI `cookie` is not npm's"
    );
}

#[test]
fn listed_versions_last_affected_and_withdrawn_records_are_honoured() {
    // A made-up record in OSV's shape: one introduced/last_affected range and a list.
    let record = r#"{"id": "GHSA-aaaa-bbbb-cccc", "affected": [{"package": {"ecosystem": "PyPI", "name": "Some_Package"},
        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "2.0"}, {"last_affected": "2.4.1"}]},
                   {"type": "GIT", "events": [{"introduced": "abc"}]}],
        "versions": ["1.0rc1"]}]}"#;
    let advisories = parse_osv("made-up.json", record.as_bytes()).unwrap();
    let hit =
        |version: &str| !scan_packages(&advisories, &[installed("PyPI", "some-package", version)]).is_empty();
    assert!(hit("1.0rc1"));
    assert!(!hit("1.0"));
    assert!(hit("2.0.0") && hit("2.4.1"));
    assert!(!hit("2.4.2") && !hit("1.9"));
    let withdrawn = record.replacen('{', r#"{"withdrawn": "2025-01-01T00:00:00Z", "#, 1);
    assert!(parse_osv("w.json", withdrawn.as_bytes()).unwrap().is_empty());
    let debian = r#"{"id": "DSA-1-1", "affected": [{"package": {"ecosystem": "Debian:12", "name": "x"}}]}"#;
    assert!(parse_osv("d.json", debian.as_bytes()).unwrap().is_empty());
}

#[test]
fn versions_order_as_pep_440_and_semver_do() {
    let ordered = [
        "0.9",
        "1.0.dev1",
        "1.0a1",
        "1.0b2",
        "1.0rc1",
        "1.0",
        "1.0.0",
        "1.0.post1",
        "1.0.1",
        "1.2.3-beta.1",
        "1.2.3",
        "1!0.1",
    ];
    for pair in ordered.windows(2) {
        let order = compare(pair[0], pair[1]);
        if pair == ["1.0", "1.0.0"] {
            assert_eq!(order, Ordering::Equal);
        } else {
            assert_eq!(order, Ordering::Less, "{} < {}", pair[0], pair[1]);
        }
    }
    assert_eq!(compare("3.1.10", "3.1.6"), Ordering::Greater);
}
