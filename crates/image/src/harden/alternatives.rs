//! Alternatives that postinst scripts register with update-alternatives(1), made as
//! the symlinks dpkg would leave: `<link> -> /etc/alternatives/<name> -> <path>`.
//!
//! The scripts are never run. Each logical line (after joining `\` continuations)
//! that calls `update-alternatives --install <link> <name> <path> <priority>`, with
//! any `--slave <link> <name> <path>` groups, is read; lines whose arguments use
//! shell variables or substitutions are skipped, since their values are unknown.
//! Among the alternatives for one name the highest priority wins (the first
//! package, in name order, on a tie), as in update-alternatives' automatic mode.

use super::rel;
use crate::deb::FileKind;
use crate::error::Result;
use crate::tree::{Node, Tree};
use buckle_debian::PackageName;
use buckle_oci::RelPath;
use std::collections::BTreeMap;

/// One `--install` (the master link) with its slaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alternative {
    /// The generic name (`awk`).
    pub name: String,
    /// The master link and its target.
    pub master: Link,
    /// The priority; the highest wins.
    pub priority: i64,
    /// Links that follow the master.
    pub slaves: Vec<Link>,
}

/// One link of an alternative.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The link's own name (`awk`, `awk.1.gz`), used under `etc/alternatives`.
    pub name: String,
    /// Where the link goes (`usr/bin/awk`).
    pub link: RelPath,
    /// What it points at (`usr/bin/mawk`).
    pub path: RelPath,
}

/// Reads the `update-alternatives --install` calls of a postinst script.
pub fn parse_alternatives(postinst: &str) -> Vec<Alternative> {
    logical_lines(postinst)
        .iter()
        .filter_map(|line| parse_install(line))
        .collect()
}

fn logical_lines(script: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for line in script.lines() {
        match line.trim_end().strip_suffix('\\') {
            Some(start) => {
                current.push_str(start);
                current.push(' ');
            }
            None => {
                current.push_str(line);
                lines.push(std::mem::take(&mut current));
            }
        }
    }
    lines.push(current);
    lines
}

fn parse_install(line: &str) -> Option<Alternative> {
    let words: Vec<&str> = line
        .split_whitespace()
        .map(|w| w.trim_matches(|c| c == '"' || c == '\''))
        .collect();
    let call = words.iter().position(|w| w.ends_with("update-alternatives"))?;
    let rest = words.get(call + 1..)?;
    let install = rest.iter().position(|w| *w == "--install")?;
    let args = rest.get(install + 1..)?;
    let (master, tail) = (args.get(..4)?, args.get(4..)?);
    if master
        .iter()
        .chain(tail)
        .any(|w| w.contains('$') || w.contains('`'))
    {
        return None;
    }
    let link = |name: &str, link: &str, path: &str| {
        Some(Link {
            name: name.to_owned(),
            link: RelPath::new(link.strip_prefix('/')?).ok()?,
            path: RelPath::new(path.strip_prefix('/')?).ok()?,
        })
    };
    let mut slaves = Vec::new();
    let mut at = 0;
    while let Some(flag) = tail.get(at) {
        match (*flag, tail.get(at + 1..at + 4)) {
            ("--slave", Some([l, n, p])) => {
                slaves.push(link(n, l, p)?);
                at += 4;
            }
            // Shell punctuation ends the command (`|| true`, `;`, `&&`).
            _ => break,
        }
    }
    Some(Alternative {
        name: master.get(1)?.to_string(),
        master: link(master.get(1)?, master.first()?, master.get(2)?)?,
        priority: master.get(3)?.parse().ok()?,
        slaves,
    })
}

