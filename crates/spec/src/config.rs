//! `[image]` and `[test]`: how the built image runs and how it is smoke-tested.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// uid and gid of the `nonroot` user.
pub const NONROOT_ID: u32 = 65532;

/// `[image]`: the OCI image config and the files buckle adds.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImageConfig {
    /// `user`, default [`User::NonRoot`].
    pub user: User,
    /// `entrypoint`.
    pub entrypoint: Vec<String>,
    /// `cmd`.
    pub cmd: Vec<String>,
    /// `workdir` as given; see [`ImageConfig::working_dir`] for the default.
    pub workdir: Option<String>,
    /// `env`, added to (or overriding) buckle's `PATH` and `SSL_CERT_FILE`.
    pub env: BTreeMap<String, String>,
    /// `labels` for the image config.
    pub labels: BTreeMap<String, String>,
    /// `annotations` for the manifest.
    pub annotations: BTreeMap<String, String>,
    /// `tzdata`: keep `/usr/share/zoneinfo`. `None` means "yes when tzdata is in the
    /// lock".
    pub tzdata: Option<bool>,
    /// `certificates`: extra PEM CA certificates added to the bundle; relative paths
    /// are relative to the spec's directory.
    pub certificates: Vec<PathBuf>,
    /// `volumes`: absolute paths declared as volumes.
    pub volumes: Vec<String>,
    /// `files`: files added to the image (path in the image -> file on the host,
    /// relative to the spec's directory), replacing what a package put there.
    pub files: BTreeMap<String, PathBuf>,
    /// `links`: symlinks added to the image (absolute path in the image -> target),
    /// for what maintainer scripts would have linked (update-alternatives, enabled
    /// modules); `{arch}` in a target is the image's Debian architecture.
    pub links: BTreeMap<String, String>,
}

impl ImageConfig {
    /// The working directory: `workdir`, or the user's home.
    pub fn working_dir(&self) -> &str {
        self.workdir.as_deref().unwrap_or_else(|| self.user.home())
    }

    /// `links` for the image of `arch`: link path -> target with `{arch}` filled in.
    pub fn links_for(&self, arch: &buckle_debian::Arch) -> BTreeMap<String, String> {
        self.links
            .iter()
            .map(|(link, target)| (link.clone(), target.replace(ARCH, arch.as_str())))
            .collect()
    }
}

/// The placeholder [`ImageConfig::links_for`] fills in.
const ARCH: &str = "{arch}";

/// Who the image's process runs as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum User {
    /// `nonroot`: uid/gid 65532, home `/home/nonroot` (the default).
    #[default]
    NonRoot,
    /// `root`: uid/gid 0, home `/root`.
    Root,
    /// `uid:gid`: numeric ids without a passwd entry; home `/`.
    Id {
        /// The uid.
        uid: u32,
        /// The gid.
        gid: u32,
    },
}

impl User {
    /// The uid.
    pub fn uid(self) -> u32 {
        match self {
            User::NonRoot => NONROOT_ID,
            User::Root => 0,
            User::Id { uid, .. } => uid,
        }
    }

    /// The gid.
    pub fn gid(self) -> u32 {
        match self {
            User::NonRoot => NONROOT_ID,
            User::Root => 0,
            User::Id { gid, .. } => gid,
        }
    }

    /// The home directory.
    pub fn home(self) -> &'static str {
        match self {
            User::NonRoot => "/home/nonroot",
            User::Root => "/root",
            User::Id { .. } => "/",
        }
    }

    /// The OCI config `User` value, always numeric: `65532:65532`.
    pub fn oci(self) -> String {
        format!("{}:{}", self.uid(), self.gid())
    }
}

impl fmt::Display for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            User::NonRoot => f.write_str("nonroot"),
            User::Root => f.write_str("root"),
            User::Id { uid, gid } => write!(f, "{uid}:{gid}"),
        }
    }
}

impl FromStr for User {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("`{s}` is not a user: expected `nonroot`, `root` or `uid:gid`");
        match s {
            "nonroot" => Ok(User::NonRoot),
            "root" => Ok(User::Root),
            _ => {
                let (uid, gid) = s.split_once(':').ok_or_else(bad)?;
                let id = |t: &str| {
                    if t.bytes().all(|b| b.is_ascii_digit()) {
                        t.parse::<u32>().map_err(|_| bad())
                    } else {
                        Err(bad())
                    }
                };
                Ok(User::Id {
                    uid: id(uid)?,
                    gid: id(gid)?,
                })
            }
        }
    }
}

/// `[test]`: what `buckle test` runs in the built image and what it checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmokeTest {
    /// `command`: argv, the first element an absolute path. Empty only for a service
    /// test, which then runs the image's entrypoint and cmd.
    pub command: Vec<String>,
    /// `env`: variables set for `command` (the service) on top of the image's, with
    /// the same placeholders filled in (see [`SmokeTest::fill_in`]).
    pub env: BTreeMap<String, String>,
    /// `init`: for a service test, a command run to its end in the spec's `-dev` image
    /// before the service starts, on the same volumes (e.g. `initdb`); empty for none.
    pub init: Vec<String>,
    /// How the test decides it passed.
    pub check: Check,
}

