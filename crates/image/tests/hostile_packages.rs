//! The malicious-package corpus (docs/SECURITY.md): .debs made by the test to attack
//! the builder. Each case is refused with an error that names the package and what is
//! wrong, or neutralised as documented; the output directory is the only place written,
//! and a refused build leaves no image behind.
#![allow(clippy::unwrap_used)]

use buckle_image::build::{build, image_index, BuildOptions, NoReporter, PackageInput};
use buckle_image::harden::OsRelease;
use buckle_oci::layout::LayoutWriter;
use buckle_oci::{MergedFile, RelPath};
use buckle_spec::{ImageConfig, Variant};
use buckle_testkit::deb::{Compression, DebBuilder};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const EPOCH: u64 = 1_750_000_000;

/// A unique name under the system's temporary directory that an escaping write would
/// create; its absence is checked after every case.
fn marker() -> String {
    format!("buckle-hostile-{}", std::process::id())
}

fn base_files() -> DebBuilder {
    DebBuilder::new("base-files", "13.8", "amd64")
        .dir("tmp", 0o1777)
        .file(
            "usr/lib/os-release",
            b"ID=debian\nVERSION_CODENAME=trixie\n",
            0o644,
        )
        .symlink("etc/os-release", "../usr/lib/os-release")
}

fn evil(name: &str) -> DebBuilder {
    DebBuilder::new(name, "1.0", "amd64")
}

/// What a case must come to.
enum Expect {
    /// Refused: the error (with its causes) names the package and contains each text.
    Refused(&'static [&'static str]),
    /// Built, and the image's files pass the check.
    Neutralised(fn(&Files)),
}

struct Case {
    name: &'static str,
    packages: Vec<DebBuilder>,
    expect: Expect,
}

/// The built image's files, merged from its layers.
type Files = BTreeMap<RelPath, MergedFile>;

