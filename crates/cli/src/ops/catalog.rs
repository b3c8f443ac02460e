//! Describing built images for people and agents: each layout of the folders given,
//! with its architectures, packages, findings, attachments, advisories and hardening,
//! as the [`buckle_site::model`] that `buckle site` renders and `buckle mcp` answers
//! with.

use crate::clock::now_seconds;
use crate::files::SpecFile;
use crate::image_view;
use crate::ops::attachments::{self, Kind};
use crate::ops::check::checked;
use crate::ops::scan::scan_target;
use crate::registry::Remote;
use anyhow::Context;
use buckle_check::{Policy, Summary};
use buckle_feeds::Loaded;
use buckle_oci::annotation;
use buckle_oci::layout::Layout;
use buckle_patch::Advisory;
use buckle_sbom::dpkg::Detail;
use buckle_sbom::{Format, LicenseInfo};
use buckle_site::model::{
    Attachment, Catalog, Document, Findings, ImageDescription, Package, Platform, Reference, SmokeTest,
};
use std::path::{Path, PathBuf};

/// What a description is made from besides the image itself.
pub struct Sources<'a> {
    /// The feed store's data; `None` when it holds none.
    pub feeds: Option<&'a Loaded>,
    /// Folders where the specs the images were built from may be (for the smoke test).
    pub spec_dirs: &'a [PathBuf],
    /// Every advisory record found beside the images.
    pub advisories: &'a [Advisory],
    pub remote: &'a Remote<'a>,
}

/// How deep below a folder layouts are looked for (`root/project/out/python`).
const SEARCH_DEPTH: usize = 3;

/// The OCI layouts among `dirs`: a folder that is a layout, or the layouts inside a
/// folder (up to [`SEARCH_DEPTH`] levels down, not inside a layout, skipping hidden
/// folders); sorted, each once.
pub fn find_images(dirs: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut stack: Vec<(PathBuf, usize)> = dirs.iter().map(|d| (d.clone(), 0)).collect();
    while let Some((dir, depth)) = stack.pop() {
        if is_layout(&dir) {
            found.push(dir);
            continue;
        }
        if depth == SEARCH_DEPTH {
            continue;
        }
        let entries =
            std::fs::read_dir(&dir).with_context(|| format!("cannot read the folder `{}`", dir.display()))?;
        for entry in entries {
            let entry = entry.with_context(|| format!("cannot read the folder `{}`", dir.display()))?;
            let hidden = entry.file_name().to_string_lossy().starts_with('.');
            if !hidden && entry.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push((entry.path(), depth + 1));
            }
        }
    }
    found.sort();
    found.dedup();
    Ok(found)
}

fn is_layout(path: &Path) -> bool {
    path.join("oci-layout").is_file() && path.join("index.json").is_file()
}

/// The advisory records in `DIR/advisories` of each folder that has them.
pub fn find_advisories(dirs: &[PathBuf]) -> anyhow::Result<Vec<Advisory>> {
    let mut all = Vec::new();
    for dir in dirs {
        if dir.join("advisories").is_dir() {
            all.extend(crate::ops::advisories::read(&dir.join("advisories"), None, None)?);
        }
    }
    Ok(all)
}

/// Every image in `dirs`, described, with the variants of each family named and each
/// image put beside its reference: `compare` when given, else its -dev variant (a
/// -dev image is put beside its runtime variant).
pub fn describe_catalog(
    dirs: &[PathBuf],
    compare: Option<&Path>,
    sources: &Sources,
) -> anyhow::Result<Catalog> {
    let mut images = find_images(dirs)?
        .iter()
        .map(|path| describe(path, sources))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let given = compare.map(|path| describe(path, sources)).transpose()?;
    let references: Vec<Option<Reference>> = images
        .iter()
        .map(|image| match &given {
            Some(given) => Some(reference_to(given)),
            None => images
                .iter()
                .find(|other| other.name != image.name && family(&other.name) == family(&image.name))
                .map(reference_to),
        })
        .collect();
    let families: Vec<Vec<String>> = images
        .iter()
        .map(|image| {
            images
                .iter()
                .filter(|other| family(&other.name) == family(&image.name))
                .map(|other| other.name.clone())
                .collect()
        })
        .collect();
    for ((image, reference), variants) in images.iter_mut().zip(references).zip(families) {
        image.reference = reference;
        image.variants = variants;
    }
    Ok(Catalog {
        generated_at: buckle_oci::rfc3339_utc(now_seconds()),
        images,
    })
}

/// `python` for `python-dev`.
fn family(name: &str) -> &str {
    name.strip_suffix("-dev").unwrap_or(name)
}

fn reference_to(image: &ImageDescription) -> Reference {
    Reference {
        name: image.name.clone(),
        hardening: image.hardening.clone(),
        open_findings: image.findings.open().map(|open| open.len()),
    }
}

