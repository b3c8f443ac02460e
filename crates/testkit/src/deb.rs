//! Real `.deb` files built in code, and hostile ones for the tests that must refuse them.
//!
//! The format is deb(5): an ar archive holding `debian-binary` (`2.0\n`),
//! `control.tar.*` (`./control`, `./md5sums`, `./conffiles`, maintainer scripts) and
//! `data.tar.*` (the files, each path starting with `./`, parent directories first).
//! Missing parent directories are added with mode `0755`, as dpkg-deb would find them
//! on disk.
//!
//! ```
//! use buckle_testkit::deb::{Compression, DebBuilder};
//!
//! let deb = DebBuilder::new("hello", "1.0-1", "amd64")
//!     .field("Depends", "libc6 (>= 2.36)")
//!     .file("usr/bin/hello", b"#!/bin/true\n", 0o755)
//!     .symlink("usr/bin/hi", "hello")
//!     .data_compression(Compression::Zstd)
//!     .build();
//! assert!(deb.starts_with(b"!<arch>\n"));
//! ```

use md5::{Digest, Md5};
use std::collections::BTreeSet;
use std::io::Write;

/// A compression for `control.tar` or `data.tar`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// A plain tar (`data.tar`).
    None,
    /// `.gz`
    Gzip,
    /// `.xz` (what Debian uses).
    Xz,
    /// `.zst`
    Zstd,
}

impl Compression {
    /// The member name suffix: ``, `.gz`, `.xz`, `.zst`.
    pub fn suffix(self) -> &'static str {
        match self {
            Compression::None => "",
            Compression::Gzip => ".gz",
            Compression::Xz => ".xz",
            Compression::Zstd => ".zst",
        }
    }

    /// Compresses `bytes`.
    pub fn compress(self, bytes: &[u8]) -> Vec<u8> {
        match self {
            Compression::None => bytes.to_vec(),
            Compression::Gzip => {
                let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                enc.write_all(bytes).expect("writing to a Vec does not fail");
                enc.finish().expect("writing to a Vec does not fail")
            }
            Compression::Xz => {
                let mut enc = liblzma::write::XzEncoder::new(Vec::new(), 6);
                enc.write_all(bytes).expect("writing to a Vec does not fail");
                enc.finish().expect("writing to a Vec does not fail")
            }
            Compression::Zstd => zstd::encode_all(bytes, 3).expect("zstd into a Vec does not fail"),
        }
    }
}

/// One member of `data.tar`, in the order given.
#[derive(Debug, Clone)]
enum DataEntry {
    File {
        path: String,
        content: Vec<u8>,
        mode: u32,
    },
    Dir {
        path: String,
        mode: u32,
    },
    Symlink {
        path: String,
        target: String,
    },
    Hardlink {
        path: String,
        target: String,
    },
    /// A header written verbatim: the name bytes are not checked or normalised.
    Raw {
        name: Vec<u8>,
        kind: tar::EntryType,
        declared_size: u64,
        content: Vec<u8>,
    },
}

/// The mtime of every member (any fixed value; dpkg does not care).
const MTIME: u64 = 1_700_000_000;

/// Builds the bytes of a `.deb`.
#[derive(Debug, Clone)]
pub struct DebBuilder {
    fields: Vec<(String, String)>,
    entries: Vec<DataEntry>,
    conffiles: Vec<String>,
    scripts: Vec<(String, Vec<u8>)>,
    control_members: Vec<(String, Vec<u8>)>,
    data_compression: Compression,
    control_compression: Compression,
    debian_binary: Vec<u8>,
    members_before_data: Vec<(String, Vec<u8>)>,
    members_after_data: Vec<(String, Vec<u8>)>,
    corrupt_data: bool,
    md5sums: bool,
}

impl DebBuilder {
    /// A package with `Package`, `Version`, `Architecture`, a `Maintainer` and a
    /// `Description`; data.tar and control.tar compressed with xz.
    pub fn new(name: &str, version: &str, arch: &str) -> Self {
        DebBuilder {
            fields: vec![
                ("Package".into(), name.into()),
                ("Version".into(), version.into()),
                ("Architecture".into(), arch.into()),
                (
                    "Maintainer".into(),
                    "Test Maintainer <test@example.invalid>".into(),
                ),
            ],
            entries: Vec::new(),
            conffiles: Vec::new(),
            scripts: Vec::new(),
            control_members: Vec::new(),
            data_compression: Compression::Xz,
            control_compression: Compression::Xz,
            debian_binary: b"2.0\n".to_vec(),
            members_before_data: Vec::new(),
            members_after_data: Vec::new(),
            corrupt_data: false,
            md5sums: true,
        }
    }

