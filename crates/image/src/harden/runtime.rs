//! The last check on a runtime image: no shell and no package manager.

use super::rel;
use crate::error::{Error, Result};
use crate::tree::Tree;

/// Paths that must not exist in a runtime image (canonical, merged-`/usr`).
pub const FORBIDDEN_IN_RUNTIME: [&str; 6] = [
    "usr/bin/sh",
    "usr/bin/bash",
    "usr/bin/dash",
    "usr/bin/apt",
    "usr/bin/apt-get",
    "usr/bin/dpkg",
];

/// Fails, naming the path and the package that brought it, when any of
/// [`FORBIDDEN_IN_RUNTIME`] is in the tree.
pub fn assert_runtime(tree: &Tree) -> Result<()> {
    for path in FORBIDDEN_IN_RUNTIME {
        if let Some(node) = tree.get(&rel(path)) {
            return Err(Error::ShellInRuntime {
                path: rel(path),
                package: node
                    .first_owner()
                    .map_or_else(|| "buckle".to_owned(), ToString::to_string),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::tree_of;
    use buckle_testkit::deb::DebBuilder;

    #[test]
    fn shell_in_a_runtime_image_names_its_package_and_suggests_exclude() {
        let tree = tree_of(vec![DebBuilder::new("dash", "0.5", "amd64")
            .file("bin/dash", b"dash", 0o755)
            .symlink("bin/sh", "dash")]);
        let err = assert_runtime(&tree).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the runtime image contains `usr/bin/sh` from `dash`: runtime images have no shell and no package manager"
        );
        let hint = err.hint().unwrap();
        assert!(hint.contains("exclude") && hint.contains("`dash`"), "{hint}");
    }

    #[test]
    fn image_without_shell_passes() {
        let tree = tree_of(vec![DebBuilder::new("libc6", "2.41", "amd64").file(
            "usr/lib/x86_64-linux-gnu/libc.so.6",
            b"x",
            0o644,
        )]);
        assert!(assert_runtime(&tree).is_ok());
    }
}
