//! What a deployment needs to know about an image, read from its OCI layout: the
//! digest to pin, the user, the entrypoint, the exposed ports, the writable paths.

use crate::error::{Error, Result};
use buckle_digest::Sha256;
use buckle_oci::layout::Layout;
use buckle_oci::{media_type, Descriptor};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// An image's deployment-relevant facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageFacts {
    /// What the manifests pin: the index digest of a multi-architecture image (so that
    /// every node pulls its own platform), else the manifest digest.
    pub digest: Sha256,
    /// The architectures the image has, sorted.
    pub architectures: Vec<String>,
    /// The numeric uid the image runs as.
    pub uid: u32,
    /// The numeric gid the image runs as.
    pub gid: u32,
    /// The entrypoint.
    pub entrypoint: Vec<String>,
    /// TCP ports from `ExposedPorts`, sorted.
    pub exposed_ports: Vec<u16>,
    /// Paths from `Volumes`: where the image expects to write.
    pub volumes: Vec<String>,
    /// The config's labels.
    pub labels: BTreeMap<String, String>,
}

impl ImageFacts {
    /// Reads the image of the layout `arg` (`DIR`, or `DIR:TAG` when the layout holds
    /// several images).
    pub fn from_layout(arg: &str) -> Result<Self> {
        let (path, selector) = buckle_oci::parse_image_arg(arg);
        let oci = |source| Error::Image {
            path: path.clone(),
            source,
        };
        let layout = Layout::open(&path).map_err(oci)?;
        let wanted =
            |d: &Descriptor| selector.ref_name.is_none() || d.ref_name() == selector.ref_name.as_deref();
        let mut tops: Vec<&Descriptor> = layout
            .index()
            .manifests
            .iter()
            .filter(|d| wanted(d) && d.artifact_type.is_none())
            .filter(|d| media_type::is_index(&d.media_type) || media_type::is_manifest(&d.media_type))
            .collect();
        let mut seen = BTreeSet::new();
        tops.retain(|d| seen.insert(d.digest));
        let images: Vec<_> = layout
            .images()
            .map_err(oci)?
            .into_iter()
            .filter(|image| selector.ref_name.is_none() || image.ref_name == selector.ref_name)
            .collect();
        let top = match (tops.as_slice(), images.first()) {
            ([top], Some(_)) => *top,
            (_, None) => return Err(Error::NoImage { path }),
            _ => {
                return Err(Error::SeveralImages {
                    path,
                    names: tops
                        .iter()
                        .filter_map(|d| d.ref_name().map(str::to_owned))
                        .collect(),
                })
            }
        };
        let first = &images[0];
        let config = layout.read_config(&first.manifest.config).map_err(oci)?;
        let container = config.config.unwrap_or_default();
        let user = container.user.unwrap_or_default();
        let (uid, gid) = numeric_user(&user).ok_or_else(|| Error::User {
            path: path.clone(),
            user: user.clone(),
        })?;
        if uid == 0 {
            return Err(Error::RunsAsRoot { path });
        }
        let exposed_ports = container
            .exposed_ports
            .keys()
            .filter_map(|key| match key.split_once('/') {
                Some((port, "tcp")) => port.parse().ok(),
                None => key.parse().ok(),
                Some(_) => None,
            })
            .collect::<BTreeSet<u16>>()
            .into_iter()
            .collect();
        let architectures: BTreeSet<String> =
            images.iter().map(|i| i.platform.architecture.clone()).collect();
        Ok(ImageFacts {
            digest: top.digest,
            architectures: architectures.into_iter().collect(),
            uid,
            gid,
            entrypoint: container.entrypoint.unwrap_or_default(),
            exposed_ports,
            volumes: container.volumes.into_keys().collect(),
            labels: container.labels,
        })
    }

    /// The name a layout directory suggests for the image (`out/python` -> `python`).
    pub fn name_of(arg: &str) -> Option<String> {
        let (path, _) = buckle_oci::parse_image_arg(arg);
        let path: PathBuf = path;
        Path::new(&path)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
    }
}

/// `uid:gid` or `uid` (gid = uid), both numeric: the kubelet can only check
/// `runAsNonRoot` against a number, so a named user is not accepted.
fn numeric_user(user: &str) -> Option<(u32, u32)> {
    let (uid, gid) = user.split_once(':').unwrap_or((user, user));
    Some((uid.parse().ok()?, gid.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_numeric_users_are_understood() {
        assert_eq!(numeric_user("65532:65532"), Some((65532, 65532)));
        assert_eq!(numeric_user("1000"), Some((1000, 1000)));
        assert_eq!(numeric_user("nonroot"), None);
        assert_eq!(numeric_user(""), None);
        assert_eq!(numeric_user("1000:staff"), None);
    }
}
