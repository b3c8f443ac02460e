//! A small two-platform image in an OCI layout, the lock it claims to be built from,
//! and signing it the way `buckle sign` does.
#![allow(dead_code)]

use buckle_oci::layout::{Layout, LayoutWriter};
use buckle_oci::tar::{Compression, Entry};
use buckle_oci::{
    annotation, open_image, Descriptor, ImageConfig, ImageIndex, ImageManifest, Platform, RootFs,
};
use buckle_sbom::dpkg::{self, needs_content, Detail};
use buckle_sbom::{Format, ImageSubject, SbomInput};
use buckle_sign::encrypted::ScryptParams;
use buckle_sign::key::PrivateKey;
use buckle_sign::provenance::{self, ProvenanceInput};
use buckle_sign::sbom_predicate::predicate_type_of;
use buckle_sign::sign::{sign_image, targets, Signed};
use buckle_sign::statement::predicate_type;
use buckle_spec::{Lock, Variant};
use std::collections::BTreeMap;
use std::path::Path;

/// Cheap scrypt parameters: the format is cosign's, the cost is not.
pub const FAST: ScryptParams = ScryptParams { n: 1024, r: 8, p: 1 };

pub const ARCHES: [&str; 2] = ["amd64", "arm64"];
pub const REFERENCE: &str = "buckle/test";

/// (name, version, architecture or `ARCH` for the image's)
const PACKAGES: [(&str, &str, &str); 2] = [("libc6", "2.41-12", "ARCH"), ("tzdata", "2025b-4", "all")];

fn package_arch(arch: &str, declared: &str) -> String {
    if declared == "ARCH" {
        arch.to_owned()
    } else {
        declared.to_owned()
    }
}

fn control(name: &str, version: &str, arch: &str) -> String {
    format!(
        "Package: {name}\nVersion: {version}\nArchitecture: {arch}\nMaintainer: Test <t@example.org>\nDescription: test package\n"
    )
}

/// Writes the image at `path`: one manifest per architecture (dpkg status.d entries for
/// each package and an os-release), an index over them tagged `latest`.
pub fn write_image(path: &Path) -> Layout {
    let writer = LayoutWriter::create(path).unwrap();
    let mut manifests = Vec::new();
    for arch in ARCHES {
        let mut files: Vec<(String, Vec<u8>)> = vec![(
            "etc/os-release".into(),
            b"ID=debian\nVERSION_ID=13\nVERSION_CODENAME=trixie\n".to_vec(),
        )];
        for (name, version, declared) in PACKAGES {
            let text = control(name, version, &package_arch(arch, declared));
            files.push((format!("var/lib/dpkg/status.d/{name}"), text.into_bytes()));
            files.push((
                format!("usr/share/{name}/data-{arch}"),
                format!("{name} for {arch}").into_bytes(),
            ));
        }
        files.sort();
        let mut layer = writer.layer_writer(Compression::Gzip, 0).unwrap();
        for (file, content) in &files {
            layer
                .append(
                    &Entry::file(file.parse().unwrap(), 0o644, content.len() as u64),
                    &content[..],
                )
                .unwrap();
        }
        let (layer, digests) = writer.commit_layer(layer).unwrap();
        let config = writer
            .put_config(&ImageConfig {
                architecture: arch.to_owned(),
                os: "linux".to_owned(),
                rootfs: RootFs::layers(vec![digests.diff_id]),
                ..ImageConfig::default()
            })
            .unwrap();
        let manifest = writer
            .put_manifest(&ImageManifest::new(config, vec![layer]))
            .unwrap();
        manifests.push(manifest.with_platform(Platform::linux(arch)));
    }
    let index = writer.put_index(&ImageIndex::new(manifests)).unwrap();
    writer
        .finish(&ImageIndex::new(vec![
            index.with_annotation(annotation::REF_NAME, "latest")
        ]))
        .unwrap()
}

