use super::*;
use crate::lock::tests::{lock, package};

#[test]
fn identical_locks_have_an_empty_diff() {
    let a = lock(vec![package("libc6", "2.41-12", "amd64")], vec![]);
    assert!(diff(&a, &a.clone()).is_empty());
}

#[test]
fn added_removed_and_changed_packages_are_reported_per_image() {
    let old = lock(
        vec![
            package("libc6", "2.41-11", "amd64"),
            package("perl-base", "5.40.1-6", "amd64"),
            package("tzdata", "2025b-4", "all"),
        ],
        vec![package("bash", "5.2.37-2", "amd64")],
    );
    let new = lock(
        vec![
            package("libc6", "2.41-12", "amd64"),
            package("libssl3t64", "3.5.1-1", "amd64"),
            package("tzdata", "2025b-4", "all"),
        ],
        vec![package("bash", "5.2.37-2", "amd64")],
    );
    let d = diff(&old, &new);
    assert_eq!(d.images.len(), 1, "the unchanged dev image is left out");
    let image = &d.images[0];
    assert_eq!((image.arch.as_str(), image.variant), ("amd64", Variant::Runtime));
    assert_eq!(
        image.added.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        ["libssl3t64"]
    );
    assert_eq!(
        image.removed.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        ["perl-base"]
    );
    assert_eq!(image.changed.len(), 1);
    assert_eq!(image.changed[0].old.version.as_str(), "2.41-11");
    assert_eq!(image.changed[0].new.version.as_str(), "2.41-12");
}

#[test]
fn rebuilt_deb_with_the_same_version_counts_as_changed_but_a_suite_move_does_not() {
    let old = lock(vec![package("libc6", "2.41-12", "amd64")], vec![]);
    let mut moved = old.clone();
    let mut rebuilt = old.clone();
    for variants in moved.images.values_mut() {
        variants.get_mut(&Variant::Runtime).unwrap()[0].suite = "trixie-security".parse().unwrap();
    }
    for variants in rebuilt.images.values_mut() {
        variants.get_mut(&Variant::Runtime).unwrap()[0].sha256 = buckle_digest::Sha256::of(b"other");
    }
    assert!(diff(&old, &moved).is_empty());
    assert_eq!(diff(&old, &rebuilt).images[0].changed.len(), 1);
}

#[test]
fn an_image_only_in_one_lock_is_all_added_or_all_removed() {
    let old = lock(vec![package("libc6", "2.41-12", "amd64")], vec![]);
    let mut new = old.clone();
    let arm64: Arch = "arm64".parse().unwrap();
    new.images.insert(
        arm64.clone(),
        BTreeMap::from([(Variant::Runtime, vec![package("libc6", "2.41-12", "arm64")])]),
    );
    let d = diff(&old, &new);
    assert_eq!(d.images.len(), 1);
    assert_eq!(d.images[0].arch, arm64);
    assert_eq!(d.images[0].added.len(), 1);
    let back = diff(&new, &old);
    assert_eq!(back.images[0].removed.len(), 1);
}
