//! apt as the oracle for dependency resolution: a private apt root configured with the
//! same mirror and suites, whose dpkg status marks the spec's excluded packages as
//! installed, so that `apt-get -s install --no-install-recommends ROOTS` prints exactly
//! the set buckle must resolve.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct AptRoot {
    dir: tempfile::TempDir,
}

impl AptRoot {
    /// An apt root for `suites` of `mirror` and `security_suites` of `security_mirror`,
    /// updated from the network.
    pub fn new(mirror: &str, suites: &[&str], security_mirror: &str, security_suites: &[&str]) -> AptRoot {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for sub in [
            "etc/apt/sources.list.d",
            "etc/apt/apt.conf.d",
            "etc/apt/preferences.d",
            "var/lib/dpkg",
            "var/lib/apt/lists/partial",
            "var/cache/apt/archives/partial",
        ] {
            std::fs::create_dir_all(root.join(sub)).unwrap();
        }
        std::fs::write(root.join("var/lib/dpkg/status"), "").unwrap();
        let mut sources = String::new();
        for suite in suites {
            sources.push_str(&format!(
                "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] {mirror} {suite} main\n"
            ));
        }
        for suite in security_suites {
            sources.push_str(&format!("deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] {security_mirror} {suite} main\n"));
        }
        std::fs::write(root.join("etc/apt/sources.list"), sources).unwrap();
        let conf = format!(
            "Dir \"{r}/\";\nDir::State::status \"{r}/var/lib/dpkg/status\";\n\
             APT::Architecture \"amd64\";\nAPT::Install-Recommends \"false\";\nAcquire::Languages \"none\";\n",
            r = root.display()
        );
        std::fs::write(root.join("apt.conf"), conf).unwrap();
        let apt = AptRoot { dir };
        let out = apt.command("apt-get").args(["update", "-qq"]).output().unwrap();
        assert!(
            out.status.success(),
            "apt-get update failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        apt
    }

    fn conf(&self) -> PathBuf {
        self.dir.path().join("apt.conf")
    }

    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.env("APT_CONFIG", self.conf());
        cmd
    }

    /// Marks `packages` as installed, as if cut: each at a version just above its
    /// candidate (`<candidate>+oracle`), which exists only in the status file. At the
    /// candidate itself apt would take the dependencies from the archive's record, find
    /// them missing and reinstall the package; this version has none.
    pub fn mark_installed(&self, packages: &[&str]) {
        let mut status = String::new();
        for package in packages {
            let out = self
                .command("apt-cache")
                .args(["show", "--no-all-versions", package])
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            let field = |name: &str| {
                text.lines()
                    .find_map(|l| l.strip_prefix(&format!("{name}: ")))
                    .map(str::to_owned)
            };
            let Some(version) = field("Version") else { continue };
            status.push_str(&format!(
                "Package: {package}\nStatus: install ok installed\nVersion: {version}+oracle\nArchitecture: {}\n",
                field("Architecture").unwrap_or_else(|| "amd64".into())
            ));
            if let Some(multi_arch) = field("Multi-Arch") {
                status.push_str(&format!("Multi-Arch: {multi_arch}\n"));
            }
            if let Some(provides) = field("Provides") {
                status.push_str(&format!("Provides: {provides}\n"));
            }
            status.push('\n');
        }
        std::fs::write(self.dir.path().join("var/lib/dpkg/status"), status).unwrap();
    }

    /// `apt-get download PACKAGE` into `into`: apt checks the .deb against the index it
    /// verified with the Debian keyring.
    pub fn download(&self, package: &str, into: &Path) -> std::process::Output {
        self.command("apt-get")
            .args(["download", "-qq", package])
            .current_dir(into)
            .output()
            .unwrap()
    }

    /// The packages `apt-get install` would install for `roots`, without Recommends.
    pub fn install_set(&self, roots: &[&str]) -> BTreeSet<String> {
        let out = self
            .command("apt-get")
            .args(["-s", "-qq", "install"])
            .args(roots)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "apt-get -s install failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.strip_prefix("Inst "))
            .filter_map(|l| l.split_whitespace().next())
            .map(|name| name.split(':').next().unwrap_or(name).to_owned())
            .collect()
    }
}

/// The host apt's Debian mirror and security mirror, read from its sources, the same
/// way buckle finds them.
pub fn host_mirrors() -> (String, String) {
    let mirrors = buckle_archive::from_apt_config(Path::new("/etc/apt"))
        .expect("the host's apt configuration is readable");
    let archive = mirrors
        .archive()
        .expect("the host's apt names a Debian mirror")
        .to_string();
    let security = mirrors
        .security()
        .expect("the host's apt names a Debian security mirror")
        .to_string();
    (archive, security)
}