/// The architectures of the layout at `path`, and the one a description is for: the
/// host's when there, else the first.
pub fn architectures(path: &Path) -> anyhow::Result<(Vec<String>, String)> {
    let architectures = image_view::architectures(path)?;
    let primary = architectures
        .iter()
        .find(|a| a.as_str() == image_view::host_arch())
        .or(architectures.first())
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("`{}` holds no image", path.display()))?;
    Ok((architectures, primary))
}

/// An image as a list shows it: what it is and where, without reading its layers.
#[derive(Debug, serde::Serialize)]
pub struct Listed {
    pub name: String,
    pub path: String,
    pub description: Option<String>,
    pub variant: String,
    pub tags: Vec<String>,
    pub platforms: Vec<ListedPlatform>,
}

/// One architecture's image in a [`Listed`].
#[derive(Debug, serde::Serialize)]
pub struct ListedPlatform {
    pub architecture: String,
    /// The image manifest's digest.
    pub digest: String,
}

/// The images in `dirs`, listed.
pub fn list(dirs: &[PathBuf]) -> anyhow::Result<Vec<Listed>> {
    let mut listed = Vec::new();
    for path in find_images(dirs)? {
        let (architectures, primary) = architectures(&path)?;
        let mut platforms = Vec::new();
        let mut first = None;
        for arch in &architectures {
            let image = image_view::open_local(&path, Some(arch))?;
            platforms.push(ListedPlatform {
                architecture: arch.clone(),
                digest: image.manifest_digest().oci(),
            });
            if *arch == primary {
                first = Some(image);
            }
        }
        let image = first.ok_or_else(|| anyhow::anyhow!("`{}` has no {primary} image", path.display()))?;
        let layout = Layout::open(&path).with_context(|| format!("cannot open `{}`", path.display()))?;
        let mut tags: Vec<String> = buckle_sign::sign::targets(&layout, None)?
            .into_iter()
            .filter_map(|t| t.ref_name)
            .collect();
        tags.dedup();
        listed.push(Listed {
            name: crate::describe::image_name(&image, &folder_name(&path)),
            path: path.display().to_string(),
            description: image.manifest().annotations.get(annotation::DESCRIPTION).cloned(),
            variant: variant(&image),
            tags,
            platforms,
        });
    }
    Ok(listed)
}

fn folder_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// `runtime` or `dev` as buckle annotated it, else `unknown`.
fn variant(image: &buckle_oci::Image) -> String {
    image
        .manifest()
        .annotations
        .get(crate::ops::build::VARIANT_ANNOTATION)
        .cloned()
        .unwrap_or_else(|| "unknown".to_owned())
}

/// One layout, all its architectures.
pub fn describe(path: &Path, sources: &Sources) -> anyhow::Result<ImageDescription> {
    let (architectures, primary) = architectures(path)?;
    let mut platforms = Vec::new();
    let mut packages = Vec::new();
    let mut primary_image = None;
    for arch in &architectures {
        let image = image_view::open_local(path, Some(arch))?;
        let (_, found) = image_view::packages(&image, Detail::Packages)?;
        platforms.push(Platform {
            architecture: arch.clone(),
            digest: image.manifest_digest().oci(),
            compressed_size: image.layers().iter().map(|l| l.descriptor.size).sum(),
            packages: found.packages.len(),
        });
        if *arch == primary {
            packages = found.packages.iter().map(package).collect();
            primary_image = Some(image);
        }
    }
    let image =
        primary_image.ok_or_else(|| anyhow::anyhow!("`{}` has no {primary} image", path.display()))?;
    let name = crate::describe::image_name(&image, &folder_name(path));
    let annotations = &image.manifest().annotations;
    let labels = image.config().config.clone().unwrap_or_default().labels;
    let (view, report) = checked(path, Some(&primary), &Policy::default(), sources.remote)?;
    let hardening = Summary::of(&view, &report);
    let layout = Layout::open(path).with_context(|| format!("cannot open `{}`", path.display()))?;
    let attached = attachments::list(&layout, None)?;
    let signed = platforms.iter().all(|p| {
        attached.iter().any(|a| {
            a.digest == p.digest
                && a.attached
                    .iter()
                    .any(|i| i.kind == "signature" && i.error.is_none())
        })
    });
    let primary_digest = image.manifest_digest().oci();
    let mut documents: Vec<Document> = attached
        .iter()
        .filter(|a| a.digest == primary_digest)
        .flat_map(|a| a.documents.iter())
        .filter_map(|(kind, bytes)| document(kind, bytes, &primary))
        .collect();
    // The same statement is attached under the cosign tag and as a referrer.
    documents.sort_by(|a, b| a.file_name.cmp(&b.file_name));
    documents.dedup_by(|a, b| a.file_name == b.file_name);
    let attachments = attached
        .iter()
        .flat_map(|a| {
            let architecture = a
                .target
                .platform
                .as_ref()
                .map_or_else(|| "index".to_owned(), |p| p.architecture.clone());
            a.attached.iter().map(move |item| Attachment {
                architecture: architecture.clone(),
                kind: item.kind.to_owned(),
                kind_type: item.kind_type.clone(),
                place: item.place.clone(),
                size: item.size.map(|s| s as u64),
            })
        })
        .collect();
    Ok(ImageDescription {
        path: path.display().to_string(),
        description: annotations.get(annotation::DESCRIPTION).cloned(),
        variant: variant(&image),
        variants: vec![name.clone()],
        tags: view.tags.clone(),
        primary_architecture: primary.clone(),
        compressed_size: hardening.stored_size,
        findings: findings(path, sources),
        attachments,
        signed,
        created: image.config().created.clone(),
        rebuilt: rebuilt(path),
        eol: labels.get(buckle_check::EOL_LABEL).cloned(),
        smoke_test: smoke_test(&name, path, &primary, sources.spec_dirs),
        hardening,
        advisories: sources
            .advisories
            .iter()
            .filter(|a| a.image == name)
            .cloned()
            .collect(),
        documents,
        reference: None,
        platforms,
        packages,
        name,
    })
}

