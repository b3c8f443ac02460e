//! What an image is made of, as an SBOM: the dpkg facts found in its layers, plus, for an
//! image buckle built, each .deb's digest and URL from the lock. `buckle sbom` prints
//! it; `buckle build` attaches it to the image as OCI 1.1 referrers.

use crate::files::SpecFile;
use crate::image_view;
use crate::ops::lock::suite_mirrors;
use crate::session::Session;
use anyhow::Context;
use buckle_debian::Arch;
use buckle_oci::layout::Layout;
use buckle_oci::{annotation, Descriptor, Image, ImageManifest};
use buckle_sbom::dpkg::Detail;
use buckle_sbom::{attach_debs, DebOrigin, Format, ImageSubject, SbomInput};
use buckle_spec::{Lock, Variant};

/// Annotation on an attached SBOM naming the format it is in (`spdx-json`).
pub const SBOM_FORMAT_ANNOTATION: &str = "dev.buckle.sbom.format";

/// The SBOM input of `image`: its packages (and files with [`Detail::Files`]), the
/// image as the described root, and the lock's .debs when given. With
/// `use_indexes` the layer indexes a buckle image carries stand in for its layers.
pub fn sbom_input(
    image: &Image,
    name: &str,
    detail: Detail,
    debs: &[DebOrigin],
    use_indexes: bool,
) -> anyhow::Result<SbomInput> {
    let (_, mut found) = image_view::packages_via(image, detail, use_indexes)?;
    let labels = image.config().config.clone().unwrap_or_default().labels;
    let upstream = crate::upstream::from_labels(&labels)?;
    attach_debs(&mut found.packages, debs).context("the lock does not describe this image")?;
    let config = image.config();
    Ok(SbomInput {
        image: ImageSubject {
            name: name.to_owned(),
            digest: image.manifest_digest(),
            created: config.created.clone(),
            architecture: config.architecture.clone(),
            os_release: found.os_release,
        },
        packages: found.packages,
        files: found.files,
        upstream,
        app: found.app,
    })
}

/// The name an SBOM gives an image: its title annotation or label, else `fallback`.
pub fn image_name(image: &Image, fallback: &str) -> String {
    let from_manifest = image.manifest().annotations.get(annotation::TITLE);
    let from_labels = image
        .config()
        .config
        .as_ref()
        .and_then(|c| c.labels.get(annotation::TITLE));
    from_manifest
        .or(from_labels)
        .cloned()
        .unwrap_or_else(|| fallback.to_owned())
}

/// The .debs a lock pins for one architecture and variant, with the URL each was
/// fetched from.
pub fn deb_origins(
    session: &Session,
    spec: &SpecFile,
    lock: &Lock,
    arch: &Arch,
    variant: Variant,
) -> anyhow::Result<Vec<DebOrigin>> {
    let mirrors = suite_mirrors(session, spec)?;
    Ok(lock
        .packages(arch, variant)
        .iter()
        .map(|p| DebOrigin {
            name: p.name.clone(),
            arch: p.architecture.clone(),
            version: p.version.clone(),
            sha256: p.sha256,
            download_location: mirrors.get(&p.suite).map(|m| m.join(p.path.as_str())),
        })
        .collect())
}

/// Attaches one SBOM per format to the image `image` in the layout at its path, as
/// artifact manifests whose `subject` is the image (OCI image spec 1.1). Returns the
/// formats written with the artifact digests.
pub fn attach_sboms(
    layout: &mut Layout,
    image: &Image,
    input: &SbomInput,
) -> anyhow::Result<Vec<(Format, String)>> {
    let mut attached = Vec::new();
    for format in Format::ALL {
        let document = format.write(input)?;
        let blob = layout.put_blob(format.media_type(), &document)?;
        let image_descriptor = image.manifest_descriptor();
        let subject = Descriptor::new(
            image_descriptor.media_type.clone(),
            image_descriptor.digest,
            image_descriptor.size,
        );
        let manifest = ImageManifest::artifact(format.media_type(), vec![blob], subject);
        let descriptor = layout.add_manifest(&manifest, &[(SBOM_FORMAT_ANNOTATION, format.name())])?;
        attached.push((format, descriptor.digest.oci()));
    }
    Ok(attached)
}
