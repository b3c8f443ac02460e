//! `buckle why LOCK PACKAGE`: the dependency chain that pulled a package into a lock.

use crate::args::{Global, WhyArgs};
use crate::files::{self, SpecFile};
use crate::ops::lock::{package_name, why};
use crate::printer::Printer;
use crate::session::Session;

pub fn run(args: &WhyArgs, global: &Global, printer: &Printer) -> anyhow::Result<()> {
    let spec = SpecFile::load(&args.lock)?;
    let package = package_name(&args.package)?;
    let variant = files::variant(args.variant);
    let session = Session::new(global)?;
    let found = why(&session, &spec, &package, args.arch.as_deref(), variant)?;
    if printer.json {
        return printer.json(&found.to_json());
    }
    let chain = &found.chain;
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
