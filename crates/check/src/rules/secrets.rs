//! Secrets baked into the image: secret files in the final file system, secret files
//! that only a lower layer still holds, and secret values in Env, labels,
//! annotations and build history.

use super::{Context, Outcome};
use crate::pem;
use crate::report::Evidence;
use crate::view::{absolute, FileView, ImageView};
use buckle_oci::tar::Whiteout;
use buckle_oci::RelPath;
use std::collections::BTreeMap;

/// The kinds of secret files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Class {
    PrivateKey,
    CloudCredentials,
    SshHostKey,
    Dotenv,
    ShellHistory,
    GitDir,
}

/// History files of shells and REPLs.
const HISTORY_FILES: [&str; 11] = [
    ".bash_history",
    ".zsh_history",
    ".sh_history",
    ".ash_history",
    ".history",
    ".python_history",
    ".mysql_history",
    ".psql_history",
    ".node_repl_history",
    ".sqlite_history",
    ".rediscli_history",
];

/// `.env.<suffix>` files that are templates, not secrets.
const DOTENV_TEMPLATES: [&str; 5] = ["example", "sample", "template", "dist", "defaults"];

/// What to report for a file: its class, the path to name (the `.git` or `.azure`
/// directory for files inside one) and a detail.
fn classify(file: &FileView) -> Option<(Class, RelPath, String)> {
    let path = &file.entry.path;
    let components: Vec<&str> = path.components().collect();
    let name = *components.last()?;
    if let Some(dir) = prefix_through(path, &components, ".git") {
        return Some((Class::GitDir, dir, "repository history".to_owned()));
    }
    if let Some(dir) = prefix_through(path, &components, ".azure") {
        return Some((
            Class::CloudCredentials,
            dir,
            "Azure CLI profile and tokens".to_owned(),
        ));
    }
    if !file.is_file() {
        return None;
    }
    if let [.., ".aws", "credentials"] = components.as_slice() {
        return Some((
            Class::CloudCredentials,
            path.clone(),
            "AWS shared credentials".to_owned(),
        ));
    }
    if is_gcloud_credentials(&components) {
        return Some((
            Class::CloudCredentials,
            path.clone(),
            "gcloud credentials".to_owned(),
        ));
    }
    if components.len() == 3
        && components.starts_with(&["etc", "ssh"])
        && name.starts_with("ssh_host_")
        && name.ends_with("_key")
    {
        return Some((Class::SshHostKey, path.clone(), "SSH host private key".to_owned()));
    }
    if let Some(label) = file.content.as_deref().and_then(pem::private_key_label) {
        return Some((Class::PrivateKey, path.clone(), format!("PEM `{label}`")));
    }
    if is_dotenv(name) {
        return Some((
            Class::Dotenv,
            path.clone(),
            format!("{} bytes", file.entry.size()),
        ));
    }
    if HISTORY_FILES.contains(&name) && file.entry.size() > 0 {
        return Some((
            Class::ShellHistory,
            path.clone(),
            format!("{} bytes", file.entry.size()),
        ));
    }
    None
}

/// The path up to and including the first component named `dir`.
fn prefix_through(path: &RelPath, components: &[&str], dir: &str) -> Option<RelPath> {
    let at = components.iter().position(|c| *c == dir)?;
    if at + 1 == components.len() {
        return Some(path.clone());
    }
    RelPath::new(&components.get(..=at)?.join("/")).ok()
}

fn is_gcloud_credentials(components: &[&str]) -> bool {
    let Some(at) = components.windows(2).position(|w| w == [".config", "gcloud"]) else {
        return false;
    };
    components
        .iter()
        .skip(at + 2)
        .any(|c| c.contains("credentials") || *c == "access_tokens.db")
}

fn is_dotenv(name: &str) -> bool {
    name == ".env"
        || name
            .strip_prefix(".env.")
            .is_some_and(|suffix| !suffix.is_empty() && !DOTENV_TEMPLATES.contains(&suffix))
}

/// The secret files of `class` in the final file system, one piece of evidence per path.
fn in_final(view: &ImageView, class: Class) -> Vec<Evidence> {
    let mut found: BTreeMap<RelPath, String> = BTreeMap::new();
    for file in view.files.values() {
        if let Some((c, path, detail)) = classify(file) {
            if c == class {
                found.entry(path).or_insert(detail);
            }
        }
    }
    found
        .into_iter()
        .map(|(path, detail)| Evidence::at(absolute(&path)).detail(detail))
        .collect()
}

fn judge_files(cx: &Context<'_>, class: Class, none: &str, summary: &str) -> Outcome {
    let found = in_final(cx.view, class);
    if found.is_empty() {
        return Outcome::pass(none);
    }
    Outcome::fail(summary, found)
}

