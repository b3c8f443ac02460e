//! `buckle feeds import`, `buckle feeds update` and `buckle scan` on the real
//! vulnerability data (`buckle_testkit::vulndata`): the Debian security tracker records
//! and the CISA KEV catalog imported into a private cache, the archive feed read from a
//! signed loopback archive of the real Packages stanzas and changelogs, then a dpkg
//! status file made of the real bookworm stanzas, images of the same packages with and
//! without dpkg file lists, and their SBOM scanned in every format, gated with
//! `--fail-on`, and VEX applied.

use crate::cli::{Buckle, Run};
use crate::fixture::update_archive_feed;
use buckle_oci::layout::LayoutWriter;
use buckle_oci::tar::{Compression, Entry};
use buckle_oci::{ImageConfig, ImageIndex, ImageManifest, RelPath, RootFs};
use buckle_testkit::keys::TestKey;
use buckle_testkit::repo::{RepoBuilder, SuiteBuilder};
use buckle_testkit::vulndata;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// The known-exploited finding of the historical apache2-bin (the data's scenario S3).
const KEV_ID: &str = "CVE-2024-38475";
/// The apache2-bin version before the fixes of DSA-5729-1.
const HISTORICAL_APACHE: &str = "2.4.59-1~deb12u1";

/// A private cache and working directory.
struct Scan {
    _dir: TempDir,
    work: PathBuf,
    buckle: Buckle,
}

impl Scan {
    /// With nothing in the feed store.
    fn empty() -> Scan {
        let dir = tempfile::tempdir().unwrap();
        let work = dir.path().join("work");
        std::fs::create_dir(&work).unwrap();
        let buckle = Buckle::new(&work, &dir.path().join("cache"));
        Scan {
            _dir: dir,
            work,
            buckle,
        }
    }

