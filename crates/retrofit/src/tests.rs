//! Small synthetic images: entries, file lists and contents written here; the ELF
//! objects are compiled with the host's gcc.

use super::*;
use buckle_oci::tar::{Entry, EntryKind};
use std::path::Path;
use std::process::Command;

fn rel(path: &str) -> RelPath {
    RelPath::new(path.trim_start_matches('/')).unwrap()
}

fn entry(path: &str, kind: EntryKind, mode: u32) -> Entry {
    Entry {
        path: rel(path),
        kind,
        mode,
        uid: 0,
        gid: 0,
    }
}

/// An image being written: entries (parent directories added), contents, file lists.
#[derive(Default)]
struct Image {
    entries: Vec<Entry>,
    contents: Vec<(RelPath, Vec<u8>)>,
    lists: Vec<(PackageName, String)>,
}

impl Image {
    fn dirs(&mut self, path: &str) {
        let mut current = String::new();
        for component in path.trim_matches('/').split('/').filter(|c| !c.is_empty()) {
            current.push_str(component);
            if !self.entries.iter().any(|e| e.path.as_str() == current) {
                self.entries.push(entry(&current, EntryKind::Directory, 0o755));
            }
            current.push('/');
        }
    }

    fn file(&mut self, path: &str, content: &[u8], mode: u32) -> &mut Self {
        self.dirs(path.rsplit_once('/').map_or("", |(d, _)| d));
        self.entries.push(entry(
            path,
            EntryKind::File {
                size: content.len() as u64,
            },
            mode,
        ));
        self.contents.push((rel(path), content.to_vec()));
        self
    }

    fn link(&mut self, path: &str, target: &str) -> &mut Self {
        self.dirs(path.rsplit_once('/').map_or("", |(d, _)| d));
        self.entries.push(entry(
            path,
            EntryKind::Symlink {
                target: target.into(),
            },
            0o777,
        ));
        self
    }

    /// Package `name` lists `paths` (as dpkg writes them: absolute, unmerged).
    fn package(&mut self, name: &str, paths: &[&str]) -> &mut Self {
        self.lists.push((name.parse().unwrap(), paths.join("\n") + "\n"));
        self
    }

    /// A Debian-like base: merged /usr, the loader and libc, zlib, a shell, env, dpkg
    /// state and accounts.
    fn debian() -> Image {
        let mut image = Image::default();
        image
            .link("/bin", "usr/bin")
            .link("/lib", "usr/lib")
            .link("/lib64", "usr/lib64")
            .file("/usr/lib/x86_64-linux-gnu/libc.so.6", b"libc", 0o755)
            .file("/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", b"ld", 0o755)
            .link(
                "/usr/lib64/ld-linux-x86-64.so.2",
                "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
            )
            .file("/usr/lib/x86_64-linux-gnu/libz.so.1.2.13", b"z", 0o644)
            .link("/usr/lib/x86_64-linux-gnu/libz.so.1", "libz.so.1.2.13")
            .file("/usr/bin/dash", b"dash", 0o755)
            .link("/usr/bin/sh", "dash")
            .file("/usr/bin/env", b"env", 0o755)
            .file("/usr/bin/python3.11", b"python", 0o755)
            .link("/usr/bin/python3", "python3.11")
            .file("/etc/ld.so.conf", b"include /etc/ld.so.conf.d/*.conf\n", 0o644)
            .file(
                "/etc/ld.so.conf.d/x86_64-linux-gnu.conf",
                b"/usr/local/lib/x86_64-linux-gnu\n",
                0o644,
            )
            .file("/var/lib/dpkg/status", b"", 0o644)
            .file("/var/lib/apt/lists/some_Packages", b"", 0o644)
            .file("/etc/passwd", b"root:x:0:0::/root:/bin/sh\n", 0o644)
            .link("/usr/bin/awk", "/etc/alternatives/awk")
            .file("/usr/share/doc/app/README", b"", 0o644)
            .package(
                "libc6",
                &[
                    "/lib/x86_64-linux-gnu/libc.so.6",
                    "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
                    "/lib64/ld-linux-x86-64.so.2",
                    "/etc/ld.so.conf.d/x86_64-linux-gnu.conf",
                ],
            )
            .package("libc-bin", &["/etc/ld.so.conf"])
            .package(
                "zlib1g",
                &[
                    "/lib/x86_64-linux-gnu/libz.so.1.2.13",
                    "/lib/x86_64-linux-gnu/libz.so.1",
                ],
            )
            .package("dash", &["/bin/dash", "/bin/sh"])
            .package("coreutils", &["/usr/bin/env"])
            .package("python3-minimal", &["/usr/bin/python3"])
            .package("python3.11-minimal", &["/usr/bin/python3.11"])
            .package("python3.11", &["/usr/share/doc/python3.11"])
            .package("python3", &["/usr/share/doc/python3"]);
        image
    }

