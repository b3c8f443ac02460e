//! `buckle fetch LOCK...`: download and verify every .deb of a lock into the cache.

use crate::args::{FetchArgs, Global};
use crate::files::SpecFile;
use crate::ops::fetch::fetch_lock;
use crate::ops::lock::require_lock;
use crate::printer::Printer;
use crate::session::Session;
use serde_json::json;

pub fn run(args: &FetchArgs, global: &Global, printer: &Printer) -> anyhow::Result<()> {
    let session = Session::new(global)?;
    let mut reports = Vec::new();
    for path in &args.locks {
        let spec = SpecFile::load(path)?;
        let lock = require_lock(&spec)?;
        let summary = fetch_lock(&session, &spec, &lock, args.jobs, printer)?;
        reports.push(json!({"lock": spec.lock_path(), "downloaded": summary.downloaded, "cached": summary.cached, "bytes": summary.bytes}));
    }
    if printer.json {
        printer.json(&json!(reports))?;
    }
    Ok(())
}
