//! The tools the server offers: names, descriptions and JSON-Schema inputs, which
//! arguments are paths (kept inside the roots), and which tool changes anything.

use serde_json::{json, Value};

/// A tool, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    ListImages,
    ImageDetails,
    Packages,
    Vulnerabilities,
    Attestations,
    Why,
    Compare,
    Check,
    AdvisoriesSince,
    Build,
}

impl Tool {
    pub const ALL: [Tool; 10] = [
        Tool::ListImages,
        Tool::ImageDetails,
        Tool::Packages,
        Tool::Vulnerabilities,
        Tool::Attestations,
        Tool::Why,
        Tool::Compare,
        Tool::Check,
        Tool::AdvisoriesSince,
        Tool::Build,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Tool::ListImages => "list_images",
            Tool::ImageDetails => "image_details",
            Tool::Packages => "packages",
            Tool::Vulnerabilities => "vulnerabilities",
            Tool::Attestations => "attestations",
            Tool::Why => "why",
            Tool::Compare => "compare",
            Tool::Check => "check",
            Tool::AdvisoriesSince => "advisories_since",
            Tool::Build => "build",
        }
    }

    pub fn named(name: &str) -> Option<Tool> {
        Tool::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Whether the tool writes anything (offered only with `--allow-build`).
    pub fn changes_things(self) -> bool {
        self == Tool::Build
    }

    /// The arguments that name files or folders.
    pub fn path_arguments(self) -> &'static [&'static str] {
        match self {
            Tool::ListImages => &[],
            Tool::ImageDetails | Tool::Packages | Tool::Vulnerabilities => &["image"],
            Tool::Attestations => &["image", "key"],
            Tool::Why => &["lock"],
            Tool::Compare => &["theirs", "ours"],
            Tool::Check => &["image", "policy"],
            Tool::AdvisoriesSince => &["dir"],
            Tool::Build => &["spec"],
        }
    }

    fn description(self) -> &'static str {
        match self {
            Tool::ListImages => "List the built images (OCI layouts) under the server's roots: name, path, description, variant, architectures, tags and digests.",
            Tool::ImageDetails => "Everything the catalog knows of one image: architectures with digests, tags, packages, compressed size, vulnerability findings (KEV first, VEX applied; 'not_scanned' when the feed store has no data, never clean), signatures and attestations present, build and rebuild dates, end of life, smoke test, hardening summary and advisories.",
            Tool::Packages => "The Debian packages installed in an image (its SBOM's packages): name, version, architecture, source package and license.",
            Tool::Vulnerabilities => "Known vulnerabilities of an image's packages from the local feed store, KEV first, with VEX decisions and their evidence; the same JSON as `buckle scan --format json`.",
            Tool::Attestations => "What is attached to an image (signatures, attestations by predicate type, SBOMs). With `key` (a cosign public key file), verify the signature, every attestation and the SBOMs against it instead.",
            Tool::Why => "Why a package is in an image: the dependency chain from a root of the spec, re-resolved from the lock with its versions pinned.",
            Tool::Compare => "Two images side by side: score, user, packages, sizes, files, layers, shells, package managers, setuid files and the hardening rules whose outcome differs.",
            Tool::Check => "Hardening rules over an image (non-root, no shell, no package manager, signatures, SBOM, end of life, ...): each finding and a score out of 100.",
            Tool::AdvisoriesSince => "The advisories `buckle update --rebuild` recorded since a day: per rebuilt image, the packages changed, the vulnerabilities fixed (KEV marked) and the patch latency.",
            Tool::Build => "Build a spec's image into `out/` beside the spec (locking and fetching first). Offered only when the server runs with --allow-build.",
        }
    }

    fn input_schema(self) -> Value {
        let image = json!({"type": "string", "description": "An OCI layout folder under a root (relative paths are taken from the first root)."});
        let arch = json!({"type": "string", "description": "A Debian architecture (amd64, arm64, ...) [default: the host's, else the image's first]."});
        let (properties, required): (Value, &[&str]) = match self {
            Tool::ListImages => (json!({}), &[]),
            Tool::ImageDetails => (json!({"image": image}), &["image"]),
            Tool::Packages => (json!({"image": image, "arch": arch}), &["image"]),
            Tool::Vulnerabilities => (
                json!({
                    "image": image,
                    "release": {"type": "string", "description": "The Debian release to match in (bookworm, trixie) [default: the image's os-release]."},
                    "show_suppressed": {"type": "boolean", "description": "Also list the findings VEX suppresses."}
                }),
                &["image"],
            ),
            Tool::Attestations => (
                json!({"image": image, "key": {"type": "string", "description": "A cosign public key file (PEM) under a root: verify instead of listing."}}),
                &["image"],
            ),
            Tool::Why => (
                json!({
                    "lock": {"type": "string", "description": "The spec's lock file (or the spec) under a root."},
                    "package": {"type": "string", "description": "The Debian package name."},
                    "arch": arch,
                    "variant": {"type": "string", "enum": ["runtime", "dev"], "description": "Which image of the spec [default: runtime]."}
                }),
                &["lock", "package"],
            ),
            Tool::Compare => (
                json!({
                    "theirs": {"type": "string", "description": "The image you have (an OCI layout folder under a root)."},
                    "ours": {"type": "string", "description": "The image to compare it with."}
                }),
                &["theirs", "ours"],
            ),
            Tool::Check => (
                json!({"image": image, "policy": {"type": "string", "description": "A TOML policy file under a root [default: every rule as the catalog defines it]."}}),
                &["image"],
            ),
            Tool::AdvisoriesSince => (
                json!({
                    "dir": {"type": "string", "description": "The output folder of `buckle update --rebuild` (or its advisories/ folder) under a root."},
                    "since": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "description": "The first day (UTC), YYYY-MM-DD."},
                    "image": {"type": "string", "description": "Only this image's advisories (its name, e.g. python-dev)."}
                }),
                &["dir", "since"],
            ),
            Tool::Build => (
                json!({
                    "spec": {"type": "string", "description": "The spec file under a root."},
                    "variant": {"type": "string", "enum": ["runtime", "dev"], "description": "Which image [default: runtime]."}
                }),
                &["spec"],
            ),
        };
        json!({"type": "object", "properties": properties, "required": required, "additionalProperties": false})
    }

    /// The tool as `tools/list` shows it.
    pub fn definition(self) -> Value {
        json!({
            "name": self.name(),
            "description": self.description(),
            "inputSchema": self.input_schema(),
            "annotations": {"readOnlyHint": !self.changes_things(), "openWorldHint": false},
        })
    }

    /// Checks `arguments` against the input schema (the subset the schemas use: an
    /// object of strings and booleans, required names, enums, no other names).
    pub fn validate(self, arguments: &serde_json::Map<String, Value>) -> Result<(), String> {
        let schema = self.input_schema();
        let properties = schema["properties"].as_object().cloned().unwrap_or_default();
        for name in schema["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !arguments.contains_key(name) {
                return Err(format!("`{}` needs the argument `{name}`", self.name()));
            }
        }
        for (name, value) in arguments {
            let Some(property) = properties.get(name) else {
                let known: Vec<&String> = properties.keys().collect();
                return Err(format!(
                    "`{}` has no argument `{name}` (it takes {known:?})",
                    self.name()
                ));
            };
            let fits = match property["type"].as_str() {
                Some("string") => value.as_str().is_some_and(|text| {
                    let in_enum = property["enum"]
                        .as_array()
                        .is_none_or(|values| values.iter().any(|v| v == value));
                    let is_day = property.get("pattern").is_none() || is_day(text);
                    in_enum && is_day && !text.is_empty()
                }),
                Some("boolean") => value.is_boolean(),
                _ => false,
            };
            if !fits {
                return Err(format!(
                    "`{}`: the argument `{name}` must be {}, not {value}",
                    self.name(),
                    expected(property)
                ));
            }
        }
        Ok(())
    }
}

