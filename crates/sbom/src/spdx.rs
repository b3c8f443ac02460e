//! Package facts -> SPDX 2.3 JSON.
//!
//! The document describes the image (`SPDXRef-Image`, purpose `CONTAINER`, checksum =
//! manifest digest), which `CONTAINS` every package; packages `DEPENDS_ON` each other;
//! with file detail, each package `CONTAINS` its files and the image the files no package
//! owns. Every `LicenseRef-` used is declared in `hasExtractedLicensingInfos`.
//!
//! Nothing depends on the clock or the machine: `created` is the image's created time
//! (1970-01-01T00:00:00Z, with a comment saying so, when the image has none) and the
//! `documentNamespace` is `https://buckle.invalid/spdx/<name>/sha256/<image digest>/<hash>`,
//! where `<hash>` is the SHA256 of the document written without its namespace. The
//! `.invalid` top-level domain is reserved (RFC 2606): the namespace is a unique name,
//! never a place to fetch from.

use crate::app::{AppEcosystem, AppFacts, AppPackageFacts};
use crate::error::Result;
use crate::json;
use crate::license::LicenseInfo;
use crate::model::{self, FileFacts, PackageFacts, SbomInput, Sha1, UpstreamFacts};
use crate::purl;
use buckle_debian::PackageName;
use buckle_digest::Sha256;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use tracing::{info, instrument};

const NOASSERTION: &str = "NOASSERTION";
const IMAGE_ID: &str = "SPDXRef-Image";
const DOCUMENT_ID: &str = "SPDXRef-DOCUMENT";

