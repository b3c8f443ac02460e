//! Whether the container's command needs a shell: shell form, a shell with a script,
//! or a script whose `#!` line names a shell.

use super::tools::SHELLS;
use super::{Context, Outcome};
use crate::report::Evidence;
use crate::view::FileView;
use buckle_oci::RelPath;

/// Init programs that run the real command as their argument.
const INIT_WRAPPERS: [&str; 4] = ["tini", "tini-static", "dumb-init", "catatonit"];
/// The search path a runtime uses when the image sets no `PATH`.
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// Longest command shown in a message.
const SHOWN: usize = 80;

pub(super) fn needs_shell(cx: &Context<'_>) -> Outcome {
    let config = cx.view.container();
    let entrypoint = config.entrypoint.clone().unwrap_or_default();
    let cmd = config.cmd.clone().unwrap_or_default();
    let (field, argv) = if entrypoint.is_empty() {
        ("config:Cmd", cmd)
    } else {
        ("config:Entrypoint", [entrypoint, cmd].concat())
    };
    let args = without_init(&argv);
    let Some(program) = args.first() else {
        return Outcome::not_applicable(
            "no Entrypoint or Cmd: the command comes from whoever runs the container",
        );
    };
    let shown = show(&args.join(" "));
    if SHELLS.contains(&base_name(program)) {
        let summary = match args.get(1).map(String::as_str) {
            Some("-c") => format!("the command is in shell form (`{shown}`) and breaks without `{program}`"),
            Some(script) => format!("the command runs `{script}` through the shell `{program}`"),
            None => format!("the command is the shell `{program}`"),
        };
        return Outcome::fail(summary, vec![Evidence::at(field).detail(format!("`{shown}`"))]);
    }
    let Some(file) = locate(cx, program, config.working_dir.as_deref()) else {
        return Outcome::warn(
            format!("`{program}` is not in the image, so whether it needs a shell cannot be told"),
            vec![Evidence::at(field).detail(format!("`{shown}`"))],
        );
    };
    match shebang(&file.head) {
        Some((line, interpreter)) if SHELLS.contains(&interpreter.as_str()) => Outcome::fail(
            format!(
                "`{}` is a shell script (`{line}`) and breaks without a shell",
                file.display_path()
            ),
            vec![Evidence::at(file.display_path()).detail(format!("`{line}`"))],
        ),
        Some((line, _)) => Outcome::pass(format!(
            "`{}` is a script run by `{line}`, not a shell",
            file.display_path()
        )),
        None => Outcome::pass(format!("`{}` runs without a shell", file.display_path())),
    }
}

/// The command without an init wrapper in front (`tini -- /app` gives `/app`).
fn without_init(argv: &[String]) -> Vec<String> {
    let Some(first) = argv.first() else {
        return Vec::new();
    };
    if !INIT_WRAPPERS.contains(&base_name(first)) {
        return argv.to_vec();
    }
    let rest = argv.get(1..).unwrap_or_default();
    let skip = rest
        .iter()
        .take_while(|a| a.starts_with('-') && *a != "--")
        .count();
    let rest = rest.get(skip..).unwrap_or_default();
    rest.strip_prefix(&["--".to_owned()]).unwrap_or(rest).to_vec()
}

fn base_name(program: &str) -> &str {
    program.rsplit('/').next().unwrap_or(program)
}

fn show(command: &str) -> String {
    if command.chars().count() <= SHOWN {
        return command.to_owned();
    }
    let cut: String = command.chars().take(SHOWN).collect();
    format!("{cut}...")
}

/// The file `program` names: a path (relative to the working directory) or a name
/// searched in `PATH` from the image's Env.
fn locate<'a>(cx: &'a Context<'_>, program: &str, working_dir: Option<&str>) -> Option<&'a FileView> {
    let view = cx.view;
    let find = |path: &str| {
        let rel = RelPath::new(path.trim_start_matches('/')).ok()?;
        view.resolve(&rel).filter(|f| f.is_file())
    };
    if program.contains('/') {
        let full = if program.starts_with('/') {
            program.to_owned()
        } else {
            format!("{}/{program}", working_dir.unwrap_or("/"))
        };
        return find(&full);
    }
    let env = view.container().env;
    let path = env
        .iter()
        .find_map(|e| e.strip_prefix("PATH="))
        .unwrap_or(DEFAULT_PATH);
    path.split(':')
        .filter(|dir| dir.starts_with('/'))
        .find_map(|dir| find(&format!("{dir}/{program}")))
}

/// The `#!` line of `head` and the interpreter's program name (through `env`, with
/// `env -S` and options skipped).
fn shebang(head: &[u8]) -> Option<(String, String)> {
    let rest = head.strip_prefix(b"#!")?;
    let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
    let line = String::from_utf8_lossy(rest.get(..end)?).trim().to_owned();
    let mut words = line.split_whitespace();
    let first = base_name(words.next()?);
    let interpreter = if first == "env" {
        words.find(|w| !w.starts_with('-') && !w.contains('='))?
    } else {
        first
    };
    Some((format!("#!{line}"), base_name(interpreter).to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shebangs_name_their_interpreter_through_env() {
        let cases: [(&[u8], Option<&str>); 5] = [
            (b"#!/bin/sh\nset -e\n", Some("sh")),
            (b"#! /usr/bin/env bash\n", Some("bash")),
            (b"#!/usr/bin/env -S bash -e\n", Some("bash")),
            (b"#!/usr/bin/python3 -u\n", Some("python3")),
            (b"\x7fELF", None),
        ];
        for (head, expected) in cases {
            assert_eq!(shebang(head).map(|(_, i)| i).as_deref(), expected, "{head:?}");
        }
    }

    #[test]
    fn init_wrappers_and_their_options_are_skipped() {
        let argv: Vec<String> = ["/sbin/tini", "-g", "--", "/docker-entrypoint.sh", "nginx"]
            .map(str::to_owned)
            .to_vec();
        assert_eq!(without_init(&argv), ["/docker-entrypoint.sh", "nginx"]);
        let plain: Vec<String> = vec!["/app".to_owned()];
        assert_eq!(without_init(&plain), ["/app"]);
    }
}
