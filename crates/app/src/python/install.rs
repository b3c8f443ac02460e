//! The install arrow for wheels: wheel bytes -> files in an [`AppTree`], as pip would
//! install them (PEP 427, PEP 376, the entry points specification).
//!
//! - the distribution's files (and `.data/purelib`, `.data/platlib`) go into the
//!   site-packages directory; Debian's `python3` has `/usr/lib/python3/dist-packages`
//!   on `sys.path` whatever its minor version, so one layout serves every base;
//! - `.data/scripts` go to `/usr/local/bin` with a `#!python` first line rewritten
//!   to the image's interpreter, `.data/data` under `/usr/local`, `.data/headers`
//!   under `/usr/local/include/python3/<name>`;
//! - `console_scripts` and `gui_scripts` entry points become small launchers in
//!   `/usr/local/bin` that run the image's interpreter;
//! - `RECORD` is checked first (every file listed, every hash right), then rewritten
//!   for the installed paths, and `INSTALLER` says `buckle`.
//!
//! No code from the wheel runs, and nothing is compiled to bytecode (the image's root
//! is read-only, so Python reads the sources).

use super::tags::{Target, WheelName};
use crate::error::{Error, Result};
use crate::package::{AppPackage, Ecosystem};
use crate::tree::{AppTree, EXEC_MODE, FILE_MODE};
use base64::Engine;
use buckle_digest::Sha256;
use buckle_oci::RelPath;
use sha2::Digest;
use std::collections::BTreeMap;
use std::io::{Cursor, Read};

/// Where a wheel's parts are installed, and for which interpreter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallOptions {
    /// purelib and platlib (default `usr/lib/python3/dist-packages`).
    pub site_packages: RelPath,
    /// `.data/scripts` and entry-point launchers (default `usr/local/bin`).
    pub scripts: RelPath,
    /// `.data/data` (default `usr/local`).
    pub data: RelPath,
    /// `.data/headers`, under a directory named for the distribution (default
    /// `usr/local/include/python3`).
    pub headers: RelPath,
    /// The interpreter launchers and `#!python` scripts run (default `/usr/bin/python3`).
    pub interpreter: String,
}

/// Debian's directory for Python 3 packages, on `sys.path` of every Python 3 it ships.
pub const SITE_PACKAGES: &str = "usr/lib/python3/dist-packages";

impl Default for InstallOptions {
    fn default() -> Self {
        let path = |p: &str| RelPath::new(p).unwrap_or_default();
        InstallOptions {
            site_packages: path(SITE_PACKAGES),
            scripts: path("usr/local/bin"),
            data: path("usr/local"),
            headers: path("usr/local/include/python3"),
            interpreter: "/usr/bin/python3".to_owned(),
        }
    }
}

/// A wheel to install: its file name, bytes (already checked against the lockfile)
/// and where it came from.
#[derive(Debug, Clone, Copy)]
pub struct WheelFile<'a> {
    /// The wheel's file name (its tags decide compatibility).
    pub file_name: &'a str,
    /// The wheel's bytes.
    pub bytes: &'a [u8],
    /// Their sha256, as verified.
    pub sha256: Sha256,
    /// The URL it was downloaded from.
    pub url: &'a str,
}

struct Member {
    path: RelPath,
    bytes: Vec<u8>,
    executable: bool,
}

