//! Relation fields and package names: no panic; each relation prints as text that
//! parses back to it; a package name prints as itself.
#![no_main]
use buckle_debian::relation::{parse_relation, parse_relations};
use buckle_debian::PackageName;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(name) = text.parse::<PackageName>() {
        assert_eq!(name.to_string(), text);
    }
    let Ok(groups) = parse_relations(text) else { return };
    for relation in groups.into_iter().flatten() {
        let printed = relation.to_string();
        let again = parse_relation(&printed)
            .unwrap_or_else(|e| panic!("{relation:?} printed as {printed:?}, which does not parse: {e}"));
        assert_eq!(again, relation, "printed as {printed:?}");
        if let Some(constraint) = &relation.constraint {
            assert!(
                constraint.allows(&constraint.version)
                    == matches!(
                        constraint.op,
                        buckle_debian::relation::Op::LessOrEqual
                            | buckle_debian::relation::Op::Equal
                            | buckle_debian::relation::Op::GreaterOrEqual
                    ),
                "{relation}: the constraint's own version"
            );
        }
    }
});
