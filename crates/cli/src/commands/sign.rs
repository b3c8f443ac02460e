//! `buckle sign IMAGE --key KEY [--spec SPEC | --lock LOCK]`: signs every image of a
//! layout (each platform manifest and the index) with cosign's signature, and attests
//! SLSA provenance (when the spec and lock are given) and the SPDX and CycloneDX SBOMs
//! (the ones `buckle build` attached, else made from the image). `buckle build --sign`
//! calls [`sign_build`].

use crate::args::{BuildArgs, Global, SignArgs};
use crate::commands::inspect::human_size;
use crate::commands::keygen::read_private_key;
use crate::commands::lock::suite_mirrors;
use crate::describe;
use crate::exit::UserError;
use crate::files::{self, SpecFile};
use crate::printer::Printer;
use crate::session::Session;
use anyhow::Context;
use buckle_debian::Arch;
use buckle_digest::Sha256;
use buckle_oci::layout::Layout;
use buckle_oci::{open_image, parse_image_arg, Image, Platform};
use buckle_sbom::dpkg::Detail;
use buckle_sbom::Format;
use buckle_sign::attach;
use buckle_sign::key::PrivateKey;
use buckle_sign::provenance::{self, Invocation, ProvenanceInput};
use buckle_sign::sbom_predicate::predicate_type_of;
use buckle_sign::sign::{sign_image, targets, Signed, Target};
use buckle_sign::statement::predicate_type;
use buckle_spec::{Lock, Variant};
use serde_json::json;
use std::path::Path;

/// Manifest annotation `buckle build` writes: the variant.
const VARIANT_ANNOTATION: &str = "dev.buckle.variant";
/// Manifest annotation `buckle build` writes: the SHA-256 of the lock.
const LOCK_ANNOTATION: &str = "dev.buckle.lock.sha256";
/// Environment variable naming the builder id for provenance.
pub const BUILDER_ID_VAR: &str = "BUCKLE_BUILDER_ID";

/// What the provenance is made from: the spec and the lock the image was built from.
struct BuildInputs<'a> {
    session: &'a Session,
    spec: &'a SpecFile,
    lock: &'a Lock,
    invocation: Option<Invocation>,
}

/// How to sign.
struct Signing<'a> {
    key: &'a PrivateKey,
    builder_id: String,
    reference: Option<String>,
    inputs: Option<BuildInputs<'a>>,
}

pub fn run(args: &SignArgs, global: &Global, printer: &Printer) -> anyhow::Result<()> {
    let (path, selector) = parse_image_arg(&args.image.to_string_lossy());
    if !path.is_dir() {
        anyhow::bail!(UserError::with_hint(
            format!("`{}` is not an OCI layout directory", path.display()),
            "signatures are attached to OCI layouts; build one with `buckle build` (the default format)"
        ));
    }
    let key = read_private_key(&args.key)?;
    let session = Session::new(global)?;
    let spec_and_lock = match (&args.spec, &args.lock) {
        (None, None) => None,
        (spec, lock) => Some(load_spec_and_lock(spec.as_deref(), lock.as_deref())?),
    };
    if spec_and_lock.is_none() {
        printer.status(
            "Warning",
            "no --spec or --lock: signing and attesting SBOMs only, without provenance",
        );
    }
    let signing = Signing {
        key: &key,
        builder_id: builder_id(args.builder_id.as_deref()),
        reference: args.reference.clone(),
        inputs: spec_and_lock.as_ref().map(|(spec, lock)| BuildInputs {
            session: &session,
            spec,
            lock,
            invocation: None,
        }),
    };
    let signed = sign_layout(&path, selector.ref_name.as_deref(), &signing, printer)?;
    report(&signed, printer)
}

/// `buckle build --sign KEY`: signs the layout just written at `output` by a build
/// that started at `started` (seconds since 1970).
pub fn sign_build(
    session: &Session,
    spec: &SpecFile,
    lock: &Lock,
    output: &Path,
    started: u64,
    args: &BuildArgs,
    printer: &Printer,
) -> anyhow::Result<()> {
    let Some(key_path) = &args.sign else {
        return Ok(());
    };
    if !output.is_dir() {
        anyhow::bail!(UserError::with_hint(
            "--sign needs an OCI layout: a docker archive cannot carry signatures",
            "build without --format docker-archive, sign, then push the layout"
        ));
    }
    let key = read_private_key(key_path)?;
    let finished = crate::commands::feeds::now_seconds();
    let signing = Signing {
        key: &key,
        builder_id: builder_id(None),
        reference: None,
        inputs: Some(BuildInputs {
            session,
            spec,
            lock,
            invocation: Some(Invocation {
                started_on: Some(buckle_oci::rfc3339_utc(started)),
                finished_on: Some(buckle_oci::rfc3339_utc(finished)),
            }),
        }),
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

/// The spec (named, or beside the lock) and the lock (named, or beside the spec),
/// checked to belong together.
fn load_spec_and_lock(spec: Option<&Path>, lock: Option<&Path>) -> anyhow::Result<(SpecFile, Lock)> {
    let spec_file = SpecFile::load(spec.or(lock).expect("one of --spec and --lock is given"))?;
    let lock = match lock {
        Some(path) => Lock::parse(&files::read_text(path)?, path)?,
        None => spec_file.read_lock()?.ok_or_else(|| {
            UserError::with_hint(
                format!("`{}` has no lock beside it", spec_file.path.display()),
                "pass --lock with the lock the image was built from",
            )
        })?,
    };
    lock.check_fresh(&spec_file.spec)
        .with_context(|| format!("the lock does not belong to `{}`", spec_file.path.display()))?;
    Ok((spec_file, lock))
}

fn sign_layout(
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
        let arches = match &target.platform {
            Some(platform) => {
                let image = open_image(path, &target.selector())?;
                variant = image_variant(&image)?;
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
                provenance_predicate(inputs, &signing.builder_id, arches, variant)?,
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
                    input = Some(describe::sbom_input(image, name, Detail::Packages, &debs)?);
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

fn provenance_predicate(
    inputs: &BuildInputs<'_>,
    builder_id: &str,
    architectures: Vec<Arch>,
    variant: Variant,
) -> anyhow::Result<(String, serde_json::Value)> {
    let spec_text = files::read_text(&inputs.spec.path)?;
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
    };
    let predicate = serde_json::to_value(provenance::provenance(&input))?;
    Ok((predicate_type::SLSA_PROVENANCE_V1.to_owned(), predicate))
}

fn describe_signed(signed: &Signed) -> String {
    let mut parts = vec!["signature".to_owned()];
    for (predicate_type, size) in &signed.attestations {
        parts.push(format!("{} {}", short_type(predicate_type), human_size(*size)));
    }
    parts.join(", ")
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

fn report(signed: &[(Target, Signed)], printer: &Printer) -> anyhow::Result<()> {
    if printer.json {
        let images: Vec<_> = signed
            .iter()
            .map(|(target, done)| {
                json!({
                    "image": target.label(),
                    "digest": target.descriptor.digest.oci(),
                    "signaturePayloadSize": done.signature_payload_size,
                    "attestations": done.attestations.iter().map(|(t, size)| json!({"predicateType": t, "size": size})).collect::<Vec<_>>(),
                })
            })
            .collect();
        return printer.json(&json!({ "images": images }));
    }
    for (target, done) in signed {
        printer.result(format!("{:<12} {}", target.label(), done.subject.oci()));
    }
    Ok(())
}
