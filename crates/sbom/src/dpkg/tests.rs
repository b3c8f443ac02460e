use super::*;
use buckle_digest::Sha256;

const STATUS_TEXT: &str = "\
Package: libc6
Status: install ok installed
Architecture: amd64
Source: glibc
Version: 2.41-12
Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
Depends: libgcc-s1
Homepage: https://www.gnu.org/software/libc/libc.html
Description: GNU C Library: Shared libraries

Package: oldpkg
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0-1

Package: bash
Status: install ok installed
Architecture: amd64
Version: 5.2.37-2+b5
Source: bash (5.2.37-2)
Pre-Depends: libc6 (>= 2.36)
Depends: base-files (>= 2.1.12), debianutils (>= 5.6-0.1)
Conffiles:
 /etc/bash.bashrc 89269e1298235f1b12b4c16e4065ad0d
 /etc/skel/.bashrc 7fef4c5bd5fd1c6e1ba6b1ad4d2bb53c obsolete

Package: libgcc-s1
Status: install ok installed
Architecture: amd64
Source: gcc-14 (14.2.0-19)
Version: 14.2.0-19
Depends: libc6 (>= 2.35)

Package: mawk
Status: install ok installed
Architecture: amd64
Version: 1.3.4.20250131-1
Provides: awk
Pre-Depends: libc6 (>= 2.38)

Package: needs-awk
Status: hold ok installed
Architecture: all
Version: 1
Depends: gawk | awk
";

const DEP5: &str = "\
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/

Files: *
Copyright: 1991-2024 Free Software Foundation, Inc.
License: LGPL-2.1+
 The GNU C Library is free software.

