//! `buckle push LAYOUT REF`: an image with everything attached to it, to a registry.

use crate::args::{Global, PushArgs};
use crate::ops::push::show;
use crate::printer::Printer;
use crate::registry::{self, with_progress};
use anyhow::Context;
use buckle_oci::layout::Layout;
use buckle_registry::{push, PushOptions};
use std::time::Instant;

pub fn run(args: &PushArgs, global: &Global, printer: &Printer) -> anyhow::Result<()> {
    let (path, selector) = buckle_oci::parse_image_arg(&args.layout.to_string_lossy());
    let layout =
        Layout::open(&path).with_context(|| format!("cannot open the layout `{}`", path.display()))?;
    let target = registry::reference(&args.reference)?;
    let options = registry::options(&args.registry, global.cache.as_deref())?;
    let client = registry::connect(&target.registry, &options, printer)?;
    let push_options = PushOptions {
        tags: args.tag.clone(),
        immutable_tags: Vec::new(),
        mount_from: args.mount_from.clone(),
    };
    let started = Instant::now();
    let report = with_progress(printer, "Pushing", |bar| {
        push(
            &client,
            &layout,
            selector.ref_name.as_deref(),
            &target,
            &push_options,
            bar,
        )
    })
    .with_context(|| format!("cannot push `{}` to `{target}`", path.display()))?;
    show(&report, &target, started, printer)
}
