//! Small real images for the tests: OCI layouts (and docker archives) written with
//! `buckle-oci` into temporary directories, read back through `ImageView::from_oci`.

use buckle_check::{check, Attachments, Finding, ImageView, Policy, Report};
use buckle_oci::layout::{Layout, LayoutWriter, Selector};
use buckle_oci::tar::{Compression, Entry, LayerWriter};
use buckle_oci::{
    annotation, open_image, ContainerConfig, Descriptor, EmptyObject, History, ImageConfig, ImageIndex,
    ImageManifest, RelPath, RootFs,
};
use std::collections::BTreeMap;
use std::path::Path;

pub fn p(path: &str) -> RelPath {
    RelPath::new(path).unwrap()
}

/// A regular file owned by root.
pub fn file(path: &str, mode: u32, content: &[u8]) -> (Entry, Vec<u8>) {
    (Entry::file(p(path), mode, content.len() as u64), content.to_vec())
}

pub fn dir(path: &str, mode: u32) -> (Entry, Vec<u8>) {
    (Entry::directory(p(path), mode), Vec::new())
}

pub fn link(path: &str, target: &str) -> (Entry, Vec<u8>) {
    (Entry::symlink(p(path), target), Vec::new())
}

/// The whiteout marker that removes `path` from the layers below.
pub fn whiteout(path: &str) -> (Entry, Vec<u8>) {
    let path = p(path);
    let name = format!(".wh.{}", path.file_name().unwrap());
    let marker = path.parent().unwrap().join(&name).unwrap();
    (Entry::file(marker, 0o644, 0), Vec::new())
}

/// A PEM private key as `openssl genpkey` writes it (the body is random base64).
pub const PRIVATE_KEY: &str = "-----BEGIN PRIVATE KEY-----\n\
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n\
MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\n\
-----END PRIVATE KEY-----\n";

/// A public certificate (not a secret).
pub const CERTIFICATE: &str = "-----BEGIN CERTIFICATE-----\n\
MIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJ\n\
RTESMBAGA1UEChMJQmFsdGltb3JlMRMwEQYDVQQLEwpDeWJlclRydXN0MSIwIAYD\n\
-----END CERTIFICATE-----\n";

/// A hardened little image: nonroot user, /tmp 1777, dpkg status.d metadata that
/// owns its one binary, no shell. Tests change one thing at a time.
pub fn hardened_layer() -> Vec<(Entry, Vec<u8>)> {
    vec![
        dir("etc", 0o755),
        file(
            "etc/passwd",
            0o644,
            b"root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532::/home/nonroot:/sbin/nologin\n",
        ),
        file("etc/group", 0o644, b"root:x:0:\nnonroot:x:65532:\n"),
        dir("etc/ssl", 0o755),
        dir("etc/ssl/certs", 0o755),
        file("etc/ssl/certs/ca-certificates.crt", 0o644, CERTIFICATE.as_bytes()),
        dir("tmp", 0o1777),
        dir("usr", 0o755),
        dir("usr/bin", 0o755),
        file("usr/bin/app", 0o755, b"\x7fELF\x02\x01\x01 app"),
        dir("var", 0o755),
        dir("var/lib", 0o755),
        dir("var/lib/dpkg", 0o755),
        dir("var/lib/dpkg/status.d", 0o755),
        file(
            "var/lib/dpkg/status.d/app",
            0o644,
            b"Package: app\nVersion: 1.0\nArchitecture: amd64\n",
        ),
        file(
            "var/lib/dpkg/status.d/app.md5sums",
            0o644,
            b"0123456789abcdef0123456789abcdef  usr/bin/app\n",
        ),
    ]
}

/// A test image: layers and config, written as a real OCI layout (or docker archive).
#[derive(Default, Clone)]
pub struct TestImage {
    pub layers: Vec<Vec<(Entry, Vec<u8>)>>,
    pub created_by: Vec<String>,
    pub extra_history: Vec<History>,
    pub config: ContainerConfig,
    pub annotations: BTreeMap<String, String>,
    pub tag: Option<String>,
    /// (artifact type, blob media type, annotations) of referrers to attach.
    pub referrers: Vec<(String, String, BTreeMap<String, String>)>,
}

