//! The mapping data: upstream images -> catalog images, other distributions' package
//! names -> Debian's, and commands that need a person on a buckle image.

use crate::error::Error;
use serde::Deserialize;
use std::collections::BTreeMap;

const BUILTIN: &str = include_str!("../data/mapping.toml");

/// The whole mapping: built in, optionally extended by a user's file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// Image rules, first match wins.
    #[serde(default, rename = "image")]
    pub images: Vec<ImageRule>,
    /// Per distribution (`debian`, `ubuntu`, `alpine`): package name -> Debian's name
    /// (empty: not needed in a buckle image).
    #[serde(default)]
    pub packages: BTreeMap<String, BTreeMap<String, String>>,
    /// Programs buckle images have under another name or path (ENTRYPOINT/CMD's first word).
    #[serde(default)]
    pub programs: BTreeMap<String, String>,
    /// Commands that behave differently on buckle images.
    #[serde(default, rename = "notice")]
    pub notices: Vec<Notice>,
    /// Packages cut out of every generated spec.
    #[serde(default, rename = "exclude")]
    pub excludes: Vec<Exclude>,
}

/// A package a generated spec cuts out of the closure (the spec's `[[exclude]]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exclude {
    /// The package.
    pub package: String,
    /// Why the image works without it.
    pub reason: String,
}

/// Upstream image (repository and tag patterns) -> catalog spec.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageRule {
    /// Repository, Docker Hub's without host and `library/`; a trailing `*` matches any rest.
    pub repository: String,
    /// Tag globs; none matches every tag.
    #[serde(default)]
    pub tags: Vec<String>,
    /// The catalog spec name.
    pub spec: String,
    /// Whether build stages may use `<spec>-dev` (default true).
    #[serde(default = "yes")]
    pub dev: bool,
    /// Which table of `[packages]` names this image's packages (default `debian`).
    #[serde(default = "debian")]
    pub packages: String,
}

fn yes() -> bool {
    true
}

fn debian() -> String {
    "debian".to_owned()
}

/// A command that needs a person's look on a buckle image.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notice {
    /// Words that, found in this order in a RUN, trigger the notice.
    #[serde(rename = "match")]
    pub words: String,
    /// What to do.
    pub note: String,
}

/// What a package name of another distribution is in Debian.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DebianName {
    /// The same or a known rename.
    Known(String),
    /// Not needed in a buckle image.
    NotNeeded,
    /// No mapping: taken as is (Ubuntu) and reported.
    Assumed(String),
    /// No mapping and no reason to think Debian has it (Alpine).
    Unknown,
}

impl Mapping {
    /// The mapping shipped with buckle.
    pub fn builtin() -> Mapping {
        Mapping::parse(BUILTIN, "built-in mapping")
            .unwrap_or_else(|e| unreachable!("the built-in mapping is valid: {e}"))
    }

    /// Reads a mapping file; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Mapping, Error> {
        toml::from_str(text).map_err(|e| Error::Mapping {
            file: file.to_owned(),
            message: e.to_string(),
        })
    }

    /// `user`'s entries first, so they win, then these.
    pub fn extended_by(mut self, user: Mapping) -> Mapping {
        let mut images = user.images;
        images.append(&mut self.images);
        for (distribution, names) in user.packages {
            self.packages.entry(distribution).or_default().extend(names);
        }
        self.programs.extend(user.programs);
        let mut notices = user.notices;
        notices.append(&mut self.notices);
        let mut excludes = user.excludes;
        excludes.append(&mut self.excludes);
        Mapping {
            images,
            programs: self.programs,
            packages: self.packages,
            notices,
            excludes,
        }
    }

    /// The rule for an image reference, and the reference's normalized repository and tag.
    pub fn image(&self, reference: &str) -> Option<&ImageRule> {
        let (repository, tag) = split_reference(reference);
        self.images.iter().find(|rule| {
            glob(&rule.repository, &repository)
                && (rule.tags.is_empty() || rule.tags.iter().any(|t| glob(t, &tag)))
        })
    }

    /// Debian's name for `name` from `distribution`.
    pub fn debian_name(&self, distribution: &str, name: &str) -> DebianName {
        match self.packages.get(distribution).and_then(|names| names.get(name)) {
            Some(mapped) if mapped.is_empty() => DebianName::NotNeeded,
            Some(mapped) => DebianName::Known(mapped.clone()),
            None if distribution == "debian" => DebianName::Known(name.to_owned()),
            None if distribution == "alpine" => DebianName::Unknown,
            None => DebianName::Assumed(name.to_owned()),
        }
    }
}