    /// The files, owners and survey [`plan`] takes, contents read as a caller would.
    fn open(&self) -> (Files, Owners, Survey) {
        let mut files = Files::new(self.entries.clone());
        let owners = Owners::from_lists(
            &files,
            self.lists.iter().map(|(p, l)| (p.clone(), Some(l.as_str()))),
        );
        let survey = survey(&files, &owners);
        let app: BTreeSet<RelPath> = survey.app.iter().map(|e| e.path.clone()).collect();
        for (path, content) in &self.contents {
            if wants_content(path, &app) {
                files.add_content(path.clone(), content.clone());
            }
        }
        (files, owners, survey)
    }

    fn plan(&self, run: &Run) -> Result<Plan, Error> {
        let (files, owners, survey) = self.open();
        plan(
            &files,
            &owners,
            survey,
            run,
            &[run.command()],
            &[],
            &"amd64".parse().unwrap(),
        )
    }
}

fn run(command: &[&str]) -> Run {
    Run {
        entrypoint: command.iter().map(|s| s.to_string()).collect(),
        ..Run::default()
    }
}

fn roots(plan: &Plan) -> Vec<String> {
    plan.roots().iter().map(ToString::to_string).collect()
}

fn gcc(dir: &Path, args: &[&str]) {
    let status = Command::new("gcc")
        .current_dir(dir)
        .args(args)
        .status()
        .expect("gcc runs");
    assert!(status.success(), "gcc {args:?}");
}

#[test]
fn app_files_are_the_unowned_ones_less_system_state() {
    let mut image = Image::debian();
    image
        .file("/app/main.py", b"print('hi')\n", 0o644)
        .file("/usr/local/bin/tool", b"tool", 0o4755);
    let (_, _, survey) = image.open();
    let app: Vec<&str> = survey.app.iter().map(|e| e.path.as_str()).collect();
    // No package of this image lists /usr/local/bin, so the app's file brings its parents.
    assert_eq!(
        app,
        [
            "app",
            "app/main.py",
            "usr",
            "usr/local",
            "usr/local/bin",
            "usr/local/bin/tool"
        ]
    );
    let dropped = |path: &str| {
        survey
            .dropped
            .iter()
            .find(|(p, _)| p.as_str() == path)
            .map(|(_, why)| *why)
    };
    assert_eq!(
        dropped("var/lib/apt/lists/some_Packages"),
        Some(Dropped::PackageManager)
    );
    assert_eq!(dropped("etc/passwd"), Some(Dropped::Generated));
    assert_eq!(dropped("usr/bin/awk"), Some(Dropped::Generated));
    assert_eq!(dropped("bin"), Some(Dropped::MergedUsr));
    assert_eq!(dropped("usr/share/doc/app/README"), Some(Dropped::Documentation));
    // Listed as /lib/x86_64-linux-gnu/..., found under /usr/lib through the merged link.
    assert!(!app.iter().any(|p| p.contains("libz")));
}

