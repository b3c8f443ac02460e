//! `buckle update` and `buckle advisories` on the generated archive: state 1 is
//! locked (and built and pushed), state 2 publishes a libfoo1 whose changelog fixes a
//! CVE that the test KEV file lists.
//!
//! The dry-run tests run everywhere; the publishing tests (feature `registry`) push to
//! a `docker-registry` started on loopback.

use crate::cli::Run;
use crate::fixture::{packages, Fixture, FIXED_CVE, KEV};
use serde_json::Value;

/// Three images: two that use libfoo1 and one that does not.
const USES_FOO: &str = "name = \"foo\"\npackages = [\"base-files\", \"libfoo1\"]\n";
const NO_FOO: &str = "name = \"plain\"\npackages = [\"base-files\"]\n";

/// The fixture with a catalog/ of three locked specs and the test KEV file imported.
pub(crate) fn catalog() -> Fixture {
    let fixture = Fixture::new();
    std::fs::create_dir(fixture.path("catalog")).unwrap();
    std::fs::rename(fixture.path("hello.toml"), fixture.path("catalog/hello.toml")).unwrap();
    std::fs::copy(fixture.path("archive.asc"), fixture.path("catalog/archive.asc")).unwrap();
    fixture.write_spec("catalog/foo.toml", USES_FOO);
    fixture.write_spec("catalog/plain.toml", NO_FOO);
    fixture
        .buckle
        .run(&[
            "lock",
            "catalog/hello.toml",
            "catalog/foo.toml",
            "catalog/plain.toml",
        ])
        .ok();
    std::fs::write(fixture.path("kev.json"), KEV).unwrap();
    fixture.buckle.run(&["feeds", "import", "kev.json"]).ok();
    fixture
}

