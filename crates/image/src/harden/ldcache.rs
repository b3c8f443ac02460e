//! `etc/ld.so.cache`, written the way glibc's `ldconfig` writes it, from the tree.
//!
//! Which libraries (facts from glibc `elf/ldconfig.c`, `search_dir`): the directories
//! are those listed in `etc/ld.so.conf.d/*.conf` (in file-name order), then the
//! multiarch directory and `usr/lib`; a directory reached twice is searched once,
//! under the name it was first reached by. In each, a regular file or symlink whose
//! name starts with `lib` or `ld-` and contains `.so` and that is an ELF shared
//! object of the image's class and machine is a library. Its key is its `DT_SONAME`
//! (or its name), except that a symlink named like the soname, or a `libfoo.so` link
//! whose soname starts with that name, is keyed by its own name. One entry per key
//! and directory: a file beats a link, else the later version (`_dl_cache_libcmp`).
//! The value is `<dir>/<key>`; when that path is missing ldconfig creates it as a
//! symlink to the file, and so does this step.
//!
//! Format (facts from glibc `sysdeps/generic/dl-cache.h` and `elf/cache.c`,
//! "new format" `glibc-ld.so.cache1.1`, written alone as ldconfig does by default
//! since glibc 2.32), in the target's byte order:
//!
//! ```text
//! header (48 bytes): magic "glibc-ld.so.cache" (17) | version "1.1" (3)
//!                    | nlibs u32 | len_strings u32 | flags u8 (2 = little, 3 = big
//!                    endian) | 3 padding bytes | extension_offset u32 (0 = none)
//!                    | 3 unused u32
//! nlibs entries (24 bytes each): flags i32 | key u32 | value u32 | osversion u32
//!                    | hwcap u64
//! string table:      NUL-terminated strings; key and value are offsets from the
//!                    start of the file
//! ```
//!
//! Entries are sorted by key with `_dl_cache_libcmp` in descending order (digit runs
//! compare as numbers), which the loader's binary search relies on. An entry's flags
//! are `FLAG_ELF_LIBC6` (3) plus the architecture's bits (`FLAG_X8664_LIB64` 0x0300,
//! `FLAG_AARCH64_LIB64` 0x0a00, ...).

use super::elf::shared_object;
use super::rel;
use crate::deb::FileKind;
use crate::error::{Error, Result};
use crate::tree::{canonical, Node, Tree};
use buckle_debian::Arch;
use buckle_oci::RelPath;
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// Where the cache goes.
pub const LD_SO_CACHE: &str = "etc/ld.so.cache";

const MAGIC: &[u8; 17] = b"glibc-ld.so.cache";
const VERSION: &[u8; 3] = b"1.1";
const HEADER_LEN: usize = 48;
const ENTRY_LEN: usize = 24;
const FLAG_ELF_LIBC6: i32 = 0x0003;

/// The ELF identity and cache flags of an architecture's libraries.
#[derive(Debug, Clone, Copy)]
struct Target {
    triplet: &'static str,
    machine: u16,
    elf64: bool,
    flags: i32,
    big_endian: bool,
}

impl Target {
    /// Debian architecture -> multiarch triplet, ELF machine and ldconfig's flags (`FLAG_*` from glibc's `dl-cache.h`).
    fn of(arch: &Arch) -> Option<Target> {
        let (triplet, elf64, arch_flag, big_endian) = match arch.as_str() {
            "amd64" => ("x86_64-linux-gnu", true, 0x0300, false),
            "arm64" => ("aarch64-linux-gnu", true, 0x0a00, false),
            "i386" => ("i386-linux-gnu", false, 0, false),
            "armhf" => ("arm-linux-gnueabihf", false, 0x0900, false),
            "ppc64el" => ("powerpc64le-linux-gnu", true, 0x0500, false),
            "s390x" => ("s390x-linux-gnu", true, 0x0400, true),
            "riscv64" => ("riscv64-linux-gnu", true, 0x1000, false),
            _ => return None,
        };
        Some(Target {
            triplet,
            machine: super::elf::machine_for(arch.as_str())?,
            elf64,
            flags: FLAG_ELF_LIBC6 | arch_flag,
            big_endian,
        })
    }
}

