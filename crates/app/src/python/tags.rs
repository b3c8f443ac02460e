//! Wheel compatibility: the target interpreter and platform, wheel file names, and
//! which of a wheel's tags the target supports (PEP 425, PEP 427, PEP 600).
//!
//! The supported tags are listed in CPython's order of preference: the exact
//! interpreter and ABI (`cp313-cp313`), the stable ABI of this and older versions
//! (`cp313-abi3` ... `cp32-abi3`), `cp313-none`, then pure-Python tags (`py313`,
//! `py3`, older `py3x`), each with the platforms newest glibc first
//! (`manylinux_2_36_x86_64` ... `manylinux_2_17_x86_64` and the legacy aliases
//! `manylinux2014`, `manylinux2010`, `manylinux1`, then `linux_x86_64`), and finally
//! `any`. A wheel's rank is the best position any of its tags reaches.

use crate::error::{Error, Result};
use std::fmt;
use std::str::FromStr;

/// A CPU architecture, as Debian names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Machine {
    /// `amd64` (`x86_64` in wheel tags, `x64` for Node).
    Amd64,
    /// `arm64` (`aarch64` in wheel tags, `arm64` for Node).
    Arm64,
}

impl Machine {
    /// The name in wheel platform tags and `platform_machine`.
    pub fn wheel_name(self) -> &'static str {
        match self {
            Machine::Amd64 => "x86_64",
            Machine::Arm64 => "aarch64",
        }
    }

    /// The name in Node's `process.arch` (npm's `cpu` field).
    pub fn node_name(self) -> &'static str {
        match self {
            Machine::Amd64 => "x64",
            Machine::Arm64 => "arm64",
        }
    }
}

impl FromStr for Machine {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "amd64" | "x86_64" => Ok(Machine::Amd64),
            "arm64" | "aarch64" => Ok(Machine::Arm64),
            other => Err(Error::BadTarget {
                target: other.to_owned(),
                problem: "the architecture must be `amd64` or `arm64`".to_owned(),
            }),
        }
    }
}

impl fmt::Display for Machine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Machine::Amd64 => "amd64",
            Machine::Arm64 => "arm64",
        })
    }
}

/// The interpreter and platform wheels are chosen for: the base image's CPython.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    /// Python major version (3).
    pub major: u32,
    /// Python minor version (13 for 3.13).
    pub minor: u32,
    /// Python micro version, for `python_full_version` markers (0 when unknown).
    pub micro: u32,
    /// The CPU architecture.
    pub machine: Machine,
    /// The base's glibc version `(major, minor)`: manylinux wheels needing a newer one
    /// are not compatible.
    pub glibc: (u32, u32),
}

/// glibc of Debian 12 (bookworm), the oldest base buckle builds on: the default, so
/// that a wheel chosen without knowing the base still runs on every base.
pub const DEFAULT_GLIBC: (u32, u32) = (2, 36);

impl Target {
    /// CPython `major.minor` on `machine`, with [`DEFAULT_GLIBC`].
    pub fn new(major: u32, minor: u32, machine: Machine) -> Self {
        Target {
            major,
            minor,
            micro: 0,
            machine,
            glibc: DEFAULT_GLIBC,
        }
    }

    /// The same target with the base's glibc version.
    pub fn with_glibc(mut self, major: u32, minor: u32) -> Self {
        self.glibc = (major, minor);
        self
    }

    /// The same target with a known micro version.
    pub fn with_micro(mut self, micro: u32) -> Self {
        self.micro = micro;
        self
    }

