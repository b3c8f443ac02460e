//! A registry's `WWW-Authenticate` header: no panic; a bearer realm is never empty.
#![no_main]
use buckle_registry::Challenge;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|header: &str| {
    if let Some(Challenge::Bearer { realm, .. }) = Challenge::parse(header) {
        assert!(!realm.is_empty(), "{header:?} gave an empty realm");
    }
});
