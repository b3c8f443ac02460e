//! A small, realistic input shared by the writers' tests.

use crate::{FileFacts, ImageSubject, LicenseInfo, OsRelease, PackageFacts, SbomInput};
use buckle_digest::Sha256;

const FORMAT: &str = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n";

fn license(short_names: &[&str]) -> LicenseInfo {
    let mut text = FORMAT.to_owned();
    for name in short_names {
        text.push_str(&format!("\nFiles: *\nCopyright: 2025 Someone\nLicense: {name}\n"));
    }
    LicenseInfo::from_copyright(&text)
}

fn package(
    name: &str,
    version: &str,
    arch: &str,
    source: (&str, &str),
    license: LicenseInfo,
    depends: &[&str],
) -> PackageFacts {
    PackageFacts {
        name: name.parse().unwrap(),
        version: version.parse().unwrap(),
        arch: arch.parse().unwrap(),
        source: source.0.parse().unwrap(),
        source_version: source.1.parse().unwrap(),
        maintainer: Some("Debian GCC Maintainers <debian-gcc@lists.debian.org>".to_owned()),
        homepage: Some("https://gcc.gnu.org/".to_owned()),
        deb_sha256: Some(Sha256::of(name.as_bytes())),
        download_location: Some(format!("https://mirror.invalid/debian/pool/main/{name}.deb")),
        license,
        depends: depends.iter().map(|d| d.parse().unwrap()).collect(),
    }
}

/// Four packages given out of order (one with a `+` in its name, one binNMU, one with a
/// `LicenseRef-`), and with `files`, three files: owned, owned, unowned.
pub(crate) fn input(files: bool) -> SbomInput {
    let packages = vec![
        package(
            "libstdc++6",
            "14.2.0-19+b1",
            "amd64",
            ("gcc-14", "14.2.0-19"),
            license(&["GPL-3+ with GCC-Runtime-3.1 exception"]),
            &["libgcc-s1", "libc6", "libc6"],
        ),
        package(
            "base-files",
            "13.8",
            "amd64",
            ("base-files", "13.8"),
            license(&["GPL-2+", "public-domain"]),
            &[],
        ),
        package(
            "libc6",
            "2.41-12",
            "amd64",
            ("glibc", "2.41-12"),
            license(&["LGPL-2.1+", "GPL-2+ with OpenSSL exception"]),
            &["libgcc-s1"],
        ),
        package(
            "libgcc-s1",
            "14.2.0-19",
            "amd64",
            ("gcc-14", "14.2.0-19"),
            LicenseInfo::NoAssertion,
            &["libc6", "not-installed"],
        ),
    ];
    let files = files.then(|| {
        vec![
            FileFacts::from_content(
                "/usr/lib/x86_64-linux-gnu/libc.so.6",
                vec!["libc6".parse().unwrap()],
                b"libc",
            ),
            FileFacts::from_content("/etc/passwd", vec![], b"root:x:0:0::/root:/sbin/nologin\n"),
            FileFacts::from_content(
                "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
                vec!["libstdc++6".parse().unwrap()],
                b"libstdc++",
            ),
        ]
    });
    SbomInput {
        image: ImageSubject {
            name: "cc".to_owned(),
            digest: Sha256::of(b"manifest"),
            created: Some("2025-08-09T10:11:12.5+02:00".to_owned()),
            architecture: "amd64".to_owned(),
            os_release: OsRelease::parse("ID=debian\nVERSION_ID=\"13\"\nVERSION_CODENAME=trixie\n"),
        },
        packages,
        files,
        upstream: Vec::new(),
        app: None,
    }
}

/// An app image's record: one PyPI package with an SPDX license, one npm package whose
/// license is free text.
pub(crate) fn app() -> crate::AppFacts {
    use crate::{AppEcosystem, AppPackageFacts};
    crate::AppFacts {
        name: "myapp".to_owned(),
        packages: vec![
            AppPackageFacts {
                ecosystem: AppEcosystem::Pypi,
                name: "MarkupSafe".to_owned(),
                version: "3.0.2".to_owned(),
                purl: "pkg:pypi/markupsafe@3.0.2".to_owned(),
                sha256: Sha256::of(b"markupsafe wheel").hex(),
                sha512: None,
                license: Some("BSD-3-Clause".to_owned()),
                download_location: "https://index.invalid/markupsafe-3.0.2.whl".to_owned(),
                file_name: "markupsafe-3.0.2.whl".to_owned(),
            },
            AppPackageFacts {
                ecosystem: AppEcosystem::Npm,
                name: "@scope/left-pad".to_owned(),
                version: "1.3.0".to_owned(),
                purl: "pkg:npm/%40scope/left-pad@1.3.0".to_owned(),
                sha256: Sha256::of(b"left-pad tarball").hex(),
                sha512: Some("ab".repeat(64)),
                license: Some("WTFPL license, see file".to_owned()),
                download_location: "https://registry.invalid/left-pad-1.3.0.tgz".to_owned(),
                file_name: "left-pad-1.3.0.tgz".to_owned(),
            },
        ],
    }
}
