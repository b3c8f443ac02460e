//! A base image plus the application's layers: the base's blobs copied byte for byte,
//! then one layer per [`AppLayer`] (dependencies, then the application), and a config
//! that runs the application as the non-root user.

use crate::error::{Error, Result};
use crate::tree::AppTree;
use buckle_digest::Sha256;
use buckle_oci::layout::{Layout, LayoutImage, LayoutWriter};
use buckle_oci::tar::Compression;
use buckle_oci::ImageConfig as OciConfig;
use buckle_oci::{annotation, rfc3339_utc, Descriptor, EmptyObject, History, ImageManifest};
use std::collections::BTreeMap;

/// The user every application image runs as: `nonroot`, 65532:65532.
pub const APP_USER: &str = "65532:65532";

/// One layer to put on top of the base.
#[derive(Debug, Clone)]
pub struct AppLayer {
    /// What it holds, for the history: `dependencies`, `application`.
    pub name: String,
    /// Its files.
    pub tree: AppTree,
}

/// How the application runs: what the app spec's `[image]` says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunConfig {
    /// The entrypoint; empty keeps the base's.
    pub entrypoint: Vec<String>,
    /// Default arguments; with an entrypoint given, the base's are dropped.
    pub cmd: Vec<String>,
    /// The working directory; `None` keeps the base's.
    pub workdir: Option<String>,
    /// Variables added to (or replacing) the base's.
    pub env: BTreeMap<String, String>,
    /// TCP ports the application listens on.
    pub ports: Vec<u16>,
    /// Writable paths, declared as volumes (added to the base's).
    pub volumes: Vec<String>,
    /// Manifest annotations replacing the base's (title, description); the
    /// `org.opencontainers.image.*` ones are copied into the labels too.
    pub annotations: BTreeMap<String, String>,
}

/// One layer of the extended image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenLayer {
    /// The base layer's history line, or the [`AppLayer`]'s name.
    pub name: String,
    /// Its descriptor.
    pub descriptor: Descriptor,
    /// sha256 of the uncompressed tar.
    pub diff_id: Sha256,
}

/// What [`extend_image`] wrote.
#[derive(Debug, Clone)]
pub struct ExtendedImage {
    /// The manifest's descriptor, with its platform.
    pub manifest: Descriptor,
    /// The config as written.
    pub config: OciConfig,
    /// Every layer, bottom first: the base's, then the application's.
    pub layers: Vec<WrittenLayer>,
    /// How many of [`ExtendedImage::layers`] are the base's.
    pub base_layers: usize,
}

/// Writes `image` of the layout `base`, extended with `layers` and configured by `run`,
/// into `out` (blobs only; the caller writes the index). Every timestamp is
/// `source_date_epoch`, so the same inputs give the same manifest digest.
pub fn extend_image(
    base: &Layout,
    image: &LayoutImage,
    layers: &[AppLayer],
    run: &RunConfig,
    out: &LayoutWriter,
    compression: Compression,
    source_date_epoch: u64,
) -> Result<ExtendedImage> {
    let base_config = base.read_config(&image.manifest.config)?;
    if base_config.rootfs.diff_ids.len() != image.manifest.layers.len() {
        return Err(Error::BaseImage {
            problem: format!(
                "its config lists {} layers, its manifest {}",
                base_config.rootfs.diff_ids.len(),
                image.manifest.layers.len()
            ),
        });
    }
    let base_history: Vec<&History> = base_config.history.iter().filter(|h| !h.empty_layer).collect();
    let mut written = Vec::new();
    for (i, (descriptor, diff_id)) in image
        .manifest
        .layers
        .iter()
        .zip(&base_config.rootfs.diff_ids)
        .enumerate()
    {
        let copied = out.put_blob_reader(&descriptor.media_type, base.open_blob(descriptor)?)?;
        let name = base_history
            .get(i)
            .and_then(|h| h.created_by.clone())
            .unwrap_or_else(|| format!("base layer {}", i + 1));
        written.push(WrittenLayer {
            name,
            descriptor: Descriptor {
                annotations: descriptor.annotations.clone(),
                ..copied
            },
            diff_id: *diff_id,
        });
    }
    let base_layers = written.len();
    for layer in layers {
        let mut writer = out.layer_writer(compression, source_date_epoch)?;
        layer.tree.append_all(&mut writer)?;
        let (descriptor, digests) = out.commit_layer(writer)?;
        written.push(WrittenLayer {
            name: format!("buckle: {} layer", layer.name),
            descriptor,
            diff_id: digests.diff_id,
        });
    }
    let config = app_config(base_config, &written, base_layers, run, source_date_epoch);
    let config_descriptor = out.put_config(&config)?;
    let mut manifest = ImageManifest::new(
        config_descriptor,
        written.iter().map(|l| l.descriptor.clone()).collect(),
    );
    manifest.annotations = image.manifest.annotations.clone();
    manifest.annotations.extend(run.annotations.clone());
    manifest
        .annotations
        .insert(annotation::CREATED.to_owned(), rfc3339_utc(source_date_epoch));
    let descriptor = out.put_manifest(&manifest)?.with_platform(image.platform.clone());
    Ok(ExtendedImage {
        manifest: descriptor,
        config,
        layers: written,
        base_layers,
    })
}

fn app_config(
    mut config: OciConfig,
    layers: &[WrittenLayer],
    base_layers: usize,
    run: &RunConfig,
    source_date_epoch: u64,
) -> OciConfig {
    let created = rfc3339_utc(source_date_epoch);
    let mut container = config.config.take().unwrap_or_default();
    container.user = Some(APP_USER.to_owned());
    if !run.entrypoint.is_empty() {
        container.entrypoint = Some(run.entrypoint.clone());
        container.cmd = None;
    }
    if !run.cmd.is_empty() {
        container.cmd = Some(run.cmd.clone());
    }
    if let Some(workdir) = &run.workdir {
        container.working_dir = Some(workdir.clone());
    }
    let mut env: Vec<String> = container
        .env
        .into_iter()
        .filter(|entry| {
            let name = entry.split_once('=').map_or(entry.as_str(), |(name, _)| name);
            !run.env.contains_key(name)
        })
        .collect();
    env.extend(run.env.iter().map(|(k, v)| format!("{k}={v}")));
    env.sort();
    container.env = env;
    for port in &run.ports {
        container
            .exposed_ports
            .insert(format!("{port}/tcp"), EmptyObject {});
    }
    for volume in &run.volumes {
        container.volumes.insert(volume.clone(), EmptyObject {});
    }
    for (key, value) in &run.annotations {
        if key.starts_with("org.opencontainers.image.") {
            container.labels.insert(key.clone(), value.clone());
        }
    }
    container
        .labels
        .insert(annotation::CREATED.to_owned(), created.clone());
    config.config = Some(container);
    config.created = Some(created.clone());
    config.rootfs.diff_ids = layers.iter().map(|l| l.diff_id).collect();
    config
        .history
        .extend(layers.iter().skip(base_layers).map(|layer| History {
            created: Some(created.clone()),
            created_by: Some(layer.name.clone()),
            ..History::default()
        }));
    config
}

#[cfg(test)]
mod tests;
