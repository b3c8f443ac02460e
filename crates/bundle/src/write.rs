//! Writing a bundle: members from files and bytes, hashed, listed in the manifest, and
//! streamed into a tar.zst that appears under its name only when complete.

use crate::error::{io, Error, Result};
use crate::manifest::{
    member_kind, BaseBundle, Manifest, Member, FORMAT, MANIFEST_NAME, PAYLOAD_TYPE, SIGNATURE_NAME,
};
use buckle_archive::ReleaseDate;
use buckle_digest::{HashingReader, Sha256};
use buckle_sign::dsse::Envelope;
use buckle_sign::key::PrivateKey;
use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// Where a member's bytes come from.
#[derive(Debug, Clone)]
enum Content {
    File(PathBuf),
    Bytes(Vec<u8>),
}

/// A bundle being assembled.
#[derive(Debug)]
pub struct BundleBuilder {
    created: ReleaseDate,
    mirrors: BTreeMap<String, String>,
    members: BTreeMap<String, (Member, Content)>,
    base: Option<(BaseBundle, HashSet<(String, Sha256)>)>,
}

/// What [`BundleBuilder::write`] wrote.
#[derive(Debug, Clone)]
pub struct Written {
    /// The manifest, as written.
    pub manifest: Manifest,
    /// Its SHA-256: the bundle's digest.
    pub digest: Sha256,
    /// The size of the bundle file.
    pub file_size: u64,
}

impl BundleBuilder {
    /// An empty bundle made at `created`.
    pub fn new(created: ReleaseDate) -> BundleBuilder {
        BundleBuilder {
            created,
            mirrors: BTreeMap::new(),
            members: BTreeMap::new(),
            base: None,
        }
    }

    /// Records the URL of the mirror whose members are under `mirrors/<name>/`.
    pub fn mirror(&mut self, name: &str, url: &str) {
        self.mirrors.insert(name.to_owned(), url.to_owned());
    }

    /// Makes the bundle a delta on `base`: members it already holds with the same
    /// bytes are listed but not written.
    pub fn since(&mut self, base: &Manifest, base_digest: Sha256) {
        let held = base.members.iter().map(|m| (m.path.clone(), m.sha256)).collect();
        self.base = Some((
            BaseBundle {
                manifest: base_digest,
                created: base.created,
            },
            held,
        ));
    }

    /// Adds `bytes` as the member `path`.
    pub fn add_bytes(&mut self, path: &str, bytes: Vec<u8>) -> Result<()> {
        let member = Member {
            path: path.to_owned(),
            sha256: Sha256::of(&bytes),
            size: bytes.len() as u64,
            in_base: false,
        };
        self.add(member, Content::Bytes(bytes))
    }

    /// Adds the file at `file` as the member `path` (hashed now, read again when written).
    pub fn add_file(&mut self, path: &str, file: &Path) -> Result<()> {
        let mut reader = HashingReader::new(File::open(file).map_err(io("open", file))?);
        io::copy(&mut reader, &mut io::sink()).map_err(io("read", file))?;
        let (sha256, size, _) = reader.finish();
        let member = Member {
            path: path.to_owned(),
            sha256,
            size,
            in_base: false,
        };
        self.add(member, Content::File(file.to_owned()))
    }

    /// Adds every file under `dir` as members under `prefix/`, by relative path.
    pub fn add_tree(&mut self, prefix: &str, dir: &Path) -> Result<usize> {
        let mut added = 0;
        let mut stack = vec![dir.to_owned()];
        while let Some(current) = stack.pop() {
            let entries = std::fs::read_dir(&current).map_err(io("read the directory", &current))?;
            for entry in entries {
                let entry = entry.map_err(io("read the directory", &current))?;
                let path = entry.path();
                let kind = entry.file_type().map_err(io("inspect", &path))?;
                if kind.is_dir() {
                    stack.push(path);
                } else if kind.is_file() {
                    let relative = path.strip_prefix(dir).expect("walked from dir");
                    let relative = relative.to_str().ok_or_else(|| Error::MemberPath {
                        path: relative.display().to_string(),
                        reason: "it is not UTF-8",
                    })?;
                    self.add_file(&format!("{prefix}/{relative}"), &path)?;
                    added += 1;
                }
            }
        }
        Ok(added)
    }

