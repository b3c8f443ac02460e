//! Crash safety (docs/SECURITY.md): `buckle build`, `pull`, `feeds update` and `update
//! --rebuild` killed with SIGKILL at spread-out moments leave the cache, the output, the
//! feed store and the lock as they were or complete, and the next run succeeds with the
//! same digest. Eight mixed commands at once against one
//! cache and output tree give what each gives alone.

use crate::fixture::{packages, Fixture};
use buckle_digest::Sha256;
use std::path::Path;
use std::time::{Duration, Instant};

/// How many kills the test makes.
const KILLS: u32 = 50;

/// Every cache entry's content still hashes to its name.
fn cache_is_sound(cache: &Path) -> Result<usize, String> {
    let dir = cache.join("blobs/sha256");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(0);
    };
    let mut count = 0;
    for entry in entries {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if name.len() != 64 {
            continue; // a writer's temporary file: never read as an entry
        }
        let bytes = std::fs::read(&path).unwrap();
        if Sha256::of(&bytes).hex() != name {
            return Err(format!("cache entry {name} does not hash to its name"));
        }
        count += 1;
    }
    Ok(count)
}

/// The digest of the image the layout at `out` names, if it opens and every blob of
/// that image verifies; `Err` for a layout that is there but broken.
fn layout_digest(out: &Path) -> Result<Option<String>, String> {
    if !out.exists() {
        return Ok(None);
    }
    let image = buckle_oci::open_image(out, &Default::default()).map_err(|e| format!("{e:#}"))?;
    for index in 0..image.layers().len() {
        let mut layer = image.open_layer(index).map_err(|e| e.to_string())?;
        std::io::copy(&mut layer, &mut std::io::sink()).map_err(|e| format!("layer {index}: {e}"))?;
    }
    Ok(Some(image.manifest_digest().oci()))
}

/// How long `buckle ARGS` takes warm: run once, then timed on a second run.
fn warm_duration(f: &Fixture, args: &[&str]) -> Duration {
    f.buckle.run(args).ok();
    let started = Instant::now();
    f.buckle.run(args).ok();
    started.elapsed()
}

/// Runs `buckle ARGS` [`KILLS`] times, each killed with SIGKILL after a delay spread
/// over three times `warm` (so early kills land in downloads and locking, later ones in
/// writing); after each, `inspect` says what is wrong, if anything. Asserts nothing was
/// wrong and that some runs were really interrupted.
fn kill_repeatedly(f: &Fixture, args: &[&str], warm: Duration, mut inspect: impl FnMut() -> Vec<String>) {
    let span = warm.max(Duration::from_millis(200)) * 3;
    let mut problems = Vec::new();
    let mut completed = 0;
    for kill in 0..KILLS {
        let delay = span * kill / KILLS;
        let mut child = f.buckle.command().args(args).spawn().unwrap();
        std::thread::sleep(delay);
        child.kill().ok();
        if child.wait().unwrap().success() {
            completed += 1;
        }
        if let Err(problem) = cache_is_sound(&f.path("cache")) {
            problems.push(problem);
        }
        problems.extend(
            inspect()
                .into_iter()
                .map(|p| format!("kill {kill} after {delay:?}: {p}")),
        );
    }
    assert!(
        problems.is_empty(),
        "`buckle {}`:\n{}",
        args.join(" "),
        problems.join("\n")
    );
    assert!(
        completed < KILLS,
        "no `buckle {}` was interrupted: the kills came too late to test anything",
        args.join(" ")
    );
}

/// What is wrong with the layout at `out`: broken, or another image than `expected`
/// (which the first complete layout sets when it is None).
fn layout_problem(out: &Path, expected: &mut Option<String>) -> Option<String> {
    match layout_digest(out) {
        Ok(Some(digest)) => match expected {
            Some(first) if *first != digest => {
                Some(format!("{} is {digest}, earlier {first}", out.display()))
            }
            _ => {
                *expected = Some(digest);
                None
            }
        },
        Err(broken) => Some(format!("{} is broken: {broken}", out.display())),
        Ok(None) => None,
    }
}

