//! npm's package-lock.json reader (`PackageLock::parse`): no panic.
#![no_main]
use buckle_app::node::PackageLock;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = PackageLock::parse(text);
});
