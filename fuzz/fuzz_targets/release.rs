//! A Release file's signed text: no panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = buckle_archive::Release::parse(text, "fuzz/InRelease");
});
