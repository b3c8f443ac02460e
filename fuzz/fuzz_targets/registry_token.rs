//! A token service's answer: no panic, and a token found is never empty.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(token) = buckle_registry::token_from_answer(bytes) {
        assert!(!token.is_empty());
    }
});