/// One cache entry: `key` is found at `value`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    key: String,
    value: String,
    flags: i32,
}

/// Writes [`LD_SO_CACHE`] for the libraries in the tree (nothing when there are
/// none, as in an image without libc), creating missing soname links.
pub fn ld_so_cache(tree: &mut Tree, arch: &Arch) -> Result<()> {
    let target = Target::of(arch).ok_or_else(|| Error::UnsupportedArch {
        arch: arch.clone(),
        what: "ld.so.cache",
    })?;
    let mut entries = Vec::new();
    let mut links = Vec::new();
    for (shown, dir) in search_dirs(tree, &target) {
        scan_dir(tree, &target, &shown, &dir, &mut entries, &mut links);
    }
    for (path, target) in links {
        tree.insert(&path, Node::symlink(target))?;
    }
    if entries.is_empty() {
        return Ok(());
    }
    // Stable: for one key, the directory searched first stays first.
    entries.sort_by(|a, b| libcmp(b.key.as_bytes(), a.key.as_bytes()).then(b.flags.cmp(&a.flags)));
    tracing::debug!(libraries = entries.len(), "ld.so.cache");
    let bytes = encode(&entries, target.big_endian)?;
    tree.insert(&rel(LD_SO_CACHE), Node::file(bytes, 0o644))
}

/// The directories to search: as written (for the cache's paths) and resolved in
/// the tree.
fn search_dirs(tree: &Tree, target: &Target) -> Vec<(String, RelPath)> {
    let mut written: Vec<String> = Vec::new();
    for (path, node) in tree.under(&rel("etc/ld.so.conf.d")) {
        let is_conf = path.parent() == Some(rel("etc/ld.so.conf.d")) && path.as_str().ends_with(".conf");
        let Some(content) = node.content().filter(|_| is_conf) else {
            continue;
        };
        for line in String::from_utf8_lossy(content.bytes()).lines() {
            let line = line.split('#').next().unwrap_or_default().trim();
            if line.starts_with('/') {
                written.push(line.trim_end_matches('/').to_owned());
            }
        }
    }
    written.push(format!("/usr/lib/{}", target.triplet));
    written.push("/usr/lib".to_owned());
    let mut seen = Vec::new();
    let mut dirs = Vec::new();
    for shown in written {
        let Ok(relative) = RelPath::new(shown.trim_start_matches('/')) else {
            continue;
        };
        let Some(resolved) = tree.resolve(&canonical(&relative)) else {
            continue;
        };
        let is_dir = tree.get(&resolved).is_some_and(|n| n.kind == FileKind::Directory);
        if is_dir && !seen.contains(&resolved) {
            seen.push(resolved.clone());
            dirs.push((shown, resolved));
        }
    }
    dirs
}

/// One library found in a directory (`dlib_entry` in ldconfig).
struct Library {
    name: String,
    is_link: bool,
}

fn scan_dir(
    tree: &Tree,
    target: &Target,
    shown: &str,
    dir: &RelPath,
    entries: &mut Vec<Entry>,
    links: &mut Vec<(RelPath, String)>,
) {
    let mut libraries: BTreeMap<String, Library> = BTreeMap::new();
    for (path, node) in tree.under(dir) {
        let Some(name) = path.file_name().filter(|_| path.parent().as_ref() == Some(dir)) else {
            continue;
        };
        if !is_dso_name(name) {
            continue;
        }
        let mut is_link = matches!(node.kind, FileKind::Symlink(_));
        let file = if is_link {
            tree.resolve(path).and_then(|p| tree.get(&p))
        } else {
            Some(node)
        };
        let Some(object) = file
            .and_then(Node::content)
            .and_then(|c| shared_object(c.bytes()))
        else {
            continue;
        };
        if object.machine != target.machine || object.elf64 != target.elf64 {
            continue;
        }
        let mut soname = object.soname.unwrap_or_else(|| name.to_owned());
        if is_link && name != soname && !(name.ends_with(".so") && soname.starts_with(name)) {
            is_link = false;
        }
        if is_link {
            soname = name.to_owned();
        }
        let candidate = Library {
            name: name.to_owned(),
            is_link,
        };
        match libraries.get_mut(&soname) {
            Some(known) => {
                let better = (!candidate.is_link && known.is_link)
                    || (candidate.is_link == known.is_link
                        && libcmp(known.name.as_bytes(), candidate.name.as_bytes()) == Ordering::Less);
                if better {
                    *known = candidate;
                }
            }
            None => {
                libraries.insert(soname, candidate);
            }
        }
    }
    for (soname, library) in libraries {
        if !library.is_link && library.name != soname {
            if let Ok(link) = dir.join(&soname) {
                if tree.get(&link).is_none() {
                    links.push((link, library.name.clone()));
                }
            }
        }
        entries.push(Entry {
            value: format!("{shown}/{soname}"),
            key: soname,
            flags: target.flags,
        });
    }
}

