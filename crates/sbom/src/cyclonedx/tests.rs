use super::*;
use crate::fixture;
use serde_json::{json, Value};

fn document(files: bool) -> Value {
    serde_json::from_slice(&write(&fixture::input(files)).unwrap()).unwrap()
}

fn image_purl() -> String {
    format!("pkg:oci/cc@sha256%3A{}", Sha256::of(b"manifest").hex())
}

const LIBC: &str = "pkg:deb/debian/libc6@2.41-12?arch=amd64&distro=debian-13&upstream=glibc";
const LIBGCC: &str = "pkg:deb/debian/libgcc-s1@14.2.0-19?arch=amd64&distro=debian-13&upstream=gcc-14";
const LIBSTDCXX: &str =
    "pkg:deb/debian/libstdc%2B%2B6@14.2.0-19%2Bb1?arch=amd64&distro=debian-13&upstream=gcc-14%4014.2.0-19";
const BASE_FILES: &str = "pkg:deb/debian/base-files@13.8?arch=amd64&distro=debian-13";

#[test]
fn same_input_in_any_order_gives_the_same_bytes() {
    let input = fixture::input(true);
    let first = write(&input).unwrap();
    let mut shuffled = input.clone();
    shuffled.packages.reverse();
    shuffled.files.as_mut().unwrap().reverse();
    assert_eq!(write(&shuffled).unwrap(), first);
}

#[test]
fn serial_number_is_a_version_5_uuid_that_changes_with_the_content() {
    let doc = document(false);
    let serial = doc["serialNumber"].as_str().unwrap();
    let uuid = serial.strip_prefix("urn:uuid:").unwrap();
    let groups: Vec<usize> = uuid.split('-').map(str::len).collect();
    assert_eq!(groups, [8, 4, 4, 4, 12]);
    assert_eq!(uuid.as_bytes()[14], b'5');
    assert!(b"89ab".contains(&uuid.as_bytes()[19]));
    assert_ne!(doc["serialNumber"], document(true)["serialNumber"]);
}

#[test]
fn uuid_v5_matches_rfc_4122() {
    // Python: uuid.uuid5(uuid.NAMESPACE_URL, "http://www.example.com/")
    assert_eq!(
        uuid_v5(&URL_NAMESPACE, b"http://www.example.com/"),
        "fcde3c85-2270-590f-9e7c-ee003d65e0e2"
    );
}

#[test]
fn metadata_names_the_tool_the_time_and_the_image() {
    let doc = document(false);
    assert_eq!(doc["bomFormat"], "CycloneDX");
    assert_eq!(doc["specVersion"], "1.6");
    assert_eq!(doc["version"], 1);
    let metadata = &doc["metadata"];
    assert_eq!(metadata["timestamp"], "2025-08-09T08:11:12Z");
    assert_eq!(metadata["tools"]["components"][0]["name"], "buckle");
    let image = &metadata["component"];
    assert_eq!(image["type"], "container");
    assert_eq!(image["bom-ref"], image_purl());
    assert_eq!(image["version"], Sha256::of(b"manifest").oci());
    assert_eq!(
        image["hashes"],
        json!([{"alg": "SHA-256", "content": Sha256::of(b"manifest").hex()}])
    );
    assert_eq!(
        image["properties"][0],
        json!({"name": "buckle:image:architecture", "value": "amd64"})
    );
}

#[test]
fn packages_are_sorted_libraries_keyed_by_purl() {
    let doc = document(false);
    let refs: Vec<&str> = doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["bom-ref"].as_str().unwrap())
        .collect();
    assert_eq!(refs, [BASE_FILES, LIBC, LIBGCC, LIBSTDCXX]);
    let libc = &doc["components"][1];
    assert_eq!(libc["type"], "library");
    assert_eq!(libc["purl"], LIBC);
    assert_eq!(libc["supplier"], json!({"name": "Debian GCC Maintainers"}));
    assert_eq!(
        libc["hashes"],
        json!([{"alg": "SHA-256", "content": Sha256::of(b"libc6").hex()}])
    );
    assert_eq!(
        libc["licenses"],
        json!([{"expression": "LGPL-2.1-or-later AND LicenseRef-GPL-2-plus-with-OpenSSL-exception", "acknowledgement": "declared"}])
    );
    assert!(
        doc["components"][2].get("licenses").is_none(),
        "NOASSERTION is left out"
    );
    let properties: Vec<(&str, &str)> = libc["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["value"].as_str().unwrap()))
        .collect();
    assert_eq!(
        properties,
        [
            ("buckle:deb:arch", "amd64"),
            ("buckle:deb:source", "glibc"),
            ("buckle:deb:source_version", "2.41-12")
        ]
    );
}

#[test]
fn dependency_graph_lists_every_component_with_sorted_dependencies() {
    let doc = document(false);
    assert_eq!(
        doc["dependencies"],
        json!([
            {"ref": image_purl(), "dependsOn": [BASE_FILES, LIBC, LIBGCC, LIBSTDCXX]},
            {"ref": BASE_FILES, "dependsOn": []},
            {"ref": LIBC, "dependsOn": [LIBGCC]},
            {"ref": LIBGCC, "dependsOn": [LIBC]},
            {"ref": LIBSTDCXX, "dependsOn": [LIBC, LIBGCC]},
        ])
    );
}

#[test]
fn files_nest_under_their_package_and_unowned_files_stay_at_top_level() {
    let doc = document(true);
    let libc = &doc["components"][1];
    assert_eq!(
        libc["components"],
        json!([{
            "type": "file",
            "bom-ref": "file:/usr/lib/x86_64-linux-gnu/libc.so.6",
            "name": "/usr/lib/x86_64-linux-gnu/libc.so.6",
            "hashes": [
                {"alg": "SHA-1", "content": Sha1::of(b"libc").hex()},
                {"alg": "SHA-256", "content": Sha256::of(b"libc").hex()},
            ],
        }])
    );
    let last = doc["components"].as_array().unwrap().last().unwrap();
    assert_eq!(last["type"], "file");
    assert_eq!(last["name"], "/etc/passwd");
    assert!(document(false)["components"][1].get("components").is_none());
}

#[test]
fn app_packages_are_library_components_the_app_depends_on() {
    let mut input = fixture::input(false);
    input.app = Some(fixture::app());
    let bom: Value = serde_json::from_slice(&write(&input).unwrap()).unwrap();
    let components = bom["components"].as_array().unwrap();
    let markupsafe = components
        .iter()
        .find(|c| c["purl"] == "pkg:pypi/markupsafe@3.0.2")
        .unwrap();
    assert_eq!(markupsafe["type"], "library");
    assert_eq!(markupsafe["licenses"][0]["expression"], "BSD-3-Clause");
    assert_eq!(
        markupsafe["hashes"][0]["content"],
        Sha256::of(b"markupsafe wheel").hex()
    );
    assert!(components
        .iter()
        .any(|c| c["type"] == "application" && c["name"] == "myapp"));
    let app = bom["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["ref"] == "buckle:app:myapp")
        .unwrap();
    assert_eq!(
        app["dependsOn"],
        json!(["pkg:npm/%40scope/left-pad@1.3.0", "pkg:pypi/markupsafe@3.0.2"])
    );
}