fn images(report: &Value) -> Vec<String> {
    report["updates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["image"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn update_reports_the_kev_fix_for_exactly_the_images_that_use_the_package() {
    let fixture = catalog();
    let quiet = fixture.buckle.run(&["--json", "update", "catalog"]).ok().json();
    assert!(quiet["updates"].as_array().unwrap().is_empty(), "{quiet:#}");
    assert_eq!(quiet["images"], 6);

    fixture.republish_now(packages(2));
    let locks_before = fixture.read("catalog/hello.lock");
    let report = fixture.buckle.run(&["--json", "update", "catalog"]).ok().json();
    assert_eq!(
        images(&report),
        ["foo", "foo-dev", "hello", "hello-dev"],
        "{report:#}"
    );
    assert_eq!(report["unchanged"], serde_json::json!(["plain", "plain-dev"]));
    let hello = &report["updates"][2];
    assert_eq!(hello["urgency"]["kev"], true, "{hello:#}");
    assert_eq!(hello["fixes"], serde_json::json!([FIXED_CVE]));
    let change = &hello["changes"][0];
    assert_eq!(change["name"], "libfoo1");
    assert_eq!(change["old"], "1.0-1");
    assert_eq!(change["new"], "1.0-1+deb13u1");
    assert_eq!(change["kind"], "security-fix");
    assert_eq!(change["fixes"][0]["kev"]["due_date"], "2025-09-22");
    let evidence = change["fixes"][0]["evidence"][0]["lines"][0].as_str().unwrap();
    assert!(evidence.contains("Fix heap overflow in foo_parse"), "{evidence}");
    // A dry run writes nothing.
    assert_eq!(fixture.read("catalog/hello.lock"), locks_before);

    let human = fixture.buckle.run(&["update", "catalog"]).ok();
    assert!(
        human.stdout.contains(&format!("{FIXED_CVE} (KEV)")),
        "{}",
        human.stdout
    );
    assert!(
        human
            .stdout
            .contains("libfoo1 (amd64) 1.0-1 -> 1.0-1+deb13u1 [security-fix, trixie]"),
        "{}",
        human.stdout
    );
}

#[test]
fn check_fails_while_an_update_waits_and_write_locks_clears_it() {
    let fixture = catalog();
    fixture.buckle.run(&["update", "--check", "catalog"]).ok();
    fixture.republish_now(packages(2));
    let gate = fixture
        .buckle
        .run(&["update", "--check", "catalog"])
        .fails_with(1);
    assert!(
        gate.stderr.contains("4 image(s) have updates waiting"),
        "{}",
        gate.stderr
    );

    let written = fixture
        .buckle
        .run(&["--json", "update", "--write-locks", "catalog"])
        .ok()
        .json();
    assert_eq!(
        written["locks_written"].as_array().unwrap().len(),
        2,
        "{written:#}"
    );
    assert!(fixture.read("catalog/hello.lock").contains("1.0-1+deb13u1"));
    assert!(!fixture.read("catalog/plain.lock").contains("libfoo1"));
    fixture.buckle.run(&["update", "--check", "catalog"]).ok();
}

#[test]
fn a_signed_rebuild_carries_a_signed_scan_of_the_fixed_image() {
    let fixture = catalog();
    // The tracker: foo's CVE fixed in the new upload, one of hello's still open.
    std::fs::write(
        fixture.path("tracker.json"),
        format!(
            r#"{{"foo": {{"{FIXED_CVE}": {{"releases": {{"trixie": {{"status": "resolved", "fixed_version": "1.0-1+deb13u1", "urgency": "high"}}}}}}}},
                "hello": {{"CVE-2099-0003": {{"releases": {{"trixie": {{"status": "open", "urgency": "low"}}}}}}}}}}"#
        ),
    )
    .unwrap();
    fixture.buckle.run(&["feeds", "import", "tracker.json"]).ok();
    let stderr = signed_rebuild(&fixture, |fixture| fixture.update_archive_feed());
    assert!(stderr.contains("Attested scan of linux/amd64"), "{stderr}");

    fixture
        .buckle
        .run(&["verify", "out/hello", "--key", "release.pub", "--require", "vuln"])
        .ok();
    let shown = fixture
        .buckle
        .run(&["attestations", "out/hello", "--show", "vuln"])
        .ok();
    let statement: Value = serde_json::from_str(shown.stdout.lines().next().unwrap()).unwrap();
    let findings = statement["predicate"]["scanner"]["result"]["images"][0]["findings"]
        .as_array()
        .unwrap()
        .clone();
    let ids: Vec<(&str, &Value)> = findings
        .iter()
        .map(|f| (f["id"].as_str().unwrap(), &f["fixed"]))
        .collect();
    // The rebuilt image has the fix: only the open issue is left, with no fix yet.
    assert_eq!(ids, [("CVE-2099-0003", &Value::Null)], "{findings:#?}");
}

#[test]
fn a_signed_rebuild_attests_no_scan_without_the_releases_archive_data() {
    let fixture = catalog();
    std::fs::write(
        fixture.path("tracker.json"),
        r#"{"hello": {"CVE-2099-0003": {"releases": {"trixie": {"status": "open", "urgency": "low"}}}}}"#,
    )
    .unwrap();
    fixture.buckle.run(&["feeds", "import", "tracker.json"]).ok();
    let stderr = signed_rebuild(&fixture, |_| {});
    assert!(
        stderr.contains("the scan attestation: no Debian archive data for trixie"),
        "{stderr}"
    );
    assert!(!stderr.contains("Attested scan"), "{stderr}");
    let verify = ["verify", "out/hello", "--key", "release.pub", "--require", "vuln"];
    fixture.buckle.run(&verify).fails_with(1);
}

/// Makes a key, republishes the archive with foo's fix, runs `before` (feeds to read
/// the new archive), then `update --rebuild --sign`; returns its stderr.
fn signed_rebuild(fixture: &Fixture, before: impl FnOnce(&Fixture)) -> String {
    let password = Some("update test");
    fixture
        .buckle
        .run_with_password(password, &["keygen", "-o", "release"])
        .ok();
    fixture.republish_now(packages(2));
    before(fixture);
    let args = [
        "update",
        "catalog",
        "--rebuild",
        "--sign",
        "release.key",
        "--variant",
        "runtime",
    ];
    fixture.buckle.run_with_password(password, &args).ok().stderr
}

