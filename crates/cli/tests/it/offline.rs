//! The whole flow against an archive the test generates: no network beyond loopback.

use crate::fixture::{self, package, tree, Fixture, SPEC};
use buckle_testkit::repo::{Break, RepoBuilder, SuiteBuilder};
use serde_json::Value;

fn names(packages: &Value) -> Vec<String> {
    let mut names: Vec<String> = packages
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn lock_pins_the_closure_without_the_excluded_package_and_records_every_deb() {
    let f = Fixture::new();
    let run = f.buckle.run(&["lock", "hello.toml"]).ok();
    assert!(
        run.stderr.contains("Locked hello.toml -> hello.lock"),
        "{}",
        run.stderr
    );
    let lock = f.read("hello.lock");
    for name in ["base-files", "hello", "libc6", "libfoo1", "dash"] {
        assert!(
            lock.contains(&format!("name = \"{name}\"")),
            "{name} missing:\n{lock}"
        );
    }
    assert!(
        !lock.contains("name = \"debconf\""),
        "excluded debconf is locked:\n{lock}"
    );
    let hello_deb = f.original("/pool/main/h/hello/hello_2.10-3_amd64.deb");
    assert!(lock.contains(&format!(
        "sha256 = \"{}\"",
        buckle_digest::Sha256::of(&hello_deb).hex()
    )));
    assert!(
        !lock.contains(&f.server.url()),
        "a mirror URL was written into the lock"
    );
    // The index the packages were resolved from, as Release listed it.
    let index = f.original("/dists/trixie/main/binary-amd64/Packages.xz");
    let recorded = format!(
        "{{ path = \"main/binary-amd64/Packages.xz\", size = {}, sha256 = \"{}\" }}",
        index.len(),
        buckle_digest::Sha256::of(&index).hex()
    );
    assert!(lock.contains(&recorded), "{recorded} missing:\n{lock}");

    let why = f.buckle.run(&["why", "hello.lock", "libc6"]).ok();
    assert!(
        why.stdout.contains("hello") && why.stdout.contains("libc6 (>= 2.34)"),
        "{}",
        why.stdout
    );
    let root = f.buckle.run(&["why", "hello.lock", "hello"]).ok();
    assert!(root.stdout.contains("`hello` is a root"), "{}", root.stdout);
}

#[test]
fn build_makes_a_nonroot_image_with_the_locked_packages_and_attached_sboms() {
    let f = Fixture::new();
    f.buckle.run(&["build", "hello.toml"]).ok();
    let inspect = f.buckle.run(&["inspect", "out/hello", "--json"]).ok().json();
    assert_eq!(inspect["user"], "65532:65532");
    assert_eq!(inspect["entrypoint"], serde_json::json!(["/usr/bin/hello"]));
    assert_eq!(
        names(&inspect["packages"]),
        ["base-files", "hello", "libc6", "libfoo1"]
    );

    // index.json lists the image alone, so that other tools read the layout as one
    // image; the SBOMs are listed in buckle's full index beside it.
    let index: Value = serde_json::from_str(&f.read("out/hello/index.json")).unwrap();
    let [entry] = index["manifests"].as_array().unwrap().as_slice() else {
        panic!("index.json lists more than the image: {index:#}")
    };
    assert_eq!(entry["digest"], inspect["digest"]);
    assert_eq!(
        entry["annotations"]["org.opencontainers.image.ref.name"],
        "latest"
    );
    let index: Value = serde_json::from_str(&f.read("out/hello/buckle-index.json")).unwrap();
    let artifact_types: Vec<&str> = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["artifactType"].as_str())
        .collect();
    assert_eq!(
        artifact_types,
        ["application/spdx+json", "application/vnd.cyclonedx+json"]
    );

    let spdx = f
        .buckle
        .run(&["sbom", "out/hello", "--lock", "hello.lock"])
        .ok()
        .json();
    let packages: Vec<&str> = spdx["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    for name in ["base-files", "hello", "libc6", "libfoo1"] {
        assert!(
            packages.contains(&name),
            "{name} missing from the SBOM: {packages:?}"
        );
    }
    let hello = spdx["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "hello" && p["SPDXID"] != "SPDXRef-Image")
        .unwrap();
    assert!(
        hello["downloadLocation"]
            .as_str()
            .unwrap()
            .starts_with(&f.server.url()),
        "the lock's URL is the download location: {hello}"
    );
}

#[test]
fn the_same_lock_builds_the_same_bytes_twice() {
    let f = Fixture::new();
    f.buckle.run(&["build", "hello.toml", "-o", "first"]).ok();
    std::fs::remove_dir_all(f.path("cache")).unwrap();
    f.buckle.run(&["build", "hello.toml", "-o", "second"]).ok();
    assert_eq!(
        tree(&f.path("first")),
        tree(&f.path("second")),
        "two builds of one lock differ"
    );
}

#[test]
fn dev_variant_adds_its_packages_and_diff_shows_them() {
    let f = Fixture::new();
    f.buckle.run(&["build", "hello.toml"]).ok();
    f.buckle.run(&["build", "hello.toml", "--variant", "dev"]).ok();
    let diff = f
        .buckle
        .run(&["diff", "out/hello", "out/hello-dev", "--json"])
        .ok()
        .json();
    let added: Vec<String> = diff["packages"]["added"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(added, ["dash"]);
    assert!(
        diff["files"]["added"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "/usr/bin/dash"),
        "{diff}"
    );
}

#[test]
fn check_fails_the_dev_variant_on_shells_but_not_the_runtime_image() {
    let f = Fixture::new();
    f.buckle.run(&["build", "hello.toml"]).ok();
    f.buckle.run(&["build", "hello.toml", "--variant", "dev"]).ok();
    let runtime = f.buckle.run(&["check", "out/hello", "--json"]).ok();
    assert_eq!(runtime.check_status("BKL-SHELL"), "pass");
    assert_eq!(runtime.check_status("BKL-USER-ROOT"), "pass");
    assert_eq!(runtime.check_status("BKL-ATTACH-SBOM"), "pass");
    let dev = f.buckle.run(&["check", "out/hello-dev", "--json"]).ok();
    assert_eq!(dev.check_status("BKL-SHELL"), "fail");
    f.buckle
        .run(&["check", "out/hello-dev", "--fail-under", "99", "-q"])
        .fails_with(1);
}

#[test]
fn a_docker_archive_holds_the_same_image() {
    let f = Fixture::new();
    f.buckle.run(&["build", "hello.toml"]).ok();
    f.buckle
        .run(&[
            "build",
            "hello.toml",
            "--format",
            "docker-archive",
            "-o",
            "hello.tar",
        ])
        .ok();
    let layout = f.buckle.run(&["inspect", "out/hello", "--json"]).ok().json();
    let archive = f.buckle.run(&["inspect", "hello.tar", "--json"]).ok().json();
    assert_eq!(layout["packages"], archive["packages"]);
    assert_eq!(
        layout["layers"].as_array().unwrap().len(),
        archive["layers"].as_array().unwrap().len()
    );
}

#[test]
fn a_stale_lock_is_relocked_by_build_and_refused_by_fetch() {
    let f = Fixture::new();
    f.buckle.run(&["lock", "hello.toml"]).ok();
    f.write_spec(
        "hello.toml",
        &SPEC.replace("a test image", "a changed description"),
    );
    let fetch = f.buckle.run(&["fetch", "hello.lock"]).fails_with(2);
    assert!(
        fetch.stderr.contains("buckle lock"),
        "the hint says what to run: {}",
        fetch.stderr
    );
    let build = f.buckle.run(&["build", "hello.toml"]).ok();
    assert!(build.stderr.contains("Locked"), "{}", build.stderr);
}

#[test]
fn lock_keeps_pinned_versions_until_update_picks_up_a_fix() {
    let f = Fixture::new();
    f.buckle.run(&["lock", "hello.toml"]).ok();
    assert!(f.read("hello.lock").contains("version = \"1.0-1\""));
    f.republish(fixture::packages(2));
    // The archive still lists the pinned version, so a plain lock keeps it.
    f.buckle.run(&["lock", "hello.toml"]).ok();
    assert!(f.read("hello.lock").contains("version = \"1.0-1\""));
    f.buckle.run(&["lock", "hello.toml", "--update"]).ok();
    assert!(
        f.read("hello.lock").contains("version = \"1.0-1+deb13u1\""),
        "{}",
        f.read("hello.lock")
    );
}

/// The Packages index paths (by name or by hash) the server was asked for since its
/// log was cleared.
fn index_requests(f: &Fixture) -> Vec<String> {
    f.server
        .requests()
        .into_iter()
        .map(|r| r.path)
        .filter(|path| path.contains("/binary-"))
        .collect()
}

#[test]
fn a_relock_of_an_unchanged_archive_keeps_its_packages_without_an_index_and_any_change_resolves_again() {
    let f = Fixture::new();
    f.buckle.run(&["lock", "hello.toml", "--update"]).ok();
    let first = f.read("hello.lock");
    // Without the cached indexes, only a remembered resolution can lock without
    // downloading one.
    std::fs::remove_dir_all(f.path("cache/blobs")).unwrap();
    f.server.clear_log();
    f.buckle.run(&["lock", "hello.toml", "--update"]).ok();
    assert_eq!(f.read("hello.lock"), first);
    assert_eq!(index_requests(&f), Vec::<String>::new());

    // A lock edited by hand is not what was remembered: it is resolved again.
    let entry = first.lines().find(|l| l.contains("{ name = ")).unwrap();
    let size = entry
        .split(", ")
        .find(|field| field.starts_with("size = "))
        .unwrap();
    let edited = first.replacen(entry, &entry.replacen(size, "size = 1", 1), 1);
    assert_ne!(edited, first);
    std::fs::write(f.path("hello.lock"), edited).unwrap();
    f.buckle.run(&["lock", "hello.toml", "--update"]).ok();
    assert_eq!(f.read("hello.lock"), first);
    assert!(!index_requests(&f).is_empty());

    // So is a lock of another archive state.
    f.server.clear_log();
    f.republish(fixture::packages(2));
    f.buckle.run(&["lock", "hello.toml", "--update"]).ok();
    assert!(f.read("hello.lock").contains("version = \"1.0-1+deb13u1\""));
    assert!(!index_requests(&f).is_empty());
}

#[test]
fn a_suite_opened_for_one_spec_is_still_checked_against_another_specs_recorded_date() {
    let f = Fixture::new();
    f.write_spec(
        "other.toml",
        &SPEC.replace("name = \"hello\"", "name = \"other\""),
    );
    f.buckle.run(&["lock", "hello.toml"]).ok();
    f.republish_now(fixture::packages(1));
    f.buckle.run(&["lock", "other.toml"]).ok();
    let other = f.read("other.lock");
    // The mirror goes back to the older state, which hello's lock recorded.
    f.republish(fixture::packages(1));
    let run = f.buckle.run(&["lock", "hello.toml", "other.toml"]);
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("other.toml"), "{}", run.stderr);
    assert!(run.stderr.contains("rollback"), "{}", run.stderr);
    assert_eq!(f.read("other.lock"), other);
}

#[test]
fn a_relock_that_changes_nothing_says_unchanged_for_a_spec_of_several_suites() {
    let f = Fixture::new();
    let suites = ["trixie-updates", "trixie-security"]
        .into_iter()
        .fold(RepoBuilder::new(&f.key), |repo, suite| {
            repo.suite(SuiteBuilder::new(suite))
        });
    for (path, bytes) in suites.build().files() {
        f.server.insert(path, bytes.clone());
    }
    // Listed as people write them, not sorted: the lock keeps them sorted by suite.
    let spec = format!(
        "{SPEC}\n[[source]]\nurl = \"{}\"\nsuites = [\"trixie\", \"trixie-updates\", \"trixie-security\"]\nkeyring = \"archive.asc\"\n",
        f.server.url()
    );
    std::fs::write(f.path("several.toml"), spec).unwrap();
    f.buckle.run(&["lock", "several.toml"]).ok();
    let first = f.read("several.lock");
    for update in [false, true] {
        let mut args = vec!["lock", "several.toml", "--json"];
        if update {
            args.push("--update");
        }
        let report = f.buckle.run(&args).ok().json();
        assert_eq!(report[0]["changed"], false, "update {update}: {report:#}");
        assert_eq!(f.read("several.lock"), first);
    }
}

#[test]
fn a_malformed_spec_is_reported_at_its_line_and_column_and_writes_nothing() {
    let f = Fixture::new();
    f.write_spec(
        "bad.toml",
        "name = \"bad\"\npackages = [\"hello\"]\n\n[image]\nentrypont = [\"/x\"]\n",
    );
    let run = f.buckle.run(&["lock", "bad.toml"]).fails_with(2);
    assert!(run.stderr.contains("bad.toml:5:1"), "{}", run.stderr);
    assert!(
        run.stderr.contains("entrypoint"),
        "a did-you-mean hint: {}",
        run.stderr
    );
    assert!(!f.path("bad.lock").exists());
}

#[test]
fn an_unsatisfiable_dependency_names_the_chain_and_writes_nothing() {
    let f = Fixture::with_packages(vec![
        package("app", "1.0", &[("Depends", "libgone (>= 2)")], &[]),
        package("libgone", "1.0", &[], &[]),
    ]);
    f.write_spec("app.toml", "name = \"app\"\npackages = [\"app\"]\n");
    let run = f.buckle.run(&["lock", "app.toml"]).fails_with(2);
    assert!(run.stderr.contains("libgone (>= 2)"), "{}", run.stderr);
    assert!(
        run.stderr.contains("1.0"),
        "the version the archive has is named: {}",
        run.stderr
    );
    assert!(!f.path("app.lock").exists());
}

#[test]
fn an_archive_signed_by_an_unknown_key_is_refused_with_exit_3() {
    let f = Fixture::new();
    let other = buckle_testkit::keys::TestKey::generate("someone else");
    std::fs::write(f.path("archive.asc"), other.armored_public()).unwrap();
    let run = f.buckle.run(&["lock", "hello.toml"]).fails_with(3);
    assert!(run.stderr.contains("InRelease"), "{}", run.stderr);
    assert!(!f.path("hello.lock").exists());
}

#[test]
fn a_tampered_deb_is_refused_with_exit_3_and_not_cached() {
    let f = Fixture::new();
    f.buckle.run(&["lock", "hello.toml"]).ok();
    let path = "/pool/main/h/hello/hello_2.10-3_amd64.deb";
    let mut bytes = f.original(path);
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    f.server.insert(path, bytes);
    let run = f.buckle.run(&["build", "hello.toml"]).fails_with(3);
    assert!(run.stderr.contains("hello_2.10-3_amd64.deb"), "{}", run.stderr);
    assert!(!f.path("out/hello").exists(), "no image from a tampered package");
    f.server.insert(path, f.original(path));
    f.buckle.run(&["build", "hello.toml"]).ok();
}

#[test]
fn a_truncated_download_is_retried_or_refused_never_cached() {
    let f = Fixture::new();
    f.buckle.run(&["lock", "hello.toml"]).ok();
    let path = "/pool/main/h/hello/hello_2.10-3_amd64.deb";
    let full = f.original(path);
    f.server.insert(path, full[..full.len() / 2].to_vec());
    f.buckle.run(&["fetch", "hello.lock"]).fails_with(3);
    f.server.insert(path, full);
    let run = f.buckle.run(&["fetch", "hello.lock"]).ok();
    assert!(run.stderr.contains("downloaded"), "{}", run.stderr);
}

#[test]
fn an_archive_whose_index_does_not_match_release_is_refused() {
    let key = buckle_testkit::keys::TestKey::generate("archive");
    let suite = fixture::packages(1)
        .into_iter()
        .fold(SuiteBuilder::new("trixie"), SuiteBuilder::package)
        .breaking(Break::IndexDigest("main/binary-amd64/Packages.xz".into()));
    let f = Fixture::new();
    for (path, bytes) in RepoBuilder::new(&key).suite(suite).build().files() {
        f.server.insert(path, bytes.clone());
    }
    std::fs::write(f.path("archive.asc"), key.armored_public()).unwrap();
    let run = f.buckle.run(&["lock", "hello.toml"]).fails_with(3);
    assert!(run.stderr.contains("Packages"), "{}", run.stderr);
}

#[test]
fn scan_marks_a_package_with_no_files_in_the_image_not_affected() {
    let mut packages = fixture::packages(1);
    packages.push(package(
        "hello-doc",
        "2.10-3",
        &[("Source", "hello")],
        &[("usr/share/doc/hello-doc/README", b"how to say hello\n", 0o644)],
    ));
    let f = Fixture::with_packages(packages);
    f.write_spec(
        "hello.toml",
        &SPEC.replace("\"hello\"]", "\"hello\", \"hello-doc\"]"),
    );
    f.buckle.run(&["build", "-q", "hello.toml"]).ok();
    std::fs::write(
        f.path("tracker.json"),
        r#"{"hello": {"CVE-2099-0002": {"releases": {"trixie": {"status": "resolved", "fixed_version": "2.10-4", "urgency": "medium"}}}}}"#,
    )
    .unwrap();
    f.buckle.run(&["feeds", "import", "tracker.json"]).ok();
    f.update_archive_feed();
    let scan = |extra: &[&str]| {
        let mut args = vec!["scan", "out/hello", "--release", "trixie", "--format", "json"];
        args.extend_from_slice(extra);
        f.buckle.run(&args).ok().json()
    };
    let findings = |report: &Value| -> Vec<(String, Value)> {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| (d["package"].as_str().unwrap().to_owned(), d["vex"].clone()))
            .collect()
    };
    // The program's package is affected; the docs-only package of the same source is not.
    assert_eq!(findings(&scan(&[])), [("hello".to_owned(), Value::Null)]);
    let all = findings(&scan(&["--show-suppressed"]));
    assert_eq!(all.len(), 2, "{all:?}");
    let (_, vex) = all.iter().find(|(package, _)| package == "hello-doc").unwrap();
    assert_eq!(vex["status"], "not_affected", "{vex:#}");
    assert_eq!(vex["justification"], "vulnerable_code_not_present", "{vex:#}");
}

