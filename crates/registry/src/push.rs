//! Pushing an OCI layout: the image (every platform), then what is attached to it
//! in the layout (manifests whose `subject` is part of the image, and cosign's
//! `sha256-<hex>.sig`/`.att`/`.sbom` tags), then the tags. Blobs the registry has are
//! skipped, manifests it has are not sent again, and a tag that already names the
//! image is not touched, so pushing an unchanged image sends no bytes and moves
//! nothing. Tags go last: an interrupted push leaves no tag naming missing content.

use crate::client::Registry;
use crate::error::{Error, Result};
use crate::graph::{Document, Graph};
use crate::reference::Reference;
use crate::referrers::{cosign_subject, referrer_descriptor};
use crate::reporter::{BlobOutcome, Reporter};
use crate::transfer::for_each_parallel;
use buckle_digest::Sha256;
use buckle_oci::layout::Layout;
use buckle_oci::{media_type, Descriptor, ImageManifest};
use serde::Serialize;
use std::sync::Mutex;

/// What to do besides sending the image.
#[derive(Debug, Clone, Default)]
pub struct PushOptions {
    /// Tags that may be moved to this image.
    pub tags: Vec<String>,
    /// Tags that must never name another image: pushing fails if one does.
    pub immutable_tags: Vec<String>,
    /// A repository on the same registry to mount missing blobs from.
    pub mount_from: Option<String>,
}

/// What a push did.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PushReport {
    /// Where it went.
    pub repository: String,
    /// The image's digest (`sha256:<hex>`).
    pub digest: String,
    /// The image's media type.
    pub media_type: String,
    /// Blobs sent in full.
    pub blobs_uploaded: usize,
    /// Blobs whose interrupted upload was finished.
    pub blobs_resumed: usize,
    /// Blobs the registry had.
    pub blobs_skipped: usize,
    /// Blobs linked from `mount_from`.
    pub blobs_mounted: usize,
    /// Bytes of the blobs sent or finished.
    pub bytes_uploaded: u64,
    /// Of those, bytes an interrupted upload had already stored.
    pub bytes_resumed: u64,
    /// Bytes of the blobs the registry had or mounted.
    pub bytes_skipped: u64,
    /// Manifests and indexes stored.
    pub manifests_pushed: usize,
    /// Manifests and indexes the registry had.
    pub manifests_skipped: usize,
    /// Tags set or moved to the image.
    pub tags_set: Vec<String>,
    /// Tags that already named the image.
    pub tags_unchanged: Vec<String>,
    /// Attached manifests (referrers) sent along, by digest.
    pub referrers: Vec<String>,
    /// Referrers listed in a referrers tag index because the registry has no
    /// referrers API.
    pub referrers_tagged: usize,
    /// Cosign tags carried (`sha256-<hex>.sig`, ...).
    pub cosign_tags: Vec<String>,
}

/// Pushes the image of `layout` named `ref_name` (or its only image) to `target`,
/// with everything attached to it in the layout.
pub fn push(
    registry: &Registry,
    layout: &Layout,
    ref_name: Option<&str>,
    target: &Reference,
    options: &PushOptions,
    reporter: &dyn Reporter,
) -> Result<PushReport> {
    let repository = target.repository.as_str();
    let root = choose_root(layout, ref_name)?;
    let mut fetch = |d: &Descriptor| Ok(layout.read_blob(d)?);
    let mut image = Graph::default();
    let root_bytes = layout.read_blob(&root)?;
    image.add(
        Document {
            descriptor: root.clone(),
            bytes: root_bytes.clone(),
        },
        &mut fetch,
    )?;
    if let Some(digest) = target.digest.filter(|d| *d != root.digest) {
        return Err(Error::ManifestDigest {
            reference: target.to_string(),
            expected: digest.oci(),
            actual: root.digest.oci(),
        });
    }
    let tags = tags_to_set(target, options);
    check_immutable_tags(registry, repository, &options.immutable_tags, &root.digest)?;

    let attached = attachments(layout, &mut image, &mut fetch)?;
    let mut report = PushReport {
        repository: target.repository_name(),
        digest: root.digest.oci(),
        media_type: root.media_type.clone(),
        ..PushReport::default()
    };
    push_blobs(
        registry,
        layout,
        repository,
        &image,
        options,
        reporter,
        &mut report,
    )?;
    let mut api = None;
    for document in &image.documents {
        push_document(registry, repository, document, &mut report)?;
        if attached.referrers.contains(&document.descriptor.digest) {
            report.referrers.push(document.descriptor.digest.oci());
            list_referrer(registry, repository, document, &mut api, &mut report)?;
        }
    }
    for (tag, document) in &attached.cosign {
        set_tag(registry, repository, tag, document, &mut report)?;
        report.cosign_tags.push(tag.clone());
    }
    let root_document = Document {
        descriptor: root,
        bytes: root_bytes,
    };
    for tag in &tags {
        set_tag(registry, repository, tag, &root_document, &mut report)?;
    }
    tracing::info!(target = %target, digest = %report.digest, uploaded = report.blobs_uploaded, skipped = report.blobs_skipped, "pushed");
    Ok(report)
}

