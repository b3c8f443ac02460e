//! The image spec as buckle uses it once parsed: every identifier checked, defaults
//! filled in.

use crate::config::{ImageConfig, SmokeTest};
use crate::names::ImageName;
use crate::upstream::{EndOfLife, Upstream};
use buckle_debian::{Arch, PackageName};
use buckle_debian::{Component, MirrorUrl, Suite};
use buckle_digest::Sha256;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// An image spec: what goes into an image and how it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// `name`: the image name.
    pub name: ImageName,
    /// `description`.
    pub description: Option<String>,
    /// `distribution`: the Debian release the default sources point at.
    pub distribution: Distribution,
    /// `architectures`, in the order given, without duplicates.
    pub architectures: Vec<Arch>,
    /// `packages`: the roots of the runtime image, in the order given.
    pub packages: Vec<PackageName>,
    /// `[[exclude]]`: dependencies cut on purpose, each with its reason.
    pub excludes: Vec<Exclude>,
    /// `[[source]]`, or the distribution's default sources when the spec has none.
    pub sources: Vec<Source>,
    /// `[image]`.
    pub image: ImageConfig,
    /// `[dev] packages`: roots added on top of `packages` for the `-dev` variant.
    pub dev_packages: Vec<PackageName>,
    /// `[test]`: the smoke test, if the spec declares one.
    pub test: Option<SmokeTest>,
    /// `eol`: when upstream support for what the image ships ends.
    pub eol: Option<EndOfLife>,
    /// `[[upstream]]`: artifacts from outside Debian, each in a layer of its own.
    pub upstream: Vec<Upstream>,
    /// SHA-256 of the spec text.
    pub(crate) sha256: Sha256,
}

impl Spec {
    /// The roots to resolve for `variant`: `packages`, plus `[dev] packages` for
    /// [`Variant::Dev`] (those already in `packages` are not repeated).
    pub fn roots(&self, variant: Variant) -> Vec<PackageName> {
        let mut roots = self.packages.clone();
        if variant == Variant::Dev {
            for p in &self.dev_packages {
                if !roots.contains(p) {
                    roots.push(p.clone());
                }
            }
        }
        roots
    }

    /// SHA-256 of the spec's text; a lock records it to notice when it is stale.
    pub fn sha256(&self) -> Sha256 {
        self.sha256
    }

    /// Every suite named by the sources, in source order.
    pub fn suites(&self) -> impl Iterator<Item = &Suite> {
        self.sources.iter().flat_map(|s| s.suites.iter())
    }
}

/// Which image of a spec: the runtime image or its `-dev` variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Variant {
    /// The hardened image: no shell, no package manager.
    Runtime,
    /// The build-stage image: the runtime roots plus `[dev] packages`.
    Dev,
}

impl Variant {
    /// Both variants, runtime first.
    pub const ALL: [Variant; 2] = [Variant::Runtime, Variant::Dev];

    /// `runtime` or `dev`.
    pub fn as_str(self) -> &'static str {
        match self {
            Variant::Runtime => "runtime",
            Variant::Dev => "dev",
        }
    }
}

impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Variant {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "runtime" => Ok(Variant::Runtime),
            "dev" => Ok(Variant::Dev),
            other => Err(format!("`{other}` is not a variant: expected `runtime` or `dev`")),
        }
    }
}

/// A Debian release buckle knows the default sources of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Distribution {
    /// Debian 13.
    #[default]
    Trixie,
    /// Debian 12.
    Bookworm,
}

impl Distribution {
    /// Every supported distribution.
    pub const ALL: [Distribution; 2] = [Distribution::Trixie, Distribution::Bookworm];

    /// The codename, e.g. `trixie`.
    pub fn codename(self) -> &'static str {
        match self {
            Distribution::Trixie => "trixie",
            Distribution::Bookworm => "bookworm",
        }
    }

    /// The sources used when a spec has no `[[source]]`: the host's Debian mirror with
    /// `<codename>` and `<codename>-updates`, and the host's Debian security mirror with
    /// `<codename>-security`, component `main`, Debian's archive keys.
    pub fn default_sources(self) -> Vec<Source> {
        let suite = |suffix: &str| {
            Suite::from_str(&format!("{}{suffix}", self.codename()))
                .expect("a codename plus a `-word` suffix is a valid suite name")
        };
        let main = Component::from_str("main").expect("`main` is a valid component name");
        let (release, updates, security) = (suite(""), suite("-updates"), suite("-security"));
        vec![
            Source {
                mirror: Mirror::Debian,
                suites: vec![release, updates],
                components: vec![main.clone()],
                keyring: Keyring::Debian,
            },
            Source {
                mirror: Mirror::DebianSecurity,
                suites: vec![security],
                components: vec![main],
                keyring: Keyring::Debian,
            },
        ]
    }
}

impl fmt::Display for Distribution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.codename())
    }
}

impl FromStr for Distribution {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Distribution::ALL
            .into_iter()
            .find(|d| d.codename() == s)
            .ok_or_else(|| format!("`{s}` is not a supported distribution"))
    }
}

/// One `[[source]]`: an archive, the suites and components to read from it, and the
/// keys its InRelease must be signed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// Where the archive is.
    pub mirror: Mirror,
    /// `suites`, e.g. `trixie`, `trixie-updates`.
    pub suites: Vec<Suite>,
    /// `components`, default `["main"]`.
    pub components: Vec<Component>,
    /// `keyring`.
    pub keyring: Keyring,
}

/// Where an archive is. The host's mirrors are found by the caller (buckle-archive reads
/// the host's apt configuration); a spec names a URL only for other archives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mirror {
    /// The Debian mirror the host's apt uses.
    Debian,
    /// The Debian security mirror the host's apt uses.
    DebianSecurity,
    /// An explicit `url`.
    Url(MirrorUrl),
}

/// The OpenPGP keys an archive's InRelease must be signed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Keyring {
    /// Debian's archive signing keys, shipped inside buckle.
    Debian,
    /// A keyring file (armored or binary); a relative path is relative to the spec's
    /// directory.
    File(PathBuf),
}

/// One `[[exclude]]`: a package cut from the closure, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exclude {
    /// The package (a real package name; dependencies on it count as satisfied).
    pub package: PackageName,
    /// Why it may be left out.
    pub reason: String,
}
