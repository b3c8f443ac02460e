//! `buckle scan LAYOUT --attest KEY`: each image of the layout (every platform, then
//! the index over them) scanned on its own, and the result signed as cosign's
//! vulnerability scan record and attached like buckle's other attestations (cosign's
//! `.att` tag and an OCI 1.1 referrer). `cosign verify-attestation --type vuln` and
//! `buckle verify --require vuln` check it.

use super::{decide, feeds_json, image_target, release};
use crate::describe;
use crate::exit::UserError;
use crate::ops::sign::builder_id;
use crate::printer::Printer;
use anyhow::Context;
use buckle_digest::Sha256;
use buckle_feeds::FeedInfo;
use buckle_oci::layout::Layout;
use buckle_oci::{open_image, parse_image_arg};
use buckle_sign::key::PrivateKey;
use buckle_sign::sign::{attest_image, targets};
use buckle_sign::statement::predicate_type;
use buckle_sign::vuln_predicate::{
    buckle_scanner_uri, ScanInvocation, ScanMetadata, Scanner, ScannerDb, VulnPredicate,
};
use buckle_vuln::{Database, VexStatement};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::Path;

/// What every attested scan shares.
pub struct Attesting<'a> {
    pub key: &'a PrivateKey,
    pub database: &'a Database,
    pub statements: &'a [VexStatement],
    /// `--release`, when given.
    pub release: Option<&'a str>,
    pub feeds: &'a [FeedInfo],
    /// When the scan started (RFC 3339).
    pub started: String,
}

/// Fails unless `arg` names an OCI layout, the only place a scan record can go.
pub fn check_layout(arg: &Path) -> anyhow::Result<()> {
    let (path, _) = parse_image_arg(&arg.to_string_lossy());
    if !path.is_dir() {
        anyhow::bail!(UserError::with_hint(
            format!(
                "--attest needs an OCI layout directory: `{}` is not one",
                arg.display()
            ),
            "attestations are attached to OCI layouts; scan a docker archive or an SBOM without --attest"
        ));
    }
    Ok(())
}

/// Scans every image of the layout at `arg` and attaches a signed scan record to each.
pub fn attest_layout(arg: &Path, attesting: &Attesting<'_>, printer: &Printer) -> anyhow::Result<()> {
    check_layout(arg)?;
    let (path, selector) = parse_image_arg(&arg.to_string_lossy());
    let mut layout = Layout::open(&path)?;
    let mut reference = None;
    let mut scanned: BTreeMap<Sha256, serde_json::Value> = BTreeMap::new();
    for target in targets(&layout, selector.ref_name.as_deref())? {
        let digest = target.descriptor.digest;
        let images = match &target.platform {
            Some(platform) => {
                let image = open_image(&path, &target.selector())?;
                reference.get_or_insert_with(|| describe::image_name(&image, "image"));
                let packages = image_target(&image)?;
                let release = release(attesting.release, arg, &packages.os_release)?;
                let decided = decide(&packages, &release, attesting.database, attesting.statements);
                let entry = json!({
                    "platform": platform.to_string(),
                    "digest": digest.oci(),
                    "release": release.as_str(),
                    "findings": decided,
                });
                scanned.insert(digest, entry.clone());
                vec![entry]
            }
            None => target
                .children
                .iter()
                .filter_map(|child| scanned.get(child).cloned())
                .collect(),
        };
        let findings: usize = images
            .iter()
            .map(|i| i["findings"].as_array().map_or(0, Vec::len))
            .sum();
        let predicate = scan_record(arg, attesting, images);
        let reference = reference.clone().unwrap_or_else(|| "image".to_owned());
        let attached = attest_image(
            &mut layout,
            &target.descriptor,
            &reference,
            attesting.key,
            vec![(
                predicate_type::COSIGN_VULN.to_owned(),
                serde_json::to_value(predicate)?,
            )],
        )
        .with_context(|| format!("cannot attest the scan of the {} image", target.label()))?;
        printer.status(
            "Attested",
            format!(
                "scan of {} {}: {findings} findings ({} bytes)",
                target.label(),
                digest.oci(),
                attached.iter().map(|(_, size)| size).sum::<u64>()
            ),
        );
    }
    Ok(())
}

fn scan_record(arg: &Path, attesting: &Attesting<'_>, images: Vec<serde_json::Value>) -> VulnPredicate {
    let version = env!("CARGO_PKG_VERSION");
    let newest_data = attesting
        .feeds
        .iter()
        .filter_map(|f| f.data_date.clone())
        .max()
        .unwrap_or_default();
    VulnPredicate {
        invocation: ScanInvocation {
            parameters: std::env::args().skip(1).collect(),
            builder_id: builder_id(None),
            ..ScanInvocation::default()
        },
        scanner: Scanner {
            uri: buckle_scanner_uri(version),
            version: version.to_owned(),
            db: ScannerDb {
                // The archive feed is stored per release: named once.
                uri: {
                    let mut kinds: Vec<&str> = attesting.feeds.iter().map(|f| f.kind.name()).collect();
                    kinds.dedup();
                    kinds.join(",")
                },
                version: newest_data,
            },
            result: json!({
                "target": arg.display().to_string(),
                "feeds": feeds_json(attesting.feeds),
                "images": images,
            }),
        },
        metadata: ScanMetadata {
            scan_started_on: attesting.started.clone(),
            scan_finished_on: buckle_oci::rfc3339_utc(crate::clock::now_seconds()),
        },
    }
}