    /// With the real tracker records and KEV catalog imported, and bookworm's archive
    /// feed read from an archive without newer uploads (the tracker alone has fixes).
    fn imported() -> Scan {
        let scan = Scan::empty();
        scan.update_archive("bookworm", &[]).ok();
        let data = vulndata::dir();
        let mut files = vec![data.join("kev/known_exploited_vulnerabilities.json")];
        for entry in std::fs::read_dir(data.join("tracker")).unwrap() {
            files.push(entry.unwrap().path());
        }
        let mut args = vec!["feeds".to_owned(), "import".to_owned()];
        args.extend(files.iter().map(|f| f.display().to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = scan.buckle.run(&args).ok();
        assert!(
            run.stderr.contains("Imported CISA KEV catalog: 1404 records"),
            "{}",
            run.stderr
        );
        assert!(
            run.stderr.contains("Imported Debian security tracker"),
            "{}",
            run.stderr
        );
        scan
    }

    /// Writes `name` in the working directory.
    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.work.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn run(&self, args: &[&str]) -> Run {
        self.buckle.run(args)
    }

    /// `buckle feeds update --release RELEASE --archive-only` against a signed loopback
    /// archive of the release, its -updates and its -security suite: those named in
    /// `real` hold the real stanzas and changelogs, the others nothing.
    fn update_archive(&self, release: &str, real: &[&str]) -> Run {
        let key = TestKey::generate("archive");
        let mut repo = RepoBuilder::new(&key);
        for suite in [
            release.to_owned(),
            format!("{release}-updates"),
            format!("{release}-security"),
        ] {
            repo = repo.suite(if real.contains(&suite.as_str()) {
                vulndata::suite(&suite)
            } else {
                SuiteBuilder::new(&suite)
            });
        }
        let server = repo.build().serve();
        let keyring = self.write(&format!("{release}.asc"), &key.armored_public());
        update_archive_feed(&self.buckle, &server.url(), release, keyring.to_str().unwrap())
    }
}

/// A dpkg status file of the real bookworm point-release stanzas, every package
/// installed, apache2-bin at `apache` instead of its point-release version.
fn bookworm_status(apache: &str) -> String {
    let status = release_status("bookworm", Some(apache));
    assert_eq!(status.matches("Package: ").count(), 11);
    status
}

/// A dpkg status file of the real point-release stanzas of `release`, every package
/// installed, apache2-bin at `apache` when given.
fn release_status(release: &str, apache: Option<&str>) -> String {
    let text = String::from_utf8(vulndata::read(&format!("packages/{release}.Packages"))).unwrap();
    let mut stanzas = Vec::new();
    for stanza in text.trim().split("\n\n") {
        let is_apache = stanza.starts_with("Package: apache2-bin\n");
        let mut lines: Vec<String> = Vec::new();
        for line in stanza.lines() {
            match (line.strip_prefix("Version: "), apache) {
                (Some(_), Some(apache)) if is_apache => lines.push(format!("Version: {apache}")),
                _ => lines.push(line.to_owned()),
            }
            if line.starts_with("Package: ") {
                lines.push("Status: install ok installed".to_owned());
            }
        }
        stanzas.push(lines.join("\n"));
    }
    stanzas.join("\n\n") + "\n"
}

fn scan_args<'a>(status: &'a Path, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["scan", status.to_str().unwrap(), "--release", "bookworm"];
    args.extend_from_slice(extra);
    args
}

fn ids(findings: &Value) -> Vec<&str> {
    findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect()
}

/// The tracker's DSA-5729-1 fixes, in bookworm's 2.4.61-1~deb12u1.
const DSA_5729_1: [&str; 7] = [
    "CVE-2024-36387",
    "CVE-2024-38473",
    "CVE-2024-38474",
    "CVE-2024-38475",
    "CVE-2024-38476",
    "CVE-2024-38477",
    "CVE-2024-39573",
];

#[test]
fn imported_feeds_find_the_tracker_fixes_kev_first_in_every_format() {
    let scan = Scan::imported();
    let status = scan.write("status", &bookworm_status(HISTORICAL_APACHE));

    let table = scan.run(&scan_args(&status, &[])).ok();
    assert!(
        table
            .stderr
            .contains("Feed CISA KEV catalog: 1404 records (data of 2025-08-25"),
        "{}",
        table.stderr
    );
    assert!(
        table
            .stderr
            .contains("11 packages (bookworm), 7 findings, 1 KEV, 0 suppressed by VEX"),
        "{}",
        table.stderr
    );
    let rows: Vec<&str> = table.stdout.lines().collect();
    assert!(rows[0].starts_with("ID "), "{}", table.stdout);
    assert_eq!(rows.len(), 8, "{}", table.stdout);
    assert!(
        rows[1].starts_with(KEV_ID) && rows[1].contains("due 2025-05-22"),
        "known-exploited first: {}",
        table.stdout
    );
    assert!(rows[1..].iter().all(|r| r.contains("2.4.61-1~deb12u1")));

    let json = scan.run(&scan_args(&status, &["--format", "json"])).ok().json();
    let mut found = ids(&json["findings"]);
    assert_eq!(found[0], KEV_ID);
    found.sort_unstable();
    assert_eq!(found, DSA_5729_1);
    let kev = &json["findings"][0];
    assert_eq!(kev["kev"]["date_added"], "2025-05-01");
    assert_eq!(kev["fixed"], "2.4.61-1~deb12u1");
    assert_eq!(kev["evidence"][0]["record"], "tracker DSA-5729-1");
    assert_eq!(json["release"], "bookworm");

    let sarif_path = scan.work.join("scan.sarif");
    scan.run(&scan_args(
        &status,
        &["--format", "sarif", "-o", sarif_path.to_str().unwrap()],
    ))
    .ok();
    let sarif: Value = serde_json::from_slice(&std::fs::read(&sarif_path).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    assert_eq!(run["results"].as_array().unwrap().len(), 7);
    let rule = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == KEV_ID)
        .unwrap();
    assert_eq!(
        rule["properties"]["security-severity"], "9.5",
        "KEV counts as critical: {rule}"
    );

    let openvex = scan
        .run(&scan_args(&status, &["--format", "openvex"]))
        .ok()
        .json();
    assert_eq!(openvex["@context"], "https://openvex.dev/ns/v0.2.0");
    let statements = openvex["statements"].as_array().unwrap();
    assert_eq!(statements.len(), 7);
    assert!(statements.iter().all(|s| s["status"] == "affected"
        && s["products"][0]["@id"]
            .as_str()
            .unwrap()
            .starts_with("pkg:deb/debian/apache2-bin@2.4.59-1~deb12u1")));
}

#[test]
fn fail_on_kev_exits_1_with_a_known_exploited_finding_and_0_without() {
    let scan = Scan::imported();
    let old = scan.write("old-status", &bookworm_status(HISTORICAL_APACHE));
    let run = scan.run(&scan_args(&old, &["--fail-on", "kev"])).fails_with(1);
    assert!(run.stderr.contains("--fail-on matched: 1 kev"), "{}", run.stderr);
    scan.run(&scan_args(&old, &["--fail-on", "fixable"]))
        .fails_with(1);

    let current = scan.write("status", &bookworm_status("2.4.68-1~deb12u1"));
    let run = scan
        .run(&scan_args(&current, &["--fail-on", "kev", "--format", "json"]))
        .ok();
    assert!(
        !ids(&run.json()["findings"]).contains(&KEV_ID),
        "2.4.68 has the fix: {}",
        run.stdout
    );
}

#[test]
fn a_vex_statement_suppresses_exactly_its_finding_and_show_suppressed_shows_it() {
    let scan = Scan::imported();
    let status = scan.write("status", &bookworm_status(HISTORICAL_APACHE));
    let vex = scan.write(
        "apache.vex.json",
        &format!(
            r#"{{"@context": "https://openvex.dev/ns/v0.2.0", "@id": "urn:test:vex", "author": "platform team",
  "timestamp": "2026-11-23T00:00:00Z", "version": 1,
  "statements": [{{"vulnerability": {{"name": "{KEV_ID}"}}, "products": [{{"@id": "pkg:deb/debian/apache2-bin"}}],
    "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path",
    "impact_statement": "mod_rewrite is not loaded"}}]}}"#
        ),
    );
    let vex = vex.to_str().unwrap();
    let run = scan
        .run(&scan_args(
            &status,
            &["--vex", vex, "--fail-on", "kev", "--format", "json"],
        ))
        .ok();
    assert!(
        run.stderr.contains("6 findings, 0 KEV, 1 suppressed by VEX"),
        "{}",
        run.stderr
    );
    let shown = run.json();
    let mut expected: Vec<&str> = DSA_5729_1.iter().copied().filter(|id| *id != KEV_ID).collect();
    let mut found = ids(&shown["findings"]);
    found.sort_unstable();
    expected.sort_unstable();
    assert_eq!(found, expected);

    let run = scan
        .run(&scan_args(
            &status,
            &["--vex", vex, "--show-suppressed", "--format", "json"],
        ))
        .ok();
    let all = run.json();
    assert_eq!(all["findings"].as_array().unwrap().len(), 7);
    let suppressed: Vec<&Value> = all["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f.get("vex").is_some())
        .collect();
    assert_eq!(suppressed.len(), 1);
    assert_eq!(suppressed[0]["id"], KEV_ID);
    assert_eq!(suppressed[0]["vex"]["status"], "not_affected");
    assert_eq!(suppressed[0]["vex"]["origin"], vex);

    let table = scan
        .run(&scan_args(&status, &["--vex", vex, "--show-suppressed"]))
        .ok();
    let row = table.stdout.lines().find(|l| l.starts_with(KEV_ID)).unwrap();
    assert!(row.contains("[VEX NotAffected"), "{row}");
}

