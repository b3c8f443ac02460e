use super::*;
use proptest::prelude::*;
use std::process::Command;

fn v(s: &str) -> Version {
    s.parse().unwrap()
}

#[test]
fn parts_are_split_at_first_colon_and_last_hyphen() {
    let x = v("2:1.2-3-4~bpo1");
    assert_eq!((x.epoch(), x.upstream(), x.revision()), (2, "1.2-3", "4~bpo1"));
    let y = v("1.0");
    assert_eq!((y.epoch(), y.upstream(), y.revision()), (0, "1.0", ""));
}

#[test]
fn known_orderings_match_debian_policy() {
    let ascending = [
        "1.0~rc1",
        "1.0",
        "1.0-1~deb12u1",
        "1.0-1",
        "1.0-1+b1",
        "1.0-1.1",
        "1.0a",
        "1.0+dfsg",
        "1.1",
        "1:0.1",
    ];
    for pair in ascending.windows(2) {
        assert!(v(pair[0]) < v(pair[1]), "{} < {}", pair[0], pair[1]);
    }
    assert_eq!(v("1.0"), v("0:1.0-0"));
    assert_eq!(v("1.001"), v("1.1"));
    assert_eq!(v("1.0").to_string(), "1.0");
}

#[test]
fn invalid_versions_are_rejected_with_a_reason() {
    for bad in ["", "a1.0", "1.0-", "x:1.0", "1.0_1", "1.0-r_1", "1 0"] {
        assert!(bad.parse::<Version>().is_err(), "{bad:?} should be rejected");
    }
    assert_eq!(
        "1.0_1".parse::<Version>().unwrap_err().to_string(),
        "`1.0_1` is not a valid Debian version: the upstream version has a character outside `A-Za-z0-9.+~-:`"
    );
}

fn dpkg_says_less(a: &str, b: &str) -> bool {
    Command::new("dpkg")
        .args(["--compare-versions", a, "lt", b])
        .status()
        .expect("dpkg --compare-versions is the oracle for version ordering")
        .success()
}

fn dpkg_says_equal(a: &str, b: &str) -> bool {
    Command::new("dpkg")
        .args(["--compare-versions", a, "eq", b])
        .status()
        .expect("dpkg --compare-versions is the oracle for version ordering")
        .success()
}

fn version_strategy() -> impl Strategy<Value = String> {
    let upstream = "[0-9][0-9a-z.+~]{0,6}";
    let revision = prop::option::of("[0-9a-z.+~]{1,5}");
    let epoch = prop::option::of(0u32..3);
    (epoch, upstream, revision).prop_map(|(e, u, r)| {
        let mut s = String::new();
        if let Some(e) = e {
            s.push_str(&format!("{e}:"));
        }
        s.push_str(&u);
        if let Some(r) = r {
            s.push('-');
            s.push_str(&r);
        }
        s
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn ordering_agrees_with_dpkg_compare_versions(a in version_strategy(), b in version_strategy()) {
        let (va, vb) = (v(&a), v(&b));
        prop_assert_eq!(va < vb, dpkg_says_less(&a, &b), "{} < {}", a, b);
        prop_assert_eq!(va == vb, dpkg_says_equal(&a, &b), "{} == {}", a, b);
    }

    #[test]
    fn display_round_trips(a in version_strategy()) {
        prop_assert_eq!(v(&a).to_string(), a);
    }
}