#[test]
fn bad_input_is_refused_with_exit_2_and_a_hint() {
    let fixture = catalog();
    let run = |args: &[&str]| -> Run { fixture.buckle.run(args).fails_with(2) };
    let push_alone = run(&["update", "catalog", "--push", "127.0.0.1:5000/hardened"]);
    assert!(
        push_alone.stderr.contains("--sign and --push need --rebuild"),
        "{}",
        push_alone.stderr
    );
    let interval = run(&["update", "catalog", "--watch", "15"]);
    assert!(
        interval
            .stderr
            .contains("`15` is not an interval: it has no unit"),
        "{}",
        interval.stderr
    );
    assert!(
        interval.stderr.contains("hint: write a number and a unit"),
        "{}",
        interval.stderr
    );
    let prefix = run(&["update", "catalog", "--rebuild", "--push", "not a registry"]);
    assert!(
        prefix.stderr.contains("is not a registry and repository prefix"),
        "{}",
        prefix.stderr
    );
    std::fs::remove_file(fixture.path("catalog/plain.lock")).unwrap();
    let unlocked = run(&["update", "catalog/plain.toml"]);
    assert!(
        unlocked.stderr.contains("has no lock to update"),
        "{}",
        unlocked.stderr
    );
    let missing = run(&["advisories", "nowhere"]);
    assert!(
        missing.stderr.contains("`nowhere` is not a directory"),
        "{}",
        missing.stderr
    );
}

#[cfg(feature = "registry")]
pub(crate) mod publishing {
    use super::*;
    use std::path::Path;
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    use buckle_testkit::registry::DockerRegistry as TestRegistry;

    /// The digest `repository:latest` names in `registry`, read with skopeo.
    pub(crate) fn latest_digest(registry: &TestRegistry, repository: &str) -> Option<String> {
        let out = Command::new("skopeo")
            .args(["inspect", "--tls-verify=false", "--raw"])
            .arg(format!("docker://{}/{repository}:latest", registry.address))
            .output()
            .unwrap();
        out.status
            .success()
            .then(|| format!("sha256:{}", buckle_digest::Sha256::of(&out.stdout).hex()))
    }
    fn advisories(dir: &Path) -> Vec<Value> {
        let mut out: Vec<Value> = std::fs::read_dir(dir.join("advisories"))
            .map(|entries| {
                entries
                    .map(|e| e.unwrap().path())
                    .filter(|p| p.extension().is_some_and(|e| e == "json"))
                    .map(|p| serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap())
                    .collect()
            })
            .unwrap_or_default();
        out.sort_by_key(|a| a["image"].as_str().unwrap().to_owned());
        out
    }

    /// Builds the runtime images of state 1 and pushes them, as a catalog's first
    /// publication would.
    pub(crate) fn publish_state_1(fixture: &Fixture, registry: &TestRegistry) {
        for name in ["hello", "foo", "plain"] {
            let out = format!("out/{name}");
            fixture
                .buckle
                .run(&["build", &format!("catalog/{name}.toml"), "-o", &out])
                .ok();
            let target = format!("{}/hardened/{name}:latest", registry.address);
            fixture.buckle.run(&["push", "--insecure", &out, &target]).ok();
        }
    }

