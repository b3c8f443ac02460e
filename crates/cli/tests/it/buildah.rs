//! buildah (Debian's, chroot isolation) with a storage of its own, and the one way
//! tests run a tool.

use std::path::{Path, PathBuf};
use std::process::Command;

/// buildah with private storage under `root`.
pub struct Buildah {
    root: PathBuf,
    driver: &'static str,
}

impl Buildah {
    /// Overlay storage where the kernel allows it, else vfs (which copies every layer
    /// and every container's root in full).
    pub fn new(root: &Path) -> Buildah {
        let probe = Buildah {
            root: root.join("probe"),
            driver: "overlay",
        };
        let succeeds = |args: &[&str]| {
            probe
                .command(args)
                .output()
                .is_ok_and(|output| output.status.success())
        };
        let works = succeeds(&["from", "--name", "probe", "scratch"]) && succeeds(&["mount", "probe"]);
        let _ = probe.command(&["rm", "--all"]).output();
        let _ = std::fs::remove_dir_all(&probe.root);
        Buildah {
            root: root.to_owned(),
            driver: if works { "overlay" } else { "vfs" },
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new("buildah");
        command
            .arg("--root")
            .arg(self.root.join("storage"))
            .arg("--runroot")
            .arg(self.root.join("run"))
            .args(["--storage-driver", self.driver])
            .args(args);
        command
    }

    pub fn run(&self, args: &[&str]) -> String {
        output_of(self.command(args), "buildah", args)
    }

    /// Builds `dockerfile` (a path) in `context` as `tag`, with the images already in
    /// the storage only; `extra` goes before the context (`--volume`, `--build-arg`).
    pub fn bud_file(&self, context: &Path, dockerfile: &Path, tag: &str, extra: &[&str]) {
        let mut args = vec![
            "bud",
            "--isolation",
            "chroot",
            "--pull-never",
            "-q",
            "-f",
            dockerfile.to_str().unwrap(),
            "-t",
            tag,
        ];
        args.extend_from_slice(extra);
        args.push(context.to_str().unwrap());
        self.run(&args);
    }

    /// Writes `dockerfile` into `context` and builds it as `localhost/TAG`.
    pub fn bud(&self, context: &Path, dockerfile: &str, tag: &str) {
        let file = context.join(format!("Dockerfile.{tag}"));
        std::fs::write(&file, dockerfile).unwrap();
        self.bud_file(context, &file, &format!("localhost/{tag}"), &[]);
    }

    pub fn push(&self, tag: &str, destination: &str) {
        self.run(&["push", "-q", tag, destination]);
    }

    /// Drops the storage: the pushed images stay.
    pub fn clean(&self) {
        self.run(&["rm", "--all"]);
        self.run(&["rmi", "--all", "--force"]);
        std::fs::remove_dir_all(&self.root).unwrap();
    }
}

/// Runs `program GLOBAL... ARGS...`; its standard output, or a panic with both outputs.
pub fn tool(program: &str, global: &[&str], args: &[&str]) -> String {
    let mut command = Command::new(program);
    command.args(global).args(args);
    output_of(command, program, args)
}

fn output_of(mut command: Command, program: &str, args: &[&str]) -> String {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("{program} is installed by scripts/test: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
