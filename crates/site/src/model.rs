//! What the catalog knows of each image: the one description `buckle site` renders
//! and `buckle mcp` answers with. `buckle`'s ops fill it from the images, their
//! attachments, the feed store and the advisories; nothing here reads a file.

use buckle_check::Summary;
use buckle_patch::Advisory;
use buckle_vuln::Decided;
use serde::Serialize;

/// Every image of the folders given, with when the description was made.
#[derive(Debug, Clone, Serialize)]
pub struct Catalog {
    /// RFC 3339, UTC.
    pub generated_at: String,
    pub images: Vec<ImageDescription>,
}

/// One built image (an OCI layout, all its architectures).
#[derive(Debug, Clone, Serialize)]
pub struct ImageDescription {
    /// The title annotation (`python`, `python-dev`), else the folder's name.
    pub name: String,
    /// The layout's path as given.
    pub path: String,
    pub description: Option<String>,
    /// `runtime`, `dev`, or `unknown` for an image buckle did not build.
    pub variant: String,
    /// Names of the catalog's images of the same family (`python`, `python-dev`).
    pub variants: Vec<String>,
    /// One per architecture, sorted.
    pub platforms: Vec<Platform>,
    /// The layout's tags (`ref.name`).
    pub tags: Vec<String>,
    /// The architecture the package table, sizes, findings and hardening are for.
    pub primary_architecture: String,
    pub packages: Vec<Package>,
    /// Bytes of the layer blobs as stored, for the primary architecture.
    pub compressed_size: u64,
    pub findings: Findings,
    /// Signatures, attestations and SBOMs attached to the images, as listed.
    pub attachments: Vec<Attachment>,
    /// Whether a cosign signature is attached to every architecture's image.
    pub signed: bool,
    /// The config's `created` (the build's SOURCE_DATE_EPOCH for buckle's images).
    pub created: Option<String>,
    /// When the layout was last written: the last rebuild.
    pub rebuilt: Option<String>,
    /// The upstream end of life (`dev.buckle.eol` label).
    pub eol: Option<String>,
    pub smoke_test: Option<SmokeTest>,
    /// Hardening as `buckle check` and `buckle compare` see it.
    pub hardening: Summary,
    /// What `buckle update --rebuild` recorded for this image, oldest first.
    pub advisories: Vec<Advisory>,
    /// Documents to download: SBOMs and provenance, as attached.
    pub documents: Vec<Document>,
    /// The side-by-side reference: the -dev variant or `--compare IMAGE`.
    pub reference: Option<Reference>,
}

/// One architecture's image.
#[derive(Debug, Clone, Serialize)]
pub struct Platform {
    pub architecture: String,
    /// The image manifest's digest.
    pub digest: String,
    /// Bytes of the layer blobs as stored.
    pub compressed_size: u64,
    pub packages: usize,
}

/// One installed Debian package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Package {
    pub name: String,
    pub version: String,
    pub architecture: String,
    pub source: String,
    /// An SPDX expression from the machine-readable copyright file, or `NOASSERTION`.
    pub license: String,
}

/// The vulnerability findings, or why there are none to show. An image that was not
/// scanned is never shown as clean.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Findings {
    NotScanned {
        reason: String,
    },
    Scanned {
        release: String,
        /// The feeds matched against, one line each.
        feeds: Vec<String>,
        /// KEV first, then by severity; VEX-suppressed ones included, marked.
        findings: Vec<Decided>,
    },
}

impl Findings {
    /// Findings not suppressed by VEX, or `None` when not scanned.
    pub fn open(&self) -> Option<Vec<&Decided>> {
        match self {
            Findings::NotScanned { .. } => None,
            Findings::Scanned { findings, .. } => Some(findings.iter().filter(|d| !suppressed(d)).collect()),
        }
    }
}

/// Whether a VEX statement takes the finding off the open list.
pub fn suppressed(decided: &Decided) -> bool {
    decided.vex.as_ref().is_some_and(|v| v.suppresses())
}

/// Something attached to one of the images.
#[derive(Debug, Clone, Serialize)]
pub struct Attachment {
    pub architecture: String,
    /// `signature`, `attestation` or `sbom`.
    pub kind: String,
    /// The predicate type or media type.
    #[serde(rename = "type")]
    pub kind_type: String,
    /// `cosign tag` or `referrer`.
    pub place: String,
    pub size: Option<u64>,
}

/// A document offered for download.
#[derive(Debug, Clone, Serialize)]
pub struct Document {
    /// The file name on the site (`sbom.spdx.json`).
    pub file_name: String,
    /// What it is, for people (`SPDX 2.3 SBOM (amd64)`).
    pub title: String,
    pub media_type: String,
    #[serde(skip)]
    pub content: Vec<u8>,
}

/// How to run the image's smoke test.
#[derive(Debug, Clone, Serialize)]
pub struct SmokeTest {
    /// `buckle test SPEC IMAGE`.
    pub run: String,
    /// The command run in the image.
    pub command: Vec<String>,
    /// What its output must contain.
    pub expect: String,
}

/// The image compared side by side.
#[derive(Debug, Clone, Serialize)]
pub struct Reference {
    pub name: String,
    pub hardening: Summary,
    /// Open findings, `None` when it was not scanned.
    pub open_findings: Option<usize>,
}
