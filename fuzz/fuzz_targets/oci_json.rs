//! OCI JSON from a registry or an image: index, manifest and config. No panic, and a
//! document that parses serialises to JSON that parses back to the same value.
#![no_main]
use buckle_oci::{ImageConfig, ImageIndex, ImageManifest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(index) = ImageIndex::from_json(bytes) {
        let json = serde_json::to_vec(&index).expect("an index serialises");
        let again = ImageIndex::from_json(&json).expect("a serialised index parses");
        assert_eq!(again, index);
    }
    if let Ok(manifest) = ImageManifest::from_json(bytes) {
        let json = serde_json::to_vec(&manifest).expect("a manifest serialises");
        let again = ImageManifest::from_json(&json).expect("a serialised manifest parses");
        assert_eq!(again, manifest);
    }
    if let Ok(config) = serde_json::from_slice::<ImageConfig>(bytes) {
        let json = serde_json::to_vec(&config).expect("a config serialises");
        let again: ImageConfig = serde_json::from_slice(&json).expect("a serialised config parses");
        assert_eq!(again, config);
    }
});
