//! A binary package as a Packages index (or a .deb's control file) describes it.

use crate::deb822::Paragraph;
use crate::relation::{parse_relations, Relation, Relations};
use crate::{Arch, PackageName, Version};
use buckle_digest::Sha256;
use std::fmt;

/// `Multi-Arch:` (see Debian's MultiArch spec).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MultiArch {
    /// No field, or `no`.
    #[default]
    No,
    /// `same`: co-installable across architectures.
    Same,
    /// `foreign`: satisfies dependencies of packages of any architecture.
    Foreign,
    /// `allowed`: may satisfy `:any` dependencies.
    Allowed,
}

/// The facts about one binary package that buckle needs: identity, relations and where
/// to download it. Parsed once from a Packages stanza or a control file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BinaryPackage {
    /// `Package:`
    pub name: PackageName,
    /// `Version:`
    pub version: Version,
    /// `Architecture:`
    pub arch: Arch,
    /// The source package: `Source:` (name, and version when given in parentheses), or
    /// the binary's own name and version.
    pub source: PackageName,
    /// The source version (differs from `version` for binNMUs such as `+b1`).
    pub source_version: Version,
    /// `Multi-Arch:`
    pub multi_arch: MultiArch,
    /// `Essential: yes`
    pub essential: bool,
    /// `Priority:`
    pub priority: Option<String>,
    /// `Section:`
    pub section: Option<String>,
    /// `Maintainer:`
    pub maintainer: Option<String>,
    /// `Homepage:`
    pub homepage: Option<String>,
    /// `Depends:`, parsed on use.
    pub depends: Relations,
    /// `Pre-Depends:`, parsed on use.
    pub pre_depends: Relations,
    /// `Provides:` (each entry a single relation; `=` constraints give versioned provides).
    pub provides: Vec<Relation>,
    /// `Replaces:`, parsed on use.
    pub replaces: Relations,
    /// `Filename:`: the pool path, relative to the mirror root (absent in control files).
    pub filename: Option<String>,
    /// `Size:` of the .deb (absent in control files).
    pub size: Option<u64>,
    /// `SHA256:` of the .deb (absent in control files).
    pub sha256: Option<Sha256>,
    /// `Installed-Size:` in KiB.
    pub installed_size: Option<u64>,
    /// `Description:` first line.
    pub summary: Option<String>,
}

/// Why a stanza is not a usable binary package description.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("stanza at line {line} (package `{package}`): {problem}")]
pub struct PackageError {
    /// Line where the stanza starts.
    pub line: usize,
    /// The `Package:` value, or `?`.
    pub package: String,
    /// What is wrong.
    pub problem: String,
}

/// The fields [`BinaryPackage`] reads, found in one pass over a paragraph: a Packages
/// index has some 70,000 stanzas of twenty fields, and looking each field up by name
/// was a fifth of reading one.
#[derive(Default)]
struct Fields<'a> {
    package: Option<&'a str>,
    version: Option<&'a str>,
    architecture: Option<&'a str>,
    source: Option<&'a str>,
    multi_arch: Option<&'a str>,
    essential: Option<&'a str>,
    priority: Option<&'a str>,
    section: Option<&'a str>,
    maintainer: Option<&'a str>,
    homepage: Option<&'a str>,
    depends: Option<&'a str>,
    pre_depends: Option<&'a str>,
    provides: Option<&'a str>,
    replaces: Option<&'a str>,
    filename: Option<&'a str>,
    size: Option<&'a str>,
    sha256: Option<&'a str>,
    installed_size: Option<&'a str>,
    description: Option<&'a str>,
}

