use crate::*;
use buckle_digest::Sha256;
use std::collections::BTreeMap;

pub(crate) fn package(name: &str, version: &str, arch: &str) -> LockedPackage {
    LockedPackage {
        name: name.parse().unwrap(),
        version: version.parse().unwrap(),
        architecture: arch.parse().unwrap(),
        source: name.parse().unwrap(),
        source_version: version.parse().unwrap(),
        suite: "trixie".parse().unwrap(),
        path: format!("pool/main/x/{name}/{name}_{version}_{arch}.deb")
            .parse()
            .unwrap(),
        size: 1000 + name.len() as u64,
        sha256: Sha256::of(format!("{name}{version}").as_bytes()),
    }
}

pub(crate) fn lock(runtime: Vec<LockedPackage>, dev: Vec<LockedPackage>) -> Lock {
    let mut variants = BTreeMap::new();
    variants.insert(Variant::Runtime, runtime);
    variants.insert(Variant::Dev, dev);
    Lock {
        spec_sha256: Sha256::of(b"spec"),
        source_date_epoch: 1757409731,
        archive: vec![
            SuiteState {
                suite: "trixie-security".parse().unwrap(),
                codename: "trixie-security".parse().unwrap(),
                date: "Tue, 09 Sep 2025 18:02:11 UTC".into(),
                inrelease_sha256: Sha256::of(b"security"),
                indexes: vec![index("main/binary-amd64/Packages.xz", 20_000)],
            },
            SuiteState {
                suite: "trixie".parse().unwrap(),
                codename: "trixie".parse().unwrap(),
                date: "Sat, 06 Sep 2025 09:21:53 UTC".into(),
                inrelease_sha256: Sha256::of(b"trixie"),
                indexes: vec![
                    index("main/binary-amd64/Packages.xz", 9_000_000),
                    index("main/binary-all/Packages.xz", 4_000_000),
                ],
            },
        ],
        images: BTreeMap::from([("amd64".parse().unwrap(), variants)]),
        upstream: Vec::new(),
    }
}

fn index(path: &str, size: u64) -> IndexFile {
    IndexFile {
        path: path.parse().unwrap(),
        size,
        sha256: Sha256::of(path.as_bytes()),
    }
}

fn sample() -> Lock {
    lock(
        vec![
            package("zlib1g", "1:1.3.dfsg-3", "amd64"),
            package("libc6", "2.41-12", "amd64"),
            package("tzdata", "2025b-4", "all"),
        ],
        vec![
            package("bash", "5.2.37-2", "amd64"),
            package("libc6", "2.41-12", "amd64"),
        ],
    )
}

#[test]
fn lock_round_trips_through_toml() {
    let lock = sample();
    let text = lock.to_toml();
    let parsed = Lock::parse(&text, "x.lock").unwrap();
    assert_eq!(parsed.to_toml(), text);
    assert_eq!(
        parsed.packages(&"amd64".parse().unwrap(), Variant::Runtime).len(),
        3
    );
    assert_eq!(
        parsed.packages(&"arm64".parse().unwrap(), Variant::Runtime).len(),
        0
    );
}

#[test]
fn lock_text_is_sorted_whatever_the_input_order() {
    let mut shuffled = sample();
    shuffled.archive.reverse();
    for variants in shuffled.images.values_mut() {
        for packages in variants.values_mut() {
            packages.reverse();
        }
    }
    assert_eq!(shuffled.to_toml(), sample().to_toml());
    let text = sample().to_toml();
    let names: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("  { name = \""))
        .map(|l| l.split('"').next().unwrap())
        .collect();
    assert_eq!(names, ["libc6", "tzdata", "zlib1g", "bash", "libc6"]);
    assert!(text.find("suite = \"trixie\"").unwrap() < text.find("suite = \"trixie-security\"").unwrap());
}

