//! Secret files in the final file system and in history, and secret values in metadata.

use crate::support::*;
use buckle_check::Status;

fn locations(report: &buckle_check::Report, rule: &str) -> Vec<String> {
    finding(report, rule)
        .evidence
        .iter()
        .map(|e| e.location.clone())
        .collect()
}

#[test]
fn each_kind_of_secret_file_is_reported_by_its_rule() {
    let report = TestImage::hardened()
        .layer(vec![
            file("root/.ssh/id_ed25519", 0o600, PRIVATE_KEY.as_bytes()),
            file(
                "root/.ssh/id_ed25519.pub",
                0o644,
                b"ssh-ed25519 AAAA... root@build",
            ),
            file(
                "root/.aws/credentials",
                0o600,
                b"[default]\naws_access_key_id = x\n",
            ),
            file(
                "root/.config/gcloud/application_default_credentials.json",
                0o600,
                b"{}",
            ),
            file("root/.azure/msal_token_cache.json", 0o600, b"{}"),
            file("root/.azure/azureProfile.json", 0o600, b"{}"),
            file("etc/ssh/ssh_host_ed25519_key", 0o600, PRIVATE_KEY.as_bytes()),
            file("etc/ssh/ssh_host_ed25519_key.pub", 0o644, b"ssh-ed25519 AAAA"),
            file("app/.env", 0o644, b"DB_PASSWORD=x\n"),
            file("app/.env.example", 0o644, b"DB_PASSWORD=\n"),
            file("root/.bash_history", 0o600, b"mysql -phunter2\n"),
            file("home/nonroot/.zsh_history", 0o600, b""),
            file("app/.git/HEAD", 0o644, b"ref: refs/heads/main\n"),
            file("app/.git/config", 0o644, b"[core]\n"),
        ])
        .report();
    assert_eq!(
        locations(&report, "BKL-SECRET-PRIVATE-KEY"),
        ["/root/.ssh/id_ed25519"]
    );
    assert_eq!(
        finding(&report, "BKL-SECRET-PRIVATE-KEY").message,
        "private keys are in the image: /root/.ssh/id_ed25519 (PEM `PRIVATE KEY`)"
    );
    assert_eq!(
        locations(&report, "BKL-SECRET-CLOUD-CREDENTIALS"),
        [
            "/root/.aws/credentials",
            "/root/.azure",
            "/root/.config/gcloud/application_default_credentials.json"
        ]
    );
    assert_eq!(
        locations(&report, "BKL-SECRET-SSH-HOST-KEY"),
        ["/etc/ssh/ssh_host_ed25519_key"]
    );
    assert_eq!(locations(&report, "BKL-SECRET-DOTENV"), ["/app/.env"]);
    assert_eq!(
        locations(&report, "BKL-SECRET-SHELL-HISTORY"),
        ["/root/.bash_history"]
    );
    assert_eq!(locations(&report, "BKL-SECRET-GIT-DIR"), ["/app/.git"]);
    assert_eq!(finding(&report, "BKL-SECRET-HISTORY").status, Status::Pass);
}

#[test]
fn public_certificates_and_the_ca_bundle_are_not_secrets() {
    let report = TestImage::hardened()
        .layer(vec![file(
            "etc/ssl/certs/extra.pem",
            0o644,
            super::support::CERTIFICATE.as_bytes(),
        )])
        .report();
    assert_eq!(finding(&report, "BKL-SECRET-PRIVATE-KEY").status, Status::Pass);
}

#[test]
fn a_secret_deleted_in_a_later_layer_is_not_present_but_is_in_history() {
    let image = TestImage::hardened()
        .layer(vec![
            dir("root", 0o700),
            dir("root/.ssh", 0o700),
            file("root/.ssh/id_rsa", 0o600, PRIVATE_KEY.as_bytes()),
            dir("app", 0o755),
            file("app/.git/HEAD", 0o644, b"ref: refs/heads/main\n"),
            file("app/server.key", 0o600, PRIVATE_KEY.as_bytes()),
            dir("secrets", 0o700),
            file("secrets/tls.pem", 0o600, PRIVATE_KEY.as_bytes()),
        ])
        .layer(vec![
            dir("secrets", 0o700),
            file("secrets/.wh..wh..opq", 0o644, b""),
            whiteout("root/.ssh/id_rsa"),
            whiteout("app/.git"),
            file("app/server.key", 0o600, b"replaced by a placeholder\n"),
        ]);
    let view = image.view();
    assert!(
        !view.files.contains_key(&p("root/.ssh/id_rsa")),
        "the whiteout removed the key"
    );
    assert!(
        !view.files.contains_key(&p("app/.git/HEAD")),
        "the whiteout removed .git"
    );
    let report = buckle_check::check(&view, &buckle_check::Policy::default());
    assert_eq!(finding(&report, "BKL-SECRET-PRIVATE-KEY").status, Status::Pass);
    assert_eq!(finding(&report, "BKL-SECRET-GIT-DIR").status, Status::Pass);
    let history = finding(&report, "BKL-SECRET-HISTORY");
    assert_eq!(history.status, Status::Fail);
    assert_eq!(
        history.message,
        "secret files are gone from the final file system but present in history: \
         /app/.git (repository history, added by `test layer 1`, hidden by layer 2; extractable from layer 1), \
         /app/server.key (PEM `PRIVATE KEY`, added by `test layer 1`, hidden by layer 2; extractable from layer 1), \
         /root/.ssh/id_rsa (PEM `PRIVATE KEY`, added by `test layer 1`, hidden by layer 2; extractable from layer 1), \
         /secrets/tls.pem (PEM `PRIVATE KEY`, added by `test layer 1`, hidden by layer 2; extractable from layer 1)"
    );
    assert!(history.evidence.iter().all(|e| e.layer == Some(1)));
}

#[test]
fn secret_values_in_env_labels_and_history_are_found_without_printing_them() {
    let image = TestImage::hardened()
        .env("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY")
        .env("DB_PASSWORD_FILE=/run/secrets/db")
        .env("GIT_AUTH=ghp_0123456789abcdefghijklmnopqrstuvwxyz")
        .label("com.example.api-token", "t0ps3cret")
        .empty_step("/bin/sh -c #(nop)  ENV MYSQL_ROOT_PASSWORD=hunter2")
        .empty_step("ARG NPM_TOKEN=npm_abcdefgh # buildkit");
    let report = image.report();
    let f = finding(&report, "BKL-SECRET-ENV");
    assert_eq!(f.status, Status::Fail);
    let found: Vec<String> = f.evidence.iter().map(|e| e.to_string()).collect();
    assert_eq!(
        found,
        [
            "config:Env/AWS_SECRET_ACCESS_KEY (value of 38 characters)",
            "config:Env/GIT_AUTH (value looks like a GitHub token)",
            "label:com.example.api-token (value of 9 characters)",
            "history:1 (`MYSQL_ROOT_PASSWORD`: value of 7 characters)",
            "history:2 (`NPM_TOKEN`: value of 12 characters)",
        ]
    );
    for secret in [
        "wJalrXUtnFEMI",
        "ghp_0123",
        "t0ps3cret",
        "hunter2",
        "npm_abcdefgh",
    ] {
        assert!(!f.message.contains(secret), "{}", f.message);
        assert!(!report.to_json().unwrap().contains(secret));
    }
}
