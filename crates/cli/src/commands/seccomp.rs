//! `buckle seccomp record SPEC -o PROFILE`: a seccomp profile from what the smoke test
//! really calls.

use crate::args::{SeccompCommand, SeccompRecordArgs};
use crate::ops::seccomp::record;
use crate::ops::test::parse_mounts;
use crate::printer::Printer;
use std::path::PathBuf;

pub fn run(command: &SeccompCommand, printer: &Printer) -> anyhow::Result<()> {
    match command {
        SeccompCommand::Record(args) => record_profile(args, printer),
    }
}

fn record_profile(args: &SeccompRecordArgs, printer: &Printer) -> anyhow::Result<()> {
    let mounts = parse_mounts(&args.mount)?;
    let recorded = record(&args.spec, args.image.as_deref(), &mounts, args.port, printer)?;
    let output = match &args.output {
        Some(path) => path.clone(),
        None => {
            let stem = args.spec.file_stem().unwrap_or_default().to_string_lossy();
            PathBuf::from(format!("{stem}.seccomp.json"))
        }
    };
    let mut bytes = serde_json::to_vec_pretty(&recorded.profile)?;
    bytes.push(b'\n');
    crate::files::write_output(&output, &bytes)?;
    if printer.json {
        return printer.json(&serde_json::json!({
            "profile": output,
            "recorded": recorded.recorded,
            "allowed": recorded.allowed,
            "tracedOn": recorded.traced_on,
            "architectures": recorded.architectures,
        }));
    }
    printer.status(
        "Recorded",
        format!(
            "{}: {} syscalls allowed ({} seen in the trace on {}, the rest what runc needs to start it and their arm64 names), for {}; the smoke test passes under it",
            output.display(),
            recorded.allowed,
            recorded.recorded,
            recorded.traced_on,
            recorded.architectures.join(", ")
        ),
    );
    Ok(())
}
