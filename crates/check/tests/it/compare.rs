//! Two images side by side.

use crate::support::*;
use buckle_check::{check, compare, Policy, Status};

#[test]
fn compare_shows_shells_setuid_users_scores_and_differing_rules() {
    let hardened = TestImage::hardened().view();
    let general = TestImage::hardened()
        .user(None)
        .layer(vec![
            dir("usr/bin", 0o755),
            file("usr/bin/bash", 0o755, b"\x7fELF bash"),
            file("usr/bin/dpkg", 0o755, b"\x7fELF dpkg"),
            file("usr/bin/su", 0o4755, b"\x7fELF su"),
        ])
        .view();
    let (ra, rb) = (
        check(&hardened, &Policy::default()),
        check(&general, &Policy::default()),
    );
    let comparison = compare(&hardened, &ra, &general, &rb);
    assert_eq!(comparison.a.user, "65532:65532");
    assert_eq!(comparison.b.user, "");
    assert!(comparison.a.shells.is_empty());
    assert_eq!(comparison.b.shells, ["/usr/bin/bash"]);
    assert_eq!(comparison.b.package_managers, ["/usr/bin/dpkg"]);
    assert_eq!(comparison.b.setuid, ["/usr/bin/su"]);
    assert_eq!(comparison.a.packages, Some(1));
    assert_eq!((comparison.a.score, comparison.b.score), (ra.score, rb.score));
    assert!(comparison.a.score > comparison.b.score);
    assert_eq!(comparison.b.layers, 2);
    assert!(comparison.b.files > comparison.a.files);
    assert!(comparison.b.stored_size > comparison.a.stored_size);
    let differing: Vec<&str> = comparison.differing().map(|row| row.rule.as_str()).collect();
    for rule in [
        "BKL-USER-ROOT",
        "BKL-SHELL",
        "BKL-PACKAGE-MANAGER",
        "BKL-SETUID",
        "BKL-PACKAGE-METADATA-STALE",
    ] {
        assert!(differing.contains(&rule), "{rule} in {differing:?}");
    }
    let row = comparison.rules.iter().find(|r| r.rule == "BKL-SHELL").unwrap();
    assert_eq!((row.a, row.b), (Status::Pass, Status::Fail));
    let json = serde_json::to_value(&comparison).unwrap();
    assert_eq!(json["b"]["shells"][0], "/usr/bin/bash");
}