fn lock_problem(f: &Fixture, name: &str) -> Option<String> {
    let path = f.path(name);
    let text = std::fs::read_to_string(&path).ok()?;
    buckle_spec::Lock::parse(&text, Path::new(name))
        .err()
        .map(|e| format!("{name} is broken: {e}"))
}

#[test]
fn build_killed_at_any_moment_leaves_nothing_half_done() {
    // How long a warm build takes here, in an archive of its own.
    let timing = Fixture::new();
    let warm = warm_duration(&timing, &["build", "hello.toml", "-o", "out/again"]);

    let f = Fixture::new();
    // Every complete layout seen must be the one image this archive and spec give.
    let mut expected: Option<String> = None;
    kill_repeatedly(&f, &["build", "hello.toml"], warm, || {
        let mut problems: Vec<String> = layout_problem(&f.path("out/hello"), &mut expected)
            .into_iter()
            .collect();
        problems.extend(lock_problem(&f, "hello.lock"));
        problems
    });
    f.buckle.run(&["build", "hello.toml"]).ok();
    let last = layout_digest(&f.path("out/hello")).unwrap();
    assert!(
        expected.is_none() || last == expected,
        "{last:?} after {expected:?}"
    );
}

#[test]
fn pull_killed_at_any_moment_leaves_nothing_half_done() {
    let f = Fixture::new();
    f.buckle.run(&["build", "hello.toml"]).ok();
    let registry = buckle_testkit::registry::DockerRegistry::start();
    let reference = format!("{}/crash/hello:latest", registry.address);
    f.buckle
        .run(&["push", "out/hello", &reference, "--insecure"])
        .ok();
    let pushed = layout_digest(&f.path("out/hello")).unwrap();
    let warm = warm_duration(&f, &["pull", &reference, "out/timing", "--insecure"]);
    let mut expected = pushed.clone();
    kill_repeatedly(
        &f,
        &["pull", &reference, "out/pulled", "--insecure"],
        warm,
        || {
            layout_problem(&f.path("out/pulled"), &mut expected)
                .into_iter()
                .collect()
        },
    );
    f.buckle
        .run(&["pull", &reference, "out/pulled", "--insecure"])
        .ok();
    assert_eq!(layout_digest(&f.path("out/pulled")).unwrap(), pushed);
}

#[test]
fn feeds_update_killed_at_any_moment_leaves_a_store_that_loads() {
    let f = Fixture::new();
    f.update_archive_feed();
    let store = buckle_feeds::Store::new(&f.path("cache"));
    let args = [
        "--mirror",
        &f.server.url(),
        "--security-mirror",
        &f.server.url(),
        "feeds",
        "update",
        "--release",
        "trixie",
        "--archive-only",
        "--arch",
        "amd64",
        "--keyring",
        "archive.asc",
    ]
    .map(str::to_owned);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let warm = warm_duration(&f, &args);
    kill_repeatedly(&f, &args, warm, || match store.load() {
        Ok(loaded) if loaded.feeds.is_empty() => vec!["the feed store lost its feeds".to_owned()],
        Ok(_) => Vec::new(),
        Err(e) => vec![format!("the feed store does not load: {e}")],
    });
    f.buckle.run(&args).ok();
    assert!(!store.load().unwrap().feeds.is_empty());
}

