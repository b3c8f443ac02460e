//! The real vulnerability data kept in the repository (`testdata/vulndata`:
//! Packages stanzas, changelogs from real .debs, tracker records, the CISA KEV catalog
//! and worked findings; see its README), for the scan tests.

use std::io::Read;
use std::path::PathBuf;

/// The data directory: `$BUCKLE_VULNDATA`, else the repository's `testdata/vulndata`.
pub fn dir() -> PathBuf {
    let dir = std::env::var_os("BUCKLE_VULNDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/vulndata"));
    assert!(
        dir.join("README.md").is_file(),
        "the real vulnerability data is missing at {} (set BUCKLE_VULNDATA)",
        dir.display()
    );
    dir
}

/// The bytes of a file of the data directory.
pub fn read(path: &str) -> Vec<u8> {
    let path = dir().join(path);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Gunzipped text.
pub fn gunzip(bytes: &[u8]) -> String {
    let mut text = String::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut text)
        .unwrap();
    text
}

/// A suite of the generated archive holding every real stanza of
/// `packages/<suite>.Packages`: each package's `.deb` carries the changelog the data
/// stored for that version (from the release's or its `-security` directory), else
/// nothing but its control fields. Sign and serve it with [`crate::repo::RepoBuilder`].
pub fn suite(suite: &str) -> crate::repo::SuiteBuilder {
    let text = String::from_utf8(read(&format!("packages/{suite}.Packages"))).unwrap();
    text.split("\n\n")
        .filter(|stanza| !stanza.trim().is_empty())
        .map(|stanza| package(suite, stanza))
        .fold(
            crate::repo::SuiteBuilder::new(suite),
            crate::repo::SuiteBuilder::package,
        )
}

/// The test package of one real stanza of `suite`.
fn package(suite: &str, stanza: &str) -> crate::repo::TestPackage {
    let field = |name: &str| {
        stanza
            .lines()
            .find_map(|line| line.strip_prefix(&format!("{name}: ")))
            .map(str::to_owned)
    };
    let (name, version, arch) = (
        field("Package").unwrap(),
        field("Version").unwrap(),
        field("Architecture").unwrap(),
    );
    let source = field("Source").unwrap_or_else(|| name.clone());
    // One version has one .deb, whichever suite's directory stored its changelog.
    let release = suite.trim_end_matches("-security");
    let mut deb = crate::deb::DebBuilder::new(&name, &version, &arch).field("Source", &source);
    'found: for suite in [release.to_owned(), format!("{release}-security")] {
        let dir = dir()
            .join("changelogs")
            .join(suite)
            .join(format!("{name}_{}", version.replace(':', "%3a")));
        for file in ["changelog.Debian.gz", "changelog.gz"] {
            if let Ok(bytes) = std::fs::read(dir.join(file)) {
                deb = deb.file(&format!("usr/share/doc/{name}/{file}"), &bytes, 0o644);
                break 'found;
            }
        }
    }
    crate::repo::TestPackage::new(&name, &version, &arch)
        .field("Source", &source)
        .deb(deb.build())
}