    #[test]
    fn update_rebuilds_and_pushes_exactly_the_affected_images_with_advisories_and_is_idempotent() {
        let fixture = catalog();
        let registry = TestRegistry::start();
        publish_state_1(&fixture, &registry);
        let before: Vec<Option<String>> = ["hello", "foo", "plain"]
            .iter()
            .map(|n| latest_digest(&registry, &format!("hardened/{n}")))
            .collect();
        assert!(before.iter().all(Option::is_some));

        let published_at = fixture.republish_now(packages(2));
        let started = Instant::now();
        let prefix = format!("{}/hardened", registry.address);
        let args = [
            "--json",
            "update",
            "catalog",
            "--rebuild",
            "--variant",
            "runtime",
            "--insecure",
            "--push",
            &prefix,
        ];
        let report = fixture.buckle.run(&args).ok().json();
        let took = started.elapsed();
        eprintln!("state 2 published -> rebuilt images in the registry: {took:?}");

        let after: Vec<Option<String>> = ["hello", "foo", "plain"]
            .iter()
            .map(|n| latest_digest(&registry, &format!("hardened/{n}")))
            .collect();
        assert_ne!(after[0], before[0], "hello was not republished");
        assert_ne!(after[1], before[1], "foo was not republished");
        assert_eq!(after[2], before[2], "plain changed though its lock did not");
        assert_eq!(report["published"].as_array().unwrap().len(), 2, "{report:#}");

        let records = advisories(&fixture.path("out"));
        assert_eq!(records.len(), 2);
        let hello = &records[1];
        assert_eq!(hello["image"], "hello");
        assert_eq!(hello["kev"], true);
        assert_eq!(hello["fixes"][0]["id"], FIXED_CVE);
        assert_eq!(hello["old_digest"].as_str(), before[0].as_deref());
        assert_eq!(hello["new_digest"].as_str(), after[0].as_deref());
        assert_eq!(hello["reference"], format!("{prefix}/hello:latest"));
        assert_eq!(hello["fix_published"]["unix"], published_at);
        let latency = hello["latency_seconds"].as_u64().unwrap();
        assert!(
            latency <= took.as_secs() + 1,
            "latency {latency}s, run took {took:?}"
        );
        eprintln!("advisory latency (Release date to push): {latency}s");
        let markdown = std::fs::read_dir(fixture.path("out/advisories"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == "md") && p.to_string_lossy().contains("hello"))
            .unwrap();
        let markdown = std::fs::read_to_string(markdown).unwrap();
        assert!(
            markdown.contains(&format!("| {FIXED_CVE} | yes, added 2025-09-01")),
            "{markdown}"
        );

        // The locks are written: a second run finds nothing and publishes nothing.
        assert!(fixture.read("catalog/hello.lock").contains("1.0-1+deb13u1"));
        let again = fixture.buckle.run(&args).ok().json();
        assert!(again["updates"].as_array().unwrap().is_empty(), "{again:#}");
        assert!(again["published"].as_array().unwrap().is_empty());
        assert_eq!(advisories(&fixture.path("out")).len(), 2);

        let listed = fixture.buckle.run(&["advisories", "out"]).ok();
        assert!(
            listed.stdout.contains(&format!("{FIXED_CVE} (KEV)")),
            "{}",
            listed.stdout
        );
    }

    fn status(fixture: &Fixture) -> Value {
        std::fs::read(fixture.path("out/update-status.json"))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or(Value::Null)
    }

