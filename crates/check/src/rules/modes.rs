//! File modes and kinds in the final file system: setuid/setgid, world-writable,
//! device nodes, `/tmp`.

use super::tools::setuid_files;
use super::{Context, Outcome};
use crate::report::Evidence;
use buckle_oci::tar::EntryKind;
use buckle_oci::RelPath;

pub(super) fn setuid(cx: &Context<'_>) -> Outcome {
    let found = setuid_files(cx);
    if found.is_empty() {
        return Outcome::pass("no setuid or setgid files");
    }
    Outcome::fail("setuid or setgid files are present", found)
}

pub(super) fn world_writable(cx: &Context<'_>) -> Outcome {
    let found: Vec<Evidence> = cx
        .view
        .files
        .values()
        .filter_map(|file| {
            let mode = file.entry.mode;
            if mode & 0o002 == 0 {
                return None;
            }
            let what = match file.entry.kind {
                EntryKind::Directory if mode & 0o1000 == 0 => "directory without the sticky bit",
                EntryKind::File { .. } | EntryKind::Hardlink { .. } => "file",
                _ => return None,
            };
            Some(Evidence::at(file.display_path()).detail(format!("mode {:04o}, {what}", mode & 0o7777)))
        })
        .collect();
    if found.is_empty() {
        return Outcome::pass(
            "no world-writable files, and every world-writable directory has the sticky bit",
        );
    }
    Outcome::fail(
        "world-writable files or directories without the sticky bit",
        found,
    )
}

pub(super) fn device_nodes(cx: &Context<'_>) -> Outcome {
    let found: Vec<Evidence> = cx
        .view
        .files
        .values()
        .filter(|file| matches!(file.entry.kind, EntryKind::CharDevice | EntryKind::BlockDevice))
        .map(|file| Evidence::at(file.display_path()).detail(file.entry.kind.name()))
        .collect();
    if found.is_empty() {
        return Outcome::pass("no device nodes");
    }
    Outcome::fail("device nodes are present", found)
}

pub(super) fn tmp(cx: &Context<'_>) -> Outcome {
    let tmp = RelPath::new("tmp").unwrap_or_default();
    let Some(file) = cx.view.resolve(&tmp) else {
        return Outcome::fail(
            "/tmp does not exist",
            vec![Evidence::at("/tmp").detail("missing")],
        );
    };
    let mode = file.entry.mode & 0o7777;
    match file.entry.kind {
        EntryKind::Directory if mode == 0o1777 => Outcome::pass("/tmp is a directory with mode 1777"),
        EntryKind::Directory => Outcome::fail(
            format!("/tmp has mode {mode:04o}, not 1777"),
            vec![Evidence::at(file.display_path()).detail(format!("mode {mode:04o}"))],
        ),
        ref other => Outcome::fail(
            format!("/tmp is a {}, not a directory", other.name()),
            vec![Evidence::at(file.display_path()).detail(other.name())],
        ),
    }
}