    /// The target of a Debian base from its package versions: `python3` (`3.13.5-1`
    /// is CPython 3.13.5) and `libc6` (`2.41-12` is glibc 2.41).
    pub fn from_debian(python3: &str, libc6: &str, machine: Machine) -> Result<Target> {
        let bad = |what: &str, version: &str| Error::BadTarget {
            target: format!("{what} {version}"),
            problem: format!("a Debian {what} version starts with `major.minor`"),
        };
        let numbers = |version: &str| -> Vec<u32> {
            let upstream = version.split_once(':').map_or(version, |(_, rest)| rest);
            upstream
                .split(['-', '+', '~'])
                .next()
                .unwrap_or_default()
                .split('.')
                .map_while(|part| part.parse().ok())
                .collect()
        };
        let python = numbers(python3);
        let glibc = numbers(libc6);
        let (Some(&major), Some(&minor)) = (python.first(), python.get(1)) else {
            return Err(bad("python3", python3));
        };
        let (Some(&glibc_major), Some(&glibc_minor)) = (glibc.first(), glibc.get(1)) else {
            return Err(bad("libc6", libc6));
        };
        Ok(Target::new(major, minor, machine)
            .with_micro(python.get(2).copied().unwrap_or(0))
            .with_glibc(glibc_major, glibc_minor))
    }

    /// `3.13`.
    pub fn python_version(&self) -> String {
        format!("{}.{}", self.major, self.minor)
    }

    /// Platform tags in order of preference (best first), without `any`.
    fn platforms(&self) -> Vec<String> {
        let arch = self.machine.wheel_name();
        let mut out = Vec::new();
        let (glibc_major, glibc_minor) = self.glibc;
        if glibc_major == 2 {
            // manylinux began at glibc 2.5 on x86_64 and 2.17 on aarch64.
            let oldest = match self.machine {
                Machine::Amd64 => 5,
                Machine::Arm64 => 17,
            };
            for minor in (oldest..=glibc_minor).rev() {
                out.push(format!("manylinux_2_{minor}_{arch}"));
                let legacy = match minor {
                    17 => Some("manylinux2014"),
                    12 if self.machine == Machine::Amd64 => Some("manylinux2010"),
                    5 if self.machine == Machine::Amd64 => Some("manylinux1"),
                    _ => None,
                };
                if let Some(legacy) = legacy {
                    out.push(format!("{legacy}_{arch}"));
                }
            }
        }
        out.push(format!("linux_{arch}"));
        out
    }

    /// Every supported `(interpreter, abi, platform)` tag, best first.
    pub fn supported_tags(&self) -> Vec<(String, String, String)> {
        let (major, minor) = (self.major, self.minor);
        let cp = format!("cp{major}{minor}");
        let platforms = self.platforms();
        let mut out = Vec::new();
        let with_platforms = |out: &mut Vec<(String, String, String)>, interpreter: &str, abi: &str| {
            for platform in &platforms {
                out.push((interpreter.to_owned(), abi.to_owned(), platform.clone()));
            }
        };
        with_platforms(&mut out, &cp, &cp);
        // abi3 exists from CPython 3.2 on.
        for older in (2..=minor).rev() {
            with_platforms(&mut out, &format!("cp{major}{older}"), "abi3");
        }
        with_platforms(&mut out, &cp, "none");
        with_platforms(&mut out, &format!("py{major}{minor}"), "none");
        with_platforms(&mut out, &format!("py{major}"), "none");
        for older in (0..minor).rev() {
            with_platforms(&mut out, &format!("py{major}{older}"), "none");
        }
        out.push((cp.clone(), "none".to_owned(), "any".to_owned()));
        out.push((format!("py{major}{minor}"), "none".to_owned(), "any".to_owned()));
        out.push((format!("py{major}"), "none".to_owned(), "any".to_owned()));
        for older in (0..minor).rev() {
            out.push((format!("py{major}{older}"), "none".to_owned(), "any".to_owned()));
        }
        out
    }
}