#[test]
fn update_rebuild_killed_at_any_moment_leaves_nothing_half_done() {
    let f = Fixture::new();
    f.buckle.run(&["build", "hello.toml"]).ok();
    let before = layout_digest(&f.path("out/hello")).unwrap();
    let timing = Fixture::new();
    timing.buckle.run(&["build", "hello.toml"]).ok();
    timing.republish(packages(2));
    let started = Instant::now();
    timing.buckle.run(&["update", "--rebuild", "hello.toml"]).ok();
    let warm = started.elapsed();

    f.republish(packages(2));
    let mut seen: Vec<String> = before.iter().cloned().collect();
    kill_repeatedly(&f, &["update", "--rebuild", "hello.toml"], warm, || {
        let mut problems = Vec::new();
        match layout_digest(&f.path("out/hello")) {
            Ok(Some(digest)) if !seen.contains(&digest) => {
                if seen.len() > 1 {
                    problems.push(format!("out/hello is a third image {digest}: {seen:?}"));
                }
                seen.push(digest);
            }
            Ok(_) => {}
            Err(broken) => problems.push(format!("out/hello is broken: {broken}")),
        }
        problems.extend(lock_problem(&f, "hello.lock"));
        problems
    });
    f.buckle.run(&["update", "--rebuild", "hello.toml"]).ok();
    let rebuilt = layout_digest(&f.path("out/hello")).unwrap();
    assert_ne!(rebuilt, before, "the fix was not rebuilt");
    f.buckle.run(&["build", "hello.toml", "-o", "out/fresh"]).ok();
    assert_eq!(
        rebuilt,
        layout_digest(&f.path("out/fresh")).unwrap(),
        "the rebuild is not what the lock builds"
    );
}

/// Eight commands at once, against one cache and one output tree.
const MIXED: [&[&str]; 8] = [
    &["build", "hello.toml", "-o", "out/hello"],
    &["build", "hello.toml", "--variant", "dev", "-o", "out/hello-dev"],
    &["build", "second.toml", "-o", "out/second"],
    &["build", "second.toml", "--variant", "dev", "-o", "out/second-dev"],
    &[
        "build",
        "hello.toml",
        "--format",
        "docker-archive",
        "-o",
        "out/hello.tar",
    ],
    &["fetch", "second.toml"],
    &["sbom", "reference/hello", "-o", "out/hello.spdx.json"],
    &["check", "reference/second", "--json"],
];

/// What a finished command left: the image digest of a layout or archive it wrote, the
/// SBOM's package names, or (for commands that write nothing) its exit status.
fn outcome(f: &Fixture, args: &[&str], run: &crate::cli::Run) -> String {
    let output = args.iter().position(|a| *a == "-o").map(|i| f.path(args[i + 1]));
    match (args[0], output) {
        ("build", Some(out)) => match buckle_oci::open_image(&out, &Default::default()) {
            Ok(image) => image.manifest_digest().oci(),
            Err(e) => format!("unreadable: {e:#}"),
        },
        ("sbom", Some(out)) => {
            let document: serde_json::Value = serde_json::from_slice(&std::fs::read(out).unwrap()).unwrap();
            let mut names: Vec<String> = document["packages"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|p| p["name"].as_str().map(str::to_owned))
                .collect();
            names.sort();
            names.join(",")
        }
        ("check", _) => run.stdout.clone(),
        _ => "done".to_owned(),
    }
}

#[test]
fn eight_mixed_commands_at_once_share_one_cache_and_output_tree_correctly() {
    let f = Fixture::new();
    f.write_spec(
        "second.toml",
        "name = \"second\"\npackages = [\"base-files\", \"libfoo1\"]\n[dev]\npackages = [\"dash\"]\n",
    );
    f.buckle
        .run(&["build", "hello.toml", "-o", "reference/hello"])
        .ok();
    f.buckle
        .run(&["build", "second.toml", "-o", "reference/second"])
        .ok();
    // What each command gives when it runs alone.
    let expected: Vec<String> = MIXED
        .iter()
        .map(|args| outcome(&f, args, &f.buckle.run(args).ok()))
        .collect();
    for round in 0..3 {
        std::fs::remove_dir_all(f.path("out")).unwrap();
        let children: Vec<_> = MIXED
            .iter()
            .map(|args| {
                f.buckle
                    .command()
                    .args(*args)
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for (args, child) in MIXED.iter().zip(children) {
            let run = crate::cli::Run::from(child.wait_with_output().unwrap()).ok();
            assert_eq!(
                outcome(&f, args, &run),
                expected[MIXED.iter().position(|a| a == args).unwrap()],
                "round {round}: `buckle {}` gave another result beside seven other commands",
                args.join(" ")
            );
        }
        cache_is_sound(&f.path("cache")).unwrap();
    }
}
