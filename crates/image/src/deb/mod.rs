//! The unpack arrow: `.deb` bytes -> the package's control facts and its file entries.
//!
//! A `.deb` (deb(5)) is an ar archive: `debian-binary` (`2.x\n`), then `control.tar`
//! (`control`, `md5sums`, `conffiles`, maintainer scripts, which are never run), then
//! `data.tar` (the files). Each tar may be plain or compressed with gzip, xz or zstd.
//! Members whose names start with `_` are skipped, as deb(5) reserves them for
//! additions older readers must ignore; any other member is refused.
//!
//! Every tar goes through `buckle_oci`'s safe reader, so absolute paths, `..`
//! components and sizes over [`Limits`] are refused with the entry named. This module
//! also refuses device nodes, FIFOs and hard links that do not point at an earlier
//! regular file of the same package.

mod ar;

use crate::content::Content;
use crate::error::{Error, Result};
use ar::{ArError, ArReader};
use buckle_debian::{deb822, BinaryPackage, PackageError};
use buckle_oci::tar::{EntryKind, Reader};
use buckle_oci::RelPath;
use std::collections::BTreeSet;
use std::io::{self, BufReader, Read};

/// Caps that keep a hostile package from exhausting memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest single file in `data.tar`.
    pub max_entry_size: u64,
    /// Largest sum of file sizes in one package.
    pub max_package_size: u64,
    /// Largest file in `control.tar`.
    pub max_control_size: u64,
}

impl Default for Limits {
    /// 1 GiB per file, 4 GiB per package, 16 MiB per control file.
    fn default() -> Self {
        Limits {
            max_entry_size: 1 << 30,
            max_package_size: 4 << 30,
            max_control_size: 16 << 20,
        }
    }
}

/// A package as read from its `.deb`.
#[derive(Debug, Clone)]
pub struct Deb {
    /// The control fields, parsed.
    pub package: BinaryPackage,
    /// The control file as shipped (written to `var/lib/dpkg/status.d`).
    pub control: String,
    /// The `md5sums` lines, in the package's order.
    pub md5sums: Vec<Md5Sum>,
    /// The `conffiles`.
    pub conffiles: Vec<RelPath>,
    /// The `postinst` maintainer script, never run: buckle reads the alternatives it
    /// registers (empty when there is none).
    pub postinst: String,
    /// The entries of `data.tar`, in archive order (the root entry left out).
    pub files: Vec<DebFile>,
}

/// One line of a package's `md5sums`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Md5Sum {
    /// The file.
    pub path: RelPath,
    /// 32 lowercase hex digits.
    pub md5: String,
}

/// One entry of `data.tar`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebFile {
    /// Where it goes.
    pub path: RelPath,
    /// What it is.
    pub kind: FileKind,
    /// Permission bits as shipped (setuid and friends included).
    pub mode: u32,
}

/// What a [`DebFile`] is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileKind {
    /// A directory.
    Directory,
    /// A regular file.
    File(Content),
    /// A symbolic link, target as written.
    Symlink(String),
    /// A hard link to an earlier regular file of the same package.
    Hardlink(RelPath),
}

/// Reads a `.deb` from `reader`; `deb` names it in errors (a file or pool path).
pub fn read_deb(deb: &str, reader: impl Read, limits: &Limits) -> Result<Deb> {
    let mut ar = ArReader::new(reader);
    let format = |problem: String| Error::DebFormat {
        deb: deb.to_owned(),
        problem,
    };
    let first = next_member(deb, &mut ar)?.ok_or_else(|| format("the archive is empty".into()))?;
    if first.name != "debian-binary" {
        return Err(format(format!(
            "the first member is `{}`, expected `debian-binary`",
            first.name
        )));
    }
    check_format_version(deb, &mut ar)?;
    let mut control = None;
    let mut files = None;
    while let Some(member) = next_member(deb, &mut ar)? {
        match classify(deb, &member.name)? {
            Member::Ignored => {}
            Member::Control(compression) => {
                if control.is_some() || files.is_some() {
                    return Err(format(format!("`{}` is out of place", member.name)));
                }
                let stream = decompress(compression, ar.content());
                control = Some(read_control(deb, &member.name, stream, limits)?);
            }
            Member::Data(compression) => {
                if control.is_none() || files.is_some() {
                    return Err(format(format!(
                        "`{}` is out of place: expected `control.tar` before one `data.tar`",
                        member.name
                    )));
                }
                let stream = decompress(compression, ar.content());
                files = Some(read_data(deb, &member.name, stream, limits)?);
            }
        }
    }
    let control = control.ok_or_else(|| format("no `control.tar` member".into()))?;
    let files = files.ok_or_else(|| format("no `data.tar` member".into()))?;
    let package = parse_control(deb, &control.control)?;
    tracing::debug!(deb, package = %package.name, files = files.len(), "read package");
    Ok(Deb {
        package,
        md5sums: parse_md5sums(deb, &control.md5sums)?,
        conffiles: parse_conffiles(deb, &control.conffiles)?,
        control: control.control,
        postinst: control.postinst,
        files,
    })
}