#[test]
fn an_empty_feed_store_exits_2_with_a_hint() {
    let scan = Scan::empty();
    let status = scan.write("status", &bookworm_status(HISTORICAL_APACHE));
    let run = scan.run(&scan_args(&status, &[])).fails_with(2);
    assert!(
        run.stderr
            .contains("error: no vulnerability data: the feed store is empty"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("hint: run `buckle feeds update`")
            && run.stderr.contains("`buckle feeds import FILES`"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}

#[test]
fn a_not_affected_statement_without_a_justification_is_an_error_naming_it() {
    let scan = Scan::imported();
    let status = scan.write("status", &bookworm_status(HISTORICAL_APACHE));
    let vex = scan.write(
        "bad.vex.json",
        &format!(
            r#"{{"@context": "https://openvex.dev/ns/v0.2.0", "statements": [
  {{"vulnerability": {{"name": "CVE-2024-36387"}}, "status": "affected"}},
  {{"vulnerability": {{"name": "{KEV_ID}"}}, "status": "not_affected"}}]}}"#
        ),
    );
    let run = scan
        .run(&scan_args(&status, &["--vex", vex.to_str().unwrap()]))
        .fails_with(2);
    assert!(
        run.stderr.contains(&format!(
            "error: VEX document `{}`: statement 2 ({KEV_ID}) says not_affected without a `justification`",
            vex.display()
        )),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("hint: ") && run.stderr.contains("vulnerable_code_not_present"));
    assert!(run.stdout.is_empty(), "no findings are printed: {}", run.stdout);
}

