//! A keyring file (armored or binary OpenPGP public keys) named by a spec: no panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let _ = buckle_archive::Keyring::from_bytes("fuzz.asc", bytes);
});
