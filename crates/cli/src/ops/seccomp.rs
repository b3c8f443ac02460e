//! Seccomp profiles recorded from a smoke test: run it traced, keep the container's
//! syscalls, run it again under the profile.

use crate::exit::UserError;
use crate::image_view;
use crate::ops::test::{default_image, smoke_test, TestOptions};
use crate::printer::Printer;
use crate::runc::{BindMount, Confinement};
use anyhow::Context;
use buckle_seccomp::{container_syscalls, Profile};
use buckle_spec::Variant;
use std::path::Path;

/// A profile read from `path`, checked to be one.
pub fn read_profile(path: &Path) -> anyhow::Result<serde_json::Value> {
    let text = crate::files::read_text(path)?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| UserError::new(format!("`{}` is not JSON: {e}", path.display())))?;
    if value.get("defaultAction").is_none() || Profile::from_json(&value).is_none() {
        anyhow::bail!(UserError::with_hint(
            format!("`{}` is not a seccomp profile", path.display()),
            "expected `defaultAction` and `syscalls: [{names, action}]` (`buckle seccomp record` writes one)"
        ));
    }
    Ok(value)
}

/// What recording gave.
pub struct Recorded {
    /// The profile (OCI / Kubernetes JSON).
    pub profile: serde_json::Value,
    /// Syscalls the container made.
    pub recorded: usize,
    /// Syscalls the profile allows.
    pub allowed: usize,
    /// The architecture the trace was made on.
    pub traced_on: String,
    /// The image's architectures the profile covers.
    pub architectures: Vec<String>,
}

/// Records the profile of `spec`'s smoke test in `image` (its build output by
/// default) and checks that the test passes under it.
pub fn record(
    spec: &Path,
    image: Option<&Path>,
    mounts: &[BindMount],
    port: Option<u16>,
    printer: &Printer,
) -> anyhow::Result<Recorded> {
    let image = match image {
        Some(image) => image.to_owned(),
        None => default_image(spec, Variant::Runtime)?,
    };
    let arch = image_view::host_arch().to_owned();
    let architectures = image_view::architectures(&image)?;
    if !architectures.contains(&arch) {
        anyhow::bail!(UserError::with_hint(
            format!("`{}` has no {arch} image to trace", image.display()),
            format!("build it for {arch}: the trace runs natively (under emulation it would see the emulator's syscalls)")
        ));
    }
    let run = |confinement: Confinement| -> anyhow::Result<()> {
        let options = TestOptions {
            mounts,
            port,
            confinement,
        };
        if crate::ops::app::is_app_spec(spec)? {
            crate::ops::app::smoke_test(spec, &image, Some(&arch), &options, printer)
        } else {
            let spec = crate::files::SpecFile::load(spec)?;
            smoke_test(&spec, &image, Some(&arch), &options, printer)
        }
    };
    let scratch = tempfile::tempdir().context("cannot create a directory for the trace")?;
    let trace = scratch.path().join("strace.txt");
    run(Confinement {
        seccomp: None,
        trace: Some(trace.clone()),
    })
    .context("the smoke test failed while traced")?;
    let text = std::fs::read_to_string(&trace)
        .with_context(|| format!("cannot read the trace `{}`", trace.display()))?;
    let calls = container_syscalls(&text).map_err(|e| UserError::new(e.to_string()))?;
    let profile = Profile::from_recorded(&calls);
    let arches: Vec<&str> = architectures.iter().map(String::as_str).collect();
    let json = profile.to_json(&arches);
    run(Confinement {
        seccomp: Some(json.clone()),
        trace: None,
    })
    .context("the smoke test fails under the recorded profile")?;
    Ok(Recorded {
        profile: json,
        recorded: calls.len(),
        allowed: profile.allowed.len(),
        traced_on: arch,
        architectures,
    })
}
