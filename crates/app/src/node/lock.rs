//! package-lock.json (lockfileVersion 2 and 3) -> the packages to install.
//!
//! The `packages` map is keyed by install path (`node_modules/a`,
//! `node_modules/a/node_modules/b`, `node_modules/@scope/c`); the key `""` is the
//! application itself. Version 1 lockfiles have no such map and are refused.

use crate::error::{Error, Result};
use serde::Deserialize;
use std::collections::BTreeMap;

/// One entry of the `packages` map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockPackage {
    /// The key: the install path relative to the application.
    pub path: String,
    /// The package's name (`name` when the entry is aliased, else from the path).
    pub name: String,
    /// The exact version.
    pub version: String,
    /// The tarball URL, when the lockfile records one.
    pub resolved: Option<String>,
    /// The lockfile's `integrity`.
    pub integrity: Option<String>,
    /// Only needed in development.
    pub dev: bool,
    /// An optional dependency (or `devOptional`): skipped when its platform does not fit.
    pub optional: bool,
    /// npm saw an install script (`preinstall`, `install`, `postinstall`, or a `binding.gyp`).
    pub has_install_script: bool,
    /// Shipped inside its parent's tarball.
    pub in_bundle: bool,
    /// A symlink to a local folder (workspaces, `file:` dependencies).
    pub link: bool,
    /// Executables: name -> path inside the package.
    pub bin: BTreeMap<String, String>,
    /// Operating systems (`linux`, `!win32`).
    pub os: Vec<String>,
    /// CPUs (`x64`, `arm64`, `!arm`).
    pub cpu: Vec<String>,
    /// The license, when recorded.
    pub license: Option<String>,
}

/// A parsed package-lock.json.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageLock {
    /// The application's name.
    pub name: Option<String>,
    /// `lockfileVersion` (2 or 3).
    pub lockfile_version: u32,
    /// Every entry but the application itself, in key order.
    pub packages: Vec<LockPackage>,
}

#[derive(Deserialize)]
struct RawLock {
    name: Option<String>,
    #[serde(rename = "lockfileVersion")]
    lockfile_version: Option<u32>,
    packages: Option<BTreeMap<String, RawPackage>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawPackage {
    name: Option<String>,
    version: Option<String>,
    resolved: Option<String>,
    integrity: Option<String>,
    #[serde(default)]
    dev: bool,
    #[serde(default)]
    optional: bool,
    #[serde(default)]
    dev_optional: bool,
    #[serde(default)]
    has_install_script: bool,
    #[serde(default)]
    in_bundle: bool,
    #[serde(default)]
    link: bool,
    bin: Option<serde_json::Value>,
    #[serde(default)]
    os: OneOrMany,
    #[serde(default)]
    cpu: OneOrMany,
    license: Option<serde_json::Value>,
}

#[derive(Deserialize, Default)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
    #[default]
    None,
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
            OneOrMany::None => Vec::new(),
        }
    }
}