impl FromStr for Target {
    type Err = Error;
    /// `3.13/amd64` or `3.11.2/arm64`.
    fn from_str(s: &str) -> Result<Self> {
        let bad = |problem: &str| Error::BadTarget {
            target: s.to_owned(),
            problem: problem.to_owned(),
        };
        let (version, machine) = s
            .split_once('/')
            .ok_or_else(|| bad("expected `<python version>/<architecture>`, like `3.13/amd64`"))?;
        let numbers: Vec<u32> = version
            .split('.')
            .map(|n| n.parse::<u32>())
            .collect::<std::result::Result<_, _>>()
            .map_err(|_| bad("the Python version must be numbers like `3.13`"))?;
        let target = match numbers.as_slice() {
            [major, minor] => Target::new(*major, *minor, machine.parse()?),
            [major, minor, micro] => Target::new(*major, *minor, machine.parse()?).with_micro(*micro),
            _ => return Err(bad("the Python version must be `major.minor`, like `3.13`")),
        };
        if target.major != 3 {
            return Err(bad("only Python 3 is supported"));
        }
        Ok(target)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "CPython {}.{} on {} (glibc {}.{})",
            self.major, self.minor, self.machine, self.glibc.0, self.glibc.1
        )
    }
}

/// The parts of a wheel's file name (PEP 427).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WheelName {
    /// The distribution name as written (`markupsafe`, `Flask`).
    pub distribution: String,
    /// The version as written.
    pub version: String,
    /// The optional build tag.
    pub build: Option<String>,
    /// Interpreter tags (`cp313`, `py3`); compressed sets are split on `.`.
    pub interpreters: Vec<String>,
    /// ABI tags.
    pub abis: Vec<String>,
    /// Platform tags.
    pub platforms: Vec<String>,
}

impl WheelName {
    /// Parses `{distribution}-{version}(-{build})?-{python}-{abi}-{platform}.whl`.
    pub fn parse(file_name: &str) -> Result<Self> {
        let bad = || Error::BadWheelName {
            file_name: file_name.to_owned(),
        };
        let stem = file_name.strip_suffix(".whl").ok_or_else(bad)?;
        let parts: Vec<&str> = stem.split('-').collect();
        let (distribution, version, build, tags) = match parts.as_slice() {
            [d, v, p, a, pl] => (*d, *v, None, [*p, *a, *pl]),
            [d, v, b, p, a, pl] => (*d, *v, Some((*b).to_owned()), [*p, *a, *pl]),
            _ => return Err(bad()),
        };
        if distribution.is_empty() || version.is_empty() || tags.iter().any(|t| t.is_empty()) {
            return Err(bad());
        }
        let split = |tag: &str| tag.split('.').map(str::to_owned).collect::<Vec<_>>();
        Ok(WheelName {
            distribution: distribution.to_owned(),
            version: version.to_owned(),
            build,
            interpreters: split(tags[0]),
            abis: split(tags[1]),
            platforms: split(tags[2]),
        })
    }

    /// Every `interpreter-abi-platform` triple the name stands for.
    pub fn tags(&self) -> Vec<String> {
        let mut out = Vec::new();
        for i in &self.interpreters {
            for a in &self.abis {
                for p in &self.platforms {
                    out.push(format!("{i}-{a}-{p}"));
                }
            }
        }
        out
    }

