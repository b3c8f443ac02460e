//! Writes that well-known servers make at start-up, which fail under a read-only root
//! file system unless a volume covers them.
//!
//! nginx is judged from the directives of `/etc/nginx/nginx.conf` that make it write
//! (`pid`, `error_log`, `access_log`, `*_temp_path`), each falling back to the default
//! of the build found: Debian's (`/run/nginx.pid`, `/var/lib/nginx/body`, ...) or
//! nginx.org's when `/var/cache/nginx` exists (`/var/run/nginx.pid`,
//! `/var/cache/nginx/client_temp`, ...). Included files are not read. The others are
//! judged by the run directories of their Debian packages: apache2's come from Debian's
//! configuration (`/etc/apache2/envvars`), so an apache2 without it (apache2-bin with its
//! own configuration) is not judged; php-fpm's are the absolute paths its configuration
//! names (`pid`, `error_log`, a Unix socket's `listen`, `access.log`, `slowlog`) in
//! `/etc/php/<version>/fpm/php-fpm.conf` and the `pool.d` files it includes, or Debian's
//! `/run/php` without that file; postgres's socket directory is the one
//! `unix_socket_directories=` on the entrypoint or cmd names, if any. A path is covered when it
//! resolves (links followed) under a `Volumes` entry, or into `/dev` or `/proc` (logs
//! linked to `/dev/stdout`).

use super::{Context, Outcome};
use crate::report::Evidence;
use crate::view::{absolute, ImageView};
use buckle_oci::RelPath;

