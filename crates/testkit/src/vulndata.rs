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