#[test]
fn several_targets_are_scanned_in_one_run_and_gated_together() {
    let scan = Scan::imported();
    let old = scan.write("old-status", &bookworm_status(HISTORICAL_APACHE));
    let current = scan.write("status", &bookworm_status("2.4.68-1~deb12u1"));
    let both = [old.to_str().unwrap(), current.to_str().unwrap()];
    let args = |extra: &[&'static str]| {
        let mut args = vec!["scan", both[0], both[1], "--release", "bookworm"];
        args.extend_from_slice(extra);
        args
    };
    let run = scan.run(&args(&["--format", "json"])).ok();
    assert_eq!(
        run.stderr.matches("Feed CISA KEV catalog").count(),
        1,
        "the feeds are read once: {}",
        run.stderr
    );
    let documents = run.json();
    let documents = documents.as_array().unwrap();
    assert_eq!(documents.len(), 2);
    assert_eq!(documents[0]["target"], both[0]);
    assert_eq!(documents[0]["findings"].as_array().unwrap().len(), 7);
    assert_eq!(documents[1]["target"], both[1]);
    assert!(!ids(&documents[1]["findings"]).contains(&KEV_ID));

    let sarif = scan.run(&args(&["--format", "sarif"])).ok().json();
    let runs = sarif["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2, "one SARIF log, a run per target");
    assert_eq!(runs[0]["results"].as_array().unwrap().len(), 7);

    let run = scan.run(&args(&["--fail-on", "kev"])).fails_with(1);
    assert!(run.stdout.contains(&format!("{}:", both[1])), "{}", run.stdout);
    scan.run(&["scan", both[1], "--release", "bookworm", "--fail-on", "kev"])
        .ok();
}

/// Writes an OCI layout at `path` whose one layer holds `files` (path -> content), with
/// their parent directories.
fn write_layout(path: &Path, files: &BTreeMap<String, Vec<u8>>) {
    let rel = |p: &str| RelPath::new(p).unwrap();
    let mut dirs = BTreeSet::new();
    for file in files.keys() {
        let mut parent = Path::new(file).parent();
        while let Some(dir) = parent.filter(|d| !d.as_os_str().is_empty()) {
            dirs.insert(dir.to_str().unwrap().to_owned());
            parent = dir.parent();
        }
    }
    let writer = LayoutWriter::create(path).unwrap();
    let mut layer = writer.layer_writer(Compression::Gzip, 0).unwrap();
    for dir in &dirs {
        layer.append(&Entry::directory(rel(dir), 0o755), &[][..]).unwrap();
    }
    for (file, content) in files {
        let entry = Entry::file(rel(file), 0o644, content.len() as u64);
        layer.append(&entry, content.as_slice()).unwrap();
    }
    let (descriptor, digests) = writer.commit_layer(layer).unwrap();
    let config = ImageConfig {
        architecture: "amd64".into(),
        os: "linux".into(),
        rootfs: RootFs::layers(vec![digests.diff_id]),
        ..ImageConfig::default()
    };
    let config = writer.put_config(&config).unwrap();
    let manifest = writer
        .put_manifest(&ImageManifest::new(config, vec![descriptor]))
        .unwrap();
    writer.finish(&ImageIndex::new(vec![manifest])).unwrap();
}

/// The packages of a dpkg status file.
fn package_names(status: &str) -> Vec<String> {
    status
        .lines()
        .filter_map(|l| l.strip_prefix("Package: "))
        .map(str::to_owned)
        .collect()
}

/// An image of bookworm's point release: the dpkg status of its 11 real packages and a
/// file of each (`usr/lib/scan-test/<package>/data`), with dpkg file lists
/// (`info/<package>.list`) for the packages in `lists` (`name -> the files it lists`)
/// and for no other. A package whose list does not name its file has no file in the image.
fn bookworm_image(scan: &Scan, name: &str, lists: &BTreeMap<&str, Vec<String>>) -> PathBuf {
    let status = release_status("bookworm", None);
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    files.insert(
        "etc/os-release".into(),
        b"ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n".to_vec(),
    );
    files.insert("var/lib/dpkg/status".into(), status.clone().into_bytes());
    for package in package_names(&status) {
        let data = format!("usr/lib/scan-test/{package}/data");
        let unlisted = lists
            .get(package.as_str())
            .is_some_and(|listed| !listed.contains(&format!("/{data}")));
        if !unlisted {
            files.insert(data, package.clone().into_bytes());
        }
    }
    for (package, listed) in lists {
        files.insert(
            format!("var/lib/dpkg/info/{package}.list"),
            (listed.join("\n") + "\n").into_bytes(),
        );
    }
    let path = scan.work.join(name);
    write_layout(&path, &files);
    path
}

/// (package, id, fixed) of each finding of a JSON scan, sorted.
fn finding_keys(report: &Value) -> Vec<(String, String, String)> {
    let mut keys: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["package"].as_str().unwrap().to_owned(),
                f["id"].as_str().unwrap().to_owned(),
                f["fixed"].to_string(),
            )
        })
        .collect();
    keys.sort();
    keys
}