/// Writes the SPDX 2.3 JSON document for `input`.
#[instrument(skip_all, fields(image = %input.image.name))]
pub fn write(input: &SbomInput) -> Result<Vec<u8>> {
    let input = model::normalised(input)?;
    let mut document = document(&input)?;
    let unnamed = json::pretty(&document)?;
    document.document_namespace = format!(
        "https://buckle.invalid/spdx/{}/sha256/{}/{}",
        purl::encode(&input.image.name),
        input.image.digest.hex(),
        Sha256::of(&unnamed).hex()
    );
    let bytes = json::pretty(&document)?;
    info!(
        packages = input.packages.len(),
        bytes = bytes.len(),
        "wrote SPDX document"
    );
    Ok(bytes)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Document {
    spdx_version: &'static str,
    data_license: &'static str,
    #[serde(rename = "SPDXID")]
    spdx_id: &'static str,
    name: String,
    document_namespace: String,
    creation_info: CreationInfo,
    packages: Vec<Package>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    files: Vec<File>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    has_extracted_licensing_infos: Vec<ExtractedLicense>,
    relationships: Vec<Relationship>,
}

#[derive(Serialize)]
struct CreationInfo {
    created: String,
    creators: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Package {
    #[serde(rename = "SPDXID")]
    spdx_id: String,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version_info: Option<String>,
    supplier: String,
    download_location: String,
    files_analyzed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    package_verification_code: Option<VerificationCode>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    checksums: Vec<Checksum>,
    #[serde(skip_serializing_if = "Option::is_none")]
    homepage: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_info: Option<String>,
    license_concluded: &'static str,
    license_declared: String,
    copyright_text: &'static str,
    external_refs: Vec<ExternalRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    primary_package_purpose: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VerificationCode {
    package_verification_code_value: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Checksum {
    algorithm: &'static str,
    checksum_value: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExternalRef {
    reference_category: &'static str,
    reference_type: &'static str,
    reference_locator: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct File {
    #[serde(rename = "SPDXID")]
    spdx_id: String,
    file_name: String,
    checksums: Vec<Checksum>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExtractedLicense {
    license_id: String,
    name: String,
    extracted_text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Relationship {
    spdx_element_id: String,
    relationship_type: &'static str,
    related_spdx_element: String,
}

impl Relationship {
    fn new(from: &str, kind: &'static str, to: &str) -> Relationship {
        Relationship {
            spdx_element_id: from.to_owned(),
            relationship_type: kind,
            related_spdx_element: to.to_owned(),
        }
    }
}

fn document(input: &SbomInput) -> Result<Document> {
    let (created, comment) = match &input.image.created {
        Some(created) => (model::created_utc(created)?, None),
        None => (
            buckle_oci::rfc3339_utc(0),
            Some("The image config has no created time; 1970-01-01T00:00:00Z stands in for it."),
        ),
    };
    let files = input.files.as_deref();
    let mut packages = vec![image_package(input, files)];
    packages.extend(
        input
            .packages
            .iter()
            .map(|package| deb_package(input, package, files)),
    );
    packages.extend(input.upstream.iter().map(upstream_package));
    if let Some(app) = &input.app {
        packages.push(app_package(app));
        packages.extend(app.packages.iter().map(app_dependency));
    }
    Ok(Document {
        spdx_version: "SPDX-2.3",
        data_license: "CC0-1.0",
        spdx_id: DOCUMENT_ID,
        name: input.image.name.clone(),
        document_namespace: String::new(),
        creation_info: CreationInfo {
            created,
            creators: vec![format!("Tool: buckle-{}", env!("CARGO_PKG_VERSION"))],
            comment,
        },
        packages,
        files: files.unwrap_or_default().iter().map(file).collect(),
        has_extracted_licensing_infos: extracted_licenses(&input.packages),
        relationships: relationships(input),
    })
}

fn image_package(input: &SbomInput, files: Option<&[FileFacts]>) -> Package {
    let image = &input.image;
    Package {
        spdx_id: IMAGE_ID.to_owned(),
        name: image.name.clone(),
        version_info: Some(image.digest.oci()),
        supplier: NOASSERTION.to_owned(),
        download_location: NOASSERTION.to_owned(),
        files_analyzed: files.is_some(),
        package_verification_code: files.map(|files| verification_code(files.iter())),
        checksums: vec![Checksum {
            algorithm: "SHA256",
            checksum_value: image.digest.hex(),
        }],
        homepage: None,
        source_info: None,
        license_concluded: NOASSERTION,
        license_declared: NOASSERTION.to_owned(),
        copyright_text: NOASSERTION,
        external_refs: vec![purl_ref(image.purl())],
        primary_package_purpose: Some("CONTAINER"),
    }
}

fn deb_package(input: &SbomInput, package: &PackageFacts, files: Option<&[FileFacts]>) -> Package {
    let supplier = package.maintainer_parts().map_or_else(
        || NOASSERTION.to_owned(),
        |(name, email)| match email {
            Some(email) => format!("Organization: {name} ({email})"),
            None => format!("Organization: {name}"),
        },
    );
    let owned = files.map(|files| files.iter().filter(|file| file.packages.contains(&package.name)));
    Package {
        spdx_id: package_id(&package.name, package.arch.as_str()),
        name: package.name.to_string(),
        version_info: Some(package.version.to_string()),
        supplier,
        download_location: package
            .download_location
            .clone()
            .filter(|url| is_http_url(url))
            .unwrap_or_else(|| NOASSERTION.to_owned()),
        files_analyzed: files.is_some(),
        package_verification_code: owned.map(verification_code),
        checksums: package
            .deb_sha256
            .iter()
            .map(|digest| Checksum {
                algorithm: "SHA256",
                checksum_value: digest.hex(),
            })
            .collect(),
        homepage: package.homepage.clone().filter(|url| is_http_url(url)),
        source_info: Some(format!(
            "built package from: {} {}",
            package.source, package.source_version
        )),
        license_concluded: NOASSERTION,
        license_declared: package.license.spdx().to_owned(),
        copyright_text: NOASSERTION,
        external_refs: vec![purl_ref(package.purl(&input.image.os_release))],
        primary_package_purpose: None,
    }
}

fn upstream_package(upstream: &UpstreamFacts) -> Package {
    let mut checksums = vec![Checksum {
        algorithm: "SHA256",
        checksum_value: upstream.sha256.hex(),
    }];
    checksums.extend(upstream.sha512.iter().map(|hex| Checksum {
        algorithm: "SHA512",
        checksum_value: hex.clone(),
    }));
    Package {
        spdx_id: upstream_id(&upstream.name),
        name: upstream.name.clone(),
        version_info: Some(upstream.version.clone()),
        supplier: NOASSERTION.to_owned(),
        download_location: upstream
            .download_location
            .clone()
            .filter(|url| is_http_url(url))
            .unwrap_or_else(|| NOASSERTION.to_owned()),
        files_analyzed: false,
        package_verification_code: None,
        checksums,
        homepage: None,
        source_info: Some("upstream artifact, not from a .deb".to_owned()),
        license_concluded: NOASSERTION,
        license_declared: NOASSERTION.to_owned(),
        copyright_text: NOASSERTION,
        external_refs: vec![purl_ref(upstream.purl.clone())],
        primary_package_purpose: Some("APPLICATION"),
    }
}

fn app_package(app: &AppFacts) -> Package {
    Package {
        spdx_id: app_id(&app.name),
        name: app.name.clone(),
        version_info: None,
        supplier: NOASSERTION.to_owned(),
        download_location: NOASSERTION.to_owned(),
        files_analyzed: false,
        package_verification_code: None,
        checksums: Vec::new(),
        homepage: None,
        source_info: Some("the application, from its project files".to_owned()),
        license_concluded: NOASSERTION,
        license_declared: NOASSERTION.to_owned(),
        copyright_text: NOASSERTION,
        external_refs: Vec::new(),
        primary_package_purpose: Some("APPLICATION"),
    }
}

fn app_dependency(package: &AppPackageFacts) -> Package {
    let mut checksums = vec![Checksum {
        algorithm: "SHA256",
        checksum_value: package.sha256.clone(),
    }];
    checksums.extend(package.sha512.iter().map(|hex| Checksum {
        algorithm: "SHA512",
        checksum_value: hex.clone(),
    }));
    Package {
        spdx_id: app_dependency_id(package),
        name: package.name.clone(),
        version_info: Some(package.version.clone()),
        supplier: NOASSERTION.to_owned(),
        download_location: Some(package.download_location.clone())
            .filter(|url| is_http_url(url))
            .unwrap_or_else(|| NOASSERTION.to_owned()),
        files_analyzed: false,
        package_verification_code: None,
        checksums,
        homepage: None,
        source_info: Some(format!("{} from the application's lockfile", package.file_name)),
        license_concluded: NOASSERTION,
        license_declared: package
            .declared_license()
            .unwrap_or_else(|| NOASSERTION.to_owned()),
        copyright_text: NOASSERTION,
        external_refs: vec![purl_ref(package.purl.clone())],
        primary_package_purpose: Some("LIBRARY"),
    }
}

/// `SPDXRef-Package-app-<name>` (app names are lowercase letters, digits and `-`).
fn app_id(name: &str) -> String {
    format!("SPDXRef-Package-app-{}", id_safe(name))
}

/// `SPDXRef-Package-pypi-<name>-<version>`, other characters than SPDX ids allow as `-`.
fn app_dependency_id(package: &AppPackageFacts) -> String {
    let ecosystem = match package.ecosystem {
        AppEcosystem::Pypi => "pypi",
        AppEcosystem::Npm => "npm",
    };
    format!(
        "SPDXRef-Package-{ecosystem}-{}-{}",
        id_safe(&package.name),
        id_safe(&package.version)
    )
}

fn id_safe(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// `SPDXRef-Package-upstream-<name>` (names are lowercase letters, digits and `-`).
fn upstream_id(name: &str) -> String {
    format!("SPDXRef-Package-upstream-{name}")
}

fn is_http_url(text: &str) -> bool {
    (text.starts_with("https://") || text.starts_with("http://")) && !text.contains(char::is_whitespace)
}

fn purl_ref(locator: String) -> ExternalRef {
    ExternalRef {
        reference_category: "PACKAGE-MANAGER",
        reference_type: "purl",
        reference_locator: locator,
    }
}

/// SPDX 2.3 section 7.9: SHA1 of the sorted, concatenated SHA1s of the package's files.
fn verification_code<'a>(files: impl Iterator<Item = &'a FileFacts>) -> VerificationCode {
    let mut hashes: Vec<String> = files.map(|file| file.sha1.hex()).collect();
    hashes.sort_unstable();
    VerificationCode {
        package_verification_code_value: Sha1::of(hashes.concat().as_bytes()).hex(),
    }
}

fn file(file: &FileFacts) -> File {
    File {
        spdx_id: file_id(&file.path),
        file_name: format!(".{}", file.path),
        checksums: vec![
            Checksum {
                algorithm: "SHA1",
                checksum_value: file.sha1.hex(),
            },
            Checksum {
                algorithm: "SHA256",
                checksum_value: file.sha256.hex(),
            },
        ],
    }
}

/// `SPDXRef-Package-deb-<name>-<arch>`; `+` (not allowed in SPDX ids) is spelled `PLUS`,
/// which cannot clash with a package name because those are lowercase.
fn package_id(name: &PackageName, arch: &str) -> String {
    format!(
        "SPDXRef-Package-deb-{}-{arch}",
        name.as_str().replace('+', "PLUS")
    )
}

/// `SPDXRef-File-<first 32 hex digits of the SHA256 of the path>`: stable and unique.
fn file_id(path: &str) -> String {
    let hex = Sha256::of(path.as_bytes()).hex();
    format!("SPDXRef-File-{}", hex.get(..32).unwrap_or(&hex))
}

fn relationships(input: &SbomInput) -> Vec<Relationship> {
    let mut out = vec![Relationship::new(DOCUMENT_ID, "DESCRIBES", IMAGE_ID)];
    let mut ids_by_name: BTreeMap<&PackageName, Vec<String>> = BTreeMap::new();
    for package in &input.packages {
        let id = package_id(&package.name, package.arch.as_str());
        out.push(Relationship::new(IMAGE_ID, "CONTAINS", &id));
        ids_by_name.entry(&package.name).or_default().push(id);
    }
    for upstream in &input.upstream {
        out.push(Relationship::new(
            IMAGE_ID,
            "CONTAINS",
            &upstream_id(&upstream.name),
        ));
    }
    if let Some(app) = &input.app {
        let app_ref = app_id(&app.name);
        out.push(Relationship::new(IMAGE_ID, "CONTAINS", &app_ref));
        for package in &app.packages {
            let id = app_dependency_id(package);
            out.push(Relationship::new(IMAGE_ID, "CONTAINS", &id));
            out.push(Relationship::new(&app_ref, "DEPENDS_ON", &id));
        }
    }
    for package in &input.packages {
        let id = package_id(&package.name, package.arch.as_str());
        let targets = package
            .depends
            .iter()
            .filter_map(|name| ids_by_name.get(name))
            .flatten();
        out.extend(targets.map(|target| Relationship::new(&id, "DEPENDS_ON", target)));
    }
    for file in input.files.as_deref().unwrap_or_default() {
        let file_ref = file_id(&file.path);
        let owners: Vec<&String> = file
            .packages
            .iter()
            .filter_map(|name| ids_by_name.get(name))
            .flatten()
            .collect();
        if owners.is_empty() {
            out.push(Relationship::new(IMAGE_ID, "CONTAINS", &file_ref));
        }
        out.extend(
            owners
                .into_iter()
                .map(|owner| Relationship::new(owner, "CONTAINS", &file_ref)),
        );
    }
    out
}

/// One entry per `LicenseRef-` used, naming the Debian short names it stands for and the
/// packages whose copyright files hold the text.
fn extracted_licenses(packages: &[PackageFacts]) -> Vec<ExtractedLicense> {
    let mut refs: BTreeMap<&str, (BTreeSet<&str>, BTreeSet<&str>)> = BTreeMap::new();
    for package in packages {
        let LicenseInfo::Declared(expression) = &package.license else {
            continue;
        };
        for (id, names) in expression.license_refs() {
            let entry = refs.entry(id).or_default();
            entry.0.extend(names.iter().map(String::as_str));
            entry.1.insert(package.name.as_str());
        }
    }
    refs.into_iter()
        .map(|(id, (names, packages))| {
            let names: Vec<&str> = names.into_iter().collect();
            let locations: Vec<String> = packages
                .into_iter()
                .map(|package| format!("/usr/share/doc/{package}/copyright"))
                .collect();
            ExtractedLicense {
                license_id: id.to_owned(),
                name: names.join(", "),
                extracted_text: format!(
                    "The license named `{}` in the machine-readable Debian copyright file(s) {}, where its text is given.",
                    names.join("`, `"),
                    locations.join(", ")
                ),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
