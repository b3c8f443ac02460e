//! Signing a layout: every image of it (each platform manifest and the index) with
//! cosign's signature, and attestations of SLSA provenance (when the spec and lock are
//! known) and the SPDX and CycloneDX SBOMs (the ones the build attached, else made from
//! the image).

use crate::describe;
use crate::exit::UserError;
use crate::files::{self, SpecFile};
use crate::ops::lock::suite_mirrors;
use crate::printer::{human_size, Printer};
use crate::session::Session;
use anyhow::Context;
use buckle_debian::Arch;
use buckle_digest::Sha256;
use buckle_oci::layout::Layout;
use buckle_oci::{open_image, Image, Platform};
use buckle_sbom::dpkg::Detail;
use buckle_sbom::{AppFacts, Format};
use buckle_sign::attach;
use buckle_sign::key::PrivateKey;
use buckle_sign::provenance::{self, AppProvenance, Invocation, ProvenanceInput};
use buckle_sign::sbom_predicate::predicate_type_of;
use buckle_sign::sign::{sign_image, targets, Signed, Target};
use buckle_sign::statement::predicate_type;
use buckle_spec::{Lock, Variant};
use std::path::Path;

use crate::ops::build::{LOCK_ANNOTATION, VARIANT_ANNOTATION};
/// Environment variable naming the builder id for provenance.
pub const BUILDER_ID_VAR: &str = "BUCKLE_BUILDER_ID";

/// What the provenance is made from: the spec and the lock the image was built from.
pub struct BuildInputs<'a> {
    pub session: &'a Session,
    pub spec: &'a SpecFile,
    pub lock: &'a Lock,
    pub invocation: Option<Invocation>,
    /// For an app image, its app spec (`spec` and `lock` are its base's).
    pub app_spec: Option<&'a Path>,
}

/// How to sign.
pub struct Signing<'a> {
    pub key: &'a PrivateKey,
    pub builder_id: String,
    pub reference: Option<String>,
    pub inputs: Option<BuildInputs<'a>>,
}

/// `buckle build --sign KEY`: signs the layout just written at `output` by a build of
/// `inputs` that started at `started` (seconds since 1970).
pub fn sign_build(
    mut inputs: BuildInputs<'_>,
    output: &Path,
    started: u64,
    key: &PrivateKey,
    printer: &Printer,
) -> anyhow::Result<()> {
    if !output.is_dir() {
        anyhow::bail!(UserError::with_hint(
            "--sign needs an OCI layout: a docker archive cannot carry signatures",
            "build without --format docker-archive, sign, then push the layout"
        ));
    }
    let finished = crate::clock::now_seconds();
    inputs.invocation = Some(Invocation {
        started_on: Some(buckle_oci::rfc3339_utc(started)),
        finished_on: Some(buckle_oci::rfc3339_utc(finished)),
    });
    let signing = Signing {
        key,
        builder_id: builder_id(None),
        reference: None,
        inputs: Some(inputs),
    };
    sign_layout(output, None, &signing, printer)?;
    Ok(())
}

pub fn builder_id(given: Option<&str>) -> String {
    given
        .map(str::to_owned)
        .or_else(|| std::env::var(BUILDER_ID_VAR).ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| provenance::DEFAULT_BUILDER_ID.to_owned())
}

pub fn sign_layout(
    path: &Path,
    tag: Option<&str>,
    signing: &Signing<'_>,
    printer: &Printer,
) -> anyhow::Result<Vec<(Target, Signed)>> {
    let mut layout = Layout::open(path)?;
    let targets = targets(&layout, tag)?;
    let mut reference = signing.reference.clone();
    let mut variant = Variant::Runtime;
    let mut signed = Vec::new();
    for target in targets {
        let mut predicates = Vec::new();
        let mut app = None;
        let arches = match &target.platform {
            Some(platform) => {
                let image = open_image(path, &target.selector())?;
                variant = image_variant(&image)?;
                app = app_facts(&image)?;
                if let Some(inputs) = &signing.inputs {
                    check_lock_matches(&image, inputs.lock)?;
                }
                let reference = reference.get_or_insert_with(|| describe::image_name(&image, "image"));
                let arch = debian_arch(signing.inputs.as_ref().map(|i| i.lock), platform)?;
                predicates.extend(sbom_predicates(
                    &layout,
                    &image,
                    reference,
                    arch.as_ref(),
                    variant,
                    signing,
                )?);
                arch.into_iter().collect()
            }
            None => {
                let lock = signing.inputs.as_ref().map(|i| i.lock);
                child_arches(&layout, &target, lock)?
            }
        };
        if let Some(inputs) = &signing.inputs {
            predicates.insert(
                0,
                provenance_predicate(inputs, &signing.builder_id, arches, variant, app.as_ref())?,
            );
        }
        let reference = reference.clone().unwrap_or_else(|| "image".to_owned());
        let done = sign_image(
            &mut layout,
            &target.descriptor,
            &reference,
            signing.key,
            predicates,
        )
        .with_context(|| format!("cannot sign the {} image", target.label()))?;
        printer.status(
            "Signed",
            format!(
                "{} {} ({})",
                target.label(),
                target.descriptor.digest.oci(),
                describe_signed(&done)
            ),
        );
        signed.push((target, done));
    }
    Ok(signed)
}

/// The variant `buckle build` recorded on the image (runtime when none).
fn image_variant(image: &Image) -> anyhow::Result<Variant> {
    match image
        .manifest()
        .annotations
        .get(VARIANT_ANNOTATION)
        .map(String::as_str)
    {
        None | Some("runtime") => Ok(Variant::Runtime),
        Some("dev") => Ok(Variant::Dev),
        Some(other) => anyhow::bail!(UserError::new(format!(
            "the image's `{VARIANT_ANNOTATION}` annotation is `{other}`: expected `runtime` or `dev`"
        ))),
    }
}