#[test]
fn an_image_without_dpkg_file_lists_keeps_its_findings_like_its_status_file_and_sbom() {
    let scan = Scan::empty();
    scan.update_archive("bookworm", &["bookworm", "bookworm-security"])
        .ok();
    let image = bookworm_image(&scan, "no-lists", &BTreeMap::new());
    let image = image.to_str().unwrap();
    let json = |target: &str, extra: &[&str]| {
        let mut args = vec!["scan", target, "--format", "json"];
        args.extend_from_slice(extra);
        scan.run(&args).ok()
    };

    let run = json(image, &[]);
    let report = run.json();
    let findings = report["findings"].as_array().unwrap();
    assert!(findings.len() > 40, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "11 packages (bookworm), {} findings, 0 KEV, 0 suppressed by VEX",
            findings.len()
        )),
        "unknown is not absent: {}",
        run.stderr
    );
    assert!(
        run.stderr.contains("no dpkg file list in the image"),
        "{}",
        run.stderr
    );
    for finding in findings {
        assert!(finding.get("vex").is_none(), "{finding:#}");
        let why = finding["no_automatic_vex"].as_str().unwrap();
        assert!(
            why.contains(&format!(
                "no dpkg file list for `{}`",
                finding["package"].as_str().unwrap()
            )),
            "{why}"
        );
    }
    let packages: BTreeSet<&str> = findings.iter().map(|f| f["package"].as_str().unwrap()).collect();
    assert!(
        packages.is_superset(&BTreeSet::from([
            "apache2-bin",
            "perl-base",
            "libssh2-1",
            "redis-server"
        ])),
        "{packages:?}"
    );

    // The same packages as a dpkg status file and as the image's SBOM: the same findings.
    let status = scan.write("status", &release_status("bookworm", None));
    let from_status = json(status.to_str().unwrap(), &["--release", "bookworm"]).json();
    assert_eq!(finding_keys(&from_status), finding_keys(&report));
    assert!(from_status["findings"][0]["no_automatic_vex"]
        .as_str()
        .unwrap()
        .contains("status file"));
    scan.run(&["sbom", image, "-o", "sbom.spdx.json"]).ok();
    let from_sbom = json("sbom.spdx.json", &[]).json();
    assert_eq!(from_sbom["release"], "bookworm");
    assert_eq!(finding_keys(&from_sbom), finding_keys(&report));

    // Every format says why the automatic rule was not applied.
    let table = scan.run(&["scan", image]).ok();
    let rows: Vec<&str> = table.stdout.lines().skip(1).collect();
    assert_eq!(rows.len(), findings.len(), "{}", table.stdout);
    assert!(
        rows.iter()
            .all(|r| r.ends_with("[files unknown: no automatic VEX]")),
        "{}",
        table.stdout
    );
    let sarif = scan.run(&["scan", image, "--format", "sarif"]).ok().json();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().all(|r| r.get("suppressions").is_none()
        && r["properties"]["noAutomaticVex"]
            .as_str()
            .is_some_and(|w| w.contains("no dpkg file list"))));
    let openvex = scan.run(&["scan", image, "--format", "openvex"]).ok().json();
    let statements = openvex["statements"].as_array().unwrap();
    assert_eq!(statements.len(), findings.len());
    assert!(statements.iter().all(|s| s["status"] == "affected"
        && s["status_notes"]
            .as_str()
            .is_some_and(|n| n.starts_with("no automatic VEX: "))));
}

