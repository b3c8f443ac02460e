use crate::*;
use buckle_debian::{deb822, BinaryPackage, PackageName};
use buckle_spec::Exclude;

/// Packages from stanzas written like a Packages index; `Architecture` defaults to
/// amd64 and download facts are filled in.
pub(crate) fn packages(suite: &str, index: &str) -> Vec<(buckle_spec::Suite, BinaryPackage)> {
    index
        .split("\n\n")
        .filter(|s| !s.trim().is_empty())
        .map(|stanza| {
            let mut text = stanza.trim().to_owned();
            if !text.contains("Architecture:") {
                text.push_str("\nArchitecture: amd64");
            }
            let p = deb822::paragraphs(&text).next().unwrap().unwrap();
            let mut package = BinaryPackage::from_paragraph(&p).unwrap();
            package.filename = Some(format!(
                "pool/main/{}_{}_{}.deb",
                package.name, package.version, package.arch
            ));
            package.size = Some(100);
            package.sha256 = Some(buckle_digest::Sha256::of(package.to_string().as_bytes()));
            (suite.parse().unwrap(), package)
        })
        .collect()
}

pub(crate) fn universe(suites: &[(&str, &str)]) -> Universe {
    let all: Vec<_> = suites.iter().flat_map(|(s, i)| packages(s, i)).collect();
    Universe::new("amd64".parse().unwrap(), all)
}

fn names(list: &[&str]) -> Vec<PackageName> {
    list.iter().map(|n| n.parse().unwrap()).collect()
}

fn resolve_roots(u: &Universe, roots: &[&str]) -> Result<Resolution> {
    resolve(u, &names(roots), &[], &Pins::new())
}

/// `name=version` of every chosen package.
fn chosen(r: &Resolution) -> Vec<String> {
    r.packages
        .iter()
        .map(|s| format!("{}={}", s.package.name, s.package.version))
        .collect()
}

fn exclude(package: &str, reason: &str) -> Exclude {
    Exclude {
        package: package.parse().unwrap(),
        reason: reason.into(),
    }
}

#[test]
fn depends_and_pre_depends_are_followed_but_recommends_and_suggests_are_not() {
    let u = universe(&[(
        "trixie",
        "Package: app\nVersion: 1\nPre-Depends: libc6\nDepends: libz1\nRecommends: docs1\nSuggests: extra1\n\n\
         Package: libc6\nVersion: 2.41\n\n\
         Package: libz1\nVersion: 1.3\nDepends: libc6 (>= 2.36)\n\n\
         Package: docs1\nVersion: 1\n\n\
         Package: extra1\nVersion: 1\n",
    )]);
    let r = resolve_roots(&u, &["app"]).unwrap();
    assert_eq!(chosen(&r), ["app=1", "libc6=2.41", "libz1=1.3"]);
}

#[test]
fn essential_packages_are_not_pulled_in_without_a_dependency() {
    let u = universe(&[(
        "trixie",
        "Package: app\nVersion: 1\n\n\
         Package: bash\nVersion: 5.2\nEssential: yes\n\n\
         Package: coreutils\nVersion: 9.7\nEssential: yes\n",
    )]);
    assert_eq!(chosen(&resolve_roots(&u, &["app"]).unwrap()), ["app=1"]);
}

#[test]
fn first_satisfiable_alternative_wins_in_order() {
    let u = universe(&[(
        "trixie",
        "Package: app\nVersion: 1\nDepends: missing1 | second1 | third1, first2 | second2\n\n\
         Package: second1\nVersion: 1\n\n\
         Package: third1\nVersion: 1\n\n\
         Package: first2\nVersion: 1\n\n\
         Package: second2\nVersion: 1\n",
    )]);
    let r = resolve_roots(&u, &["app"]).unwrap();
    assert_eq!(chosen(&r), ["app=1", "first2=1", "second1=1"]);
}

