//! `buckle test SPEC`: runs the spec's smoke test in its built image with runc, as a
//! hardened deployment would run it, on every architecture this machine can run.

use crate::args::{FormatArg, TestArgs};
use crate::exit::UserError;
use crate::files::{self, SpecFile};
use crate::image_view;
use crate::ops::test::{smoke_test, TestOptions};
use crate::printer::Printer;
use crate::runc::{self, Confinement, Runnable};
use std::path::Path;

const EMULATION_HINT: &str = "to run other architectures, install qemu-user-static and register its \
binfmt_misc entry with flag F (docs/images.md, \"Other architectures\")";

pub fn run(args: &TestArgs, printer: &Printer) -> anyhow::Result<()> {
    let mounts = crate::ops::test::parse_mounts(&args.mount)?;
    let options = TestOptions {
        mounts: &mounts,
        port: args.port,
        confinement: Confinement {
            seccomp: args
                .seccomp
                .as_deref()
                .map(crate::ops::seccomp::read_profile)
                .transpose()?,
            trace: None,
        },
    };
    let variant = files::variant(args.variant);
    for spec_path in &args.specs {
        if crate::ops::app::is_app_spec(spec_path)? {
            let image = match &args.image {
                Some(image) => image.clone(),
                None => crate::ops::test::default_image(spec_path, variant)?,
            };
            for arch in architectures(&image, &args.arch, printer)? {
                crate::ops::app::smoke_test(spec_path, &image, Some(&arch), &options, printer)?;
            }
            continue;
        }
        let spec = SpecFile::load(spec_path)?;
        let image = args
            .image
            .clone()
            .unwrap_or_else(|| spec.default_output(variant, FormatArg::Oci));
        for arch in architectures(&image, &args.arch, printer)? {
            smoke_test(&spec, &image, Some(&arch), &options, printer)?;
        }
    }
    Ok(())
}

/// The architectures to test: those asked for, each of which must run here, or else
/// every architecture of the image that runs here, naming those that cannot.
fn architectures(image: &Path, asked: &[String], printer: &Printer) -> anyhow::Result<Vec<String>> {
    let available = image_view::architectures(image)?;
    if !asked.is_empty() {
        for arch in asked {
            if !available.contains(arch) {
                anyhow::bail!(UserError::new(format!(
                    "`{}` has no image for `{arch}`; it has {}",
                    image.display(),
                    available.join(", ")
                )));
            }
            if let Runnable::No(why) = runc::runnable(arch) {
                anyhow::bail!(UserError::with_hint(
                    format!("this machine cannot run `{arch}` binaries: {why}"),
                    EMULATION_HINT
                ));
            }
        }
        return Ok(asked.to_vec());
    }
    let mut runnable = Vec::new();
    for arch in available {
        match runc::runnable(&arch) {
            Runnable::No(why) => printer.error_line(
                "warning:",
                format!("not testing `{arch}`: {why} ({EMULATION_HINT})"),
            ),
            Runnable::Native | Runnable::Emulated(_) => runnable.push(arch),
        }
    }
    if runnable.is_empty() {
        anyhow::bail!(UserError::with_hint(
            format!(
                "this machine can run none of the architectures of `{}`",
                image.display()
            ),
            EMULATION_HINT
        ));
    }
    Ok(runnable)
}