#[test]
fn a_file_that_is_not_a_seccomp_profile_is_refused_before_anything_runs() {
    let f = Fixture::new();
    std::fs::write(f.path("not-json.json"), "defaultAction").unwrap();
    std::fs::write(f.path("no-rules.json"), r#"{"defaultAction": "SCMP_ACT_ERRNO"}"#).unwrap();
    let run = f
        .buckle
        .run(&["test", "hello.toml", "--seccomp", "not-json.json"])
        .fails_with(2);
    assert!(
        run.stderr.contains("`not-json.json` is not JSON"),
        "{}",
        run.stderr
    );
    let run = f
        .buckle
        .run(&["test", "hello.toml", "--seccomp", "no-rules.json"])
        .fails_with(2);
    assert!(
        run.stderr.contains("`no-rules.json` is not a seccomp profile"),
        "{}",
        run.stderr
    );
}

#[test]
fn lock_of_a_catalog_directory_locks_an_app_specs_base_once_and_bad_paths_are_named() {
    let f = Fixture::new();
    std::fs::create_dir(f.path("cat")).unwrap();
    std::fs::copy(f.path("hello.toml"), f.path("cat/hello.toml")).unwrap();
    std::fs::copy(f.path("archive.asc"), f.path("cat/archive.asc")).unwrap();
    // An app spec in the catalog, on the spec beside it.
    std::fs::write(
        f.path("cat/tool.toml"),
        "name = \"tool\"\nbase = \"hello\"\n[app]\nfiles = [{ from = \"tool.toml\", to = \"/app/tool.toml\" }]\n",
    )
    .unwrap();
    let run = f.buckle.run(&["lock", "cat", "cat/tool.toml"]).ok();
    assert_eq!(run.stderr.matches("Locked").count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("hello.lock"), "{}", run.stderr);
    assert!(f.path("cat/hello.lock").is_file());
    assert!(!f.path("cat/tool.lock").exists());

    let missing = f.buckle.run(&["lock", "nosuch.toml"]).fails_with(2);
    assert!(
        missing
            .stderr
            .contains("`nosuch.toml` is neither a spec nor a directory of specs"),
        "{}",
        missing.stderr
    );
    std::fs::create_dir(f.path("empty")).unwrap();
    let empty = f.buckle.run(&["lock", "empty"]).fails_with(2);
    assert!(
        empty.stderr.contains("`empty` holds no specs (*.toml)"),
        "{}",
        empty.stderr
    );
}