pub(super) fn private_keys(cx: &Context<'_>) -> Outcome {
    judge_files(
        cx,
        Class::PrivateKey,
        "no PEM private keys",
        "private keys are in the image",
    )
}

pub(super) fn cloud_credentials(cx: &Context<'_>) -> Outcome {
    judge_files(
        cx,
        Class::CloudCredentials,
        "no cloud credential files",
        "cloud credential files are in the image",
    )
}

pub(super) fn ssh_host_keys(cx: &Context<'_>) -> Outcome {
    judge_files(
        cx,
        Class::SshHostKey,
        "no SSH host keys",
        "SSH host private keys are in the image",
    )
}

pub(super) fn dotenv(cx: &Context<'_>) -> Outcome {
    judge_files(cx, Class::Dotenv, "no .env files", ".env files are in the image")
}

pub(super) fn shell_history(cx: &Context<'_>) -> Outcome {
    judge_files(
        cx,
        Class::ShellHistory,
        "no shell or REPL history files",
        "history files are in the image",
    )
}

pub(super) fn git_dirs(cx: &Context<'_>) -> Outcome {
    judge_files(
        cx,
        Class::GitDir,
        "no .git directories",
        ".git directories are in the image",
    )
}

/// Secret files that a layer holds but the final file system does not show (removed
/// by a whiteout, or replaced by a later layer with something that is not a secret).
pub(super) fn in_history(cx: &Context<'_>) -> Outcome {
    let view = cx.view;
    let mut found: BTreeMap<(RelPath, usize), String> = BTreeMap::new();
    for (index, layer) in view.layers.iter().enumerate() {
        for file in &layer.files {
            let Some((class, path, detail)) = classify(file) else {
                continue;
            };
            let still_there = view
                .files
                .get(&file.entry.path)
                .and_then(classify)
                .is_some_and(|(c, _, _)| c == class);
            if !still_there {
                let hidden = hidden_by(view, &file.entry.path, index)
                    .map(|later| format!(", hidden by layer {later}"))
                    .unwrap_or_default();
                let made_by = layer
                    .history
                    .as_ref()
                    .and_then(|h| h.created_by.as_deref())
                    .map(|c| format!(", added by `{}`", shorten(c)))
                    .unwrap_or_default();
                found
                    .entry((path, index))
                    .or_insert(format!("{detail}{made_by}{hidden}"));
            }
        }
    }
    if found.is_empty() {
        return Outcome::pass("no secret files hidden in lower layers");
    }
    let evidence = found
        .into_iter()
        .map(|((path, layer), detail)| Evidence::at(absolute(&path)).in_layer(layer).detail(detail))
        .collect();
    Outcome::fail(
        "secret files are gone from the final file system but present in history",
        evidence,
    )
}

/// The first layer above `layer` that removes `path` (a whiteout of it or of a
/// directory above it, an opaque directory above it) or replaces it.
fn hidden_by(view: &ImageView, path: &RelPath, layer: usize) -> Option<usize> {
    view.layers
        .iter()
        .enumerate()
        .skip(layer + 1)
        .find_map(|(index, later)| {
            let removed = later.whiteouts.iter().any(|w| match w {
                Whiteout::Remove(gone) => path.starts_with(gone),
                Whiteout::Opaque(dir) => path.starts_with(dir) && path != dir,
            });
            let replaced = later.files.iter().any(|f| &f.entry.path == path);
            (removed || replaced).then_some(index)
        })
}

/// At most 60 characters of a history command.
fn shorten(command: &str) -> String {
    let command = command.trim();
    if command.chars().count() <= 60 {
        return command.to_owned();
    }
    format!("{}...", command.chars().take(60).collect::<String>())
}

/// Secret values in Env, labels, annotations and history.
pub(super) fn in_metadata(cx: &Context<'_>) -> Outcome {
    let view = cx.view;
    let mut found = Vec::new();
    for pair in &view.container().env {
        let (name, value) = pair.split_once('=').unwrap_or((pair.as_str(), ""));
        if let Some(detail) = judge(name, value) {
            found.push(Evidence::at(format!("config:Env/{name}")).detail(detail));
        }
    }
    for (key, value, kind) in view.metadata() {
        if let Some(detail) = judge(key, value) {
            found.push(Evidence::at(format!("{kind}:{key}")).detail(detail));
        }
    }
    for (index, entry) in view.config.history.iter().enumerate() {
        let created_by = entry.created_by.as_deref().unwrap_or_default();
        for (name, value) in assignments(created_by) {
            if let Some(detail) = judge(name, value) {
                found.push(Evidence::at(format!("history:{index}")).detail(format!("`{name}`: {detail}")));
            }
        }
    }
    if found.is_empty() {
        return Outcome::pass("no secret-looking values in Env, labels, annotations or history");
    }
    Outcome::fail("secret-looking values are in the image metadata", found)
}

