//! The ELF reader `buckle harden` runs over every file of an image's app (and the
//! ld.so.cache writer over every library): whatever the bytes, it returns, and what it
//! reads lies inside them.
#![no_main]
use buckle_image::harden::elf;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Some(object) = elf::object(bytes) else { return };
    assert!(object.kind == 2 || object.kind == 3, "e_type {}", object.kind);
    let strings = object
        .needed
        .iter()
        .chain(&object.search_path)
        .chain(&object.soname)
        .chain(&object.interpreter);
    for text in strings {
        // Every string is read up to a NUL inside the input.
        assert!(text.len() < bytes.len(), "{} bytes read from {}", text.len(), bytes.len());
        assert!(!text.contains('\0'));
    }
});