/// `docker.io/library/python:3.12-slim@sha256:..` -> (`python`, `3.12-slim`).
pub(crate) fn split_reference(reference: &str) -> (String, String) {
    let without_digest = reference.split('@').next().unwrap_or(reference);
    let (name, tag) = match without_digest.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => (name, tag),
        _ => (without_digest, "latest"),
    };
    let mut name = name.to_ascii_lowercase();
    for hub in ["docker.io/", "index.docker.io/", "registry-1.docker.io/"] {
        if let Some(rest) = name.strip_prefix(hub) {
            name = rest.to_owned();
        }
    }
    if let Some(rest) = name.strip_prefix("library/") {
        name = rest.to_owned();
    }
    (name, tag.to_owned())
}

/// `*` matches any run of characters; everything else matches itself.
fn glob(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((prefix, rest)) => {
            let Some(text) = text.strip_prefix(prefix) else {
                return false;
            };
            (0..=text.len())
                .filter(|&i| text.is_char_boundary(i))
                .any(|i| glob(rest, &text[i..]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_rules_pick_the_catalog_image_by_repository_and_tag() {
        let mapping = Mapping::builtin();
        let spec = |r: &str| mapping.image(r).map(|rule| rule.spec.as_str());
        assert_eq!(spec("python:3.12-slim"), Some("python"));
        assert_eq!(
            spec("docker.io/library/node:20-bookworm-slim"),
            Some("node-20-debian")
        );
        assert_eq!(spec("node:22-alpine"), Some("node-22"));
        assert_eq!(spec("node"), Some("node"));
        assert_eq!(spec("gcr.io/distroless/static-debian12:nonroot"), Some("static"));
        assert_eq!(spec("registry.example/debian:12"), None);
        assert_eq!(spec("golang:1.23"), None);
    }

    #[test]
    fn a_user_mapping_wins_and_package_names_map_per_distribution() {
        let user = Mapping::parse("[[image]]\nrepository = \"python\"\nspec = \"python-ml\"\n[packages.alpine]\nfoo = \"libfoo1\"\n", "mine.toml").expect("valid");
        let mapping = Mapping::builtin().extended_by(user);
        assert_eq!(
            mapping.image("python:3").map(|r| r.spec.as_str()),
            Some("python-ml")
        );
        assert_eq!(
            mapping.debian_name("alpine", "foo"),
            DebianName::Known("libfoo1".into())
        );
        assert_eq!(
            mapping.debian_name("alpine", "libstdc++"),
            DebianName::Known("libstdc++6".into())
        );
        assert_eq!(mapping.debian_name("alpine", "bash"), DebianName::NotNeeded);
        assert_eq!(mapping.debian_name("alpine", "nope"), DebianName::Unknown);
        assert_eq!(
            mapping.debian_name("ubuntu", "libjpeg-turbo8"),
            DebianName::Known("libjpeg62-turbo".into())
        );
        assert_eq!(
            mapping.debian_name("ubuntu", "curl"),
            DebianName::Assumed("curl".into())
        );
        assert_eq!(
            mapping.debian_name("debian", "libssl3"),
            DebianName::Known("libssl3t64".into())
        );
    }

    #[test]
    fn a_bad_mapping_file_names_itself() {
        let err = Mapping::parse("[[image]]\nrepo = \"x\"\n", "mine.toml").expect_err("unknown key");
        assert!(err.to_string().starts_with("mine.toml: "), "{err}");
    }
}