impl TestImage {
    /// The hardened image: one layer, `User 65532:65532`, entrypoint `/usr/bin/app`,
    /// tag `1.0`, base `scratch`.
    pub fn hardened() -> Self {
        TestImage {
            config: ContainerConfig {
                user: Some("65532:65532".into()),
                entrypoint: Some(vec!["/usr/bin/app".into()]),
                env: vec!["PATH=/usr/bin".into()],
                ..ContainerConfig::default()
            },
            tag: Some("1.0".into()),
            ..TestImage::default()
        }
        .layer(hardened_layer())
        .annotation(annotation::BASE_NAME, "scratch")
        .referrer("application/spdx+json", "application/spdx+json", &[])
        .referrer(
            "application/vnd.in-toto+json",
            "application/vnd.dsse.envelope.v1+json",
            &[("in-toto.io/predicate-type", "https://slsa.dev/provenance/v1")],
        )
    }

    pub fn layer(mut self, entries: Vec<(Entry, Vec<u8>)>) -> Self {
        self.created_by.push(format!("test layer {}", self.layers.len()));
        self.layers.push(entries);
        self
    }

    /// Sets the history command of the last layer.
    pub fn created_by(mut self, command: &str) -> Self {
        if let Some(last) = self.created_by.last_mut() {
            *last = command.to_owned();
        }
        self
    }

    /// Adds a history entry that made no layer (ENV, ARG, LABEL steps).
    pub fn empty_step(mut self, command: &str) -> Self {
        self.extra_history.push(History {
            created_by: Some(command.to_owned()),
            empty_layer: true,
            ..History::default()
        });
        self
    }

    pub fn user(mut self, user: Option<&str>) -> Self {
        self.config.user = user.map(str::to_owned);
        self
    }

    pub fn entrypoint(mut self, argv: &[&str]) -> Self {
        self.config.entrypoint = Some(argv.iter().map(|s| (*s).to_owned()).collect());
        self
    }

    pub fn env(mut self, entry: &str) -> Self {
        self.config.env.push(entry.to_owned());
        self
    }

    pub fn label(mut self, key: &str, value: &str) -> Self {
        self.config.labels.insert(key.to_owned(), value.to_owned());
        self
    }

    pub fn volume(mut self, path: &str) -> Self {
        self.config.volumes.insert(path.to_owned(), EmptyObject {});
        self
    }

    pub fn annotation(mut self, key: &str, value: &str) -> Self {
        self.annotations.insert(key.to_owned(), value.to_owned());
        self
    }

    pub fn tag(mut self, tag: Option<&str>) -> Self {
        self.tag = tag.map(str::to_owned);
        self
    }

    pub fn referrer(
        mut self,
        artifact_type: &str,
        blob_media_type: &str,
        annotations: &[(&str, &str)],
    ) -> Self {
        let annotations = annotations
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        self.referrers
            .push((artifact_type.to_owned(), blob_media_type.to_owned(), annotations));
        self
    }

    fn image_config(&self, diff_ids: Vec<buckle_digest::Sha256>) -> ImageConfig {
        let mut history: Vec<History> = self
            .created_by
            .iter()
            .map(|c| History {
                created_by: Some(c.clone()),
                ..History::default()
            })
            .collect();
        history.extend(self.extra_history.clone());
        ImageConfig {
            architecture: "amd64".into(),
            os: "linux".into(),
            config: Some(self.config.clone()),
            rootfs: RootFs::layers(diff_ids),
            history,
            ..ImageConfig::default()
        }
    }

