//! [`RelPath`]: a path inside an image, normalised and unable to escape the root.

use crate::error::{Error, PathProblem, Result};
use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// A normalised path relative to an image's root: components joined by `/`, with no
/// leading `/`, no empty, `.` or `..` components and no NUL byte. The empty path is
/// the root itself.
///
/// Ordering compares component by component, so a directory sorts before everything
/// inside it and a directory's contents stay together (`a`, `a/b`, `a.b`).
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct RelPath(String);

/// Linux's limits (linux/limits.h): a path with its terminating NUL, one name.
const PATH_MAX: usize = 4096;
const NAME_MAX: usize = 255;

impl RelPath {
    /// The root directory (the empty path).
    pub fn root() -> Self {
        RelPath(String::new())
    }

    /// Normalises a path as found in a tar or a spec: `./usr//bin/` gives `usr/bin`,
    /// `.` and `./` give the root. Rejects absolute paths, `..` components, NUL bytes,
    /// the empty string, and names Linux could not create (longer than PATH_MAX, or
    /// with a component longer than NAME_MAX).
    pub fn new(raw: &str) -> Result<Self> {
        Self::normalise(raw).map_err(|problem| Error::BadPath {
            path: raw.to_owned(),
            problem,
        })
    }

    pub(crate) fn normalise(raw: &str) -> Result<Self, PathProblem> {
        if raw.is_empty() {
            return Err(PathProblem::Empty);
        }
        if raw.contains('\0') {
            return Err(PathProblem::NulByte);
        }
        if raw.starts_with('/') {
            return Err(PathProblem::Absolute);
        }
        let mut out = String::with_capacity(raw.len());
        for component in raw.split('/') {
            match component {
                "" | "." => continue,
                ".." => return Err(PathProblem::ParentComponent),
                name if name.len() > NAME_MAX => return Err(PathProblem::ComponentTooLong),
                name => {
                    if !out.is_empty() {
                        out.push('/');
                    }
                    out.push_str(name);
                }
            }
        }
        // The absolute path in the container, with its terminating NUL, must fit.
        if out.len() + 2 > PATH_MAX {
            return Err(PathProblem::TooLong);
        }
        Ok(RelPath(out))
    }

    /// The path as a string (empty for the root).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is the root directory.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// The components, outermost first (none for the root).
    pub fn components(&self) -> impl Iterator<Item = &str> {
        self.0.split('/').filter(|c| !c.is_empty())
    }

    /// The last component, or `None` for the root.
    pub fn file_name(&self) -> Option<&str> {
        self.components().last()
    }

    /// The directory containing this path, or `None` for the root.
    pub fn parent(&self) -> Option<RelPath> {
        if self.is_root() {
            return None;
        }
        Some(match self.0.rsplit_once('/') {
            Some((dir, _)) => RelPath(dir.to_owned()),
            None => RelPath::root(),
        })
    }

    /// `self/name`, where `name` is one or more components (normalised like [`RelPath::new`]).
    pub fn join(&self, name: &str) -> Result<RelPath> {
        let tail = RelPath::new(name)?;
        Ok(self.join_rel(&tail))
    }

    /// `self/tail`.
    pub fn join_rel(&self, tail: &RelPath) -> RelPath {
        match (self.is_root(), tail.is_root()) {
            (true, _) => tail.clone(),
            (_, true) => self.clone(),
            _ => RelPath(format!("{}/{}", self.0, tail.0)),
        }
    }

    /// Whether `self` is `ancestor` or lies inside it (every path lies inside the root).
    pub fn starts_with(&self, ancestor: &RelPath) -> bool {
        ancestor.is_root()
            || self.0 == ancestor.0
            || (self.0.starts_with(&ancestor.0) && self.0.as_bytes().get(ancestor.0.len()) == Some(&b'/'))
    }
}

