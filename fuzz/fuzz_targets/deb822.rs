//! deb822 paragraphs (control files, Packages stanzas, dpkg status) and the binary
//! package fields read from them: no panic; every field is found again by its name;
//! a package's identity and its relation fields print as text that parses back.
#![no_main]
use buckle_debian::relation::parse_relation;
use buckle_debian::{deb822, BinaryPackage};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    for paragraph in deb822::paragraphs(text) {
        let Ok(paragraph) = paragraph else { break };
        for (name, _) in paragraph.fields() {
            assert!(paragraph.get(name).is_some(), "field `{name}` not found by name");
        }
        let Ok(package) = BinaryPackage::from_paragraph(&paragraph) else {
            continue;
        };
        assert_eq!(package.name.to_string().parse().ok(), Some(package.name.clone()));
        assert_eq!(
            package.version.to_string().parse().ok(),
            Some(package.version.clone())
        );
        for relations in [&package.depends, &package.pre_depends, &package.replaces] {
            for relation in relations.parse().into_iter().flatten().flatten() {
                let printed = relation.to_string();
                assert_eq!(
                    parse_relation(&printed).ok(),
                    Some(relation),
                    "printed as {printed:?}"
                );
            }
        }
        for relation in &package.provides {
            let printed = relation.to_string();
            assert_eq!(
                parse_relation(&printed).ok().as_ref(),
                Some(relation),
                "printed as {printed:?}"
            );
        }
    }
});
