//! [`ImageConfig`] (OCI image spec, `config.md`), also read from Docker configs.

use crate::descriptor::oci_digest;
use crate::json::null_as_default;
use buckle_digest::Sha256;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// An image configuration. Fields this type does not know (Docker's
/// `container_config`, `Healthcheck`, ...) are kept in `extra` and written back.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ImageConfig {
    /// Creation time, RFC 3339 (see [`rfc3339_utc`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Who built the image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// CPU architecture (`amd64`, `arm64`).
    pub architecture: String,
    /// Operating system (`linux`).
    pub os: String,
    /// CPU variant (`v8`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// Defaults for running a container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<ContainerConfig>,
    /// The layers' diff_ids, bottom first.
    pub rootfs: RootFs,
    /// How each layer came to be.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub history: Vec<History>,
    /// Fields not modelled here, kept as found.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// The `config` object: how to run a container from the image.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerConfig {
    /// `user`, `uid`, `user:group` or `uid:gid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Ports to expose, as `port/proto` keys.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub exposed_ports: BTreeMap<String, EmptyObject>,
    /// `NAME=value` entries.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub env: Vec<String>,
    /// The command's fixed part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Vec<String>>,
    /// Default arguments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmd: Option<Vec<String>>,
    /// Directories that hold data, as keys.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub volumes: BTreeMap<String, EmptyObject>,
    /// Working directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    /// Labels.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub labels: BTreeMap<String, String>,
    /// Signal that stops the container (`SIGTERM`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_signal: Option<String>,
    /// Fields not modelled here, kept as found.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// The JSON value `{}`, used for the values of `ExposedPorts` and `Volumes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EmptyObject {}

/// The `rootfs` object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RootFs {
    /// Always `layers`.
    #[serde(rename = "type")]
    pub kind: String,
    /// sha256 of each uncompressed layer tar, bottom first.
    #[serde(with = "oci_digest::list")]
    pub diff_ids: Vec<Sha256>,
}

impl RootFs {
    /// `{"type": "layers", "diff_ids": ...}`.
    pub fn layers(diff_ids: Vec<Sha256>) -> Self {
        RootFs {
            kind: "layers".to_owned(),
            diff_ids,
        }
    }
}

impl Default for RootFs {
    fn default() -> Self {
        RootFs::layers(Vec::new())
    }
}

/// One `history` entry.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct History {
    /// When, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Who.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// What made the layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// A comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// True when the step made no layer.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub empty_layer: bool,
}

/// Formats seconds since the Unix epoch (a `SOURCE_DATE_EPOCH`) as RFC 3339 UTC,
/// `YYYY-MM-DDTHH:MM:SSZ`.
///
/// ```
/// assert_eq!(buckle_oci::rfc3339_utc(0), "1970-01-01T00:00:00Z");
/// assert_eq!(buckle_oci::rfc3339_utc(1_700_000_000), "2023-11-14T22:13:20Z");
/// ```
pub fn rfc3339_utc(epoch_seconds: u64) -> String {
    let days = epoch_seconds / 86_400;
    let secs = epoch_seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Gregorian (year, month, day) of a count of days since 1970-01-01, counting in
/// 400-year eras of 146 097 days that start on 1 March.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let shifted = days + 719_468; // days from 0000-03-01 to 1970-01-01
    let era = shifted / 146_097;
    let day_of_era = shifted % 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical_json;

    #[test]
    fn config_uses_spec_field_names() {
        let config = ImageConfig {
            created: Some(rfc3339_utc(1_700_000_000)),
            architecture: "amd64".into(),
            os: "linux".into(),
            config: Some(ContainerConfig {
                user: Some("65532:65532".into()),
                env: vec!["PATH=/usr/bin".into()],
                entrypoint: Some(vec!["/app".into()]),
                working_dir: Some("/home/nonroot".into()),
                exposed_ports: [("8080/tcp".to_owned(), EmptyObject {})].into(),
                ..ContainerConfig::default()
            }),
            rootfs: RootFs::layers(vec![Sha256::of(b"layer")]),
            history: vec![History {
                created_by: Some("buckle".into()),
                ..History::default()
            }],
            ..ImageConfig::default()
        };
        let json = String::from_utf8(canonical_json(&config).unwrap()).unwrap();
        assert_eq!(
            json,
            format!(
                concat!(
                    r#"{{"architecture":"amd64","config":{{"Entrypoint":["/app"],"Env":["PATH=/usr/bin"],"#,
                    r#""ExposedPorts":{{"8080/tcp":{{}}}},"User":"65532:65532","WorkingDir":"/home/nonroot"}},"#,
                    r#""created":"2023-11-14T22:13:20Z","history":[{{"created_by":"buckle"}}],"os":"linux","#,
                    r#""rootfs":{{"diff_ids":["sha256:{}"],"type":"layers"}}}}"#
                ),
                Sha256::of(b"layer")
            )
        );
        assert_eq!(serde_json::from_str::<ImageConfig>(&json).unwrap(), config);
    }

    #[test]
    fn unknown_docker_fields_survive_a_round_trip() {
        let docker = r#"{"architecture":"amd64","os":"linux","docker_version":"24.0.0",
            "config":{"Cmd":["sh"],"Healthcheck":{"Test":["NONE"]}},
            "rootfs":{"type":"layers","diff_ids":[]}}"#;
        let config: ImageConfig = serde_json::from_str(docker).unwrap();
        assert_eq!(config.extra.get("docker_version"), Some(&Value::from("24.0.0")));
        let json = String::from_utf8(canonical_json(&config).unwrap()).unwrap();
        assert!(json.contains(r#""Healthcheck":{"Test":["NONE"]}"#), "{json}");
    }

    #[test]
    fn rfc3339_handles_leap_years_and_century_rules() {
        assert_eq!(rfc3339_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_utc(4_107_542_399), "2100-02-28T23:59:59Z");
        assert_eq!(rfc3339_utc(4_107_542_400), "2100-03-01T00:00:00Z");
        assert_eq!(rfc3339_utc(1_735_689_599), "2024-12-31T23:59:59Z");
    }
}