#[test]
fn lock_records_each_suites_indexes_sorted_by_path() {
    let text = sample().to_toml();
    let parsed = Lock::parse(&text, "x.lock").unwrap();
    let trixie = parsed
        .archive
        .iter()
        .find(|s| s.suite.as_str() == "trixie")
        .unwrap();
    let paths: Vec<&str> = trixie.indexes.iter().map(|i| i.path.as_str()).collect();
    assert_eq!(
        paths,
        ["main/binary-all/Packages.xz", "main/binary-amd64/Packages.xz"]
    );
    assert_eq!(trixie.indexes[1].path.arch().as_str(), "amd64");
    assert_eq!(trixie.indexes[1].path.component().as_str(), "main");
    assert_eq!(trixie.indexes[1].size, 9_000_000);
    assert_eq!(
        trixie.indexes[1].sha256,
        Sha256::of(b"main/binary-amd64/Packages.xz")
    );
}

#[test]
fn lock_written_before_indexes_were_recorded_still_reads() {
    let mut old = sample();
    for suite in &mut old.archive {
        suite.indexes.clear();
    }
    let text = old.to_toml();
    assert!(!text.contains("indexes"), "{text}");
    assert_eq!(Lock::parse(&text, "x.lock").unwrap().to_toml(), text);
}

#[test]
fn lock_with_an_index_outside_dists_is_rejected() {
    let text = sample()
        .to_toml()
        .replace("\"main/binary-all/Packages.xz\"", "\"../../../etc/Packages\"");
    let err = Lock::parse(&text, "python.lock").unwrap_err();
    let line = text.lines().position(|l| l.contains("../../../etc")).unwrap() + 1;
    assert_eq!(err.location().unwrap().line, line, "{err}");
    assert!(
        err.to_string()
            .contains("is not `<component>/binary-<arch>/Packages"),
        "{err}"
    );
}

#[test]
fn lock_never_contains_a_url() {
    let text = sample().to_toml();
    assert!(!text.contains("://"), "{text}");
    assert!(!text.contains("http"), "{text}");
}

#[test]
fn lock_strings_are_escaped() {
    let mut lock = sample();
    lock.archive[0].date = "a \"quoted\" \\ date\u{7}".into();
    let parsed = Lock::parse(&lock.to_toml(), "x.lock").unwrap();
    assert_eq!(
        parsed
            .archive
            .iter()
            .find(|s| s.suite.as_str() == "trixie-security")
            .unwrap()
            .date,
        "a \"quoted\" \\ date\u{7}"
    );
}

#[test]
fn lock_with_a_bad_digest_points_at_the_line() {
    let text = sample()
        .to_toml()
        .replace(&Sha256::of(b"bash5.2.37-2").hex(), "nothex");
    let err = Lock::parse(&text, "python.lock").unwrap_err();
    let line = text.lines().position(|l| l.contains("nothex")).unwrap() + 1;
    assert_eq!(err.location().unwrap().line, line, "{err}");
    assert!(
        err.to_string().starts_with(&format!("python.lock:{line}:")),
        "{err}"
    );
}

#[test]
fn lock_with_a_pool_path_escaping_the_mirror_is_rejected() {
    let text = sample().to_toml().replace("pool/main/x/bash/", "pool/../../etc/");
    let err = Lock::parse(&text, "python.lock").unwrap_err();
    assert!(err.to_string().contains("is not a valid pool path"), "{err}");
}

#[test]
fn lock_with_a_package_twice_in_one_image_is_rejected() {
    let text = sample().to_toml();
    let libc = text.lines().find(|l| l.contains("name = \"libc6\"")).unwrap();
    let doubled = text.replacen(libc, &format!("{libc}\n{libc}"), 1);
    let err = Lock::parse(&doubled, "python.lock").unwrap_err();
    assert!(matches!(err, Error::Duplicate { .. }), "{err}");
    assert!(err.to_string().contains("`libc6:amd64` is listed twice"), "{err}");
}

#[test]
fn lock_of_another_format_version_is_refused() {
    let text = sample().to_toml().replace("version = 1\n", "version = 2\n");
    let err = Lock::parse(&text, "python.lock").unwrap_err();
    assert_eq!(
        err.to_string(),
        "python.lock:2:11: `version`: lock format version 2 is not supported: expected 1"
    );
    let unknown = sample()
        .to_toml()
        .replace("version = 1\n", "version = 1\nmirror = \"http://x\"\n");
    assert!(matches!(
        Lock::parse(&unknown, "x.lock").unwrap_err(),
        Error::UnknownKey { .. }
    ));
}

