//! The documents pass the formats' own validators: the SPDX project's `pyspdxtools`
//! (PyPI `spdx-tools`) and the CycloneDX 1.6 JSON schema as shipped by PyPI
//! `cyclonedx-python-lib` (validated with `jsonschema`). Both are required when the
//! `validators` feature is on:
//!
//! ```text
//! pip install spdx-tools cyclonedx-python-lib jsonschema
//! cargo test -p buckle-sbom --features validators --test validators
//! ```
#![cfg(feature = "validators")]

use buckle_digest::Sha256;
use buckle_sbom::dpkg::{self, Detail};
use buckle_sbom::{
    attach_debs, spdx, AppEcosystem, AppFacts, AppPackageFacts, DebOrigin, Format, ImageSubject, SbomInput,
};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

const DEP5: &str = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n";

/// (name, version, source field, depends, license lines; empty = free-form copyright)
const PACKAGES: &[(&str, &str, &str, &str, &[&str])] = &[
    ("base-files", "13.8", "", "", &["GPL-2+", "public-domain"]),
    (
        "ca-certificates",
        "20250419",
        "",
        "openssl (>= 1.1.1), debconf | debconf-2.0",
        &["GPL-2+", "MPL-2.0"],
    ),
    (
        "libbz2-1.0",
        "1.0.8-6",
        "bzip2",
        "libc6 (>= 2.14)",
        &["BSD-variant", "GPL-2"],
    ),
    (
        "libc6",
        "2.41-12",
        "glibc",
        "libgcc-s1",
        &["LGPL-2.1+", "GPL-2+ with OpenSSL exception", "Unicode-DFS-2016"],
    ),
    ("libexpat1", "2.7.1-2", "expat", "libc6 (>= 2.25)", &["Expat"]),
    (
        "libffi8",
        "3.4.8-2",
        "libffi",
        "libc6 (>= 2.34)",
        &["Expat", "GPL-2+ with Autoconf exception"],
    ),
    (
        "libgcc-s1",
        "14.2.0-19",
        "gcc-14 (14.2.0-19)",
        "libc6 (>= 2.35)",
        &["GPL-3+ with GCC-Runtime-3.1 exception"],
    ),
    (
        "liblzma5",
        "5.8.1-1",
        "xz-utils",
        "libc6 (>= 2.34)",
        &["0BSD", "GPL-2+ or LGPL-2.1+, and public-domain"],
    ),
    (
        "libncursesw6",
        "6.5+20250216-2",
        "ncurses",
        "libtinfo6 (= 6.5+20250216-2), libc6 (>= 2.34)",
        &["X11"],
    ),
    (
        "libreadline8t64",
        "8.2-6",
        "readline",
        "readline-common, libtinfo6 (>= 6)",
        &["GPL-3+"],
    ),
    (
        "libsqlite3-0",
        "3.46.1-7",
        "sqlite3",
        "libc6 (>= 2.38)",
        &["public-domain", "GPL-2+ or BSD-3-clause"],
    ),
    (
        "libssl3t64",
        "3.5.1-1",
        "openssl",
        "libc6 (>= 2.38), libzstd1 (>= 1.5.5), zlib1g (>= 1:1.1.4)",
        &["Apache-2.0"],
    ),
    (
        "libstdc++6",
        "14.2.0-19+b1",
        "gcc-14 (14.2.0-19)",
        "gcc-14-base, libc6 (>= 2.38), libgcc-s1 (>= 4.3)",
        &["GPL-3+ with GCC-Runtime-3.1 exception", "GFDL-NIV-1.3+"],
    ),
    (
        "libtinfo6",
        "6.5+20250216-2",
        "ncurses",
        "libc6 (>= 2.34)",
        &["X11", "BSD-3-clause"],
    ),
    (
        "libzstd1",
        "1.5.7+dfsg-1",
        "libzstd",
        "libc6 (>= 2.34)",
        &["BSD-3-clause and GPL-2", "Zlib"],
    ),
    ("netbase", "6.5", "", "", &["GPL-2"]),
    (
        "openssl",
        "3.5.1-1",
        "",
        "libc6 (>= 2.34), libssl3t64 (>= 3.5.0)",
        &["Apache-2.0", "BSD-3-clause and/or GPL-2+"],
    ),
    (
        "python3.13-minimal",
        "3.13.5-2",
        "python3.13",
        "libpython3.13-minimal (= 3.13.5-2), libexpat1 (>= 2.1~beta3), zlib1g (>= 1:1.2.0)",
        &[],
    ),
    ("tzdata", "2025b-4", "tzdata", "", &["public-domain"]),
    (
        "zlib1g",
        "1:1.3.dfsg+really1.3.1-1+b1",
        "zlib (1:1.3.dfsg+really1.3.1-1)",
        "libc6 (>= 2.14)",
        &["Zlib"],
    ),
];

