//! The folders tools may read. A path argument is taken from the first root when
//! relative, resolved with symbolic links followed, and refused unless it is inside a
//! root: `..` and links that lead out are caught by resolving first, then comparing.

use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct Roots {
    roots: Vec<PathBuf>,
}

impl Roots {
    /// The folders as given; each must exist.
    pub fn new(dirs: &[PathBuf]) -> Result<Roots, String> {
        let roots = dirs
            .iter()
            .map(|dir| {
                dir.canonicalize()
                    .map_err(|e| format!("the root `{}` cannot be used: {e}", dir.display()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if roots.is_empty() {
            return Err("no root folder".to_owned());
        }
        Ok(Roots { roots })
    }

    pub fn dirs(&self) -> &[PathBuf] {
        &self.roots
    }

    /// `given` resolved, if it exists inside a root.
    pub fn resolve(&self, given: &str) -> Result<PathBuf, String> {
        let path = Path::new(given);
        let joined = if path.is_absolute() {
            path.to_owned()
        } else {
            self.roots[0].join(path)
        };
        let resolved = joined
            .canonicalize()
            .map_err(|e| format!("`{given}` cannot be read: {e}"))?;
        if self.roots.iter().any(|root| resolved.starts_with(root)) {
            Ok(resolved)
        } else {
            Err(format!(
                "`{given}` is outside the folders this server may read ({}); start it with --root for that folder",
                self.roots
                    .iter()
                    .map(|r| r.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_kept_inside_the_roots() {
        let top = tempfile::tempdir().unwrap();
        let root = top.path().join("root");
        std::fs::create_dir_all(root.join("out/a")).unwrap();
        std::fs::write(top.path().join("secret"), "s").unwrap();
        std::os::unix::fs::symlink(top.path().join("secret"), root.join("link")).unwrap();
        let roots = Roots::new(std::slice::from_ref(&root)).unwrap();
        let canonical = root.canonicalize().unwrap();
        assert_eq!(roots.resolve("out/a").unwrap(), canonical.join("out/a"));
        assert_eq!(
            roots
                .resolve(&canonical.join("out/a").display().to_string())
                .unwrap(),
            canonical.join("out/a")
        );
        for outside in ["../secret", "out/../../secret", "link", "/etc/passwd"] {
            let refused = roots.resolve(outside).unwrap_err();
            assert!(refused.contains("outside"), "{outside}: {refused}");
        }
        assert!(roots.resolve("missing").unwrap_err().contains("cannot be read"));
    }
}