#[test]
fn dpkg_file_lists_that_prove_absence_still_give_automatic_not_affected() {
    let scan = Scan::empty();
    scan.update_archive("bookworm", &["bookworm", "bookworm-security"])
        .ok();
    let status = release_status("bookworm", None);
    let mut lists: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let names = package_names(&status);
    for package in &names {
        lists.insert(package, vec![format!("/usr/lib/scan-test/{package}/data")]);
    }
    // redis-server's list names files none of which is in the image; perl-base has no list.
    lists.insert("redis-server", vec!["/usr/bin/redis-server".to_owned()]);
    lists.remove("perl-base");
    let image = bookworm_image(&scan, "lists", &lists);
    let run = scan
        .run(&[
            "scan",
            image.to_str().unwrap(),
            "--format",
            "json",
            "--show-suppressed",
        ])
        .ok();
    let report = run.json();
    let of = |package: &str| -> Vec<&Value> {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["package"] == package)
            .collect()
    };
    let redis = of("redis-server");
    assert!(!redis.is_empty(), "{report:#}");
    for finding in &redis {
        let vex = &finding["vex"];
        assert_eq!(vex["status"], "not_affected", "{finding:#}");
        assert_eq!(vex["justification"], "vulnerable_code_not_present");
        assert_eq!(vex["origin"], "automatic");
        assert!(vex["note"]
            .as_str()
            .unwrap()
            .contains("/var/lib/dpkg/info/redis-server.list"));
        assert!(finding.get("no_automatic_vex").is_none());
    }
    let perl = of("perl-base");
    assert!(!perl.is_empty());
    assert!(perl
        .iter()
        .all(|f| f.get("vex").is_none() && f["no_automatic_vex"].is_string()));
    let apache = of("apache2-bin");
    assert!(!apache.is_empty());
    assert!(apache
        .iter()
        .all(|f| f.get("vex").is_none() && f.get("no_automatic_vex").is_none()));
    assert!(
        run.stderr.contains(&format!("{} suppressed by VEX", redis.len())),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("Kept the findings of perl-base ("),
        "{}",
        run.stderr
    );
}