/// Makes the symlinks of the winning alternative for each name. A link whose target
/// is not in the image (a man page dropped with the docs) is left out, and a path a
/// package already ships is never replaced.
pub fn alternatives(tree: &mut Tree) -> Result<()> {
    let mut winners: BTreeMap<String, (&PackageName, Alternative)> = BTreeMap::new();
    for (package, record) in tree.packages() {
        for alternative in parse_alternatives(&record.postinst) {
            let better = winners
                .get(&alternative.name)
                .is_none_or(|(_, known)| alternative.priority > known.priority);
            if better {
                winners.insert(alternative.name.clone(), (package, alternative));
            }
        }
    }
    let mut links = Vec::new();
    for (package, alternative) in winners.values() {
        tracing::debug!(name = %alternative.name, package = %package, path = %alternative.master.path, "alternative");
        for link in std::iter::once(&alternative.master).chain(&alternative.slaves) {
            let target_exists = tree
                .resolve(&link.path)
                .and_then(|p| tree.get(&p))
                .is_some_and(|node| node.kind != FileKind::Directory);
            if target_exists && tree.get(&link.link).is_none() {
                links.push(link.clone());
            }
        }
    }
    for link in links {
        let admin = format!("etc/alternatives/{}", link.name);
        tree.insert(&rel(&admin), Node::symlink(format!("/{}", link.path.as_str())))?;
        tree.insert(&link.link, Node::symlink(format!("/{admin}")))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{path, tree_of};
    use buckle_testkit::deb::DebBuilder;

    const MAWK_POSTINST: &str = "#!/bin/sh\nset -e\nif [ \"$1\" = configure ]; then\n  update-alternatives --install /usr/bin/awk awk /usr/bin/mawk 5 \\\n    --slave /usr/share/man/man1/awk.1.gz awk.1.gz /usr/share/man/man1/mawk.1.gz \\\n    --slave /usr/bin/nawk nawk /usr/bin/mawk\nfi\nupdate-alternatives --install \"$DIR/x\" x /usr/bin/x 1\n";

    #[test]
    fn install_lines_with_slaves_are_read_and_variables_skipped() {
        let found = parse_alternatives(MAWK_POSTINST);
        assert_eq!(found.len(), 1, "{found:?}");
        let awk = &found[0];
        assert_eq!((awk.name.as_str(), awk.priority), ("awk", 5));
        assert_eq!(awk.master.link, path("usr/bin/awk"));
        assert_eq!(awk.master.path, path("usr/bin/mawk"));
        let slaves: Vec<&str> = awk.slaves.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(slaves, ["awk.1.gz", "nawk"]);
    }

    #[test]
    fn highest_priority_wins_and_links_go_through_etc_alternatives() {
        let mut tree = tree_of(vec![
            DebBuilder::new("mawk", "1.3", "amd64")
                .file("usr/bin/mawk", b"mawk", 0o755)
                .script("postinst", MAWK_POSTINST.as_bytes()),
            DebBuilder::new("gawk", "5.2", "amd64")
                .file("usr/bin/gawk", b"gawk", 0o755)
                .script(
                    "postinst",
                    b"#!/bin/sh\nupdate-alternatives --install /usr/bin/awk awk /usr/bin/gawk 10 || true\n",
                ),
        ]);
        alternatives(&mut tree).unwrap();
        assert_eq!(tree.resolve(&path("usr/bin/awk")), Some(path("usr/bin/gawk")));
        assert_eq!(
            tree.get(&path("usr/bin/awk")).unwrap().kind,
            FileKind::Symlink("/etc/alternatives/awk".into())
        );
        assert!(
            tree.get(&path("usr/bin/nawk")).is_none(),
            "mawk lost, so its slaves are not made"
        );
    }

    #[test]
    fn links_to_missing_targets_and_shipped_paths_are_left_alone() {
        let mut tree = tree_of(vec![DebBuilder::new("mawk", "1.3", "amd64")
            .file("usr/bin/mawk", b"mawk", 0o755)
            .file("usr/bin/nawk", b"shipped", 0o755)
            .script("postinst", MAWK_POSTINST.as_bytes())]);
        alternatives(&mut tree).unwrap();
        assert_eq!(tree.resolve(&path("usr/bin/awk")), Some(path("usr/bin/mawk")));
        assert!(
            tree.get(&path("usr/share/man/man1/awk.1.gz")).is_none(),
            "the man page is not in the image"
        );
        assert!(matches!(
            tree.get(&path("usr/bin/nawk")).unwrap().kind,
            FileKind::File(_)
        ));
    }
}
