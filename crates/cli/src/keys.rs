//! Signing keys from files, with the password from BUCKLE_PASSWORD or the terminal.

use crate::exit::UserError;
use crate::files;
use anyhow::Context;
use buckle_sign::key::{PrivateKey, PublicKey};
use std::io::IsTerminal;
use std::path::Path;
use zeroize::Zeroizing;

/// The environment variable a password is taken from before prompting.
const PASSWORD_VAR: &str = "BUCKLE_PASSWORD";

/// The password: BUCKLE_PASSWORD when set, else asked on the terminal (twice with
/// `confirm`). Never printed or logged.
pub fn password(prompt: &str, confirm: bool) -> anyhow::Result<Zeroizing<String>> {
    if let Some(value) = std::env::var_os(PASSWORD_VAR) {
        let value = value
            .into_string()
            .map_err(|_| UserError::new(format!("{PASSWORD_VAR} is not valid UTF-8")))?;
        return Ok(Zeroizing::new(value));
    }
    if !std::io::stdin().is_terminal() {
        anyhow::bail!(UserError::with_hint(
            "no password for the private key",
            format!("set {PASSWORD_VAR}, or run in a terminal to be asked")
        ));
    }
    let first = Zeroizing::new(rpassword::prompt_password(prompt).context("cannot read the password")?);
    if confirm {
        let again =
            Zeroizing::new(rpassword::prompt_password("Again: ").context("cannot read the password")?);
        if *again != *first {
            anyhow::bail!(UserError::new("the passwords do not match"));
        }
    }
    Ok(first)
}

/// Reads and decrypts a private key file.
pub fn read_private_key(path: &Path) -> anyhow::Result<PrivateKey> {
    let pem = files::read_text(path)?;
    let password = password(&format!("Password for `{}`: ", path.display()), false)?;
    PrivateKey::from_encrypted_pem(&pem, password.as_bytes())
        .with_context(|| format!("cannot open the private key `{}`", path.display()))
}

/// Reads a public key file.
pub fn read_public_key(path: &Path) -> anyhow::Result<PublicKey> {
    let pem = files::read_text(path)?;
    PublicKey::from_pem(&pem).with_context(|| format!("cannot read the public key `{}`", path.display()))
}
