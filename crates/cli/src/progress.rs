//! Progress bars for long work, drawn on stderr only when it is a terminal and the
//! output is for a person (not --quiet, --json or -v).

use crate::printer::Printer;
use buckle_debian::PoolPath;
use indicatif::{ProgressBar, ProgressStyle};

/// A bar, or nothing when progress is hidden.
pub struct Bar(Option<ProgressBar>);

impl Bar {
    fn new(printer: &Printer, len: u64, template: &str) -> Bar {
        if !printer.shows_progress() {
            return Bar(None);
        }
        let style = ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        Bar(Some(ProgressBar::new(len).with_style(style)))
    }

    /// A bar counting items.
    pub fn items(printer: &Printer, len: u64, what: &str) -> Bar {
        Bar::new(
            printer,
            len,
            &format!("{{prefix:>12.cyan.bold}} [{{bar:30}}] {{pos}}/{{len}} {what} {{msg}}"),
        )
    }

    pub fn prefix(self, prefix: &'static str) -> Bar {
        if let Some(bar) = &self.0 {
            bar.set_prefix(prefix);
        }
        self
    }

    pub fn inc(&self, n: u64) {
        if let Some(bar) = &self.0 {
            bar.inc(n);
        }
    }

    pub fn set_length(&self, len: u64) {
        if let Some(bar) = &self.0 {
            bar.set_length(len);
        }
    }

    pub fn message(&self, message: impl Into<std::borrow::Cow<'static, str>>) {
        if let Some(bar) = &self.0 {
            bar.set_message(message);
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

/// Download progress in bytes.
pub struct Downloads(Bar);

impl Downloads {
    pub fn new(printer: &Printer) -> Downloads {
        Downloads(
            Bar::new(
                printer,
                0,
                "{prefix:>12.cyan.bold} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {msg}",
            )
            .prefix("Fetching"),
        )
    }

    pub fn finish(&self) {
        self.0.finish();
    }
}

impl buckle_archive::Reporter for Downloads {
    fn on_start(&self, _files: usize, bytes: u64) {
        self.0.set_length(bytes);
    }
    fn on_bytes(&self, bytes: u64) {
        self.0.inc(bytes);
    }
    fn on_discard(&self, bytes: u64) {
        if let Some(bar) = &self.0 .0 {
            bar.set_position(bar.position().saturating_sub(bytes));
        }
    }
    fn on_file_done(&self, path: &PoolPath) {
        self.0.message(path.file_name().to_owned());
    }
}

/// Build progress: packages unpacked, then layers written.
pub struct Building(Bar);

impl Building {
    pub fn new(printer: &Printer, name: &str) -> Building {
        let bar = Bar::items(printer, 0, "steps").prefix("Building");
        bar.message(name.to_owned());
        Building(bar)
    }

    pub fn finish(&self) {
        self.0.finish();
    }
}

impl buckle_image::build::Reporter for Building {
    fn on_unpack_start(&self, packages: usize) {
        self.0.set_length(packages as u64);
    }
    fn on_package_unpacked(&self, _package: &str) {
        self.0.inc(1);
    }
    fn on_layers_start(&self, layers: usize) {
        if let Some(bar) = &self.0 .0 {
            bar.set_length(bar.length().unwrap_or(0) + layers as u64);
        }
    }
    fn on_layer_written(&self, _layer: &str, _descriptor: &buckle_oci::Descriptor) {
        self.0.inc(1);
    }
}

/// Registry transfer progress in bytes, with the rate.
pub struct Transfer(Bar);

impl Transfer {
    pub fn new(printer: &Printer, verb: &'static str) -> Transfer {
        Transfer(
            Bar::new(
                printer,
                0,
                "{prefix:>12.cyan.bold} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {msg}",
            )
            .prefix(verb),
        )
    }

    pub fn finish(&self) {
        self.0.finish();
    }
}

impl buckle_registry::Reporter for Transfer {
    fn on_plan(&self, _blobs: usize, bytes: u64) {
        self.0.set_length(bytes);
    }
    fn on_bytes(&self, bytes: u64) {
        self.0.inc(bytes);
    }
    fn on_discard(&self, bytes: u64) {
        if let Some(bar) = &self.0 .0 {
            bar.set_position(bar.position().saturating_sub(bytes));
        }
    }
    fn on_blob(&self, digest: &buckle_digest::Sha256, _size: u64, _outcome: buckle_registry::BlobOutcome) {
        self.0.message(digest.short(12));
    }
}
