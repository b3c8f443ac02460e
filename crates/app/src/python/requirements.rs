//! Hashed requirements files -> pinned requirements for a target.
//!
//! The format `pip-compile --generate-hashes` and `uv pip compile --generate-hashes`
//! write: one `name==version` per logical line (backslash continues a line), each with
//! `--hash=sha256:<hex>` options, an optional `; marker`, comments after `#`. Every
//! requirement must be pinned with `==` and hashed: a hash is the only thing that ties
//! the file to the bytes that get installed. `--index-url` is kept as configuration;
//! options that would pull files from elsewhere (`--extra-index-url`, `--find-links`,
//! editable or URL requirements, nested `-r` files) are refused.

use super::marker;
use super::tags::Target;
use crate::error::{Error, Result};
use buckle_digest::Sha256;
use std::fmt;

/// A project name normalised as PEP 503 says: lowercase, runs of `-`, `_` and `.`
/// written as one `-`. Two spellings of one project compare equal.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProjectName(String);

impl ProjectName {
    /// Normalises `name`.
    pub fn new(name: &str) -> Self {
        let mut out = String::with_capacity(name.len());
        let mut separator = false;
        for c in name.chars() {
            if matches!(c, '-' | '_' | '.') {
                separator = true;
            } else {
                if separator && !out.is_empty() {
                    out.push('-');
                }
                separator = false;
                out.push(c.to_ascii_lowercase());
            }
        }
        ProjectName(out)
    }

    /// The normalised name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProjectName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One pinned, hashed requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// The normalised project name.
    pub name: ProjectName,
    /// The exact version (`==`).
    pub version: String,
    /// The allowed sha256 digests (one per wheel or sdist of the version).
    pub hashes: Vec<Sha256>,
    /// The environment marker, if any.
    pub marker: Option<String>,
    /// The line the requirement starts on (1-based).
    pub line: usize,
}

/// A parsed requirements file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Requirements {
    /// The requirements in file order.
    pub requirements: Vec<Requirement>,
    /// `--index-url` from the file, if it names one.
    pub index_url: Option<String>,
}

impl Requirements {
    /// Parses a hashed requirements file.
    pub fn parse(text: &str) -> Result<Self> {
        let mut out = Requirements::default();
        for (line, logical) in logical_lines(text) {
            let bad = |problem: String| Error::Requirements { line, problem };
            let tokens: Vec<&str> = logical.split_whitespace().collect();
            let Some(first) = tokens.first() else { continue };
            if first.starts_with('-') {
                parse_option(&tokens, &mut out).map_err(bad)?;
                continue;
            }
            let mut hashes = Vec::new();
            let mut rest = Vec::new();
            let mut iter = tokens.iter();
            while let Some(token) = iter.next() {
                let value = if let Some(v) = token.strip_prefix("--hash=") {
                    v
                } else if *token == "--hash" {
                    iter.next()
                        .copied()
                        .ok_or_else(|| bad("`--hash` has no value".to_owned()))?
                } else if token.starts_with("--") {
                    return Err(bad(format!(
                        "the option `{token}` is not supported on a requirement"
                    )));
                } else {
                    rest.push(*token);
                    continue;
                };
                let hex = value.strip_prefix("sha256:").ok_or_else(|| {
                    bad(format!(
                        "`{value}` is not a sha256 hash; generate the file with `--generate-hashes`, which writes sha256"
                    ))
                })?;
                let digest = Sha256::parse_oci(&format!("sha256:{hex}"))
                    .map_err(|_| bad(format!("`{value}` is not a sha256 hash (64 hex digits)")))?;
                hashes.push(digest);
            }
            let spec = rest.join(" ");
            let (requirement, marker) = match spec.split_once(';') {
                Some((r, m)) => (r.trim().to_owned(), Some(m.trim().to_owned())),
                None => (spec.trim().to_owned(), None),
            };
            if requirement.contains(" @ ") || requirement.contains("://") {
                return Err(bad(format!(
                    "`{requirement}` is a direct URL requirement; pin a version from the index instead"
                )));
            }
            let (name, version) = requirement
                .split_once("===")
                .or_else(|| requirement.split_once("=="))
                .ok_or_else(|| Error::NotPinned {
                    line,
                    requirement: requirement.clone(),
                })?;
            let name = name.split('[').next().unwrap_or(name).trim();
            let version = version.trim();
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
                || version.is_empty()
                || version.contains(['<', '>', ',', '*', '=', '!', ' '])
            {
                return Err(Error::NotPinned { line, requirement });
            }
            let name = ProjectName::new(name);
            if hashes.is_empty() {
                return Err(Error::Unhashed {
                    line,
                    name,
                    version: version.to_owned(),
                });
            }
            if out.requirements.iter().any(|r| r.name == name) {
                return Err(bad(format!("`{name}` is listed twice")));
            }
            out.requirements.push(Requirement {
                name,
                version: version.to_owned(),
                hashes,
                marker,
                line,
            });
        }
        Ok(out)
    }

    /// The requirements whose markers hold for `target`, in file order.
    pub fn for_target(&self, target: &Target) -> Result<Vec<&Requirement>> {
        let mut out = Vec::new();
        for requirement in &self.requirements {
            let applies = match &requirement.marker {
                None => true,
                Some(m) => marker::evaluate(m, target).map_err(|problem| Error::Marker {
                    line: requirement.line,
                    name: requirement.name.clone(),
                    marker: m.clone(),
                    problem,
                })?,
            };
            if applies {
                out.push(requirement);
            }
        }
        Ok(out)
    }
}