/// Installs one wheel for `target`; returns its files and its package facts.
pub fn install_wheel(
    wheel: WheelFile<'_>,
    target: &Target,
    options: &InstallOptions,
) -> Result<(AppTree, AppPackage)> {
    let file_name = wheel.file_name;
    let name = WheelName::parse(file_name)?;
    if name.rank(&target.supported_tags()).is_none() {
        return Err(Error::WheelIncompatible {
            file_name: file_name.to_owned(),
            target: *target,
        });
    }
    let bad = |problem: String| Error::BadWheel {
        file_name: file_name.to_owned(),
        problem,
    };
    let members = read_members(wheel.bytes).map_err(&bad)?;
    let dist_info = find_dist_info(&members).map_err(&bad)?;
    let data_dir = format!("{}.data", dist_info.trim_end_matches(".dist-info"));
    let meta = |file: &str| -> Option<&Member> {
        members
            .iter()
            .find(|m| m.path.as_str() == format!("{dist_info}/{file}"))
    };
    let wheel_text = meta("WHEEL")
        .map(|m| String::from_utf8_lossy(&m.bytes).into_owned())
        .ok_or_else(|| bad(format!("`{dist_info}/WHEEL` is missing")))?;
    check_wheel_file(&wheel_text, target).map_err(&bad)?;
    let record = meta("RECORD").ok_or_else(|| bad(format!("`{dist_info}/RECORD` is missing")))?;
    check_record(&members, &String::from_utf8_lossy(&record.bytes), &dist_info).map_err(&bad)?;
    let metadata = meta("METADATA")
        .map(|m| String::from_utf8_lossy(&m.bytes).into_owned())
        .ok_or_else(|| bad(format!("`{dist_info}/METADATA` is missing")))?;
    let facts = Metadata::parse(&metadata);
    let owner = format!("{} {}", facts.name, facts.version);

    // Installed path -> (bytes, mode), then the tree in path order.
    let mut installed: BTreeMap<RelPath, (Vec<u8>, u32)> = BTreeMap::new();
    for member in &members {
        let path = member.path.as_str();
        if path == format!("{dist_info}/RECORD")
            || path == format!("{dist_info}/RECORD.jws")
            || path == format!("{dist_info}/RECORD.p7s")
            || path == format!("{dist_info}/INSTALLER")
        {
            continue;
        }
        let mode = if member.executable { EXEC_MODE } else { FILE_MODE };
        let (destination, bytes, mode) = match path.strip_prefix(&format!("{data_dir}/")) {
            None => (
                options.site_packages.join_rel(&member.path),
                member.bytes.clone(),
                mode,
            ),
            Some(rest) => {
                let (scheme, tail) = rest
                    .split_once('/')
                    .ok_or_else(|| bad(format!("`{path}` is not inside a scheme directory")))?;
                let tail = RelPath::new(tail).map_err(|_| bad(format!("`{path}` has a bad path")))?;
                match scheme {
                    "purelib" | "platlib" => {
                        (options.site_packages.join_rel(&tail), member.bytes.clone(), mode)
                    }
                    "scripts" => (
                        options.scripts.join_rel(&tail),
                        rewrite_shebang(&member.bytes, &options.interpreter),
                        EXEC_MODE,
                    ),
                    "data" => (options.data.join_rel(&tail), member.bytes.clone(), mode),
                    "headers" => {
                        let dir = options
                            .headers
                            .join(&facts.name)
                            .map_err(|_| bad(format!("the name `{}` is not a file name", facts.name)))?;
                        (dir.join_rel(&tail), member.bytes.clone(), mode)
                    }
                    other => return Err(bad(format!("`{path}` is in the unknown scheme `{other}`"))),
                }
            }
        };
        if installed.insert(destination.clone(), (bytes, mode)).is_some() {
            return Err(bad(format!("two files of the wheel install to `{destination}`")));
        }
    }
    if let Some(entry_points) = meta("entry_points.txt") {
        for (script, target_spec) in
            console_scripts(&String::from_utf8_lossy(&entry_points.bytes)).map_err(&bad)?
        {
            let path = options
                .scripts
                .join(&script)
                .map_err(|_| bad(format!("the script name `{script}` is not a file name")))?;
            let launcher = launcher(&options.interpreter, &script, &target_spec).map_err(&bad)?;
            installed.insert(path, (launcher.into_bytes(), EXEC_MODE));
        }
    }
    let site_dist_info = options.site_packages.join_rel(
        &RelPath::new(&dist_info).map_err(|_| bad(format!("`{dist_info}` is not a directory name")))?,
    );
    let installer = site_dist_info.join_rel(&RelPath::new("INSTALLER").unwrap_or_default());
    installed.insert(installer, (b"buckle\n".to_vec(), FILE_MODE));
    let record_path = site_dist_info.join_rel(&RelPath::new("RECORD").unwrap_or_default());
    let mut lines: Vec<String> = installed
        .iter()
        .map(|(path, (bytes, _))| {
            let hash = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(bytes));
            format!(
                "{},sha256={hash},{}",
                csv_field(&relative(&options.site_packages, path)),
                bytes.len()
            )
        })
        .collect();
    lines.push(format!(
        "{},,",
        csv_field(&relative(&options.site_packages, &record_path))
    ));
    lines.sort();
    let mut record_text = lines.join("\n");
    record_text.push('\n');
    installed.insert(record_path, (record_text.into_bytes(), FILE_MODE));

    let mut tree = AppTree::new();
    for (path, (bytes, mode)) in installed {
        tree.add_file(&path, bytes, mode, &owner)?;
    }
    let package = AppPackage {
        ecosystem: Ecosystem::Python,
        name: facts.name,
        version: facts.version,
        sha256: wheel.sha256,
        integrity: None,
        license: facts.license,
        license_classifiers: facts.license_classifiers,
        download_url: wheel.url.to_owned(),
        file_name: file_name.to_owned(),
    };
    Ok((tree, package))
}

