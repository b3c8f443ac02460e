//! [`Reference`]: `HOST[:PORT]/REPOSITORY[:TAG][@sha256:HEX]`, checked against the
//! grammar of the OCI distribution spec ("Pulling manifests": `<name>` and
//! `<reference>`).

use crate::error::{Error, Result};
use buckle_digest::Sha256;
use std::fmt;
use std::str::FromStr;

/// The longest tag the distribution spec allows.
const MAX_TAG: usize = 128;
/// The longest repository name, slashes included (distribution spec: under 256).
const MAX_REPOSITORY: usize = 255;

/// An image in a registry: where it is, and which one (a tag, a digest, or both).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    /// `host` or `host:port`.
    pub registry: String,
    /// The repository (`hardened/python`).
    pub repository: String,
    /// The tag, if given.
    pub tag: Option<String>,
    /// The manifest digest, if given (it wins over the tag).
    pub digest: Option<Sha256>,
}

impl Reference {
    /// The same repository, naming `tag`.
    pub fn with_tag(&self, tag: &str) -> Result<Reference> {
        check_tag(tag).map_err(|reason| bad(&format!("{}:{tag}", self.repository_name()), reason))?;
        Ok(Reference {
            tag: Some(tag.to_owned()),
            digest: None,
            ..self.clone()
        })
    }

    /// The same repository, naming `digest`.
    pub fn with_digest(&self, digest: Sha256) -> Reference {
        Reference {
            tag: None,
            digest: Some(digest),
            ..self.clone()
        }
    }

    /// `registry/repository`, without tag or digest.
    pub fn repository_name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// What to ask the registry for: the digest when there is one, else the tag,
    /// else `latest`.
    pub fn manifest_reference(&self) -> String {
        match (&self.digest, &self.tag) {
            (Some(digest), _) => digest.oci(),
            (None, Some(tag)) => tag.clone(),
            (None, None) => "latest".to_owned(),
        }
    }

    /// Whether the registry is on this machine (`localhost`, `127.0.0.0/8`, `[::1]`):
    /// the only registries `--insecure` may use plain HTTP with.
    pub fn is_loopback(&self) -> bool {
        is_loopback_host(&self.registry)
    }
}

/// Whether `registry` (`host[:port]`) is on this machine.
pub fn is_loopback_host(registry: &str) -> bool {
    let host = match registry.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or_default(),
        None => registry.split(':').next().unwrap_or_default(),
    };
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl FromStr for Reference {
    type Err = Error;

    fn from_str(text: &str) -> Result<Reference> {
        let (rest, digest) = match text.split_once('@') {
            Some((rest, digest)) => {
                let parsed = Sha256::parse_oci(digest)
                    .map_err(|_| bad(text, format!("`{digest}` is not a sha256:<64 hex digits> digest")))?;
                (rest, Some(parsed))
            }
            None => (text, None),
        };
        let (registry, path) = rest
            .split_once('/')
            .filter(|(host, _)| looks_like_host(host))
            .ok_or_else(|| bad(text, "it names no registry host (HOST[:PORT]/...)".to_owned()))?;
        // A `:` after the last `/` starts the tag.
        let (repository, tag) = match path.rsplit_once(':') {
            Some((repo, tag)) if !tag.contains('/') => (repo, Some(tag)),
            _ => (path, None),
        };
        check_repository(repository).map_err(|reason| bad(text, reason))?;
        if let Some(tag) = tag {
            check_tag(tag).map_err(|reason| bad(text, reason))?;
        }
        Ok(Reference {
            registry: registry.to_owned(),
            repository: repository.to_owned(),
            tag: tag.map(str::to_owned),
            digest,
        })
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{}", digest.oci())?;
        }
        Ok(())
    }
}

/// A first path component names a registry when it has a dot or a port, or is
/// `localhost` (the rule docker uses to tell a host from a repository).
fn looks_like_host(first: &str) -> bool {
    !first.is_empty() && (first.contains('.') || first.contains(':') || first == "localhost")
}

fn bad(reference: &str, reason: String) -> Error {
    Error::BadReference {
        reference: reference.to_owned(),
        reason,
    }
}

