//! The Python lockfile readers (`Requirements::read`): a hashed requirements file,
//! uv.lock, pylock.toml, poetry.lock, chosen by the first byte, for one of two targets
//! chosen by the second. No panic; whatever is read pins one version with sha256
//! hashes, and a lockfile's markers are decided while reading.
#![no_main]
use buckle_app::python::{Requirements, Target};
use libfuzzer_sys::fuzz_target;
use std::path::Path;

const FILES: [&str; 4] = ["requirements.txt", "uv.lock", "pylock.toml", "poetry.lock"];

fuzz_target!(|data: &[u8]| {
    let [format, target, text @ ..] = data else { return };
    let Ok(text) = std::str::from_utf8(text) else { return };
    let file = FILES[usize::from(*format) % FILES.len()];
    let target: Target = if target % 2 == 0 { "3.13/amd64" } else { "3.11/arm64" }.parse().unwrap();
    let Ok(requirements) = Requirements::read(Path::new(file), text, &target) else { return };
    for requirement in &requirements.requirements {
        assert!(!requirement.version.is_empty());
        assert!(!requirement.hashes.is_empty());
        assert!(file == "requirements.txt" || requirement.marker.is_none());
    }
});
