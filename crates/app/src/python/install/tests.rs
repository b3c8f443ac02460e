use super::*;
use crate::python::testing::{write_tree, WheelBuilder};
use crate::NodeKind;

fn target() -> Target {
    "3.11/amd64".parse().unwrap()
}

fn install(builder: &WheelBuilder) -> Result<(AppTree, AppPackage)> {
    let bytes = builder.build();
    let file_name = builder.file_name();
    install_wheel(
        WheelFile {
            file_name: &file_name,
            bytes: &bytes,
            sha256: Sha256::of(&bytes),
            url: "http://index/x.whl",
        },
        &target(),
        &InstallOptions::default(),
    )
}

fn greeter() -> WheelBuilder {
    let mut builder = WheelBuilder::new("greeter", "1.2.0", "py3-none-any")
        .file(
            "greeter/__init__.py",
            b"def main():\n    print('hello from greeter')\n    return 0\n",
            0o644,
        )
        .file("greeter/tool.sh", b"#!/bin/sh\n", 0o755)
        .file(
            "greeter-1.2.0.data/scripts/greet-raw",
            b"#!python\nimport greeter\ngreeter.main()\n",
            0o644,
        )
        .file("greeter-1.2.0.data/data/share/greeter/words.txt", b"hi\n", 0o644)
        .file("greeter-1.2.0.data/headers/greeter.h", b"int x;\n", 0o644)
        .file("greeter-1.2.0.data/platlib/greeter_native.py", b"X = 1\n", 0o644);
    builder.files.push((
        "greeter-1.2.0.dist-info/entry_points.txt".into(),
        b"[console_scripts]\ngreet = greeter:main\n\n[other]\nx = y:z\n".to_vec(),
        0o644,
    ));
    builder.metadata_extra =
        "License-Expression: MIT\nClassifier: License :: OSI Approved :: MIT License".into();
    builder
}

fn file<'a>(tree: &'a AppTree, path: &str) -> (&'a [u8], u32) {
    let node = tree
        .get(&RelPath::new(path).unwrap())
        .unwrap_or_else(|| panic!("{path} missing"));
    match &node.kind {
        NodeKind::File(bytes) => (bytes.as_slice(), node.mode),
        other => panic!("{path} is {other:?}"),
    }
}

#[test]
fn wheel_parts_go_where_pip_puts_them() {
    let (tree, package) = install(&greeter()).unwrap();
    let site = "usr/lib/python3/dist-packages";
    assert_eq!(file(&tree, &format!("{site}/greeter/__init__.py")).1, 0o644);
    assert_eq!(file(&tree, &format!("{site}/greeter/tool.sh")).1, 0o755);
    assert_eq!(file(&tree, &format!("{site}/greeter_native.py")).0, b"X = 1\n");
    let (raw, mode) = file(&tree, "usr/local/bin/greet-raw");
    assert_eq!(
        (std::str::from_utf8(raw).unwrap(), mode),
        ("#!/usr/bin/python3\nimport greeter\ngreeter.main()\n", 0o755)
    );
    assert_eq!(file(&tree, "usr/local/share/greeter/words.txt").0, b"hi\n");
    assert_eq!(
        file(&tree, "usr/local/include/python3/greeter/greeter.h").0,
        b"int x;\n"
    );
    assert_eq!(
        file(&tree, &format!("{site}/greeter-1.2.0.dist-info/INSTALLER")).0,
        b"buckle\n"
    );
    assert!(tree.get(&RelPath::new("usr/local/bin/x").unwrap()).is_none());
    assert_eq!(package.name, "greeter");
    assert_eq!(package.purl(), "pkg:pypi/greeter@1.2.0");
    assert_eq!(package.license.as_deref(), Some("MIT"));
    assert_eq!(
        package.license_classifiers,
        ["License :: OSI Approved :: MIT License"]
    );
}

