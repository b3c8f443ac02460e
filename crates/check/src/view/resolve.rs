//! Symbolic links followed inside the image, never out of it.

use super::FileView;
use buckle_oci::tar::EntryKind;
use buckle_oci::RelPath;
use std::collections::{BTreeMap, VecDeque};

/// Linux gives up after 40 links in one lookup (`ELOOP`); so does this.
const MAX_LINKS: usize = 40;

/// `path` with every symbolic link in a directory component followed (and in the last
/// component when `follow_last`). Absolute targets start again at the image root,
/// `..` stops at the root. Components that do not exist are kept as they are.
pub(super) fn canonical(
    files: &BTreeMap<RelPath, FileView>,
    path: &RelPath,
    follow_last: bool,
) -> Option<RelPath> {
    let mut done = RelPath::root();
    let mut todo: VecDeque<String> = path.components().map(str::to_owned).collect();
    let mut links = 0;
    while let Some(component) = todo.pop_front() {
        match component.as_str() {
            "" | "." => continue,
            ".." => {
                done = done.parent().unwrap_or_default();
                continue;
            }
            _ => {}
        }
        let next = done.join(&component).ok()?;
        let is_last = todo.is_empty();
        if let Some(EntryKind::Symlink { target }) = files.get(&next).map(|f| &f.entry.kind) {
            if !is_last || follow_last {
                links += 1;
                if links > MAX_LINKS {
                    return None;
                }
                if target.starts_with('/') {
                    done = RelPath::root();
                }
                for part in target.split('/').rev() {
                    todo.push_front(part.to_owned());
                }
                continue;
            }
        }
        done = next;
    }
    Some(done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use buckle_oci::tar::Entry;

    fn p(s: &str) -> RelPath {
        RelPath::new(s).unwrap()
    }

    fn files(entries: Vec<Entry>) -> BTreeMap<RelPath, FileView> {
        entries
            .into_iter()
            .map(|e| (e.path.clone(), FileView::new(e, 0)))
            .collect()
    }

    #[test]
    fn merged_usr_links_and_relative_targets_are_followed() {
        let fs = files(vec![
            Entry::symlink(p("bin"), "usr/bin"),
            Entry::directory(p("usr/bin"), 0o755),
            Entry::file(p("usr/bin/dash"), 0o755, 1),
            Entry::symlink(p("usr/bin/sh"), "dash"),
            Entry::symlink(p("var/run"), "/run"),
        ]);
        assert_eq!(canonical(&fs, &p("bin/sh"), true), Some(p("usr/bin/dash")));
        assert_eq!(canonical(&fs, &p("bin/sh"), false), Some(p("usr/bin/sh")));
        assert_eq!(
            canonical(&fs, &p("var/run/nginx.pid"), true),
            Some(p("run/nginx.pid"))
        );
    }

    #[test]
    fn links_cannot_climb_above_the_root_or_loop_forever() {
        let fs = files(vec![
            Entry::symlink(p("up"), "../../../etc"),
            Entry::symlink(p("a"), "b"),
            Entry::symlink(p("b"), "a"),
        ]);
        assert_eq!(canonical(&fs, &p("up/passwd"), true), Some(p("etc/passwd")));
        assert_eq!(canonical(&fs, &p("a"), true), None);
    }
}
