//! Every example in docs/spec.md parses, and the lock example is byte-stable.

use buckle_spec::{AppSpec, Lock, Spec};

const DOC: &str = include_str!("../../../docs/spec.md");

/// (info string, first line number, body) of each fenced block.
fn fenced_blocks() -> Vec<(String, usize, String)> {
    let mut blocks = Vec::new();
    let mut open: Option<(String, usize, String)> = None;
    for (i, line) in DOC.lines().enumerate() {
        match (&mut open, line.strip_prefix("```")) {
            (None, Some(info)) => open = Some((info.trim().to_owned(), i + 2, String::new())),
            (Some(_), Some("")) => blocks.extend(open.take()),
            (Some((_, _, body)), _) => {
                body.push_str(line);
                body.push('\n');
            }
            (None, None) => {}
        }
    }
    assert!(open.is_none(), "unterminated code block in docs/spec.md");
    blocks
}

#[test]
fn every_spec_example_in_the_docs_parses() {
    let mut specs = 0;
    for (info, line, body) in fenced_blocks() {
        let text = match info.as_str() {
            "toml" => body,
            "toml fragment" => format!("name = \"example\"\npackages = [\"base-files\"]\n{body}"),
            _ => continue,
        };
        if let Err(e) = Spec::parse(&text, format!("docs/spec.md block at line {line}")) {
            panic!("{e}\nhint: {:?}\n{text}", e.hint());
        }
        specs += 1;
    }
    assert!(specs >= 10, "expected an example per section, found {specs}");
}

#[test]
fn app_spec_example_in_the_docs_parses() {
    let apps: Vec<_> = fenced_blocks()
        .into_iter()
        .filter(|(info, _, _)| info == "toml app")
        .collect();
    assert_eq!(apps.len(), 2, "the python app and catalog/buckle.toml");
    let catalog_buckle = include_str!("../../../catalog/buckle.toml");
    let catalog_buckle = AppSpec::parse(catalog_buckle, "catalog/buckle.toml").unwrap();
    for (_, line, body) in apps {
        let spec = AppSpec::parse(&body, format!("docs/spec.md block at line {line}"))
            .unwrap_or_else(|e| panic!("{e}"));
        if spec.name.as_str() == "buckle" {
            assert_eq!(
                spec.app, catalog_buckle.app,
                "docs/spec.md line {line} shows catalog/buckle.toml"
            );
            assert_eq!(spec.test, catalog_buckle.test);
        } else {
            assert_eq!(spec.image.ports, [8080]);
        }
    }
}

#[test]
fn lock_example_in_the_docs_parses_and_is_written_back_identically() {
    let locks: Vec<_> = fenced_blocks()
        .into_iter()
        .filter(|(info, _, _)| info == "toml lock")
        .collect();
    assert_eq!(locks.len(), 1);
    for (_, line, body) in locks {
        let lock = Lock::parse(&body, format!("docs/spec.md block at line {line}"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(lock.to_toml(), body);
    }
}

#[test]
fn docs_describe_every_key_the_parser_accepts() {
    let keys = [
        "name",
        "description",
        "distribution",
        "architectures",
        "packages",
        "[[exclude]]",
        "reason",
        "[[source]]",
        "url",
        "suites",
        "components",
        "keyring",
        "[image]",
        "user",
        "entrypoint",
        "cmd",
        "workdir",
        "env",
        "labels",
        "annotations",
        "tzdata",
        "certificates",
        "volumes",
        "files",
        "[dev]",
        "[test]",
        "command",
        "expect",
        "spec-sha256",
        "source-date-epoch",
        "inrelease-sha256",
        "indexes",
        "source-version",
        "path",
        "size",
        "sha256",
        "eol",
        "[[upstream]]",
        "npm",
        "prefix",
        "strip-components",
        "paths",
        "links",
        "checksums",
        "integrity",
        "base",
        "python",
        "node",
        "requirements",
        "index",
        "lockfile",
        "allow-prebuilt",
        "ports",
        "http",
    ];
    for key in keys {
        let key = key.trim_start_matches('[').trim_end_matches(']');
        assert!(
            DOC.contains(&format!("`{key}`"))
                || DOC.contains(&format!("`[{key}]`"))
                || DOC.contains(&format!("`[[{key}]]`")),
            "docs/spec.md does not describe `{key}`"
        );
    }
}
