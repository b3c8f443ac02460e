//! Where credentials come from: `BUCKLE_REGISTRY_USER`/`BUCKLE_REGISTRY_PASSWORD`, then
//! the docker config file (`$DOCKER_CONFIG/config.json` or `~/.docker/config.json`):
//! a `credHelpers` entry for the registry, the `credsStore` helper, then `auths`.
//! Helpers are `docker-credential-<name>` programs speaking the docker credential
//! helper protocol (`get` with the server on stdin, JSON on stdout).

use crate::error::{Error, Result};
use base64::Engine as _;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The user name a helper returns for an identity (refresh) token.
const TOKEN_USER: &str = "<token>";

/// A user name and what proves it.
#[derive(Clone)]
pub struct Credentials {
    /// The user name.
    pub username: String,
    pub(crate) secret: Secret,
    /// Where they came from, for error messages (never the secret).
    pub origin: String,
}

#[derive(Clone)]
pub(crate) enum Secret {
    Password(String),
    /// An OAuth2 refresh token (`identitytoken`), exchanged at the token endpoint.
    IdentityToken(String),
}

impl Credentials {
    /// A user name and password.
    pub fn password(username: &str, password: &str, origin: &str) -> Self {
        Credentials {
            username: username.to_owned(),
            secret: Secret::Password(password.to_owned()),
            origin: origin.to_owned(),
        }
    }

    /// The `Authorization: Basic` value, when these are a password.
    pub(crate) fn basic_header(&self) -> Option<String> {
        match &self.secret {
            Secret::Password(password) => Some(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{}:{password}", self.username))
            )),
            Secret::IdentityToken(_) => None,
        }
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({} from {})", self.username, self.origin)
    }
}

#[derive(Debug, Default, Deserialize)]
struct DockerConfig {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: BTreeMap<String, String>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct AuthEntry {
    auth: Option<String>,
    username: Option<String>,
    password: Option<String>,
    identitytoken: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct HelperAnswer {
    username: String,
    secret: String,
}

/// Finds credentials for a registry host.
#[derive(Debug, Default)]
pub struct CredentialStore {
    explicit: Option<Credentials>,
    config: Option<(PathBuf, DockerConfig)>,
    helper_path: Option<OsString>,
}

impl CredentialStore {
    /// No credentials: anonymous access only.
    pub fn anonymous() -> Self {
        CredentialStore::default()
    }

    /// What this process's environment offers: `BUCKLE_REGISTRY_USER` and
    /// `BUCKLE_REGISTRY_PASSWORD` for every registry, and the docker config file.
    pub fn from_environment() -> Result<Self> {
        let mut store = CredentialStore::default();
        if let (Ok(user), Ok(password)) = (
            std::env::var("BUCKLE_REGISTRY_USER"),
            std::env::var("BUCKLE_REGISTRY_PASSWORD"),
        ) {
            store.explicit = Some(Credentials::password(
                &user,
                &password,
                "BUCKLE_REGISTRY_USER and BUCKLE_REGISTRY_PASSWORD",
            ));
        }
        let config_dir = match std::env::var_os("DOCKER_CONFIG") {
            Some(dir) => Some(PathBuf::from(dir)),
            None => std::env::var_os("HOME").map(|home| Path::new(&home).join(".docker")),
        };
        if let Some(path) = config_dir.map(|dir| dir.join("config.json")) {
            if path.exists() {
                store = store.with_docker_config(&path)?;
            }
        }
        Ok(store)
    }

    /// Uses `credentials` for every registry, before anything else.
    pub fn with_credentials(mut self, credentials: Credentials) -> Self {
        self.explicit = Some(credentials);
        self
    }

    /// Reads a docker config file.
    pub fn with_docker_config(mut self, path: &Path) -> Result<Self> {
        let bad = |reason: String| Error::DockerConfig {
            path: path.to_owned(),
            reason,
        };
        let text = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
        let config = serde_json::from_slice(&text).map_err(|e| bad(e.to_string()))?;
        self.config = Some((path.to_owned(), config));
        Ok(self)
    }

    /// Looks for `docker-credential-*` helpers in `path` (a `PATH`-style list)
    /// instead of `PATH`.
    pub fn with_helper_path(mut self, path: OsString) -> Self {
        self.helper_path = Some(path);
        self
    }