#[test]
fn alternative_already_chosen_is_preferred_over_the_first() {
    let u = universe(&[(
        "trixie",
        "Package: app\nVersion: 1\nDepends: mawk | gawk\n\n\
         Package: mawk\nVersion: 1\n\n\
         Package: gawk\nVersion: 1\n",
    )]);
    let r = resolve_roots(&u, &["gawk", "app"]).unwrap();
    assert_eq!(chosen(&r), ["app=1", "gawk=1"]);
}

#[test]
fn versioned_provides_satisfy_versioned_dependencies() {
    let u = universe(&[(
        "trixie",
        "Package: app\nVersion: 1\nDepends: libvirtual (>= 2)\n\n\
         Package: old-provider\nVersion: 1\nProvides: libvirtual (= 1)\n\n\
         Package: new-provider\nVersion: 1\nProvides: libvirtual (= 2.5)\n",
    )]);
    let r = resolve_roots(&u, &["app"]).unwrap();
    assert_eq!(chosen(&r), ["app=1", "new-provider=1"]);
}

#[test]
fn unversioned_provides_satisfy_only_unversioned_dependencies() {
    let u = universe(&[(
        "trixie",
        "Package: app\nVersion: 1\nDepends: awk\n\n\
         Package: strict\nVersion: 1\nDepends: awk (>= 1)\n\n\
         Package: mawk\nVersion: 1.3\nProvides: awk\n",
    )]);
    assert_eq!(
        chosen(&resolve_roots(&u, &["app"]).unwrap()),
        ["app=1", "mawk=1.3"]
    );
    let err = resolve_roots(&u, &["strict"]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "strict -> awk (>= 1): no version in trixie satisfies it; available: mawk 1.3 (provides awk)"
    );
}

#[test]
fn virtual_package_with_several_providers_takes_the_most_important_then_by_name() {
    let u = universe(&[(
        "trixie",
        "Package: app\nVersion: 1\nDepends: mail-transport-agent\n\n\
         Package: zmta\nVersion: 1\nPriority: standard\nProvides: mail-transport-agent\n\n\
         Package: amta\nVersion: 1\nPriority: optional\nProvides: mail-transport-agent\n\n\
         Package: bmta\nVersion: 1\nPriority: standard\nProvides: mail-transport-agent\n",
    )]);
    assert_eq!(chosen(&resolve_roots(&u, &["app"]).unwrap()), ["app=1", "bmta=1"]);
}

#[test]
fn a_real_package_is_preferred_to_a_provider_of_the_same_name() {
    let u = universe(&[(
        "trixie",
        "Package: app\nVersion: 1\nDepends: libfoo\n\n\
         Package: libfoo\nVersion: 1\n\n\
         Package: libfoo-compat\nVersion: 9\nProvides: libfoo\n",
    )]);
    assert_eq!(
        chosen(&resolve_roots(&u, &["app"]).unwrap()),
        ["app=1", "libfoo=1"]
    );
}

#[test]
fn every_version_operator_picks_the_highest_version_it_allows() {
    let index = "Package: lib\nVersion: 1\n\nPackage: lib\nVersion: 2\n\nPackage: lib\nVersion: 3\n";
    for (constraint, expected) in [
        ("<< 3", "2"),
        ("<= 2", "2"),
        ("= 1", "1"),
        (">= 2", "3"),
        (">> 1", "3"),
        ("<< 2", "1"),
    ] {
        let app = format!("Package: app\nVersion: 1\nDepends: lib ({constraint})\n\n{index}");
        let u = universe(&[("trixie", &app)]);
        let r = resolve_roots(&u, &["app"]).unwrap();
        assert_eq!(chosen(&r)[1], format!("lib={expected}"), "({constraint})");
    }
}