#[test]
fn stale_lock_is_detected_by_the_spec_digest() {
    let text = "name = \"x\"\npackages = [\"libc6\"]\n";
    let spec = Spec::parse(text, "x.toml").unwrap();
    let mut lock = sample();
    lock.spec_sha256 = spec.sha256();
    assert!(lock.check_fresh(&spec).is_ok());
    let edited = Spec::parse(&format!("{text}description = \"d\"\n"), "x.toml").unwrap();
    let err = lock.check_fresh(&edited).unwrap_err();
    assert!(matches!(err, Error::StaleLock { .. }));
    assert!(err.hint().unwrap().contains("buckle lock"));
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn arb_package() -> impl Strategy<Value = LockedPackage> {
        (
            "[a-z][a-z0-9+.-]{1,12}",
            "[1-9]:[0-9][0-9.+~a-z]{0,6}-[0-9a-z.+~]{1,4}",
            prop_oneof!["amd64", "all"],
        )
            .prop_map(|(name, version, arch)| package(&name, &version, &arch))
    }

    proptest! {
        #[test]
        fn any_lock_round_trips_byte_for_byte(packages in proptest::collection::vec(arb_package(), 0..20)) {
            let mut unique = BTreeMap::new();
            for p in packages {
                unique.insert((p.name.clone(), p.architecture.clone()), p);
            }
            let lock = lock(unique.into_values().collect(), vec![]);
            let text = lock.to_toml();
            let parsed = Lock::parse(&text, "x.lock").unwrap();
            prop_assert_eq!(parsed.to_toml(), text);
        }

        #[test]
        fn arbitrary_text_never_panics_the_lock_reader(text in "\\PC{0,300}") {
            let _ = Lock::parse(&text, "fuzz.lock");
        }
    }
}

#[test]
fn upstream_entries_round_trip_sorted_and_name_their_purl() {
    let mut lock = sample();
    let node = |arch: &str| LockedUpstream {
        name: "node".into(),
        architecture: arch.parse().unwrap(),
        version: "22.23.5".into(),
        npm: Some(format!("node-linux-{arch}")),
        url: None,
        size: 51_659_697,
        sha256: Sha256::of(arch.as_bytes()),
        integrity: Some("sha512-3jhC+wcoWxKZ==".into()),
    };
    lock.upstream = vec![node("arm64"), node("amd64")];
    let text = lock.to_toml();
    assert!(text.contains("upstream = [\n  { name = \"node\", architecture = \"amd64\", version = \"22.23.5\", npm = \"node-linux-amd64\", size = 51659697"), "{text}");
    let back = Lock::parse(&text, "x.lock").unwrap();
    assert_eq!(back.upstream[0].architecture.as_str(), "amd64");
    assert_eq!(back.to_toml(), text);
    assert_eq!(back.upstream[0].purl(), "pkg:npm/node-linux-amd64@22.23.5");
    let url = LockedUpstream {
        npm: None,
        url: Some("https://example.invalid/dist/v1/t 1.tgz".into()),
        integrity: None,
        ..node("amd64")
    };
    assert_eq!(
        url.purl(),
        "pkg:generic/node@22.23.5?download_url=https://example.invalid/dist/v1/t%201.tgz"
    );
}

#[test]
fn upstream_entry_with_neither_npm_nor_url_is_rejected() {
    let text = format!(
        "{}upstream = [{{ name = \"n\", architecture = \"amd64\", version = \"1\", size = 1, sha256 = \"{}\" }}]\n",
        "version = 1\nspec-sha256 = \"".to_owned() + &Sha256::of(b"s").hex() + "\"\nsource-date-epoch = 1\n",
        Sha256::of(b"x").hex()
    );
    let err = Lock::parse(&text, "x.lock").unwrap_err();
    assert!(
        err.to_string().contains("exactly one of `npm` and `url`"),
        "{err}"
    );
}