/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*` per component, components joined by `/`.
fn check_repository(repository: &str) -> Result<(), String> {
    if repository.len() > MAX_REPOSITORY {
        return Err(format!(
            "the repository name is longer than {MAX_REPOSITORY} characters"
        ));
    }
    for component in repository.split('/') {
        if !valid_component(component) {
            return Err(format!(
                "repository component `{component}` must be lowercase letters and digits, \
                 separated by `.`, `_`, `__` or dashes"
            ));
        }
    }
    Ok(())
}

fn valid_component(component: &str) -> bool {
    let bytes = component.as_bytes();
    let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    if !alnum(first) || !alnum(last) {
        return false;
    }
    // Separators between alphanumeric runs: `.`, `_`, `__`, or any number of `-`.
    let mut run = String::new();
    for &b in bytes {
        if alnum(&b) {
            if !(run.is_empty() || run == "." || run == "_" || run == "__" || run.bytes().all(|c| c == b'-'))
            {
                return false;
            }
            run.clear();
        } else if matches!(b, b'.' | b'_' | b'-') {
            run.push(b as char);
        } else {
            return false;
        }
    }
    true
}

/// `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`.
pub fn check_tag(tag: &str) -> Result<(), String> {
    let valid_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    let starts_well = tag
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    if tag.len() > MAX_TAG || !starts_well || !tag.chars().all(valid_char) {
        return Err(format!(
            "tag `{tag}` must be 1 to {MAX_TAG} letters, digits, `_`, `.` or `-`, not starting with `.` or `-`"
        ));
    }
    Ok(())
}

/// `text` made into a valid tag: characters a tag cannot hold become `_` (a Debian
/// version `1:2.3+dfsg~1` becomes `1_2.3_dfsg_1`), cut to 128 characters.
pub fn sanitize_tag(text: &str) -> String {
    let mut tag: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .take(MAX_TAG)
        .collect();
    if tag.starts_with(['.', '-']) || tag.is_empty() {
        tag.replace_range(..tag.len().min(1), "_");
    }
    tag
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_with_port_tag_and_digest_parses_and_prints_back() {
        let digest = Sha256::of(b"m");
        let text = format!("127.0.0.1:5000/hardened/python:3.13@{}", digest.oci());
        let r: Reference = text.parse().unwrap();
        assert_eq!(r.registry, "127.0.0.1:5000");
        assert_eq!(r.repository, "hardened/python");
        assert_eq!(r.tag.as_deref(), Some("3.13"));
        assert_eq!(r.digest, Some(digest));
        assert_eq!(r.to_string(), text);
        assert_eq!(r.manifest_reference(), digest.oci());
        let untagged: Reference = "registry.example/base".parse().unwrap();
        assert_eq!(
            (untagged.tag.clone(), untagged.manifest_reference()),
            (None, "latest".to_owned())
        );
    }

    #[test]
    fn reference_without_a_registry_host_is_refused() {
        let err = "python:3.13".parse::<Reference>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "`python:3.13` is not an image reference: it names no registry host (HOST[:PORT]/...)"
        );
        assert!("library/python".parse::<Reference>().is_err());
        assert!("localhost/python".parse::<Reference>().is_ok());
    }

    #[test]
    fn repository_and_tag_grammar_is_the_distribution_specs() {
        for good in ["a", "a.b", "a_b", "a__b", "a---b", "a0/b-c/d.e"] {
            assert!(check_repository(good).is_ok(), "{good}");
        }
        for bad in ["A", "a..b", "a___b", "-a", "a-", "a//b", "", "a b"] {
            assert!(check_repository(bad).is_err(), "{bad}");
        }
        assert!(check_tag("3.13.5-trixie-abc").is_ok());
        assert!(check_tag("_x").is_ok());
        assert!(check_tag(".x").is_err());
        assert!(check_tag(&"x".repeat(129)).is_err());
        let err = "host.example/Repo:1".parse::<Reference>().unwrap_err();
        assert!(err.to_string().contains("repository component `Repo`"), "{err}");
    }

    #[test]
    fn debian_versions_sanitize_into_tags() {
        assert_eq!(sanitize_tag("1:2.3+dfsg-1~deb13u1"), "1_2.3_dfsg-1_deb13u1");
        assert_eq!(sanitize_tag("-x"), "_x");
        assert!(check_tag(&sanitize_tag("3.13.5-1+b1")).is_ok());
    }

    #[test]
    fn loopback_hosts_are_told_apart_from_others() {
        for host in [
            "localhost:5000",
            "127.0.0.1",
            "127.1.2.3:80",
            "[::1]:5000",
            "LOCALHOST",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "registry.example:5000",
            "10.0.0.1:5000",
            "[fe80::1]:5000",
            "localhost.example",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }
}
