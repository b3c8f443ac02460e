//! Resolution over generated universes: the result does not depend on the order the
//! packages arrive in, and every chosen package's dependencies are met.

#![allow(clippy::unwrap_used)] // test fixtures: a panic is the failure report

use buckle_debian::{deb822, BinaryPackage, PackageName};
use buckle_resolve::{pins_from_lock, resolve, why, Pins, Resolution, Universe};
use buckle_spec::{Exclude, Suite};
use proptest::prelude::*;

const SUITES: [&str; 3] = ["trixie", "trixie-security", "trixie-updates"];

/// `p00`..`p11` are real names, `p12` and `p13` never exist, `v0`..`v3` are virtual.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => (0..12u8).prop_map(|i| format!("p{i:02}")),
        1 => (12..14u8).prop_map(|i| format!("p{i:02}")),
        1 => (0..4u8).prop_map(|i| format!("v{i}")),
    ]
}

fn relation() -> impl Strategy<Value = String> {
    let constraint = (prop_oneof!["<<", "<=", "=", ">=", ">>"], 1..4u8);
    (name(), proptest::option::weighted(0.3, constraint)).prop_map(|(n, c)| match c {
        Some((op, v)) => format!("{n} ({op} {v})"),
        None => n,
    })
}

fn field() -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::collection::vec(relation(), 1..3), 0..3).prop_map(|groups| {
        groups
            .iter()
            .map(|alternatives| alternatives.join(" | "))
            .collect::<Vec<_>>()
            .join(", ")
    })
}

/// One stanza of package `p<index>` at `version`, in a random suite.
fn stanza(index: u8, version: u8) -> impl Strategy<Value = (usize, String)> {
    (
        0..SUITES.len(),
        field(),
        field(),
        proptest::option::of((0..4u8, proptest::option::of(1..4u8))),
    )
        .prop_map(move |(suite, depends, pre, provides)| {
            let mut text = format!("Package: p{index:02}\nVersion: {version}\nArchitecture: amd64\n");
            if !depends.is_empty() {
                text.push_str(&format!("Depends: {depends}\n"));
            }
            if !pre.is_empty() {
                text.push_str(&format!("Pre-Depends: {pre}\n"));
            }
            match provides {
                Some((v, Some(pv))) => text.push_str(&format!("Provides: v{v} (= {pv})\n")),
                Some((v, None)) => text.push_str(&format!("Provides: v{v}\n")),
                None => {}
            }
            (suite, text)
        })
}

/// Every real package `p00`..`p11` with one to three versions.
fn index() -> impl Strategy<Value = Vec<(usize, String)>> {
    proptest::collection::vec(1..4u8, 12).prop_flat_map(|counts| {
        counts
            .into_iter()
            .enumerate()
            .flat_map(|(i, n)| (1..=n).map(move |v| stanza(i as u8, v)))
            .collect::<Vec<_>>()
    })
}

fn parse(index: &[(usize, String)]) -> Vec<(Suite, BinaryPackage)> {
    index
        .iter()
        .map(|(suite, text)| {
            let p = deb822::paragraphs(text).next().unwrap().unwrap();
            let suite = SUITES[*suite].parse().unwrap();
            let mut package = BinaryPackage::from_paragraph(&p).unwrap();
            package.filename = Some(format!("pool/main/{}_{}.deb", package.name, package.version));
            package.size = Some(1);
            package.sha256 = Some(buckle_digest::Sha256::of(text.as_bytes()));
            (suite, package)
        })
        .collect()
}

fn names(list: &[String]) -> Vec<PackageName> {
    list.iter().map(|n| n.parse().unwrap()).collect()
}

fn excludes(list: &[String]) -> Vec<Exclude> {
    let mut list = list.to_vec();
    list.sort();
    list.dedup();
    list.iter()
        .map(|n| Exclude {
            package: n.parse().unwrap(),
            reason: "generated".into(),
        })
        .collect()
}

fn run(
    packages: Vec<(Suite, BinaryPackage)>,
    roots: &[PackageName],
    excludes: &[Exclude],
) -> Result<Resolution, String> {
    let universe = Universe::new("amd64".parse().unwrap(), packages);
    resolve(&universe, roots, excludes, &Pins::new()).map_err(|e| e.to_string())
}

