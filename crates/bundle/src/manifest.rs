//! The manifest: the bundle's table of contents, and the identity of the bundle (its
//! SHA-256 is the bundle's digest, recorded in the provenance of offline builds).

use crate::error::{Error, Result};
use buckle_archive::ReleaseDate;
use buckle_digest::Sha256;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

/// The `format` of bundles this version reads and writes.
pub const FORMAT: &str = "buckle-bundle/1";
/// The manifest's member name, always first in the tar.
pub const MANIFEST_NAME: &str = "manifest.json";
/// The signed manifest's member name (a DSSE envelope), second when present.
pub const SIGNATURE_NAME: &str = "manifest.dsse.json";
/// The DSSE payload type of a signed manifest.
pub const PAYLOAD_TYPE: &str = "application/vnd.buckle.bundle-manifest+json";

/// What a bundle holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: String,
    /// When the bundle was made: offline builds check Release expiry as of this time.
    pub created: ReleaseDate,
    /// For a delta: the bundle it adds to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<BaseBundle>,
    /// The URL of each mirror (by the name its members use) where the bundle was made.
    pub mirrors: BTreeMap<String, String>,
    /// Every member, in the order the tar holds them.
    pub members: Vec<Member>,
}

/// The bundle a delta builds on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BaseBundle {
    /// The SHA-256 of its manifest.
    pub manifest: Sha256,
    /// When it was made.
    pub created: ReleaseDate,
}

/// One file of the bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Member {
    /// Where it is in the bundle (see the crate documentation for the layout).
    pub path: String,
    /// The SHA-256 of its bytes.
    pub sha256: Sha256,
    /// Its size in bytes.
    pub size: u64,
    /// True in a delta for a member that its base already carried (so this file does
    /// not hold it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub in_base: bool,
}

/// What a member is, from its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberKind<'a> {
    /// `mirrors/<mirror>/dists/<suite>/InRelease`.
    InRelease {
        /// The mirror's name.
        mirror: &'a str,
        /// The suite.
        suite: &'a str,
    },
    /// `mirrors/<mirror>/dists/<suite>/<file>`: an index file Release lists.
    Index {
        /// The mirror's name.
        mirror: &'a str,
        /// The suite.
        suite: &'a str,
        /// The file, relative to the suite directory.
        file: &'a str,
    },
    /// `mirrors/<mirror>/pool/...`: a .deb.
    Deb {
        /// The mirror's name.
        mirror: &'a str,
        /// The pool path (`pool/...`).
        pool_path: &'a str,
    },
    /// `upstream/<sha256>`: an upstream artifact.
    Upstream(Sha256),
    /// `feeds/<file>`: a file of the vulnerability feed store.
    Feed(&'a str),
    /// `images/<file>`: a file of an OCI layout directory.
    Image(&'a str),
}

impl Member {
    /// Checks that bytes with `sha256` and `size` are this member's.
    pub fn check(&self, sha256: Sha256, size: u64) -> Result<()> {
        if (sha256, size) == (self.sha256, self.size) {
            return Ok(());
        }
        Err(Error::MemberMismatch {
            path: self.path.clone(),
            difference: Box::new(crate::error::Difference {
                expected: self.sha256,
                expected_size: self.size,
                actual: sha256,
                actual_size: size,
            }),
        })
    }

    /// What the member is.
    pub fn kind(&self) -> Result<MemberKind<'_>> {
        member_kind(&self.path)
    }
}

/// What the member at `path` is; an error for a path no bundle may hold.
pub fn member_kind(path: &str) -> Result<MemberKind<'_>> {
    let bad = |reason| Error::MemberPath {
        path: path.to_owned(),
        reason,
    };
    if path.is_empty() || path.len() > 4096 {
        return Err(bad("it is empty or longer than 4096 bytes"));
    }
    if path.contains(['\\', '\0']) {
        return Err(bad("it holds a backslash or a NUL byte"));
    }
    if path
        .split('/')
        .any(|c| c.is_empty() || c == "." || c == ".." || c.len() > 255)
    {
        return Err(bad(
            "it is absolute, or has an empty, `.`, `..` or over-long component",
        ));
    }
    let (top, rest) = path
        .split_once('/')
        .ok_or_else(|| bad("it is not inside mirrors/, upstream/, feeds/ or images/"))?;
    match top {
        "mirrors" => {
            let (mirror, rest) = rest.split_once('/').ok_or_else(|| {
                bad("a mirror member is `mirrors/<mirror>/dists/...` or `mirrors/<mirror>/pool/...`")
            })?;
            if let Some(in_dists) = rest.strip_prefix("dists/") {
                let (suite, file) = in_dists
                    .split_once('/')
                    .ok_or_else(|| bad("a dists member is `dists/<suite>/<file>`"))?;
                Ok(if file == "InRelease" {
                    MemberKind::InRelease { mirror, suite }
                } else {
                    MemberKind::Index { mirror, suite, file }
                })
            } else if rest.starts_with("pool/") && rest.ends_with(".deb") {
                Ok(MemberKind::Deb {
                    mirror,
                    pool_path: rest,
                })
            } else {
                Err(bad("a mirror member is `mirrors/<mirror>/dists/...` or a .deb under `mirrors/<mirror>/pool/`"))
            }
        }
        "upstream" => rest
            .parse()
            .map(MemberKind::Upstream)
            .map_err(|_| bad("an upstream member is `upstream/<sha256 hex>`")),
        "feeds" => Ok(MemberKind::Feed(rest)),
        "images" => Ok(MemberKind::Image(rest)),
        _ => Err(bad("it is not inside mirrors/, upstream/, feeds/ or images/")),
    }
}