    /// Adds (or replaces) a control field such as `Source`, `Depends` or `Replaces`.
    pub fn field(mut self, name: &str, value: &str) -> Self {
        match self.fields.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value.into(),
            None => self.fields.push((name.into(), value.into())),
        }
        self
    }

    /// A regular file (path relative to the root, without `./`).
    pub fn file(mut self, path: &str, content: &[u8], mode: u32) -> Self {
        self.entries.push(DataEntry::File {
            path: path.into(),
            content: content.to_vec(),
            mode,
        });
        self
    }

    /// A directory.
    pub fn dir(mut self, path: &str, mode: u32) -> Self {
        self.entries.push(DataEntry::Dir {
            path: path.into(),
            mode,
        });
        self
    }

    /// A symbolic link; `target` is stored as written.
    pub fn symlink(mut self, path: &str, target: &str) -> Self {
        self.entries.push(DataEntry::Symlink {
            path: path.into(),
            target: target.into(),
        });
        self
    }

    /// A hard link to an earlier entry (`target` relative to the root, without `./`).
    pub fn hardlink(mut self, path: &str, target: &str) -> Self {
        self.entries.push(DataEntry::Hardlink {
            path: path.into(),
            target: target.into(),
        });
        self
    }

    /// Lists `path` (absolute, as dpkg writes it) in `conffiles`.
    pub fn conffile(mut self, path: &str) -> Self {
        self.conffiles.push(path.into());
        self
    }

    /// Adds a maintainer script (`postinst`, `preinst`, ...) to control.tar.
    pub fn script(mut self, name: &str, content: &[u8]) -> Self {
        self.scripts.push((name.into(), content.to_vec()));
        self
    }

    /// How `data.tar` is compressed (xz by default).
    pub fn data_compression(mut self, compression: Compression) -> Self {
        self.data_compression = compression;
        self
    }

    /// How `control.tar` is compressed (xz by default).
    pub fn control_compression(mut self, compression: Compression) -> Self {
        self.control_compression = compression;
        self
    }

    /// Leaves out `md5sums` from control.tar.
    pub fn without_md5sums(mut self) -> Self {
        self.md5sums = false;
        self
    }

    // ---- hostile switches -------------------------------------------------------

    /// A file entry whose stored name is exactly `name` (e.g. `/etc/shadow` or
    /// `./../../etc/cron.d/x`), with no parent directories added.
    pub fn raw_file(mut self, name: &str, content: &[u8]) -> Self {
        self.entries.push(DataEntry::Raw {
            name: name.as_bytes().to_vec(),
            kind: tar::EntryType::Regular,
            declared_size: content.len() as u64,
            content: content.to_vec(),
        });
        self
    }

    /// A character device node named `name` (major/minor 0).
    pub fn char_device(self, name: &str) -> Self {
        self.raw_entry(name.as_bytes(), tar::EntryType::Char, b"")
    }

    /// An entry of any kind whose stored name is exactly the bytes `name` (at most 100:
    /// the header's own field; they need not be UTF-8).
    pub fn raw_entry(mut self, name: &[u8], kind: tar::EntryType, content: &[u8]) -> Self {
        self.entries.push(DataEntry::Raw {
            name: name.to_vec(),
            kind,
            declared_size: content.len() as u64,
            content: content.to_vec(),
        });
        self
    }

    /// One more member of `control.tar`, besides control, md5sums, conffiles and the
    /// maintainer scripts.
    pub fn control_member(mut self, name: &str, content: &[u8]) -> Self {
        self.control_members.push((name.into(), content.to_vec()));
        self
    }

    /// A file entry that declares `declared_size` bytes but carries none (the tar
    /// ends right after the header).
    pub fn huge_file(mut self, name: &str, declared_size: u64) -> Self {
        self.entries.push(DataEntry::Raw {
            name: name.as_bytes().to_vec(),
            kind: tar::EntryType::Regular,
            declared_size,
            content: Vec::new(),
        });
        self
    }

    /// Replaces the `debian-binary` member's content.
    pub fn debian_binary(mut self, content: &[u8]) -> Self {
        self.debian_binary = content.to_vec();
        self
    }

    /// An extra ar member placed between control.tar and data.tar.
    pub fn member_before_data(mut self, name: &str, content: &[u8]) -> Self {
        self.members_before_data.push((name.into(), content.to_vec()));
        self
    }

    /// An extra ar member placed after data.tar.
    pub fn member_after_data(mut self, name: &str, content: &[u8]) -> Self {
        self.members_after_data.push((name.into(), content.to_vec()));
        self
    }

    /// Damages the compressed data.tar stream in its middle.
    pub fn corrupt_data(mut self) -> Self {
        self.corrupt_data = true;
        self
    }

    // ---- output ------------------------------------------------------------------

    /// The control file text.
    pub fn control_text(&self) -> String {
        let mut text = String::new();
        for (name, value) in &self.fields {
            text.push_str(&format!("{name}: {value}\n"));
        }
        if !self.fields.iter().any(|(n, _)| n == "Description") {
            text.push_str("Description: test package\n built by buckle-testkit\n");
        }
        text
    }

    /// The `md5sums` text: one `<md5>  <path>` line per regular file.
    pub fn md5sums_text(&self) -> String {
        let mut text = String::new();
        for entry in &self.entries {
            if let DataEntry::File { path, content, .. } = entry {
                let digest = Md5::digest(content);
                let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
                text.push_str(&format!("{hex}  {}\n", path.trim_start_matches('/')));
            }
        }
        text
    }

    /// The uncompressed `data.tar`.
    pub fn data_tar(&self) -> Vec<u8> {
        let mut tar = tar::Builder::new(Vec::new());
        let mut seen = BTreeSet::new();
        append_dir(&mut tar, "./", 0o755);
        for entry in &self.entries {
            if let Some(path) = entry.path() {
                add_parents(&mut tar, &mut seen, path);
                seen.insert(path.trim_matches('/').to_owned());
            }
            append_entry(&mut tar, entry);
        }
        tar.into_inner().expect("writing to a Vec does not fail")
    }

    /// The uncompressed `control.tar`.
    pub fn control_tar(&self) -> Vec<u8> {
        let mut tar = tar::Builder::new(Vec::new());
        append_dir(&mut tar, "./", 0o755);
        append_file(&mut tar, "./control", self.control_text().as_bytes(), 0o644);
        if self.md5sums {
            append_file(&mut tar, "./md5sums", self.md5sums_text().as_bytes(), 0o644);
        }
        if !self.conffiles.is_empty() {
            let text: String = self.conffiles.iter().map(|c| format!("{c}\n")).collect();
            append_file(&mut tar, "./conffiles", text.as_bytes(), 0o644);
        }
        for (name, content) in &self.scripts {
            append_file(&mut tar, &format!("./{name}"), content, 0o755);
        }
        for (name, content) in &self.control_members {
            append_file(&mut tar, name, content, 0o644);
        }
        tar.into_inner().expect("writing to a Vec does not fail")
    }

    /// The `.deb` bytes.
    pub fn build(&self) -> Vec<u8> {
        let mut data = self.data_compression.compress(&self.data_tar());
        if self.corrupt_data {
            corrupt(&mut data);
        }
        let mut members = vec![
            ("debian-binary".to_owned(), self.debian_binary.clone()),
            (
                format!("control.tar{}", self.control_compression.suffix()),
                self.control_compression.compress(&self.control_tar()),
            ),
        ];
        members.extend(self.members_before_data.iter().cloned());
        members.push((format!("data.tar{}", self.data_compression.suffix()), data));
        members.extend(self.members_after_data.iter().cloned());
        ar_archive(&members)
    }
}