impl Ord for RelPath {
    /// Component by component. Components are never empty and never hold a `/`, so that
    /// is the byte order with `/` below every other byte, which needs no splitting
    /// (sorting a layer's entries compares paths millions of times).
    fn cmp(&self, other: &Self) -> Ordering {
        let rank = |byte: u8| if byte == b'/' { 0 } else { u16::from(byte) + 1 };
        let (left, right) = (self.0.as_bytes(), other.0.as_bytes());
        match left.iter().zip(right).position(|(l, r)| l != r) {
            Some(i) => rank(left[i]).cmp(&rank(right[i])),
            None => left.len().cmp(&right.len()),
        }
    }
}

impl PartialOrd for RelPath {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl FromStr for RelPath {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        RelPath::new(s)
    }
}

impl fmt::Display for RelPath {
    /// The path, or `.` for the root, so that the output parses back to the same value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_root() {
            f.write_str(".")
        } else {
            f.write_str(&self.0)
        }
    }
}

impl fmt::Debug for RelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RelPath({self})")
    }
}

impl serde::Serialize for RelPath {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for RelPath {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_slash_and_repeated_slashes_are_normalised() {
        assert_eq!(RelPath::new("./usr//bin/x/").unwrap().as_str(), "usr/bin/x");
        assert!(RelPath::new("./").unwrap().is_root());
        assert!(RelPath::new(".").unwrap().is_root());
        assert_eq!(RelPath::new("a/./b").unwrap().as_str(), "a/b");
    }

    #[test]
    fn paths_escaping_the_root_are_rejected() {
        let cases = [
            ("/etc/passwd", PathProblem::Absolute),
            ("a/../../etc", PathProblem::ParentComponent),
            ("..", PathProblem::ParentComponent),
            ("a\0b", PathProblem::NulByte),
            ("", PathProblem::Empty),
            (&format!("usr/{}", "a".repeat(256)), PathProblem::ComponentTooLong),
            (&format!("{}/x", "a/".repeat(2100)), PathProblem::TooLong),
        ];
        for (raw, problem) in cases {
            assert_eq!(RelPath::normalise(raw), Err(problem), "{raw:?}");
        }
        assert_eq!(
            RelPath::new("/etc").unwrap_err().to_string(),
            "`/etc` is not a valid path in an image: absolute path"
        );
    }

    #[test]
    fn ordering_keeps_directory_contents_together() {
        let mut paths: Vec<RelPath> = ["a.b", "a/b", "a", "", "a/b/c", "b"]
            .iter()
            .map(|p| RelPath::new(p).unwrap_or_default())
            .collect();
        paths.sort();
        let shown: Vec<String> = paths.iter().map(|p| p.to_string()).collect();
        assert_eq!(shown, [".", "a", "a/b", "a/b/c", "a.b", "b"]);
    }

    #[test]
    fn ordering_is_component_by_component_for_every_small_path() {
        let mut paths = vec![RelPath::root()];
        let mut frontier = vec![String::new()];
        for _ in 0..4 {
            let mut next = Vec::new();
            for prefix in &frontier {
                for c in ['a', '.', '-', '/', '0'] {
                    next.push(format!("{prefix}{c}"));
                }
            }
            paths.extend(next.iter().filter_map(|p| RelPath::new(p).ok()));
            frontier = next;
        }
        for a in &paths {
            for b in &paths {
                assert_eq!(a.cmp(b), a.components().cmp(b.components()), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn parent_join_and_starts_with_agree() {
        let p = RelPath::new("usr/lib/x").unwrap();
        let lib = p.parent().unwrap();
        assert_eq!(lib.as_str(), "usr/lib");
        assert_eq!(lib.join("x").unwrap(), p);
        assert!(p.starts_with(&lib));
        assert!(!RelPath::new("usr/libexec").unwrap().starts_with(&lib));
        assert_eq!(RelPath::new("usr").unwrap().parent(), Some(RelPath::root()));
        assert_eq!(RelPath::root().parent(), None);
        assert_eq!(p.to_string().parse::<RelPath>().unwrap(), p);
    }
}