#[test]
fn highest_version_wins_across_suites_even_when_security_has_an_older_one() {
    let u = universe(&[
        (
            "trixie-security",
            "Package: libssl3t64\nVersion: 3.5.1-1+deb13u1\n",
        ),
        ("trixie", "Package: libssl3t64\nVersion: 3.5.1-2\n"),
        ("trixie-updates", "Package: libssl3t64\nVersion: 3.5.0-1\n"),
    ]);
    let r = resolve_roots(&u, &["libssl3t64"]).unwrap();
    assert_eq!(chosen(&r), ["libssl3t64=3.5.1-2"]);
    assert_eq!(r.packages[0].suite.as_str(), "trixie");

    let newer_security = universe(&[
        ("trixie", "Package: libssl3t64\nVersion: 3.5.1-1\n"),
        (
            "trixie-security",
            "Package: libssl3t64\nVersion: 3.5.1-1+deb13u1\n",
        ),
    ]);
    let r = resolve_roots(&newer_security, &["libssl3t64"]).unwrap();
    assert_eq!(r.packages[0].suite.as_str(), "trixie-security");
}

#[test]
fn any_qualifier_needs_multi_arch_allowed_or_foreign() {
    let u = universe(&[(
        "trixie",
        "Package: tool\nVersion: 1\nDepends: python3:any\n\n\
         Package: tool2\nVersion: 1\nDepends: perl:any\n\n\
         Package: tool3\nVersion: 1\nDepends: plain:any\n\n\
         Package: python3\nVersion: 3.13\nMulti-Arch: allowed\n\n\
         Package: perl\nVersion: 5.40\nMulti-Arch: foreign\n\n\
         Package: plain\nVersion: 1\n",
    )]);
    assert_eq!(
        chosen(&resolve_roots(&u, &["tool"]).unwrap()),
        ["python3=3.13", "tool=1"]
    );
    assert_eq!(
        chosen(&resolve_roots(&u, &["tool2"]).unwrap()),
        ["perl=5.40", "tool2=1"]
    );
    let err = resolve_roots(&u, &["tool3"]).unwrap_err();
    assert!(
        err.to_string().starts_with("tool3 -> plain:any: no version"),
        "{err}"
    );
}

#[test]
fn native_and_target_arch_qualifiers_resolve_within_the_target() {
    let u = universe(&[(
        "trixie",
        "Package: app\nVersion: 1\nDepends: liba:amd64, libb:native\n\n\
         Package: bad\nVersion: 1\nDepends: liba:arm64\n\n\
         Package: liba\nVersion: 1\n\n\
         Package: libb\nVersion: 1\n",
    )]);
    assert_eq!(
        chosen(&resolve_roots(&u, &["app"]).unwrap()),
        ["app=1", "liba=1", "libb=1"]
    );
    assert!(resolve_roots(&u, &["bad"]).is_err());
}

#[test]
fn arch_all_packages_are_kept_and_other_architectures_dropped() {
    let u = universe(&[(
        "trixie",
        "Package: app\nVersion: 1\nDepends: tzdata, armonly\n\n\
         Package: tzdata\nVersion: 2025b\nArchitecture: all\n\n\
         Package: armonly\nVersion: 1\nArchitecture: arm64\n",
    )]);
    let err = resolve_roots(&u, &["app"]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "app -> armonly: no version in trixie satisfies it; available: none"
    );
    assert_eq!(u.candidates().len(), 2);
}

#[test]
fn pins_keep_an_older_version_that_still_fits() {
    let u = universe(&[(
        "trixie",
        "Package: app\nVersion: 1\nDepends: lib (>= 1)\n\n\
         Package: lib\nVersion: 1\n\n\
         Package: lib\nVersion: 2\n",
    )]);
    let pins = Pins::from([("lib".parse().unwrap(), "1".parse().unwrap())]);
    let r = resolve(&u, &names(&["app"]), &[], &pins).unwrap();
    assert_eq!(chosen(&r), ["app=1", "lib=1"]);
}

#[test]
fn pins_are_dropped_when_the_version_left_the_archive() {
    let u = universe(&[("trixie", "Package: lib\nVersion: 2\n")]);
    let pins = Pins::from([("lib".parse().unwrap(), "1".parse().unwrap())]);
    let r = resolve(&u, &names(&["lib"]), &[], &pins).unwrap();
    assert_eq!(chosen(&r), ["lib=2"]);
}