impl DataEntry {
    fn path(&self) -> Option<&str> {
        match self {
            DataEntry::File { path, .. }
            | DataEntry::Dir { path, .. }
            | DataEntry::Symlink { path, .. }
            | DataEntry::Hardlink { path, .. } => Some(path),
            DataEntry::Raw { .. } => None,
        }
    }
}

fn dotted(path: &str) -> String {
    format!("./{}", path.trim_start_matches('/'))
}

fn add_parents(tar: &mut tar::Builder<Vec<u8>>, seen: &mut BTreeSet<String>, path: &str) {
    let path = path.trim_matches('/');
    let mut prefix = String::new();
    let components: Vec<&str> = path.split('/').collect();
    for component in &components[..components.len().saturating_sub(1)] {
        if !prefix.is_empty() {
            prefix.push('/');
        }
        prefix.push_str(component);
        if seen.insert(prefix.clone()) {
            append_dir(tar, &format!("./{prefix}/"), 0o755);
        }
    }
}

fn header(kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(kind);
    header.set_mode(mode);
    header.set_uid(0);
    header.set_gid(0);
    header.set_username("root").expect("`root` fits");
    header.set_groupname("root").expect("`root` fits");
    header.set_mtime(MTIME);
    header.set_size(size);
    header
}

fn append_dir(tar: &mut tar::Builder<Vec<u8>>, name: &str, mode: u32) {
    put(tar, header(tar::EntryType::Directory, mode, 0), name, None, &[]);
}

