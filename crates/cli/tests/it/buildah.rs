//! buildah (Debian's, chroot isolation, vfs storage: what works on these machines)
//! with a storage of its own, and the one way tests run a tool.

use std::path::{Path, PathBuf};
use std::process::Command;

/// buildah with private vfs storage under `root`.
pub struct Buildah {
    root: PathBuf,
}

impl Buildah {
    pub fn new(root: &Path) -> Buildah {
        Buildah {
            root: root.to_owned(),
        }
    }

    pub fn run(&self, args: &[&str]) -> String {
        let root = self.root.join("storage");
        let runroot = self.root.join("run");
        let global = [
            "--root",
            root.to_str().unwrap(),
            "--runroot",
            runroot.to_str().unwrap(),
            "--storage-driver",
            "vfs",
        ];
        tool("buildah", &global, args)
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

    /// Drops the storage (several copies of the base under vfs): the pushed images stay.
    pub fn clean(&self) {
        self.run(&["rm", "--all"]);
        self.run(&["rmi", "--all", "--force"]);
        std::fs::remove_dir_all(&self.root).unwrap();
    }
}

/// Runs `program GLOBAL... ARGS...`; its standard output, or a panic with both outputs.
pub fn tool(program: &str, global: &[&str], args: &[&str]) -> String {
    let out = Command::new(program)
        .args(global)
        .args(args)
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