    /// The credentials for `registry` (`host[:port]`), if any are configured.
    pub fn lookup(&self, registry: &str) -> Result<Option<Credentials>> {
        if let Some(explicit) = &self.explicit {
            return Ok(Some(explicit.clone()));
        }
        let Some((path, config)) = &self.config else {
            return Ok(None);
        };
        let helper = config
            .cred_helpers
            .iter()
            .find(|(key, _)| server_host(key) == registry)
            .map(|(_, helper)| helper);
        if let Some(helper) = helper.or(config.creds_store.as_ref()) {
            if let Some(found) = self.run_helper(helper, registry)? {
                return Ok(Some(found));
            }
        }
        let entry = config.auths.iter().find(|(key, _)| server_host(key) == registry);
        match entry {
            Some((key, entry)) => {
                inline_credentials(entry, &format!("`auths.{key}` in `{}`", path.display()))
            }
            None => Ok(None),
        }
    }

    fn run_helper(&self, helper: &str, registry: &str) -> Result<Option<Credentials>> {
        let program = format!("docker-credential-{helper}");
        let failed = |reason: String| Error::CredentialHelper {
            helper: helper.to_owned(),
            registry: registry.to_owned(),
            reason,
        };
        let mut command = Command::new(&program);
        if let Some(path) = &self.helper_path {
            command.env("PATH", path);
        }
        let mut child = command
            .arg("get")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| failed(format!("cannot run `{program}`: {e}")))?;
        if let Some(mut stdin) = child.stdin.take() {
            // A helper that answers without reading its input closes the pipe early.
            match stdin.write_all(registry.as_bytes()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    return Err(failed(format!("cannot write to it: {e}")))
                }
                _ => {}
            }
        }
        let output = child
            .wait_with_output()
            .map_err(|e| failed(format!("cannot read its answer: {e}")))?;
        let said = format!(
            "{} {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        if !output.status.success() {
            // The protocol's answer for a server it holds nothing for.
            if said.to_ascii_lowercase().contains("credentials not found") {
                return Ok(None);
            }
            return Err(failed(format!(
                "it exited with {}: {}",
                output.status,
                said.trim()
            )));
        }
        let answer: HelperAnswer = serde_json::from_slice(&output.stdout)
            .map_err(|e| failed(format!("its answer is not the helper protocol's JSON: {e}")))?;
        let origin = format!("credential helper `{program}`");
        let secret = if answer.username == TOKEN_USER {
            Secret::IdentityToken(answer.secret)
        } else {
            Secret::Password(answer.secret)
        };
        Ok(Some(Credentials {
            username: answer.username,
            secret,
            origin,
        }))
    }
}

/// `https://host:port/v1/` (as `docker login` writes keys) to `host:port`.
fn server_host(key: &str) -> &str {
    let rest = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    rest.split('/').next().unwrap_or(rest)
}

