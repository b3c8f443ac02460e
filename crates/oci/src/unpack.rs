//! Unpacks an image's layers into a directory, applying whiteouts, as a container
//! runtime's root filesystem.
//!
//! Every path is resolved inside the target: a symlink in the image, even an absolute
//! one, is followed as if the target were `/`, so no entry can write outside it.
//! Device nodes and FIFOs are skipped (an unprivileged runtime could not create them).

use crate::blob::from_io;
use crate::image::Image;
use crate::tar::{Entry, EntryKind, Reader, Whiteout};
use crate::{Error, RelPath, Result};
use std::io;
use std::os::unix::fs::{lchown, PermissionsExt};
use std::path::{Path, PathBuf};

/// How many symlinks one path may pass through before it is refused (as Linux does).
const MAX_SYMLINKS: usize = 40;

/// Writes the final filesystem of `image` into `target`, which must be an empty or
/// missing directory. Ownership is applied when running as root.
pub fn unpack(image: &Image, target: &Path) -> Result<()> {
    std::fs::create_dir_all(target).map_err(|source| write_error(target, source))?;
    for index in 0..image.layers().len() {
        let mut reader = Reader::new(image.open_layer(index)?);
        for item in reader.entries()? {
            let (entry, mut content) = item?;
            match Whiteout::of(&entry.path) {
                Some(Whiteout::Remove(path)) => remove(&resolve(target, &path)?)?,
                Some(Whiteout::Opaque(dir)) => empty_dir(&resolve(target, &dir)?)?,
                None => write_entry(target, &entry, &mut content)?,
            }
        }
        reader.finish().map_err(|e| match e {
            Error::TarTrailer { source } => from_io(image.path(), source),
            other => other,
        })?;
    }
    Ok(())
}

fn write_entry(root: &Path, entry: &Entry, content: &mut impl io::Read) -> Result<()> {
    let path = resolve_parent(root, &entry.path)?;
    let existing = std::fs::symlink_metadata(&path).ok();
    let keeps_dir =
        matches!(entry.kind, EntryKind::Directory) && existing.as_ref().is_some_and(|m| m.is_dir());
    if existing.is_some() && !keeps_dir {
        remove(&path)?;
    }
    let result = match &entry.kind {
        EntryKind::Directory if keeps_dir => Ok(()),
        EntryKind::Directory => std::fs::create_dir(&path),
        EntryKind::File { .. } => {
            std::fs::File::create(&path).and_then(|mut file| io::copy(content, &mut file).map(drop))
        }
        EntryKind::Symlink { target } => std::os::unix::fs::symlink(target, &path),
        EntryKind::Hardlink { target } => std::fs::hard_link(resolve(root, target)?, &path),
        EntryKind::CharDevice | EntryKind::BlockDevice | EntryKind::Fifo => {
            tracing::warn!(path = %entry.path, kind = entry.kind.name(), "skipped: cannot create it unprivileged");
            return Ok(());
        }
    };
    result.map_err(|source| write_error(&path, source))?;
    // Unprivileged, the files stay ours; a rootless runtime maps them to root.
    match lchown(&path, Some(entry.uid), Some(entry.gid)) {
        Err(err) if err.kind() != io::ErrorKind::PermissionDenied => return Err(write_error(&path, err)),
        _ => {}
    }
    if !matches!(entry.kind, EntryKind::Symlink { .. } | EntryKind::Hardlink { .. }) {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(entry.mode & 0o7777))
            .map_err(|source| write_error(&path, source))?;
    }
    Ok(())
}

/// The host path of `path`'s parent resolved inside `root` (created when missing, as
/// runtimes do), joined with its file name.
fn resolve_parent(root: &Path, path: &RelPath) -> Result<PathBuf> {
    let parent = match path.parent() {
        Some(parent) => resolve(root, &parent)?,
        None => root.to_owned(),
    };
    std::fs::create_dir_all(&parent).map_err(|source| write_error(&parent, source))?;
    Ok(parent.join(path.file_name().unwrap_or_default()))
}

