//! `buckle why LOCK PACKAGE`: the dependency chain that pulled a package into a lock.

use crate::args::{Global, WhyArgs};
use crate::commands::fetch::require_lock;
use crate::commands::lock::{package_name, resolve_spec};
use crate::exit::UserError;
use crate::files::{self, SpecFile};
use crate::printer::Printer;
use crate::session::Session;
use buckle_debian::Arch;
use serde_json::json;

pub fn run(args: &WhyArgs, global: &Global, printer: &Printer) -> anyhow::Result<()> {
    let spec = SpecFile::load(&args.lock)?;
    let lock = require_lock(&spec)?;
    let package = package_name(&args.package)?;
    let variant = files::variant(args.variant);
    let arch: Arch = match &args.arch {
        Some(arch) => arch
            .parse()
            .map_err(|e: buckle_debian::Error| UserError::new(e.to_string()))?,
        None => lock
            .images
            .keys()
            .next()
            .cloned()
            .ok_or_else(|| UserError::new("the lock has no images"))?,
    };
    // Re-resolve with the lock's versions pinned: the same closure, with its reasons.
    let session = Session::new(global)?;
    let resolved = resolve_spec(&session, &spec, Some(&lock), false)?;
    let resolution = resolved
        .resolutions
        .get(&(arch.clone(), variant))
        .ok_or_else(|| UserError::new(format!("the lock has no {variant} image for {arch}")))?;
    let Some(chain) = buckle_resolve::why(resolution, &package) else {
        anyhow::bail!(UserError::with_hint(
            format!("`{package}` is not in the {variant} image for {arch}"),
            "`buckle inspect` lists the packages of a built image"
        ));
    };
    if printer.json {
        let steps: Vec<_> = chain
            .steps
            .iter()
            .map(|s| json!({"package": s.package.as_str(), "version": s.version.as_ref().map(|v| v.as_str()),
                            "needed_by": s.needed_by.as_ref().map(|n| json!({"parent": n.parent.as_str(), "relation": n.relation}))}))
            .collect();
        return printer.json(&json!({"package": package.as_str(), "arch": arch.as_str(), "variant": variant.as_str(), "chain": steps}));
    }
    printer.result(chain.to_string());
    if chain.steps.len() == 1 {
        printer.result(format!(
            "  `{package}` is a root: `{}` lists it",
            spec.path.display()
        ));
    }
    for step in &chain.steps {
        if let Some(need) = &step.needed_by {
            printer.result(format!(
                "  {} needs {} ({:?})",
                need.parent, need.relation, need.field
            ));
        }
    }
    if chain.ends_in_cut() {
        printer.result(format!("  `{package}` is cut by the spec's [[exclude]]"));
    }
    Ok(())
}
