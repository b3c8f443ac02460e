//! A Dockerfile: the parser, stage resolution with ARG expansion, and `buckle migrate`.
//! Instructions' line ranges are ordered, disjoint and inside the file; what migrates
//! parses again.
#![no_main]
use buckle_migrate::{migrate, Mapping, Options};
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;

fuzz_target!(|text: &str| {
    let Ok(file) = buckle_dockerfile::parse(text) else { return };
    let mut previous = 0;
    for instruction in &file.instructions {
        assert!(instruction.first_line > previous, "{instruction:?} starts inside the one before");
        assert!(instruction.first_line <= instruction.last_line, "{instruction:?}");
        assert!(instruction.last_line <= file.line_count(), "{instruction:?} ends after the file");
        previous = instruction.last_line;
    }
    if file.stages(&BTreeMap::new()).is_err() {
        return;
    }
    let options = Options { registry: "registry.example/buckle".into(), spec_name: "app".into(), file: "Dockerfile".into() };
    if let Ok(migration) = migrate(text, &Mapping::builtin(), &options) {
        if let Err(e) = buckle_dockerfile::parse(&migration.dockerfile) {
            panic!("the migrated Dockerfile does not parse: {e}\n{}", migration.dockerfile);
        }
    }
});
