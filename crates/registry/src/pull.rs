//! Pulling into an OCI layout: the image (every platform), what refers to it (the
//! referrers API, else the referrers tag), and cosign's tags about it. Every blob is
//! checked against its digest before it is renamed into place, and the layout is
//! written beside the target and renamed at the end: a failed pull writes nothing.

use crate::client::Registry;
use crate::error::{Error, Result};
use crate::graph::{Document, Graph};
use crate::reference::Reference;
use crate::referrers::{cosign_tag, ReferrersSource, COSIGN_SUFFIXES};
use crate::reporter::{BlobOutcome, Reporter};
use crate::transfer::for_each_parallel;
use buckle_digest::Sha256;
use buckle_oci::layout::LayoutWriter;
use buckle_oci::{annotation, BlobWriter, Descriptor, ImageIndex};
use serde::Serialize;
use std::path::Path;

/// How many levels of referrers of referrers are followed.
const MAX_REFERRER_DEPTH: usize = 3;

/// What to pull besides the image.
#[derive(Debug, Clone, Copy)]
pub struct PullOptions {
    /// Referrers and cosign tags too.
    pub attachments: bool,
}

impl Default for PullOptions {
    fn default() -> Self {
        PullOptions { attachments: true }
    }
}

/// What a pull did.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PullReport {
    /// The image's digest (`sha256:<hex>`).
    pub digest: String,
    /// The image's media type.
    pub media_type: String,
    /// The tag it is listed under in the layout, if any.
    pub tag: Option<String>,
    /// Blobs received and verified.
    pub blobs: usize,
    /// Their bytes.
    pub bytes: u64,
    /// Manifests and indexes received and verified.
    pub manifests: usize,
    /// Referrers found, by digest.
    pub referrers: Vec<String>,
    /// How referrers were found (`api` or `tagSchema`), when looked for.
    pub referrers_source: Option<String>,
    /// Cosign tags found.
    pub cosign_tags: Vec<String>,
}

/// Pulls `source` into a new OCI layout at `target`.
pub fn pull(
    registry: &Registry,
    source: &Reference,
    target: &Path,
    options: PullOptions,
    reporter: &dyn Reporter,
) -> Result<PullReport> {
    pull_reusing(registry, source, target, options, None, reporter)
}

/// [`pull`], taking each blob that the layout at `reuse` already holds from there
/// instead of the registry (verified against its digest like a download; one that
/// does not match is downloaded).
pub(crate) fn pull_reusing(
    registry: &Registry,
    source: &Reference,
    target: &Path,
    options: PullOptions,
    reuse: Option<&Path>,
    reporter: &dyn Reporter,
) -> Result<PullReport> {
    let repository = source.repository.as_str();
    let root = registry
        .manifest(repository, &source.manifest_reference())?
        .ok_or_else(|| Error::ManifestNotFound {
            reference: source.to_string(),
        })?;
    let mut fetch = |d: &Descriptor| fetch_document(registry, repository, d);
    let mut graph = Graph::default();
    let root_descriptor = root.descriptor.clone();
    graph.add(
        Document {
            descriptor: root.descriptor,
            bytes: root.bytes,
        },
        &mut fetch,
    )?;
    let tag = source.tag.clone().filter(|_| source.digest.is_none());
    let mut report = PullReport {
        digest: root_descriptor.digest.oci(),
        media_type: root_descriptor.media_type.clone(),
        tag: tag.clone(),
        ..PullReport::default()
    };
    let mut entries = vec![match &tag {
        Some(tag) => root_descriptor
            .clone()
            .with_annotation(annotation::REF_NAME, tag.as_str()),
        None => root_descriptor.clone(),
    }];
    if options.attachments {
        entries.extend(attachments(
            registry,
            repository,
            &mut graph,
            &mut fetch,
            &mut report,
        )?);
    }

    let layout = LayoutWriter::create(target)?;
    for document in &graph.documents {
        layout.put_blob(&document.descriptor.media_type, &document.bytes)?;
    }
    report.manifests = graph.documents.len();
    fetch_blobs(registry, repository, &graph, &layout, reuse, reporter)?;
    report.blobs = graph.blobs.len();
    report.bytes = graph.blob_bytes();
    layout.finish(&ImageIndex::new(entries))?;
    tracing::info!(source = %source, digest = %report.digest, blobs = report.blobs, "pulled");
    Ok(report)
}

fn fetch_document(registry: &Registry, repository: &str, descriptor: &Descriptor) -> Result<Vec<u8>> {
    let found = registry
        .manifest(repository, &descriptor.digest.oci())?
        .ok_or_else(|| Error::ManifestNotFound {
            reference: format!("{}/{repository}@{}", registry.host(), descriptor.digest.oci()),
        })?;
    Ok(found.bytes)
}