fn inline_credentials(entry: &AuthEntry, origin: &str) -> Result<Option<Credentials>> {
    let bad = |reason: &str| Error::Auth {
        registry: origin.to_owned(),
        reason: reason.to_owned(),
    };
    if let Some(token) = entry.identitytoken.as_ref().filter(|t| !t.is_empty()) {
        return Ok(Some(Credentials {
            username: entry.username.clone().unwrap_or_else(|| TOKEN_USER.to_owned()),
            secret: Secret::IdentityToken(token.clone()),
            origin: origin.to_owned(),
        }));
    }
    if let (Some(user), Some(password)) = (&entry.username, &entry.password) {
        return Ok(Some(Credentials::password(user, password, origin)));
    }
    let Some(auth) = entry.auth.as_ref().filter(|a| !a.is_empty()) else {
        return Ok(None);
    };
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(auth.trim())
        .map_err(|_| bad("`auth` is not base64"))?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad("`auth` is not UTF-8 text"))?;
    let (user, password) = decoded
        .split_once(':')
        .ok_or_else(|| bad("`auth` is not base64 of USER:PASSWORD"))?;
    Ok(Some(Credentials::password(user, password, origin)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn config(dir: &Path, json: &str) -> CredentialStore {
        let path = dir.join("config.json");
        std::fs::write(&path, json).unwrap();
        CredentialStore::anonymous().with_docker_config(&path).unwrap()
    }

    fn password_of(c: &Credentials) -> &str {
        match &c.secret {
            Secret::Password(p) => p,
            Secret::IdentityToken(t) => t,
        }
    }

    #[test]
    fn auths_entry_is_found_by_host_whatever_the_key_spelling() {
        let dir = tempfile::tempdir().unwrap();
        let auth = base64::engine::general_purpose::STANDARD.encode("alice:s3cret:with:colons");
        let store = config(
            dir.path(),
            &format!(r#"{{"auths":{{"https://registry.example:5000/v1/":{{"auth":"{auth}"}}}}}}"#),
        );
        let found = store.lookup("registry.example:5000").unwrap().unwrap();
        assert_eq!(
            (found.username.as_str(), password_of(&found)),
            ("alice", "s3cret:with:colons")
        );
        assert!(
            found.origin.contains("auths.https://registry.example:5000/v1/"),
            "{}",
            found.origin
        );
        assert!(store.lookup("other.example").unwrap().is_none());
    }

    #[test]
    fn broken_auth_entry_and_broken_config_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let store = config(dir.path(), r#"{"auths":{"r.example":{"auth":"bm8tY29sb24="}}}"#);
        let err = store.lookup("r.example").unwrap_err();
        assert!(
            err.to_string().contains("`auth` is not base64 of USER:PASSWORD"),
            "{err}"
        );
        let path = dir.path().join("bad.json");
        std::fs::write(&path, "{").unwrap();
        let err = CredentialStore::anonymous()
            .with_docker_config(&path)
            .unwrap_err();
        assert!(matches!(err, Error::DockerConfig { .. }), "{err:?}");
    }

    /// The test helpers, all written before any test runs one: a program being
    /// written while another thread forks cannot be executed (ETXTBSY).
    fn helpers() -> &'static Path {
        static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
        DIR.get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let scripts = [
                // Echoes the server it was asked about into the user name.
                (
                    "per-host",
                    r#"read server; printf '{"ServerURL":"%s","Username":"helper-%s","Secret":"pw"}' "$server" "$server""#,
                ),
                ("store", r#"echo "credentials not found in native keychain"; exit 1"#),
                ("broken", "echo 'keyring locked' >&2; exit 3"),
                ("tok", r#"echo '{"ServerURL":"r","Username":"<token>","Secret":"refresh"}'"#),
            ];
            for (name, script) in scripts {
                let path = dir.path().join(format!("docker-credential-{name}"));
                std::fs::write(&path, format!("#!/bin/sh\n{script}\n")).unwrap();
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
            }
            dir
        })
        .path()
    }

    #[test]
    fn cred_helper_for_the_host_wins_over_creds_store_and_auths() {
        let dir = tempfile::tempdir().unwrap();
        let store = config(
            dir.path(),
            r#"{"credHelpers":{"r.example:5000":"per-host"},"credsStore":"store",
                "auths":{"r.example:5000":{"username":"inline","password":"x"},"other.example":{"username":"inline","password":"y"}}}"#,
        )
        .with_helper_path(helpers().as_os_str().to_owned());
        let found = store.lookup("r.example:5000").unwrap().unwrap();
        assert_eq!(found.username, "helper-r.example:5000");
        assert_eq!(found.origin, "credential helper `docker-credential-per-host`");
        // The store helper has nothing for this host: the inline entry is used.
        let found = store.lookup("other.example").unwrap().unwrap();
        assert_eq!((found.username.as_str(), password_of(&found)), ("inline", "y"));
    }

    #[test]
    fn failing_or_missing_helper_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let store = config(dir.path(), r#"{"credsStore":"broken"}"#)
            .with_helper_path(helpers().as_os_str().to_owned());
        let err = store.lookup("r.example").unwrap_err();
        assert!(
            err.to_string()
                .contains("`docker-credential-broken` failed for `r.example`"),
            "{err}"
        );
        assert!(err.to_string().contains("keyring locked"), "{err}");
        let store = config(dir.path(), r#"{"credsStore":"absent"}"#)
            .with_helper_path(helpers().as_os_str().to_owned());
        let err = store.lookup("r.example").unwrap_err();
        assert!(
            err.to_string().contains("cannot run `docker-credential-absent`"),
            "{err}"
        );
    }

    #[test]
    fn helper_token_user_means_an_identity_token() {
        let dir = tempfile::tempdir().unwrap();
        let store =
            config(dir.path(), r#"{"credsStore":"tok"}"#).with_helper_path(helpers().as_os_str().to_owned());
        let found = store.lookup("r.example").unwrap().unwrap();
        assert!(matches!(found.secret, Secret::IdentityToken(ref t) if t == "refresh"));
        assert!(found.basic_header().is_none());
    }
}
