//! resolution, package -> chain: the dependency chain that pulled a package in.

use crate::resolution::{Need, Resolution};
use buckle_debian::{PackageName, Version};
use std::fmt;

/// The chain from a root to a package, each step with the relation that pulled it in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    /// Root first.
    pub steps: Vec<Step>,
}

/// One package on a [`Chain`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The package.
    pub package: PackageName,
    /// Its chosen version; `None` for a cut package, which is not in the image.
    pub version: Option<Version>,
    /// The relation that pulled it in; `None` for the root.
    pub needed_by: Option<Need>,
}

impl Chain {
    /// True when the chain ends at a cut package.
    pub fn ends_in_cut(&self) -> bool {
        self.steps.last().is_some_and(|s| s.version.is_none())
    }
}

impl fmt::Display for Chain {
    /// `python3 -> libpython3.13-stdlib -> libssl3t64`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.steps.iter().map(|s| s.package.as_str()).collect();
        f.write_str(&names.join(" -> "))
    }
}

/// Why `package` is in the resolution (or, for a cut package, which chain asked for
/// it): the chain from a root, along the first relation that pulled each package in.
/// `None` when the package is neither chosen nor cut.
pub fn why(resolution: &Resolution, package: &PackageName) -> Option<Chain> {
    let mut steps = Vec::new();
    let mut next = match (resolution.get(package), resolution.cut(package)) {
        (Some(selected), _) => {
            steps.push(Step {
                package: package.clone(),
                version: Some(selected.package.version.clone()),
                needed_by: selected.needed_by.clone(),
            });
            selected.needed_by.as_ref()
        }
        (None, Some(cut)) => {
            let need = cut.needed_by.first();
            steps.push(Step {
                package: package.clone(),
                version: None,
                needed_by: need.cloned(),
            });
            need
        }
        (None, None) => return None,
    };
    while let Some(need) = next {
        let parent = resolution.get(&need.parent)?;
        if steps.len() > resolution.packages.len() {
            break;
        }
        steps.push(Step {
            package: need.parent.clone(),
            version: Some(parent.package.version.clone()),
            needed_by: parent.needed_by.clone(),
        });
        next = parent.needed_by.as_ref();
    }
    steps.reverse();
    Some(Chain { steps })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::closure::tests::universe;
    use crate::{resolve, Field, Pins};
    use buckle_spec::Exclude;

    fn resolution() -> Resolution {
        let u = universe(&[(
            "trixie",
            "Package: python3\nVersion: 3.13.5-1\nDepends: python3.13\n\n\
             Package: python3.13\nVersion: 3.13.5-2\nDepends: libpython3.13-stdlib (= 3.13.5-2)\n\n\
             Package: libpython3.13-stdlib\nVersion: 3.13.5-2\nPre-Depends: debconf\nDepends: libssl3t64 (>= 3.0.0)\n\n\
             Package: libssl3t64\nVersion: 3.5.1-1\n\n\
             Package: debconf\nVersion: 1.5\n",
        )]);
        let excludes = [Exclude {
            package: "debconf".parse().unwrap(),
            reason: "only maintainer scripts use it".into(),
        }];
        resolve(&u, &["python3".parse().unwrap()], &excludes, &Pins::new()).unwrap()
    }

    #[test]
    fn chain_runs_from_the_root_to_the_package_with_each_relation() {
        let chain = why(&resolution(), &"libssl3t64".parse().unwrap()).unwrap();
        assert_eq!(
            chain.to_string(),
            "python3 -> python3.13 -> libpython3.13-stdlib -> libssl3t64"
        );
        assert!(chain.steps[0].needed_by.is_none());
        let last = chain.steps.last().unwrap().needed_by.as_ref().unwrap();
        assert_eq!(last.parent.as_str(), "libpython3.13-stdlib");
        assert_eq!(last.field, Field::Depends);
        assert_eq!(last.relation, "libssl3t64 (>= 3.0.0)");
        assert!(!chain.ends_in_cut());
    }

    #[test]
    fn chain_to_a_cut_package_ends_without_a_version() {
        let chain = why(&resolution(), &"debconf".parse().unwrap()).unwrap();
        assert_eq!(
            chain.to_string(),
            "python3 -> python3.13 -> libpython3.13-stdlib -> debconf"
        );
        assert!(chain.ends_in_cut());
        let need = chain.steps.last().unwrap().needed_by.as_ref().unwrap();
        assert_eq!(need.field, Field::PreDepends);
    }

    #[test]
    fn root_chain_is_just_the_root_and_strangers_have_none() {
        let r = resolution();
        assert_eq!(why(&r, &"python3".parse().unwrap()).unwrap().steps.len(), 1);
        assert!(why(&r, &"nginx".parse().unwrap()).is_none());
    }
}