#[test]
fn elf_closure_maps_libraries_and_loader_to_packages_through_runpath_and_app_libraries() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("helper.c"),
        "#include <zlib.h>\nconst char *v(void) { return zlibVersion(); }\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("main.c"),
        "const char *v(void);\nint main(void) { return v()[0] == 0; }\n",
    )
    .unwrap();
    gcc(
        dir.path(),
        &[
            "-shared",
            "-fPIC",
            "-Wl,-soname,libhelper.so.1",
            "-o",
            "libhelper.so.1",
            "helper.c",
            "-lz",
        ],
    );
    gcc(
        dir.path(),
        &[
            "-o",
            "server",
            "main.c",
            "-L.",
            "-l:libhelper.so.1",
            "-Wl,-rpath,$ORIGIN/../lib",
        ],
    );
    let read = |name: &str| std::fs::read(dir.path().join(name)).unwrap();
    let mut image = Image::debian();
    image.file("/app/bin/server", &read("server"), 0o755).file(
        "/app/lib/libhelper.so.1",
        &read("libhelper.so.1"),
        0o644,
    );

    let plan = image.plan(&run(&["/app/bin/server"])).unwrap();
    assert_eq!(roots(&plan), ["libc6", "zlib1g"]);
    let zlib = &plan.needs.packages[&"zlib1g".parse::<PackageName>().unwrap()];
    assert!(
        zlib.contains("libz.so.1, needed by /app/lib/libhelper.so.1"),
        "{zlib:?}"
    );
    assert!(plan.needs.warnings.is_empty(), "{:?}", plan.needs.warnings);

    // Without the app's library, the server's need is reported, not guessed.
    let mut missing = Image::debian();
    missing.file("/app/bin/server", &read("server"), 0o755);
    let plan = missing.plan(&run(&["/app/bin/server"])).unwrap();
    assert_eq!(
        plan.needs.warnings,
        ["/app/bin/server needs libhelper.so.1, which the image does not have"]
    );
}

#[test]
fn scripts_need_their_interpreter_through_env_and_symlinks_with_the_full_standard_library() {
    let mut image = Image::debian();
    image.file("/app/main.py", b"#!/usr/bin/env python3\nprint('hi')\n", 0o755);
    let plan = image.plan(&run(&["/app/main.py"])).unwrap();
    assert_eq!(
        roots(&plan),
        [
            "coreutils",
            "python3",
            "python3-minimal",
            "python3.11",
            "python3.11-minimal"
        ]
    );

    let mut direct = Image::debian();
    direct.file("/app/main.py", b"print('hi')\n", 0o644);
    let plan = direct.plan(&run(&["python3", "/app/main.py"])).unwrap();
    assert_eq!(
        roots(&plan),
        ["python3", "python3-minimal", "python3.11", "python3.11-minimal"]
    );
}

#[test]
fn commands_that_need_a_shell_are_refused_and_app_shell_scripts_are_reported() {
    let mut image = Image::debian();
    image
        .file("/app/start.sh", b"#!/bin/sh\nexec /app/main.py\n", 0o755)
        .file("/app/main.py", b"#!/usr/bin/python3\n", 0o755);
    let shell_form = image.plan(&run(&["/bin/sh", "-c", "/app/main.py"])).unwrap_err();
    assert!(
        matches!(&shell_form, Error::NeedsShell { why, .. } if why.contains("shell form")),
        "{shell_form}"
    );
    let script = image.plan(&run(&["/app/start.sh"])).unwrap_err();
    assert!(
        matches!(&script, Error::NeedsShell { why, .. } if why.contains("/app/start.sh is a shell script")),
        "{script}"
    );
    assert_eq!(image.plan(&Run::default()).unwrap_err(), Error::NoCommand);
    assert!(matches!(
        image.plan(&run(&["/app/nope"])).unwrap_err(),
        Error::MissingProgram { .. }
    ));

    let plan = image.plan(&run(&["/app/main.py"])).unwrap();
    assert_eq!(
        plan.needs.warnings,
        ["/app/start.sh runs with /bin/sh, a shell, which a hardened image does not have"]
    );
    assert!(!roots(&plan).contains(&"dash".to_owned()));
}

#[test]
fn kept_packages_are_roots_with_their_reason() {
    let mut image = Image::debian();
    image.file("/app/main.py", b"#!/usr/bin/python3\n", 0o755);
    let (files, owners, survey) = image.open();
    let keep: Vec<PackageName> = vec!["tzdata".parse().unwrap()];
    let run = run(&["/app/main.py"]);
    let plan = plan(
        &files,
        &owners,
        survey,
        &run,
        &[run.command()],
        &keep,
        &"amd64".parse().unwrap(),
    )
    .unwrap();
    assert_eq!(
        plan.needs.packages[&keep[0]],
        BTreeSet::from(["--keep-package".to_owned()])
    );
}