/// The floating and immutable tags, the target's own first, without repeats.
fn tags_to_set(target: &Reference, options: &PushOptions) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for tag in target
        .tag
        .iter()
        .chain(&options.immutable_tags)
        .chain(&options.tags)
    {
        if !tags.contains(tag) {
            tags.push(tag.clone());
        }
    }
    tags
}

/// The index.json entry to push: the one tagged `ref_name`, or the only image.
fn choose_root(layout: &Layout, ref_name: Option<&str>) -> Result<Descriptor> {
    let mut candidates: Vec<&Descriptor> = Vec::new();
    for entry in &layout.index().manifests {
        if is_attachment(layout, entry)? {
            continue;
        }
        if ref_name.is_some() && entry.ref_name() != ref_name {
            continue;
        }
        if !candidates.iter().any(|c| c.digest == entry.digest) {
            candidates.push(entry);
        }
    }
    match candidates.as_slice() {
        [one] => Ok(strip_ref_name((*one).clone())),
        [] => Err(Error::Oci(buckle_oci::Error::NoSuchImage {
            path: layout.root().to_owned(),
            wanted: ref_name.map_or("any image".to_owned(), |r| format!("`{r}`")),
        })),
        many => Err(Error::AmbiguousSource {
            path: layout.root().to_owned(),
            candidates: many
                .iter()
                .map(|d| d.ref_name().map_or_else(|| d.digest.oci(), str::to_owned))
                .collect(),
        }),
    }
}

/// The descriptor without the layout's tag annotation.
fn strip_ref_name(mut descriptor: Descriptor) -> Descriptor {
    descriptor.annotations.remove(buckle_oci::annotation::REF_NAME);
    descriptor
}

/// Whether an index.json entry is attached to something (a referrer or a cosign tag)
/// rather than an image of its own.
fn is_attachment(layout: &Layout, entry: &Descriptor) -> Result<bool> {
    if entry.ref_name().and_then(cosign_subject).is_some() || entry.artifact_type.is_some() {
        return Ok(true);
    }
    if !media_type::is_manifest(&entry.media_type) {
        return Ok(false);
    }
    Ok(ImageManifest::from_json(&layout.read_blob(entry)?)?
        .subject
        .is_some())
}

/// What is attached to an image in a layout.
#[derive(Default)]
struct Attachments {
    /// Digests of manifests whose `subject` is in the image.
    referrers: Vec<Sha256>,
    /// Cosign tags about the image's documents, with the tagged document.
    cosign: Vec<(String, Document)>,
}

/// Adds to `image` the layout's manifests whose subject is in it (repeatedly, so a
/// signature on an SBOM comes too) and cosign-tagged manifests about its documents.
fn attachments(
    layout: &Layout,
    image: &mut Graph,
    fetch: &mut dyn FnMut(&Descriptor) -> Result<Vec<u8>>,
) -> Result<Attachments> {
    let mut found = Attachments::default();
    loop {
        let mut added = false;
        for entry in &layout.index().manifests {
            if image.contains(&entry.digest) {
                continue;
            }
            let document = Document {
                descriptor: strip_ref_name(entry.clone()),
                bytes: layout.read_blob(entry)?,
            };
            let tagged = entry
                .ref_name()
                .and_then(|tag| cosign_subject(tag).map(|d| (tag, d)));
            if let Some((tag, about)) = tagged {
                if image.contains(&about) {
                    found.cosign.push((tag.to_owned(), document.clone()));
                    image.add(document, fetch)?;
                    added = true;
                }
            } else if document.subject().is_some_and(|s| image.contains(&s.digest)) {
                found.referrers.push(entry.digest);
                image.add(document, fetch)?;
                added = true;
            }
        }
        if !added {
            return Ok(found);
        }
    }
}