/// A package as the catalog shows it.
pub fn package(p: &buckle_sbom::PackageFacts) -> Package {
    Package {
        name: p.name.to_string(),
        version: p.version.to_string(),
        architecture: p.arch.to_string(),
        source: p.source.to_string(),
        license: match &p.license {
            LicenseInfo::NoAssertion => "NOASSERTION".to_owned(),
            LicenseInfo::Declared(expression) => expression.as_str().to_owned(),
        },
    }
}

/// The scan of the image's primary architecture, KEV first, or why there is none.
fn findings(path: &Path, sources: &Sources) -> Findings {
    let Some(loaded) = sources.feeds else {
        return Findings::NotScanned {
            reason: "the feed store is empty".to_owned(),
        };
    };
    match scan_target(path, None, loaded, now_seconds(), &[], sources.remote) {
        Ok(scanned) => {
            let mut findings = scanned.decided;
            findings.sort_by(|a, b| {
                (b.finding.kev.is_some(), b.finding.severity, a.finding.id.as_str()).cmp(&(
                    a.finding.kev.is_some(),
                    a.finding.severity,
                    b.finding.id.as_str(),
                ))
            });
            Findings::Scanned {
                release: scanned.release.to_string(),
                feeds: loaded.feeds.iter().map(ToString::to_string).collect(),
                findings,
            }
        }
        Err(problem) => Findings::NotScanned {
            reason: format!("{problem:#}"),
        },
    }
}

/// When the layout's index was last written.
fn rebuilt(path: &Path) -> Option<String> {
    let modified = std::fs::metadata(path.join("index.json")).ok()?.modified().ok()?;
    let seconds = modified.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    Some(buckle_oci::rfc3339_utc(seconds))
}

/// The smoke test of the spec named like the image's family, from the first of
/// `spec_dirs` that has it.
fn smoke_test(name: &str, path: &Path, arch: &str, spec_dirs: &[PathBuf]) -> Option<SmokeTest> {
    let spec_path = spec_dirs
        .iter()
        .map(|dir| dir.join(format!("{}.toml", family(name))))
        .find(|p| p.is_file())?;
    let spec = SpecFile::load(&spec_path).ok()?;
    let test = spec.spec.test.as_ref()?;
    let arch: buckle_debian::Arch = arch.parse().ok()?;
    let variant = if name.ends_with("-dev") {
        " --variant dev"
    } else {
        ""
    };
    Some(SmokeTest {
        run: format!(
            "buckle test {}{variant} --image {}",
            spec_path.display(),
            path.display()
        ),
        command: test.command_for(&arch),
        expect: test.expect().to_owned(),
    })
}

/// A downloadable file for an attached SBOM or provenance attestation.
fn document(kind: &Kind, bytes: &[u8], arch: &str) -> Option<Document> {
    let (file_name, title, media_type) = match kind {
        Kind::Sbom(format) => (
            match format {
                Format::SpdxJson => "sbom.spdx.json",
                Format::CycloneDxJson => "sbom.cdx.json",
            },
            format!("SBOM, {format} ({arch})"),
            format.media_type().to_owned(),
        ),
        Kind::Attestation(predicate) if predicate.starts_with("https://slsa.dev/provenance/") => (
            "provenance.dsse.json",
            format!("SLSA provenance, as its signed DSSE envelope ({arch})"),
            "application/vnd.dsse.envelope.v1+json".to_owned(),
        ),
        Kind::Attestation(_) => return None,
    };
    Some(Document {
        file_name: file_name.to_owned(),
        title,
        media_type,
        content: bytes.to_vec(),
    })
}

/// Every file under `dirs` with its size and modification time, sorted: what changes
/// when an image is rebuilt, pulled or removed.
pub fn fingerprint(dirs: &[PathBuf]) -> Vec<(PathBuf, u64, Option<std::time::SystemTime>)> {
    let mut out = Vec::new();
    let mut stack: Vec<PathBuf> = dirs.to_vec();
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                out.push((entry.path(), meta.len(), meta.modified().ok()));
            }
        }
    }
    out.sort();
    out
}
