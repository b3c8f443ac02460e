//! Output written beside its target under a temporary name, then renamed into place,
//! so that a failure never leaves a partial image behind; and the one rule for what an
//! output path may be ([`FileOutput`]).
//!
//! A file output is renamed into place only when its target is a regular file or does
//! not exist. A character or block device, a FIFO or a socket (`/dev/null`, a named
//! pipe, a terminal) is written in place and never replaced, and so are `/dev/stdout`,
//! `/dev/stderr`, `/dev/fd/N` and `/proc/self/fd/N`, which are opened for appending so
//! that a file the shell redirected them to keeps what it has. A symbolic link is
//! followed to what it points to (as the shell's `>` does), and the rule applies there:
//! the link stays a link. An OCI layout is a directory: a target that exists and is not
//! a directory is refused before anything is written.

use crate::error::{Error, Result};
use crate::layout::OCI_LAYOUT_FILE;
use std::fs::{self, Permissions};
use std::io::Write;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

/// How many symbolic links are followed from one output path (as Linux's `ELOOP`).
const MAX_LINK_HOPS: usize = 40;

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

/// A new file `.<name>.tmp-XXXXXX` with `mode` next to `target` (whose parent
/// directories are created), removed when dropped.
fn temp_file_beside(target: &Path, mode: u32) -> Result<tempfile::NamedTempFile> {
    let (parent, name) = make_parent(target)?;
    tempfile::Builder::new()
        .prefix(&format!(".{name}.tmp-"))
        .permissions(Permissions::from_mode(mode))
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

/// Fails early when `target` exists and could not become an OCI layout (a file, a
/// device, a FIFO, a non-empty directory that is not a layout).
pub(crate) fn check_layout_target(target: &Path) -> Result<()> {
    check_replaceable(target, TargetKind::Layout).map(drop)
}

/// A path such as `/dev/stdout` or `/proc/self/fd/3` that names an open file of this
/// process rather than a place in the file system.
fn is_process_stream(path: &Path) -> bool {
    let parts: Vec<Component> = path.components().collect();
    let names: Vec<&str> = parts
        .iter()
        .filter_map(|c| match c {
            Component::Normal(n) => n.to_str(),
            _ => Some(""),
        })
        .collect();
    match names.as_slice() {
        ["", "dev", "stdout" | "stderr"] => true,
        ["", "dev", "fd", n] => n.parse::<u32>().is_ok(),
        ["", "proc", "self" | "thread-self", "fd", n] => n.parse::<u32>().is_ok(),
        _ => false,
    }
}

/// `path` with every symbolic link of its last component followed: the path of what
/// it finally names (which may not exist yet).
fn follow_links(path: &Path) -> Result<PathBuf> {
    let mut current = path.to_owned();
    for _ in 0..MAX_LINK_HOPS {
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = fs::read_link(&current).map_err(|source| Error::Read {
                    path: current.clone(),
                    source,
                })?;
                current = match current.parent() {
                    Some(parent) => parent.join(link),
                    None => link,
                };
            }
            Ok(_) => return Ok(current),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(current),
            Err(source) => {
                return Err(Error::Read {
                    path: current,
                    source,
                })
            }
        }
    }
    Err(Error::BadTarget {
        path: path.to_owned(),
        reason: format!("more than {MAX_LINK_HOPS} symbolic links lead from it"),
    })
}

/// Where a [`FileOutput`]'s bytes go.
enum Sink {
    /// A temporary sibling of the target, renamed over it by [`FileOutput::commit`].
    Replace(tempfile::NamedTempFile),
    /// The target itself (a device, FIFO, socket or process stream), never replaced.
    InPlace(fs::File),
}

/// A single-file output (an SBOM, a key, a docker archive) that follows the module's
/// rule: a regular file or new path is written beside the target and renamed into
/// place by [`FileOutput::commit`] (dropping it uncommitted leaves the target as it
/// was); a device, FIFO, socket or `/dev/stdout` is written in place.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::io::Write;
/// # let dir = tempfile::tempdir()?;
/// let target = dir.path().join("sbom.json");
/// let mut output = buckle_oci::FileOutput::create(&target, 0o644)?;
/// output.write_all(b"{}")?;
/// output.commit()?;
/// assert_eq!(std::fs::read(&target)?, b"{}");
/// # Ok(()) }
/// ```
pub struct FileOutput {
    /// The path the user gave.
    target: PathBuf,
    /// What it names once symbolic links are followed.
    resolved: PathBuf,
    sink: Sink,
}

