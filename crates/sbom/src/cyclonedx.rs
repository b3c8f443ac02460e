//! Package facts -> CycloneDX 1.6 JSON.
//!
//! The image is `metadata.component` (type `container`, version = manifest digest);
//! packages are `library` components whose `bom-ref` is their purl; the dependency graph
//! lists every component (the image depends on all packages, each package on what it
//! depends on). With file detail, files are `file` components nested in the package that
//! owns them (at top level when no package, or several, own them).
//!
//! `metadata.timestamp` is the image's created time (left out when it has none) and
//! `serialNumber` is a name-based (version 5) UUID of the image digest and the SHA256 of
//! the document written without it, so the same input always gives the same bytes.

use crate::app::{AppFacts, AppPackageFacts};
use crate::error::Result;
use crate::json;
use crate::model::{self, FileFacts, PackageFacts, SbomInput, Sha1, UpstreamFacts};
use buckle_debian::PackageName;
use buckle_digest::Sha256;
use serde::Serialize;
use std::collections::BTreeMap;
use tracing::{info, instrument};

/// The RFC 4122 name space for URLs, under which serial numbers are derived.
const URL_NAMESPACE: [u8; 16] = [
    0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8,
];

/// Writes the CycloneDX 1.6 JSON document for `input`.
#[instrument(skip_all, fields(image = %input.image.name))]
pub fn write(input: &SbomInput) -> Result<Vec<u8>> {
    let input = model::normalised(input)?;
    let mut bom = bom(&input)?;
    let unnamed = json::pretty(&bom)?;
    let name = format!(
        "https://buckle.invalid/cyclonedx/{}/{}",
        input.image.digest.oci(),
        Sha256::of(&unnamed).hex()
    );
    bom.serial_number = format!("urn:uuid:{}", uuid_v5(&URL_NAMESPACE, name.as_bytes()));
    let bytes = json::pretty(&bom)?;
    info!(
        packages = input.packages.len(),
        bytes = bytes.len(),
        "wrote CycloneDX document"
    );
    Ok(bytes)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Bom {
    bom_format: &'static str,
    spec_version: &'static str,
    serial_number: String,
    version: u32,
    metadata: Metadata,
    components: Vec<Component>,
    dependencies: Vec<Dependency>,
}

#[derive(Serialize)]
struct Metadata {
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp: Option<String>,
    tools: Tools,
    component: Component,
}

#[derive(Serialize)]
struct Tools {
    components: Vec<Component>,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct Component {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "bom-ref", skip_serializing_if = "Option::is_none")]
    bom_ref: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    supplier: Option<Supplier>,
    #[serde(skip_serializing_if = "Option::is_none")]
    publisher: Option<String>,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hashes: Vec<Hash>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    licenses: Vec<License>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purl: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    external_references: Vec<ExternalReference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<Property>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    components: Vec<Component>,
}

#[derive(Serialize)]
struct Supplier {
    name: String,
}

#[derive(Serialize)]
struct Hash {
    alg: &'static str,
    content: String,
}

#[derive(Serialize)]
struct License {
    expression: String,
    acknowledgement: &'static str,
}

#[derive(Serialize)]
struct ExternalReference {
    #[serde(rename = "type")]
    kind: &'static str,
    url: String,
}

#[derive(Serialize)]
struct Property {
    name: String,
    value: String,
}

