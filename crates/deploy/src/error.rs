//! What can go wrong, saying what, where, and what to do next ([`Error::hint`]).

use std::path::PathBuf;

/// A deployment error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The layout could not be read.
    #[error("cannot read the image at `{path}`: {source}")]
    Image {
        /// The layout.
        path: PathBuf,
        /// Why.
        source: buckle_oci::Error,
    },
    /// The layout has no image.
    #[error("`{path}` holds no image")]
    NoImage {
        /// The layout.
        path: PathBuf,
    },
    /// The layout has several images and none was named.
    #[error("`{path}` holds several images ({})", names.join(", "))]
    SeveralImages {
        /// The layout.
        path: PathBuf,
        /// Their tags.
        names: Vec<String>,
    },
    /// The image's user is not numeric.
    #[error("the image at `{path}` runs as `{user}`, not a numeric uid:gid")]
    User {
        /// The layout.
        path: PathBuf,
        /// Its `User`.
        user: String,
    },
    /// The image runs as root.
    #[error("the image at `{path}` runs as root (uid 0), which the restricted profile forbids")]
    RunsAsRoot {
        /// The layout.
        path: PathBuf,
    },
    /// No port was given and the image does not declare exactly one.
    #[error("no port to serve: the image declares {}", describe_ports(.exposed))]
    NoPort {
        /// The TCP ports the image declares.
        exposed: Vec<u16>,
    },
    /// A value is not usable as a Kubernetes name.
    #[error("`{value}` is not a valid {what}: {reason}")]
    Invalid {
        /// What the value was for (`name`, `namespace`, `shard`).
        what: &'static str,
        /// The value.
        value: String,
        /// Why.
        reason: String,
    },
    /// A file could not be read or written.
    #[error("cannot {action} `{path}`: {source}")]
    Io {
        /// `read`, `write`, `create`.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A manifest file is not YAML.
    #[error("`{path}` (document {document}) is not valid YAML: {source}")]
    Yaml {
        /// The file.
        path: PathBuf,
        /// Its document, from 1.
        document: usize,
        /// Why.
        source: serde_yaml::Error,
    },
    /// An object could not be serialized.
    #[error("cannot write {what} as YAML: {source}")]
    Serialize {
        /// What.
        what: String,
        /// Why.
        source: serde_yaml::Error,
    },
}

impl Error {
    /// What to do next, where there is something to say.
    pub fn hint(&self) -> Option<&'static str> {
        Some(match self {
            Error::Image { .. } | Error::NoImage { .. } => {
                "name an OCI layout directory written by `buckle build` (out/NAME)"
            }
            Error::SeveralImages { .. } => "name one of them as DIR:TAG",
            Error::User { .. } => {
                "set `[image] user` in the spec to `nonroot` or a numeric `uid:gid` and rebuild"
            }
            Error::RunsAsRoot { .. } => "set `[image] user = \"nonroot\"` in the spec and rebuild",
            Error::NoPort { .. } => "pass --port PORT: the TCP port the application listens on",
            Error::Invalid { what: "shard", .. } => {
                "write --shard INDEX/COUNT, INDEX from 0 to COUNT - 1, e.g. 0/3"
            }
            Error::Invalid { what: "catalog", .. } => {
                "name a catalog directory of specs (*.toml) small enough for a ConfigMap"
            }
            Error::Invalid { .. } => {
                "use lowercase letters, digits and `-`, starting with a letter, at most 63 characters"
            }
            Error::Yaml { .. } => "fix the YAML or leave the file out",
            Error::Io { .. } | Error::Serialize { .. } => return None,
        })
    }
}

fn describe_ports(ports: &[u16]) -> String {
    match ports {
        [] => "no TCP port".to_owned(),
        ports => format!(
            "several TCP ports ({})",
            ports.iter().map(u16::to_string).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// A deployment result.
pub type Result<T, E = Error> = std::result::Result<T, E>;