    /// The best position in `supported` (from [`Target::supported_tags`]) that one of
    /// the wheel's tags reaches; `None` when the target supports none of them.
    pub fn rank(&self, supported: &[(String, String, String)]) -> Option<usize> {
        supported.iter().position(|(i, a, p)| {
            self.interpreters.contains(i) && self.abis.contains(a) && self.platforms.contains(p)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rank(file: &str, target: &str) -> Option<usize> {
        let target: Target = target.parse().unwrap();
        WheelName::parse(file).unwrap().rank(&target.supported_tags())
    }

    #[test]
    fn pure_python_wheels_fit_every_target() {
        assert!(rank("six-1.17.0-py2.py3-none-any.whl", "3.13/amd64").is_some());
        assert!(rank("flask-3.1.0-py3-none-any.whl", "3.11/arm64").is_some());
    }

    #[test]
    fn cpython_wheels_need_the_same_version_and_architecture() {
        let file = "MarkupSafe-3.0.2-cp313-cp313-manylinux_2_17_x86_64.manylinux2014_x86_64.whl";
        assert!(rank(file, "3.13/amd64").is_some());
        assert_eq!(rank(file, "3.11/amd64"), None);
        assert_eq!(rank(file, "3.13/arm64"), None);
    }

    #[test]
    fn abi3_wheels_fit_newer_interpreters_only() {
        let file = "cryptography-44.0.0-cp39-abi3-manylinux_2_28_aarch64.whl";
        assert!(rank(file, "3.13/arm64").is_some());
        assert!(rank(file, "3.9/arm64").is_some());
        assert_eq!(rank(file, "3.8/arm64"), None);
    }

    #[test]
    fn manylinux_wheels_newer_than_the_base_glibc_are_refused() {
        let target = Target::new(3, 13, Machine::Amd64).with_glibc(2, 36);
        let newer = WheelName::parse("x-1-cp313-cp313-manylinux_2_39_x86_64.whl").unwrap();
        let older = WheelName::parse("x-1-cp313-cp313-manylinux_2_28_x86_64.whl").unwrap();
        assert_eq!(newer.rank(&target.supported_tags()), None);
        assert!(older.rank(&target.supported_tags()).is_some());
        assert!(newer.rank(&target.with_glibc(2, 41).supported_tags()).is_some());
    }

    #[test]
    fn musllinux_windows_and_mac_wheels_are_refused() {
        for file in [
            "x-1-cp313-cp313-musllinux_1_2_x86_64.whl",
            "x-1-cp313-cp313-win_amd64.whl",
            "x-1-cp313-cp313-macosx_11_0_arm64.whl",
        ] {
            assert_eq!(rank(file, "3.13/amd64"), None, "{file}");
        }
    }

    #[test]
    fn the_exact_abi_is_preferred_to_abi3_and_abi3_to_pure_python() {
        let exact = rank("x-1-cp313-cp313-manylinux_2_17_x86_64.whl", "3.13/amd64").unwrap();
        let abi3 = rank("x-1-cp38-abi3-manylinux_2_17_x86_64.whl", "3.13/amd64").unwrap();
        let pure = rank("x-1-py3-none-any.whl", "3.13/amd64").unwrap();
        let newer_glibc = rank("x-1-cp313-cp313-manylinux_2_28_x86_64.whl", "3.13/amd64").unwrap();
        assert!(newer_glibc < exact);
        assert!(exact < abi3);
        assert!(abi3 < pure);
    }

    #[test]
    fn wheel_names_with_a_build_tag_parse() {
        let name = WheelName::parse("pkg-1.0-1build-py3-none-any.whl").unwrap();
        assert_eq!(name.build.as_deref(), Some("1build"));
        assert!(WheelName::parse("pkg-1.0.tar.gz").is_err());
        assert!(WheelName::parse("pkg-1.0-py3-none.whl").is_err());
    }

    #[test]
    fn a_debian_base_gives_its_python_and_glibc() {
        let target = Target::from_debian("3.13.5-1", "2.41-12", Machine::Arm64).unwrap();
        assert_eq!((target.major, target.minor, target.micro), (3, 13, 5));
        assert_eq!(target.glibc, (2, 41));
        let target = Target::from_debian("3.11.2-1+b1", "2.36-9+deb12u10", Machine::Amd64).unwrap();
        assert_eq!((target.minor, target.glibc), (11, (2, 36)));
        assert!(Target::from_debian("three", "2.41-12", Machine::Amd64).is_err());
    }

    #[test]
    fn targets_parse_and_refuse_nonsense() {
        let target: Target = "3.11.2/arm64".parse().unwrap();
        assert_eq!((target.major, target.minor, target.micro), (3, 11, 2));
        assert!("3.13".parse::<Target>().is_err());
        assert!("3.13/riscv64".parse::<Target>().is_err());
        assert!("2.7/amd64".parse::<Target>().is_err());
    }
}