#[test]
fn archive_data_of_two_releases_stays_side_by_side_and_a_release_without_it_is_refused() {
    let scan = Scan::empty();
    scan.update_archive("bookworm", &["bookworm", "bookworm-security"])
        .ok();
    let bookworm = scan.write("bookworm-status", &release_status("bookworm", None));
    let trixie = scan.write("trixie-status", &release_status("trixie", None));
    let scan_json = |status: &Path, release: &str| {
        scan.run(&[
            "scan",
            status.to_str().unwrap(),
            "--release",
            release,
            "--format",
            "json",
        ])
    };
    let before = finding_keys(&scan_json(&bookworm, "bookworm").ok().json());
    assert!(!before.is_empty());

    let refused = scan_json(&trixie, "trixie").fails_with(2);
    assert!(
        refused
            .stderr
            .contains("error: no Debian archive data for trixie in the feed store (it has bookworm)"),
        "{}",
        refused.stderr
    );
    assert!(
        refused
            .stderr
            .contains("hint: run `buckle feeds update --release trixie`"),
        "{}",
        refused.stderr
    );
    assert!(refused.stdout.is_empty(), "{}", refused.stdout);

    let update = scan.update_archive("trixie", &["trixie", "trixie-security"]).ok();
    assert!(
        update.stderr.contains("Updated archive feed"),
        "{}",
        update.stderr
    );
    // Updating trixie left bookworm's data alone.
    let run = scan_json(&bookworm, "bookworm").ok();
    assert_eq!(finding_keys(&run.json()), before);
    assert!(
        run.stderr
            .contains("Feed Debian archive changelogs for bookworm: 11 records")
            && run.stderr.contains("Feed Debian archive changelogs for trixie: "),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("warning:"), "{}", run.stderr);
    let from_trixie = scan_json(&trixie, "trixie").ok().json();
    assert!(!finding_keys(&from_trixie).is_empty());

    // Data older than a day is used, with a warning naming the command.
    let index = scan.buckle.cache.join("vuln/feeds.json");
    let mut feeds: Vec<Value> = serde_json::from_slice(&std::fs::read(&index).unwrap()).unwrap();
    let three_days_ago = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 3 * 86_400
        - 60;
    for feed in feeds.iter_mut().filter(|f| f["release"] == "bookworm") {
        feed["stored_at"] = three_days_ago.into();
    }
    std::fs::write(&index, serde_json::to_vec(&feeds).unwrap()).unwrap();
    let stale = scan_json(&bookworm, "bookworm").ok();
    assert!(
        stale.stderr.contains(
            "warning: the Debian archive data for bookworm is 3 days old: fixes published since are missing; \
             run `buckle feeds update --release bookworm`"
        ),
        "{}",
        stale.stderr
    );
    assert_eq!(finding_keys(&stale.json()), before);
    assert!(!scan_json(&trixie, "trixie").ok().stderr.contains("warning:"));
}

/// An image of the bookworm point release, scanned with the archive feed read from the
/// Debian mirror the host's apt uses.
#[cfg(feature = "mirror")]
mod mirror {
    use crate::cli::Buckle;
    use std::collections::BTreeMap;
    use std::path::Path;
    use std::process::Command;

    /// Libraries with a history of stable security updates (not tzdata, whose stable
    /// uploads carry new time zone data rather than fixes).
    const PACKAGES: &str = r#"["base-files", "libc6", "libssl3", "libxml2", "libcurl4", "libsqlite3-0", "libexpat1", "zlib1g", "libgnutls30", "libssh2-1", "libkrb5-3", "libtiff6", "libpng16-16", "libfreetype6"]"#;

