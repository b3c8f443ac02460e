//! `buckle factory k8s`: the image factory itself on Kubernetes, and the same sharding
//! as a GitHub Actions matrix. A CronJob starts an Indexed Job of N pods; pod i runs
//! `buckle update --rebuild --push --shard i/N` on the buckle image, hardened like any
//! deployment. The registry is the only shared state: each shard builds and pushes its
//! own images, and no two shards own the same spec ([`Shard`](crate::shard::Shard)).

use crate::base::dns_label;
use crate::error::{Error, Result};
use crate::files::Files;
use crate::harden::{self, Empty, Seccomp, Workload};
use crate::image::ImageFacts;
use crate::k8s::{
    ConfigMapVolume, CronJobSpec, EnvSource, EnvVar, FieldRef, JobSpec, JobTemplate, KeyToPath, Map,
    Metadata, NetworkPolicySpec, Object, PolicyPort, PolicyRule, ProjectedSource, ProjectedVolume,
    SecretVolume, Selector, Spec, Volume, VolumeMount,
};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Where the catalog is mounted in the pods.
pub const CATALOG_MOUNT: &str = "/catalog";
/// Where the pods write images, the cache and new locks.
pub const WORK_MOUNT: &str = "/work";
/// The ConfigMap kustomize generates from the catalog (`buckle-catalog-1`, `-2`, ...
/// after it when the catalog needs more than one).
pub const CATALOG_CONFIG_MAP: &str = "buckle-catalog";
/// The Secret with the registry's docker config, made by the person (optional).
pub const REGISTRY_SECRET: &str = "buckle-registry";
/// The most catalog bytes one ConfigMap holds (the API server's limit is 1 MiB).
const MAX_CONFIG_MAP_BYTES: usize = 1000 * 1024;
/// The Job's env var with the pod's index (set by the Job controller from an annotation).
const INDEX_VAR: &str = "JOB_COMPLETION_INDEX";

/// One file of the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogFile {
    /// Its path under the catalog directory, `/`-separated (`files/nginx/nginx.conf`).
    pub path: String,
    /// Its text.
    pub content: String,
}

/// Reads every file under `dir` (leaving out hidden ones), in path order.
pub fn read_catalog(dir: &Path) -> Result<Vec<CatalogFile>> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<CatalogFile>) -> Result<()> {
        let io = |path: &Path, source| Error::Io {
            action: "read",
            path: path.to_owned(),
            source,
        };
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| io(dir, e))?
            .map(|entry| entry.map(|e| e.path()))
            .collect::<std::io::Result<_>>()
            .map_err(|e| io(dir, e))?;
        entries.sort();
        for path in entries {
            if path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            {
                continue;
            }
            if path.is_dir() {
                walk(root, &path, out)?;
                continue;
            }
            let content = std::fs::read_to_string(&path).map_err(|e| io(&path, e))?;
            let relative = path.strip_prefix(root).unwrap_or(&path);
            let parts: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            out.push(CatalogFile {
                path: parts.join("/"),
                content,
            });
        }
        Ok(())
    }
    let mut files = Vec::new();
    walk(dir, dir, &mut files)?;
    if !files
        .iter()
        .any(|f| !f.path.contains('/') && f.path.ends_with(".toml"))
    {
        return Err(Error::Invalid {
            what: "catalog",
            value: dir.display().to_string(),
            reason: "it holds no spec (*.toml)".to_owned(),
        });
    }
    Ok(files)
}

/// What the person chose.
#[derive(Debug, Clone)]
pub struct FactoryOptions {
    /// How many shards (pods, matrix jobs).
    pub shards: u32,
    /// Where images are pushed (`registry.example/hardened`).
    pub registry: String,
    /// The CronJob's and the workflow's schedule (cron syntax, UTC).
    pub schedule: String,
    /// The namespace.
    pub namespace: String,
    /// The buckle image's name in the manifests.
    pub image_name: String,
    /// Where the cluster pulls the buckle image from.
    pub repository: Option<String>,
    /// The catalog directory as the repository names it (`catalog`), for the workflow.
    pub catalog_dir: String,
    /// The Debian mirror the pods use (they have no apt configuration).
    pub mirror: String,
    /// The Debian security mirror.
    pub security_mirror: String,
}