/// Adds referrers (and theirs, a few levels down) and cosign-tagged manifests to the
/// graph; returns their index.json entries.
fn attachments(
    registry: &Registry,
    repository: &str,
    graph: &mut Graph,
    fetch: &mut dyn FnMut(&Descriptor) -> Result<Vec<u8>>,
    report: &mut PullReport,
) -> Result<Vec<Descriptor>> {
    let mut entries = Vec::new();
    let image: Vec<Sha256> = graph.documents.iter().map(|d| d.descriptor.digest).collect();
    let mut subjects = image.clone();
    for _ in 0..MAX_REFERRER_DEPTH {
        let mut next = Vec::new();
        for subject in &subjects {
            let (found, source) = registry.referrers(repository, subject)?;
            report.referrers_source = Some(
                match source {
                    ReferrersSource::Api => "api",
                    ReferrersSource::TagSchema => "tagSchema",
                }
                .to_owned(),
            );
            for descriptor in found {
                if graph.contains(&descriptor.digest) {
                    continue;
                }
                let bytes = fetch(&descriptor)?;
                let document = Document {
                    descriptor: Descriptor::new(
                        descriptor.media_type.clone(),
                        descriptor.digest,
                        bytes.len() as u64,
                    ),
                    bytes,
                };
                graph.add(document, fetch)?;
                report.referrers.push(descriptor.digest.oci());
                next.push(descriptor.digest);
                entries.push(descriptor);
            }
        }
        subjects = next;
    }
    for digest in &image {
        for suffix in COSIGN_SUFFIXES {
            let tag = cosign_tag(digest, suffix);
            let Some(found) = registry.manifest(repository, &tag)? else {
                continue;
            };
            let entry = found
                .descriptor
                .clone()
                .with_annotation(annotation::REF_NAME, tag.as_str());
            graph.add(
                Document {
                    descriptor: found.descriptor,
                    bytes: found.bytes,
                },
                fetch,
            )?;
            report.cosign_tags.push(tag);
            entries.push(entry);
        }
    }
    Ok(entries)
}

/// Copies `blob` from the layout at `reuse` when it is there and matches its digest.
fn reuse_blob(reuse: Option<&Path>, blob: &Descriptor, layout: &LayoutWriter) -> bool {
    let Some(path) = reuse.map(|dir| dir.join("blobs").join("sha256").join(blob.digest.hex())) else {
        return false;
    };
    let Ok(mut file) = std::fs::File::open(&path) else {
        return false;
    };
    let copied = layout.blob_writer().and_then(|mut writer| {
        std::io::copy(&mut file, &mut writer).map_err(|source| buckle_oci::Error::Read {
            path: path.clone(),
            source,
        })?;
        writer.commit_expecting(&blob.digest, blob.size)
    });
    match copied {
        Ok(()) => true,
        Err(error) => {
            tracing::debug!(%error, digest = %blob.digest.oci(), "cached blob not reused");
            false
        }
    }
}

fn fetch_blobs(
    registry: &Registry,
    repository: &str,
    graph: &Graph,
    layout: &LayoutWriter,
    reuse: Option<&Path>,
    reporter: &dyn Reporter,
) -> Result<()> {
    let blobs: Vec<&Descriptor> = graph.blobs.values().collect();
    reporter.on_plan(blobs.len(), graph.blob_bytes());
    for_each_parallel(&blobs, registry.options.jobs, |blob| {
        if reuse_blob(reuse, blob, layout) {
            reporter.on_blob(&blob.digest, blob.size, BlobOutcome::Skipped);
            return Ok(());
        }
        let mut sink = BlobSink {
            layout,
            writer: Some(layout.blob_writer()?),
            expected: blob.size,
            written: 0,
        };
        registry
            .fetch_blob(repository, &blob.digest, &mut sink, reporter)
            .map_err(|e| match e {
                Error::Http(buckle_http::Error::Sink { source, .. })
                    if source.kind() == std::io::ErrorKind::FileTooLarge =>
                {
                    Error::BlobDigest {
                        repository: format!("{}/{repository}", registry.host()),
                        digest: blob.digest.oci(),
                        reason: format!("it sent more than the {} bytes its descriptor gives", blob.size),
                    }
                }
                other => other,
            })?;
        let writer = sink
            .writer
            .take()
            .ok_or_else(|| Error::Internal("blob writer lost".to_owned()))?;
        writer
            .commit_expecting(&blob.digest, blob.size)
            .map_err(|e| match e {
                buckle_oci::Error::BlobDigest { actual, .. } => Error::BlobDigest {
                    repository: format!("{}/{repository}", registry.host()),
                    digest: blob.digest.oci(),
                    reason: format!("expected {}, found {}", blob.digest.oci(), actual.oci()),
                },
                buckle_oci::Error::BlobSize { expected, actual, .. } => Error::BlobDigest {
                    repository: format!("{}/{repository}", registry.host()),
                    digest: blob.digest.oci(),
                    reason: format!("expected {expected} bytes, found {actual}"),
                },
                other => Error::Oci(other),
            })?;
        reporter.on_blob(&blob.digest, blob.size, BlobOutcome::Downloaded);
        Ok(())
    })
}

/// A blob being received: a retry starts a new temporary file. It refuses a byte past
/// the size the descriptor gives, so that an endless body stops there.
struct BlobSink<'a> {
    layout: &'a LayoutWriter,
    writer: Option<BlobWriter>,
    expected: u64,
    written: u64,
}

impl std::io::Write for BlobSink<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.written + buf.len() as u64 > self.expected {
            return Err(std::io::ErrorKind::FileTooLarge.into());
        }
        let n = match &mut self.writer {
            Some(writer) => writer.write(buf)?,
            None => return Err(std::io::Error::other("blob writer closed")),
        };
        self.written += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.writer {
            Some(writer) => writer.flush(),
            None => Ok(()),
        }
    }
}

impl buckle_http::Sink for BlobSink<'_> {
    fn restart(&mut self) -> std::io::Result<()> {
        self.writer = None;
        self.written = 0;
        self.writer = Some(self.layout.blob_writer().map_err(std::io::Error::other)?);
        Ok(())
    }
}