impl<'a> Fields<'a> {
    fn of(p: &Paragraph<'a>) -> Fields<'a> {
        let mut fields = Fields::default();
        for (name, value) in p.fields() {
            if let Some(slot) = fields.slot(name) {
                // The first of a repeated field counts, as `Paragraph::get` has it.
                slot.get_or_insert(value);
            }
        }
        fields
    }

    /// Where the value of field `name` (any case, as deb822 allows) goes.
    fn slot(&mut self, name: &str) -> Option<&mut Option<&'a str>> {
        let mut lower = [0u8; 16];
        let folded = lower.get_mut(..name.len())?;
        for (to, from) in folded.iter_mut().zip(name.bytes()) {
            *to = from.to_ascii_lowercase();
        }
        Some(match &*folded {
            b"package" => &mut self.package,
            b"version" => &mut self.version,
            b"architecture" => &mut self.architecture,
            b"source" => &mut self.source,
            b"multi-arch" => &mut self.multi_arch,
            b"essential" => &mut self.essential,
            b"priority" => &mut self.priority,
            b"section" => &mut self.section,
            b"maintainer" => &mut self.maintainer,
            b"homepage" => &mut self.homepage,
            b"depends" => &mut self.depends,
            b"pre-depends" => &mut self.pre_depends,
            b"provides" => &mut self.provides,
            b"replaces" => &mut self.replaces,
            b"filename" => &mut self.filename,
            b"size" => &mut self.size,
            b"sha256" => &mut self.sha256,
            b"installed-size" => &mut self.installed_size,
            b"description" => &mut self.description,
            _ => return None,
        })
    }
}

impl BinaryPackage {
    /// Reads the fields of a Packages stanza or control paragraph.
    pub fn from_paragraph(p: &Paragraph<'_>) -> Result<Self, PackageError> {
        Self::read(p, true)
    }

    /// Reads a Packages index stanza without the descriptive fields (maintainer,
    /// homepage, section, summary): resolution and locks never read them, and a
    /// universe would hold them for every package of the archive. An image's SBOM reads
    /// them from the .debs' own control data.
    pub fn from_index_stanza(p: &Paragraph<'_>) -> Result<Self, PackageError> {
        Self::read(p, false)
    }

    fn read<'a>(p: &Paragraph<'a>, descriptive: bool) -> Result<Self, PackageError> {
        let f = Fields::of(p);
        let package = f.package.unwrap_or("?");
        let fail = |problem: String| PackageError {
            line: p.line(),
            package: package.to_owned(),
            problem,
        };
        let required = |field: &str, value: Option<&'a str>| -> Result<&'a str, PackageError> {
            value.ok_or_else(|| fail(format!("missing `{field}` field")))
        };
        let parse_err = |field: &str, e: crate::Error| fail(format!("bad `{field}`: {e}"));

        let name: PackageName = package.parse().map_err(|e| parse_err("Package", e))?;
        let version: Version = required("Version", f.version)?
            .parse()
            .map_err(|e| parse_err("Version", e))?;
        let arch: Arch = required("Architecture", f.architecture)?
            .parse()
            .map_err(|e| parse_err("Architecture", e))?;
        let (source, source_version) = match f.source {
            Some(field) => parse_source(field, &version).map_err(|e| parse_err("Source", e))?,
            None => (name.clone(), version.clone()),
        };
        let provides: Vec<Relation> = f
            .provides
            .map(parse_relations)
            .transpose()
            .map_err(|e| parse_err("Provides", e))?
            .unwrap_or_default()
            .into_iter()
            .flatten()
            .collect();
        let number = |field: &str, value: Option<&str>| -> Result<Option<u64>, PackageError> {
            value
                .map(|v| {
                    v.parse()
                        .map_err(|_| fail(format!("bad `{field}`: `{v}` is not a number")))
                })
                .transpose()
        };
        let sha256 = f
            .sha256
            .map(|v| {
                v.parse::<Sha256>()
                    .map_err(|e| fail(format!("bad `SHA256`: {e}")))
            })
            .transpose()?;
        let descriptive = |value: Option<&str>| value.filter(|_| descriptive).map(str::to_owned);
        Ok(BinaryPackage {
            multi_arch: match f.multi_arch {
                Some("same") => MultiArch::Same,
                Some("foreign") => MultiArch::Foreign,
                Some("allowed") => MultiArch::Allowed,
                _ => MultiArch::No,
            },
            essential: f.essential == Some("yes"),
            priority: f.priority.map(str::to_owned),
            section: descriptive(f.section),
            maintainer: descriptive(f.maintainer),
            homepage: descriptive(f.homepage),
            depends: Relations::new(f.depends),
            pre_depends: Relations::new(f.pre_depends),
            provides,
            replaces: Relations::new(f.replaces),
            filename: f.filename.map(str::to_owned),
            size: number("Size", f.size)?,
            sha256,
            installed_size: number("Installed-Size", f.installed_size)?,
            summary: descriptive(f.description.and_then(|d| d.lines().next())),
            name,
            version,
            arch,
            source,
            source_version,
        })
    }
}

