use super::*;
use crate::error::{EntryProblem, Error, PathProblem, Result};
use std::io::Read;

fn p(s: &str) -> RelPath {
    RelPath::new(s).unwrap()
}

/// A small tree with every writable kind, a setuid file, a non-root owner and names
/// long enough to need PAX records.
fn sample_entries() -> Vec<(Entry, Vec<u8>)> {
    let long_dir = format!("opt/{}", "d".repeat(120));
    let long_file = format!("{long_dir}/{}", "f".repeat(80));
    vec![
        (Entry::directory(RelPath::root(), 0o755), vec![]),
        (Entry::directory(p("etc"), 0o755), vec![]),
        (Entry::file(p("etc/hostname"), 0o644, 4), b"box\n".to_vec()),
        (
            Entry::directory(p("home/nonroot"), 0o700).with_owner(65532, 65532),
            vec![],
        ),
        (Entry::directory(p(&long_dir), 0o755), vec![]),
        (Entry::file(p(&long_file), 0o4755, 600), vec![7u8; 600]),
        (Entry::symlink(p("etc/long"), format!("/{long_file}")), vec![]),
        (Entry::hardlink(p("opt/same"), p(&long_file), 0o4755), vec![]),
        (Entry::directory(p("tmp"), 0o1777), vec![]),
    ]
}

fn write_layer(
    entries: &[(Entry, Vec<u8>)],
    compression: Compression,
    epoch: u64,
) -> (LayerDigests, Vec<u8>) {
    let mut w = LayerWriter::new(Vec::new(), compression, epoch).unwrap();
    for (entry, content) in entries {
        w.append(entry, content.as_slice()).unwrap();
    }
    w.finish().unwrap()
}

fn read_all(tar: &[u8]) -> Result<Vec<(Entry, Vec<u8>)>> {
    let mut reader = Reader::new(tar);
    let mut out = Vec::new();
    for item in reader.entries()? {
        let (entry, mut content) = item?;
        let mut bytes = Vec::new();
        content.read_to_end(&mut bytes).unwrap();
        out.push((entry, bytes));
    }
    Ok(out)
}

#[test]
fn same_entries_give_same_layer_bytes_for_every_compression() {
    let entries = sample_entries();
    for compression in [Compression::None, Compression::Gzip, Compression::Zstd] {
        let (a, bytes_a) = write_layer(&entries, compression, 1_700_000_000);
        let (b, bytes_b) = write_layer(&entries, compression, 1_700_000_000);
        assert_eq!(a, b, "{compression:?}");
        assert_eq!(bytes_a, bytes_b, "{compression:?}");
        assert_eq!(a.digest, buckle_digest::Sha256::of(&bytes_a));
        assert_eq!(a.size, bytes_a.len() as u64);
        assert_eq!(a.media_type, compression.layer_media_type());
    }
}

#[test]
fn another_source_date_epoch_gives_another_diff_id() {
    let entries = sample_entries();
    let (a, _) = write_layer(&entries, Compression::Gzip, 1_700_000_000);
    let (b, _) = write_layer(&entries, Compression::Gzip, 1_700_000_001);
    assert_ne!(a.diff_id, b.diff_id);
    assert_ne!(a.digest, b.digest);
}

#[test]
fn compressed_layers_share_the_diff_id_of_the_plain_tar() {
    let entries = sample_entries();
    let (plain, tar) = write_layer(&entries, Compression::None, 0);
    assert_eq!(plain.diff_id, plain.digest);
    assert_eq!(plain.diff_id, buckle_digest::Sha256::of(&tar));
    let (gz, gz_bytes) = write_layer(&entries, Compression::Gzip, 0);
    let (zst, zst_bytes) = write_layer(&entries, Compression::Zstd, 0);
    assert_eq!((gz.diff_id, zst.diff_id), (plain.diff_id, plain.diff_id));
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(gz_bytes.as_slice())
        .read_to_end(&mut unzipped)
        .unwrap();
    assert_eq!(unzipped, tar);
    assert_eq!(zstd::decode_all(zst_bytes.as_slice()).unwrap(), tar);
}