fn parse_option(tokens: &[&str], out: &mut Requirements) -> std::result::Result<(), String> {
    let (option, value) = match tokens {
        [one] => match one.split_once('=') {
            Some((o, v)) => (o, Some(v)),
            None => (*one, None),
        },
        [o, v] => (*o, Some(*v)),
        _ => return Err(format!("cannot read the option line `{}`", tokens.join(" "))),
    };
    match option {
        "--index-url" | "-i" => {
            let value = value.ok_or("`--index-url` has no value")?;
            out.index_url = Some(value.trim_end_matches('/').to_owned());
            Ok(())
        }
        "--only-binary" | "--prefer-binary" | "--require-hashes" => Ok(()),
        "--extra-index-url" | "--find-links" | "-f" => Err(format!(
            "`{option}` would let files come from a second source; keep one `--index-url`"
        )),
        "-e" | "--editable" => {
            Err("editable requirements cannot be installed into an image; build a wheel".to_owned())
        }
        "-r" | "--requirement" | "-c" | "--constraint" => Err(format!(
            "`{option}` includes another file; compile one flat file with `--generate-hashes`"
        )),
        other => Err(format!("the option `{other}` is not supported")),
    }
}

/// Joins backslash continuations and drops comments; yields (first line, text).
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut start = 0;
    for (index, raw) in text.lines().enumerate() {
        let line = strip_comment(raw);
        if current.is_empty() {
            start = index + 1;
        }
        match line.trim_end().strip_suffix('\\') {
            Some(head) => {
                current.push_str(head);
                current.push(' ');
            }
            None => {
                current.push_str(line);
                if !current.trim().is_empty() {
                    out.push((start, std::mem::take(&mut current)));
                }
                current.clear();
            }
        }
    }
    if !current.trim().is_empty() {
        out.push((start, current));
    }
    out
}

/// A `#` at the start of a line or after whitespace begins a comment.
fn strip_comment(line: &str) -> &str {
    let mut previous_space = true;
    for (i, c) in line.char_indices() {
        if c == '#' && previous_space {
            return &line[..i];
        }
        previous_space = c.is_whitespace();
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    #[test]
    fn pip_compile_output_parses() {
        let text = format!(
            "#\n# This file is autogenerated by pip-compile\n#\n--index-url https://index.example/simple/\n\n\
             Flask==3.1.0 \\\n    --hash=sha256:{A}\n    # via -r requirements.in\n\
             markupsafe==3.0.2 ; python_version >= \"3.9\" \\\n    --hash=sha256:{A} \\\n    --hash=sha256:{B}\n    # via\n    #   jinja2\n\
             tomli==2.2.1 ; python_version < \"3.11\" --hash=sha256:{B}\n"
        );
        let parsed = Requirements::parse(&text).unwrap();
        assert_eq!(parsed.index_url.as_deref(), Some("https://index.example/simple"));
        let names: Vec<_> = parsed
            .requirements
            .iter()
            .map(|r| (r.name.as_str(), r.version.as_str(), r.hashes.len(), r.line))
            .collect();
        assert_eq!(
            names,
            [
                ("flask", "3.1.0", 1, 6),
                ("markupsafe", "3.0.2", 2, 9),
                ("tomli", "2.2.1", 1, 14)
            ]
        );
        let target: Target = "3.13/amd64".parse().unwrap();
        let chosen: Vec<_> = parsed
            .for_target(&target)
            .unwrap()
            .iter()
            .map(|r| r.name.as_str())
            .collect();
        assert_eq!(chosen, ["flask", "markupsafe"]);
        let older: Target = "3.10/amd64".parse().unwrap();
        assert_eq!(parsed.for_target(&older).unwrap().len(), 3);
    }

    #[test]
    fn a_requirement_without_a_hash_is_refused_by_name() {
        let err =
            Requirements::parse(&format!("flask==3.1.0 --hash=sha256:{A}\nclick==8.1.8\n")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 2: `click` 8.1.8 has no `--hash`; every requirement must be hashed"
        );
        assert!(err.hint().unwrap().contains("--generate-hashes"));
    }

    #[test]
    fn unpinned_and_url_requirements_are_refused() {
        let err = Requirements::parse(&format!("flask>=3 --hash=sha256:{A}\n")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 1: `flask>=3` is not pinned to one version with `==`"
        );
        assert!(Requirements::parse(&format!("flask @ https://x/flask.whl --hash=sha256:{A}\n")).is_err());
        assert!(Requirements::parse("--extra-index-url https://other/simple\n").is_err());
        assert!(Requirements::parse("-e .\n").is_err());
    }

    #[test]
    fn hashes_other_than_sha256_are_refused() {
        let err = Requirements::parse("flask==3.1.0 --hash=md5:abcd\n").unwrap_err();
        assert!(err.to_string().contains("is not a sha256 hash"), "{err}");
    }

    #[test]
    fn undecidable_markers_are_refused_with_the_package_name() {
        let parsed =
            Requirements::parse(&format!("x==1 ; platform_release > \"5\" --hash=sha256:{A}\n")).unwrap();
        let err = parsed.for_target(&"3.13/amd64".parse().unwrap()).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("line 1: cannot evaluate the marker of `x`"),
            "{err}"
        );
    }

    #[test]
    fn project_names_normalise_as_pep_503_says() {
        assert_eq!(
            ProjectName::new("Typing_Extensions").as_str(),
            "typing-extensions"
        );
        assert_eq!(ProjectName::new("zope.interface").as_str(), "zope-interface");
        assert_eq!(ProjectName::new("a__-b").as_str(), "a-b");
    }
}