fn corpus() -> Vec<Case> {
    let m = marker();
    let tmp = std::env::temp_dir();
    let tmp = tmp.to_str().unwrap().trim_start_matches('/').to_owned();
    let leak: &'static str = Box::leak(format!("./usr/lib/leak/{m}").into_boxed_str());
    let deep_up: &'static str = Box::leak(format!("./{}{tmp}/{m}", "../".repeat(12)).into_boxed_str());
    let absolute: &'static str = Box::leak(format!("/{tmp}/{m}").into_boxed_str());
    let tmp_abs: &'static str = Box::leak(format!("/{tmp}").into_boxed_str());
    let tmp_rel: &'static str = Box::leak(format!("{}{tmp}", "../".repeat(12)).into_boxed_str());
    let zeros = vec![0u8; 12 << 20];
    vec![
        Case {
            name: "absolute path",
            packages: vec![evil("evil-absolute").raw_file(absolute, b"pwned\n")],
            expect: Expect::Refused(&["evil-absolute", "absolute"]),
        },
        Case {
            name: "parent components",
            packages: vec![evil("evil-dotdot").raw_file(deep_up, b"pwned\n")],
            expect: Expect::Refused(&["evil-dotdot", ".."]),
        },
        Case {
            name: "a file through the package's own absolute symlink",
            packages: vec![evil("evil-symlink-abs")
                .symlink("usr/lib/leak", tmp_abs)
                .raw_file(leak, b"pwned\n")],
            expect: Expect::Refused(&["evil-symlink-abs", "symlink"]),
        },
        Case {
            name: "a file through the package's own relative symlink",
            packages: vec![evil("evil-symlink-rel")
                .symlink("usr/lib/leak", tmp_rel)
                .raw_file(leak, b"pwned\n")],
            expect: Expect::Refused(&["evil-symlink-rel", "symlink"]),
        },
        Case {
            name: "a file through another package's symlink",
            packages: vec![
                evil("evil-symlink-a").symlink("usr/lib/leak", tmp_abs),
                evil("evil-symlink-b").raw_file(leak, b"pwned\n"),
            ],
            expect: Expect::Refused(&["evil-symlink-b", "symlink"]),
        },
        Case {
            name: "a hard link to outside the tree",
            packages: vec![evil("evil-hardlink").hardlink("usr/bin/passwd", "../../../../../etc/passwd")],
            expect: Expect::Refused(&["evil-hardlink", "usr/bin/passwd", "`..`"]),
        },
        Case {
            name: "an absolute hard link",
            packages: vec![evil("evil-hardlink-abs").hardlink("usr/bin/shadow", "/etc/shadow")],
            expect: Expect::Refused(&["evil-hardlink-abs", "etc/shadow"]),
        },
        Case {
            name: "a character device",
            packages: vec![evil("evil-char").char_device("./usr/lib/mem")],
            expect: Expect::Refused(&["evil-char", "usr/lib/mem"]),
        },
        Case {
            name: "a block device",
            packages: vec![evil("evil-block").raw_entry(b"./usr/lib/sda", tar::EntryType::Block, b"")],
            expect: Expect::Refused(&["evil-block", "usr/lib/sda"]),
        },
        Case {
            name: "a FIFO",
            packages: vec![evil("evil-fifo").raw_entry(b"./usr/lib/pipe", tar::EntryType::Fifo, b"")],
            expect: Expect::Refused(&["evil-fifo", "usr/lib/pipe"]),
        },
        Case {
            name: "setuid and setgid files",
            packages: vec![evil("evil-suid")
                .file("usr/bin/su", b"#!/bin/true\n", 0o4755)
                .file("usr/bin/sg", b"#!/bin/true\n", 0o2755)
                .file("usr/bin/sticky", b"#!/bin/true\n", 0o1777)],
            expect: Expect::Neutralised(|files| {
                for path in ["usr/bin/su", "usr/bin/sg", "usr/bin/sticky"] {
                    let mode = files[&RelPath::new(path).unwrap()].entry.mode;
                    assert_eq!(mode & 0o7000, 0, "{path} kept special bits: {mode:o}");
                    assert_eq!(mode & 0o002, 0, "{path} is world-writable: {mode:o}");
                }
            }),
        },
        Case {
            name: "one path twice in a package",
            packages: vec![evil("evil-duplicate")
                .file("usr/bin/tool", b"first\n", 0o755)
                .file("usr/bin/tool", b"second\n", 0o755)],
            expect: Expect::Refused(&["evil-duplicate", "usr/bin/tool"]),
        },
        Case {
            name: "a file another package ships",
            packages: vec![
                evil("evil-owner-a").file("usr/bin/shared", b"a\n", 0o755),
                evil("evil-owner-b").file("usr/bin/shared", b"b\n", 0o755),
            ],
            expect: Expect::Refused(&["evil-owner-a", "evil-owner-b", "usr/bin/shared"]),
        },
        Case {
            name: "a file replacing another package's directory",
            packages: vec![
                evil("evil-dir-a").file("usr/lib/evil-dir/inside", b"a\n", 0o644),
                evil("evil-dir-b").raw_file("./usr/lib/evil-dir", b"b\n"),
            ],
            expect: Expect::Refused(&["evil-dir-b", "usr/lib/evil-dir"]),
        },
        Case {
            name: "a size claim of a terabyte",
            packages: vec![evil("evil-huge").huge_file("./usr/lib/huge", 1 << 40)],
            expect: Expect::Refused(&["evil-huge", "usr/lib/huge"]),
        },
        Case {
            name: "a file that ends before its declared size",
            packages: vec![evil("evil-short").huge_file("./usr/lib/short", 1 << 20)],
            expect: Expect::Refused(&["evil-short"]),
        },
        Case {
            name: "an xz bomb",
            packages: vec![bomb("evil-bomb-xz", Compression::Xz, &zeros)],
            expect: Expect::Refused(&["evil-bomb-xz", "unpacks to more than"]),
        },
        Case {
            name: "a zstd bomb",
            packages: vec![bomb("evil-bomb-zstd", Compression::Zstd, &zeros)],
            expect: Expect::Refused(&["evil-bomb-zstd", "unpacks to more than"]),
        },
        Case {
            name: "a gzip bomb",
            packages: vec![bomb("evil-bomb-gzip", Compression::Gzip, &zeros)],
            expect: Expect::Refused(&["evil-bomb-gzip", "unpacks to more than"]),
        },
        Case {
            name: "an absurdly long name",
            packages: vec![evil("evil-long").file(&format!("usr/lib/{}", "a".repeat(5000)), b"x\n", 0o644)],
            expect: Expect::Refused(&["evil-long", "long"]),
        },
        Case {
            name: "a path component over 255 bytes",
            packages: vec![evil("evil-component").file(
                &format!("usr/lib/{}", "b".repeat(300)),
                b"x\n",
                0o644,
            )],
            expect: Expect::Refused(&["evil-component", "long"]),
        },
        Case {
            name: "a name that is not UTF-8",
            packages: vec![evil("evil-latin1").raw_entry(
                b"./usr/lib/caf\xe9",
                tar::EntryType::Regular,
                b"x\n",
            )],
            expect: Expect::Refused(&["evil-latin1", "UTF-8"]),
        },
        Case {
            name: "a control member escaping control.tar",
            packages: vec![evil("evil-control-escape").control_member("../../../evil-control", b"x\n")],
            expect: Expect::Refused(&["evil-control-escape", "control"]),
        },
        Case {
            name: "an unexpected control member",
            packages: vec![evil("evil-control-extra").control_member("./triggers-payload.so", b"\x7fELF")],
            expect: Expect::Neutralised(|files| {
                assert!(
                    !files.keys().any(|p| p.as_str().contains("triggers-payload")),
                    "an unknown control member reached the image"
                );
            }),
        },
    ]
}

