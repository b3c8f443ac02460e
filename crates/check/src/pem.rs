//! PEM private key blocks in file contents (RFC 7468 labels, OpenSSH and OpenPGP armor).
//!
//! A block counts when its `-----BEGIN <label>-----` line names a private key, ends
//! its line, and is followed by at least [`MIN_BODY`] base64 characters (after optional
//! `Name: value` header lines such as `Proc-Type:`). Line breaks may be real or written
//! as `\n` inside a string (a JSON service-account key). Public certificates and keys
//! (`CERTIFICATE`, `PUBLIC KEY`) never match, and neither do ELF binaries, which carry
//! these header strings as constants.

/// How many base64 characters a block body needs to count as a key.
const MIN_BODY: usize = 40;
const BEGIN: &[u8] = b"-----BEGIN ";
const DASHES: &[u8] = b"-----";
/// Body bytes looked at after the header.
const BODY_WINDOW: usize = 4096;

/// The label of the first PEM private key block in `bytes` (`RSA PRIVATE KEY`,
/// `OPENSSH PRIVATE KEY`, `PGP PRIVATE KEY BLOCK`), if there is one.
pub fn private_key_label(bytes: &[u8]) -> Option<String> {
    if bytes.starts_with(b"\x7fELF") {
        return None;
    }
    let mut from = 0;
    while let Some(at) = find(bytes.get(from..)?, BEGIN) {
        let start = from + at + BEGIN.len();
        let rest = bytes.get(start..)?;
        if let Some((label, after)) = private_label(rest) {
            if has_body(after) {
                return Some(label);
            }
        }
        from = start;
    }
    None
}

/// The label at the start of `rest` if it names a private key and is closed by
/// dashes, with what follows the dashes.
fn private_label(rest: &[u8]) -> Option<(String, &[u8])> {
    let len = rest
        .iter()
        .take(64)
        .position(|b| !(b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b' '))?;
    let label = std::str::from_utf8(rest.get(..len)?).ok()?;
    let after = rest.get(len..)?.strip_prefix(DASHES)?;
    let private = label.ends_with("PRIVATE KEY") || label.ends_with("PRIVATE KEY BLOCK");
    private.then(|| (label.to_owned(), after))
}

/// Whether the text after a header is a key body: the header line ends there, header
/// fields may follow, then base64 lines.
fn has_body(after: &[u8]) -> bool {
    let window = after.get(..BODY_WINDOW.min(after.len())).unwrap_or(after);
    let text = String::from_utf8_lossy(window)
        .replace("\\r", "")
        .replace("\\n", "\n");
    let mut lines = text.split('\n');
    if !lines
        .next()
        .is_some_and(|rest_of_header| rest_of_header.trim().is_empty())
    {
        return false;
    }
    let mut base64 = 0;
    for line in lines.map(str::trim) {
        if line.is_empty() || (base64 == 0 && line.contains(':')) {
            continue;
        }
        if line.starts_with("-----END") {
            break;
        }
        let run = line
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
            .count();
        base64 += run;
        if base64 >= MIN_BODY {
            return true;
        }
        if run < line.len() {
            return false;
        }
    }
    false
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\nVJTUt9Us8cKjMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNb\n";

    #[test]
    fn rsa_openssh_and_pgp_private_keys_are_found() {
        for label in [
            "RSA PRIVATE KEY",
            "PRIVATE KEY",
            "OPENSSH PRIVATE KEY",
            "EC PRIVATE KEY",
        ] {
            let pem = format!("-----BEGIN {label}-----\n{BODY}-----END {label}-----\n");
            assert_eq!(private_key_label(pem.as_bytes()).as_deref(), Some(label));
        }
        let pgp = format!("-----BEGIN PGP PRIVATE KEY BLOCK-----\nComment: test\n\n{BODY}");
        assert_eq!(
            private_key_label(pgp.as_bytes()).as_deref(),
            Some("PGP PRIVATE KEY BLOCK")
        );
    }

    #[test]
    fn encrypted_keys_with_header_fields_are_found() {
        let pem = format!(
            "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,0011\n\n{BODY}"
        );
        assert!(private_key_label(pem.as_bytes()).is_some());
    }

    #[test]
    fn a_key_inside_a_json_string_is_found() {
        let json = format!(
            r#"{{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n"}}"#,
            BODY.replace('\n', "")
        );
        assert_eq!(private_key_label(json.as_bytes()).as_deref(), Some("PRIVATE KEY"));
    }

    #[test]
    fn certificates_public_keys_and_header_constants_are_not_keys() {
        let cert = format!("-----BEGIN CERTIFICATE-----\n{BODY}-----END CERTIFICATE-----\n");
        assert_eq!(private_key_label(cert.as_bytes()), None);
        let public = format!("-----BEGIN PUBLIC KEY-----\n{BODY}");
        assert_eq!(private_key_label(public.as_bytes()), None);
        let constant = b"static const char h[] = \"-----BEGIN RSA PRIVATE KEY-----\";\nint x;\n";
        assert_eq!(private_key_label(constant), None);
        let elf = [
            b"\x7fELF\x02\x01".as_slice(),
            format!("-----BEGIN PRIVATE KEY-----\n{BODY}").as_bytes(),
        ]
        .concat();
        assert_eq!(private_key_label(&elf), None);
        let c_string = b"-----BEGIN OPENSSH PRIVATE KEY-----\n\0-----END OPENSSH PRIVATE KEY-----\n\0";
        assert_eq!(private_key_label(c_string), None);
    }
}
