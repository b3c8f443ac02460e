//! A docker archive (`docker save` output) opened as an image: the tar index,
//! manifest.json, the config and each layer read through the tar reader. No panic.
#![no_main]
use buckle_oci::{open_image, parse_image_arg};
use libfuzzer_sys::fuzz_target;
use std::io::Read;
use std::path::PathBuf;
use std::sync::OnceLock;

/// One file per fuzzing process, rewritten for each input.
fn archive_path() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| std::env::temp_dir().join(format!("buckle-fuzz-docker-{}.tar", std::process::id())))
}

fuzz_target!(|bytes: &[u8]| {
    let path = archive_path();
    std::fs::write(path, bytes).expect("the temporary archive is written");
    let (path, selector) = parse_image_arg(&path.to_string_lossy());
    let Ok(image) = open_image(&path, &selector) else {
        return;
    };
    for index in 0..image.layers().len() {
        let Ok(layer) = image.open_layer(index) else {
            continue;
        };
        let mut tar = buckle_oci::tar::Reader::new(layer.take(16 << 20)).max_entry_size(1 << 20);
        let Ok(entries) = tar.entries() else { continue };
        for entry in entries {
            let Ok((_, mut content)) = entry else { break };
            let _ = std::io::copy(&mut content, &mut std::io::sink());
        }
    }
});
