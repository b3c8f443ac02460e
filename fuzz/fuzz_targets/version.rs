//! dpkg versions, one per input line: a version that parses prints as itself and parses
//! back to an equal version; the order is consistent with equality, antisymmetric and
//! transitive on every pair and triple of the input's versions.
#![no_main]
use buckle_debian::Version;
use libfuzzer_sys::fuzz_target;
use std::cmp::Ordering;

fuzz_target!(|text: &str| {
    let versions: Vec<Version> = text
        .lines()
        .take(8)
        .filter_map(|line| line.parse::<Version>().ok())
        .collect();
    for v in &versions {
        let printed = v.to_string();
        let again: Version = printed
            .parse()
            .unwrap_or_else(|e| panic!("{v:?} printed as {printed:?}, which does not parse: {e}"));
        assert_eq!(again.cmp(v), Ordering::Equal, "{v:?} printed as {printed:?}");
        assert_eq!(again.to_string(), printed);
        assert_eq!(
            (v.epoch(), v.upstream(), v.revision()),
            (again.epoch(), again.upstream(), again.revision())
        );
    }
    for a in &versions {
        assert_eq!(a.cmp(a), Ordering::Equal, "{a} is not equal to itself");
        for b in &versions {
            let ab = a.cmp(b);
            assert_eq!(ab, b.cmp(a).reverse(), "{a} vs {b}: not antisymmetric");
            assert_eq!(
                ab == Ordering::Equal,
                a == b,
                "{a} vs {b}: order and equality disagree"
            );
            for c in &versions {
                if ab != Ordering::Greater && b.cmp(c) != Ordering::Greater {
                    assert_ne!(a.cmp(c), Ordering::Greater, "{a} <= {b} <= {c} but {a} > {c}");
                }
            }
        }
    }
});