    /// The `source -> source-version` pairs of a lock's amd64 runtime image.
    fn sources(lock: &str) -> BTreeMap<String, String> {
        let lock: toml::Value = toml::from_str(lock).unwrap();
        lock["images"]["amd64"]["runtime"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["source"].as_str().unwrap().to_owned(),
                    p["source-version"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }

    /// A dpkg status file listing a lock's amd64 runtime packages as installed.
    fn status_file(lock: &str) -> String {
        let lock: toml::Value = toml::from_str(lock).unwrap();
        let mut out = String::new();
        for p in lock["images"]["amd64"]["runtime"].as_array().unwrap() {
            let field = |k: &str| p[k].as_str().unwrap();
            out.push_str(&format!(
                "Package: {}\nStatus: install ok installed\nArchitecture: {}\nSource: {} ({})\nVersion: {}\n\n",
                field("name"),
                field("architecture"),
                field("source"),
                field("source-version"),
                field("version"),
            ));
        }
        out
    }

    /// `dpkg --compare-versions a op b`: the oracle for version order.
    fn dpkg_holds(a: &str, op: &str, b: &str) -> bool {
        Command::new("dpkg")
            .args(["--compare-versions", a, op, b])
            .status()
            .unwrap()
            .success()
    }

    #[test]
    fn an_image_of_the_bookworm_point_release_has_the_fixes_of_the_newer_archive_versions() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("buckle-cache-scan");
        let buckle = Buckle::new(dir.path(), &cache);
        let spec = |suites: &str| {
            format!(
                "name = \"old\"\ndistribution = \"bookworm\"\narchitectures = [\"amd64\"]\n\
                 packages = {PACKAGES}\n{suites}"
            )
        };
        std::fs::write(
            dir.path().join("old.toml"),
            spec("[[source]]\nsuites = [\"bookworm\"]\n"),
        )
        .unwrap();
        // The same packages today: the default sources add -updates and -security.
        std::fs::write(dir.path().join("today.toml"), spec("")).unwrap();
        buckle.run(&["build", "-q", "old.toml", "--arch", "amd64"]).ok();
        buckle.run(&["lock", "-q", "today.toml"]).ok();
        let old = sources(&std::fs::read_to_string(dir.path().join("old.lock")).unwrap());
        let today = sources(&std::fs::read_to_string(dir.path().join("today.lock")).unwrap());
        let newer: BTreeMap<&String, &String> = today
            .iter()
            .filter(|(source, version)| dpkg_holds(version, "gt", &old[*source]))
            .collect();
        assert!(
            !newer.is_empty(),
            "no source of {PACKAGES} has a newer version than bookworm's point release"
        );

        buckle
            .run(&["feeds", "update", "--release", "bookworm", "--archive-only"])
            .ok();
        let report = buckle.run(&["scan", "out/old", "--format", "json"]).ok().json();
        assert_eq!(report["release"], "bookworm", "{report:#}");
        let findings = report["findings"].as_array().unwrap();
        let mut fixed_sources = BTreeMap::new();
        for finding in findings {
            let source = finding["source"].as_str().unwrap();
            let installed = finding["source_version"].as_str().unwrap();
            let fixed = finding["fixed"].as_str().unwrap_or_else(|| panic!("{finding:#}"));
            assert_eq!(installed, old[source], "{finding:#}");
            // Fixed after what the image has, and at or before what the archive has now.
            let newest = newer
                .get(&source.to_owned())
                .unwrap_or_else(|| panic!("{source} has no newer version, yet: {finding:#}"));
            assert!(dpkg_holds(fixed, "gt", installed), "{finding:#}");
            assert!(dpkg_holds(fixed, "le", newest), "{finding:#}");
            assert!(!finding["evidence"].as_array().unwrap().is_empty(), "{finding:#}");
            *fixed_sources.entry(source.to_owned()).or_insert(0) += 1;
        }
        // Every security upload the image lacks names what it fixes.
        let security: Vec<&String> = newer
            .keys()
            .copied()
            .filter(|source| {
                let lock = std::fs::read_to_string(dir.path().join("today.lock")).unwrap();
                lock.lines().any(|l| {
                    l.contains(&format!("source = \"{source}\""))
                        && l.contains("suite = \"bookworm-security\"")
                })
            })
            .collect();
        for source in &security {
            assert!(
                fixed_sources.contains_key(*source),
                "{source} has a security update, but the scan reports no fix: {fixed_sources:?}"
            );
        }
        eprintln!("newer sources: {newer:?}\nsecurity: {security:?}\nfindings per source: {fixed_sources:?}");

        // The same package set described by a dpkg status file gives the same findings.
        let status = status_file(&std::fs::read_to_string(dir.path().join("old.lock")).unwrap());
        std::fs::write(dir.path().join("status"), status).unwrap();
        let from_status = buckle
            .run(&["scan", "status", "--release", "bookworm", "--format", "json"])
            .ok()
            .json();
        assert_eq!(super::finding_keys(&from_status), super::finding_keys(&report));
    }
}
