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
    let unowned: Vec<Evidence> = cx
        .view
        .files
        .values()
        .filter(|file| file.is_elf() && in_binary_dir(&file.entry.path))
        .filter(|file| packages.owner(&file.entry.path).is_none())
        .map(|file| Evidence::at(file.display_path()).detail(describe(file)))
        .collect();
    if unowned.is_empty() {
        return Outcome::pass("every ELF file in bin and lib directories belongs to a package");
    }
    Outcome::fail(
        "ELF files that no package's file list names (scanners miss their vulnerabilities)",
        unowned,
    )
}

fn describe(file: &FileView) -> String {
    format!("ELF, {} bytes, layer {}", file.entry.size(), file.layer)
}

/// `bin`, `sbin`, `lib*`, under `/`, `/usr` and `/usr/local` (and `/usr/libexec`).
fn in_binary_dir(path: &RelPath) -> bool {
    let components: Vec<&str> = path.components().collect();
    let binary_dir = |c: &&str| matches!(*c, "bin" | "sbin" | "libexec") || c.starts_with("lib");
    match components.as_slice() {
        ["usr", "local", dir, _, ..] | ["usr", dir, _, ..] | [dir, _, ..] => binary_dir(dir),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_dirs_are_bin_sbin_and_lib_at_each_prefix() {
        for path in [
            "bin/ls",
            "usr/bin/ls",
            "usr/lib/x86_64-linux-gnu/libc.so.6",
            "usr/local/bin/app",
            "lib64/ld.so",
            "usr/libexec/x",
        ] {
            assert!(in_binary_dir(&RelPath::new(path).unwrap()), "{path}");
        }
        for path in ["app/server", "opt/tool/bin/x", "usr/share/x", "bin"] {
            assert!(!in_binary_dir(&RelPath::new(path).unwrap()), "{path}");
        }
    }
}