fn is_day(text: &str) -> bool {
    text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        })
}

fn expected(property: &Value) -> String {
    match (
        property["type"].as_str(),
        property["enum"].as_array(),
        property.get("pattern"),
    ) {
        (_, Some(values), _) => format!("one of {}", Value::Array(values.clone())),
        (_, _, Some(_)) => "a day, YYYY-MM-DD".to_owned(),
        (Some("boolean"), _, _) => "true or false".to_owned(),
        _ => "a non-empty string".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(value: Value) -> serde_json::Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn arguments_are_checked_against_the_schema() {
        assert!(Tool::Why
            .validate(&args(json!({"lock": "a.lock", "package": "libc6"})))
            .is_ok());
        let missing = Tool::Why.validate(&args(json!({"lock": "a.lock"}))).unwrap_err();
        assert!(missing.contains("`package`"), "{missing}");
        let unknown = Tool::Check
            .validate(&args(json!({"image": "x", "force": true})))
            .unwrap_err();
        assert!(unknown.contains("`force`"), "{unknown}");
        let wrong = Tool::Why
            .validate(&args(json!({"lock": "a", "package": "b", "variant": "debug"})))
            .unwrap_err();
        assert!(wrong.contains("one of"), "{wrong}");
        let day = Tool::AdvisoriesSince
            .validate(&args(json!({"dir": "out", "since": "yesterday"})))
            .unwrap_err();
        assert!(day.contains("YYYY-MM-DD"), "{day}");
        assert!(Tool::Vulnerabilities
            .validate(&args(json!({"image": "x", "show_suppressed": "yes"})))
            .is_err());
    }

    #[test]
    fn every_path_argument_is_in_the_schema() {
        for tool in Tool::ALL {
            let schema = tool.input_schema();
            for name in tool.path_arguments() {
                assert!(schema["properties"].get(name).is_some(), "{} {name}", tool.name());
            }
            assert_eq!(Tool::named(tool.name()), Some(tool));
        }
    }
}