/// The factory's files: `k8s/` (a kustomize base with the catalog in it) and
/// `github/buckle-factory.yml`.
pub fn generate_factory(
    buckle: &ImageFacts,
    catalog: &[CatalogFile],
    options: &FactoryOptions,
) -> Result<Files> {
    let namespace = dns_label("namespace", &options.namespace)?;
    let name = "buckle-factory".to_owned();
    let labels: Map = [("app.kubernetes.io/name".to_owned(), name.clone())].into();
    let image = format!("{}@{}", options.image_name, buckle.digest.oci());
    let shards = options.shards;
    let registry_port = registry_port(&options.registry);

    let keys: Vec<(String, &CatalogFile)> = catalog.iter().map(|f| (config_map_key(&f.path), f)).collect();
    let mut seen = std::collections::BTreeSet::new();
    if let Some((key, _)) = keys.iter().find(|(key, _)| !seen.insert(key)) {
        return Err(Error::Invalid {
            what: "catalog",
            value: options.catalog_dir.clone(),
            reason: format!("two of its paths become the ConfigMap key `{key}`"),
        });
    }
    let config_maps = split_into_config_maps(&keys, &options.catalog_dir)?;
    let work = |sub: &str| format!("{WORK_MOUNT}/{sub}");
    let args = update_args(
        CATALOG_MOUNT,
        &options.registry,
        &format!("$({INDEX_VAR})/{shards}"),
        &work("out"),
        &work("locks"),
    );
    let workload = Workload {
        name: name.clone(),
        labels: labels.clone(),
        image: image.clone(),
        uid: buckle.uid,
        gid: buckle.gid,
        args,
        env: vec![
            EnvVar {
                name: INDEX_VAR.to_owned(),
                value: None,
                value_from: Some(EnvSource {
                    field_ref: FieldRef {
                        field_path: "metadata.annotations['batch.kubernetes.io/job-completion-index']"
                            .to_owned(),
                    },
                }),
            },
            EnvVar::value("BUCKLE_MIRROR", &options.mirror),
            EnvVar::value("BUCKLE_SECURITY_MIRROR", &options.security_mirror),
            EnvVar::value("BUCKLE_CACHE", &work("cache")),
            EnvVar::value("DOCKER_CONFIG", "/var/run/buckle/registry"),
        ],
        port: None,
        writable: vec![
            ("/tmp".to_owned(), "1Gi".to_owned()),
            (WORK_MOUNT.to_owned(), "16Gi".to_owned()),
        ],
        resources: harden::resources(["1", "2Gi", "8Gi"], ["2", "4Gi", "20Gi"]),
        seccomp: Seccomp::RuntimeDefault,
        restart_policy: Some("Never"),
        extra_volumes: vec![
            (
                Volume {
                    name: "catalog".to_owned(),
                    empty_dir: None,
                    projected: Some(ProjectedVolume {
                        sources: config_maps
                            .iter()
                            .map(|(name, files)| ProjectedSource {
                                config_map: ConfigMapVolume {
                                    name: name.clone(),
                                    items: files
                                        .iter()
                                        .map(|(key, file)| KeyToPath {
                                            key: key.clone(),
                                            path: file.path.clone(),
                                        })
                                        .collect(),
                                },
                            })
                            .collect(),
                    }),
                    secret: None,
                },
                VolumeMount {
                    name: "catalog".to_owned(),
                    mount_path: CATALOG_MOUNT.to_owned(),
                    read_only: Some(true),
                },
            ),
            (
                Volume {
                    name: "registry".to_owned(),
                    empty_dir: None,
                    projected: None,
                    secret: Some(SecretVolume {
                        secret_name: REGISTRY_SECRET.to_owned(),
                        optional: true,
                        items: vec![KeyToPath {
                            key: ".dockerconfigjson".to_owned(),
                            path: "config.json".to_owned(),
                        }],
                    }),
                },
                VolumeMount {
                    name: "registry".to_owned(),
                    mount_path: "/var/run/buckle/registry".to_owned(),
                    read_only: Some(true),
                },
            ),
        ],
    };
    let metadata = || Metadata {
        name: Some(name.clone()),
        labels: labels.clone(),
        ..Metadata::default()
    };

    let mut files = Files::default();
    files.yaml("k8s/namespace.yaml", &harden::restricted_namespace(&namespace))?;
    files.yaml("k8s/serviceaccount.yaml", &harden::service_account(metadata()))?;
    let mut egress_ports: Vec<u16> = vec![80, 443];
    egress_ports.extend(registry_port.filter(|p| !egress_ports.contains(p)));
    files.yaml(
        "k8s/networkpolicy.yaml",
        &Object {
            api_version: "networking.k8s.io/v1",
            kind: "NetworkPolicy",
            metadata: metadata(),
            body: Spec {
                spec: NetworkPolicySpec {
                    pod_selector: Selector {
                        match_labels: labels.clone(),
                    },
                    policy_types: vec!["Ingress", "Egress"],
                    ingress: vec![],
                    egress: vec![
                        harden::dns_egress(),
                        PolicyRule {
                            to: vec![],
                            ports: egress_ports
                                .into_iter()
                                .map(|port| PolicyPort {
                                    protocol: "TCP",
                                    port,
                                })
                                .collect(),
                        },
                    ],
                },
            },
        },
    )?;
    files.yaml(
        "k8s/cronjob.yaml",
        &Object {
            api_version: "batch/v1",
            kind: "CronJob",
            metadata: metadata(),
            body: Spec {
                spec: CronJobSpec {
                    schedule: options.schedule.clone(),
                    concurrency_policy: "Forbid",
                    successful_jobs_history_limit: 3,
                    failed_jobs_history_limit: 3,
                    job_template: JobTemplate {
                        metadata: Metadata {
                            labels: labels.clone(),
                            ..Metadata::default()
                        },
                        spec: JobSpec {
                            completion_mode: "Indexed",
                            completions: shards,
                            parallelism: shards,
                            backoff_limit_per_index: 2,
                            active_deadline_seconds: 6 * 3600,
                            ttl_seconds_after_finished: 24 * 3600,
                            template: workload.template(),
                        },
                    },
                },
            },
        },
    )?;
    for file in catalog {
        files.text(&format!("k8s/catalog/{}", file.path), file.content.clone());
    }
    files.yaml(
        "k8s/kustomization.yaml",
        &Kustomization {
            api_version: "kustomize.config.k8s.io/v1beta1",
            kind: "Kustomization",
            namespace,
            resources: [
                "namespace.yaml",
                "serviceaccount.yaml",
                "networkpolicy.yaml",
                "cronjob.yaml",
            ]
            .map(str::to_owned)
            .to_vec(),
            config_map_generator: config_maps
                .iter()
                .map(|(name, files)| Generator {
                    name: name.clone(),
                    files: files
                        .iter()
                        .map(|(key, file)| format!("{key}=catalog/{}", file.path))
                        .collect(),
                })
                .collect(),
            images: vec![ImageOverride {
                name: options.image_name.clone(),
                new_name: options.repository.clone(),
                digest: buckle.digest.oci(),
            }],
        },
    )?;
    files.text("github/buckle-factory.yml", workflow(buckle, options)?);
    Ok(files)
}