/// `NAME=value` words of a history command (ENV and ARG steps, and the `|N NAME=value`
/// prefix of RUN steps that used build arguments).
fn assignments(created_by: &str) -> impl Iterator<Item = (&str, &str)> {
    created_by.split_whitespace().filter_map(|word| {
        let (name, value) = word.split_once('=')?;
        let valid = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !value.starts_with('=');
        valid.then(|| (name, value.trim_matches(|c| c == '"' || c == '\'')))
    })
}

/// Name endings that describe a secret without being one (`DB_PASSWORD_FILE`).
const NOT_SECRET_ENDINGS: [&str; 14] = [
    "FILE", "PATH", "DIR", "URL", "URI", "HOST", "PORT", "USER", "USERNAME", "NAME", "LENGTH", "ENABLED",
    "ID", "TYPE",
];

/// Why `name=value` looks like a secret (never the value itself), if it does.
fn judge(name: &str, value: &str) -> Option<String> {
    let value = value.trim();
    if let Some(kind) = secret_value(value) {
        return Some(format!("value looks like {kind}"));
    }
    let reference = value.is_empty() || value.starts_with('$') || value.starts_with('/');
    let flag = matches!(
        value.to_ascii_lowercase().as_str(),
        "true" | "false" | "yes" | "no"
    );
    (secret_name(name) && !reference && !flag)
        .then(|| format!("value of {} characters", value.chars().count()))
}

fn secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    let words: Vec<&str> = upper
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    if words.last().is_some_and(|last| NOT_SECRET_ENDINGS.contains(last)) {
        return false;
    }
    let pair = |a: &str, b: &str| words.windows(2).any(|w| w == [a, b]);
    ["PASSWORD", "PASSWD", "SECRET"].iter().any(|w| upper.contains(w))
        || words
            .iter()
            .any(|w| w.ends_with("TOKEN") || *w == "APIKEY" || *w == "CREDENTIALS")
        || pair("API", "KEY")
        || pair("PRIVATE", "KEY")
        || pair("ACCESS", "KEY")
}

/// What kind of well-known token `value` is shaped like.
fn secret_value(value: &str) -> Option<&'static str> {
    let aws = (value.starts_with("AKIA") || value.starts_with("ASIA"))
        && value.len() == 20
        && value
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if aws {
        return Some("an AWS access key id");
    }
    const PREFIXES: [(&str, &str); 10] = [
        ("ghp_", "a GitHub token"),
        ("gho_", "a GitHub token"),
        ("ghu_", "a GitHub token"),
        ("ghs_", "a GitHub token"),
        ("github_pat_", "a GitHub token"),
        ("glpat-", "a GitLab token"),
        ("xoxb-", "a Slack token"),
        ("xoxp-", "a Slack token"),
        ("sk_live_", "a Stripe secret key"),
        ("-----BEGIN", "a PEM block"),
    ];
    PREFIXES
        .iter()
        .find(|(prefix, _)| value.starts_with(prefix) && value.len() > prefix.len() + 8)
        .map(|(_, kind)| *kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names_need_a_value_and_skip_file_references() {
        assert!(judge("AWS_SECRET_ACCESS_KEY", "abc").is_some());
        assert!(judge("GITHUB_TOKEN", "abc").is_some());
        assert!(judge("MYSQL_ROOT_PASSWORD", "hunter2").is_some());
        assert!(judge("stripe_api_key", "x").is_some());
        assert!(judge("MYSQL_ROOT_PASSWORD", "").is_none());
        assert!(judge("MYSQL_ROOT_PASSWORD_FILE", "/run/secrets/db").is_none());
        assert!(judge("DB_PASSWORD", "$DB_PASSWORD").is_none());
        assert!(judge("TOKENIZERS_PARALLELISM", "false").is_none());
        assert!(judge("PATH", "/usr/bin").is_none());
        assert!(judge("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE").is_some());
    }

    #[test]
    fn messages_never_contain_the_value() {
        let detail = judge("API_TOKEN", "s3cr3t-value").unwrap();
        assert!(!detail.contains("s3cr3t"), "{detail}");
        assert_eq!(detail, "value of 12 characters");
    }

    #[test]
    fn history_assignments_are_found_in_env_arg_and_run_steps() {
        let found: Vec<_> = assignments("|2 DB_PASSWORD=\"x\" OTHER=1 /bin/sh -c make a==b").collect();
        assert_eq!(found, [("DB_PASSWORD", "x"), ("OTHER", "1")]);
    }

    #[test]
    fn dotenv_templates_are_not_secrets() {
        assert!(is_dotenv(".env"));
        assert!(is_dotenv(".env.production"));
        assert!(!is_dotenv(".env.example"));
        assert!(!is_dotenv(".envrc"));
    }
}
