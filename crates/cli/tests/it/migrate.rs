//! `buckle migrate`: the files it writes, `--registry`, `--map`, `--json`, and bad input.

use crate::cli::Buckle;

const DOCKERFILE: &str = "FROM ubuntu:24.04\n# the runtime libraries\nRUN apt-get update && apt-get install -y libjpeg-turbo8 zlib1g\nCOPY server /usr/local/bin/server\nUSER root\nCMD /usr/local/bin/server --port 8080\n";

fn setup() -> (tempfile::TempDir, Buckle) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("thumbnailer")).unwrap();
    std::fs::write(dir.path().join("thumbnailer/Dockerfile"), DOCKERFILE).unwrap();
    let buckle = Buckle::new(dir.path(), &dir.path().join("cache"));
    (dir, buckle)
}

#[test]
fn migrate_writes_the_dockerfile_and_spec_beside_the_original_and_reports_each_change() {
    let (dir, buckle) = setup();
    let run = buckle
        .run(&[
            "migrate",
            "thumbnailer/Dockerfile",
            "--registry",
            "registry.example/hardened",
        ])
        .ok();
    let migrated = std::fs::read_to_string(dir.path().join("thumbnailer/Dockerfile.buckle")).unwrap();
    assert_eq!(
        migrated,
        "FROM registry.example/hardened/thumbnailer\n# the runtime libraries\nCOPY server /usr/local/bin/server\nUSER 65532\nCMD [\"/usr/local/bin/server\", \"--port\", \"8080\"]\n"
    );
    let spec = std::fs::read_to_string(dir.path().join("thumbnailer/thumbnailer.toml")).unwrap();
    assert!(
        spec.contains("\"libjpeg62-turbo\""),
        "Ubuntu's name mapped to Debian's:\n{spec}"
    );
    assert!(
        run.stdout.contains("line 5: USER root -> USER 65532"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("renamed: libjpeg-turbo8 -> libjpeg62-turbo"),
        "{}",
        run.stdout
    );
}

#[test]
fn migrate_json_is_the_report_and_a_map_file_wins() {
    let (dir, buckle) = setup();
    std::fs::write(
        dir.path().join("map.toml"),
        "[[image]]\nrepository = \"ubuntu\"\nspec = \"cc\"\npackages = \"ubuntu\"\n",
    )
    .unwrap();
    let json = buckle
        .run(&[
            "migrate",
            "thumbnailer/Dockerfile",
            "--map",
            "map.toml",
            "--json",
            "-o",
            "out.Dockerfile",
        ])
        .ok()
        .json();
    assert_eq!(json["dockerfile"], "out.Dockerfile");
    assert_eq!(json["report"]["spec"]["base"], "cc");
    assert_eq!(
        json["report"]["stages"][0]["to"],
        "localhost:5000/buckle/thumbnailer"
    );
    let changes = json["report"]["changes"].as_array().unwrap();
    assert!(changes.iter().all(|c| !c["why"].as_str().unwrap().is_empty()));
    assert!(dir.path().join("out.Dockerfile").exists() && dir.path().join("thumbnailer.toml").exists());
}

#[test]
fn migrate_rejects_a_broken_dockerfile_at_its_line_and_writes_nothing() {
    let (dir, buckle) = setup();
    std::fs::write(
        dir.path().join("thumbnailer/Dockerfile"),
        "FROM debian:12\nRUN <<EOF\necho\n",
    )
    .unwrap();
    let run = buckle.run(&["migrate", "thumbnailer/Dockerfile"]).fails_with(2);
    assert!(
        run.stderr
            .contains("Dockerfile: lines 2-3: unterminated heredoc `<<EOF`"),
        "{}",
        run.stderr
    );
    assert!(!dir.path().join("thumbnailer/Dockerfile.buckle").exists());
}
