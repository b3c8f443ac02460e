//! `buckle test SPEC`: runs the spec's smoke test in its built image with runc, as a
//! hardened deployment would run it.

use crate::args::TestArgs;
use crate::exit::{GateFailed, UserError};
use crate::files::{self, SpecFile};
use crate::printer::Printer;
use crate::runc::{self, BindMount, Process, Runnable};
use crate::{args::FormatArg, image_view};
use anyhow::Context;
use std::path::{Path, PathBuf};

pub fn run(args: &TestArgs, printer: &Printer) -> anyhow::Result<()> {
    let mounts = parse_mounts(&args.mount)?;
    let variant = files::variant(args.variant);
    for spec_path in &args.specs {
        let spec = SpecFile::load(spec_path)?;
        let image = args
            .image
            .clone()
            .unwrap_or_else(|| spec.default_output(variant, FormatArg::Oci));
        for arch in architectures(&image, &args.arch, printer)? {
            smoke_test(&spec, &image, Some(&arch), &mounts, printer)?;
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

const EMULATION_HINT: &str = "to run other architectures, install qemu-user-static and register its \
binfmt_misc entry with flag F (docs/images.md, \"Other architectures\")";

/// Runs `spec`'s smoke test in `image` (its `arch` image when given); a failure is a
/// [`GateFailed`].
pub fn smoke_test(
    spec: &SpecFile,
    image_path: &Path,
    arch: Option<&str>,
    mounts: &[BindMount],
    printer: &Printer,
) -> anyhow::Result<()> {
    let name = &spec.spec.name;
    let Some(test) = &spec.spec.test else {
        anyhow::bail!(UserError::with_hint(
            format!("`{}` declares no smoke test", spec.path.display()),
            "add a [test] table with `command` and `expect` (see docs/spec.md)"
        ));
    };
    let image = image_view::open_local(image_path, arch)?;
    let platform = &image.config().architecture;
    let bundle = tempfile::Builder::new()
        .prefix("buckle-test-")
        .tempdir()
        .context("cannot create a bundle directory")?;
    let rootfs = bundle.path().join("rootfs");
    buckle_oci::unpack(&image, &rootfs)
        .with_context(|| format!("cannot unpack `{}`", image_path.display()))?;
    let config = image.config().config.clone().unwrap_or_default();
    let (uid, gid) = parse_user(config.user.as_deref().unwrap_or("0:0"))?;
    let arch =
        buckle_debian::Arch::from_oci(platform, image.config().variant.as_deref()).ok_or_else(|| {
            UserError::new(format!(
                "`{}` is for `{platform}`, which Debian has no architecture for",
                image_path.display()
            ))
        })?;
    let command = test.command_for(&arch);
    let process = Process {
        args: command.clone(),
        env: config.env.clone(),
        cwd: config
            .working_dir
            .clone()
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| "/".into()),
        uid,
        gid,
    };
    printer.status(
        "Testing",
        format!(
            "{name} ({}, {platform}) as {uid}:{gid}, read-only root, no capabilities, no network",
            image_path.display()
        ),
    );
    let outcome = runc::run(bundle.path(), &process, mounts)?;
    let output = format!("{}{}", outcome.stdout, outcome.stderr);
    if !outcome.success || !output.contains(&test.expect) {
        let why = if outcome.success {
            format!("its output does not contain `{}`", test.expect)
        } else {
            "the command failed".into()
        };
        anyhow::bail!(GateFailed {
            message: format!(
                "smoke test of `{name}` ({platform}) failed: {why}\ncommand: {:?}\noutput:\n{}",
                command,
                output.trim_end()
            )
        });
    }
    printer.status(
        "Passed",
        format!("{name} ({platform}): output contains `{}`", test.expect),
    );
    if !printer.json {
        printer.result(output.trim_end());
    }
    Ok(())
}

/// `uid:gid` (numeric, as buckle writes it); names are not resolved.
fn parse_user(user: &str) -> anyhow::Result<(u32, u32)> {
    let (uid, gid) = user.split_once(':').unwrap_or((user, user));
    match (uid.parse(), gid.parse()) {
        (Ok(uid), Ok(gid)) => Ok((uid, gid)),
        _ if user.is_empty() || user == "root" => Ok((0, 0)),
        _ => anyhow::bail!(UserError::new(format!(
            "the image's user `{user}` is not numeric `uid:gid`; buckle test needs numeric ids"
        ))),
    }
}

fn parse_mounts(specs: &[String]) -> anyhow::Result<Vec<BindMount>> {
    specs
        .iter()
        .map(|spec| {
            let (host, container) = spec
                .split_once(':')
                .ok_or_else(|| UserError::new(format!("`--mount {spec}`: expected HOST:CONTAINER")))?;
            let host = PathBuf::from(host)
                .canonicalize()
                .map_err(|e| UserError::new(format!("`--mount {spec}`: cannot use `{host}`: {e}")))?;
            Ok(BindMount {
                host,
                container: container.to_owned(),
            })
        })
        .collect()
}
