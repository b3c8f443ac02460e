//! An [`ImageView`] read from a `buckle-oci` [`Image`] (OCI layout or docker archive).

use super::{Attachments, FileView, ImageView, LayerView};
use crate::error::{Error, Result};
use crate::pem;
use buckle_oci::tar::{EntryKind, Reader, Whiteout};
use buckle_oci::{History, Image, RelPath};
use std::collections::BTreeMap;
use std::io::{self, Read};

/// Bytes of every regular file kept as its head (ELF magic, `#!` line).
pub const HEAD_BYTES: usize = 256;
/// Files up to this size are read whole and searched for PEM private keys: 1 MiB.
pub const MAX_SCANNED_CONTENT: u64 = 1 << 20;
/// Files [`keeps_content`] names are kept up to this size: 32 MiB.
pub const MAX_KEPT_CONTENT: u64 = 32 << 20;

/// Progress of [`ImageView::from_oci_with`]; every method has a no-op default.
pub trait Reporter {
    /// Layer `index` of `layers` (`size` bytes as stored) is about to be read.
    fn on_layer(&self, index: usize, layers: usize, size: u64) {
        let _ = (index, layers, size);
    }

    /// The layers are read again, to merge the final file system.
    fn on_merge(&self) {}
}

/// A [`Reporter`] that reports nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoReporter;

impl Reporter for NoReporter {}

/// Whether the rules read the whole content of the file at `path`: the account files,
/// the dpkg and apk databases, Python's installed-package records (`*.dist-info/RECORD`),
/// nginx's main configuration and Debian's PHP-FPM configuration
/// (`etc/php/<version>/fpm/php-fpm.conf` and its `pool.d/*.conf`).
pub fn keeps_content(path: &RelPath) -> bool {
    let p = path.as_str();
    matches!(
        p,
        "etc/passwd" | "etc/group" | "var/lib/dpkg/status" | "lib/apk/db/installed" | "etc/nginx/nginx.conf"
    ) || p.starts_with("var/lib/dpkg/status.d/")
        || (p.starts_with("var/lib/dpkg/info/") && (p.ends_with(".md5sums") || p.ends_with(".list")))
        || p.ends_with(".dist-info/RECORD")
        || (p.starts_with("etc/php/")
            && (p.ends_with("/fpm/php-fpm.conf") || (p.contains("/fpm/pool.d/") && p.ends_with(".conf"))))
}

impl ImageView {
    /// Reads `image`: each layer once for its entries (and the heads and contents the
    /// rules need), then the final file system through [`Image::merged_files`], which
    /// applies the whiteouts. Every layer is checked against its digest and diff_id
    /// on the way; a damaged image is an [`Error::Image`] that names the broken link.
    ///
    /// `attachments` comes from [`Attachments::from_layout`] for an OCI layout, or is
    /// [`Attachments::docker_archive`] for a docker archive.
    pub fn from_oci(image: &Image, attachments: Attachments) -> Result<ImageView> {
        Self::from_oci_with(image, attachments, &NoReporter)
    }

    /// [`ImageView::from_oci`], telling `reporter` how far it got.
    #[tracing::instrument(skip_all, fields(image = %image.path().display()))]
    pub fn from_oci_with(
        image: &Image,
        attachments: Attachments,
        reporter: &dyn Reporter,
    ) -> Result<ImageView> {
        let name = image.path().display().to_string();
        let image_err = |what: String| {
            let name = name.clone();
            move |source| Error::Image {
                image: name,
                what,
                source: Box::new(unwrap_io(source)),
            }
        };
        let mut history = layer_history(&image.config().history);
        let mut layers = Vec::with_capacity(image.layers().len());
        let count = image.layers().len();
        for (index, layer) in image.layers().iter().enumerate() {
            reporter.on_layer(index, count, layer.descriptor.size);
            let (files, whiteouts) = read_layer(image, index).map_err(image_err(format!("layer {index}")))?;
            layers.push(LayerView {
                diff_id: layer.diff_id,
                size: layer.descriptor.size,
                history: history.next().flatten(),
                files,
                whiteouts,
            });
        }
        reporter.on_merge();
        let merged = image
            .merged_files(|_| false)
            .map_err(image_err("the merged file system".to_owned()))?;
        let files = merged
            .into_iter()
            .map(|(path, merged)| {
                let view = layers
                    .get(merged.layer)
                    .and_then(|layer| layer.files.iter().rev().find(|f| f.entry.path == path))
                    .cloned()
                    .unwrap_or_else(|| FileView::new(merged.entry, merged.layer));
                (path, view)
            })
            .collect();
        let mut annotations = image.manifest().annotations.clone();
        annotations.extend(image.manifest_descriptor().annotations.clone());
        tracing::info!(layers = layers.len(), "image read for checking");
        Ok(ImageView {
            tags: image.ref_name().map(str::to_owned).into_iter().collect(),
            config: image.config().clone(),
            annotations,
            layers,
            files,
            attachments,
        })
    }
}

