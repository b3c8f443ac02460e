//! `buckle bundle create|verify|import` and `--offline`, with the test archive: a
//! bundle made where the archive is reachable builds the same image in a cache that
//! never saw the archive; damaged, altered, wrongly signed bundles and deltas without
//! their base import nothing; an expired bundle is usable only with `--offline`, and
//! the provenance says so.

use crate::cli::Buckle;
use crate::fixture::{packages, Fixture};
use buckle_testkit::repo::{RepoBuilder, SuiteBuilder};
use serde_json::Value;
use std::path::Path;

const PASSWORD: &str = "bundle test password";

/// A second machine: the same directory (specs, locks), its own empty cache.
fn disconnected(f: &Fixture) -> Buckle {
    Buckle::new(f.dir.path(), &f.dir.path().join("disconnected-cache"))
}

fn built_digest(run: &crate::cli::Run) -> String {
    run.json()[0]["digest"].as_str().unwrap().to_owned()
}

fn imported_anything(cache: &Path) -> bool {
    cache.join("bundles").exists() || cache.join("blobs").exists()
}

#[test]
fn an_imported_bundle_builds_the_same_image_offline_and_relocks_there() {
    let f = Fixture::new();
    let online = built_digest(
        &f.buckle
            .run(&["build", "hello.toml", "--json", "-o", "online"])
            .ok(),
    );
    let created = f
        .buckle
        .run(&["bundle", "create", "hello.toml", "-o", "hello.bundle", "--json"])
        .ok()
        .json();
    assert_eq!(created["counts"]["debs"], 5, "{created:#}");
    assert_eq!(created["counts"]["suites"], 1, "{created:#}");

    let away = disconnected(&f);
    let missing = away
        .run(&["build", "hello.toml", "--offline", "-o", "offline"])
        .fails_with(4);
    assert!(missing.stderr.contains("working offline"), "{}", missing.stderr);
    assert!(
        missing.stderr.contains("buckle bundle import"),
        "{}",
        missing.stderr
    );

    let verified = away
        .run(&[
            "bundle",
            "verify",
            "hello.bundle",
            "--keyring",
            "archive.asc",
            "--json",
        ])
        .ok()
        .json();
    assert_eq!(verified["digest"], created["digest"]);
    assert_eq!(verified["suites"][0]["expired"], false);
    // Debian's keys alone do not sign the test archive.
    away.run(&["bundle", "verify", "hello.bundle"]).fails_with(3);

    away.run(&["bundle", "import", "hello.bundle", "--keyring", "archive.asc"])
        .ok();
    let offline = built_digest(
        &away
            .run(&["build", "hello.toml", "--offline", "--json", "-o", "offline"])
            .ok(),
    );
    assert_eq!(offline, online, "the offline build differs from the online one");
    let relock = away.run(&["lock", "--update", "hello.toml", "--offline"]).ok();
    assert!(relock.stderr.contains("hello.lock"), "{}", relock.stderr);
}

#[test]
fn a_delta_carries_only_what_changed_and_needs_its_base() {
    let f = Fixture::new();
    f.buckle.run(&["lock", "hello.toml"]).ok();
    let base = f
        .buckle
        .run(&["bundle", "create", "hello.toml", "-o", "day1.bundle", "--json"])
        .ok()
        .json();
    f.republish(packages(2));
    f.buckle.run(&["lock", "--update", "hello.toml"]).ok();
    let delta = f
        .buckle
        .run(&[
            "bundle",
            "create",
            "hello.toml",
            "--since",
            "day1.bundle",
            "-o",
            "day2.bundle",
            "--json",
        ])
        .ok()
        .json();
    assert_eq!(delta["base"], base["digest"]);
    let carried = delta["carried"].as_u64().unwrap();
    assert!(
        carried > 0 && carried < delta["members"].as_u64().unwrap(),
        "{delta:#}"
    );

    let away = disconnected(&f);
    let refused = away
        .run(&["bundle", "import", "day2.bundle", "--keyring", "archive.asc"])
        .fails_with(2);
    assert!(
        refused.stderr.contains("import that bundle first"),
        "{}",
        refused.stderr
    );
    assert!(
        !away.cache.join("bundles").exists(),
        "a refused delta left a record"
    );
    away.run(&["bundle", "import", "day1.bundle", "--keyring", "archive.asc"])
        .ok();
    away.run(&["bundle", "import", "day2.bundle", "--keyring", "archive.asc"])
        .ok();
    away.run(&["build", "hello.toml", "--offline", "-o", "offline"])
        .ok();
}

