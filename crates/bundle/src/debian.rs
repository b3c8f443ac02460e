//! The Debian chain of trust inside a bundle, checked exactly as online: every
//! InRelease against the archive keys, every index file against its InRelease, every
//! .deb against the index that lists it.

use crate::error::{io, Difference, Error, Result};
use crate::manifest::{Manifest, Member, MemberKind};
use buckle_archive::packages::{decode, parse_index, Compression};
use buckle_archive::{verify_inrelease, Keyring, ReleaseChecks, ReleaseDate, VerifiedRelease};
use buckle_debian::{MirrorUrl, Suite};
use buckle_digest::Sha256;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

/// The largest decoded index accepted when Release does not list its size.
const INDEX_LIMIT: u64 = 2 << 30;

/// One suite of the bundle, verified.
#[derive(Debug, Clone)]
pub struct BundledSuite {
    /// The mirror's name in the bundle.
    pub mirror: String,
    /// The verified Release.
    pub release: VerifiedRelease,
}

/// A decoded index, checked against the `Packages` entry Release lists for it.
#[derive(Debug, Clone)]
pub struct DecodedIndex {
    /// The SHA-256 of the decoded bytes (the cache keys decoded indexes by it).
    pub sha256: Sha256,
    /// The decoded bytes.
    pub bytes: Vec<u8>,
}

/// What the Debian members of a bundle hold, all verified.
#[derive(Debug, Clone, Default)]
pub struct DebianContents {
    /// Every suite.
    pub suites: Vec<BundledSuite>,
    /// Every index, decoded.
    pub indexes: Vec<DecodedIndex>,
    /// How many .debs.
    pub debs: usize,
}

impl DebianContents {
    /// Whether a suite's `Valid-Until` has passed at `now`.
    pub fn expired_at(&self, now: ReleaseDate) -> Vec<&BundledSuite> {
        self.suites
            .iter()
            .filter(|s| s.release.release.valid_until.is_some_and(|until| until < now))
            .collect()
    }
}

/// Verifies the Debian members of `manifest`, reading each member's bytes from where
/// `content` says (the unpacked bundle, or the cache for a delta's base). Releases are
/// checked as of `at`, the bundle's creation time: an offline machine judges a bundle
/// by the day it was made, and says when that day is past `Valid-Until`.
pub fn verify(
    manifest: &Manifest,
    content: &dyn Fn(&Member) -> PathBuf,
    keyring: &Keyring,
    at: ReleaseDate,
) -> Result<DebianContents> {
    let read = |member: &Member| -> Result<Vec<u8>> {
        let path = content(member);
        let bytes = std::fs::read(&path).map_err(io("read", &path))?;
        member.check(Sha256::of(&bytes), bytes.len() as u64)?;
        Ok(bytes)
    };
    let mut contents = DebianContents::default();
    let mut suites: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for member in &manifest.members {
        if let MemberKind::InRelease { mirror, suite } = member.kind()? {
            let url: MirrorUrl = manifest
                .mirror_url(mirror)
                .ok_or_else(|| Error::Manifest(format!("it names no URL for mirror `{mirror}`")))?
                .parse()
                .map_err(|e| Error::Manifest(format!("the URL of mirror `{mirror}`: {e}")))?;
            let suite_name: Suite = suite
                .parse()
                .map_err(|e| Error::Manifest(format!("the suite `{suite}`: {e}")))?;
            let checks = ReleaseChecks {
                now: at,
                not_before: None,
            };
            let release = verify_inrelease(&url, &suite_name, &read(member)?, keyring, &checks)?;
            suites.insert((mirror, suite), contents.suites.len());
            contents.suites.push(BundledSuite {
                mirror: mirror.to_owned(),
                release,
            });
        }
    }
    // (mirror, pool path) -> the SHA-256 an index lists.
    let mut listed: HashMap<(String, String), Sha256> = HashMap::new();
    for member in &manifest.members {
        let MemberKind::Index { mirror, suite, file } = member.kind()? else {
            continue;
        };
        let at = *suites
            .get(&(mirror, suite))
            .ok_or_else(|| Error::NoRelease(member.path.clone()))?;
        let release = &contents.suites[at].release;
        let entry = release
            .release
            .sha256
            .get(file)
            .ok_or_else(|| Error::NotInRelease {
                mirror: mirror.to_owned(),
                suite: suite.to_owned(),
                path: file.to_owned(),
            })?;
        if (entry.sha256, entry.size) != (member.sha256, member.size) {
            return Err(Error::IndexMismatch {
                suite: suite.to_owned(),
                path: file.to_owned(),
                difference: Box::new(Difference {
                    expected: entry.sha256,
                    expected_size: entry.size,
                    actual: member.sha256,
                    actual_size: member.size,
                }),
            });
        }
        let Some((dir, compression)) = packages_file(file) else {
            continue;
        };
        let plain = release.release.sha256.get(&format!("{dir}/Packages")).copied();
        let limit = plain.map_or(INDEX_LIMIT, |p| p.size);
        let decoded = decode(compression, &read(member)?, limit).map_err(|e| Error::Damaged {
            path: member.path.clone().into(),
            reason: format!("cannot decode the index: {e}"),
        })?;
        let sha256 = Sha256::of(&decoded);
        if let Some(plain) = plain {
            if (plain.sha256, plain.size) != (sha256, decoded.len() as u64) {
                return Err(Error::IndexMismatch {
                    suite: suite.to_owned(),
                    path: format!("{dir}/Packages"),
                    difference: Box::new(Difference {
                        expected: plain.sha256,
                        expected_size: plain.size,
                        actual: sha256,
                        actual_size: decoded.len() as u64,
                    }),
                });
            }
        }
        let text = std::str::from_utf8(&decoded).map_err(|_| Error::Damaged {
            path: member.path.clone().into(),
            reason: "the index is not UTF-8".into(),
        })?;
        let packages = parse_index(text).map_err(|reason| Error::Damaged {
            path: member.path.clone().into(),
            reason,
        })?;
        for package in packages {
            if let (Some(filename), Some(digest)) = (package.filename, package.sha256) {
                listed.insert((mirror.to_owned(), filename), digest);
            }
        }
        contents.indexes.push(DecodedIndex {
            sha256,
            bytes: decoded,
        });
    }
    for member in &manifest.members {
        let MemberKind::Deb { mirror, pool_path } = member.kind()? else {
            continue;
        };
        let digest = listed
            .get(&(mirror.to_owned(), pool_path.to_owned()))
            .ok_or_else(|| Error::DebNotListed {
                mirror: mirror.to_owned(),
                path: pool_path.to_owned(),
            })?;
        if *digest != member.sha256 {
            return Err(Error::DebMismatch {
                path: pool_path.to_owned(),
                listed: Box::new(*digest),
                actual: Box::new(member.sha256),
            });
        }
        contents.debs += 1;
    }
    Ok(contents)
}

/// `<dir>` and the compression of a `<dir>/Packages[.xz|.gz]` file; none for other
/// files a bundle may carry (they are checked against Release, not parsed).
fn packages_file(file: &str) -> Option<(&str, Compression)> {
    let (dir, name) = file.rsplit_once('/')?;
    let compression = match name {
        "Packages" => Compression::None,
        "Packages.xz" => Compression::Xz,
        "Packages.gz" => Compression::Gzip,
        _ => return None,
    };
    Some((dir, compression))
}