/// Resolves every component of `path` inside `root`, following symlinks as if `root`
/// were `/`. Missing components are returned as they are.
fn resolve(root: &Path, path: &RelPath) -> Result<PathBuf> {
    let mut pending: Vec<String> = path.components().map(str::to_owned).collect();
    pending.reverse();
    let mut resolved: Vec<String> = Vec::new();
    let mut followed = 0;
    while let Some(component) = pending.pop() {
        match component.as_str() {
            "" | "." => continue,
            ".." => {
                resolved.pop();
                continue;
            }
            _ => {}
        }
        let host = resolved
            .iter()
            .fold(root.to_owned(), |p, c| p.join(c))
            .join(&component);
        let link = std::fs::symlink_metadata(&host)
            .ok()
            .filter(|m| m.file_type().is_symlink());
        if link.is_none() {
            resolved.push(component);
            continue;
        }
        followed += 1;
        if followed > MAX_SYMLINKS {
            return Err(write_error(
                &host,
                io::Error::other("too many levels of symbolic links"),
            ));
        }
        let target = std::fs::read_link(&host).map_err(|source| from_io(&host, source))?;
        let target = target.to_string_lossy().into_owned();
        if target.starts_with('/') {
            resolved.clear();
        }
        pending.extend(target.split('/').rev().map(str::to_owned));
    }
    Ok(resolved.iter().fold(root.to_owned(), |p, c| p.join(c)))
}

fn remove(path: &Path) -> Result<()> {
    let result = match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(err) => Err(err),
    };
    result.map_err(|source| write_error(path, source))
}

fn empty_dir(dir: &Path) -> Result<()> {
    let Ok(children) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for child in children {
        remove(&child.map_err(|source| write_error(dir, source))?.path())?;
    }
    Ok(())
}

fn write_error(path: &Path, source: io::Error) -> Error {
    Error::Write {
        path: path.to_owned(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::LayoutWriter;
    use crate::tar::Compression;
    use crate::{ImageIndex, ImageManifest};

    fn image_with_layers(dir: &Path, layers: &[Vec<(Entry, &[u8])>]) -> Image {
        let target = dir.join("layout");
        let writer = LayoutWriter::create(&target).unwrap();
        let mut descriptors = Vec::new();
        let mut diff_ids = Vec::new();
        for entries in layers {
            let mut layer = writer.layer_writer(Compression::Gzip, 0).unwrap();
            for (entry, content) in entries {
                layer.append(entry, *content).unwrap();
            }
            let (descriptor, digests) = writer.commit_layer(layer).unwrap();
            descriptors.push(descriptor);
            diff_ids.push(digests.diff_id);
        }
        let config = crate::ImageConfig {
            architecture: "amd64".into(),
            os: "linux".into(),
            rootfs: crate::RootFs::layers(diff_ids),
            ..crate::ImageConfig::default()
        };
        let config = writer.put_config(&config).unwrap();
        let manifest = writer
            .put_manifest(&ImageManifest::new(config, descriptors))
            .unwrap();
        writer.finish(&ImageIndex::new(vec![manifest])).unwrap();
        crate::open_image(&target, &Default::default()).unwrap()
    }

    #[test]
    fn absolute_symlink_in_image_cannot_lead_writes_outside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside");
        std::fs::create_dir(&outside).unwrap();
        let evil = vec![
            (
                Entry::symlink("escape".parse().unwrap(), outside.to_str().unwrap()),
                &b""[..],
            ),
            (
                Entry::file("escape/pwned".parse().unwrap(), 0o644, 4),
                &b"evil"[..],
            ),
        ];
        let image = image_with_layers(dir.path(), &[evil]);
        let rootfs = dir.path().join("rootfs");
        unpack(&image, &rootfs).unwrap();
        assert!(!outside.join("pwned").exists(), "a write escaped the root");
        let inside = rootfs.join(outside.strip_prefix("/").unwrap()).join("pwned");
        assert_eq!(std::fs::read(inside).unwrap(), b"evil");
    }

    #[test]
    fn whiteouts_remove_files_from_lower_layers() {
        let dir = tempfile::tempdir().unwrap();
        let lower = vec![
            (Entry::directory("etc".parse().unwrap(), 0o755), &b""[..]),
            (Entry::file("etc/secret".parse().unwrap(), 0o600, 3), &b"key"[..]),
            (Entry::file("etc/keep".parse().unwrap(), 0o644, 2), &b"ok"[..]),
        ];
        let upper = vec![(Entry::file("etc/.wh.secret".parse().unwrap(), 0o644, 0), &b""[..])];
        let image = image_with_layers(dir.path(), &[lower, upper]);
        let rootfs = dir.path().join("rootfs");
        unpack(&image, &rootfs).unwrap();
        assert!(!rootfs.join("etc/secret").exists());
        assert_eq!(std::fs::read(rootfs.join("etc/keep")).unwrap(), b"ok");
        let mode = std::fs::metadata(rootfs.join("etc/keep"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o644);
    }
}
