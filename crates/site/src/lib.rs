//! The catalog as a static web site: an index of the images and a page per image,
//! plain HTML and CSS with one small script that only adds filtering, nothing loaded
//! from elsewhere, and a read-only server for it.
//!
//! The data comes in as a [`model::Catalog`]; [`generate`] writes the site and
//! [`serve::serve`] serves a folder of it.

mod chart;
mod html;
pub mod model;
mod pages;
pub mod serve;

pub use html::CONTENT_SECURITY_POLICY;
use model::{Catalog, ImageDescription};
use std::path::{Path, PathBuf};

/// A file that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write `{}`: {source}", path.display())]
pub struct WriteError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

/// What [`generate`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    pub pages: usize,
    pub files: usize,
    pub bytes: u64,
}

const STYLE: &str = include_str!("../assets/style.css");
const SCRIPT: &str = include_str!("../assets/filter.js");
const ICON: &str = include_str!("../assets/favicon.svg");

/// Writes the site for `catalog` into `out` (created when missing; files of an
/// earlier run are replaced, others left alone).
pub fn generate(catalog: &Catalog, out: &Path) -> Result<Generated, WriteError> {
    let mut writer = Writer {
        out: out.to_owned(),
        generated: Generated {
            pages: 0,
            files: 0,
            bytes: 0,
        },
    };
    writer.write("style.css", STYLE.as_bytes())?;
    writer.write("filter.js", SCRIPT.as_bytes())?;
    writer.write("favicon.svg", ICON.as_bytes())?;
    writer.page("index.html", &pages::index(catalog))?;
    writer.write("catalog.json", &json(catalog))?;
    for image in &catalog.images {
        let dir = format!("images/{}", pages::slug(&image.name));
        writer.page(&format!("{dir}/index.html"), &pages::image(catalog, image))?;
        writer.write(&format!("{dir}/packages.csv"), packages_csv(image).as_bytes())?;
        writer.write(&format!("{dir}/packages.json"), &json(&image.packages))?;
        writer.write(&format!("{dir}/image.json"), &json(image))?;
        for document in &image.documents {
            writer.write(&format!("{dir}/{}", document.file_name), &document.content)?;
        }
    }
    Ok(writer.generated)
}

fn json(value: &impl serde::Serialize) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// The package table as CSV (RFC 4180 quoting).
fn packages_csv(image: &ImageDescription) -> String {
    let mut out = String::from("name,version,architecture,source,license\r\n");
    for p in &image.packages {
        let fields = [&p.name, &p.version, &p.architecture, &p.source, &p.license];
        let quoted: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&quoted.join(","));
        out.push_str("\r\n");
    }
    out
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

struct Writer {
    out: PathBuf,
    generated: Generated,
}

impl Writer {
    fn page(&mut self, name: &str, html: &str) -> Result<(), WriteError> {
        self.generated.pages += 1;
        self.write(name, html.as_bytes())
    }

    /// Writes beside and renames, so a server never sends half a file.
    fn write(&mut self, name: &str, bytes: &[u8]) -> Result<(), WriteError> {
        let path = self.out.join(name);
        let error = |source| WriteError {
            path: path.clone(),
            source,
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(error)?;
        }
        let partial = path.with_extension("partial");
        std::fs::write(&partial, bytes).map_err(error)?;
        std::fs::rename(&partial, &path).map_err(error)?;
        self.generated.files += 1;
        self.generated.bytes += bytes.len() as u64;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_only_fields_that_need_it() {
        assert_eq!(csv_field("GPL-2.0-only"), "GPL-2.0-only");
        assert_eq!(csv_field("a, \"b\""), "\"a, \"\"b\"\"\"");
    }

    #[test]
    fn a_slug_never_leaves_the_images_folder() {
        assert_eq!(pages::slug("../../etc"), "-..-etc");
        assert_eq!(pages::slug(".."), "image");
        assert_eq!(pages::slug("python-dev"), "python-dev");
    }

    #[test]
    fn text_is_escaped_in_content_and_attributes() {
        assert_eq!(
            html::esc("<a href=\"x\">'&"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;"
        );
    }
}
