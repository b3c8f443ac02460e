//! Running the `buckle` binary with a private cache and reading what it did.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// One `buckle` invocation's outcome.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn from(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Panics with both streams unless the command succeeded.
    #[track_caller]
    pub fn ok(self) -> Run {
        assert_eq!(
            self.code, 0,
            "buckle failed:\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Panics unless the command failed with `code`.
    #[track_caller]
    pub fn fails_with(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "expected exit {code}:\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// The status of `rule` in the findings of `check --json` on stdout.
    pub fn check_status(&self, rule: &str) -> serde_json::Value {
        let report = self.json();
        let finding = report["findings"]
            .as_array()
            .and_then(|all| all.iter().find(|f| f["rule"] == rule))
            .unwrap_or_else(|| panic!("no finding of {rule} in {report:#}"));
        finding["status"].clone()
    }

    /// stdout parsed as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", self.stdout))
    }
}

/// `buckle` with its cache in `cache`, run in `dir`.
pub struct Buckle {
    pub dir: PathBuf,
    pub cache: PathBuf,
}

impl Buckle {
    pub fn new(dir: &Path, cache: &Path) -> Buckle {
        Buckle {
            dir: dir.to_owned(),
            cache: cache.to_owned(),
        }
    }

    pub fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_buckle"));
        cmd.current_dir(&self.dir)
            .env("BUCKLE_CACHE", &self.cache)
            .env("NO_COLOR", "1")
            .env_remove("BUCKLE_MIRROR")
            .env_remove("BUCKLE_MEMORY_BUDGET")
            .env_remove("RUST_LOG");
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(self.command().args(args).output().unwrap())
    }

    /// Runs with one more environment variable set.
    pub fn run_with_env(&self, args: &[&str], name: &str, value: &str) -> Run {
        Run::from(self.command().args(args).env(name, value).output().unwrap())
    }

    /// Runs with BUCKLE_PASSWORD set (or unset with `None`) and no terminal.
    pub fn run_with_password(&self, password: Option<&str>, args: &[&str]) -> Run {
        let mut command = self.command();
        command
            .args(args)
            .stdin(std::process::Stdio::null())
            .env_remove("BUCKLE_PASSWORD");
        if let Some(password) = password {
            command.env("BUCKLE_PASSWORD", password);
        }
        Run::from(command.output().unwrap())
    }
}