#[test]
fn pins_are_dropped_when_a_relation_met_later_needs_a_newer_version() {
    let u = universe(&[(
        "trixie",
        "Package: app\nVersion: 1\nDepends: lib, newer\n\n\
         Package: newer\nVersion: 1\nDepends: lib (>= 2)\n\n\
         Package: lib\nVersion: 1\n\n\
         Package: lib\nVersion: 2\n",
    )]);
    let pins = Pins::from([("lib".parse().unwrap(), "1".parse().unwrap())]);
    let r = resolve(&u, &names(&["app"]), &[], &pins).unwrap();
    assert_eq!(chosen(&r), ["app=1", "lib=2", "newer=1"]);
}

#[test]
fn tighter_relation_met_later_changes_the_earlier_choice() {
    let u = universe(&[(
        "trixie",
        "Package: app\nVersion: 1\nDepends: lib, old-user\n\n\
         Package: old-user\nVersion: 1\nDepends: lib (<< 2)\n\n\
         Package: lib\nVersion: 1.5\n\n\
         Package: lib\nVersion: 2\n",
    )]);
    let r = resolve_roots(&u, &["app"]).unwrap();
    assert_eq!(chosen(&r), ["app=1", "lib=1.5", "old-user=1"]);
    let why = why(&r, &"lib".parse().unwrap()).unwrap();
    assert_eq!(why.to_string(), "app -> lib");
}

#[test]
fn contradictory_relations_report_both_chains() {
    let u = universe(&[(
        "trixie",
        "Package: app\nVersion: 1\nDepends: old-user, new-user\n\n\
         Package: old-user\nVersion: 1\nDepends: lib (<< 2)\n\n\
         Package: new-user\nVersion: 1\nDepends: lib (>= 2)\n\n\
         Package: lib\nVersion: 1.5\n\n\
         Package: lib\nVersion: 2\n",
    )]);
    let err = resolve_roots(&u, &["app"]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "app -> old-user -> lib (<< 2): no version in trixie satisfies it; available: 2, 1.5; it must also satisfy `lib (>= 2)` for app -> new-user"
    );
}

#[test]
fn excluded_packages_count_as_satisfied_and_are_recorded_with_their_reason() {
    let u = universe(&[(
        "trixie",
        "Package: app\nVersion: 1\nDepends: debconf (>= 0.5) | debconf-2.0, perl-base\n\n\
         Package: other\nVersion: 1\nPre-Depends: perl-base\n\n\
         Package: debconf\nVersion: 1.5\nProvides: debconf-2.0\nDepends: perl-base\n\n\
         Package: perl-base\nVersion: 5.40\n",
    )]);
    let excludes = [
        exclude("debconf", "only maintainer scripts use it"),
        exclude("perl-base", "only maintainer scripts use it"),
    ];
    let r = resolve(&u, &names(&["app", "other"]), &excludes, &Pins::new()).unwrap();
    assert_eq!(chosen(&r), ["app=1", "other=1"]);
    assert_eq!(r.cuts.len(), 2);
    let perl = r.cut(&"perl-base".parse().unwrap()).unwrap();
    assert_eq!(perl.reason, "only maintainer scripts use it");
    let parents: Vec<String> = perl.needed_by.iter().map(|n| n.to_string()).collect();
    assert_eq!(
        parents,
        ["app Depends: perl-base", "other Pre-Depends: perl-base"]
    );
}

#[test]
fn excluded_provider_cuts_a_dependency_on_the_virtual_package() {
    let u = universe(&[(
        "trixie",
        "Package: app\nVersion: 1\nDepends: debconf-2.0\n\n\
         Package: debconf\nVersion: 1.5\nProvides: debconf-2.0\n\n\
         Package: cdebconf\nVersion: 0.2\nProvides: debconf-2.0\n",
    )]);
    let r = resolve(&u, &names(&["app"]), &[exclude("debconf", "r")], &Pins::new()).unwrap();
    assert_eq!(chosen(&r), ["app=1"]);
    assert_eq!(r.cuts[0].package.as_str(), "debconf");
}