/// (server, how its program is recognised, what it writes at start-up).
type Server = (&'static str, fn(&str) -> bool, &'static [&'static str]);

const SERVERS: [Server; 3] = [
    (
        "apache2",
        |p| p == "etc/apache2/envvars",
        &["var/run/apache2", "var/lock/apache2", "var/log/apache2"],
    ),
    ("sshd", |p| p == "usr/sbin/sshd", &["run/sshd"]),
    (
        "postgres",
        |p| p.starts_with("usr/lib/postgresql/") && p.ends_with("/bin/postgres"),
        &["var/run/postgresql"],
    ),
];

/// nginx's writing directives with their Debian and nginx.org defaults (`None`: no
/// write unless the configuration asks for one).
const NGINX_DIRECTIVES: [(&str, Option<&str>, Option<&str>); 8] = [
    ("pid", Some("run/nginx.pid"), Some("var/run/nginx.pid")),
    ("error_log", None, None),
    (
        "access_log",
        Some("var/log/nginx/access.log"),
        Some("var/log/nginx/access.log"),
    ),
    (
        "client_body_temp_path",
        Some("var/lib/nginx/body"),
        Some("var/cache/nginx/client_temp"),
    ),
    (
        "proxy_temp_path",
        Some("var/lib/nginx/proxy"),
        Some("var/cache/nginx/proxy_temp"),
    ),
    (
        "fastcgi_temp_path",
        Some("var/lib/nginx/fastcgi"),
        Some("var/cache/nginx/fastcgi_temp"),
    ),
    (
        "uwsgi_temp_path",
        Some("var/lib/nginx/uwsgi"),
        Some("var/cache/nginx/uwsgi_temp"),
    ),
    (
        "scgi_temp_path",
        Some("var/lib/nginx/scgi"),
        Some("var/cache/nginx/scgi_temp"),
    ),
];

pub(super) fn startup_writes(cx: &Context<'_>) -> Outcome {
    let view = cx.view;
    let mut writes: Vec<(String, String)> = Vec::new();
    let mut servers = Vec::new();
    if exists(view, "usr/sbin/nginx") {
        servers.push("nginx");
        writes.extend(nginx_writes(view));
    }
    let config = view.container();
    let socket_directories = config
        .entrypoint
        .iter()
        .flatten()
        .chain(config.cmd.iter().flatten())
        .find_map(|arg| arg.strip_prefix("unix_socket_directories="))
        .map(|dirs| -> Vec<String> {
            dirs.split(',')
                .map(|d| d.trim().trim_start_matches('/').to_owned())
                .filter(|d| !d.is_empty())
                .collect()
        });
    if view
        .files
        .keys()
        .any(|p| p.as_str().starts_with("usr/sbin/php-fpm"))
    {
        servers.push("php-fpm");
        writes.extend(php_fpm_writes(view));
    }
    for (name, is_program, paths) in SERVERS {
        if view.files.keys().any(|p| is_program(p.as_str())) {
            servers.push(name);
            let paths: Vec<String> = match (&socket_directories, name) {
                (Some(dirs), "postgres") => dirs.clone(),
                _ => paths.iter().map(|p| (*p).to_owned()).collect(),
            };
            writes.extend(paths.into_iter().map(|p| (p, format!("{name} run directory"))));
        }
    }
    if servers.is_empty() {
        return Outcome::not_applicable(
            "no server with known start-up writes (nginx, apache2, php-fpm, sshd, postgres)",
        );
    }
    let volumes = volumes(view);
    let uncovered: Vec<Evidence> = writes
        .into_iter()
        .filter(|(path, _)| !covered(view, path, &volumes))
        .map(|(path, why)| Evidence::at(format!("/{path}")).detail(why))
        .collect();
    let names = servers.join(", ");
    if uncovered.is_empty() {
        let shown: Vec<String> = volumes.iter().map(absolute).collect();
        let under = if shown.is_empty() {
            "/dev, /proc".to_owned()
        } else {
            shown.join(", ")
        };
        return Outcome::pass(format!("every start-up write of {names} is covered ({under})"));
    }
    Outcome::fail(
        format!("{names} would write outside any volume at start-up, which fails under a read-only root"),
        uncovered,
    )
}

fn exists(view: &ImageView, path: &str) -> bool {
    RelPath::new(path).ok().and_then(|p| view.resolve(&p)).is_some()
}

/// The paths nginx writes at start-up, with the directive behind each.
fn nginx_writes(view: &ImageView) -> Vec<(String, String)> {
    let conf = view
        .content("etc/nginx/nginx.conf")
        .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
        .unwrap_or_default();
    let statements = statements(&conf);
    let official = exists(view, "var/cache/nginx");
    NGINX_DIRECTIVES
        .iter()
        .filter_map(|(directive, debian, nginx_org)| {
            let configured = statements
                .iter()
                .find(|(name, _)| name == directive)
                .map(|(_, v)| v.as_str());
            let path = match configured {
                Some(value) => writes_to(value)?,
                None => (if official { *nginx_org } else { *debian })?.to_owned(),
            };
            let source = if configured.is_some() {
                "nginx.conf"
            } else {
                "default"
            };
            Some((path, format!("nginx `{directive}` ({source})")))
        })
        .collect()
}

/// PHP-FPM's directives that name a file it writes (or, for `listen`, a Unix socket).
const FPM_DIRECTIVES: [&str; 5] = ["pid", "error_log", "listen", "access.log", "slowlog"];

/// The paths php-fpm writes at start-up: the absolute paths its configuration gives the
/// [`FPM_DIRECTIVES`], in each version's `php-fpm.conf` and the pool files an `include`
/// of it names (`.../pool.d/*.conf`); Debian's run directory when there is no
/// configuration to read.
fn php_fpm_writes(view: &ImageView) -> Vec<(String, String)> {
    let kept = |path: &RelPath| {
        view.content(path.as_str())
            .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
    };
    let configs: Vec<(RelPath, String)> = view
        .files
        .keys()
        .filter(|p| p.as_str().starts_with("etc/php/") && p.as_str().ends_with("/fpm/php-fpm.conf"))
        .filter_map(|p| Some((p.clone(), kept(p)?)))
        .collect();
    if configs.is_empty() {
        return vec![(
            "run/php".to_owned(),
            "php-fpm run directory (Debian's default)".to_owned(),
        )];
    }
    let mut writes = Vec::new();
    for (path, conf) in configs {
        let settings = ini_settings(&conf);
        let mut files = vec![(path.clone(), settings.clone())];
        for (_, include) in settings.iter().filter(|(key, _)| key == "include") {
            let Some(dir) = include.strip_suffix("/*.conf") else {
                continue;
            };
            let dir = dir.trim_start_matches('/');
            files.extend(
                view.files
                    .keys()
                    .filter(|p| {
                        p.parent().is_some_and(|d| d.as_str() == dir) && p.as_str().ends_with(".conf")
                    })
                    .filter_map(|p| Some((p.clone(), ini_settings(&kept(p)?)))),
            );
        }
        for (file, settings) in files {
            for (key, value) in settings {
                if FPM_DIRECTIVES.contains(&key.as_str()) && value.starts_with('/') {
                    let why = format!("php-fpm `{key}` ({})", absolute(&file));
                    writes.push((value.trim_start_matches('/').to_owned(), why));
                }
            }
        }
    }
    writes
}

/// The `key = value` settings of an ini-style file, comments (`;`, `#`) and sections
/// dropped, quotes around values removed.
fn ini_settings(conf: &str) -> Vec<(String, String)> {
    conf.lines()
        .map(str::trim)
        .filter(|line| !line.starts_with([';', '#', '[']))
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| {
            let value = value.trim().trim_matches('"');
            (key.trim().to_owned(), value.to_owned())
        })
        .collect()
}

/// `(directive, first argument)` of each statement, comments dropped, blocks flattened.
fn statements(conf: &str) -> Vec<(String, String)> {
    let text: String = conf
        .lines()
        .map(|line| line.split('#').next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    text.split([';', '{', '}'])
        .filter_map(|statement| {
            let mut words = statement.split_whitespace();
            let name = words.next()?.to_owned();
            let value = words
                .next()
                .unwrap_or_default()
                .trim_matches(|c| c == '"' || c == '\'');
            Some((name, value.to_owned()))
        })
        .collect()
}

/// The path a directive's value writes to, or `None` for `off`, `stderr`, syslog and
/// `/dev` targets.
fn writes_to(value: &str) -> Option<String> {
    let quiet = value.is_empty()
        || value == "off"
        || value == "stderr"
        || value.starts_with("syslog:")
        || value.starts_with("memory:")
        || value.starts_with("/dev/");
    (!quiet).then(|| value.trim_start_matches('/').to_owned())
}

/// The declared volumes, canonical.
fn volumes(view: &ImageView) -> Vec<RelPath> {
    view.container()
        .volumes
        .keys()
        .filter_map(|v| RelPath::new(v.trim_start_matches('/')).ok())
        .filter_map(|v| view.canonical(&v, true))
        .collect()
}

fn covered(view: &ImageView, path: &str, volumes: &[RelPath]) -> bool {
    let Some(canonical) = RelPath::new(path).ok().and_then(|p| view.canonical(&p, true)) else {
        return false;
    };
    let first = canonical.components().next().unwrap_or_default();
    first == "dev" || first == "proc" || volumes.iter().any(|v| canonical.starts_with(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nginx_statements_are_found_in_blocks_without_comments() {
        let conf = "pid /tmp/nginx.pid; # pid /run/x.pid;\nhttp {\n  access_log \"/dev/stdout\";\n  proxy_temp_path /tmp/proxy 1 2;\n}\n";
        let found = statements(conf);
        assert!(
            found.contains(&("pid".into(), "/tmp/nginx.pid".into())),
            "{found:?}"
        );
        assert!(
            found.contains(&("access_log".into(), "/dev/stdout".into())),
            "{found:?}"
        );
        assert!(
            found.contains(&("proxy_temp_path".into(), "/tmp/proxy".into())),
            "{found:?}"
        );
        assert!(!found.iter().any(|(_, v)| v == "/run/x.pid"), "{found:?}");
        assert_eq!(writes_to("/dev/stdout"), None);
        assert_eq!(writes_to("off"), None);
        assert_eq!(writes_to("/var/log/x.log").as_deref(), Some("var/log/x.log"));
    }
}