impl Manifest {
    /// Parses a manifest and checks it: the format, every path allowed and listed once.
    pub fn parse(bytes: &[u8]) -> Result<Manifest> {
        let manifest: Manifest = serde_json::from_slice(bytes).map_err(|e| Error::Manifest(e.to_string()))?;
        if manifest.format != FORMAT {
            return Err(Error::Manifest(format!(
                "its format is `{}`; this buckle reads `{FORMAT}`",
                manifest.format
            )));
        }
        let mut seen = HashSet::new();
        for member in &manifest.members {
            member.kind()?;
            if !seen.insert(member.path.as_str()) {
                return Err(Error::Manifest(format!("it lists `{}` twice", member.path)));
            }
            if member.in_base && manifest.base.is_none() {
                return Err(Error::Manifest(format!(
                    "`{}` is marked as carried by a base bundle, but the manifest names no base",
                    member.path
                )));
            }
        }
        Ok(manifest)
    }

    /// The manifest as written into the bundle (its SHA-256 is the bundle's digest).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).expect("a manifest of plain fields serialises");
        bytes.push(b'\n');
        bytes
    }

    /// The members this file holds (not those a delta's base carries).
    pub fn carried(&self) -> impl Iterator<Item = &Member> {
        self.members.iter().filter(|m| !m.in_base)
    }

    /// Bytes of the members this file holds.
    pub fn carried_bytes(&self) -> u64 {
        self.carried().map(|m| m.size).sum()
    }

    /// The URL the mirror `name` had where the bundle was made.
    pub fn mirror_url(&self, name: &str) -> Option<&str> {
        self.mirrors.get(name).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_paths_say_what_they_are_and_unsafe_ones_are_refused() {
        assert_eq!(
            member_kind("mirrors/debian/dists/bookworm/InRelease").unwrap(),
            MemberKind::InRelease {
                mirror: "debian",
                suite: "bookworm"
            }
        );
        assert_eq!(
            member_kind("mirrors/debian/dists/bookworm/main/binary-amd64/Packages.xz").unwrap(),
            MemberKind::Index {
                mirror: "debian",
                suite: "bookworm",
                file: "main/binary-amd64/Packages.xz"
            }
        );
        assert_eq!(
            member_kind("mirrors/debian-security/pool/updates/main/o/openssl/libssl3_3.0.1_amd64.deb")
                .unwrap(),
            MemberKind::Deb {
                mirror: "debian-security",
                pool_path: "pool/updates/main/o/openssl/libssl3_3.0.1_amd64.deb"
            }
        );
        for bad in [
            "/etc/passwd",
            "mirrors/debian/../../etc/passwd",
            "feeds//x",
            "mirrors/debian/pool/x.sh",
            "upstream/not-hex",
            "elsewhere/file",
            "mirrors/debian/dists/bookworm",
            "feeds/a\\b",
        ] {
            assert!(member_kind(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn a_manifest_listing_a_path_twice_or_of_another_format_is_refused() {
        let member = Member {
            path: "feeds/feeds.json".into(),
            sha256: Sha256::of(b"{}"),
            size: 2,
            in_base: false,
        };
        let mut manifest = Manifest {
            format: FORMAT.into(),
            created: ReleaseDate::from_unix(1_700_000_000),
            base: None,
            mirrors: BTreeMap::new(),
            members: vec![member.clone()],
        };
        assert_eq!(Manifest::parse(&manifest.to_bytes()).unwrap(), manifest);
        manifest.members.push(member);
        assert!(Manifest::parse(&manifest.to_bytes())
            .unwrap_err()
            .to_string()
            .contains("twice"));
        manifest.members.pop();
        manifest.format = "buckle-bundle/9".into();
        assert!(Manifest::parse(&manifest.to_bytes())
            .unwrap_err()
            .to_string()
            .contains("buckle-bundle/9"));
    }
}