fn check_immutable_tags(
    registry: &Registry,
    repository: &str,
    tags: &[String],
    digest: &Sha256,
) -> Result<()> {
    for tag in tags {
        let existing = registry
            .manifest_head(repository, tag)?
            .and_then(|head| head.digest);
        if let Some(existing) = existing.filter(|e| e != digest) {
            return Err(Error::ImmutableTag {
                repository: format!("{}/{repository}", registry.host()),
                tag: tag.clone(),
                existing,
                new: *digest,
            });
        }
    }
    Ok(())
}

fn push_blobs(
    registry: &Registry,
    layout: &Layout,
    repository: &str,
    graph: &Graph,
    options: &PushOptions,
    reporter: &dyn Reporter,
    report: &mut PushReport,
) -> Result<()> {
    let blobs: Vec<&Descriptor> = graph.blobs.values().collect();
    reporter.on_plan(blobs.len(), graph.blob_bytes());
    let outcomes = Mutex::new(Vec::new());
    for_each_parallel(&blobs, registry.options.jobs, |blob| {
        let outcome = if registry.blob_exists(repository, &blob.digest)? {
            reporter.on_bytes(blob.size);
            BlobOutcome::Skipped
        } else {
            let path = layout.blob_path(&blob.digest);
            registry.upload_blob(
                repository,
                &blob.digest,
                blob.size,
                &path,
                options.mount_from.as_deref(),
                reporter,
            )?
        };
        if outcome == BlobOutcome::Mounted {
            reporter.on_bytes(blob.size);
        }
        reporter.on_blob(&blob.digest, blob.size, outcome);
        outcomes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((outcome, blob.size));
        Ok(())
    })?;
    for (outcome, size) in outcomes.into_inner().unwrap_or_else(|p| p.into_inner()) {
        match outcome {
            BlobOutcome::Uploaded => report.blobs_uploaded += 1,
            BlobOutcome::Resumed { offset } => {
                report.blobs_resumed += 1;
                report.bytes_resumed += offset;
            }
            BlobOutcome::Skipped => report.blobs_skipped += 1,
            BlobOutcome::Mounted => report.blobs_mounted += 1,
            BlobOutcome::Downloaded => {}
        }
        match outcome {
            BlobOutcome::Uploaded | BlobOutcome::Resumed { .. } => report.bytes_uploaded += size,
            _ => report.bytes_skipped += size,
        }
    }
    Ok(())
}

/// Stores a document by digest unless the registry has it.
fn push_document(
    registry: &Registry,
    repository: &str,
    document: &Document,
    report: &mut PushReport,
) -> Result<()> {
    let digest = document.descriptor.digest.oci();
    if registry.manifest_head(repository, &digest)?.is_some() {
        report.manifests_skipped += 1;
        return Ok(());
    }
    registry.put_manifest(
        repository,
        &digest,
        &document.descriptor.media_type,
        &document.bytes,
    )?;
    report.manifests_pushed += 1;
    Ok(())
}

/// Makes a referrer findable: a registry with the referrers API lists it by itself;
/// for one without, it goes into the referrers tag index of its subject.
fn list_referrer(
    registry: &Registry,
    repository: &str,
    document: &Document,
    api: &mut Option<bool>,
    report: &mut PushReport,
) -> Result<()> {
    let Some(subject) = document.subject() else {
        return Ok(());
    };
    let has_api = match *api {
        Some(known) => known,
        None => *api.insert(registry.has_referrers_api(repository, &subject.digest)?),
    };
    if has_api {
        return Ok(());
    }
    let entry = match ImageManifest::from_json(&document.bytes) {
        Ok(manifest) => referrer_descriptor(&document.descriptor, &manifest),
        Err(_) => document.descriptor.clone(),
    };
    if registry.add_to_referrers_tag(repository, &subject.digest, entry)? {
        report.referrers_tagged += 1;
    }
    Ok(())
}

/// Points `tag` at `document` unless it already names it.
fn set_tag(
    registry: &Registry,
    repository: &str,
    tag: &str,
    document: &Document,
    report: &mut PushReport,
) -> Result<()> {
    let current = registry
        .manifest_head(repository, tag)?
        .and_then(|head| head.digest);
    if current == Some(document.descriptor.digest) {
        report.tags_unchanged.push(tag.to_owned());
        return Ok(());
    }
    registry.put_manifest(repository, tag, &document.descriptor.media_type, &document.bytes)?;
    report.tags_set.push(tag.to_owned());
    Ok(())
}