    fn add(&mut self, member: Member, content: Content) -> Result<()> {
        member_kind(&member.path)?;
        if let Some((existing, _)) = self.members.get(&member.path) {
            if existing.sha256 != member.sha256 {
                return Err(Error::Manifest(format!(
                    "`{}` was added twice with different bytes",
                    member.path
                )));
            }
            return Ok(());
        }
        self.members.insert(member.path.clone(), (member, content));
        Ok(())
    }

    /// Writes the bundle to `out` (through `out.partial`, renamed when complete),
    /// signing the manifest with `key` when given.
    pub fn write(self, out: &Path, key: Option<&PrivateKey>) -> Result<Written> {
        let (base, held) = match self.base {
            Some((base, held)) => (Some(base), held),
            None => (None, HashSet::new()),
        };
        let mut members = Vec::with_capacity(self.members.len());
        let mut contents = Vec::new();
        for (_, (mut member, content)) in self.members {
            member.in_base = held.contains(&(member.path.clone(), member.sha256));
            if !member.in_base {
                contents.push((member.clone(), content));
            }
            members.push(member);
        }
        let manifest = Manifest {
            format: FORMAT.to_owned(),
            created: self.created,
            base,
            mirrors: self.mirrors,
            members,
        };
        let manifest_bytes = manifest.to_bytes();
        let digest = Sha256::of(&manifest_bytes);
        let partial = partial_path(out);
        let result = write_tar(&partial, &manifest_bytes, key, &contents);
        if let Err(e) = result {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
        std::fs::rename(&partial, out).map_err(io("rename into place", out))?;
        let file_size = std::fs::metadata(out).map_err(io("inspect", out))?.len();
        Ok(Written {
            manifest,
            digest,
            file_size,
        })
    }
}

fn partial_path(out: &Path) -> PathBuf {
    let mut name = out.file_name().unwrap_or_default().to_owned();
    name.push(".partial");
    out.with_file_name(name)
}

fn write_tar(
    partial: &Path,
    manifest: &[u8],
    key: Option<&PrivateKey>,
    contents: &[(Member, Content)],
) -> Result<()> {
    let file = File::create(partial).map_err(io("create", partial))?;
    let encoder = zstd::Encoder::new(file, 3).map_err(io("write", partial))?;
    let mut tar = tar::Builder::new(encoder);
    append(&mut tar, MANIFEST_NAME, manifest.len() as u64, manifest).map_err(io("write", partial))?;
    if let Some(key) = key {
        let envelope = Envelope::sign(PAYLOAD_TYPE, manifest, key).to_json();
        append(
            &mut tar,
            SIGNATURE_NAME,
            envelope.len() as u64,
            envelope.as_slice(),
        )
        .map_err(io("write", partial))?;
    }
    for (member, content) in contents {
        match content {
            Content::Bytes(bytes) => {
                append(&mut tar, &member.path, member.size, bytes.as_slice())
                    .map_err(io("write", partial))?;
            }
            Content::File(path) => {
                let file = File::open(path).map_err(io("open", path))?;
                // A file that changed since it was hashed would not match the manifest.
                let mut reader = HashingReader::new(file.take(member.size + 1));
                append(&mut tar, &member.path, member.size, &mut reader).map_err(io("read", path))?;
                let (sha256, size, _) = reader.finish();
                member.check(sha256, size)?;
            }
        }
    }
    let encoder = tar.into_inner().map_err(io("write", partial))?;
    let file = encoder.finish().map_err(io("write", partial))?;
    file.sync_all().map_err(io("write", partial))?;
    Ok(())
}

fn append(tar: &mut tar::Builder<impl Write>, path: &str, size: u64, data: impl Read) -> io::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_size(size);
    header.set_mode(0o644);
    header.set_mtime(0);
    header.set_entry_type(tar::EntryType::Regular);
    tar.append_data(&mut header, path, data)
}
