//! An SBOM given to `buckle scan` (CycloneDX or SPDX JSON from any tool): no panic, and
//! each package read is what its package URL alone reads as.
#![no_main]
use buckle_sbom::read::{deb_packages, deb_purl};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Ok(packages) = deb_packages(bytes) else { return };
    for package in packages {
        assert_eq!(deb_purl(&package.purl).ok().as_ref(), Some(&package));
    }
});
