//! Test wheels built in code.

use base64::Engine;
use sha2::Digest;
use std::io::Write;
use zip::write::SimpleFileOptions;

/// A wheel under construction: files of the distribution, then `build`.
pub(crate) struct WheelBuilder {
    pub name: String,
    pub version: String,
    pub tag: String,
    pub files: Vec<(String, Vec<u8>, u32)>,
    pub metadata_extra: String,
    /// Skip this file when writing RECORD (to make a RECORD that lies).
    pub unrecorded: Option<String>,
}

impl WheelBuilder {
    pub(crate) fn new(name: &str, version: &str, tag: &str) -> Self {
        WheelBuilder {
            name: name.into(),
            version: version.into(),
            tag: tag.into(),
            files: Vec::new(),
            metadata_extra: String::new(),
            unrecorded: None,
        }
    }

    pub(crate) fn file(mut self, path: &str, content: &[u8], mode: u32) -> Self {
        self.files.push((path.into(), content.to_vec(), mode));
        self
    }

    pub(crate) fn dist_info(&self) -> String {
        format!("{}-{}.dist-info", self.name, self.version)
    }

    pub(crate) fn file_name(&self) -> String {
        format!("{}-{}-{}.whl", self.name, self.version, self.tag)
    }

    pub(crate) fn build(&self) -> Vec<u8> {
        let dist_info = self.dist_info();
        let mut files = self.files.clone();
        files.push((
            format!("{dist_info}/METADATA"),
            format!(
                "Metadata-Version: 2.4\nName: {}\nVersion: {}\n{}\nDescription here.\n",
                self.name, self.version, self.metadata_extra
            )
            .into_bytes(),
            0o644,
        ));
        files.push((
            format!("{dist_info}/WHEEL"),
            format!(
                "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: {}\n",
                self.tag
            )
            .into_bytes(),
            0o644,
        ));
        let mut record = String::new();
        for (path, content, _) in &files {
            if self.unrecorded.as_deref() == Some(path.as_str()) {
                continue;
            }
            let hash = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(content));
            record.push_str(&format!("{path},sha256={hash},{}\n", content.len()));
        }
        record.push_str(&format!("{dist_info}/RECORD,,\n"));
        files.push((format!("{dist_info}/RECORD"), record.into_bytes(), 0o644));
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (path, content, mode) in files {
            let options = SimpleFileOptions::default().unix_permissions(mode);
            zip.start_file(path, options).unwrap();
            zip.write_all(&content).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }
}

/// Writes a tree under `dir` (files, modes, symlinks), for running what it holds.
pub(crate) fn write_tree(tree: &crate::AppTree, dir: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    for (path, node) in tree.nodes() {
        let at = dir.join(path.as_str());
        match &node.kind {
            crate::NodeKind::Directory => std::fs::create_dir_all(&at).unwrap(),
            crate::NodeKind::File(bytes) => {
                std::fs::write(&at, bytes).unwrap();
                std::fs::set_permissions(&at, std::fs::Permissions::from_mode(node.mode)).unwrap();
            }
            crate::NodeKind::Symlink(target) => std::os::unix::fs::symlink(target, &at).unwrap(),
        }
    }
}