#[test]
fn an_earlier_installable_alternative_wins_over_a_later_excluded_one() {
    let u = universe(&[(
        "trixie",
        "Package: app\nVersion: 1\nDepends: mawk | gawk\n\n\
         Package: mawk\nVersion: 1\n\n\
         Package: gawk\nVersion: 1\n",
    )]);
    let r = resolve(&u, &names(&["app"]), &[exclude("gawk", "r")], &Pins::new()).unwrap();
    assert_eq!(chosen(&r), ["app=1", "mawk=1"]);
    assert!(r.cuts.is_empty());
}

#[test]
fn unsatisfiable_dependency_shows_the_chain_from_the_root() {
    let u = universe(&[
        (
            "trixie",
            "Package: python3\nVersion: 3.13.5-1\nDepends: libpython3.13-stdlib\n\n\
             Package: libpython3.13-stdlib\nVersion: 3.13.5-2\nDepends: libssl3t64 (>= 3.5)\n\n\
             Package: libssl3t64\nVersion: 3.4.1-1\n",
        ),
        ("trixie-updates", ""),
        ("trixie-security", "Package: unrelated\nVersion: 1\n"),
    ]);
    let err = resolve_roots(&u, &["python3"]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "python3 -> libpython3.13-stdlib -> libssl3t64 (>= 3.5): no version in trixie, trixie-security satisfies it; available: 3.4.1-1"
    );
    assert!(err.hint().unwrap().contains("[[exclude]]"));
}

#[test]
fn unknown_root_suggests_a_close_name() {
    let u = universe(&[("trixie", "Package: python3\nVersion: 3.13\n")]);
    let err = resolve_roots(&u, &["pyhton3"]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "root package `pyhton3` is not in trixie for `amd64`"
    );
    assert_eq!(err.hint().unwrap(), "did you mean `python3`?");
    let far = resolve_roots(&u, &["nginx"]).unwrap_err();
    assert!(!far.hint().unwrap().contains("did you mean"));
}

#[test]
fn a_virtual_root_resolves_to_its_provider() {
    let u = universe(&[("trixie", "Package: mawk\nVersion: 1\nProvides: awk\n")]);
    assert_eq!(chosen(&resolve_roots(&u, &["awk"]).unwrap()), ["mawk=1"]);
}

#[test]
fn dependency_cycles_terminate() {
    let u = universe(&[(
        "trixie",
        "Package: a1\nVersion: 1\nDepends: b1\n\nPackage: b1\nVersion: 1\nDepends: a1\n",
    )]);
    assert_eq!(chosen(&resolve_roots(&u, &["a1"]).unwrap()), ["a1=1", "b1=1"]);
}

#[test]
fn long_lists_of_available_versions_are_shortened() {
    let mut index = String::from("Package: app\nVersion: 1\nDepends: lib (>= 99)\n\n");
    for v in 1..=12 {
        index.push_str(&format!("Package: lib\nVersion: {v}\n\n"));
    }
    let err = resolve_roots(&universe(&[("trixie", &index)]), &["app"]).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("available: 12, 11, 10, 9, 8, 7, 6, 5 and 4 more"),
        "{err}"
    );
}

#[test]
fn a_broken_depends_fails_only_when_its_package_is_chosen() {
    let u = universe(&[(
        "trixie",
        "Package: app\nVersion: 1\nDepends: libc6\n\n\
         Package: libc6\nVersion: 2.41\n\n\
         Package: broken\nVersion: 1\nDepends: libc6 (>= 2.41\n",
    )]);
    assert_eq!(
        chosen(&resolve_roots(&u, &["app"]).unwrap()),
        ["app=1", "libc6=2.41"]
    );
    let err = resolve_roots(&u, &["broken"]).unwrap_err();
    assert_eq!(err.to_string(), "`broken` 1 has a bad `Depends` field");
    assert!(
        matches!(err, Error::BadRelation { field: "Depends", .. }),
        "{err:?}"
    );
}