impl FileOutput {
    /// Opens the output for `target`. A new file gets `mode` (before the umask); an
    /// existing regular file is replaced by one with `mode`. A directory is refused.
    pub fn create(target: &Path, mode: u32) -> Result<FileOutput> {
        if is_process_stream(target) {
            return FileOutput::in_place(target, target.to_owned(), true);
        }
        let resolved = follow_links(target)?;
        match fs::metadata(&resolved) {
            Ok(meta) if meta.is_dir() => Err(Error::BadTarget {
                path: target.to_owned(),
                reason: "it is a directory".to_owned(),
            }),
            Ok(meta) if !meta.is_file() => {
                let kind = meta.file_type();
                let special =
                    kind.is_char_device() || kind.is_block_device() || kind.is_fifo() || kind.is_socket();
                if !special {
                    return Err(Error::BadTarget {
                        path: target.to_owned(),
                        reason: "it is neither a regular file nor a device, FIFO or socket".to_owned(),
                    });
                }
                FileOutput::in_place(target, resolved, false)
            }
            Ok(_) => FileOutput::replace(target, resolved, mode),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => FileOutput::replace(target, resolved, mode),
            Err(source) => Err(Error::Read {
                path: target.to_owned(),
                source,
            }),
        }
    }

    fn in_place(target: &Path, resolved: PathBuf, append: bool) -> Result<FileOutput> {
        let file = fs::OpenOptions::new()
            .write(true)
            .append(append)
            .open(&resolved)
            .map_err(|source| Error::Write {
                path: target.to_owned(),
                source,
            })?;
        tracing::debug!(path = %target.display(), "output written in place");
        Ok(FileOutput {
            target: target.to_owned(),
            resolved,
            sink: Sink::InPlace(file),
        })
    }

    fn replace(target: &Path, resolved: PathBuf, mode: u32) -> Result<FileOutput> {
        let temp = temp_file_beside(&resolved, mode)?;
        Ok(FileOutput {
            target: target.to_owned(),
            resolved,
            sink: Sink::Replace(temp),
        })
    }

    /// The path the output was created for.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Whether the output is written in place (a device, FIFO, socket or stream).
    pub fn in_place_target(&self) -> bool {
        matches!(self.sink, Sink::InPlace(_))
    }

    /// Finishes the output: flushes it, and renames a temporary file into place.
    pub fn commit(self) -> Result<()> {
        match self.sink {
            Sink::InPlace(mut file) => file.flush().map_err(|source| Error::Write {
                path: self.target,
                source,
            }),
            Sink::Replace(temp) => replace_file(temp, &self.resolved),
        }
    }
}

impl Write for FileOutput {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &mut self.sink {
            Sink::Replace(temp) => temp.write(buf),
            Sink::InPlace(file) => file.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.sink {
            Sink::Replace(temp) => temp.flush(),
            Sink::InPlace(file) => file.flush(),
        }
    }
}

/// Writes `bytes` to `target` by the module's rule (see [`FileOutput`]).
pub fn write_file(target: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let mut output = FileOutput::create(target, mode)?;
    output.write_all(bytes).map_err(|source| Error::Write {
        path: target.to_owned(),
        source,
    })?;
    output.commit()
}

