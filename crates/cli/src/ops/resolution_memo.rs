//! Resolutions remembered in the cache. Resolving is a function of the spec, the
//! signed InRelease of every suite it reads (which names every index by digest), the
//! pins and the resolver. When all of them are what they were when a lock was made,
//! resolving again gives the lock's packages, so `buckle lock` keeps them without
//! reading a Packages index: a relock costs what changed in the archive.
//!
//! An entry maps the digest of those inputs to the digest of the packages they gave.
//! It vouches only for packages that are already in the lock beside the spec, and only
//! for the buckle binary that wrote it (its version, size and modification time), so
//! a rebuilt or upgraded buckle resolves afresh.

use crate::files::SpecFile;
use buckle_archive::VerifiedRelease;
use buckle_debian::Arch;
use buckle_digest::Sha256;
use buckle_spec::{Lock, LockedPackage, Source, Variant};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

/// The packages of a lock, by architecture and variant.
pub type Images = BTreeMap<Arch, BTreeMap<Variant, Vec<LockedPackage>>>;

/// The entries under `<cache>/resolved/`.
pub struct ResolutionMemo {
    dir: PathBuf,
    binary: Option<String>,
}

impl ResolutionMemo {
    pub fn new(cache_root: &std::path::Path) -> ResolutionMemo {
        ResolutionMemo {
            dir: cache_root.join("resolved"),
            binary: binary_identity(),
        }
    }

    /// The digest of what resolving `spec` against `suites` depends on; `pins` is the
    /// lock whose versions are kept (none with `--update`). None when this binary
    /// cannot name itself.
    pub fn key(
        &self,
        spec: &SpecFile,
        suites: &[(Arc<Source>, Arc<VerifiedRelease>)],
        pins: Option<&Lock>,
    ) -> Option<Sha256> {
        let binary = self.binary.as_ref()?;
        let mut text = format!("buckle resolution\n{binary}\nspec {}\n", spec.spec.sha256().hex());
        for (source, release) in suites {
            let components: Vec<String> = source.components.iter().map(ToString::to_string).collect();
            let _ = writeln!(
                text,
                "suite {} {} {} {}",
                release.mirror,
                release.suite,
                release.inrelease_sha256.hex(),
                components.join(",")
            );
        }
        match pins {
            Some(lock) => {
                let _ = writeln!(text, "pins {}", images_digest(&lock.images).hex());
            }
            None => text.push_str("no pins\n"),
        }
        Some(Sha256::of(text.as_bytes()))
    }

    /// Whether resolving with inputs `key` gave exactly `images`.
    pub fn gave(&self, key: &Sha256, images: &Images) -> bool {
        std::fs::read_to_string(self.dir.join(key.hex()))
            .is_ok_and(|recorded| recorded.trim() == images_digest(images).hex())
    }

    /// Records that inputs `key` gave `images`. A failure costs only the next run's
    /// time, so it is logged, not reported.
    pub fn remember(&self, key: &Sha256, images: &Images) {
        let written = std::fs::create_dir_all(&self.dir).and_then(|()| {
            let mut file = tempfile::NamedTempFile::new_in(&self.dir)?;
            std::io::Write::write_all(&mut file, images_digest(images).hex().as_bytes())?;
            file.persist(self.dir.join(key.hex())).map_err(|e| e.error)?;
            Ok(())
        });
        if let Err(e) = written {
            tracing::warn!(dir = %self.dir.display(), error = %e, "cannot remember a resolution");
        }
    }
}

/// This binary as the resolver that made an entry: its version, size and modification
/// time.
fn binary_identity() -> Option<String> {
    let metadata = std::env::current_exe().ok()?.metadata().ok()?;
    let modified = metadata
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    Some(format!(
        "buckle {} {} bytes modified {}.{:09}",
        env!("CARGO_PKG_VERSION"),
        metadata.len(),
        modified.as_secs(),
        modified.subsec_nanos()
    ))
}

/// A digest of every locked package's every field, in the lock's order.
fn images_digest(images: &Images) -> Sha256 {
    let mut text = String::new();
    for (arch, variants) in images {
        for (variant, packages) in variants {
            for p in packages {
                let _ = writeln!(
                    text,
                    "{arch} {variant} {} {} {} {} {} {} {} {} {}",
                    p.name,
                    p.version,
                    p.architecture,
                    p.source,
                    p.source_version,
                    p.suite,
                    p.path,
                    p.size,
                    p.sha256.hex()
                );
            }
        }
    }
    Sha256::of(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(version: &str) -> LockedPackage {
        LockedPackage {
            name: "libc6".parse().unwrap(),
            version: version.parse().unwrap(),
            architecture: "amd64".parse().unwrap(),
            source: "glibc".parse().unwrap(),
            source_version: version.parse().unwrap(),
            suite: "trixie".parse().unwrap(),
            path: format!("pool/main/g/glibc/libc6_{version}_amd64.deb")
                .parse()
                .unwrap(),
            size: 1,
            sha256: Sha256::of(version.as_bytes()),
        }
    }

    fn images(version: &str) -> Images {
        let mut variants = BTreeMap::new();
        variants.insert(Variant::Runtime, vec![package(version)]);
        let mut images = BTreeMap::new();
        images.insert("amd64".parse().unwrap(), variants);
        images
    }

    #[test]
    fn an_entry_vouches_for_the_packages_it_recorded_and_no_others() {
        let dir = tempfile::tempdir().unwrap();
        let memo = ResolutionMemo::new(dir.path());
        let key = Sha256::of(b"inputs");
        assert!(!memo.gave(&key, &images("2.41-12")), "nothing is remembered yet");
        memo.remember(&key, &images("2.41-12"));
        assert!(memo.gave(&key, &images("2.41-12")));
        assert!(!memo.gave(&key, &images("2.41-11")));
        assert!(!memo.gave(&Sha256::of(b"other inputs"), &images("2.41-12")));
    }
}
