//! The EPSS scores CSV: no panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = buckle_vuln::epss::parse("fuzz", text);
});
