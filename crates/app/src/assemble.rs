//! The application's two layers and its SBOM record: the dependencies (with the record
//! of what they are, [`APP_PACKAGES`]) below, the project's files above, so that a code
//! change rebuilds only the small top layer.

use crate::error::Result;
use crate::image::AppLayer;
use crate::package::{AppPackage, Ecosystem};
use crate::tree::{AppTree, FILE_MODE};
use buckle_oci::RelPath;
use buckle_sbom::{AppEcosystem, AppFacts, AppPackageFacts, APP_PACKAGES};

/// The SBOM record of `packages` for the application `name`: one entry per package
/// URL (npm may install one version at several paths), in the order given.
pub fn app_facts(name: &str, packages: &[AppPackage]) -> AppFacts {
    let mut out: Vec<AppPackageFacts> = Vec::with_capacity(packages.len());
    for package in packages {
        let purl = package.purl();
        if out.iter().any(|p| p.purl == purl) {
            continue;
        }
        out.push(AppPackageFacts {
            ecosystem: match package.ecosystem {
                Ecosystem::Python => AppEcosystem::Pypi,
                Ecosystem::Npm => AppEcosystem::Npm,
            },
            name: package.name.clone(),
            version: package.version.clone(),
            purl,
            sha256: package.sha256.hex(),
            sha512: package.integrity.as_deref().and_then(sha512_hex),
            license: package.license.clone(),
            download_location: package.download_url.clone(),
            file_name: package.file_name.clone(),
        });
    }
    AppFacts {
        name: name.to_owned(),
        packages: out,
    }
}

/// `sha512-<base64>` as hex.
fn sha512_hex(integrity: &str) -> Option<String> {
    use base64::Engine;
    let encoded = integrity.strip_prefix("sha512-")?;
    let bytes = base64::engine::general_purpose::STANDARD.decode(encoded).ok()?;
    (bytes.len() == 64).then(|| bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The dependencies layer (the installed packages plus their record) and the
/// application layer, bottom first, and the record.
pub fn app_layers(
    name: &str,
    mut dependencies: AppTree,
    packages: &[AppPackage],
    project: AppTree,
) -> Result<(Vec<AppLayer>, AppFacts)> {
    let facts = app_facts(name, packages);
    let record = RelPath::new(APP_PACKAGES.trim_start_matches('/'))?;
    dependencies.add_file(&record, facts.to_json(), FILE_MODE, "buckle")?;
    let layers = vec![
        AppLayer {
            name: "dependencies".to_owned(),
            tree: dependencies,
        },
        AppLayer {
            name: "application".to_owned(),
            tree: project,
        },
    ];
    Ok((layers, facts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::NodeKind;
    use buckle_digest::Sha256;

    fn package(ecosystem: Ecosystem, name: &str, version: &str, integrity: Option<&str>) -> AppPackage {
        AppPackage {
            ecosystem,
            name: name.into(),
            version: version.into(),
            sha256: Sha256::of(name.as_bytes()),
            integrity: integrity.map(str::to_owned),
            license: Some("MIT".into()),
            license_classifiers: Vec::new(),
            download_url: format!("https://registry.invalid/{name}"),
            file_name: format!("{name}-{version}.tgz"),
        }
    }

    #[test]
    fn the_record_lists_each_package_once_with_its_digests() {
        let integrity = format!(
            "sha512-{}",
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, [7u8; 64])
        );
        let packages = [
            package(Ecosystem::Npm, "ms", "2.0.0", Some(&integrity)),
            package(Ecosystem::Npm, "ms", "2.1.3", None),
            package(Ecosystem::Npm, "ms", "2.0.0", Some(&integrity)),
            package(Ecosystem::Python, "Flask", "3.1.0", None),
        ];
        let facts = app_facts("web", &packages);
        let purls: Vec<&str> = facts.packages.iter().map(|p| p.purl.as_str()).collect();
        assert_eq!(
            purls,
            ["pkg:npm/ms@2.0.0", "pkg:npm/ms@2.1.3", "pkg:pypi/flask@3.1.0"]
        );
        assert_eq!(
            facts.packages[0].sha512.as_deref(),
            Some("07".repeat(64).as_str())
        );
        assert_eq!(facts.packages[2].sha256, Sha256::of(b"Flask").hex());
    }

    #[test]
    fn the_record_goes_into_the_dependencies_layer() {
        let packages = [package(Ecosystem::Python, "six", "1.17.0", None)];
        let (layers, facts) = app_layers("api", AppTree::new(), &packages, AppTree::new()).unwrap();
        let names: Vec<&str> = layers.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["dependencies", "application"]);
        let record = RelPath::new("usr/share/buckle/app-packages.json").unwrap();
        let node = layers[0].tree.get(&record).unwrap();
        assert_eq!(node.kind, NodeKind::File(facts.to_json()));
    }
}
