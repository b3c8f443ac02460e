//! `buckle keygen -o NAME`: an ECDSA P-256 key pair in cosign's format, NAME.key
//! (encrypted with a password from BUCKLE_PASSWORD or a prompt) and NAME.pub.

use crate::args::KeygenArgs;
use crate::exit::UserError;
use crate::files;
use crate::keys::password;
use crate::printer::Printer;

use buckle_sign::key::PrivateKey;
use serde_json::json;
use std::path::{Path, PathBuf};

pub fn run(args: &KeygenArgs, printer: &Printer) -> anyhow::Result<()> {
    if files::is_stdout(&args.output) {
        anyhow::bail!(UserError::with_hint(
            "keygen writes two files, NAME.key and NAME.pub: `-o -` (stdout) cannot hold them",
            "pass -o with a path without suffix, such as -o keys/release"
        ));
    }
    let private_path = with_suffix(&args.output, "key");
    let public_path = with_suffix(&args.output, "pub");
    for path in [&private_path, &public_path] {
        if path.exists() && !args.force {
            anyhow::bail!(UserError::with_hint(
                format!("`{}` already exists", path.display()),
                "pass --force to replace the key pair, or -o to name another"
            ));
        }
    }
    let password = password("Password for the new private key: ", true)?;
    let key = PrivateKey::generate(&mut rand_core::OsRng);
    let pem = key.to_encrypted_pem(password.as_bytes(), &mut rand_core::OsRng)?;
    files::write_output_mode(&private_path, pem.as_bytes(), 0o600)?;
    files::write_output(&public_path, key.public_key().to_pem().as_bytes())?;
    let fingerprint = key.public_key().fingerprint();
    printer.status(
        "Generated",
        format!(
            "{} (encrypted) and {}, key {}",
            private_path.display(),
            public_path.display(),
            fingerprint.short(16)
        ),
    );
    if printer.json {
        printer.json(&json!({
            "privateKey": private_path,
            "publicKey": public_path,
            "fingerprint": fingerprint.oci(),
        }))?;
    }
    Ok(())
}

/// `release` -> `release.key`; a path that already ends in `.key`/`.pub` keeps its stem.
fn with_suffix(output: &Path, suffix: &str) -> PathBuf {
    let stem = match output.extension().and_then(|e| e.to_str()) {
        Some("key" | "pub") => output.with_extension(""),
        _ => output.to_owned(),
    };
    let mut name = stem.into_os_string();
    name.push(format!(".{suffix}"));
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_file_names_come_from_the_output_stem() {
        assert_eq!(with_suffix(Path::new("release"), "key"), Path::new("release.key"));
        assert_eq!(
            with_suffix(Path::new("keys/release.pub"), "key"),
            Path::new("keys/release.key")
        );
        assert_eq!(with_suffix(Path::new("a.b"), "pub"), Path::new("a.b.pub"));
    }
}