fn next_member<R: Read>(deb: &str, ar: &mut ArReader<R>) -> Result<Option<ar::Member>> {
    ar.next_member().map_err(|err| match err {
        ArError::Format(problem) => Error::DebFormat {
            deb: deb.to_owned(),
            problem,
        },
        ArError::Io(source) => Error::DebRead {
            deb: deb.to_owned(),
            member: "ar archive".to_owned(),
            source,
        },
    })
}

fn check_format_version<R: Read>(deb: &str, ar: &mut ArReader<R>) -> Result<()> {
    let mut version = Vec::new();
    ar.content()
        .take(64)
        .read_to_end(&mut version)
        .map_err(|source| Error::DebRead {
            deb: deb.to_owned(),
            member: "debian-binary".to_owned(),
            source,
        })?;
    if version.starts_with(b"2.") && version.ends_with(b"\n") {
        Ok(())
    } else {
        Err(Error::DebFormat {
            deb: deb.to_owned(),
            problem: format!(
                "`debian-binary` says {:?}, expected format version `2.x`",
                String::from_utf8_lossy(&version)
            ),
        })
    }
}

/// How a tar member is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compression {
    None,
    Gzip,
    Xz,
    Zstd,
}

enum Member {
    Control(Compression),
    Data(Compression),
    Ignored,
}

fn classify(deb: &str, name: &str) -> Result<Member> {
    if name.starts_with('_') {
        return Ok(Member::Ignored);
    }
    let (kind, suffix): (fn(Compression) -> Member, &str) =
        if let Some(suffix) = name.strip_prefix("control.tar") {
            (Member::Control, suffix)
        } else if let Some(suffix) = name.strip_prefix("data.tar") {
            (Member::Data, suffix)
        } else {
            return Err(Error::UnknownMember {
                deb: deb.to_owned(),
                member: name.to_owned(),
            });
        };
    let compression = match suffix {
        "" => Compression::None,
        ".gz" => Compression::Gzip,
        ".xz" => Compression::Xz,
        ".zst" => Compression::Zstd,
        _ => {
            return Err(Error::UnsupportedCompression {
                deb: deb.to_owned(),
                member: name.to_owned(),
            })
        }
    };
    Ok(kind(compression))
}

fn decompress<'a>(compression: Compression, input: impl Read + 'a) -> Box<dyn Read + 'a> {
    match compression {
        Compression::None => Box::new(input),
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(input)),
        Compression::Xz => Box::new(liblzma::read::XzDecoder::new_multi_decoder(input)),
        Compression::Zstd => Box::new(ZstdReader::new(input)),
    }
}

/// A zstd decoder that reports a failure to start as a read error, so that every
/// compression fails the same way: at the first read.
enum ZstdReader<'a, R: Read> {
    Ready(zstd::stream::read::Decoder<'a, BufReader<R>>),
    Failed(Option<io::Error>),
}

impl<R: Read> ZstdReader<'_, R> {
    fn new(input: R) -> Self {
        match zstd::stream::read::Decoder::new(input) {
            Ok(decoder) => ZstdReader::Ready(decoder),
            Err(err) => ZstdReader::Failed(Some(err)),
        }
    }
}

impl<R: Read> Read for ZstdReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            ZstdReader::Ready(decoder) => decoder.read(buf),
            ZstdReader::Failed(err) => Err(err
                .take()
                .unwrap_or_else(|| io::Error::other("zstd decoder failed to start"))),
        }
    }
}

/// The files of `control.tar` that buckle uses.
#[derive(Default)]
struct ControlFiles {
    control: String,
    md5sums: String,
    conffiles: String,
    postinst: String,
}

fn read_control(deb: &str, member: &str, stream: impl Read, limits: &Limits) -> Result<ControlFiles> {
    let tar_err = |source| Error::DebTar {
        deb: deb.to_owned(),
        member: member.to_owned(),
        source: Box::new(source),
    };
    let mut reader = Reader::new(stream).max_entry_size(limits.max_control_size);
    let mut files = ControlFiles::default();
    let mut found_control = false;
    for item in reader.entries().map_err(tar_err)? {
        let (entry, mut content) = item.map_err(tar_err)?;
        let slot = match (entry.path.as_str(), &entry.kind) {
            ("control", EntryKind::File { .. }) => {
                found_control = true;
                &mut files.control
            }
            ("md5sums", EntryKind::File { .. }) => &mut files.md5sums,
            ("conffiles", EntryKind::File { .. }) => &mut files.conffiles,
            ("postinst", EntryKind::File { .. }) => &mut files.postinst,
            _ => continue,
        };
        let mut bytes = Vec::new();
        let read_err = |source| Error::DebRead {
            deb: deb.to_owned(),
            member: format!("{member}: {}", entry.path),
            source,
        };
        content.read_to_end(&mut bytes).map_err(read_err)?;
        *slot = match String::from_utf8(bytes) {
            Ok(text) => text,
            // A compiled postinst registers nothing buckle can read.
            Err(_) if entry.path.as_str() == "postinst" => String::new(),
            Err(_) => {
                let not_text = io::Error::new(io::ErrorKind::InvalidData, "not UTF-8 text");
                return Err(read_err(not_text));
            }
        };
    }
    if !found_control {
        return Err(Error::DebFormat {
            deb: deb.to_owned(),
            problem: format!("`{member}` has no `control` file"),
        });
    }
    Ok(files)
}

