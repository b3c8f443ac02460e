//! An OpenVEX document: no panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let _ = buckle_vuln::vex::parse_openvex("fuzz", bytes);
});