    /// Waits until the status file satisfies `done`.
    fn wait_for(fixture: &Fixture, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let status = status(fixture);
            if done(&status) {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}: {status:#}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn ticks(status: &Value) -> u64 {
        status["ticks"].as_u64().unwrap_or(0)
    }

    #[test]
    fn watch_picks_up_a_new_archive_state_within_a_tick_survives_the_registry_going_away_and_stops_on_sigterm(
    ) {
        let fixture = catalog();
        let mut registry = TestRegistry::start();
        publish_state_1(&fixture, &registry);
        let before = latest_digest(&registry, "hardened/hello");
        let prefix = format!("{}/hardened", registry.address);
        let mut watch = fixture
            .buckle
            .command()
            .args([
                "update",
                "catalog",
                "--rebuild",
                "--variant",
                "runtime",
                "--insecure",
                "--push",
                &prefix,
            ])
            .args(["--watch", "1s"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let first = wait_for(&fixture, "a first tick", |s| s["last_tick"]["outcome"] == "done");
        assert_eq!(first["last_tick"]["updated"], serde_json::json!([]));

        // The registry goes away; the next state fails to publish and is retried.
        registry.stop();
        let published = fixture.republish_now(packages(2));
        let failing = wait_for(&fixture, "a failed tick", |s| {
            s["last_tick"]["outcome"] == "failed"
        });
        assert_eq!(failing["last_tick"]["transient"], true, "{failing:#}");
        assert_eq!(failing["state"], "backing-off");
        assert!(
            !fixture.read("catalog/hello.lock").contains("1.0-1+deb13u1"),
            "lock written before the push"
        );

        registry.resume();
        let resumed_at = Instant::now();
        let done = wait_for(&fixture, "the fix published", |s| {
            s["last_tick"]["outcome"] == "done" && s["failures_in_a_row"] == 0 && ticks(s) > ticks(&failing)
        });
        eprintln!(
            "registry back -> rebuilt image pushed within {:?}",
            resumed_at.elapsed()
        );
        let after = latest_digest(&registry, "hardened/hello");
        assert_ne!(after, before);
        assert!(fixture.read("catalog/hello.lock").contains("1.0-1+deb13u1"));
        let records = advisories(&fixture.path("out"));
        let hello = records.iter().find(|a| a["image"] == "hello").unwrap();
        assert_eq!(hello["new_digest"].as_str(), after.as_deref());
        assert_eq!(hello["old_digest"].as_str(), before.as_deref());
        assert_eq!(hello["fix_published"]["unix"], published);
        assert!(ticks(&done) >= 3);

        // SIGTERM stops it cleanly: exit 0, status `stopped`.
        Command::new("kill")
            .args(["-TERM", &watch.id().to_string()])
            .status()
            .unwrap();
        let exit = watch.wait().unwrap();
        let mut stderr = String::new();
        std::io::Read::read_to_string(watch.stderr.as_mut().unwrap(), &mut stderr).unwrap();
        assert!(exit.success(), "{exit:?}\n{stderr}");
        assert_eq!(status(&fixture)["state"], "stopped");
        let tick_lines = stderr
            .lines()
            .filter(|l| l.trim_start().starts_with("Tick"))
            .count();
        assert!(tick_lines as u64 >= ticks(&done), "{stderr}");
        assert!(stderr.contains("unreachable (1 in a row)"), "{stderr}");
    }
}

/// `buckle update` on a copy of the catalog's base image whose lock pins an older
/// glibc than the archive has: against the Debian mirror the host's apt uses.
#[cfg(feature = "mirror")]
#[test]
fn update_against_the_real_archive_reports_an_older_glibc_as_a_security_fix() {
    use crate::cli::Buckle;
    let dir = tempfile::tempdir().unwrap();
    let catalog = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../catalog");
    std::fs::copy(catalog.join("base.toml"), dir.path().join("base.toml")).unwrap();
    let cache = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("buckle-cache");
    let buckle = Buckle::new(dir.path(), &cache);
    buckle.run(&["lock", "-q", "base.toml"]).ok();
    let lock = std::fs::read_to_string(dir.path().join("base.lock")).unwrap();
    let current = lock
        .lines()
        .find(|l| l.contains("name = \"libc6\""))
        .and_then(|l| l.split("version = \"").nth(1))
        .and_then(|v| v.split('"').next())
        .unwrap()
        .to_owned();
    assert!(
        current.starts_with("2.41-12+deb13u"),
        "the catalog's glibc is {current}"
    );
    // The lock as it would have been at trixie's release.
    let old = lock.replace(&format!("\"{current}\""), "\"2.41-12\"");
    std::fs::write(dir.path().join("base.lock"), old).unwrap();
    let report = buckle.run(&["--json", "update", "."]).ok().json();
    assert_eq!(images(&report), ["base", "base-dev"], "{report:#}");
    let libc = report["updates"][0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "libc6")
        .unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(libc["old"], "2.41-12");
    assert_ne!(libc["new"], "2.41-12");
    assert_eq!(libc["kind"], "security-fix", "{libc:#}");
    let fixes = libc["fixes"].as_array().unwrap();
    assert!(
        fixes
            .iter()
            .all(|f| f["id"].as_str().unwrap().starts_with("CVE-")),
        "{libc:#}"
    );
    assert!(
        !fixes.is_empty(),
        "the glibc stable updates name CVEs in their changelog: {libc:#}"
    );
    eprintln!("{}", buckle.run(&["update", "."]).ok().stdout);
}
