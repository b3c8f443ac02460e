use super::*;
use buckle_testkit::deb::{ar_archive, Compression as DebCompression, DebBuilder};
use std::error::Error as _;

fn read(builder: &DebBuilder) -> Result<Deb> {
    read_deb("test.deb", &builder.build()[..], &Limits::default())
}

/// The error and its causes, joined, as the CLI would print them.
fn chain(err: &Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn sample() -> DebBuilder {
    DebBuilder::new("hello", "1.0-1+b1", "amd64")
        .field("Source", "hello-src (1.0-1)")
        .file("usr/bin/hello", b"#!/bin/true\n", 0o4755)
        .symlink("usr/bin/hi", "hello")
        .hardlink("usr/bin/hello2", "usr/bin/hello")
        .dir("var/lib/hello", 0o700)
        .file("etc/hello.conf", b"x=1\n", 0o644)
        .conffile("/etc/hello.conf")
        .script("postinst", b"#!/bin/sh\nrm -rf /\n")
}

fn path(p: &str) -> RelPath {
    RelPath::new(p).unwrap()
}

#[test]
fn every_data_compression_gives_the_same_entries() {
    let mut seen = Vec::new();
    for compression in [
        DebCompression::Xz,
        DebCompression::Zstd,
        DebCompression::Gzip,
        DebCompression::None,
    ] {
        let deb = read(
            &sample()
                .data_compression(compression)
                .control_compression(compression),
        )
        .unwrap();
        seen.push(deb.files);
    }
    assert!(seen.windows(2).all(|w| w[0] == w[1]));
    let files = &seen[0];
    let find = |p: &str| files.iter().find(|f| f.path == path(p)).unwrap();
    assert_eq!(
        find("usr/bin/hello").kind,
        FileKind::File(Content::from("#!/bin/true\n"))
    );
    assert_eq!(find("usr/bin/hello").mode, 0o4755);
    assert_eq!(find("usr/bin/hi").kind, FileKind::Symlink("hello".into()));
    assert_eq!(
        find("usr/bin/hello2").kind,
        FileKind::Hardlink(path("usr/bin/hello"))
    );
    assert_eq!(
        (find("var/lib/hello").kind.clone(), find("var/lib/hello").mode),
        (FileKind::Directory, 0o700)
    );
    assert_eq!(
        files.first().unwrap().path,
        path("usr"),
        "the root entry is left out"
    );
}

#[test]
fn control_md5sums_and_conffiles_are_read() {
    let deb = read(&sample()).unwrap();
    assert_eq!(deb.package.name.as_str(), "hello");
    assert_eq!(deb.package.source.as_str(), "hello-src");
    assert_eq!(deb.package.source_version.to_string(), "1.0-1");
    assert!(
        deb.control.starts_with("Package: hello\nVersion: 1.0-1+b1\n"),
        "{}",
        deb.control
    );
    assert_eq!(deb.conffiles, [path("etc/hello.conf")]);
    let paths: Vec<&str> = deb.md5sums.iter().map(|m| m.path.as_str()).collect();
    assert_eq!(paths, ["usr/bin/hello", "etc/hello.conf"]);
    // md5("x=1\n"), from `printf 'x=1\n' | md5sum`.
    assert_eq!(deb.md5sums[1].md5, "f968f33f844c98de1d3b4fe70f2e1a0f");
}

#[test]
fn absolute_path_in_data_tar_is_rejected() {
    let err = read(&sample().raw_file("/etc/shadow", b"root::0:0")).unwrap_err();
    let text = chain(&err);
    assert!(
        matches!(err, Error::DebTar { ref member, .. } if member == "data.tar.xz"),
        "{text}"
    );
    assert!(
        text.contains("`test.deb`") && text.contains("`/etc/shadow`") && text.contains("absolute path"),
        "{text}"
    );
}

#[test]
fn parent_component_escaping_the_root_is_rejected() {
    let err = read(&sample().raw_file("./../../etc/cron.d/evil", b"* * * * * root sh")).unwrap_err();
    let text = chain(&err);
    assert!(
        text.contains("`test.deb`")
            && text.contains("`./../../etc/cron.d/evil`")
            && text.contains("`..` component"),
        "{text}"
    );
}

#[test]
fn character_device_is_rejected() {
    let err = read(&sample().char_device("./dev/kmem")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "`test.deb` contains `dev/kmem`, a character device: device nodes and fifos are not allowed in images"
    );
}

#[test]
fn absurd_declared_size_is_rejected_before_reading() {
    let err = read(&sample().huge_file("./usr/lib/huge", 1 << 40)).unwrap_err();
    let text = chain(&err);
    assert!(
        text.contains("`./usr/lib/huge`") && text.contains("exceeds the limit of 1073741824 bytes"),
        "{text}"
    );
}

#[test]
fn package_larger_than_the_limit_is_rejected() {
    let limits = Limits {
        max_package_size: 10,
        ..Limits::default()
    };
    let deb = DebBuilder::new("big", "1", "all")
        .file("a", b"123456", 0o644)
        .file("b", b"123456", 0o644);
    let err = read_deb("big.deb", &deb.build()[..], &limits).unwrap_err();
    assert_eq!(err.to_string(), "`big.deb` unpacks to more than 10 bytes");
}

#[test]
fn corrupt_compression_is_reported_with_the_member() {
    for compression in [DebCompression::Xz, DebCompression::Zstd, DebCompression::Gzip] {
        let deb = sample()
            .file("usr/share/big", &vec![7u8; 200_000], 0o644)
            .data_compression(compression)
            .corrupt_data();
        let err = read(&deb).unwrap_err();
        let member = format!("data.tar{}", compression.suffix());
        assert!(
            matches!(&err, Error::DebTar { member: m, .. } | Error::DebRead { member: m, .. } if m.starts_with(&member)),
            "{compression:?}: {}",
            chain(&err)
        );
    }
}

#[test]
fn unknown_member_is_rejected() {
    let err = read(&sample().member_before_data("evil.sh", b"x")).unwrap_err();
    assert!(
        matches!(err, Error::UnknownMember { ref member, .. } if member == "evil.sh"),
        "{err}"
    );
    let err = read(&sample().member_after_data("data.tar.bz2", b"x")).unwrap_err();
    assert!(matches!(err, Error::UnsupportedCompression { .. }), "{err}");
}

#[test]
fn underscore_members_are_skipped() {
    let deb = read(&sample().member_before_data("_gpgbuilder", b"signature")).unwrap();
    assert_eq!(deb.package.name.as_str(), "hello");
}

#[test]
fn second_data_member_is_rejected() {
    let err = read(&sample().member_after_data("data.tar", b"")).unwrap_err();
    assert!(err.to_string().contains("`data.tar` is out of place"), "{err}");
}

#[test]
fn wrong_format_version_is_rejected() {
    let err = read(&sample().debian_binary(b"3.0\n")).unwrap_err();
    assert!(err.to_string().contains("expected format version `2.x`"), "{err}");
}

#[test]
fn missing_members_are_named() {
    let only_binary = ar_archive(&[("debian-binary".into(), b"2.0\n".to_vec())]);
    let err = read_deb("x.deb", &only_binary[..], &Limits::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "`x.deb` is not a valid .deb: no `control.tar` member"
    );
    let err = read_deb("x.deb", &b"not a deb"[..], &Limits::default()).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("`x.deb` is not a valid .deb: expected the ar magic"),
        "{err}"
    );
}

#[test]
fn hard_link_to_a_missing_file_is_rejected() {
    let err = read(&DebBuilder::new("x1", "1", "all").hardlink("usr/bin/a", "etc/shadow")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "`test.deb` contains a hard link `usr/bin/a` to `etc/shadow`, which is not an earlier regular file of the package"
    );
}

#[test]
fn control_without_version_names_the_package() {
    let mut fields = DebBuilder::new("x1", "1", "all");
    fields = fields.field("Version", "not a version!");
    let text = chain(&read(&fields).unwrap_err());
    assert!(
        text.starts_with("the control file of `test.deb` is not usable"),
        "{text}"
    );
}

#[test]
fn control_with_a_broken_relation_field_names_it() {
    let deb = DebBuilder::new("x1", "1", "all").field("Replaces", "x0 (<< 1");
    let text = chain(&read(&deb).unwrap_err());
    assert!(
        text.starts_with("the control file of `test.deb` is not usable") && text.contains("bad `Replaces`"),
        "{text}"
    );
}