fn append_file(tar: &mut tar::Builder<Vec<u8>>, name: &str, content: &[u8], mode: u32) {
    let h = header(tar::EntryType::Regular, mode, content.len() as u64);
    put(tar, h, name, None, content);
}

/// Appends an entry keeping `name` exactly as given (`./usr/...`, as dpkg-deb writes
/// it); names or link targets over 100 bytes go through the GNU long-name extension.
fn put(tar: &mut tar::Builder<Vec<u8>>, mut h: tar::Header, name: &str, link: Option<&str>, content: &[u8]) {
    let fits = name.len() <= 100 && link.is_none_or(|l| l.len() <= 100);
    if !fits {
        match link {
            Some(link) => tar.append_link(&mut h, name, link).expect("link entry"),
            None => tar.append_data(&mut h, name, content).expect("entry"),
        }
        return;
    }
    set_raw(&mut h.as_old_mut().name, name);
    if let Some(link) = link {
        set_raw(&mut h.as_old_mut().linkname, link);
    }
    h.set_cksum();
    tar.append(&h, content).expect("entry");
}

fn set_raw(field: &mut [u8; 100], value: impl AsRef<[u8]>) {
    let bytes = value.as_ref();
    assert!(bytes.len() <= field.len(), "raw names must fit in 100 bytes");
    field.fill(0);
    field[..bytes.len()].copy_from_slice(bytes);
}

fn append_entry(tar: &mut tar::Builder<Vec<u8>>, entry: &DataEntry) {
    match entry {
        DataEntry::File { path, content, mode } => append_file(tar, &dotted(path), content, *mode),
        DataEntry::Dir { path, mode } => {
            append_dir(tar, &format!("{}/", dotted(path.trim_end_matches('/'))), *mode)
        }
        DataEntry::Symlink { path, target } => {
            let h = header(tar::EntryType::Symlink, 0o777, 0);
            put(tar, h, &dotted(path), Some(target), &[]);
        }
        DataEntry::Hardlink { path, target } => {
            let h = header(tar::EntryType::Link, 0o644, 0);
            put(tar, h, &dotted(path), Some(&dotted(target)), &[]);
        }
        DataEntry::Raw {
            name,
            kind,
            declared_size,
            content,
        } => {
            let mut h = header(*kind, 0o644, *declared_size);
            set_raw(&mut h.as_old_mut().name, name);
            h.set_cksum();
            tar.append(&h, content.as_slice()).expect("raw entry");
        }
    }
}

/// Flips the bytes of the middle third of a compressed stream.
fn corrupt(bytes: &mut [u8]) {
    let len = bytes.len();
    for b in &mut bytes[len / 3..(2 * len / 3).max(len / 3 + 1).min(len)] {
        *b ^= 0x5a;
    }
}

