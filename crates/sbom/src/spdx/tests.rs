use super::*;
use crate::fixture;
use serde_json::Value;

fn document(files: bool) -> Value {
    serde_json::from_slice(&write(&fixture::input(files)).unwrap()).unwrap()
}

fn strings(value: &Value, pointer: &str) -> Vec<String> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item.pointer(pointer).unwrap().as_str().unwrap().to_owned())
        .collect()
}

fn package<'a>(document: &'a Value, id: &str) -> &'a Value {
    document["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["SPDXID"] == id)
        .unwrap()
}

fn relationships(document: &Value, kind: &str) -> Vec<(String, String)> {
    document["relationships"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["relationshipType"] == kind)
        .map(|r| {
            (
                r["spdxElementId"].as_str().unwrap().to_owned(),
                r["relatedSpdxElement"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn same_input_in_any_order_gives_the_same_bytes() {
    let input = fixture::input(true);
    let first = write(&input).unwrap();
    let mut shuffled = input.clone();
    shuffled.packages.reverse();
    shuffled.files.as_mut().unwrap().reverse();
    assert_eq!(write(&input).unwrap(), first);
    assert_eq!(write(&shuffled).unwrap(), first);
    assert!(first.ends_with(b"}\n"));
}

#[test]
fn document_header_is_spdx_2_3_with_the_image_time_and_a_namespace_from_the_digest() {
    let doc = document(false);
    assert_eq!(doc["spdxVersion"], "SPDX-2.3");
    assert_eq!(doc["dataLicense"], "CC0-1.0");
    assert_eq!(doc["SPDXID"], "SPDXRef-DOCUMENT");
    assert_eq!(doc["name"], "cc");
    assert_eq!(doc["creationInfo"]["created"], "2025-08-09T08:11:12Z");
    assert_eq!(
        doc["creationInfo"]["creators"],
        serde_json::json!([format!("Tool: buckle-{}", env!("CARGO_PKG_VERSION"))])
    );
    let namespace = doc["documentNamespace"].as_str().unwrap();
    let prefix = format!(
        "https://buckle.invalid/spdx/cc/sha256/{}/",
        Sha256::of(b"manifest").hex()
    );
    assert!(namespace.starts_with(&prefix), "{namespace}");
    assert_ne!(
        namespace,
        document(true)["documentNamespace"],
        "documents with and without files are different documents"
    );
}

#[test]
fn image_is_the_described_container_package() {
    let doc = document(false);
    let image = package(&doc, "SPDXRef-Image");
    assert_eq!(image, &doc["packages"][0]);
    assert_eq!(image["primaryPackagePurpose"], "CONTAINER");
    assert_eq!(image["versionInfo"], Sha256::of(b"manifest").oci());
    assert_eq!(
        image["checksums"][0]["checksumValue"],
        Sha256::of(b"manifest").hex()
    );
    assert_eq!(
        image["externalRefs"][0]["referenceLocator"],
        format!("pkg:oci/cc@sha256%3A{}", Sha256::of(b"manifest").hex())
    );
    assert_eq!(
        relationships(&doc, "DESCRIBES"),
        [("SPDXRef-DOCUMENT".to_owned(), "SPDXRef-Image".to_owned())]
    );
}

#[test]
fn packages_are_sorted_with_purls_suppliers_and_checksums() {
    let doc = document(false);
    assert_eq!(
        strings(&doc["packages"], "/SPDXID"),
        [
            "SPDXRef-Image",
            "SPDXRef-Package-deb-base-files-amd64",
            "SPDXRef-Package-deb-libc6-amd64",
            "SPDXRef-Package-deb-libgcc-s1-amd64",
            "SPDXRef-Package-deb-libstdcPLUSPLUS6-amd64",
        ]
    );
    assert_eq!(
        strings(&doc["packages"], "/externalRefs/0/referenceLocator")[1..],
        [
            "pkg:deb/debian/base-files@13.8?arch=amd64&distro=debian-13",
            "pkg:deb/debian/libc6@2.41-12?arch=amd64&distro=debian-13&upstream=glibc",
            "pkg:deb/debian/libgcc-s1@14.2.0-19?arch=amd64&distro=debian-13&upstream=gcc-14",
            "pkg:deb/debian/libstdc%2B%2B6@14.2.0-19%2Bb1?arch=amd64&distro=debian-13&upstream=gcc-14%4014.2.0-19",
        ]
    );
    let libc = package(&doc, "SPDXRef-Package-deb-libc6-amd64");
    assert_eq!(
        libc["supplier"],
        "Organization: Debian GCC Maintainers (debian-gcc@lists.debian.org)"
    );
    assert_eq!(libc["checksums"][0]["algorithm"], "SHA256");
    assert_eq!(libc["checksums"][0]["checksumValue"], Sha256::of(b"libc6").hex());
    assert_eq!(
        libc["downloadLocation"],
        "https://mirror.invalid/debian/pool/main/libc6.deb"
    );
    assert_eq!(libc["sourceInfo"], "built package from: glibc 2.41-12");
    assert_eq!(libc["filesAnalyzed"], false);
    assert!(libc.get("packageVerificationCode").is_none());
    assert_eq!(libc["licenseConcluded"], "NOASSERTION");
    assert_eq!(libc["externalRefs"][0]["referenceCategory"], "PACKAGE-MANAGER");
}

#[test]
fn relationships_link_image_to_packages_and_packages_to_their_dependencies() {
    let doc = document(false);
    let contains = relationships(&doc, "CONTAINS");
    assert_eq!(contains.len(), 4);
    assert!(contains.iter().all(|(from, _)| from == "SPDXRef-Image"));
    let short = |id: &str| {
        id.trim_start_matches("SPDXRef-Package-deb-")
            .trim_end_matches("-amd64")
            .to_owned()
    };
    let depends: Vec<(String, String)> = relationships(&doc, "DEPENDS_ON")
        .into_iter()
        .map(|(a, b)| (short(&a), short(&b)))
        .collect();
    let pair = |a: &str, b: &str| (a.to_owned(), b.to_owned());
    assert_eq!(
        depends,
        [
            pair("libc6", "libgcc-s1"),
            pair("libgcc-s1", "libc6"),
            pair("libstdcPLUSPLUS6", "libc6"),
            pair("libstdcPLUSPLUS6", "libgcc-s1"),
        ],
        "deduplicated, and packages not in the image are left out"
    );
}

#[test]
fn every_license_ref_used_is_declared() {
    let doc = document(false);
    let declared = strings(&doc["hasExtractedLicensingInfos"], "/licenseId");
    assert_eq!(
        declared,
        [
            "LicenseRef-GPL-2-plus-with-OpenSSL-exception",
            "LicenseRef-public-domain"
        ]
    );
    for expression in strings(&doc["packages"], "/licenseDeclared") {
        for token in expression.split([' ', '(', ')']) {
            if token.starts_with("LicenseRef-") {
                assert!(declared.iter().any(|id| id == token), "{token} in {expression}");
            }
        }
    }
    let info = &doc["hasExtractedLicensingInfos"][1];
    assert_eq!(info["name"], "public-domain");
    assert_eq!(
        info["extractedText"],
        "The license named `public-domain` in the machine-readable Debian copyright file(s) /usr/share/doc/base-files/copyright, where its text is given."
    );
    assert_eq!(
        package(&doc, "SPDXRef-Package-deb-libstdcPLUSPLUS6-amd64")["licenseDeclared"],
        "GPL-3.0-or-later WITH GCC-exception-3.1"
    );
    assert_eq!(
        package(&doc, "SPDXRef-Package-deb-libgcc-s1-amd64")["licenseDeclared"],
        "NOASSERTION"
    );
}

#[test]
fn files_are_relative_names_with_sha1_and_sha256_contained_by_their_package_or_the_image() {
    let doc = document(true);
    let names = strings(&doc["files"], "/fileName");
    assert_eq!(
        names,
        [
            "./etc/passwd",
            "./usr/lib/x86_64-linux-gnu/libc.so.6",
            "./usr/lib/x86_64-linux-gnu/libstdc++.so.6"
        ]
    );
    let libc_file = &doc["files"][1];
    assert_eq!(libc_file["checksums"][0]["algorithm"], "SHA1");
    assert_eq!(
        libc_file["checksums"][1]["checksumValue"],
        Sha256::of(b"libc").hex()
    );
    let file_ids = strings(&doc["files"], "/SPDXID");
    let contains = relationships(&doc, "CONTAINS");
    assert!(contains.contains(&("SPDXRef-Image".to_owned(), file_ids[0].clone())));
    assert!(contains.contains(&("SPDXRef-Package-deb-libc6-amd64".to_owned(), file_ids[1].clone())));
    let libc = package(&doc, "SPDXRef-Package-deb-libc6-amd64");
    assert_eq!(libc["filesAnalyzed"], true);
    assert_eq!(
        libc["packageVerificationCode"]["packageVerificationCodeValue"],
        "4c26dfb031cedd07329a5002cf11fbd4573001f3",
        "SHA1 of the SHA1 hex of the one file"
    );
}

#[test]
fn image_without_created_time_uses_the_epoch_and_says_so() {
    let mut input = fixture::input(false);
    input.image.created = None;
    let doc: Value = serde_json::from_slice(&write(&input).unwrap()).unwrap();
    assert_eq!(doc["creationInfo"]["created"], "1970-01-01T00:00:00Z");
    assert!(doc["creationInfo"]["comment"]
        .as_str()
        .unwrap()
        .contains("no created time"));
}

#[test]
fn two_packages_with_one_name_and_architecture_are_an_error() {
    let mut input = fixture::input(false);
    let mut copy = input.packages[0].clone();
    copy.version = "99".parse().unwrap();
    input.packages.push(copy);
    let err = write(&input).unwrap_err();
    assert_eq!(
        err.to_string(),
        "package `libstdc++6` (amd64) is listed twice: version 14.2.0-19+b1 in `input` and 99 in `input`"
    );
}

#[test]
fn app_packages_are_listed_with_purls_hashes_licenses_and_the_app_depending_on_them() {
    let mut input = fixture::input(false);
    input.app = Some(fixture::app());
    let document: Value = serde_json::from_slice(&write(&input).unwrap()).unwrap();
    let app = package(&document, "SPDXRef-Package-app-myapp");
    assert_eq!(app["primaryPackagePurpose"], "APPLICATION");
    let markupsafe = package(&document, "SPDXRef-Package-pypi-MarkupSafe-3.0.2");
    assert_eq!(
        markupsafe["externalRefs"][0]["referenceLocator"],
        "pkg:pypi/markupsafe@3.0.2"
    );
    assert_eq!(markupsafe["licenseDeclared"], "BSD-3-Clause");
    assert_eq!(
        markupsafe["checksums"][0]["checksumValue"],
        Sha256::of(b"markupsafe wheel").hex()
    );
    let left_pad = package(&document, "SPDXRef-Package-npm--scope-left-pad-1.3.0");
    assert_eq!(
        left_pad["licenseDeclared"], "NOASSERTION",
        "free text is not an SPDX expression"
    );
    assert_eq!(left_pad["checksums"][1]["algorithm"], "SHA512");
    let depends = relationships(&document, "DEPENDS_ON");
    for id in [
        "SPDXRef-Package-pypi-MarkupSafe-3.0.2",
        "SPDXRef-Package-npm--scope-left-pad-1.3.0",
    ] {
        assert!(
            depends.contains(&("SPDXRef-Package-app-myapp".to_owned(), id.to_owned())),
            "{depends:?}"
        );
        assert!(relationships(&document, "CONTAINS").contains(&(IMAGE_ID.to_owned(), id.to_owned())));
    }
}