impl PackageLock {
    /// Parses package-lock.json text.
    pub fn parse(text: &str) -> Result<Self> {
        let raw: RawLock = serde_json::from_str(text).map_err(|e| Error::PackageLock {
            problem: format!("it is not valid JSON: {e}"),
        })?;
        let version = raw.lockfile_version.unwrap_or(0);
        let packages = match (version, raw.packages) {
            (2 | 3, Some(packages)) => packages,
            (2 | 3, None) => {
                return Err(Error::PackageLock {
                    problem: "it has no `packages` map".to_owned(),
                })
            }
            (other, _) => {
                return Err(Error::PackageLock {
                    problem: format!(
                        "lockfileVersion {other} is not supported (2 or 3 are); regenerate it with npm 7 or newer: `npm install --package-lock-only`"
                    ),
                })
            }
        };
        let mut out = Vec::new();
        for (path, raw) in packages {
            if path.is_empty() {
                continue;
            }
            let bad = |problem: String| Error::LockEntry {
                path: path.clone(),
                problem,
            };
            if buckle_oci::RelPath::new(&path).is_err() {
                return Err(bad("the path leaves the application's directory".to_owned()));
            }
            let folder_name = path
                .rsplit_once("node_modules/")
                .map(|(_, name)| name.to_owned())
                .filter(|name| !name.is_empty())
                .ok_or_else(|| {
                    bad("it is not under `node_modules/` (workspaces are not supported)".to_owned())
                })?;
            let name = raw.name.unwrap_or(folder_name);
            let bin = match raw.bin {
                None => BTreeMap::new(),
                Some(serde_json::Value::Object(map)) => map
                    .into_iter()
                    .map(|(k, v)| match v {
                        serde_json::Value::String(s) => Ok((k, s)),
                        _ => Err(bad(format!("`bin.{k}` is not a path"))),
                    })
                    .collect::<Result<_>>()?,
                Some(_) => return Err(bad("`bin` is not an object".to_owned())),
            };
            let license = match raw.license {
                Some(serde_json::Value::String(s)) => Some(s),
                Some(serde_json::Value::Object(o)) => {
                    o.get("type").and_then(|t| t.as_str()).map(str::to_owned)
                }
                _ => None,
            };
            let version = match (raw.version, raw.link) {
                (Some(v), _) => v,
                (None, true) => String::new(),
                (None, false) => return Err(bad("it has no `version`".to_owned())),
            };
            out.push(LockPackage {
                path,
                name,
                version,
                resolved: raw.resolved,
                integrity: raw.integrity,
                dev: raw.dev,
                optional: raw.optional || raw.dev_optional,
                has_install_script: raw.has_install_script,
                in_bundle: raw.in_bundle,
                link: raw.link,
                bin,
                os: raw.os.into_vec(),
                cpu: raw.cpu.into_vec(),
                license,
            });
        }
        Ok(PackageLock {
            name: raw.name,
            lockfile_version: version,
            packages: out,
        })
    }
}

/// Whether `value` (a Node `process.platform` or `process.arch`) passes a package's
/// `os` or `cpu` list: empty allows all, `!x` excludes x, plain names allow only them.
pub(crate) fn platform_allows(list: &[String], value: &str) -> bool {
    if list.iter().any(|v| v.strip_prefix('!') == Some(value)) {
        return false;
    }
    let allowed: Vec<&String> = list.iter().filter(|v| !v.starts_with('!')).collect();
    allowed.is_empty() || allowed.iter().any(|v| v.as_str() == value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v3_lockfile_entries_parse_with_their_names_and_flags() {
        let lock = PackageLock::parse(
            r#"{"name": "app", "lockfileVersion": 3, "packages": {
                "": {"name": "app", "dependencies": {"a": "1"}},
                "node_modules/a": {"version": "1.0.0", "resolved": "http://r/a/-/a-1.0.0.tgz", "integrity": "sha512-x", "bin": {"a": "cli.js"}, "license": "MIT"},
                "node_modules/@s/b": {"version": "2.0.0", "dev": true, "os": ["darwin"]},
                "node_modules/a/node_modules/c": {"name": "real-c", "version": "3.0.0", "devOptional": true, "cpu": "x64"}
            }}"#,
        )
        .unwrap();
        let names: Vec<_> = lock
            .packages
            .iter()
            .map(|p| (p.path.as_str(), p.name.as_str(), p.dev, p.optional))
            .collect();
        assert_eq!(
            names,
            [
                ("node_modules/@s/b", "@s/b", true, false),
                ("node_modules/a", "a", false, false),
                ("node_modules/a/node_modules/c", "real-c", false, true),
            ]
        );
        assert_eq!(lock.packages[1].bin["a"], "cli.js");
        assert_eq!(lock.packages[2].cpu, ["x64"]);
    }

    #[test]
    fn version_1_lockfiles_and_workspaces_are_refused() {
        let err = PackageLock::parse(r#"{"lockfileVersion": 1, "dependencies": {}}"#).unwrap_err();
        assert!(
            err.to_string().contains("lockfileVersion 1 is not supported"),
            "{err}"
        );
        let err = PackageLock::parse(
            r#"{"lockfileVersion": 3, "packages": {"packages/web": {"version": "1.0.0"}}}"#,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "package-lock.json: `packages/web`: it is not under `node_modules/` (workspaces are not supported)"
        );
    }

    #[test]
    fn os_and_cpu_lists_allow_and_exclude() {
        let list = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(platform_allows(&[], "linux"));
        assert!(platform_allows(&list(&["linux", "darwin"]), "linux"));
        assert!(!platform_allows(&list(&["darwin"]), "linux"));
        assert!(platform_allows(&list(&["!win32"]), "linux"));
        assert!(!platform_allows(&list(&["!linux"]), "linux"));
    }
}