/// Every dependency group of every chosen package is met by a chosen package or a
/// recorded cut; nothing excluded is chosen; every chosen package traces to a root.
fn check_closed(r: &Resolution, excludes: &[Exclude]) -> Result<(), TestCaseError> {
    let chosen = |rel: &buckle_debian::relation::Relation| {
        r.packages.iter().any(|s| {
            let p = &s.package;
            let real = p.name == rel.name && rel.constraint.as_ref().is_none_or(|c| c.allows(&p.version));
            let provided = p.provides.iter().any(|pr| {
                pr.name == rel.name
                    && match (&rel.constraint, &pr.constraint) {
                        (None, _) => true,
                        (Some(want), Some(given)) => want.allows(&given.version),
                        (Some(_), None) => false,
                    }
            });
            real || provided
        })
    };
    for s in &r.packages {
        prop_assert!(
            !excludes.iter().any(|e| e.package == s.package.name),
            "{} is excluded",
            s.package.name
        );
        let mut groups = s.package.pre_depends.parse().unwrap();
        groups.extend(s.package.depends.parse().unwrap());
        for group in &groups {
            let text: Vec<String> = group.iter().map(|r| r.to_string()).collect();
            let text = text.join(" | ");
            let cut = r.cuts.iter().any(|c| {
                c.needed_by
                    .iter()
                    .any(|n| n.parent == s.package.name && n.relation == text)
            });
            prop_assert!(
                group.iter().any(chosen) || cut,
                "{}: `{}` is not met",
                s.package.name,
                text
            );
        }
        let chain = why(r, &s.package.name).unwrap();
        let first = &chain.steps[0].package;
        let from_root = r.roots.iter().any(|root| {
            first == root
                || r.get(first)
                    .is_some_and(|f| f.package.provides.iter().any(|p| p.name == *root))
        });
        prop_assert!(
            from_root,
            "{} traces back to {}, not a root",
            s.package.name,
            first
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn resolution_ignores_input_order_and_is_closed(
        index in index(),
        roots in proptest::collection::vec((0..12u8).prop_map(|i| format!("p{i:02}")), 1..4),
        cut in proptest::collection::vec((0..14u8).prop_map(|i| format!("p{i:02}")), 0..3),
        seed in any::<u64>(),
    ) {
        let cut: Vec<String> = cut.into_iter().filter(|c| !roots.contains(c)).collect();
        let (roots, excludes) = (names(&roots), excludes(&cut));
        let forward = run(parse(&index), &roots, &excludes);
        let mut shuffled = parse(&index);
        let len = shuffled.len();
        for i in 0..len {
            let j = (seed.wrapping_mul(6364136223846793005).wrapping_add(i as u64) % len as u64) as usize;
            shuffled.swap(i, j);
        }
        shuffled.reverse();
        let again = run(shuffled, &roots, &excludes);
        prop_assert_eq!(&forward, &again);
        if let Ok(r) = &forward {
            check_closed(r, &excludes)?;
            let universe = Universe::new("amd64".parse().unwrap(), parse(&index));
            let pins = pins_from_lock(&r.locked().unwrap());
            let relocked = resolve(&universe, &roots, &excludes, &pins).map_err(|e| e.to_string());
            prop_assert_eq!(relocked.as_ref(), Ok(r), "locking again with the lock's pins changed the result");
        }
    }
}

#[test]
fn a_large_generated_universe_resolves_identically_every_time() {
    // 2,000 packages in a chain of layers, each depending on a few packages of the next
    // layer through alternatives and virtual names.
    let mut text = String::new();
    for i in 0..2000u32 {
        let next = |k: u32| format!("n{:04}", (i / 100 + 1) * 100 + (i * 7 + k) % 100);
        text.push_str(&format!(
            "Package: n{i:04}\nVersion: 1.{}\nArchitecture: amd64\nProvides: virt{} (= 1)\n",
            i % 3,
            i % 50
        ));
        if i < 1900 {
            text.push_str(&format!(
                "Depends: {} | {}, virt{} (>= 0), {} (>= 1.0)\n",
                next(1),
                next(2),
                (i + 1) % 50,
                next(3)
            ));
        }
        text.push('\n');
    }
    let packages: Vec<(Suite, BinaryPackage)> = deb822::paragraphs(&text)
        .map(|p| {
            (
                "trixie".parse().unwrap(),
                BinaryPackage::from_paragraph(&p.unwrap()).unwrap(),
            )
        })
        .collect();
    let roots = names(&["n0000".into(), "n0001".into()]);
    let first = run(packages.clone(), &roots, &[]).unwrap();
    let mut reversed = packages;
    reversed.reverse();
    assert_eq!(run(reversed, &roots, &[]).unwrap(), first);
    assert!(first.packages.len() > 40, "{}", first.packages.len());
    check_closed(&first, &[]).unwrap();
}

#[test]
fn generated_universes_exercise_both_success_and_failure() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (mut resolved, mut cuts, mut failed) = (0, 0, 0);
    for _ in 0..200 {
        let index = index().new_tree(&mut runner).unwrap().current();
        let roots = names(&["p00".into(), "p01".into()]);
        match run(parse(&index), &roots, &excludes(&["p05".into()])) {
            Ok(r) => {
                resolved += 1;
                cuts += usize::from(!r.cuts.is_empty());
            }
            Err(_) => failed += 1,
        }
    }
    assert!(
        resolved >= 20 && failed >= 20 && cuts >= 5,
        "resolved {resolved}, with cuts {cuts}, failed {failed}"
    );
}
