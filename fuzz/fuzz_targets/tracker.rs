//! The Debian security tracker JSON (`buckle_vuln::tracker::parse`): no panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let _ = buckle_vuln::tracker::parse("fuzz", bytes);
});