Files: debian/*
Copyright: 2024 Debian
License: GPL-2+
";

fn image() -> BTreeMap<String, Vec<u8>> {
    let files: &[(&str, &[u8])] = &[
        ("/var/lib/dpkg/status", STATUS_TEXT.as_bytes()),
        (
            "/var/lib/dpkg/info/bash.md5sums",
            b"0123456789abcdef0123456789abcdef  bin/bash\n0123456789abcdef0123456789abcdef  usr/share/doc/bash/copyright\n",
        ),
        (
            "/var/lib/dpkg/info/libc6:amd64.md5sums",
            b"0123456789abcdef0123456789abcdef  usr/lib/x86_64-linux-gnu/libc.so.6\n",
        ),
        (
            "/var/lib/dpkg/status.d/tzdata",
            b"Package: tzdata\nVersion: 2025b-4\nArchitecture: all\nMaintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>\nProvides: tzdata-trixie\n",
        ),
        (
            "/var/lib/dpkg/status.d/tzdata.md5sums",
            b"0123456789abcdef0123456789abcdef  usr/share/zoneinfo/UTC\n",
        ),
        ("/usr/share/doc/libc6/copyright", DEP5.as_bytes()),
        ("/usr/share/doc/bash/copyright", b"This is Debian's prepackaged version of bash.\n"),
        ("/usr/bin/bash", b"#!ELF bash"),
        ("/etc/bash.bashrc", b"# bashrc"),
        ("/usr/lib/x86_64-linux-gnu/libc.so.6", b"ELF libc"),
        ("/usr/share/zoneinfo/UTC", b"TZif"),
        ("/etc/passwd", b"root:x:0:0::/root:/sbin/nologin\n"),
        ("/etc/os-release", b"ID=debian\nVERSION_ID=\"13\"\nVERSION_CODENAME=trixie\n"),
    ];
    files
        .iter()
        .map(|(path, content)| ((*path).to_owned(), content.to_vec()))
        .collect()
}

fn names(packages: &[PackageFacts]) -> Vec<String> {
    packages.iter().map(|p| p.name.to_string()).collect()
}

fn package<'a>(found: &'a Found, name: &str) -> &'a PackageFacts {
    found.packages.iter().find(|p| p.name.as_str() == name).unwrap()
}

#[test]
fn status_and_status_d_give_every_installed_package_sorted() {
    let found = collect(&image(), Detail::Packages).unwrap();
    assert_eq!(
        names(&found.packages),
        ["bash", "libc6", "libgcc-s1", "mawk", "needs-awk", "tzdata"]
    );
    assert_eq!(found.files, None);
    assert_eq!(found.os_release.distro().as_deref(), Some("debian-13"));
}

#[test]
fn control_fields_become_facts() {
    let found = collect(&image(), Detail::Packages).unwrap();
    let libc = package(&found, "libc6");
    assert_eq!(libc.source.as_str(), "glibc");
    assert_eq!(libc.source_version.as_str(), "2.41-12");
    assert_eq!(
        libc.maintainer.as_deref(),
        Some("GNU Libc Maintainers <debian-glibc@lists.debian.org>")
    );
    assert_eq!(
        libc.homepage.as_deref(),
        Some("https://www.gnu.org/software/libc/libc.html")
    );
    let bash = package(&found, "bash");
    assert_eq!(bash.source_version.as_str(), "5.2.37-2");
    assert_eq!(bash.version.as_str(), "5.2.37-2+b5");
    assert_eq!(package(&found, "libgcc-s1").source.as_str(), "gcc-14");
}

#[test]
fn depends_resolve_to_installed_packages_through_alternatives_and_provides() {
    let found = collect(&image(), Detail::Packages).unwrap();
    let depends = |name: &str| names_of(&package(&found, name).depends);
    assert_eq!(
        depends("bash"),
        ["libc6"],
        "missing base-files and debianutils are left out"
    );
    assert_eq!(depends("libc6"), ["libgcc-s1"]);
    assert_eq!(depends("needs-awk"), ["mawk"], "awk is provided by mawk");
    assert!(depends("tzdata").is_empty());
}

fn names_of(names: &[PackageName]) -> Vec<&str> {
    names.iter().map(PackageName::as_str).collect()
}

#[test]
fn licenses_come_from_machine_readable_copyright_files_only() {
    let found = collect(&image(), Detail::Packages).unwrap();
    assert_eq!(
        package(&found, "libc6").license.spdx(),
        "GPL-2.0-or-later AND LGPL-2.1-or-later"
    );
    assert_eq!(package(&found, "bash").license, LicenseInfo::NoAssertion);
    assert_eq!(
        package(&found, "tzdata").license,
        LicenseInfo::NoAssertion,
        "no copyright file"
    );
}

#[test]
fn files_are_hashed_and_tied_to_packages_through_md5sums_conffiles_and_merged_usr() {
    let found = collect(&image(), Detail::Files).unwrap();
    let files = found.files.unwrap();
    let owners: Vec<(&str, Vec<&str>)> = files
        .iter()
        .filter(|f| !f.path.starts_with("/var/lib/dpkg/"))
        .map(|f| (f.path.as_str(), names_of(&f.packages)))
        .collect();
    assert_eq!(
        owners,
        [
            ("/etc/bash.bashrc", vec!["bash"]),
            ("/etc/os-release", vec![]),
            ("/etc/passwd", vec![]),
            ("/usr/bin/bash", vec!["bash"]),
            ("/usr/lib/x86_64-linux-gnu/libc.so.6", vec!["libc6"]),
            ("/usr/share/doc/bash/copyright", vec!["bash"]),
            ("/usr/share/doc/libc6/copyright", vec![]),
            ("/usr/share/zoneinfo/UTC", vec!["tzdata"]),
        ]
    );
    let bash = files.iter().find(|f| f.path == "/usr/bin/bash").unwrap();
    assert_eq!(bash.sha256, Sha256::of(b"#!ELF bash"));
    assert_eq!(bash.sha1.hex(), crate::model::Sha1::of(b"#!ELF bash").hex());
}

#[test]
fn owners_name_the_same_packages_as_files_without_reading_contents() {
    let with_files = collect(&image(), Detail::Files).unwrap();
    let found = collect(&image(), Detail::Owners).unwrap();
    assert!(found.files.is_none());
    let owners: Vec<(String, Vec<PackageName>)> = found
        .owners
        .unwrap()
        .into_iter()
        .map(|o| (o.path, o.packages))
        .collect();
    let expected: Vec<(String, Vec<PackageName>)> = with_files
        .files
        .unwrap()
        .into_iter()
        .map(|f| (f.path, f.packages))
        .collect();
    assert_eq!(owners, expected);
}

#[test]
fn file_lists_name_the_packages_whose_list_the_image_has_and_nothing_else() {
    let found = collect(&image(), Detail::Owners).unwrap();
    let lists: Vec<(&str, &str)> = found
        .file_lists
        .as_ref()
        .unwrap()
        .iter()
        .map(|(name, list)| (name.as_str(), list.as_str()))
        .collect();
    // libgcc-s1, mawk and needs-awk have no list: their files are unknown, not absent.
    assert_eq!(
        lists,
        [
            ("bash", "/var/lib/dpkg/info/bash.md5sums"),
            ("libc6", "/var/lib/dpkg/info/libc6:amd64.md5sums"),
            ("tzdata", "/var/lib/dpkg/status.d/tzdata.md5sums"),
        ]
    );
    assert_eq!(
        collect(&image(), Detail::Files).unwrap().file_lists,
        found.file_lists
    );
    assert_eq!(collect(&image(), Detail::Packages).unwrap().file_lists, None);
}

#[test]
fn same_package_in_status_and_status_d_is_listed_once() {
    let mut image = image();
    image.insert(
        "/var/lib/dpkg/status.d/mawk".to_owned(),
        b"Package: mawk\nVersion: 1.3.4.20250131-1\nArchitecture: amd64\n".to_vec(),
    );
    let found = collect(&image, Detail::Packages).unwrap();
    assert_eq!(names(&found.packages).iter().filter(|n| *n == "mawk").count(), 1);
}

#[test]
fn same_package_at_two_versions_is_an_error_naming_both_files() {
    let mut image = image();
    image.insert(
        "/var/lib/dpkg/status.d/mawk".to_owned(),
        b"Package: mawk\nVersion: 1.3.4-9\nArchitecture: amd64\n".to_vec(),
    );
    let err = collect(&image, Detail::Packages).unwrap_err();
    assert_eq!(
        err.to_string(),
        "package `mawk` (amd64) is listed twice: version 1.3.4.20250131-1 in `/var/lib/dpkg/status` and 1.3.4-9 in `/var/lib/dpkg/status.d/mawk`"
    );
}

#[test]
fn malformed_md5sums_line_is_an_error_with_path_and_line() {
    let mut image = image();
    image.insert(
        "/var/lib/dpkg/status.d/tzdata.md5sums".to_owned(),
        b"0123456789abcdef0123456789abcdef  usr/share/zoneinfo/UTC\nnot-a-hash usr/x\n".to_vec(),
    );
    let err = collect(&image, Detail::Files).unwrap_err();
    assert_eq!(
        err.to_string(),
        "`/var/lib/dpkg/status.d/tzdata.md5sums` line 2: expected `<md5 hex>  <path>`, found `not-a-hash usr/x`"
    );
}

#[test]
fn broken_control_file_is_an_error_naming_it() {
    let mut image = image();
    image.insert(
        "/var/lib/dpkg/status.d/zz".to_owned(),
        b"Package: zz\ngarbage\n".to_vec(),
    );
    let err = collect(&image, Detail::Packages).unwrap_err();
    assert_eq!(
        err.to_string(),
        "`/var/lib/dpkg/status.d/zz` is not a valid dpkg control file"
    );
    let image: BTreeMap<String, Vec<u8>> = [(
        "/var/lib/dpkg/status.d/zz".to_owned(),
        b"Package: zz\nArchitecture: all\n".to_vec(),
    )]
    .into();
    let err = collect(&image, Detail::Packages).unwrap_err();
    assert!(matches!(err, Error::Stanza { ref path, .. } if path == "/var/lib/dpkg/status.d/zz"));
}

#[test]
fn image_without_dpkg_metadata_has_no_packages() {
    let image: BTreeMap<String, Vec<u8>> = [("/etc/passwd".to_owned(), b"root".to_vec())].into();
    let found = collect(&image, Detail::Packages).unwrap();
    assert!(found.packages.is_empty());
    assert_eq!(found.os_release, OsRelease::default());
}

#[test]
fn in_memory_image_lists_directories_one_level_deep() {
    let image = image();
    assert_eq!(
        image.list_dir("/var/lib/dpkg/status.d").unwrap(),
        ["tzdata", "tzdata.md5sums"]
    );
    assert_eq!(
        image.list_dir("/var/lib/dpkg").unwrap(),
        ["info", "status", "status.d"]
    );
    assert!(image.list_dir("/nope").unwrap().is_empty());
}

#[test]
fn a_broken_depends_field_is_an_error_naming_the_package_and_file() {
    let mut image = image();
    image.insert(
        "/var/lib/dpkg/status.d/zz".to_owned(),
        b"Package: zz\nVersion: 1\nArchitecture: all\nDepends: libc6 (>= 2\n".to_vec(),
    );
    let err = collect(&image, Detail::Packages).unwrap_err();
    assert_eq!(
        err.to_string(),
        "`/var/lib/dpkg/status.d/zz`: the `Depends` field of `zz` cannot be read"
    );
}