fn image() -> BTreeMap<String, Vec<u8>> {
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut add = |path: String, content: Vec<u8>| {
        files.insert(path, content);
    };
    for (name, version, source, depends, licenses) in PACKAGES {
        let mut control = format!(
            "Package: {name}\nVersion: {version}\nArchitecture: {}\nMaintainer: Debian Maintainers <maintainers@lists.debian.org>\nHomepage: https://example.org/{name}\n",
            if *name == "tzdata" { "all" } else { "amd64" }
        );
        if !source.is_empty() {
            control.push_str(&format!("Source: {source}\n"));
        }
        if !depends.is_empty() {
            control.push_str(&format!("Depends: {depends}\n"));
        }
        if *name == "tzdata" {
            control.push_str("Provides: tzdata-trixie\n");
        }
        add(format!("/var/lib/dpkg/status.d/{name}"), control.into_bytes());
        let library = format!("/usr/lib/x86_64-linux-gnu/{name}.so");
        add(library.clone(), format!("library of {name}").into_bytes());
        add(
            format!("/var/lib/dpkg/status.d/{name}.md5sums"),
            format!("{}  {}\n", "0".repeat(32), library.trim_start_matches('/')).into_bytes(),
        );
        let copyright = if licenses.is_empty() {
            format!("This is {name}, written by many people.\nIt is free software.\n")
        } else {
            let mut text = format!("{DEP5}Upstream-Name: {name}\n");
            for (index, license) in licenses.iter().enumerate() {
                text.push_str(&format!(
                    "\nFiles: part{index}/*\nCopyright: 2025 The {name} authors\nLicense: {license}\n"
                ));
            }
            text
        };
        add(format!("/usr/share/doc/{name}/copyright"), copyright.into_bytes());
    }
    add(
        "/etc/passwd".to_owned(),
        b"root:x:0:0:root:/root:/sbin/nologin\n".to_vec(),
    );
    add(
        "/etc/os-release".to_owned(),
        b"PRETTY_NAME=\"Debian GNU/Linux 13 (trixie)\"\nID=debian\nVERSION_ID=\"13\"\nVERSION_CODENAME=trixie\n".to_vec(),
    );
    files
}

fn input(detail: Detail) -> SbomInput {
    let found = dpkg::collect(&image(), detail).expect("collect dpkg facts");
    assert_eq!(found.packages.len(), PACKAGES.len());
    let mut packages = found.packages;
    let debs: Vec<DebOrigin> = packages
        .iter()
        .map(|p| DebOrigin {
            name: p.name.clone(),
            arch: p.arch.clone(),
            version: p.version.clone(),
            sha256: Sha256::of(p.name.as_str().as_bytes()),
            download_location: Some(format!(
                "https://mirror.invalid/debian/pool/main/{}_{}_{}.deb",
                p.name, p.version, p.arch
            )),
        })
        .collect();
    attach_debs(&mut packages, &debs).expect("lock matches image");
    SbomInput {
        image: ImageSubject {
            name: "registry.invalid/buckle/python:3.13".to_owned(),
            digest: Sha256::of(b"manifest"),
            created: Some("2025-08-09T10:11:12Z".to_owned()),
            architecture: "amd64".to_owned(),
            os_release: found.os_release,
        },
        packages,
        files: found.files,
        upstream: Vec::new(),
        app: Some(app()),
    }
}

