//! The layer tar reader (entries of an image's layers): no panic, every path is
//! relative and normalised, every file's content is no larger than the cap.
#![no_main]
use buckle_oci::tar::{EntryKind, Reader};
use libfuzzer_sys::fuzz_target;
use std::io::Read;

const CAP: u64 = 1 << 20;

fuzz_target!(|bytes: &[u8]| {
    let mut reader = Reader::new(bytes).max_entry_size(CAP);
    let Ok(entries) = reader.entries() else { return };
    for entry in entries {
        let Ok((entry, mut content)) = entry else { break };
        let path = entry.path.as_str();
        assert!(
            !path.starts_with('/') && !path.split('/').any(|c| c == ".."),
            "path {path:?}"
        );
        let mut sink = Vec::new();
        if content.read_to_end(&mut sink).is_ok() {
            if let EntryKind::File { .. } = entry.kind {
                assert!(sink.len() as u64 <= CAP, "{path}: {} bytes", sink.len());
            }
        }
    }
});
