//! `buckle diff OLD NEW`: packages and files added, removed and changed.

use crate::args::{DiffArgs, Global};
use crate::image_view;
use crate::printer::Printer;
use crate::registry::Remote;
use buckle_digest::Sha256;
use buckle_oci::tar::EntryKind;
use buckle_oci::{MergedFile, RelPath};
use buckle_sbom::dpkg::Detail;
use serde_json::json;
use std::collections::BTreeMap;

/// What one side of the diff knows about a path: enough to tell a change.
#[derive(PartialEq, Eq)]
struct FileState {
    kind: String,
    mode: u32,
    owner: (u32, u32),
    content: Option<Sha256>,
}

fn file_states(files: &BTreeMap<RelPath, MergedFile>) -> BTreeMap<String, FileState> {
    files
        .iter()
        .map(|(path, file)| {
            let kind = match &file.entry.kind {
                EntryKind::Symlink { target } => format!("symlink -> {target}"),
                EntryKind::Hardlink { target } => format!("hardlink -> {target}"),
                other => other.name().to_owned(),
            };
            let state = FileState {
                kind,
                mode: file.entry.mode,
                owner: (file.entry.uid, file.entry.gid),
                content: file.sha256,
            };
            (format!("/{path}"), state)
        })
        .collect()
}

pub fn run(args: &DiffArgs, global: &Global, printer: &Printer) -> anyhow::Result<()> {
    let remote = Remote::new(&args.registry, global, printer);
    let old = image_view::open(&args.old, &remote)?;
    let new = image_view::open(&args.new, &remote)?;
    let old_files = image_view::merged_files_hashed(&old, Detail::Packages)?;
    let new_files = image_view::merged_files_hashed(&new, Detail::Packages)?;
    let old_found = image_view::installed(&old_files, Detail::Packages)?;
    let new_found = image_view::installed(&new_files, Detail::Packages)?;

    let versions = |found: &buckle_sbom::dpkg::Found| -> BTreeMap<String, String> {
        found
            .packages
            .iter()
            .map(|p| (p.name.to_string(), p.version.to_string()))
            .collect()
    };
    let (old_packages, new_packages) = (versions(&old_found), versions(&new_found));
    let packages = compare(&old_packages, &new_packages, |a, b| a != b);
    let (old_states, new_states) = (file_states(&old_files), file_states(&new_files));
    let files = compare(&old_states, &new_states, |a, b| a != b);

    let report = json!({
        "old": {"image": args.old.display().to_string(), "digest": old.manifest_digest().oci()},
        "new": {"image": args.new.display().to_string(), "digest": new.manifest_digest().oci()},
        "packages": {
            "added": packages.added.iter().map(|n| json!({"name": n, "version": new_packages[*n]})).collect::<Vec<_>>(),
            "removed": packages.removed.iter().map(|n| json!({"name": n, "version": old_packages[*n]})).collect::<Vec<_>>(),
            "changed": packages.changed.iter().map(|n| json!({"name": n, "old": old_packages[*n], "new": new_packages[*n]})).collect::<Vec<_>>(),
        },
        "files": {"added": files.added, "removed": files.removed, "changed": files.changed},
    });
    if printer.json {
        return printer.json(&report);
    }
    if old.manifest_digest() == new.manifest_digest() {
        printer.result(format!("identical: both are {}", old.manifest_digest().oci()));
        return Ok(());
    }
    printer.result(format!(
        "old: {}  {}",
        args.old.display(),
        old.manifest_digest().oci()
    ));
    printer.result(format!(
        "new: {}  {}",
        args.new.display(),
        new.manifest_digest().oci()
    ));
    printer.result(format!(
        "packages: {} added, {} removed, {} changed",
        packages.added.len(),
        packages.removed.len(),
        packages.changed.len()
    ));
    for name in &packages.added {
        printer.result(format!("  + {name} {}", new_packages[*name]));
    }
    for name in &packages.removed {
        printer.result(format!("  - {name} {}", old_packages[*name]));
    }
    for name in &packages.changed {
        printer.result(format!(
            "  ~ {name} {} -> {}",
            old_packages[*name], new_packages[*name]
        ));
    }
    printer.result(format!(
        "files: {} added, {} removed, {} changed",
        files.added.len(),
        files.removed.len(),
        files.changed.len()
    ));
    for path in &files.added {
        printer.result(format!("  + {path}"));
    }
    for path in &files.removed {
        printer.result(format!("  - {path}"));
    }
    for path in &files.changed {
        printer.result(format!("  ~ {path}"));
    }
    Ok(())
}

struct Changes<'a> {
    added: Vec<&'a String>,
    removed: Vec<&'a String>,
    changed: Vec<&'a String>,
}

fn compare<'a, V>(
    old: &'a BTreeMap<String, V>,
    new: &'a BTreeMap<String, V>,
    differs: impl Fn(&V, &V) -> bool,
) -> Changes<'a> {
    Changes {
        added: new.keys().filter(|k| !old.contains_key(*k)).collect(),
        removed: old.keys().filter(|k| !new.contains_key(*k)).collect(),
        changed: old
            .iter()
            .filter(|(k, v)| new.get(*k).is_some_and(|n| differs(v, n)))
            .map(|(k, _)| k)
            .collect(),
    }
}
