//! `buckle sign IMAGE --key KEY [--spec SPEC | --lock LOCK]`: signs every image of a
//! layout (each platform manifest and the index) with cosign's signature, and attests
//! SLSA provenance (when the spec and lock are given) and the SPDX and CycloneDX SBOMs
//! (the ones `buckle build` attached, else made from the image).

use crate::args::{Global, SignArgs};
use crate::exit::UserError;
use crate::files::{self, SpecFile};
use crate::keys::read_private_key;
use crate::ops::sign::{builder_id, sign_layout, BuildInputs, Signing};
use crate::printer::Printer;
use crate::session::Session;
use anyhow::Context;
use buckle_oci::parse_image_arg;
use buckle_sign::sign::{Signed, Target};
use buckle_spec::Lock;
use serde_json::json;
use std::path::Path;

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
            app_spec: None,
        }),
    };
    let signed = sign_layout(&path, selector.ref_name.as_deref(), &signing, printer)?;
    report(&signed, printer)
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