/// A package whose data.tar holds `zeros` three times over in files that are each
/// under the per-file limit but together exceed the per-package one.
fn bomb(name: &str, compression: Compression, zeros: &[u8]) -> DebBuilder {
    (0..3).fold(evil(name).data_compression(compression), |deb, i| {
        deb.file(&format!("usr/lib/bomb/{i}"), zeros, 0o644)
    })
}

/// Limits small enough that the bombs above (3 x 12 MiB, a few KiB compressed) exceed
/// the package limit, so the test stays fast; the defaults are the same checks at 1 and
/// 4 GiB.
fn limits() -> buckle_image::deb::Limits {
    buckle_image::deb::Limits {
        max_entry_size: 16 << 20,
        max_package_size: 32 << 20,
        max_control_size: 1 << 20,
    }
}

fn inputs(builders: &[DebBuilder]) -> Vec<PackageInput> {
    builders
        .iter()
        .map(|b| {
            let name = b
                .control_text()
                .lines()
                .next()
                .unwrap()
                .trim_start_matches("Package: ")
                .to_owned();
            PackageInput {
                name: format!("{name}.deb"),
                locked: None,
                deb: Box::new(std::io::Cursor::new(b.build())),
            }
        })
        .collect()
}

fn options() -> BuildOptions {
    let mut options = BuildOptions::new(
        "amd64".parse().unwrap(),
        Variant::Runtime,
        ImageConfig::default(),
        OsRelease::debian("13", "trixie"),
        EPOCH,
    );
    options.limits = limits();
    options
}

/// Every path under `dir`, recursively, without following symlinks.
fn listing(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(next) = stack.pop() {
        for entry in std::fs::read_dir(&next).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir() {
                stack.push(entry.path());
            }
            out.push(entry.path());
        }
    }
    out.sort();
    out
}

/// The image's files, layers merged.
fn image_files(layout: &Path) -> Files {
    let image = buckle_oci::open_image(layout, &Default::default()).unwrap();
    image.merged_files(|_| false).unwrap()
}

fn chain(err: &buckle_image::Error) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[test]
fn every_malicious_package_is_refused_or_neutralised_and_nothing_escapes() {
    let sandbox = tempfile::tempdir().unwrap();
    let escaped = std::env::temp_dir().join(marker());
    let mut failures = Vec::new();
    for case in corpus() {
        let output = sandbox.path().join("out");
        let before = listing(sandbox.path());
        let mut packages = vec![base_files()];
        packages.extend(case.packages);
        let layout = LayoutWriter::create(&output).unwrap();
        let result = build(inputs(&packages), &options(), &layout, &NoReporter)
            .map(|built| layout.finish(&image_index(vec![built.manifest])).unwrap());
        let outcome = match (&case.expect, result) {
            (Expect::Refused(texts), Err(err)) => {
                let message = chain(&err);
                match texts.iter().find(|t| !message.contains(*t)) {
                    Some(missing) => Err(format!("the error does not say `{missing}`: {message}")),
                    None => Ok(()),
                }
            }
            (Expect::Refused(_), Ok(_)) => Err("built an image".to_owned()),
            (Expect::Neutralised(check), Ok(_)) => {
                let files = image_files(&output);
                std::panic::catch_unwind(|| check(&files)).map_err(|e| {
                    e.downcast_ref::<String>()
                        .cloned()
                        .unwrap_or_else(|| "check failed".into())
                })
            }
            (Expect::Neutralised(_), Err(err)) => Err(format!("refused: {}", chain(&err))),
        };
        if escaped.exists() {
            failures.push(format!("{}: wrote {}", case.name, escaped.display()));
            std::fs::remove_file(&escaped).ok();
        }
        if matches!(case.expect, Expect::Refused(_)) {
            let after = listing(sandbox.path());
            let image_left = after.iter().any(|p| p.ends_with("index.json"));
            if image_left {
                failures.push(format!("{}: a refused build left an image index", case.name));
            }
        }
        let outside: Vec<_> = listing(sandbox.path())
            .into_iter()
            .filter(|p| !p.starts_with(&output) && !before.contains(p))
            .collect();
        if !outside.is_empty() {
            failures.push(format!("{}: wrote outside the output: {outside:?}", case.name));
        }
        if let Err(why) = outcome {
            failures.push(format!("{}: {why}", case.name));
        }
        std::fs::remove_dir_all(&output).ok();
    }
    assert!(
        failures.is_empty(),
        "{} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
