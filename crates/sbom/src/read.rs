//! Reading an SBOM from any tool: the Debian packages it names by package URL
//! (CycloneDX `components[].purl`, SPDX `packages[].externalRefs[]` of type `purl`).
//! What `buckle scan` matches when it is given an SBOM instead of an image.

use crate::error::{Error, Result};
use buckle_debian::{Arch, PackageName, Version};

/// A Debian package named by a `pkg:deb/…` package URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebPurl {
    /// The binary package.
    pub name: PackageName,
    /// Its version.
    pub version: Version,
    /// Its architecture (`arch` qualifier; `amd64` when the URL has none).
    pub arch: Arch,
    /// The source package (`upstream` qualifier; the binary's name without one).
    pub source: PackageName,
    /// The source version (`upstream=<source>@<version>`; the binary's version otherwise).
    pub source_version: Version,
    /// The `distro` qualifier (`debian-12`), when given.
    pub distro: Option<String>,
    /// The package URL as written.
    pub purl: String,
}

/// The Debian packages of a CycloneDX or SPDX JSON document, in document order;
/// package URLs of other types are left out.
pub fn deb_packages(bytes: &[u8]) -> Result<Vec<DebPurl>> {
    let doc: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| Error::SbomRead {
        problem: format!("it is not valid JSON: {e}"),
    })?;
    let purls: Vec<&str> = if doc.get("bomFormat").is_some() {
        doc["components"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["purl"].as_str())
            .collect()
    } else if doc.get("spdxVersion").is_some() {
        doc["packages"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|p| p["externalRefs"].as_array().into_iter().flatten())
            .filter(|r| r["referenceType"] == "purl")
            .filter_map(|r| r["referenceLocator"].as_str())
            .collect()
    } else {
        return Err(Error::NotAnSbom);
    };
    purls
        .into_iter()
        .filter(|p| p.starts_with("pkg:deb/"))
        .map(deb_purl)
        .collect()
}

/// `pkg:deb/debian/<name>@<version>?arch=…&distro=debian-12&upstream=<source>[@<version>]`
/// (the purl specification's `deb` type), percent-encoding undone.
pub fn deb_purl(purl: &str) -> Result<DebPurl> {
    let bad = |problem: String| Error::Purl {
        purl: purl.to_owned(),
        problem,
    };
    let rest = purl
        .strip_prefix("pkg:deb/")
        .ok_or_else(|| bad("it does not start with `pkg:deb/`".to_owned()))?;
    let rest = rest.split_once('#').map_or(rest, |(before, _)| before);
    let (path, qualifiers) = rest.split_once('?').unwrap_or((rest, ""));
    let name_version = path.rsplit('/').next().unwrap_or_default();
    let (name, version) = name_version
        .split_once('@')
        .ok_or_else(|| bad("it has no `@<version>`".to_owned()))?;
    let (name, version) = (decode(name).map_err(bad)?, decode(version).map_err(bad)?);
    let mut arch = "amd64".to_owned();
    let mut distro = None;
    let (mut source, mut source_version) = (name.clone(), version.clone());
    for pair in qualifiers.split('&') {
        let Some((key, value)) = pair.split_once('=') else {
            continue;
        };
        let value = decode(value).map_err(bad)?;
        match key {
            "arch" => arch = value,
            "distro" => distro = Some(value),
            "upstream" => match value.split_once('@') {
                Some((s, v)) => (source, source_version) = (s.to_owned(), v.to_owned()),
                None => source = value,
            },
            _ => {}
        }
    }
    let field = |what: &str, e: buckle_debian::Error| bad(format!("its {what}: {e}"));
    Ok(DebPurl {
        name: name.parse().map_err(|e| field("name", e))?,
        version: version.parse().map_err(|e| field("version", e))?,
        arch: arch.parse().map_err(|e| field("`arch`", e))?,
        source: source.parse().map_err(|e| field("`upstream` package", e))?,
        source_version: source_version
            .parse()
            .map_err(|e| field("`upstream` version", e))?,
        distro,
        purl: purl.to_owned(),
    })
}

/// Undoes `%XX` percent-encoding; the result must be UTF-8.
fn decode(text: &str) -> std::result::Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        if byte == b'%' {
            let hex = bytes
                .get(index + 1..index + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("`{text}` has a `%` that is not followed by two hex digits"))?;
            out.push(hex);
            index += 3;
        } else {
            out.push(byte);
            index += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("`{text}` decodes to bytes that are not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_purl_with_an_epoch_a_source_and_a_distro_reads_back() {
        let p = deb_purl("pkg:deb/debian/libpython3.11-minimal@3.11.2-6%2Bdeb12u6?arch=amd64&distro=debian-12&upstream=python3.11").unwrap();
        assert_eq!(p.name.as_str(), "libpython3.11-minimal");
        assert_eq!(p.version.to_string(), "3.11.2-6+deb12u6");
        assert_eq!(p.source.as_str(), "python3.11");
        assert_eq!(p.source_version, p.version);
        assert_eq!(p.distro.as_deref(), Some("debian-12"));
        let p =
            deb_purl("pkg:deb/debian/vim-tiny@2%3A9.1.1230-2?arch=arm64&upstream=vim%409.1.1230-2").unwrap();
        assert_eq!((p.version.epoch(), p.arch.as_str()), (2, "arm64"));
        assert_eq!(p.source_version.to_string(), "9.1.1230-2");
    }

    #[test]
    fn bad_purls_say_what_is_wrong() {
        let err = deb_purl("pkg:deb/debian/bash").unwrap_err().to_string();
        assert!(err.contains("no `@<version>`"), "{err}");
        let err = deb_purl("pkg:deb/debian/bash@5.2%2").unwrap_err().to_string();
        assert!(err.contains("two hex digits"), "{err}");
        let err = deb_purl("pkg:deb/debian/bash@5.2-1%FF").unwrap_err().to_string();
        assert!(err.contains("not UTF-8"), "{err}");
        assert!(matches!(deb_packages(b"{}"), Err(Error::NotAnSbom)));
    }

    #[test]
    fn the_packages_of_both_formats_are_read_and_other_types_left_out() {
        let cdx = br#"{"bomFormat":"CycloneDX","components":[{"purl":"pkg:deb/debian/zlib1g@1%3A1.2.13.dfsg-1?arch=amd64"},{"purl":"pkg:pypi/requests@2.31.0"},{"name":"no purl"}]}"#;
        let spdx = br#"{"spdxVersion":"SPDX-2.3","packages":[{"externalRefs":[{"referenceType":"cpe23Type","referenceLocator":"cpe:2.3:a:x"},{"referenceType":"purl","referenceLocator":"pkg:deb/debian/zlib1g@1%3A1.2.13.dfsg-1?arch=amd64"}]}]}"#;
        for doc in [&cdx[..], &spdx[..]] {
            let found = deb_packages(doc).unwrap();
            assert_eq!(found.len(), 1);
            assert_eq!(found[0].version.to_string(), "1:1.2.13.dfsg-1");
        }
    }
}