pub(crate) fn read_data(deb: &str, member: &str, stream: impl Read, limits: &Limits) -> Result<Vec<DebFile>> {
    let tar_err = |source| Error::DebTar {
        deb: deb.to_owned(),
        member: member.to_owned(),
        source: Box::new(source),
    };
    let mut reader = Reader::new(stream).max_entry_size(limits.max_entry_size);
    let mut files = Vec::new();
    let mut regular = BTreeSet::new();
    let mut total: u64 = 0;
    for item in reader.entries().map_err(tar_err)? {
        let (entry, mut content) = item.map_err(tar_err)?;
        let kind = match entry.kind {
            EntryKind::Directory if entry.path.is_root() => continue,
            EntryKind::Directory => FileKind::Directory,
            EntryKind::File { size } => {
                total = total.saturating_add(size);
                if total > limits.max_package_size {
                    return Err(Error::PackageTooLarge {
                        deb: deb.to_owned(),
                        max: limits.max_package_size,
                    });
                }
                let capacity = usize::try_from(size.min(1 << 20)).unwrap_or(0);
                let mut bytes = Vec::with_capacity(capacity);
                content.read_to_end(&mut bytes).map_err(|source| Error::DebRead {
                    deb: deb.to_owned(),
                    member: format!("{member}: {}", entry.path),
                    source,
                })?;
                regular.insert(entry.path.clone());
                FileKind::File(Content::new(bytes))
            }
            EntryKind::Symlink { target } => FileKind::Symlink(target),
            EntryKind::Hardlink { target } => {
                if !regular.contains(&target) {
                    return Err(Error::HardlinkTarget {
                        deb: deb.to_owned(),
                        path: entry.path,
                        target,
                    });
                }
                FileKind::Hardlink(target)
            }
            EntryKind::CharDevice | EntryKind::BlockDevice | EntryKind::Fifo => {
                return Err(Error::ForbiddenEntry {
                    deb: deb.to_owned(),
                    path: entry.path,
                    kind: entry.kind.name(),
                });
            }
        };
        files.push(DebFile {
            path: entry.path,
            kind,
            mode: entry.mode & 0o7777,
        });
    }
    Ok(files)
}

fn parse_control(deb: &str, text: &str) -> Result<BinaryPackage> {
    let syntax = |problem: String| Error::ControlFile {
        deb: deb.to_owned(),
        file: "control",
        line: 1,
        problem,
    };
    let paragraph = deb822::paragraphs(text)
        .next()
        .ok_or_else(|| syntax("the control file is empty".into()))?
        .map_err(|e| syntax(e.to_string()))?;
    let control_error = |source| Error::Control {
        deb: deb.to_owned(),
        source,
    };
    let package = BinaryPackage::from_paragraph(&paragraph).map_err(control_error)?;
    // Relation fields are parsed on use; a package's own control file is checked whole.
    for (field, relations) in [
        ("Pre-Depends", &package.pre_depends),
        ("Depends", &package.depends),
        ("Replaces", &package.replaces),
    ] {
        relations.parse().map_err(|e| {
            control_error(PackageError {
                line: paragraph.line(),
                package: package.name.to_string(),
                problem: format!("bad `{field}`: {e}"),
            })
        })?;
    }
    Ok(package)
}

fn parse_md5sums(deb: &str, text: &str) -> Result<Vec<Md5Sum>> {
    let mut sums = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let fail = |problem: String| Error::ControlFile {
            deb: deb.to_owned(),
            file: "md5sums",
            line: index + 1,
            problem,
        };
        let (md5, path) = line
            .split_once("  ")
            .ok_or_else(|| fail(format!("expected `<md5>  <path>`, found `{line}`")))?;
        if md5.len() != 32 || !md5.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(fail(format!("`{md5}` is not an md5 digest")));
        }
        let path = RelPath::new(path.trim_start_matches('/')).map_err(|e| fail(e.to_string()))?;
        sums.push(Md5Sum {
            path,
            md5: md5.to_ascii_lowercase(),
        });
    }
    Ok(sums)
}

/// `conffiles` lines are absolute paths, optionally after flags such as
/// `remove-on-upgrade` (deb-conffiles(5)).
fn parse_conffiles(deb: &str, text: &str) -> Result<Vec<RelPath>> {
    let mut conffiles = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let path = line.find('/').and_then(|at| line.get(at..)).unwrap_or(line);
        let path = RelPath::new(path.trim_start_matches('/')).map_err(|e| Error::ControlFile {
            deb: deb.to_owned(),
            file: "conffiles",
            line: index + 1,
            problem: e.to_string(),
        })?;
        conffiles.push(path);
    }
    Ok(conffiles)
}

#[cfg(test)]
mod tests;