/// `Source: name` or `Source: name (version)`.
fn parse_source(field: &str, binary_version: &Version) -> crate::Result<(PackageName, Version)> {
    match field.split_once('(') {
        Some((name, rest)) => {
            let version = rest.trim().trim_end_matches(')').trim().parse()?;
            Ok((name.trim().parse()?, version))
        }
        None => Ok((field.trim().parse()?, binary_version.clone())),
    }
}

impl fmt::Display for BinaryPackage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}_{}_{}", self.name, self.version, self.arch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deb822::paragraphs;

    const STANZA: &str = "Package: libpython3.13-minimal\nSource: python3.13 (3.13.5-2)\nVersion: 3.13.5-2+b1\nArchitecture: amd64\nMulti-Arch: same\nMaintainer: Matthias Klose <doko@debian.org>\nPre-Depends: libc6 (>= 2.38)\nDepends: libssl3t64 (>= 3.0.0)\nProvides: foo (= 1.0), bar\nFilename: pool/main/p/python3.13/libpython3.13-minimal_3.13.5-2+b1_amd64.deb\nSize: 882048\nSHA256: 0000000000000000000000000000000000000000000000000000000000000001\nDescription: Minimal subset\n more text\n";

    #[test]
    fn binnmu_source_version_comes_from_source_field() {
        let p = paragraphs(STANZA).next().unwrap().unwrap();
        let pkg = BinaryPackage::from_paragraph(&p).unwrap();
        assert_eq!(pkg.source.as_str(), "python3.13");
        assert_eq!(pkg.source_version.to_string(), "3.13.5-2");
        assert_eq!(pkg.version.to_string(), "3.13.5-2+b1");
        assert_eq!(pkg.multi_arch, MultiArch::Same);
        assert_eq!(pkg.provides.len(), 2);
        assert_eq!(pkg.size, Some(882048));
        assert_eq!(pkg.summary.as_deref(), Some("Minimal subset"));
    }

    #[test]
    fn relation_fields_are_kept_as_written_and_parsed_on_use() {
        let p = paragraphs(STANZA).next().unwrap().unwrap();
        let pkg = BinaryPackage::from_paragraph(&p).unwrap();
        assert_eq!(pkg.depends.text(), Some("libssl3t64 (>= 3.0.0)"));
        let pre = pkg.pre_depends.parse().unwrap();
        assert_eq!(pre.len(), 1);
        assert_eq!(pre[0][0].to_string(), "libc6 (>= 2.38)");
        assert!(pkg.replaces.parse().unwrap().is_empty());

        // A broken field does not stop the stanza from being read; using it fails.
        let broken = STANZA.replace("Depends: libssl3t64 (>= 3.0.0)", "Depends: libssl3t64 (>= 3.0.0");
        let p = paragraphs(&broken).next().unwrap().unwrap();
        let pkg = BinaryPackage::from_paragraph(&p).unwrap();
        let err = pkg.depends.parse().unwrap_err();
        assert!(err.to_string().contains("libssl3t64 (>= 3.0.0"), "{err}");
    }

    #[test]
    fn an_index_stanza_keeps_no_descriptions_and_field_names_match_in_any_case() {
        let stanza = STANZA
            .replace("Multi-Arch:", "multi-ARCH:")
            .replace("Size:", "SIZE:");
        let p = paragraphs(&stanza).next().unwrap().unwrap();
        let full = BinaryPackage::from_paragraph(&p).unwrap();
        assert_eq!(full.multi_arch, MultiArch::Same);
        assert_eq!(full.size, Some(882048));
        assert_eq!(
            full.maintainer.as_deref(),
            Some("Matthias Klose <doko@debian.org>")
        );
        let indexed = BinaryPackage::from_index_stanza(&p).unwrap();
        assert_eq!((indexed.maintainer, indexed.summary), (None, None));
        assert_eq!(indexed.filename, full.filename);
        assert_eq!(indexed.sha256, full.sha256);
    }

    #[test]
    fn stanza_without_version_names_the_package_and_line() {
        let p = paragraphs("\nPackage: foo\nArchitecture: all\n")
            .next()
            .unwrap()
            .unwrap();
        let err = BinaryPackage::from_paragraph(&p).unwrap_err();
        assert_eq!(
            err.to_string(),
            "stanza at line 2 (package `foo`): missing `Version` field"
        );
    }
}
