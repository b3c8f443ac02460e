//! Output written beside its target under a temporary name, then renamed into place,
//! so that a failure never leaves a partial image behind.

use crate::error::{Error, Result};
use crate::layout::OCI_LAYOUT_FILE;
use std::fs::{self, Permissions};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// What an existing target may be for it to be replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TargetKind {
    /// An OCI layout directory (or an empty directory).
    Layout,
    /// A regular file.
    File,
}

fn parent_and_name(target: &Path) -> Result<(PathBuf, String)> {
    let name = target
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| Error::BadTarget {
            path: target.to_owned(),
            reason: "it has no file name".to_owned(),
        })?;
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    Ok((parent, name.to_owned()))
}

/// The parent directory of `target` (created if missing) and its file name.
fn make_parent(target: &Path) -> Result<(PathBuf, String)> {
    let (parent, name) = parent_and_name(target)?;
    fs::create_dir_all(&parent).map_err(|source| Error::Write {
        path: parent.clone(),
        source,
    })?;
    Ok((parent, name))
}

/// A new directory `.<name>.tmp-XXXXXX` next to `target` (whose parent directories
/// are created), removed when dropped.
pub(crate) fn temp_dir_beside(target: &Path) -> Result<tempfile::TempDir> {
    let (parent, name) = make_parent(target)?;
    let dir = tempfile::Builder::new()
        .prefix(&format!(".{name}.tmp-"))
        .tempdir_in(&parent)
        .map_err(|source| Error::Write {
            path: parent.clone(),
            source,
        })?;
    fs::set_permissions(dir.path(), Permissions::from_mode(0o755)).map_err(|source| Error::Write {
        path: dir.path().to_owned(),
        source,
    })?;
    Ok(dir)
}

/// A new file `.<name>.tmp-XXXXXX` next to `target` (whose parent directories are
/// created), removed when dropped.
pub(crate) fn temp_file_beside(target: &Path) -> Result<tempfile::NamedTempFile> {
    let (parent, name) = make_parent(target)?;
    tempfile::Builder::new()
        .prefix(&format!(".{name}.tmp-"))
        .permissions(Permissions::from_mode(crate::blob::FILE_MODE))
        .tempfile_in(&parent)
        .map_err(|source| Error::Write {
            path: parent.clone(),
            source,
        })
}

/// Whether `target` exists, failing when it exists but is not something of `kind`
/// (so that, say, a home directory is never replaced by an image).
fn check_replaceable(target: &Path, kind: TargetKind) -> Result<bool> {
    let meta = match fs::symlink_metadata(target) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(source) => {
            return Err(Error::Read {
                path: target.to_owned(),
                source,
            })
        }
    };
    let refuse = |reason: &str| {
        Err(Error::BadTarget {
            path: target.to_owned(),
            reason: reason.to_owned(),
        })
    };
    match kind {
        TargetKind::File if meta.is_file() => Ok(true),
        TargetKind::File => refuse("it exists and is not a regular file"),
        TargetKind::Layout if !meta.is_dir() => refuse("it exists and is not a directory"),
        TargetKind::Layout => {
            let empty = fs::read_dir(target)
                .map_err(|source| Error::Read {
                    path: target.to_owned(),
                    source,
                })?
                .next()
                .is_none();
            if empty || target.join(OCI_LAYOUT_FILE).is_file() {
                Ok(true)
            } else {
                refuse("it is a non-empty directory that is not an OCI image layout")
            }
        }
    }
}

fn rename(from: &Path, to: &Path) -> Result<()> {
    fs::rename(from, to).map_err(|source| Error::Rename {
        from: from.to_owned(),
        to: to.to_owned(),
        source,
    })
}

/// Renames the finished temporary directory to `target`. An existing target is moved
/// aside first, put back if the rename fails, and removed once the new one is in place.
pub(crate) fn replace_dir(temp: tempfile::TempDir, target: &Path) -> Result<()> {
    let exists = check_replaceable(target, TargetKind::Layout)?;
    if !exists {
        return rename(temp.path(), target).map(|()| drop(temp.keep()));
    }
    let (parent, name) = parent_and_name(target)?;
    let aside = tempfile::Builder::new()
        .prefix(&format!(".{name}.old-"))
        .tempdir_in(&parent)
        .map_err(|source| Error::Write {
            path: parent.clone(),
            source,
        })?;
    // Renaming a directory onto an empty directory replaces it.
    rename(target, aside.path())?;
    if let Err(err) = rename(temp.path(), target) {
        if let Err(restore) = rename(aside.path(), target) {
            let kept = aside.keep();
            tracing::warn!(error = %restore, path = %kept.display(), "could not put the previous output back");
        }
        return Err(err);
    }
    drop(temp.keep());
    // Dropping `aside` removes the previous output.
    if let Err(e) = aside.close() {
        tracing::warn!(error = %e, "could not remove the previous output");
    }
    Ok(())
}

/// Renames the finished temporary file to `target`, replacing a regular file there.
pub(crate) fn replace_file(temp: tempfile::NamedTempFile, target: &Path) -> Result<()> {
    check_replaceable(target, TargetKind::File)?;
    temp.persist(target).map_err(|e| Error::Rename {
        from: e.file.path().to_owned(),
        to: target.to_owned(),
        source: e.error,
    })?;
    Ok(())
}