fn run(command: &mut Command, what: &str) {
    let output = command.output().unwrap_or_else(|err| {
        panic!(
            "cannot run {what} ({err}); install the validators with \
             `pip install spdx-tools cyclonedx-python-lib jsonschema`"
        )
    });
    assert!(
        output.status.success(),
        "{what} rejected the document:\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn validate_spdx(path: &Path) {
    run(Command::new("pyspdxtools").arg("-i").arg(path), "pyspdxtools");
}

const CYCLONEDX_CHECK: &str = r#"
import sys
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(open(sys.argv[1]).read())
if error is not None:
    print(error.data.message, "at", list(error.data.absolute_path))
    sys.exit(1)
"#;

fn validate_cyclonedx(path: &Path) {
    run(
        Command::new("python3").arg("-c").arg(CYCLONEDX_CHECK).arg(path),
        "the CycloneDX 1.6 JSON schema (python3 with cyclonedx-python-lib and jsonschema)",
    );
}

#[test]
fn documents_for_twenty_packages_pass_both_validators_with_and_without_files() {
    let dir = tempfile::tempdir().expect("temporary directory");
    for detail in [Detail::Packages, Detail::Files] {
        let input = input(detail);
        for format in Format::ALL {
            let bytes = format.write(&input).expect("write document");
            assert_eq!(format.write(&input).expect("write again"), bytes, "deterministic");
            let path = dir.path().join(format!("{format}-{detail:?}.json"));
            std::fs::write(&path, &bytes).expect("write document file");
            match format {
                Format::SpdxJson => validate_spdx(&path),
                Format::CycloneDxJson => validate_cyclonedx(&path),
            }
        }
    }
}

#[test]
fn validators_reject_a_broken_document() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut document: serde_json::Value =
        serde_json::from_slice(&spdx::write(&input(Detail::Packages)).expect("write")).expect("json");
    document["hasExtractedLicensingInfos"] = serde_json::json!([]);
    let path = dir.path().join("broken.spdx.json");
    std::fs::write(&path, serde_json::to_vec(&document).expect("json")).expect("write file");
    let output = Command::new("pyspdxtools")
        .arg("-i")
        .arg(&path)
        .output()
        .expect("run pyspdxtools");
    assert!(
        !output.status.success(),
        "undeclared LicenseRefs must fail validation"
    );

    let mut bom: serde_json::Value = serde_json::from_slice(
        &Format::CycloneDxJson
            .write(&input(Detail::Packages))
            .expect("write"),
    )
    .expect("json");
    bom["components"][0]["type"] = serde_json::json!("deb-package");
    let path = dir.path().join("broken.cdx.json");
    std::fs::write(&path, serde_json::to_vec(&bom).expect("json")).expect("write file");
    let output = Command::new("python3")
        .arg("-c")
        .arg(CYCLONEDX_CHECK)
        .arg(&path)
        .output()
        .expect("run python3");
    assert!(
        !output.status.success(),
        "an unknown component type must fail validation"
    );
}

/// An application with one PyPI and one scoped npm package, one license free text.
fn app() -> AppFacts {
    let package = |ecosystem, name: &str, version: &str, purl: &str, license: Option<&str>| AppPackageFacts {
        ecosystem,
        name: name.into(),
        version: version.into(),
        purl: purl.into(),
        sha256: Sha256::of(name.as_bytes()).hex(),
        sha512: (ecosystem == AppEcosystem::Npm).then(|| "ab".repeat(64)),
        license: license.map(str::to_owned),
        download_location: format!("https://registry.invalid/{name}-{version}.tgz"),
        file_name: format!("{name}-{version}.tgz"),
    };
    AppFacts {
        name: "myapp".into(),
        packages: vec![
            package(
                AppEcosystem::Pypi,
                "Flask",
                "3.1.0",
                "pkg:pypi/flask@3.1.0",
                Some("BSD License"),
            ),
            package(
                AppEcosystem::Npm,
                "@types/node",
                "22.0.0",
                "pkg:npm/%40types/node@22.0.0",
                Some("MIT"),
            ),
        ],
    }
}
