//! Registry references wherever an IMAGE is read, and the one parser of `--insecure`
//! and `BUCKLE_REGISTRY_INSECURE`. The spelling tests run everywhere; the tests that
//! push a signed image to `docker-registry` on loopback and read it back need the
//! feature `registry`.

use crate::fixture::Fixture;

const INSECURE: &str = "BUCKLE_REGISTRY_INSECURE";

/// Every command that takes a registry reference, with arguments that get past
/// argument parsing (and then fail or not; only parsing is looked at).
const COMMANDS: &[&[&str]] = &[
    &["inspect", "missing"],
    &["sbom", "missing"],
    &["check", "missing"],
    &["diff", "missing", "missing"],
    &["compare", "missing", "missing"],
    &["verify", "missing", "--key", "missing.pub"],
    &["attestations", "missing"],
    &["scan", "missing"],
    &["push", "missing", "127.0.0.1:9/x"],
    &["pull", "127.0.0.1:9/x", "pulled"],
    &["mirror", "127.0.0.1:9/x", "127.0.0.1:9/y"],
    &["update", "missing"],
    &["build", "missing.toml"],
];

#[test]
fn every_command_takes_insecure_as_a_flag_and_every_spelling_of_its_variable() {
    let f = Fixture::new();
    for command in COMMANDS {
        let mut with_flag = command.to_vec();
        with_flag.push("--insecure");
        let stderr = f.buckle.run(&with_flag).stderr;
        assert!(!stderr.contains("unexpected argument"), "{with_flag:?}: {stderr}");
        for spelling in ["1", "true", "yes", "on", "TRUE", "0", "false", "no", "off", ""] {
            let stderr = f.buckle.run_with_env(command, INSECURE, spelling).stderr;
            assert!(
                !stderr.contains("invalid value") && !stderr.contains("possible values"),
                "{command:?} with {INSECURE}={spelling}: {stderr}"
            );
        }
        let stderr = f
            .buckle
            .run_with_env(command, INSECURE, "maybe")
            .fails_with(2)
            .stderr;
        assert!(
            stderr.contains("'maybe'") && stderr.contains("1, true, yes or on") && stderr.contains(INSECURE),
            "{command:?}: {stderr}"
        );
    }
}

#[cfg(feature = "registry")]
mod published {
    use crate::cli::Run;
    use crate::fixture::Fixture;
    use buckle_testkit::registry::DockerRegistry as TestRegistry;
    use serde_json::Value;

    const PASSWORD: &str = "test password";

    /// A signed image built from the fixture and pushed to `registry` (under `latest`
    /// and its version tag, as the layout names it): its reference.
    fn signed_and_pushed(f: &Fixture, registry: &TestRegistry) -> String {
        f.buckle
            .run_with_password(Some(PASSWORD), &["keygen", "-o", "release"])
            .ok();
        let reference = format!("{}/hardened/hello:latest", registry.address);
        f.buckle
            .run_with_password(
                Some(PASSWORD),
                &[
                    "build",
                    "hello.toml",
                    "--sign",
                    "release.key",
                    "--push",
                    &reference,
                    "--insecure",
                ],
            )
            .ok();
        reference
    }

    fn run(f: &Fixture, args: &[&str]) -> Run {
        f.buckle.run(args)
    }