/// The lock's architecture for an OCI platform (none without a lock).
fn debian_arch(lock: Option<&Lock>, platform: &Platform) -> anyhow::Result<Option<Arch>> {
    let Some(lock) = lock else {
        return Ok(None);
    };
    lock.images
        .keys()
        .find(|arch| arch.oci().is_some_and(|(name, _)| name == platform.architecture))
        .cloned()
        .map(Some)
        .ok_or_else(|| {
            UserError::with_hint(
                format!("the lock has no image for the platform {platform}"),
                "pass the lock the image was built from",
            )
            .into()
        })
}

fn child_arches(layout: &Layout, index: &Target, lock: Option<&Lock>) -> anyhow::Result<Vec<Arch>> {
    let mut arches = Vec::new();
    for child in targets(layout, index.ref_name.as_deref())? {
        if index.children.contains(&child.descriptor.digest) {
            if let Some(platform) = &child.platform {
                arches.extend(debian_arch(lock, platform)?);
            }
        }
    }
    Ok(arches)
}

/// The SPDX and CycloneDX predicates of a platform image: the SBOM referrers already
/// attached, else documents made from the image (with the lock's .debs when known).
fn sbom_predicates(
    layout: &Layout,
    image: &Image,
    name: &str,
    arch: Option<&Arch>,
    variant: Variant,
    signing: &Signing<'_>,
) -> anyhow::Result<Vec<(String, serde_json::Value)>> {
    let digest = image.manifest_digest();
    let mut input = None;
    let mut out = Vec::new();
    for format in Format::ALL {
        let document = match attach::sbom_document(layout, &digest, format.media_type()) {
            Some(Ok(document)) => document,
            _ => {
                if input.is_none() {
                    let debs = match (&signing.inputs, arch) {
                        (Some(inputs), Some(arch)) => {
                            describe::deb_origins(inputs.session, inputs.spec, inputs.lock, arch, variant)?
                        }
                        _ => Vec::new(),
                    };
                    input = Some(describe::sbom_input(image, name, Detail::Packages, &debs, true)?);
                }
                let input = input.as_ref().expect("the SBOM input was just made");
                format.write(input)?
            }
        };
        let predicate = serde_json::from_slice(&document)
            .with_context(|| format!("the {format} SBOM of {} is not JSON", digest.oci()))?;
        out.push((predicate_type_of(format).to_owned(), predicate));
    }
    Ok(out)
}

/// Fails when the image records a lock digest other than `lock`'s.
fn check_lock_matches(image: &Image, lock: &Lock) -> anyhow::Result<()> {
    let Some(recorded) = image.manifest().annotations.get(LOCK_ANNOTATION) else {
        return Ok(());
    };
    let given = Sha256::of(lock.to_toml().as_bytes());
    if recorded != &given.hex() {
        anyhow::bail!(UserError::with_hint(
            format!(
                "the image was built from the lock with SHA-256 {recorded}, not this one ({})",
                given.hex()
            ),
            "pass the lock the image was built from (`buckle build` records its digest)"
        ));
    }
    Ok(())
}

/// The app packages an app image records, if it is one.
fn app_facts(image: &Image) -> anyhow::Result<Option<AppFacts>> {
    let record = buckle_sbom::APP_PACKAGES.trim_start_matches('/');
    let files = crate::image_view::merged_files(image, |entry| entry.path.as_str() == record)?;
    Ok(AppFacts::read(&files)?)
}

fn provenance_predicate(
    inputs: &BuildInputs<'_>,
    builder_id: &str,
    architectures: Vec<Arch>,
    variant: Variant,
    app_facts: Option<&AppFacts>,
) -> anyhow::Result<(String, serde_json::Value)> {
    let spec_text = files::read_text(&inputs.spec.path)?;
    let app_spec = inputs
        .app_spec
        .map(|path| Ok::<_, anyhow::Error>((path.display().to_string(), files::read_text(path)?)))
        .transpose()?;
    let app = match (&app_spec, app_facts) {
        (Some((spec_path, spec_text)), Some(facts)) => Some(AppProvenance {
            spec_path,
            spec_text,
            facts,
        }),
        _ => None,
    };
    let input = ProvenanceInput {
        builder_id: builder_id.to_owned(),
        spec_path: inputs.spec.path.display().to_string(),
        spec_text: &spec_text,
        lock: inputs.lock,
        lock_name: inputs
            .spec
            .lock_path()
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        variant,
        architectures,
        source_date_epoch: inputs.lock.source_date_epoch,
        mirrors: suite_mirrors(inputs.session, inputs.spec)?,
        invocation: inputs.invocation.clone(),
        app,
        offline: inputs.session.offline_build(inputs.lock)?,
    };
    let predicate = serde_json::to_value(provenance::provenance(&input))?;
    Ok((predicate_type::SLSA_PROVENANCE_V1.to_owned(), predicate))
}

/// `provenance`, `spdx`, `cyclonedx`, or the URI.
pub fn short_type(predicate_type: &str) -> &str {
    match predicate_type {
        predicate_type::SLSA_PROVENANCE_V1 => "provenance",
        predicate_type::SPDX => "spdx",
        predicate_type::CYCLONEDX => "cyclonedx",
        other => other,
    }
}

pub fn describe_signed(signed: &Signed) -> String {
    let mut parts = vec!["signature".to_owned()];
    for (predicate_type, size) in &signed.attestations {
        parts.push(format!("{} {}", short_type(predicate_type), human_size(*size)));
    }
    parts.join(", ")
}
