//! Test images written as OCI layouts, and the real validators.

use buckle_oci::layout::LayoutWriter;
use buckle_oci::{
    annotation, media_type, ContainerConfig, Descriptor, EmptyObject, ImageConfig, ImageIndex, ImageManifest,
    Platform, RootFs,
};
use std::path::Path;

/// What the test image's config says.
pub struct TestImage {
    pub user: &'static str,
    pub ports: Vec<&'static str>,
    pub volumes: Vec<&'static str>,
}

impl Default for TestImage {
    fn default() -> Self {
        TestImage {
            user: "65532:65532",
            ports: vec!["8080/tcp"],
            volumes: vec!["/var/cache/app"],
        }
    }
}

impl TestImage {
    /// Writes a two-architecture layout (an index of amd64 and arm64 manifests, tagged
    /// `latest`, as `buckle build` writes) at `target`; returns the index digest and
    /// the manifests' digests.
    pub fn write(&self, target: &Path) -> (String, Vec<String>) {
        let writer = LayoutWriter::create(target).unwrap();
        let mut manifests = Vec::new();
        for arch in ["amd64", "arm64"] {
            let config = ImageConfig {
                architecture: arch.into(),
                os: "linux".into(),
                config: Some(ContainerConfig {
                    user: Some(self.user.into()),
                    entrypoint: Some(vec!["/usr/bin/python3".into()]),
                    exposed_ports: self
                        .ports
                        .iter()
                        .map(|p| (p.to_string(), EmptyObject {}))
                        .collect(),
                    volumes: self
                        .volumes
                        .iter()
                        .map(|p| (p.to_string(), EmptyObject {}))
                        .collect(),
                    ..ContainerConfig::default()
                }),
                rootfs: RootFs::layers(vec![]),
                ..ImageConfig::default()
            };
            let config = writer.put_config(&config).unwrap();
            let manifest = writer.put_manifest(&ImageManifest::new(config, vec![])).unwrap();
            manifests.push(manifest.with_platform(Platform::linux(arch)));
        }
        let digests = manifests.iter().map(|m| m.digest.oci()).collect();
        let nested: Descriptor = writer.put_index(&ImageIndex::new(manifests)).unwrap();
        assert_eq!(nested.media_type, media_type::OCI_INDEX);
        let top = nested.with_annotation(annotation::REF_NAME, "latest");
        writer.finish(&ImageIndex::new(vec![top.clone()])).unwrap();
        (top.digest.oci(), digests)
    }
}
