//! The CISA KEV catalog JSON (`buckle_vuln::kev::parse`): no panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let _ = buckle_vuln::kev::parse("fuzz", bytes);
});
