//! `buckle sbom IMAGE`: the SBOM of any Debian-based image, SPDX or CycloneDX.

use crate::args::{Global, SbomArgs, SbomFormatArg};
use crate::describe::{deb_origins, image_name, sbom_input};
use crate::files::{self, SpecFile};
use crate::image_view;
use crate::printer::Printer;
use crate::session::Session;
use buckle_debian::Arch;
use buckle_sbom::dpkg::Detail;
use buckle_sbom::Format;
use buckle_spec::Variant;

pub fn run(args: &SbomArgs, global: &Global, printer: &Printer) -> anyhow::Result<()> {
    let remote = crate::registry::Remote::new(&args.registry, global, printer);
    let image = image_view::open_arch(&args.image, args.arch.as_deref(), &remote)?;
    let detail = if args.files {
        Detail::Files
    } else {
        Detail::Packages
    };
    let debs = match &args.lock {
        Some(lock) => lock_debs(lock, &image, global)?,
        None => Vec::new(),
    };
    let fallback = args
        .image
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let input = sbom_input(
        &image,
        &image_name(&image, &fallback),
        detail,
        &debs,
        !args.read_layers,
    )?;
    let format = match args.format {
        SbomFormatArg::SpdxJson => Format::SpdxJson,
        SbomFormatArg::CyclonedxJson => Format::CycloneDxJson,
    };
    let document = format.write(&input)?;
    match &args.output {
        Some(path) if !files::is_stdout(path) => {
            files::write_output(path, &document)?;
            printer.status(
                "Wrote",
                format!("{} ({format}, {} packages)", path.display(), input.packages.len()),
            );
        }
        _ => files::write_stdout(&[document.as_slice(), b"\n"].concat())?,
    }
    Ok(())
}

/// The .debs of the lock's variant that matches the image (runtime or dev, by the
/// image's `dev.buckle.variant` annotation).
fn lock_debs(
    lock_path: &std::path::Path,
    image: &buckle_oci::Image,
    global: &Global,
) -> anyhow::Result<Vec<buckle_sbom::DebOrigin>> {
    let spec = SpecFile::load(lock_path)?;
    let lock = crate::ops::lock::require_lock(&spec)?;
    let session = Session::new(global)?;
    let arch: Arch = image.config().architecture.parse()?;
    let variant = match image
        .manifest()
        .annotations
        .get(crate::ops::build::VARIANT_ANNOTATION)
    {
        Some(v) if v == Variant::Dev.as_str() => Variant::Dev,
        _ => Variant::Runtime,
    };
    deb_origins(&session, &spec, &lock, &arch, variant)
}
