//! Reading a bundle: the manifest first, then every member unpacked into a directory
//! and checked against it. Nothing the manifest does not list is written, no member
//! may be missing, and a member's bytes must have the listed size and SHA-256.

use crate::error::{io, Error, Result};
use crate::manifest::{Manifest, Member, MANIFEST_NAME, PAYLOAD_TYPE, SIGNATURE_NAME};
use buckle_digest::{HashingWriter, Sha256};
use buckle_sign::dsse::Envelope;
use buckle_sign::key::PublicKey;
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// The largest manifest or signature accepted.
const MANIFEST_LIMIT: u64 = 256 << 20;

/// A bundle's manifest, as read from its first members.
#[derive(Debug, Clone)]
pub struct Head {
    /// The manifest.
    pub manifest: Manifest,
    /// Its SHA-256: the bundle's digest.
    pub digest: Sha256,
    /// The manifest's bytes.
    pub bytes: Vec<u8>,
    /// The DSSE envelope signing it, when the bundle is signed.
    pub signature: Option<Vec<u8>>,
}

impl Head {
    /// Checks the manifest's signature with `key`.
    pub fn verify_signature(&self, key: &PublicKey) -> Result<()> {
        let envelope = self
            .signature
            .as_deref()
            .ok_or_else(|| Error::Signature("is missing: the bundle is not signed".into()))?;
        let envelope =
            Envelope::from_json(envelope).map_err(|e| Error::Signature(format!("is unreadable: {e}")))?;
        if envelope.payload_type != PAYLOAD_TYPE {
            return Err(Error::Signature(format!(
                "has the payload type `{}`",
                envelope.payload_type
            )));
        }
        let payload = envelope
            .verify(key)
            .map_err(|e| Error::Signature(format!("does not verify: {e}")))?;
        if payload != self.bytes {
            return Err(Error::Signature("signs another manifest".into()));
        }
        Ok(())
    }
}

/// A bundle unpacked into a directory, every member it carries checked.
#[derive(Debug)]
pub struct Unpacked {
    /// The manifest and signature.
    pub head: Head,
    /// Where the members are, at their member paths.
    pub dir: PathBuf,
}

impl Unpacked {
    /// Where the bytes of a carried member are.
    pub fn path(&self, member: &Member) -> PathBuf {
        self.dir.join(&member.path)
    }
}

fn damaged(path: &Path) -> impl Fn(io::Error) -> Error + '_ {
    move |e| Error::Damaged {
        path: path.to_owned(),
        reason: e.to_string(),
    }
}

fn open(bundle: &Path) -> Result<tar::Archive<zstd::Decoder<'static, io::BufReader<File>>>> {
    let file = File::open(bundle).map_err(io("open", bundle))?;
    let decoder = zstd::Decoder::new(file).map_err(damaged(bundle))?;
    Ok(tar::Archive::new(decoder))
}

/// Reads only the manifest (and signature) of `bundle`.
pub fn read_head(bundle: &Path) -> Result<Head> {
    let mut archive = open(bundle)?;
    let mut entries = archive.entries().map_err(damaged(bundle))?;
    head(bundle, &mut entries).map(|(head, _)| head)
}

/// Reads the manifest and signature from the first entries; returns the first entry
/// after them, if any, for the caller to go on with.
fn head<'a, R: Read + 'a>(
    bundle: &Path,
    entries: &mut tar::Entries<'a, R>,
) -> Result<(Head, Option<tar::Entry<'a, R>>)> {
    let mut next =
        || -> Result<Option<tar::Entry<'a, R>>> { entries.next().transpose().map_err(damaged(bundle)) };
    let mut first = next()?.ok_or_else(|| Error::Manifest("the bundle is empty".into()))?;
    if entry_path(&first)? != MANIFEST_NAME {
        return Err(Error::Manifest(format!(
            "the first member is not `{MANIFEST_NAME}`"
        )));
    }
    let bytes = read_small(&mut first, bundle)?;
    let manifest = Manifest::parse(&bytes)?;
    let digest = Sha256::of(&bytes);
    let mut after = next()?;
    let mut signature = None;
    if let Some(entry) = after.as_mut() {
        if entry_path(entry)? == SIGNATURE_NAME {
            signature = Some(read_small(entry, bundle)?);
            after = next()?;
        }
    }
    Ok((
        Head {
            manifest,
            digest,
            bytes,
            signature,
        },
        after,
    ))
}

fn read_small(entry: &mut impl Read, bundle: &Path) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    entry
        .take(MANIFEST_LIMIT + 1)
        .read_to_end(&mut bytes)
        .map_err(damaged(bundle))?;
    if bytes.len() as u64 > MANIFEST_LIMIT {
        return Err(Error::Manifest(format!(
            "it is larger than {MANIFEST_LIMIT} bytes"
        )));
    }
    Ok(bytes)
}

fn entry_path<R: Read>(entry: &tar::Entry<'_, R>) -> Result<String> {
    let bytes = entry.path_bytes();
    std::str::from_utf8(&bytes)
        .map(str::to_owned)
        .map_err(|_| Error::Unlisted(String::from_utf8_lossy(&bytes).into_owned()))
}

/// Unpacks `bundle` into `into` (created; it should be empty), checking every member
/// against the manifest. On error, what was written stays in `into` for the caller to
/// remove.
pub fn unpack(bundle: &Path, into: &Path) -> Result<Unpacked> {
    let mut archive = open(bundle)?;
    let mut entries = archive.entries().map_err(damaged(bundle))?;
    let (head, first) = head(bundle, &mut entries)?;
    let mut expected: HashMap<&str, &Member> =
        head.manifest.carried().map(|m| (m.path.as_str(), m)).collect();
    let mut entry = first;
    while let Some(mut current) = entry {
        let path = entry_path(&current)?;
        if current.header().entry_type() != tar::EntryType::Regular {
            return Err(Error::Unlisted(path));
        }
        let member = expected
            .remove(path.as_str())
            .ok_or_else(|| Error::Unlisted(path.clone()))?;
        let target = into.join(&member.path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(io("create", parent))?;
        }
        let file = File::create(&target).map_err(io("create", &target))?;
        let mut writer = HashingWriter::new(file);
        io::copy(&mut (&mut current).take(member.size + 1), &mut writer).map_err(damaged(bundle))?;
        let (sha256, size, _) = writer.finish();
        member.check(sha256, size)?;
        entry = entries.next().transpose().map_err(damaged(bundle))?;
    }
    if !expected.is_empty() {
        let first = head
            .manifest
            .carried()
            .find(|m| expected.contains_key(m.path.as_str()))
            .map(|m| m.path.clone())
            .unwrap_or_default();
        return Err(Error::Incomplete {
            count: expected.len(),
            first,
        });
    }
    Ok(Unpacked {
        head,
        dir: into.to_owned(),
    })
}