/// Renames the finished temporary file to `target`, replacing a regular file there.
fn replace_file(temp: tempfile::NamedTempFile, target: &Path) -> Result<()> {
    check_replaceable(target, TargetKind::File)?;
    temp.persist(target).map_err(|e| Error::Rename {
        from: e.file.path().to_owned(),
        to: target.to_owned(),
        source: e.error,
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    use std::process::Command;

    fn mkfifo(path: &Path) {
        let status = Command::new("mkfifo").arg(path).status().unwrap();
        assert!(status.success(), "mkfifo {}", path.display());
    }

    /// Reads the FIFO `fifo` to its end on another thread.
    fn read_in_background(fifo: &Path) -> std::thread::JoinHandle<Vec<u8>> {
        let fifo = fifo.to_owned();
        std::thread::spawn(move || fs::read(fifo).unwrap())
    }

    fn is_root() -> bool {
        fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
    }

    #[test]
    fn a_fifo_target_is_written_in_place_and_its_reader_gets_every_byte() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        mkfifo(&fifo);
        let reader = read_in_background(&fifo);
        let bytes = vec![7u8; 200_000];
        write_file(&fifo, &bytes, 0o644).unwrap();
        assert_eq!(reader.join().unwrap(), bytes);
        assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file is left"
        );
    }

    #[test]
    fn a_symlink_is_followed_the_file_it_names_replaced_and_the_link_kept() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("real")).unwrap();
        let file = dir.path().join("real/sbom.json");
        fs::write(&file, "old").unwrap();
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink("real/sbom.json", &link).unwrap();
        write_file(&link, b"new", 0o644).unwrap();
        assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(fs::read_link(&link).unwrap(), Path::new("real/sbom.json"));
        assert_eq!(fs::read(&file).unwrap(), b"new");

        // A dangling link: the file it names is created.
        let dangling = dir.path().join("dangling.json");
        std::os::unix::fs::symlink("real/new.json", &dangling).unwrap();
        write_file(&dangling, b"made", 0o644).unwrap();
        assert_eq!(fs::read(dir.path().join("real/new.json")).unwrap(), b"made");
        assert!(fs::symlink_metadata(&dangling).unwrap().file_type().is_symlink());

        // A loop is refused, naming the path.
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        std::os::unix::fs::symlink(&b, &a).unwrap();
        std::os::unix::fs::symlink(&a, &b).unwrap();
        let error = write_file(&a, b"x", 0o644).unwrap_err();
        assert!(
            error.to_string().contains("symbolic links lead from it"),
            "{error}"
        );
    }

    #[test]
    fn a_new_file_gets_the_mode_asked_for_and_a_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("sub/release.key");
        write_file(&key, b"secret", 0o600).unwrap();
        assert_eq!(fs::metadata(&key).unwrap().mode() & 0o777, 0o600);
        let error = write_file(dir.path(), b"x", 0o644).unwrap_err();
        assert!(error.to_string().ends_with("it is a directory"), "{error}");
    }

    #[test]
    fn process_streams_are_written_in_place() {
        for path in ["/dev/stdout", "/dev/stderr", "/dev/fd/1", "/proc/self/fd/2"] {
            assert!(is_process_stream(Path::new(path)), "{path}");
        }
        for path in [
            "/dev/null",
            "/dev/stdoutx",
            "dev/stdout",
            "/dev/fd/x",
            "/tmp/stdout",
        ] {
            assert!(!is_process_stream(Path::new(path)), "{path}");
        }
        let output = FileOutput::create(Path::new("/dev/stderr"), 0o644).unwrap();
        assert!(output.in_place_target());
    }

    #[test]
    fn a_character_device_target_stays_a_device() {
        let dir = tempfile::tempdir().unwrap();
        let device = dir.path().join("null");
        if !is_root() {
            eprintln!("not root: cannot mknod; checking /dev/null is written in place only");
            let output = FileOutput::create(Path::new("/dev/null"), 0o644).unwrap();
            assert!(output.in_place_target());
            return;
        }
        let status = Command::new("mknod")
            .arg(&device)
            .args(["c", "1", "3"])
            .status()
            .unwrap();
        assert!(status.success());
        write_file(&device, b"gone", 0o644).unwrap();
        let meta = fs::symlink_metadata(&device).unwrap();
        assert!(meta.file_type().is_char_device(), "{meta:?}");
        assert_eq!(meta.rdev(), fs::metadata("/dev/null").unwrap().rdev());
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file is left"
        );
    }

    #[test]
    fn a_layout_is_refused_a_fifo_or_file_target_before_anything_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        mkfifo(&fifo);
        let file = dir.path().join("file");
        fs::write(&file, "keep").unwrap();
        for target in [&fifo, &file] {
            let error = crate::layout::LayoutWriter::create(target).err().unwrap();
            assert!(
                error.to_string().contains("exists and is not a directory"),
                "{error}"
            );
        }
        assert_eq!(fs::read(&file).unwrap(), b"keep");
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            2,
            "nothing written beside them"
        );
    }

    #[test]
    fn a_docker_archive_streams_into_a_fifo_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("load");
        mkfifo(&fifo);
        let reader = read_in_background(&fifo);
        let writer = crate::docker_archive::DockerArchiveWriter::create(&fifo, 0).unwrap();
        let config = br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
        writer.finish(config, &["buckle/x:latest".to_owned()]).unwrap();
        let bytes = reader.join().unwrap();
        let mut archive = tar::Archive::new(bytes.as_slice());
        let names: Vec<String> = archive
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().display().to_string())
            .collect();
        assert!(names.contains(&"manifest.json".to_owned()), "{names:?}");
        assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file is left"
        );
    }
}
