//! Whether scanners can see the image's packages and tie its binaries to them.

use super::{Context, Outcome};
use crate::packages::Database;
use crate::report::Evidence;
use crate::view::FileView;
use buckle_oci::RelPath;

pub(super) fn missing(cx: &Context<'_>) -> Outcome {
    let packages = &cx.packages;
    if !packages.databases.is_empty() {
        let found: Vec<&str> = packages.databases.values().map(String::as_str).collect();
        let count = if packages.installed.is_empty() {
            String::new()
        } else {
            format!(", {} packages", packages.installed.len())
        };
        return Outcome::pass(format!("package metadata found: {}{count}", found.join(", ")));
    }
    let elf = cx.view.files.values().filter(|f| f.is_elf()).count();
    if elf == 0 {
        return Outcome::not_applicable(
            "no package database and no ELF binaries: there is nothing for a scanner to miss",
        );
    }
    Outcome::fail(
        format!("no package database (dpkg status or status.d, apk, rpm) although the image holds {elf} ELF files: vulnerability scanners will report no packages and no vulnerabilities"),
        vec![Evidence::at("/var/lib/dpkg/status").detail("missing"), Evidence::at("/var/lib/dpkg/status.d").detail("missing")],
    )
}

pub(super) fn stale(cx: &Context<'_>) -> Outcome {
    let packages = &cx.packages;
    if packages.databases.is_empty() {
        return Outcome::not_applicable("no package database (see BKL-PACKAGE-METADATA-MISSING)");
    }
    if !packages.has_file_lists {
        let dpkg = packages.databases.contains_key(&Database::Dpkg)
            || packages.databases.contains_key(&Database::DpkgStatusD);
        if !dpkg {
            return Outcome::not_applicable("only an rpm database: its file lists are not read");
        }
        return Outcome::fail(
            "the dpkg database has no file lists (.md5sums or .list): scanners cannot tie any file to a package",
            vec![Evidence::at("/var/lib/dpkg/info").detail("no .md5sums or .list files")],
        );
    }
    let unowned = unowned_elf(cx, in_binary_dir);
    if unowned.is_empty() {
        return Outcome::pass("every ELF file in bin and lib directories belongs to a package");
    }
    Outcome::fail(
        "ELF files that no package's file list names (scanners miss their vulnerabilities)",
        unowned,
    )
}

/// ELF files in /usr/local (Debian policy 9.1.2 keeps packages out of it: what is
/// there was installed by hand, so no package metadata can be stale about it).
pub(super) fn local(cx: &Context<'_>) -> Outcome {
    if !cx.packages.has_file_lists {
        return Outcome::not_applicable("no package file lists (see BKL-PACKAGE-METADATA-STALE)");
    }
    let unowned = unowned_elf(cx, in_local_binary_dir);
    if unowned.is_empty() {
        return Outcome::pass("no ELF file in /usr/local that no package or wheel record names");
    }
    Outcome::warn(
        "ELF files installed under /usr/local outside any package: scanners that read package databases do not see them, so track their sources yourself (an SBOM, or rebuilding when they change)",
        unowned,
    )
}

fn unowned_elf(cx: &Context<'_>, in_dir: fn(&RelPath) -> bool) -> Vec<Evidence> {
    cx.view
        .files
        .values()
        .filter(|file| file.is_elf() && in_dir(&file.entry.path))
        .filter(|file| cx.packages.owner(&file.entry.path).is_none())
        .map(|file| Evidence::at(file.display_path()).detail(describe(file)))
        .collect()
}

fn describe(file: &FileView) -> String {
    format!("ELF, {} bytes, layer {}", file.entry.size(), file.layer)
}

fn is_binary_dir(name: &str) -> bool {
    matches!(name, "bin" | "sbin" | "libexec") || name.starts_with("lib")
}

/// `bin`, `sbin`, `lib*` under `/` and `/usr` (and `/usr/libexec`): where packages install.
fn in_binary_dir(path: &RelPath) -> bool {
    let components: Vec<&str> = path.components().collect();
    match components.as_slice() {
        ["usr", dir, _, ..] | [dir, _, ..] => is_binary_dir(dir),
        _ => false,
    }
}

/// The same directories under `/usr/local`.
fn in_local_binary_dir(path: &RelPath) -> bool {
    let components: Vec<&str> = path.components().collect();
    matches!(components.as_slice(), ["usr", "local", dir, _, ..] if is_binary_dir(dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_dirs_are_bin_sbin_and_lib_and_usr_local_is_apart() {
        let path = |p: &str| RelPath::new(p).unwrap();
        for p in [
            "bin/ls",
            "usr/bin/ls",
            "usr/lib/x86_64-linux-gnu/libc.so.6",
            "lib64/ld.so",
            "usr/libexec/x",
        ] {
            assert!(in_binary_dir(&path(p)) && !in_local_binary_dir(&path(p)), "{p}");
        }
        for p in ["usr/local/bin/app", "usr/local/lib/libx.so"] {
            assert!(in_local_binary_dir(&path(p)) && !in_binary_dir(&path(p)), "{p}");
        }
        for p in [
            "app/server",
            "opt/tool/bin/x",
            "usr/share/x",
            "bin",
            "usr/local/share/x",
        ] {
            assert!(!in_binary_dir(&path(p)) && !in_local_binary_dir(&path(p)), "{p}");
        }
    }
}
