//! Tar streams: the safe [`Reader`] every crate uses to look inside tars (a `.deb`'s
//! `data.tar`, image layers), and the deterministic [`LayerWriter`] that makes layers.
//!
//! This is the only tar code in buckle. Entries are described by [`Entry`], whose
//! [`RelPath`] cannot escape the root. Device nodes and FIFOs are reported, not
//! dropped, so that callers can refuse them. Whiteout files are ordinary entries
//! here; [`Whiteout::of`] recognises them for code that merges layers.

mod read;
mod write;

pub use read::{Content, Entries, Reader, DEFAULT_MAX_ENTRY_SIZE};
pub use write::{Compression, LayerDigests, LayerWriter};

use crate::path::RelPath;

/// One member of a tar stream, without its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Where the entry goes, relative to the root.
    pub path: RelPath,
    /// What it is.
    pub kind: EntryKind,
    /// Permission bits, including setuid, setgid and sticky (`0o7777` at most).
    pub mode: u32,
    /// Owner user id.
    pub uid: u32,
    /// Owner group id.
    pub gid: u32,
}

/// The kind of a tar entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    /// A directory.
    Directory,
    /// A regular file of `size` bytes.
    File {
        /// Content length in bytes.
        size: u64,
    },
    /// A symbolic link. The target is kept as written; it is resolved inside the
    /// image, so it may be absolute or contain `..`.
    Symlink {
        /// The link's target text.
        target: String,
    },
    /// A hard link to an earlier entry of the same stream.
    Hardlink {
        /// The path of the entry it links to.
        target: RelPath,
    },
    /// A character device node.
    CharDevice,
    /// A block device node.
    BlockDevice,
    /// A named pipe.
    Fifo,
}

impl EntryKind {
    /// A short name for messages: `directory`, `file`, `symlink`, ...
    pub fn name(&self) -> &'static str {
        match self {
            EntryKind::Directory => "directory",
            EntryKind::File { .. } => "file",
            EntryKind::Symlink { .. } => "symlink",
            EntryKind::Hardlink { .. } => "hard link",
            EntryKind::CharDevice => "character device",
            EntryKind::BlockDevice => "block device",
            EntryKind::Fifo => "fifo",
        }
    }
}

impl Entry {
    /// A directory owned by root.
    pub fn directory(path: RelPath, mode: u32) -> Self {
        Entry {
            path,
            kind: EntryKind::Directory,
            mode,
            uid: 0,
            gid: 0,
        }
    }

    /// A regular file of `size` bytes owned by root.
    pub fn file(path: RelPath, mode: u32, size: u64) -> Self {
        Entry {
            path,
            kind: EntryKind::File { size },
            mode,
            uid: 0,
            gid: 0,
        }
    }

    /// A symbolic link owned by root, with mode `0o777`.
    pub fn symlink(path: RelPath, target: impl Into<String>) -> Self {
        Entry {
            path,
            kind: EntryKind::Symlink {
                target: target.into(),
            },
            mode: 0o777,
            uid: 0,
            gid: 0,
        }
    }

    /// A hard link to `target` owned by root.
    pub fn hardlink(path: RelPath, target: RelPath, mode: u32) -> Self {
        Entry {
            path,
            kind: EntryKind::Hardlink { target },
            mode,
            uid: 0,
            gid: 0,
        }
    }

    /// The same entry owned by `uid:gid`.
    pub fn with_owner(mut self, uid: u32, gid: u32) -> Self {
        self.uid = uid;
        self.gid = gid;
        self
    }

    /// The content size: the file size for files, 0 for everything else.
    pub fn size(&self) -> u64 {
        match self.kind {
            EntryKind::File { size } => size,
            _ => 0,
        }
    }
}

/// Prefix of a whiteout file name (OCI image spec, `layer.md`, "Whiteouts").
pub const WHITEOUT_PREFIX: &str = ".wh.";
/// Name of the opaque whiteout marker (OCI image spec, `layer.md`, "Opaque Whiteout").
pub const OPAQUE_WHITEOUT: &str = ".wh..wh..opq";

/// What a whiteout entry in an image layer means for the layers below it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Whiteout {
    /// Remove this path (and everything under it) from lower layers.
    Remove(RelPath),
    /// Hide everything lower layers put inside this directory.
    Opaque(RelPath),
}

impl Whiteout {
    /// The whiteout that an entry at `path` expresses, if it is one: `a/.wh.b` removes
    /// `a/b`, `a/.wh..wh..opq` makes `a` opaque. Other `.wh..wh.` names are
    /// implementation markers and are not whiteouts.
    pub fn of(path: &RelPath) -> Option<Whiteout> {
        let name = path.file_name()?;
        let dir = path.parent()?;
        if name == OPAQUE_WHITEOUT {
            return Some(Whiteout::Opaque(dir));
        }
        let hidden = name.strip_prefix(WHITEOUT_PREFIX)?;
        if hidden.is_empty() || hidden.starts_with(WHITEOUT_PREFIX) {
            return None;
        }
        dir.join(hidden).ok().map(Whiteout::Remove)
    }

    /// The path of the marker entry that expresses this whiteout in a layer.
    pub fn marker(&self) -> RelPath {
        let (dir, name) = match self {
            Whiteout::Opaque(dir) => (dir.clone(), OPAQUE_WHITEOUT.to_owned()),
            Whiteout::Remove(path) => (
                path.parent().unwrap_or_default(),
                format!("{WHITEOUT_PREFIX}{}", path.file_name().unwrap_or_default()),
            ),
        };
        dir.join_rel(&RelPath::normalise(&name).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests;
