//! The .deb reader: ar members, control.tar and data.tar in gzip, xz, zstd or none.
//! No panic, and the caps hold: no file larger than the entry cap is returned.
#![no_main]
use buckle_image::deb::{read_deb, FileKind, Limits};
use libfuzzer_sys::fuzz_target;

const LIMITS: Limits = Limits {
    max_entry_size: 1 << 20,
    max_package_size: 4 << 20,
    max_control_size: 64 << 10,
};

fuzz_target!(|bytes: &[u8]| {
    let Ok(deb) = read_deb("fuzz.deb", bytes, &LIMITS) else {
        return;
    };
    let mut total = 0;
    for file in &deb.files {
        if let FileKind::File(content) = &file.kind {
            assert!(
                content.size() <= LIMITS.max_entry_size,
                "{} exceeds the entry cap",
                file.path
            );
            total += content.size();
        }
    }
    assert!(total <= LIMITS.max_package_size, "the package exceeds its cap");
});