/// How a smoke test passes: by its command's output, or, for a service, by a probe
/// answered while it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// `expect` alone: the command runs to its end and its output contains this.
    Output {
        /// Text the combined output must contain.
        expect: String,
    },
    /// `port`, `client` and `expect`: the command is a service listening on `port`;
    /// `client` runs in the spec's `-dev` image and its output contains `expect`.
    Client {
        /// The TCP port the service listens on.
        port: u16,
        /// The client's argv, the first element an absolute path.
        command: Vec<String>,
        /// Text the client's output must contain.
        expect: String,
    },
    /// `http = { port, path, expect }`: the command is a service listening on `port`;
    /// `GET path` answers with a response whose status line or body contains `expect`.
    Http {
        /// The TCP port the service listens on.
        port: u16,
        /// The request path, starting with `/`.
        path: String,
        /// Text the status line or body must contain.
        expect: String,
    },
}

impl SmokeTest {
    /// The port a service test waits for, `None` for a plain command.
    pub fn port(&self) -> Option<u16> {
        match self.check {
            Check::Output { .. } => None,
            Check::Client { port, .. } | Check::Http { port, .. } => Some(port),
        }
    }

    /// The text the test's output (a command's, a client's or an HTTP response) must
    /// contain.
    pub fn expect(&self) -> &str {
        match &self.check {
            Check::Output { expect } | Check::Client { expect, .. } | Check::Http { expect, .. } => expect,
        }
    }

    /// The same test with the service on `port` instead (a plain command is unchanged).
    pub fn on_port(mut self, new: u16) -> SmokeTest {
        if let Check::Client { port, .. } | Check::Http { port, .. } = &mut self.check {
            *port = new;
        }
        self
    }

    /// The command's argv for `arch`, see [`SmokeTest::fill_in`].
    pub fn command_for(&self, arch: &buckle_debian::Arch) -> Vec<String> {
        self.fill_in(&self.command, arch)
    }

    /// The test's `env` for `arch` as `NAME=value` entries, see [`SmokeTest::fill_in`].
    pub fn env_for(&self, arch: &buckle_debian::Arch) -> Vec<String> {
        let entries: Vec<String> = self.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        self.fill_in(&entries, arch)
    }

    /// Where an argument says `{multiarch}`, this architecture's multiarch tuple goes
    /// (`/usr/lib/{multiarch}/libc.so.6` is `/usr/lib/aarch64-linux-gnu/libc.so.6` in the
    /// arm64 image), so one test serves every architecture; `{port}` becomes the
    /// service's port, so the port can change without editing the commands.
    pub fn fill_in(&self, args: &[String], arch: &buckle_debian::Arch) -> Vec<String> {
        let tuple = arch.multiarch_tuple().unwrap_or(arch.as_str());
        let port = self.port().map(|p| p.to_string());
        args.iter()
            .map(|argument| {
                let argument = argument.replace(MULTIARCH, tuple);
                match &port {
                    Some(port) => argument.replace(PORT, port),
                    None => argument,
                }
            })
            .collect()
    }
}

/// The placeholders [`SmokeTest::fill_in`] fills in.
const MULTIARCH: &str = "{multiarch}";
const PORT: &str = "{port}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smoke_test_command_names_each_architectures_library_directory() {
        let test = SmokeTest {
            command: vec!["/usr/lib/{multiarch}/libc.so.6".into(), "--version".into()],
            env: BTreeMap::new(),
            init: Vec::new(),
            check: Check::Output {
                expect: "GNU C Library".into(),
            },
        };
        let arm64: buckle_debian::Arch = "arm64".parse().unwrap();
        let amd64: buckle_debian::Arch = "amd64".parse().unwrap();
        assert_eq!(
            test.command_for(&arm64),
            ["/usr/lib/aarch64-linux-gnu/libc.so.6", "--version"]
        );
        assert_eq!(test.command_for(&amd64)[0], "/usr/lib/x86_64-linux-gnu/libc.so.6");
    }

    #[test]
    fn service_test_commands_name_the_port_which_can_change() {
        let test = SmokeTest {
            command: vec!["/usr/bin/valkey-server".into(), "--port".into(), "{port}".into()],
            env: BTreeMap::from([("BIND".to_owned(), "127.0.0.1:{port}".to_owned())]),
            init: Vec::new(),
            check: Check::Client {
                port: 16379,
                command: vec![
                    "/usr/bin/valkey-cli".into(),
                    "-p".into(),
                    "{port}".into(),
                    "PING".into(),
                ],
                expect: "PONG".into(),
            },
        };
        let amd64: buckle_debian::Arch = "amd64".parse().unwrap();
        assert_eq!(test.command_for(&amd64)[2], "16379");
        let moved = test.on_port(20000);
        assert_eq!(moved.port(), Some(20000));
        let Check::Client { command, .. } = &moved.check else {
            unreachable!("on_port keeps the kind of check")
        };
        assert_eq!(moved.fill_in(command, &amd64)[2], "20000");
        assert_eq!(moved.command_for(&amd64)[2], "20000");
        assert_eq!(moved.env_for(&amd64), ["BIND=127.0.0.1:20000"]);
    }

    #[test]
    fn user_parses_names_and_numeric_ids() {
        assert_eq!("nonroot".parse::<User>().unwrap().oci(), "65532:65532");
        assert_eq!("root".parse::<User>().unwrap().home(), "/root");
        assert_eq!(
            "1000:100".parse::<User>().unwrap(),
            User::Id { uid: 1000, gid: 100 }
        );
        for bad in ["1000", "a:b", "+1:2", "1:", "nobody", "99999999999:1"] {
            assert!(bad.parse::<User>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn working_dir_defaults_to_the_users_home() {
        let mut config = ImageConfig::default();
        assert_eq!(config.working_dir(), "/home/nonroot");
        config.workdir = Some("/app".into());
        assert_eq!(config.working_dir(), "/app");
    }
}