fn read_members(bytes: &[u8]) -> std::result::Result<Vec<Member>, String> {
    let mut archive =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| format!("it is not a zip archive: {e}"))?;
    let mut out = Vec::new();
    for index in 0..archive.len() {
        let mut file = archive
            .by_index(index)
            .map_err(|e| format!("entry {index} cannot be read: {e}"))?;
        let name = file.name().to_owned();
        if file.is_dir() {
            continue;
        }
        let mode = file.unix_mode().unwrap_or(0o644);
        if mode & 0o170000 == 0o120000 {
            return Err(format!("`{name}` is a symbolic link, which wheels cannot carry"));
        }
        let path = RelPath::new(&name).map_err(|_| format!("`{name}` is not a path inside the wheel"))?;
        let mut content = Vec::new();
        file.read_to_end(&mut content)
            .map_err(|e| format!("`{name}` cannot be read: {e}"))?;
        out.push(Member {
            path,
            bytes: content,
            executable: mode & 0o111 != 0,
        });
    }
    Ok(out)
}

fn find_dist_info(members: &[Member]) -> std::result::Result<String, String> {
    let mut found: Vec<String> = members
        .iter()
        .filter_map(|m| {
            let mut parts = m.path.components();
            let (dir, file, none) = (parts.next()?, parts.next()?, parts.next());
            (dir.ends_with(".dist-info") && file == "WHEEL" && none.is_none()).then(|| dir.to_owned())
        })
        .collect();
    found.dedup();
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err("it has no `*.dist-info/WHEEL`".to_owned()),
        _ => Err(format!(
            "it has several `.dist-info` directories: {}",
            found.join(", ")
        )),
    }
}

fn check_wheel_file(text: &str, target: &Target) -> std::result::Result<(), String> {
    let mut tags = Vec::new();
    for line in text.lines() {
        if let Some((key, value)) = line.split_once(':') {
            match key.trim() {
                "Wheel-Version" if !value.trim().starts_with("1.") => {
                    return Err(format!("`Wheel-Version: {}` is not version 1", value.trim()));
                }
                "Tag" => tags.push(value.trim().to_owned()),
                _ => {}
            }
        }
    }
    let supported = target.supported_tags();
    let fits = tags
        .iter()
        .any(|tag| supported.iter().any(|(i, a, p)| tag == &format!("{i}-{a}-{p}")));
    if !tags.is_empty() && !fits {
        return Err(format!(
            "its WHEEL file says it is built for {}, which does not fit {target}",
            tags.join(", ")
        ));
    }
    Ok(())
}

/// Every file must be listed in RECORD with its sha256 (RECORD itself and its
/// signatures excepted).
fn check_record(members: &[Member], record: &str, dist_info: &str) -> std::result::Result<(), String> {
    let mut listed: BTreeMap<String, String> = BTreeMap::new();
    for line in record.lines().filter(|l| !l.trim().is_empty()) {
        let fields = csv_split(line);
        let (Some(path), Some(hash)) = (fields.first(), fields.get(1)) else {
            return Err(format!("the RECORD line `{line}` is malformed"));
        };
        listed.insert(path.clone(), hash.clone());
    }
    for member in members {
        let path = member.path.as_str();
        if path.starts_with(&format!("{dist_info}/RECORD")) {
            continue;
        }
        let hash = listed
            .get(path)
            .ok_or_else(|| format!("`{path}` is not listed in RECORD"))?;
        let expected = hash
            .strip_prefix("sha256=")
            .ok_or_else(|| format!("RECORD lists `{path}` without a sha256 hash"))?;
        let actual =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(&member.bytes));
        if expected.trim_end_matches('=') != actual {
            return Err(format!(
                "`{path}` does not match RECORD: expected sha256={expected}, found sha256={actual}"
            ));
        }
    }
    Ok(())
}

