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
}

impl ImageConfig {
    /// The working directory: `workdir`, or the user's home.
    pub fn working_dir(&self) -> &str {
        self.workdir.as_deref().unwrap_or_else(|| self.user.home())
    }
}

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

/// `[test]`: a command run in the built image and a substring its output must contain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmokeTest {
    /// `command`: argv, the first element an absolute path.
    pub command: Vec<String>,
    /// `expect`: text the combined output must contain.
    pub expect: String,
}

impl SmokeTest {
    /// Where the command's arguments say `{multiarch}`, this architecture's multiarch
    /// tuple goes (`/usr/lib/{multiarch}/libc.so.6` is `/usr/lib/aarch64-linux-gnu/libc.so.6`
    /// in the arm64 image), so one test serves every architecture.
    pub fn command_for(&self, arch: &buckle_debian::Arch) -> Vec<String> {
        let tuple = arch.multiarch_tuple().unwrap_or(arch.as_str());
        self.command
            .iter()
            .map(|argument| argument.replace(MULTIARCH, tuple))
            .collect()
    }
}

/// The placeholder [`SmokeTest::command_for`] fills in.
const MULTIARCH: &str = "{multiarch}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smoke_test_command_names_each_architectures_library_directory() {
        let test = SmokeTest {
            command: vec!["/usr/lib/{multiarch}/libc.so.6".into(), "--version".into()],
            expect: "GNU C Library".into(),
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
