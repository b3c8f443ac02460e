//! A Debian changelog (from a package or the archive's changelog server): no panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = buckle_vuln::Changelog::parse(text);
});