/// The lock of the image, with `libc6` at `libc_version` (2.41-12 is what the image has).
pub fn lock_with(libc_version: &str) -> Lock {
    let mut text = String::from(
        "version = 1\nspec-sha256 = \"4ab9bdf0a7e6445737b7a06213d007f6541d14cee2b740ee9cc02d3bbece5e01\"\n\
         source-date-epoch = 1700000000\n\n[[archive]]\nsuite = \"trixie\"\ncodename = \"trixie\"\n\
         date = \"Sat, 21 Nov 2026 09:15:44 UTC\"\n\
         inrelease-sha256 = \"bfacad4ca61899ce20d4a0d439f29339f66541561b67506364efb88e27dee870\"\n",
    );
    for arch in ARCHES {
        text.push_str(&format!("\n[images.{arch}]\nruntime = [\n"));
        for (name, version, declared) in PACKAGES {
            let version = if name == "libc6" { libc_version } else { version };
            let package_arch = package_arch(arch, declared);
            let initial = &name[..1];
            let sha = buckle_digest::Sha256::of(format!("{name}{version}{package_arch}").as_bytes()).hex();
            text.push_str(&format!(
                "  {{ name = \"{name}\", version = \"{version}\", architecture = \"{package_arch}\", source = \"{name}\", \
                 source-version = \"{version}\", suite = \"trixie\", path = \"pool/main/{initial}/{name}/{name}_{version}_{package_arch}.deb\", \
                 size = 100, sha256 = \"{sha}\" }},\n"
            ));
        }
        text.push_str("]\n");
    }
    Lock::parse(&text, "test.lock").unwrap()
}

pub fn lock() -> Lock {
    lock_with("2.41-12")
}

pub fn key() -> PrivateKey {
    PrivateKey::generate(&mut rand::rngs::OsRng)
}

/// The SBOM predicates of one platform image, from its dpkg metadata.
fn sbom_predicates(
    layout: &Layout,
    selector: &buckle_oci::layout::Selector,
) -> Vec<(String, serde_json::Value)> {
    let image = open_image(layout.root(), selector).unwrap();
    let files = image
        .merged_files(|e| needs_content(e.path.as_str(), Detail::Packages))
        .unwrap();
    let found = dpkg::collect(&files, Detail::Packages).unwrap();
    let input = SbomInput {
        image: ImageSubject {
            name: "test".into(),
            digest: image.manifest_digest(),
            created: None,
            architecture: image.config().architecture.clone(),
            os_release: found.os_release,
        },
        packages: found.packages,
        files: None,
        upstream: Vec::new(),
        app: None,
    };
    Format::ALL
        .into_iter()
        .map(|format| {
            let document = serde_json::from_slice(&format.write(&input).unwrap()).unwrap();
            (predicate_type_of(format).to_owned(), document)
        })
        .collect()
}

/// Signs every image of the layout at `path` as `buckle sign` does: provenance from
/// `lock` for each platform image and the index, SBOMs for each platform image.
pub fn sign_layout(path: &Path, key: &PrivateKey, lock: &Lock) -> Vec<Signed> {
    let mut layout = Layout::open(path).unwrap();
    let mut signed = Vec::new();
    for target in targets(&layout, None).unwrap() {
        let architectures = match &target.platform {
            Some(platform) => vec![platform.architecture.parse().unwrap()],
            None => ARCHES.iter().map(|a| a.parse().unwrap()).collect(),
        };
        let input = ProvenanceInput {
            builder_id: provenance::DEFAULT_BUILDER_ID.into(),
            spec_path: "test.toml".into(),
            spec_text: "name = \"test\"\n",
            lock,
            lock_name: "test.lock".into(),
            variant: Variant::Runtime,
            architectures,
            source_date_epoch: lock.source_date_epoch,
            mirrors: BTreeMap::from([(
                "trixie".parse().unwrap(),
                "http://mirror.test/debian".parse().unwrap(),
            )]),
            invocation: None,
            app: None,
            offline: None,
        };
        let mut predicates = vec![(
            predicate_type::SLSA_PROVENANCE_V1.to_owned(),
            serde_json::to_value(provenance::provenance(&input)).unwrap(),
        )];
        if !target.is_index() {
            predicates.extend(sbom_predicates(&layout, &target.selector()));
        }
        signed.push(sign_image(&mut layout, &target.descriptor, REFERENCE, key, predicates).unwrap());
    }
    signed
}

/// The index.json entry tagged `tag`.
pub fn tagged(layout: &Layout, tag: &str) -> Descriptor {
    layout
        .index()
        .manifests
        .iter()
        .find(|d| d.ref_name() == Some(tag))
        .unwrap_or_else(|| panic!("no `{tag}` in index.json"))
        .clone()
}
