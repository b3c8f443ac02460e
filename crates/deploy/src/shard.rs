//! `--shard i/N`: a deterministic split of a catalog between N workers that share
//! nothing but the registry. Specs are sorted by file name and dealt out in turn, so
//! the shards are disjoint, together cover the catalog, and differ in size by at most
//! one spec.

use crate::error::{Error, Result};
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// One shard of N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// Which one, from 0.
    pub index: u32,
    /// How many there are.
    pub count: u32,
}

impl Shard {
    /// The specs of `specs` that belong to this shard, in their given order.
    pub fn select(&self, specs: Vec<PathBuf>) -> Vec<PathBuf> {
        let mut order: Vec<(String, usize)> = specs
            .iter()
            .enumerate()
            .map(|(i, path)| (sort_key(path), i))
            .collect();
        order.sort();
        let mine: Vec<usize> = order
            .into_iter()
            .enumerate()
            .filter(|(position, _)| *position as u64 % u64::from(self.count) == u64::from(self.index))
            .map(|(_, (_, i))| i)
            .collect();
        specs
            .into_iter()
            .enumerate()
            .filter(|(i, _)| mine.contains(i))
            .map(|(_, path)| path)
            .collect()
    }
}

/// The file name, then the whole path: the same spec sorts the same wherever the
/// catalog is checked out or mounted.
fn sort_key(path: &std::path::Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!("{name}\0{}", path.display())
}

impl FromStr for Shard {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let invalid = |reason: &str| Error::Invalid {
            what: "shard",
            value: s.to_owned(),
            reason: reason.to_owned(),
        };
        let (index, count) = s
            .split_once('/')
            .ok_or_else(|| invalid("write INDEX/COUNT, e.g. 0/3"))?;
        let number = |t: &str| {
            t.parse::<u32>()
                .map_err(|_| invalid("INDEX and COUNT are whole numbers, e.g. 0/3"))
        };
        let (index, count) = (number(index)?, number(count)?);
        if count == 0 || index >= count {
            return Err(invalid("INDEX runs from 0 to COUNT - 1"));
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Vec<PathBuf> {
        ["nginx", "base", "python", "node-22", "static", "cc", "node"]
            .iter()
            .map(|n| PathBuf::from(format!("catalog/{n}.toml")))
            .collect()
    }

    #[test]
    fn shards_are_disjoint_cover_the_catalog_and_are_balanced() {
        for count in 1..=8 {
            let mut seen = Vec::new();
            for index in 0..count {
                let mine = Shard { index, count }.select(catalog());
                assert!(mine.len().abs_diff(catalog().len() / count as usize) <= 1);
                seen.extend(mine);
            }
            seen.sort();
            let mut all = catalog();
            all.sort();
            assert_eq!(seen, all, "N = {count}");
        }
    }

    #[test]
    fn the_split_does_not_depend_on_the_order_or_directory_given() {
        let mut reversed = catalog();
        reversed.reverse();
        let shard: Shard = "1/3".parse().unwrap();
        let mut a = shard.select(catalog());
        let mut b = shard.select(reversed);
        a.sort();
        b.sort();
        assert_eq!(a, b);
        let mounted: Vec<PathBuf> = catalog()
            .iter()
            .map(|p| PathBuf::from("/catalog").join(p.file_name().unwrap()))
            .collect();
        let names = |v: Vec<PathBuf>| {
            v.iter()
                .map(|p| p.file_name().unwrap().to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(shard.select(mounted)), names(a));
    }

    #[test]
    fn bad_shards_say_how_to_write_one() {
        assert_eq!("2/3".parse::<Shard>().unwrap(), Shard { index: 2, count: 3 });
        for bad in ["3/3", "0/0", "1", "a/3", "-1/3", "1/3/4"] {
            let error = bad.parse::<Shard>().unwrap_err();
            assert!(
                error
                    .to_string()
                    .starts_with(&format!("`{bad}` is not a valid shard")),
                "{error}"
            );
        }
    }
}
