//! All terminal output goes through [`Printer`]: results to stdout, everything else
//! (progress, warnings, errors, hints) to stderr.

use std::io::{IsTerminal, Write};

/// How chatty the command should be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    /// `--quiet`: results only.
    Quiet,
    /// The default.
    Normal,
    /// `-v` or more: logs instead of progress bars.
    Verbose,
}

/// The one place that writes to the terminal.
#[derive(Debug, Clone, Copy)]
pub struct Printer {
    pub verbosity: Verbosity,
    pub json: bool,
    color: bool,
}

impl Printer {
    pub fn new(verbosity: Verbosity, json: bool) -> Self {
        let color =
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal();
        Printer {
            verbosity,
            json,
            color,
        }
    }

    /// Whether progress bars may be drawn.
    pub fn shows_progress(&self) -> bool {
        self.verbosity == Verbosity::Normal && !self.json && std::io::stderr().is_terminal()
    }

    /// Writes a result line to stdout. When the reader has gone (`buckle inspect | head`)
    /// buckle exits quietly, as other command-line tools do.
    pub fn result(&self, line: impl std::fmt::Display) {
        let mut out = std::io::stdout().lock();
        if let Err(e) = writeln!(out, "{line}") {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
        }
    }

    /// Writes a JSON document to stdout.
    pub fn json(&self, value: &serde_json::Value) -> anyhow::Result<()> {
        let mut out = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut out, value)?;
        writeln!(out)?;
        Ok(())
    }

    /// A status line on stderr ("locked python: 34 packages"), hidden with --quiet.
    #[allow(clippy::print_stderr)]
    pub fn status(&self, verb: &str, message: impl std::fmt::Display) {
        if self.verbosity != Verbosity::Quiet {
            eprintln!("{} {message}", self.paint(&format!("{verb:>12}"), "1;32"));
        }
    }

    /// An error line on stderr (used by diagnostics).
    #[allow(clippy::print_stderr)]
    pub fn error_line(&self, label: &str, message: impl std::fmt::Display) {
        let code = if label == "error:" { "1;31" } else { "1;36" };
        eprintln!("{} {message}", self.paint(label, code));
    }

    /// Colours `text` with an ANSI code when colour is on.
    pub fn paint(&self, text: &str, code: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}

/// Bytes as B, KiB, MiB with one decimal.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