impl Property {
    fn new(name: &str, value: impl Into<String>) -> Property {
        Property {
            name: name.to_owned(),
            value: value.into(),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Dependency {
    #[serde(rename = "ref")]
    reference: String,
    depends_on: Vec<String>,
}

fn bom(input: &SbomInput) -> Result<Bom> {
    let timestamp = input
        .image
        .created
        .as_deref()
        .map(model::created_utc)
        .transpose()?;
    let purls: Vec<String> = input
        .packages
        .iter()
        .map(|package| package.purl(&input.image.os_release))
        .collect();
    let (mut nested, top_level_files) = files_by_owner(input.files.as_deref().unwrap_or_default());
    let mut components: Vec<Component> = input
        .packages
        .iter()
        .zip(&purls)
        .map(|(package, purl)| {
            let files = nested.remove(&package.name).unwrap_or_default();
            library(package, purl, files)
        })
        .collect();
    components.extend(input.upstream.iter().map(upstream));
    if let Some(app) = &input.app {
        components.push(app_component(app));
        components.extend(app.packages.iter().map(app_dependency));
    }
    components.extend(top_level_files);
    Ok(Bom {
        bom_format: "CycloneDX",
        spec_version: "1.6",
        serial_number: String::new(),
        version: 1,
        metadata: Metadata {
            timestamp,
            tools: Tools {
                components: vec![Component {
                    kind: "application",
                    name: "buckle".to_owned(),
                    version: Some(env!("CARGO_PKG_VERSION").to_owned()),
                    ..Component::default()
                }],
            },
            component: image(input),
        },
        components,
        dependencies: dependencies(input, &purls),
    })
}

fn image(input: &SbomInput) -> Component {
    let image = &input.image;
    let os = &image.os_release;
    let mut properties = vec![Property::new("buckle:image:architecture", &image.architecture)];
    let os_facts = [
        ("buckle:image:os-release:ID", &os.id),
        ("buckle:image:os-release:VERSION_CODENAME", &os.version_codename),
        ("buckle:image:os-release:VERSION_ID", &os.version_id),
    ];
    for (name, value) in os_facts {
        properties.extend(value.as_deref().map(|value| Property::new(name, value)));
    }
    Component {
        kind: "container",
        bom_ref: Some(image.purl()),
        name: image.name.clone(),
        version: Some(image.digest.oci()),
        hashes: vec![Hash {
            alg: "SHA-256",
            content: image.digest.hex(),
        }],
        purl: Some(image.purl()),
        properties,
        ..Component::default()
    }
}

fn library(package: &PackageFacts, purl: &str, files: Vec<Component>) -> Component {
    let mut properties = vec![
        Property::new("buckle:deb:arch", package.arch.as_str()),
        Property::new("buckle:deb:source", package.source.as_str()),
        Property::new("buckle:deb:source_version", package.source_version.as_str()),
    ];
    properties.sort_by(|a, b| a.name.cmp(&b.name));
    let mut external_references = Vec::new();
    if let Some(url) = &package.download_location {
        external_references.push(ExternalReference {
            kind: "distribution",
            url: url.clone(),
        });
    }
    if let Some(url) = &package.homepage {
        external_references.push(ExternalReference {
            kind: "website",
            url: url.clone(),
        });
    }
    Component {
        kind: "library",
        bom_ref: Some(purl.to_owned()),
        supplier: package.maintainer_parts().map(|(name, _)| Supplier { name }),
        publisher: package.maintainer.clone(),
        name: package.name.to_string(),
        version: Some(package.version.to_string()),
        hashes: package
            .deb_sha256
            .iter()
            .map(|digest| Hash {
                alg: "SHA-256",
                content: digest.hex(),
            })
            .collect(),
        licenses: package
            .license
            .expression()
            .map(|expression| License {
                expression: expression.as_str().to_owned(),
                acknowledgement: "declared",
            })
            .into_iter()
            .collect(),
        purl: Some(purl.to_owned()),
        external_references,
        properties,
        components: files,
    }
}

fn upstream(upstream: &UpstreamFacts) -> Component {
    let mut hashes = vec![Hash {
        alg: "SHA-256",
        content: upstream.sha256.hex(),
    }];
    hashes.extend(upstream.sha512.iter().map(|hex| Hash {
        alg: "SHA-512",
        content: hex.clone(),
    }));
    Component {
        kind: "application",
        bom_ref: Some(upstream.purl.clone()),
        name: upstream.name.clone(),
        version: Some(upstream.version.clone()),
        hashes,
        purl: Some(upstream.purl.clone()),
        external_references: upstream
            .download_location
            .iter()
            .map(|url| ExternalReference {
                kind: "distribution",
                url: url.clone(),
            })
            .collect(),
        properties: vec![Property::new("buckle:upstream", "true")],
        ..Component::default()
    }
}

fn app_component(app: &AppFacts) -> Component {
    Component {
        kind: "application",
        bom_ref: Some(app_ref(app)),
        name: app.name.clone(),
        properties: vec![Property::new("buckle:app", "true")],
        ..Component::default()
    }
}

/// The application's `bom-ref`.
fn app_ref(app: &AppFacts) -> String {
    format!("buckle:app:{}", app.name)
}

fn app_dependency(package: &AppPackageFacts) -> Component {
    let mut hashes = vec![Hash {
        alg: "SHA-256",
        content: package.sha256.clone(),
    }];
    hashes.extend(package.sha512.iter().map(|hex| Hash {
        alg: "SHA-512",
        content: hex.clone(),
    }));
    Component {
        kind: "library",
        bom_ref: Some(package.purl.clone()),
        name: package.name.clone(),
        version: Some(package.version.clone()),
        hashes,
        licenses: package
            .declared_license()
            .map(|expression| License {
                expression,
                acknowledgement: "declared",
            })
            .into_iter()
            .collect(),
        purl: Some(package.purl.clone()),
        external_references: vec![ExternalReference {
            kind: "distribution",
            url: package.download_location.clone(),
        }],
        ..Component::default()
    }
}

/// File components grouped under their one owning package, and those to list at top
/// level (no owner, or several, named in `buckle:deb:package` properties).
fn files_by_owner(files: &[FileFacts]) -> (BTreeMap<PackageName, Vec<Component>>, Vec<Component>) {
    let mut nested: BTreeMap<PackageName, Vec<Component>> = BTreeMap::new();
    let mut top_level = Vec::new();
    for file in files {
        let mut component = file_component(file);
        match file.packages.as_slice() {
            [owner] => nested.entry(owner.clone()).or_default().push(component),
            owners => {
                component.properties = owners
                    .iter()
                    .map(|owner| Property::new("buckle:deb:package", owner.as_str()))
                    .collect();
                top_level.push(component);
            }
        }
    }
    (nested, top_level)
}

fn file_component(file: &FileFacts) -> Component {
    Component {
        kind: "file",
        bom_ref: Some(format!("file:{}", file.path)),
        name: file.path.clone(),
        hashes: vec![
            Hash {
                alg: "SHA-1",
                content: file.sha1.hex(),
            },
            Hash {
                alg: "SHA-256",
                content: file.sha256.hex(),
            },
        ],
        ..Component::default()
    }
}

fn dependencies(input: &SbomInput, purls: &[String]) -> Vec<Dependency> {
    let mut by_name: BTreeMap<&PackageName, Vec<&String>> = BTreeMap::new();
    for (package, purl) in input.packages.iter().zip(purls) {
        by_name.entry(&package.name).or_default().push(purl);
    }
    let mut all: Vec<String> = purls.to_vec();
    all.extend(input.upstream.iter().map(|u| u.purl.clone()));
    if let Some(app) = &input.app {
        all.push(app_ref(app));
    }
    all.sort();
    let mut out = vec![Dependency {
        reference: input.image.purl(),
        depends_on: all,
    }];
    for (package, purl) in input.packages.iter().zip(purls) {
        let mut depends_on: Vec<String> = package
            .depends
            .iter()
            .filter_map(|name| by_name.get(name))
            .flatten()
            .map(|purl| (*purl).clone())
            .collect();
        depends_on.sort();
        depends_on.dedup();
        out.push(Dependency {
            reference: purl.clone(),
            depends_on,
        });
    }
    if let Some(app) = &input.app {
        let mut depends_on: Vec<String> = app.packages.iter().map(|p| p.purl.clone()).collect();
        depends_on.sort();
        depends_on.dedup();
        out.push(Dependency {
            reference: app_ref(app),
            depends_on,
        });
    }
    out
}

/// A name-based UUID (RFC 4122 section 4.3: SHA-1, version 5).
fn uuid_v5(namespace: &[u8; 16], name: &[u8]) -> String {
    let mut input = namespace.to_vec();
    input.extend_from_slice(name);
    let hash = Sha1::of(&input);
    let mut bytes = [0u8; 16];
    for (byte, hashed) in bytes.iter_mut().zip(hash.as_bytes()) {
        *byte = *hashed;
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x50;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let part = |range: std::ops::Range<usize>| hex.get(range).unwrap_or_default();
    format!(
        "{}-{}-{}-{}-{}",
        part(0..8),
        part(8..12),
        part(12..16),
        part(16..20),
        part(20..32)
    )
}

#[cfg(test)]
mod tests;
