//! What scan and sbom read from an image's files: the dpkg status database, the
//! packages' file lists and copyright files, os-release. The input is split at NUL
//! bytes into the status file, a copyright file, a file list and os-release; every
//! package the status names gets that copyright file and file list, and the image
//! holds the listed paths. No panic; each package found is named in the status; the
//! package URL the SBOMs give it reads back (as `buckle scan` reads an SBOM) to the
//! same package.
#![no_main]
use buckle_sbom::dpkg::{collect, Detail};
use buckle_sbom::read::deb_purl;
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;

fuzz_target!(|bytes: &[u8]| {
    let mut parts = bytes.split(|b| *b == 0);
    let status = parts.next().unwrap_or_default();
    let copyright = parts.next().unwrap_or_default();
    let list = parts.next().unwrap_or_default();
    let os_release = parts.next().unwrap_or_default();
    let mut image: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    image.insert("/var/lib/dpkg/status".into(), status.to_vec());
    image.insert("/etc/os-release".into(), os_release.to_vec());
    let text = String::from_utf8_lossy(status);
    let names: Vec<&str> = text
        .lines()
        .filter_map(|line| line.split_once(':'))
        .filter(|(field, _)| field.eq_ignore_ascii_case("package"))
        .map(|(_, value)| value.trim())
        .collect();
    for name in &names {
        image.insert(format!("/usr/share/doc/{name}/copyright"), copyright.to_vec());
        image.insert(format!("/var/lib/dpkg/info/{name}.list"), list.to_vec());
    }
    for path in String::from_utf8_lossy(list)
        .lines()
        .filter(|p| p.starts_with('/'))
    {
        image.entry(path.to_owned()).or_default();
    }
    for detail in [Detail::Packages, Detail::Owners, Detail::Files] {
        let Ok(found) = collect(&image, detail) else {
            return;
        };
        for package in &found.packages {
            let name = package.name.as_str();
            assert!(text.contains(name), "package {name} is not in the status file");
            let purl = package.purl(&found.os_release);
            let back = deb_purl(&purl).unwrap_or_else(|e| panic!("{purl}: {e}"));
            assert_eq!(
                (
                    &back.name,
                    &back.version,
                    &back.arch,
                    &back.source,
                    &back.source_version
                ),
                (
                    &package.name,
                    &package.version,
                    &package.arch,
                    &package.source,
                    &package.source_version
                ),
                "{purl}"
            );
        }
    }
});