/// An ar archive in the common format dpkg writes: `!<arch>\n`, then per member a
/// 60-byte header (name 16, mtime 12, uid 6, gid 6, octal mode 8, decimal size 10,
/// `` `\n ``), the content, and a `\n` pad to an even offset.
pub fn ar_archive(members: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = b"!<arch>\n".to_vec();
    for (name, content) in members {
        let header = format!(
            "{name:<16}{MTIME:<12}{:<6}{:<6}{:<8}{:<10}`\n",
            0,
            0,
            "100644",
            content.len()
        );
        assert_eq!(header.len(), 60, "ar member names must fit in 16 bytes");
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(content);
        if content.len() % 2 == 1 {
            out.push(b'\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn dpkg_deb(args: &[&str], deb: &[u8]) -> String {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("test.deb");
        std::fs::write(&path, deb).unwrap();
        let out = Command::new("dpkg-deb")
            .args(args)
            .arg(&path)
            .output()
            .expect("dpkg-deb is installed (dpkg)");
        assert!(
            out.status.success(),
            "dpkg-deb {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn sample() -> DebBuilder {
        DebBuilder::new("hello", "1.0-1", "amd64")
            .field("Source", "hello-src (1.0-1)")
            .file("usr/bin/hello", b"#!/bin/true\n", 0o755)
            .symlink("usr/bin/hi", "hello")
            .hardlink("usr/bin/hello2", "usr/bin/hello")
            .dir("var/lib/hello", 0o700)
            .file("etc/hello.conf", b"x=1\n", 0o644)
            .conffile("/etc/hello.conf")
    }

    #[test]
    fn dpkg_deb_reads_the_control_fields() {
        for compression in [
            Compression::Xz,
            Compression::Zstd,
            Compression::Gzip,
            Compression::None,
        ] {
            let deb = sample().data_compression(compression).build();
            let info = dpkg_deb(&["--info"], &deb);
            assert!(info.contains(" Package: hello\n"), "{info}");
            assert!(info.contains(" Source: hello-src (1.0-1)\n"), "{info}");
            assert!(info.contains(" md5sums"), "{info}");
            assert!(info.contains(" conffiles"), "{info}");
        }
    }

    #[test]
    fn dpkg_deb_lists_every_file_with_parents_first() {
        for compression in [Compression::Xz, Compression::Zstd, Compression::Gzip] {
            let listing = dpkg_deb(&["-c"], &sample().data_compression(compression).build());
            let names: Vec<&str> = listing
                .lines()
                .map(|l| l.split_whitespace().nth(5).unwrap())
                .collect();
            assert_eq!(
                names,
                [
                    "./",
                    "./usr/",
                    "./usr/bin/",
                    "./usr/bin/hello",
                    "./usr/bin/hi",
                    "./usr/bin/hello2",
                    "./var/",
                    "./var/lib/",
                    "./var/lib/hello/",
                    "./etc/",
                    "./etc/hello.conf"
                ],
                "{listing}"
            );
            assert!(listing.contains("-rwxr-xr-x root/root"), "{listing}");
            assert!(listing.contains("./usr/bin/hi -> hello"), "{listing}");
            assert!(
                listing.contains("./usr/bin/hello2 link to ./usr/bin/hello"),
                "{listing}"
            );
        }
    }

    #[test]
    fn md5sums_list_regular_files_only() {
        let text = sample().md5sums_text();
        assert_eq!(
            text,
            format!(
                "{:x}  usr/bin/hello\n{:x}  etc/hello.conf\n",
                Md5::digest(b"#!/bin/true\n"),
                Md5::digest(b"x=1\n")
            )
        );
    }

    #[test]
    fn hostile_entries_are_written_verbatim() {
        let tar_bytes = DebBuilder::new("evil", "1", "all")
            .raw_file("/etc/shadow", b"x")
            .raw_file("./../../escape", b"y")
            .char_device("./dev/null")
            .data_tar();
        let mut archive = tar::Archive::new(&tar_bytes[..]);
        let names: Vec<(Vec<u8>, tar::EntryType)> = archive
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (e.path_bytes().into_owned(), e.header().entry_type())
            })
            .collect();
        assert_eq!(names[1], (b"/etc/shadow".to_vec(), tar::EntryType::Regular));
        assert_eq!(names[2].0, b"./../../escape".to_vec());
        assert_eq!(names[3].1, tar::EntryType::Char);
    }
}
