//! A whole InRelease file checked against the shipped Debian archive keys: the
//! cleartext split, the armored signature, the signature check. No panic; what
//! verifies (the real seeds do) is text that the Release parser then reads.
#![no_main]
use buckle_archive::{verify::verify_clearsigned, Keyring, ReleaseDate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let keyring = Keyring::debian();
    // A date inside the validity of the shipped keys, so that expiry is not what stops it.
    let now = ReleaseDate::from_unix(1_750_000_000);
    if let Ok(signed) = verify_clearsigned(bytes, &keyring, now, "fuzz/InRelease") {
        assert!(!signed.signer.is_empty());
        let _ = buckle_archive::Release::parse(&signed.text, "fuzz/InRelease");
    }
});
