//! The armored signature part of an InRelease file, after a fixed well-formed signed
//! text, so that every input reaches the signature parser and the key lookup. No panic,
//! and nothing verifies: no Debian key ever signed that text.
#![no_main]
use buckle_archive::{verify::verify_clearsigned, Keyring, ReleaseDate};
use libfuzzer_sys::fuzz_target;

const SIGNED: &str = "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nOrigin: Debian\nSuite: stable\nCodename: bookworm\nDate: Sat, 10 May 2025 08:00:00 UTC\n";

fuzz_target!(|signature: &[u8]| {
    let mut bytes = SIGNED.as_bytes().to_vec();
    bytes.extend_from_slice(signature);
    let now = ReleaseDate::from_unix(1_750_000_000);
    if let Ok(signed) = verify_clearsigned(&bytes, &Keyring::debian(), now, "fuzz/InRelease") {
        panic!("a fuzzed signature verified as made by {}", signed.signer);
    }
});