/// ldconfig's `_dl_is_dso`: `lib*` or `ld-*` names containing `.so`.
fn is_dso_name(name: &str) -> bool {
    (name.starts_with("lib") || name.starts_with("ld-")) && name.contains(".so")
}

/// glibc's `_dl_cache_libcmp`: byte order, except that runs of digits compare as
/// numbers and a digit sorts after a non-digit.
fn libcmp(a: &[u8], b: &[u8]) -> Ordering {
    let (mut i, mut j) = (0, 0);
    while let Some(&x) = a.get(i) {
        let y = b.get(j).copied().unwrap_or(0);
        match (x.is_ascii_digit(), y.is_ascii_digit()) {
            (true, true) => {
                let (n, next_i) = number(a, i);
                let (m, next_j) = number(b, j);
                if n != m {
                    return n.cmp(&m);
                }
                (i, j) = (next_i, next_j);
            }
            (true, false) => return Ordering::Greater,
            (false, true) => return Ordering::Less,
            (false, false) if x != y => return x.cmp(&y),
            (false, false) => (i, j) = (i + 1, j + 1),
        }
    }
    if j < b.len() {
        Ordering::Less
    } else {
        Ordering::Equal
    }
}

/// The number starting at `at` and the index after it.
fn number(s: &[u8], mut at: usize) -> (u64, usize) {
    let mut value: u64 = 0;
    while let Some(d) = s.get(at).filter(|d| d.is_ascii_digit()) {
        value = value.saturating_mul(10).saturating_add(u64::from(d - b'0'));
        at += 1;
    }
    (value, at)
}

fn encode(entries: &[Entry], big_endian: bool) -> Result<Vec<u8>> {
    let too_big = || Error::Internal {
        what: "the ld.so.cache would exceed 4 GiB".to_owned(),
    };
    let u32_of = |n: usize| u32::try_from(n).map_err(|_| too_big());
    let strings_at = HEADER_LEN + ENTRY_LEN * entries.len();
    let mut strings = Vec::new();
    let mut table = Vec::with_capacity(entries.len());
    for entry in entries {
        // The key is the value's last component: store the value once and point
        // the key into its tail, as ldconfig's string table does.
        let value_at = strings_at + strings.len();
        let key_at = value_at + entry.value.len() - entry.key.len();
        strings.extend_from_slice(entry.value.as_bytes());
        strings.push(0);
        table.push((entry.flags, u32_of(key_at)?, u32_of(value_at)?));
    }
    let u32_bytes = |n: u32| {
        if big_endian {
            n.to_be_bytes()
        } else {
            n.to_le_bytes()
        }
    };
    let mut out = Vec::with_capacity(strings_at + strings.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(VERSION);
    out.extend_from_slice(&u32_bytes(u32_of(entries.len())?));
    out.extend_from_slice(&u32_bytes(u32_of(strings.len())?));
    out.push(if big_endian { 3 } else { 2 });
    out.extend_from_slice(&[0; 3]);
    out.extend_from_slice(&[0; 16]); // extension_offset, unused[3]
    for (flags, key, value) in table {
        out.extend_from_slice(&if big_endian {
            flags.to_be_bytes()
        } else {
            flags.to_le_bytes()
        });
        out.extend_from_slice(&u32_bytes(key));
        out.extend_from_slice(&u32_bytes(value));
        out.extend_from_slice(&[0; 12]); // osversion, hwcap
    }
    out.extend_from_slice(&strings);
    Ok(out)
}

#[cfg(test)]
mod tests;