    /// `(rule, status)` of every finding of a `check --json` report.
    fn statuses(report: &Value) -> Vec<(String, String)> {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["rule"].as_str().unwrap().to_owned(),
                    f["status"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }

    /// `(kind, type)` of what `attestations --json` lists, per image. (Where each is
    /// found, under a cosign tag or as a referrer, differs: both are pulled.)
    fn attached(listed: &Value) -> Vec<Vec<(String, String)>> {
        listed["images"]
            .as_array()
            .unwrap()
            .iter()
            .map(|image| {
                let mut items: Vec<_> = image["attached"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| {
                        (
                            a["kind"].as_str().unwrap().to_owned(),
                            a["type"].as_str().unwrap().to_owned(),
                        )
                    })
                    .collect();
                items.sort();
                items
            })
            .collect()
    }

    #[test]
    fn a_signed_image_in_the_registry_verifies_lists_checks_scans_and_diffs_like_its_layout() {
        let f = Fixture::new();
        let registry = TestRegistry::start();
        let reference = signed_and_pushed(&f, &registry);
        let r = reference.as_str();

        let verified = run(
            &f,
            &[
                "verify",
                r,
                "--key",
                "release.pub",
                "--insecure",
                "--require",
                "slsaprovenance1",
                "--require",
                "spdxjson",
                "--require",
                "cyclonedx",
                "--json",
            ],
        )
        .ok();
        let report = verified.json();
        assert_eq!(report["passed"], true, "{report:#}");
        assert!(verified.stderr.contains("plain HTTP"), "{}", verified.stderr);

        let listed = attached(&run(&f, &["attestations", r, "--insecure", "--json"]).ok().json());
        let local = attached(&run(&f, &["attestations", "out/hello", "--json"]).ok().json());
        assert_eq!(listed, local);
        assert!(
            listed[0].iter().any(|(kind, _)| kind == "signature"),
            "{listed:?}"
        );

        let remote_check = run(&f, &["check", r, "--insecure", "--json"]).ok().json();
        let local_check = run(&f, &["check", "out/hello", "--json"]).ok().json();
        assert_eq!(remote_check["score"], local_check["score"], "{remote_check:#}");
        assert_eq!(statuses(&remote_check), statuses(&local_check));

        f.update_archive_feed();
        let scan = |target: &str| {
            let mut document = run(
                &f,
                &["scan", target, "--insecure", "--release", "trixie", "-f", "json"],
            )
            .ok()
            .json();
            document["target"] = Value::Null;
            document
        };
        assert_eq!(scan(r), scan("out/hello"));

        let diff = run(&f, &["diff", r, "out/hello", "--insecure", "--json"])
            .ok()
            .json();
        let unchanged = |v: &Value| v.as_array().is_none_or(Vec::is_empty);
        for side in ["added", "removed", "changed"] {
            assert!(unchanged(&diff["packages"][side]), "{diff:#}");
            assert!(unchanged(&diff["files"][side]), "{diff:#}");
        }
        run(&f, &["compare", r, "out/hello", "--insecure"]).ok();

        // The variable alone, in any of its spellings, does what the flag does.
        let remote = f
            .buckle
            .run_with_env(&["inspect", r, "--json"], super::INSECURE, "yes")
            .ok()
            .json();
        let local = run(&f, &["inspect", "out/hello", "--json"]).ok().json();
        assert_eq!(remote["digest"], local["digest"]);
        assert_eq!(remote["packages"], local["packages"]);
    }

    #[test]
    fn a_signature_added_in_the_registry_after_a_first_read_is_seen_by_the_next() {
        let f = Fixture::new();
        let registry = TestRegistry::start();
        // Pushed unsigned: verify reads it (and fails), then the signed image is pushed
        // under the same digest's tag and verify reads its signatures afresh.
        f.buckle.run(&["build", "hello.toml"]).ok();
        let reference = format!("{}/hardened/hello:latest", registry.address);
        run(&f, &["push", "out/hello", &reference, "--insecure"]).ok();
        f.buckle
            .run_with_password(Some(PASSWORD), &["keygen", "-o", "release"])
            .ok();
        let unsigned = run(&f, &["verify", &reference, "--key", "release.pub", "--insecure"]).fails_with(1);
        assert!(unsigned.stdout.contains("FAIL"), "{}", unsigned.stdout);
        // What check sees is the registry's: no signature yet, and only `latest` there
        // (the layout also has a version tag).
        let report = run(&f, &["check", &reference, "--insecure", "--json"]).ok();
        assert_eq!(report.check_status("BKL-ATTACH-SIGNATURE"), "fail");
        assert_eq!(report.check_status("BKL-TAG-LATEST"), "fail");

        f.buckle
            .run_with_password(Some(PASSWORD), &["sign", "out/hello", "--key", "release.key"])
            .ok();
        run(&f, &["push", "out/hello", &reference, "--insecure"]).ok();
        run(&f, &["verify", &reference, "--key", "release.pub", "--insecure"]).ok();
        let report = run(&f, &["check", &reference, "--insecure", "--json"]).ok();
        assert_eq!(report.check_status("BKL-ATTACH-SIGNATURE"), "pass");
    }
}