/// Pins the bytes: a change of tar header layout, gzip backend or level shows up here
/// (and would change every image digest buckle produces).
#[test]
fn gzip_layer_bytes_are_stable_across_builds() {
    let (d, bytes) = write_layer(&sample_entries(), Compression::Gzip, 1_700_000_000);
    // gzip header: magic, deflate, no flags (no file name), mtime 0, xfl 0, OS 255.
    assert_eq!(bytes[..10], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);
    assert_eq!(d.diff_id.hex(), PINNED_DIFF_ID);
    assert_eq!(d.digest.hex(), PINNED_GZIP_DIGEST);
}

const PINNED_DIFF_ID: &str = "c086e6f9f10116a9068119cc671b426ffbdebdfe94576e25985903e8f7275c6e";
const PINNED_GZIP_DIGEST: &str = "2b75be8511f3ca5809c6a142c61f168b161d43b4976358fb5849cfb3757e7044";

#[test]
fn written_layer_reads_back_entry_for_entry() {
    let entries = sample_entries();
    let (_, tar) = write_layer(&entries, Compression::None, 42);
    assert_eq!(read_all(&tar).unwrap(), entries);
}

#[test]
fn headers_carry_fixed_times_and_no_owner_names() {
    let (_, tar) = write_layer(&sample_entries(), Compression::None, 42);
    let mut archive = ::tar::Archive::new(tar.as_slice());
    for raw in archive.entries().unwrap() {
        let raw = raw.unwrap();
        let h = raw.header();
        assert_eq!(h.mtime().unwrap(), 42);
        assert_eq!(h.username_bytes(), Some(&b""[..]));
        assert_eq!(h.groupname_bytes(), Some(&b""[..]));
        assert!(h.as_ustar().is_some());
    }
}

