//! A lock file (buckle.lock): no panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = buckle_spec::Lock::parse(text, "buckle.lock");
});
