//! A Packages index (what a mirror serves, after its hash check): no panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = buckle_archive::packages::parse_index(text);
});