#[test]
fn file_content_of_the_wrong_length_is_refused() {
    let mut w = LayerWriter::new(Vec::new(), Compression::None, 0).unwrap();
    let err = w.append(&Entry::file(p("a"), 0o644, 5), &b"abc"[..]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "content of `a` does not match its entry: expected 5 bytes, found 3"
    );
    let mut w = LayerWriter::new(Vec::new(), Compression::None, 0).unwrap();
    let err = w.append(&Entry::file(p("b"), 0o644, 2), &b"abc"[..]).unwrap_err();
    assert!(
        matches!(
            err,
            Error::ContentSize {
                expected: 2,
                actual: 3,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn device_nodes_are_never_written() {
    let mut w = LayerWriter::new(Vec::new(), Compression::None, 0).unwrap();
    let dev = Entry {
        path: p("dev/null"),
        kind: EntryKind::CharDevice,
        mode: 0o666,
        uid: 0,
        gid: 0,
    };
    let err = w.append(&dev, std::io::empty()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot write `dev/null` into a layer: character device entries are not allowed in images"
    );
}

// ---- hostile input, built byte by byte so that no writer sanitises it ----

fn raw_header(name: &[u8], kind: u8, link: &[u8], size: u64) -> ::tar::Header {
    let mut h = ::tar::Header::new_ustar();
    let old = h.as_old_mut();
    old.name[..name.len()].copy_from_slice(name);
    old.linkname[..link.len()].copy_from_slice(link);
    old.linkflag = [kind];
    h.set_mode(0o644);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(0);
    h.set_size(size);
    h.set_cksum();
    h
}

fn push(out: &mut Vec<u8>, header: &::tar::Header, body: &[u8]) {
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(body);
    out.resize(out.len().div_ceil(512) * 512, 0);
}

/// (name, type flag, link name, body) for each member.
type RawMember<'a> = (&'a [u8], u8, &'a [u8], &'a [u8]);

fn raw_tar(members: &[RawMember]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, kind, link, body) in members {
        push(&mut out, &raw_header(name, *kind, link, body.len() as u64), body);
    }
    out.extend_from_slice(&[0; 1024]);
    out
}

fn pax_body(key: &str, value: &str) -> Vec<u8> {
    let mut body = Vec::new();
    super::write::pax_record(&mut body, key, value.as_bytes());
    body
}

fn rejection(tar: &[u8]) -> (u64, String, EntryProblem) {
    match read_all(tar) {
        Err(Error::UnsafeEntry { index, path, problem }) => (index, path, problem),
        other => panic!("expected a rejected entry, got {other:?}"),
    }
}

#[test]
fn tar_entry_with_absolute_path_is_rejected() {
    let tar = raw_tar(&[(b"ok", b'0', b"", b""), (b"/etc/passwd", b'0', b"", b"root")]);
    let err = read_all(&tar).unwrap_err();
    assert_eq!(
        err.to_string(),
        "tar entry #1 `/etc/passwd` is rejected: absolute path"
    );
}

#[test]
fn tar_entry_escaping_root_is_rejected() {
    for name in [&b"../evil"[..], b"./a/../../evil", b"a/.."] {
        let tar = raw_tar(&[(name, b'0', b"", b"x")]);
        let (index, path, problem) = rejection(&tar);
        assert_eq!(
            (index, path.as_bytes(), problem),
            (0, name, EntryProblem::Path(PathProblem::ParentComponent))
        );
    }
}

#[test]
fn tar_entry_escaping_root_through_pax_path_is_rejected() {
    let mut tar = Vec::new();
    let body = pax_body("path", "../../etc/cron.d/evil");
    push(
        &mut tar,
        &raw_header(b"PaxHeader", b'x', b"", body.len() as u64),
        &body,
    );
    push(&mut tar, &raw_header(b"harmless", b'0', b"", 1), b"x");
    tar.extend_from_slice(&[0; 1024]);
    let (index, path, problem) = rejection(&tar);
    assert_eq!(path, "../../etc/cron.d/evil");
    assert_eq!(problem, EntryProblem::Path(PathProblem::ParentComponent));
    assert_eq!(index, 0, "extension headers are not counted");
}

#[test]
fn tar_entry_escaping_root_through_gnu_long_name_is_rejected() {
    let mut tar = Vec::new();
    let long = format!("/{}", "a/".repeat(80));
    let mut h = ::tar::Header::new_gnu();
    h.as_old_mut().name[..13].copy_from_slice(b"././@LongLink");
    h.set_entry_type(::tar::EntryType::GNULongName);
    h.set_size(long.len() as u64);
    h.set_cksum();
    push(&mut tar, &h, long.as_bytes());
    push(&mut tar, &raw_header(b"short", b'0', b"", 0), b"");
    tar.extend_from_slice(&[0; 1024]);
    let (_, path, problem) = rejection(&tar);
    assert_eq!((path, problem), (long, EntryProblem::Path(PathProblem::Absolute)));
}

#[test]
fn hardlink_escaping_root_is_rejected() {
    let tar = raw_tar(&[(b"x", b'1', b"../../etc/shadow", b"")]);
    let (_, _, problem) = rejection(&tar);
    assert_eq!(problem, EntryProblem::LinkTarget(PathProblem::ParentComponent));
    let tar = raw_tar(&[(b"x", b'1', b"/etc/shadow", b"")]);
    assert_eq!(rejection(&tar).2, EntryProblem::LinkTarget(PathProblem::Absolute));
}

#[test]
fn oversized_entry_is_rejected_before_its_content_is_read() {
    let mut tar = Vec::new();
    // Claims a terabyte; the stream ends right after the header.
    tar.extend_from_slice(raw_header(b"huge", b'0', b"", 1 << 40).as_bytes());
    let mut reader = Reader::new(tar.as_slice()).max_entry_size(1 << 20);
    let err = reader.entries().unwrap().next().unwrap().err().unwrap();
    assert_eq!(
        err.to_string(),
        "tar entry #0 `huge` is rejected: size 1099511627776 exceeds the limit of 1048576 bytes"
    );
}

#[test]
fn reader_stops_after_the_first_rejected_entry() {
    let tar = raw_tar(&[(b"/abs", b'0', b"", b""), (b"fine", b'0', b"", b"")]);
    let mut reader = Reader::new(tar.as_slice());
    let results: Vec<_> = reader.entries().unwrap().collect();
    assert_eq!(results.len(), 1);
    assert!(results[0].is_err());
}

#[test]
fn device_nodes_and_fifos_are_reported() {
    let tar = raw_tar(&[
        (b"dev/null", b'3', b"", b""),
        (b"dev/sda", b'4', b"", b""),
        (b"run/pipe", b'6', b"", b""),
    ]);
    let kinds: Vec<EntryKind> = read_all(&tar).unwrap().into_iter().map(|(e, _)| e.kind).collect();
    assert_eq!(
        kinds,
        [EntryKind::CharDevice, EntryKind::BlockDevice, EntryKind::Fifo]
    );
}

#[test]
fn unknown_entry_types_are_rejected() {
    let tar = raw_tar(&[(b"vol", b'V', b"", b"")]);
    assert_eq!(rejection(&tar).2, EntryProblem::UnsupportedType(b'V'));
}

#[test]
fn dot_slash_names_and_long_names_are_normalised() {
    let long = format!("./usr/{}", "n".repeat(150));
    let mut tar = Vec::new();
    let body = pax_body("path", &long);
    push(
        &mut tar,
        &raw_header(b"PaxHeader", b'x', b"", body.len() as u64),
        &body,
    );
    push(&mut tar, &raw_header(b"truncated", b'0', b"", 2), b"hi");
    push(&mut tar, &raw_header(b"./usr/bin/", b'5', b"", 0), b"");
    push(&mut tar, &raw_header(b"./usr/bin/x", b'0', b"", 1), b"x");
    tar.extend_from_slice(&[0; 1024]);
    let got: Vec<(String, Vec<u8>)> = read_all(&tar)
        .unwrap()
        .into_iter()
        .map(|(e, c)| (e.path.to_string(), c))
        .collect();
    assert_eq!(got[0], (long[2..].to_owned(), b"hi".to_vec()));
    assert_eq!(got[1].0, "usr/bin");
    assert_eq!(got[2], ("usr/bin/x".to_owned(), b"x".to_vec()));
}

#[test]
fn pax_global_headers_are_skipped() {
    let body = pax_body("comment", "made by git");
    let tar = raw_tar(&[
        (b"pax_global_header", b'g', b"", &body),
        (b"file", b'0', b"", b"1"),
    ]);
    let got = read_all(&tar).unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0.path, p("file"));
}

#[test]
fn whiteout_names_are_recognised() {
    assert_eq!(
        Whiteout::of(&p("etc/.wh.passwd")),
        Some(Whiteout::Remove(p("etc/passwd")))
    );
    assert_eq!(Whiteout::of(&p(".wh.tmp")), Some(Whiteout::Remove(p("tmp"))));
    assert_eq!(
        Whiteout::of(&p("var/.wh..wh..opq")),
        Some(Whiteout::Opaque(p("var")))
    );
    assert_eq!(Whiteout::of(&p("var/.wh..wh.plnk")), None);
    assert_eq!(Whiteout::of(&p("var/.what")), None);
    assert_eq!(Whiteout::of(&RelPath::root()), None);
}

#[test]
fn whiteout_marker_round_trips() {
    for w in [
        Whiteout::Remove(p("etc/passwd")),
        Whiteout::Remove(p("tmp")),
        Whiteout::Opaque(p("var")),
    ] {
        assert_eq!(Whiteout::of(&w.marker()), Some(w));
    }
}

fn tar_with_owner_field(uid: &[u8]) -> Vec<u8> {
    let mut header = ::tar::Header::new_gnu();
    header.set_path("package/index.js").unwrap();
    header.set_size(2);
    header.set_mode(0o644);
    header.set_mtime(0);
    header.set_gid(0);
    header.as_old_mut().uid.copy_from_slice(uid);
    header.set_cksum();
    let mut builder = ::tar::Builder::new(Vec::new());
    builder.append(&header, b"1\n".as_slice()).unwrap();
    builder.into_inner().unwrap()
}

#[test]
fn blank_owner_fields_read_as_root_like_npm_tarballs_need() {
    let entries = read_all(&tar_with_owner_field(&[0; 8])).unwrap();
    assert_eq!((entries[0].0.uid, entries[0].0.gid), (0, 0));
    let entries = read_all(&tar_with_owner_field(b"       \0")).unwrap();
    assert_eq!(entries[0].0.uid, 0);
    let err = read_all(&tar_with_owner_field(b"garbage\0")).unwrap_err();
    assert!(matches!(err, Error::TarRead { .. }), "{err}");
}