#[test]
fn record_is_rewritten_for_the_installed_paths() {
    let (tree, _) = install(&greeter()).unwrap();
    let (record, _) = file(
        &tree,
        "usr/lib/python3/dist-packages/greeter-1.2.0.dist-info/RECORD",
    );
    let record = std::str::from_utf8(record).unwrap();
    let paths: Vec<&str> = record.lines().map(|l| l.split(',').next().unwrap()).collect();
    assert!(paths.contains(&"../../../local/bin/greet"), "{record}");
    assert!(paths.contains(&"greeter-1.2.0.dist-info/INSTALLER"), "{record}");
    assert!(record.contains("greeter-1.2.0.dist-info/RECORD,,\n"), "{record}");
    assert!(!record.contains(".data/"), "{record}");
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted);
}

#[test]
fn installed_wheel_imports_and_its_entry_point_runs_with_python3() {
    let (tree, _) = install(&greeter()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    write_tree(&tree, dir.path());
    let site = dir.path().join("usr/lib/python3/dist-packages");
    // The launcher names the image's interpreter; run it with the host's.
    let out = std::process::Command::new("python3")
        .arg(dir.path().join("usr/local/bin/greet"))
        .env("PYTHONPATH", &site)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hello from greeter\n");
    let (launcher, mode) = file(&tree, "usr/local/bin/greet");
    assert!(launcher.starts_with(b"#!/usr/bin/python3\n"));
    assert_eq!(mode, 0o755);
}

#[test]
fn wheel_for_another_python_version_is_refused() {
    let builder =
        WheelBuilder::new("fast", "1.0", "cp313-cp313-manylinux_2_17_x86_64").file("fast.py", b"", 0o644);
    let err = install(&builder).unwrap_err();
    assert_eq!(
        err.to_string(),
        "`fast-1.0-cp313-cp313-manylinux_2_17_x86_64.whl` is not built for CPython 3.11 on amd64 (glibc 2.36)"
    );
}

#[test]
fn wheel_whose_tag_file_disagrees_with_its_name_is_refused() {
    let mut builder = WheelBuilder::new("liar", "1.0", "py3-none-any").file("liar.py", b"", 0o644);
    let bytes_ok = builder.build();
    assert!(!bytes_ok.is_empty());
    builder.tag = "cp313-cp313-win_amd64".into();
    let bytes = builder.build();
    let err = install_wheel(
        WheelFile {
            file_name: "liar-1.0-py3-none-any.whl",
            bytes: &bytes,
            sha256: Sha256::of(&bytes),
            url: "",
        },
        &target(),
        &InstallOptions::default(),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("its WHEEL file says it is built for cp313-cp313-win_amd64"),
        "{err}"
    );
}

#[test]
fn file_missing_from_record_is_refused() {
    let mut builder = WheelBuilder::new("sneaky", "1.0", "py3-none-any").file("sneaky.py", b"", 0o644);
    builder.unrecorded = Some("sneaky.py".into());
    let err = install(&builder).unwrap_err();
    assert_eq!(
        err.to_string(),
        "wheel `sneaky-1.0-py3-none-any.whl` is malformed: `sneaky.py` is not listed in RECORD"
    );
}

#[test]
fn wheel_entry_escaping_the_root_is_rejected() {
    let builder =
        WheelBuilder::new("evil", "1.0", "py3-none-any").file("../../etc/passwd", b"root::0:0\n", 0o644);
    let err = install(&builder).unwrap_err();
    assert!(
        err.to_string()
            .contains("`../../etc/passwd` is not a path inside the wheel"),
        "{err}"
    );
}

#[test]
fn license_falls_back_to_a_short_license_field() {
    let meta = Metadata::parse("Name: a\nVersion: 1\nLicense: BSD-3-Clause\n\nbody");
    assert_eq!(meta.license.as_deref(), Some("BSD-3-Clause"));
    let prose =
        Metadata::parse("Name: a\nVersion: 1\nLicense: Copyright 2020\n        All rights reserved.\n\n");
    assert_eq!(prose.license, None);
}