#[test]
fn a_truncated_or_wrongly_signed_bundle_imports_nothing() {
    let f = Fixture::new();
    f.buckle.run(&["lock", "hello.toml"]).ok();
    f.buckle
        .run_with_password(Some(PASSWORD), &["keygen", "-o", "release"])
        .ok();
    f.buckle
        .run_with_password(Some(PASSWORD), &["keygen", "-o", "other"])
        .ok();
    f.buckle
        .run_with_password(
            Some(PASSWORD),
            &[
                "bundle",
                "create",
                "hello.toml",
                "-o",
                "signed.bundle",
                "--sign",
                "release.key",
            ],
        )
        .ok();
    let whole = std::fs::read(f.path("signed.bundle")).unwrap();
    std::fs::write(f.path("truncated.bundle"), &whole[..whole.len() / 2]).unwrap();

    let away = disconnected(&f);
    let truncated = away
        .run(&["bundle", "import", "truncated.bundle", "--keyring", "archive.asc"])
        .fails_with(3);
    assert!(
        truncated.stderr.contains("truncated") || truncated.stderr.contains("incomplete"),
        "{}",
        truncated.stderr
    );
    let wrong_key = away
        .run(&[
            "bundle",
            "import",
            "signed.bundle",
            "--keyring",
            "archive.asc",
            "--key",
            "other.pub",
        ])
        .fails_with(3);
    assert!(wrong_key.stderr.contains("signature"), "{}", wrong_key.stderr);
    assert!(
        !imported_anything(&away.cache),
        "a refused bundle left files in the cache"
    );
    away.run(&[
        "bundle",
        "import",
        "signed.bundle",
        "--keyring",
        "archive.asc",
        "--key",
        "release.pub",
    ])
    .ok();
}

#[test]
fn an_expired_bundle_builds_only_offline_and_the_provenance_says_it_was_stale() {
    let f = Fixture::new();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let date = |t: i64| buckle_archive::ReleaseDate::from_unix(t).to_string();
    let suite = packages(1).into_iter().fold(
        SuiteBuilder::new("trixie")
            .date(&date(now - 60))
            .valid_until(&date(now + 3)),
        SuiteBuilder::package,
    );
    for (path, bytes) in RepoBuilder::new(&f.key).suite(suite).build().files() {
        f.server.insert(path, bytes.clone());
    }
    f.buckle.run(&["lock", "hello.toml"]).ok();
    let created = f
        .buckle
        .run(&["bundle", "create", "hello.toml", "-o", "week.bundle", "--json"])
        .ok()
        .json();
    let away = disconnected(&f);
    away.run(&["bundle", "import", "week.bundle", "--keyring", "archive.asc"])
        .ok();
    away.run_with_password(Some(PASSWORD), &["keygen", "-o", "release"])
        .ok();
    // Past Valid-Until (whole seconds, so wait until the next one has surely begun).
    std::thread::sleep(std::time::Duration::from_secs(5));

    let online = away.run(&["lock", "--update", "hello.toml"]).fails_with(3);
    assert!(
        online.stderr.to_lowercase().contains("expired"),
        "{}",
        online.stderr
    );
    away.run(&["lock", "--update", "hello.toml", "--offline"]).ok();
    let verify = away
        .run(&["bundle", "verify", "week.bundle", "--keyring", "archive.asc"])
        .ok();
    assert!(verify.stdout.contains("EXPIRED"), "{}", verify.stdout);

    away.run_with_password(
        Some(PASSWORD),
        &[
            "build",
            "hello.toml",
            "--offline",
            "--sign",
            "release.key",
            "-o",
            "stale",
        ],
    )
    .ok();
    let statement = away
        .run(&["attestations", "stale", "--show", "slsaprovenance1"])
        .ok()
        .json();
    let statement: &Value = statement.as_array().map_or(&statement, |all| &all[0]);
    let offline = &statement["predicate"]["buildDefinition"]["internalParameters"]["offline"];
    assert_eq!(offline["stale"], true, "{statement:#}");
    assert_eq!(offline["bundle"], created["digest"], "{statement:#}");
    let verified = away.run(&["verify", "stale", "--key", "release.pub"]).ok();
    assert!(
        verified.stdout.contains(&format!(
            "built offline from bundle {}",
            created["digest"].as_str().unwrap()
        )) && verified.stdout.contains("STALE"),
        "{}",
        verified.stdout
    );
}
