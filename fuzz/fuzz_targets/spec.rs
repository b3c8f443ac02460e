//! A spec file (buckle.toml): no panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = buckle_spec::Spec::parse(text, "buckle.toml");
});