/// The history entries that made layers, in order (`empty_layer` ones skipped).
fn layer_history(history: &[History]) -> impl Iterator<Item = Option<History>> + '_ {
    history
        .iter()
        .filter(|h| !h.empty_layer)
        .cloned()
        .map(Some)
        .chain(std::iter::repeat(None))
}

fn read_layer(image: &Image, index: usize) -> buckle_oci::Result<(Vec<FileView>, Vec<Whiteout>)> {
    let mut reader = Reader::new(image.open_layer(index)?);
    let mut files: Vec<FileView> = Vec::new();
    let mut whiteouts = Vec::new();
    let mut by_path: BTreeMap<RelPath, usize> = BTreeMap::new();
    for (index_in_tar, item) in reader.entries()?.enumerate() {
        let (entry, mut content) = item?;
        if let Some(whiteout) = Whiteout::of(&entry.path) {
            whiteouts.push(whiteout);
            continue;
        }
        let mut file = FileView::new(entry, index);
        match &file.entry.kind {
            EntryKind::File { size } => {
                let (head, kept) = read_content(&file.entry.path, *size, &mut content).map_err(|source| {
                    buckle_oci::Error::TarRead {
                        index: index_in_tar as u64,
                        source,
                    }
                })?;
                file.head = head;
                file.content = kept;
            }
            EntryKind::Hardlink { target } => {
                if let Some(linked) = by_path.get(target).and_then(|&i| files.get(i)) {
                    file.head = linked.head.clone();
                    file.content = linked.content.clone();
                }
            }
            _ => {}
        }
        by_path.insert(file.entry.path.clone(), files.len());
        files.push(file);
    }
    reader.finish()?;
    Ok((files, whiteouts))
}

/// The head of a file, and its whole content when the rules want it: a file
/// [`keeps_content`] names, or a small file holding a PEM private key.
fn read_content(
    path: &RelPath,
    size: u64,
    content: &mut impl Read,
) -> io::Result<(Vec<u8>, Option<Vec<u8>>)> {
    let wanted = keeps_content(path) && size <= MAX_KEPT_CONTENT;
    if !wanted && size > MAX_SCANNED_CONTENT {
        let mut head = Vec::with_capacity(HEAD_BYTES);
        content.take(HEAD_BYTES as u64).read_to_end(&mut head)?;
        return Ok((head, None));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    content.read_to_end(&mut bytes)?;
    let head = bytes.iter().take(HEAD_BYTES).copied().collect();
    let keep = wanted || pem::private_key_label(&bytes).is_some();
    Ok((head, keep.then_some(bytes)))
}

/// Takes a `buckle-oci` error out of the I/O error that carries it (a digest mismatch
/// surfaces as the read error of the verifying stream).
fn unwrap_io(err: buckle_oci::Error) -> buckle_oci::Error {
    match err {
        buckle_oci::Error::TarRead { index, source } => {
            take_oci(source, |source| buckle_oci::Error::TarRead { index, source })
        }
        buckle_oci::Error::TarTrailer { source } => {
            take_oci(source, |source| buckle_oci::Error::TarTrailer { source })
        }
        other => other,
    }
}

/// The `buckle-oci` error inside `source`, or else `source` put back with `wrap`.
fn take_oci(source: io::Error, wrap: impl FnOnce(io::Error) -> buckle_oci::Error) -> buckle_oci::Error {
    if !source
        .get_ref()
        .is_some_and(|inner| inner.is::<buckle_oci::Error>())
    {
        return wrap(source);
    }
    let kind = source.kind();
    match source
        .into_inner()
        .map(|inner| inner.downcast::<buckle_oci::Error>())
    {
        Some(Ok(ours)) => *ours,
        Some(Err(other)) => wrap(io::Error::new(kind, other)),
        None => wrap(io::Error::from(kind)),
    }
}