/// The arguments of `buckle update` for one shard.
fn update_args(catalog: &str, registry: &str, shard: &str, out: &str, locks: &str) -> Vec<String> {
    [
        "update",
        catalog,
        "--rebuild",
        "--push",
        registry,
        "--shard",
        shard,
        "--output-dir",
        out,
        "--lock-dir",
        locks,
    ]
    .map(str::to_owned)
    .to_vec()
}

/// ConfigMap key and file pairs.
type Entries<'a> = Vec<(String, &'a CatalogFile)>;

/// The catalog's files dealt in order into ConfigMaps of at most
/// [`MAX_CONFIG_MAP_BYTES`] each: `buckle-catalog`, then `buckle-catalog-1`, ...
/// The pods see them as one directory (a projected volume).
fn split_into_config_maps<'a>(
    keys: &[(String, &'a CatalogFile)],
    catalog_dir: &str,
) -> Result<Vec<(String, Entries<'a>)>> {
    let mut parts: Vec<Entries<'a>> = vec![Vec::new()];
    let mut size = 0;
    for (key, file) in keys {
        let bytes = key.len() + file.content.len();
        if bytes > MAX_CONFIG_MAP_BYTES {
            return Err(Error::Invalid {
                what: "catalog",
                value: catalog_dir.to_owned(),
                reason: format!(
                    "`{}` alone is {bytes} bytes, more than one ConfigMap holds ({MAX_CONFIG_MAP_BYTES})",
                    file.path
                ),
            });
        }
        if size + bytes > MAX_CONFIG_MAP_BYTES {
            parts.push(Vec::new());
            size = 0;
        }
        size += bytes;
        parts
            .last_mut()
            .expect("parts starts with one")
            .push((key.clone(), *file));
    }
    Ok(parts
        .into_iter()
        .enumerate()
        .map(|(i, files)| {
            let name = match i {
                0 => CATALOG_CONFIG_MAP.to_owned(),
                i => format!("{CATALOG_CONFIG_MAP}-{i}"),
            };
            (name, files)
        })
        .collect())
}

/// A ConfigMap key for a catalog path (keys may not hold `/`).
fn config_map_key(path: &str) -> String {
    path.replace('/', "..")
}

/// The port of `host:port/path`, when it names one.
fn registry_port(prefix: &str) -> Option<u16> {
    let host = prefix.split('/').next()?;
    host.rsplit_once(':').and_then(|(_, port)| port.parse().ok())
}

/// The GitHub Actions workflow: the same shards as a matrix, each running the same
/// pinned buckle image with the same hardening (read-only root, no capabilities, no
/// new privileges, non-root), the catalog mounted read-only, the new locks uploaded.
fn workflow(buckle: &ImageFacts, options: &FactoryOptions) -> Result<String> {
    let image = match &options.repository {
        Some(repository) => format!("{repository}@{}", buckle.digest.oci()),
        None => format!("{}@{}", options.image_name, buckle.digest.oci()),
    };
    let shard = format!("${{{{ matrix.shard }}}}/{}", options.shards);
    let args = update_args(
        CATALOG_MOUNT,
        &options.registry,
        &shard,
        "/work/out",
        "/work/locks",
    );
    let run = format!(
        "mkdir -p \"$RUNNER_TEMP/work\" \"$RUNNER_TEMP/registry\"\n\
         printf '%s' \"$REGISTRY_CONFIG\" > \"$RUNNER_TEMP/registry/config.json\"\n\
         docker run --rm --read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges \\\n  \
         --user \"$(id -u):$(id -g)\" \\\n  \
         -v \"$PWD/{catalog}:{CATALOG_MOUNT}:ro\" -v \"$RUNNER_TEMP/work:/work\" \\\n  \
         -v \"$RUNNER_TEMP/registry:/var/run/buckle/registry:ro\" -e DOCKER_CONFIG=/var/run/buckle/registry \\\n  \
         -e BUCKLE_MIRROR -e BUCKLE_SECURITY_MIRROR -e BUCKLE_CACHE=/work/cache \\\n  \
         {image} {args}\n",
        catalog = options.catalog_dir.trim_end_matches('/'),
        args = args.join(" "),
    );
    let workflow = Workflow {
        name: "buckle factory",
        on: Triggers {
            schedule: vec![Cron {
                cron: options.schedule.clone(),
            }],
            workflow_dispatch: Empty {},
        },
        permissions: [("contents", "read")].into_iter().collect(),
        concurrency: Concurrency {
            group: "buckle-factory",
            cancel_in_progress: false,
        },
        jobs: [(
            "update",
            Job {
                runs_on: "ubuntu-latest",
                timeout_minutes: 360,
                strategy: Strategy {
                    fail_fast: false,
                    matrix: Matrix {
                        shard: (0..options.shards).collect(),
                    },
                },
                env: [
                    ("BUCKLE_MIRROR", options.mirror.clone()),
                    ("BUCKLE_SECURITY_MIRROR", options.security_mirror.clone()),
                    (
                        "REGISTRY_CONFIG",
                        "${{ secrets.BUCKLE_REGISTRY_CONFIG }}".to_owned(),
                    ),
                ]
                .into_iter()
                .collect(),
                steps: vec![
                    Step {
                        name: "Check out the catalog",
                        uses: Some("actions/checkout@v4"),
                        with: [("persist-credentials", "false".to_owned())]
                            .into_iter()
                            .collect(),
                        run: None,
                    },
                    Step {
                        name: "Rebuild and push this shard's images",
                        uses: None,
                        with: Default::default(),
                        run: Some(run),
                    },
                    Step {
                        name: "Keep the new locks",
                        uses: Some("actions/upload-artifact@v4"),
                        with: [
                            ("name", "locks-${{ matrix.shard }}".to_owned()),
                            ("path", "${{ runner.temp }}/work/locks".to_owned()),
                            ("if-no-files-found", "ignore".to_owned()),
                        ]
                        .into_iter()
                        .collect(),
                        run: None,
                    },
                ],
            },
        )]
        .into_iter()
        .collect(),
    };
    serde_yaml::to_string(&workflow).map_err(|source| Error::Serialize {
        what: "the workflow".to_owned(),
        source,
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Kustomization {
    api_version: &'static str,
    kind: &'static str,
    namespace: String,
    resources: Vec<String>,
    config_map_generator: Vec<Generator>,
    images: Vec<ImageOverride>,
}

#[derive(Serialize)]
struct Generator {
    name: String,
    files: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ImageOverride {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    new_name: Option<String>,
    digest: String,
}

#[derive(Serialize)]
struct Workflow {
    name: &'static str,
    on: Triggers,
    permissions: std::collections::BTreeMap<&'static str, &'static str>,
    concurrency: Concurrency,
    jobs: std::collections::BTreeMap<&'static str, Job>,
}

#[derive(Serialize)]
struct Triggers {
    schedule: Vec<Cron>,
    workflow_dispatch: Empty,
}

#[derive(Serialize)]
struct Cron {
    cron: String,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Concurrency {
    group: &'static str,
    cancel_in_progress: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Job {
    runs_on: &'static str,
    timeout_minutes: u32,
    strategy: Strategy,
    env: std::collections::BTreeMap<&'static str, String>,
    steps: Vec<Step>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Strategy {
    fail_fast: bool,
    matrix: Matrix,
}

#[derive(Serialize)]
struct Matrix {
    shard: Vec<u32>,
}

#[derive(Serialize)]
struct Step {
    name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    uses: Option<&'static str>,
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    with: std::collections::BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    run: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_ports_and_config_map_keys() {
        assert_eq!(registry_port("registry.example:5000/hardened"), Some(5000));
        assert_eq!(registry_port("registry.example/hardened"), None);
        assert_eq!(
            config_map_key("files/nginx/nginx.conf"),
            "files..nginx..nginx.conf"
        );
    }
}
