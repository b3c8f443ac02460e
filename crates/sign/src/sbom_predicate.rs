//! SBOM documents as in-toto predicates, and the Debian packages an SBOM lists (read
//! from its `pkg:deb` purls), to compare with the image.

use crate::package_set::{PackageId, PackageSet};
use crate::statement::predicate_type;
use buckle_sbom::Format;

/// The in-toto predicate type of an SBOM format.
pub fn predicate_type_of(format: Format) -> &'static str {
    match format {
        Format::SpdxJson => predicate_type::SPDX,
        Format::CycloneDxJson => predicate_type::CYCLONEDX,
    }
}

/// The SBOM format of a predicate type, if it is one.
pub fn format_of(predicate_type: &str) -> Option<Format> {
    Format::ALL
        .into_iter()
        .find(|format| predicate_type_of(*format) == predicate_type)
}

/// The Debian packages an SPDX or CycloneDX document lists, from their purls.
pub fn packages(format: Format, document: &serde_json::Value) -> Result<PackageSet, String> {
    let mut purls = Vec::new();
    match format {
        Format::SpdxJson => {
            for package in array(document, "packages") {
                for reference in array(package, "externalRefs") {
                    if reference["referenceType"] == "purl" {
                        purls.extend(reference["referenceLocator"].as_str());
                    }
                }
            }
        }
        Format::CycloneDxJson => collect_component_purls(document, &mut purls),
    }
    purls
        .into_iter()
        .filter(|purl| purl.starts_with("pkg:deb/"))
        .map(parse_deb_purl)
        .collect()
}

fn array<'a>(value: &'a serde_json::Value, key: &str) -> impl Iterator<Item = &'a serde_json::Value> {
    value[key].as_array().into_iter().flatten()
}

fn collect_component_purls<'a>(value: &'a serde_json::Value, out: &mut Vec<&'a str>) {
    for component in array(value, "components") {
        out.extend(component["purl"].as_str());
        collect_component_purls(component, out);
    }
}

/// `pkg:deb/<vendor>/<name>@<version>?arch=<arch>&...` -> the package.
fn parse_deb_purl(purl: &str) -> Result<PackageId, String> {
    let bad = |why: &str| format!("purl `{purl}` {why}");
    let (path, qualifiers) = purl.split_once('?').unwrap_or((purl, ""));
    let (path, version) = path.rsplit_once('@').ok_or_else(|| bad("has no version"))?;
    let name = path.rsplit('/').next().unwrap_or_default();
    let architecture = qualifiers
        .split('&')
        .find_map(|pair| pair.strip_prefix("arch="))
        .ok_or_else(|| bad("has no `arch` qualifier"))?;
    Ok(PackageId {
        name: buckle_sbom::decode_purl_component(name)
            .ok_or_else(|| bad("is not percent-encoded correctly"))?,
        version: buckle_sbom::decode_purl_component(version)
            .ok_or_else(|| bad("is not percent-encoded correctly"))?,
        architecture: buckle_sbom::decode_purl_component(architecture)
            .ok_or_else(|| bad("is not percent-encoded correctly"))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn packages_come_from_deb_purls_of_both_formats() {
        let purl = "pkg:deb/debian/libpython3.13-minimal@3.13.5-2%2Bb1?arch=amd64&distro=debian-13";
        let spdx = json!({"packages": [
            {"name": "image", "externalRefs": [{"referenceType": "purl", "referenceLocator": "pkg:oci/python@sha256%3Aab"}]},
            {"name": "libpython3.13-minimal", "externalRefs": [{"referenceType": "purl", "referenceLocator": purl}]},
        ]});
        let cyclonedx = json!({"components": [{"purl": purl, "components": []}]});
        for (format, document) in [(Format::SpdxJson, spdx), (Format::CycloneDxJson, cyclonedx)] {
            let found = packages(format, &document).unwrap();
            assert_eq!(
                found.iter().map(ToString::to_string).collect::<Vec<_>>(),
                ["libpython3.13-minimal=3.13.5-2+b1:amd64"]
            );
        }
        let broken = json!({"components": [{"purl": "pkg:deb/debian/x@1"}]});
        assert_eq!(
            packages(Format::CycloneDxJson, &broken).unwrap_err(),
            "purl `pkg:deb/debian/x@1` has no `arch` qualifier"
        );
        assert_eq!(format_of("https://spdx.dev/Document"), Some(Format::SpdxJson));
    }
}