    /// Writes the image as an OCI layout at `target`; returns the manifest descriptor.
    pub fn write_layout(&self, target: &Path) -> Descriptor {
        let writer = LayoutWriter::create(target).unwrap();
        let mut layers = Vec::new();
        let mut diff_ids = Vec::new();
        for entries in &self.layers {
            let mut layer = writer.layer_writer(Compression::Gzip, 0).unwrap();
            for (entry, content) in entries {
                layer.append(entry, content.as_slice()).unwrap();
            }
            let (descriptor, digests) = writer.commit_layer(layer).unwrap();
            layers.push(descriptor);
            diff_ids.push(digests.diff_id);
        }
        let config = writer.put_config(&self.image_config(diff_ids)).unwrap();
        let mut manifest = ImageManifest::new(config, layers);
        manifest.annotations = self.annotations.clone();
        let mut descriptor = writer.put_manifest(&manifest).unwrap();
        if let Some(tag) = &self.tag {
            descriptor = descriptor.with_annotation(annotation::REF_NAME, tag);
        }
        let mut manifests = vec![descriptor.clone()];
        for (artifact_type, blob_type, annotations) in &self.referrers {
            let blob = writer.put_blob(blob_type, b"{}").unwrap();
            let mut artifact = ImageManifest::artifact(artifact_type, vec![blob], descriptor.clone());
            artifact.annotations = annotations.clone();
            manifests.push(writer.put_manifest(&artifact).unwrap());
        }
        writer.finish(&ImageIndex::new(manifests)).unwrap();
        descriptor
    }

    /// Writes the image as a docker archive at `target`, tagged `repo:tag`.
    pub fn write_docker_archive(&self, target: &Path) {
        let mut tars = Vec::new();
        let mut diff_ids = Vec::new();
        for entries in &self.layers {
            let mut layer = LayerWriter::new(Vec::new(), Compression::None, 0).unwrap();
            for (entry, content) in entries {
                layer.append(entry, content.as_slice()).unwrap();
            }
            let (digests, bytes) = layer.finish().unwrap();
            diff_ids.push(digests.diff_id);
            tars.push((digests.diff_id, bytes));
        }
        let config = buckle_oci::canonical_json(&self.image_config(diff_ids)).unwrap();
        let mut writer = buckle_oci::docker_archive::DockerArchiveWriter::create(target, 0).unwrap();
        for (diff_id, bytes) in tars {
            writer
                .add_layer(diff_id, bytes.len() as u64, bytes.as_slice())
                .unwrap();
        }
        let tags: Vec<String> = self.tag.iter().map(|t| format!("example/app:{t}")).collect();
        writer.finish(&config, &tags).unwrap();
    }

    /// Writes the layout into a temporary directory and reads it back as a view.
    pub fn view(&self) -> ImageView {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("image");
        self.write_layout(&path);
        view_of_layout(&path).unwrap()
    }

    /// The view checked under the default policy.
    pub fn report(&self) -> Report {
        check(&self.view(), &Policy::default())
    }
}

/// What the CLI does for an OCI layout: open the image, find its attachments, read it.
pub fn view_of_layout(path: &Path) -> buckle_check::Result<ImageView> {
    view_of_selected(path, &Selector::default())
}

/// [`view_of_layout`] for the image tagged `tag`.
pub fn view_of_layout_tag(path: &Path, tag: &str) -> buckle_check::Result<ImageView> {
    let selector = Selector {
        ref_name: Some(tag.to_owned()),
        platform: None,
    };
    view_of_selected(path, &selector)
}

fn view_of_selected(path: &Path, selector: &Selector) -> buckle_check::Result<ImageView> {
    let image = open_image(path, selector).map_err(|source| buckle_check::Error::Image {
        image: path.display().to_string(),
        what: "the manifest".into(),
        source: Box::new(source),
    })?;
    let layout = Layout::open(path).unwrap();
    let attachments = Attachments::from_layout(&layout, &image)?;
    ImageView::from_oci(&image, attachments)
}

/// What the CLI does for a docker archive.
pub fn view_of_archive(path: &Path) -> ImageView {
    let image = open_image(path, &Selector::default()).unwrap();
    ImageView::from_oci(&image, Attachments::docker_archive()).unwrap()
}

/// The finding for `rule`.
pub fn finding<'a>(report: &'a Report, rule: &str) -> &'a Finding {
    report
        .findings
        .iter()
        .find(|f| f.rule == rule)
        .unwrap_or_else(|| panic!("no finding for {rule}"))
}
