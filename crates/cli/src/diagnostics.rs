//! Prints an error as a chain of causes followed by hints, like cargo and uv do.

use crate::printer::Printer;

/// Prints `error: <top>`, then each `caused by:`, then `hint:` lines from the first
/// error in the chain that offers one.
pub fn report(printer: &Printer, err: &anyhow::Error) {
    printer.error_line("error:", err);
    for cause in err.chain().skip(1) {
        printer.error_line("  caused by:", cause);
    }
    if let Some(hint) = crate::exit::hint(err) {
        printer.error_line("hint:", hint);
    }
    if crate::exit::is_internal(err) {
        printer.error_line(
            "note:",
            "this is a bug in buckle; please report it with the command you ran",
        );
    }
}
