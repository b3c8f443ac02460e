//! The harden arrow: the packages' file tree -> the seatbelt image's file tree.
//!
//! [`harden`] runs small steps in a fixed order; each is a public function with its
//! own tests, so a reader can check one rule at a time:
//!
//! 1. [`timezone`]: drop `usr/share/zoneinfo` unless tzdata is wanted, else point
//!    `etc/localtime` at UTC;
//! 2. [`drop_docs`]: docs, man pages, info, locales and lintian overrides go, each
//!    package's copyright file stays;
//! 3. [`alternatives`]: the symlinks update-alternatives would make;
//! 4. [`accounts`]: `etc/passwd`, `etc/group`, `etc/nsswitch.conf`, `root` and
//!    `home/nonroot`;
//! 5. [`tmp`]: `tmp` with mode 1777;
//! 6. [`os_release`]: keep base-files' `etc/os-release`, or write one;
//! 7. [`ca_bundle`]: `etc/ssl/certs/ca-certificates.crt` as update-ca-certificates
//!    would write it;
//!    and, with ca-certificates-java, [`java_truststore`]: the same certificates as
//!    the JKS keystore `etc/ssl/certs/java/cacerts` its scripts would write;
//! 8. [`ld_so_cache`]: `etc/ld.so.cache` as ldconfig would write it;
//! 9. [`strip_special_bits`] and [`remove_world_writable`];
//! 10. [`dpkg_metadata`]: `var/lib/dpkg/status.d/<package>` and `<package>.md5sums`;
//! 11. [`assert_runtime`] for runtime images: no shell, no package manager.
//!
//! Maintainer scripts never run: these steps are what they would have done.

mod accounts;
mod alternatives;
mod certs;
mod docs;
mod dpkg;
pub mod elf;
mod java;
mod ldcache;
mod modes;
mod os_release;
mod runtime;
mod timezone;

pub use accounts::{accounts, NONROOT_HOME};
pub use alternatives::{alternatives, parse_alternatives, Alternative, Link};
pub use certs::{ca_bundle, CA_BUNDLE};
pub use docs::{drop_docs, DROPPED_DIRS};
pub use dpkg::{dpkg_metadata, STATUS_DIR};
pub use java::{java_truststore, JAVA_TRUSTSTORE, STORE_PASSWORD};
pub use ldcache::{ld_so_cache, LD_SO_CACHE};
pub use modes::{remove_world_writable, strip_special_bits, tmp};
pub use os_release::{os_release, OsRelease};
pub use runtime::{assert_runtime, FORBIDDEN_IN_RUNTIME};
pub use timezone::timezone;

use crate::error::Result;
use crate::tree::{Node, Tree};
use buckle_debian::Arch;
use buckle_oci::RelPath;
use buckle_spec::Variant;

/// What the hardening steps need to know about the image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HardenOptions {
    /// The image's architecture (for the ld.so.cache).
    pub arch: Arch,
    /// Runtime images must end with no shell and no package manager.
    pub variant: Variant,
    /// Values for `etc/os-release` when base-files does not ship one.
    pub os_release: OsRelease,
    /// Extra PEM certificates appended to the CA bundle.
    pub extra_certificates: Vec<String>,
    /// Keep `usr/share/zoneinfo`.
    pub tzdata: bool,
}

/// Runs every step in order; see the module doc.
#[tracing::instrument(skip_all, fields(arch = %options.arch, variant = %options.variant))]
pub fn harden(tree: &mut Tree, options: &HardenOptions) -> Result<()> {
    timezone(tree, options.tzdata)?;
    drop_docs(tree);
    alternatives(tree)?;
    accounts(tree, options.variant)?;
    tmp(tree)?;
    os_release(tree, &options.os_release)?;
    ca_bundle(tree, &options.extra_certificates)?;
    java_truststore(tree, &options.extra_certificates)?;
    ld_so_cache(tree, &options.arch)?;
    strip_special_bits(tree);
    remove_world_writable(tree);
    dpkg_metadata(tree)?;
    if options.variant == Variant::Runtime {
        assert_runtime(tree)?;
    }
    tracing::info!("hardened");
    Ok(())
}

/// Makes `path` a directory with these mode and owner; a directory a package ships
/// keeps its owners (and so its layer).
fn ensure_dir(tree: &mut Tree, path: &str, mode: u32, uid: u32, gid: u32) -> Result<()> {
    let path = rel(path);
    match tree.get_mut(&path) {
        Some(node) if node.kind == crate::deb::FileKind::Directory => {
            node.mode = mode;
            node.uid = uid;
            node.gid = gid;
            Ok(())
        }
        _ => tree.insert(&path, Node::directory(mode).with_owner(uid, gid)),
    }
}

/// A path written in this crate's own code.
pub(crate) fn rel(path: &str) -> RelPath {
    RelPath::new(path).expect("paths written in buckle-image are valid relative paths")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::testing::{path, text, tree_of};
    use buckle_testkit::deb::DebBuilder;

    fn options(variant: Variant) -> HardenOptions {
        HardenOptions {
            arch: "amd64".parse().unwrap(),
            variant,
            os_release: OsRelease::debian("13", "trixie"),
            extra_certificates: vec![],
            tzdata: false,
        }
    }

    fn packages() -> Vec<DebBuilder> {
        vec![
            DebBuilder::new("base-files", "13", "amd64")
                .dir("tmp", 0o1777)
                .file("usr/share/doc/base-files/copyright", b"GPL", 0o644)
                .file("usr/share/doc/base-files/README", b"x", 0o644),
            DebBuilder::new("login", "1", "amd64").file("bin/su", b"su", 0o4755),
            DebBuilder::new("dash", "0.5", "amd64")
                .file("bin/dash", b"dash", 0o755)
                .symlink("bin/sh", "dash"),
        ]
    }

    #[test]
    fn dev_image_is_hardened_and_keeps_its_shell() {
        let mut tree = tree_of(packages());
        harden(&mut tree, &options(Variant::Dev)).unwrap();
        assert_eq!(tree.get(&path("usr/bin/su")).unwrap().mode, 0o755);
        assert_eq!(tree.get(&path("tmp")).unwrap().mode, 0o1777);
        assert!(text(&tree, "etc/passwd").contains("nonroot:x:65532"));
        assert!(text(&tree, "etc/os-release").contains("VERSION_CODENAME=trixie"));
        assert!(text(&tree, "var/lib/dpkg/status.d/login").starts_with("Package: login\n"));
        assert!(tree.get(&path("usr/share/doc/base-files/README")).is_none());
        assert!(tree.get(&path("usr/bin/sh")).is_some());
    }

    #[test]
    fn runtime_image_with_a_shell_fails_the_build() {
        let mut tree = tree_of(packages());
        let err = harden(&mut tree, &options(Variant::Runtime)).unwrap_err();
        assert!(
            matches!(err, Error::ShellInRuntime { ref package, .. } if package == "dash"),
            "{err}"
        );
    }
}