fn csv_split(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                if let Some(f) = fields.last_mut() {
                    f.push('"');
                }
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(String::new()),
            (c, _) => {
                if let Some(f) = fields.last_mut() {
                    f.push(c);
                }
            }
        }
    }
    fields
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// `path` relative to the directory `from`, with `..` where needed.
fn relative(from: &RelPath, path: &RelPath) -> String {
    let from: Vec<&str> = from.components().collect();
    let to: Vec<&str> = path.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<&str> = vec![".."; from.len() - common];
    parts.extend(to.iter().skip(common));
    parts.join("/")
}

fn rewrite_shebang(bytes: &[u8], interpreter: &str) -> Vec<u8> {
    if !bytes.starts_with(b"#!python") {
        return bytes.to_vec();
    }
    let rest = match bytes.iter().position(|&b| b == b'\n') {
        Some(end) => &bytes[end..],
        None => &[],
    };
    let mut out = format!("#!{interpreter}").into_bytes();
    out.extend_from_slice(rest);
    out
}

/// `(script name, "module:attribute")` from the `[console_scripts]` and
/// `[gui_scripts]` sections of entry_points.txt.
fn console_scripts(text: &str) -> std::result::Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let mut section = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.trim().to_owned();
            continue;
        }
        if section != "console_scripts" && section != "gui_scripts" {
            continue;
        }
        let (name, value) = line
            .split_once('=')
            .ok_or_else(|| format!("the entry point line `{line}` has no `=`"))?;
        let name = name.trim();
        if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
            return Err(format!("the script name `{name}` is not a file name"));
        }
        out.push((name.to_owned(), value.trim().to_owned()));
    }
    Ok(out)
}

fn launcher(interpreter: &str, script: &str, spec: &str) -> std::result::Result<String, String> {
    // Extras (`module:function [extra]`) only matter to installers that resolve them.
    let spec = spec.split('[').next().unwrap_or(spec).trim();
    let (module, attribute) = spec.split_once(':').ok_or_else(|| {
        format!("the entry point `{script} = {spec}` names no function (`module:function`)")
    })?;
    let (module, attribute) = (module.trim(), attribute.trim());
    let identifier = |s: &str| {
        !s.is_empty()
            && s.split('.')
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_alphanumeric() || c == '_'))
    };
    if !identifier(module) || !identifier(attribute) {
        return Err(format!(
            "the entry point `{script} = {spec}` is not `module:function`"
        ));
    }
    let first = attribute.split('.').next().unwrap_or(attribute);
    Ok(format!(
        "#!{interpreter}\n# The `{script}` entry point, written by buckle.\nimport sys\nfrom {module} import {first}\n\nif __name__ == \"__main__\":\n    sys.exit({attribute}())\n"
    ))
}

/// What METADATA says about a distribution.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Metadata {
    /// `Name`.
    pub name: String,
    /// `Version`.
    pub version: String,
    /// `License-Expression`, else a one-line `License`.
    pub license: Option<String>,
    /// `Classifier: License :: ...` values.
    pub license_classifiers: Vec<String>,
}

impl Metadata {
    /// Reads the header part of a METADATA file (core metadata, RFC 822 style).
    pub fn parse(text: &str) -> Self {
        let mut out = Metadata::default();
        let mut expression = None;
        let mut license = None;
        for line in text.lines() {
            if line.is_empty() {
                break;
            }
            if line.starts_with([' ', '\t']) {
                // A continuation: a multi-line License is prose, not an identifier.
                if license.is_some() {
                    license = Some(String::new());
                }
                continue;
            }
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            match key {
                "Name" => out.name = value.to_owned(),
                "Version" => out.version = value.to_owned(),
                "License-Expression" => expression = Some(value.to_owned()),
                "License" => license = Some(value.to_owned()),
                "Classifier" if value.starts_with("License ::") => {
                    out.license_classifiers.push(value.to_owned())
                }
                _ => {}
            }
        }
        let license = license.filter(|l| !l.is_empty() && l.len() <= 100 && l != "UNKNOWN");
        out.license = expression.or(license);
        out
    }
}

#[cfg(test)]
mod tests;
