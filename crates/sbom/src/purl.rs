//! Package URLs (purl) for Debian packages and OCI images.
//!
//! Rules from the purl specification (package-url/purl-spec): components are
//! percent-encoded except for ASCII letters, digits, `.-_~` and `:`; qualifiers are
//! `key=value` pairs sorted by key, empty values dropped. The `deb` type takes the vendor
//! as namespace (`debian`) and documents `arch` and `distro` qualifiers; the `upstream`
//! qualifier (source package, `source@version` when the versions differ) is the one that
//! syft writes and grype reads to match vulnerabilities by source package. The `oci`
//! type's digest version is written `sha256%3A<hex>`, as that type's own examples do.

use std::fmt::Write;

/// Percent-encodes one purl component (see the module doc for the kept characters).
pub(crate) fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b".-_~:".contains(&byte) {
            out.push(char::from(byte));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// One purl component decoded (`1%3A2.0` → `1:2.0`); `None` when an escape is
/// malformed or the bytes are not UTF-8.
pub fn decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        if byte == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(byte);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// `pkg:<type>/<namespace>/<name>@<version>?<qualifiers>` with every part encoded
/// (qualifiers sorted by key, empty values dropped).
pub fn build(
    kind: &str,
    namespace: Option<&str>,
    name: &str,
    version: &str,
    qualifiers: &[(&str, &str)],
) -> String {
    let mut out = format!("pkg:{kind}/");
    if let Some(namespace) = namespace {
        out.push_str(&encode(namespace));
        out.push('/');
    }
    out.push_str(&encode(name));
    out.push('@');
    out.push_str(&encode(version));
    let mut pairs: Vec<(&str, &str)> = qualifiers
        .iter()
        .copied()
        .filter(|(_, value)| !value.is_empty())
        .collect();
    pairs.sort_unstable();
    for (index, (key, value)) in pairs.iter().enumerate() {
        out.push(if index == 0 { '?' } else { '&' });
        out.push_str(key);
        out.push('=');
        out.push_str(&encode(value));
    }
    out
}

/// `pkg:oci/<name>@sha256%3A<hex>`.
pub(crate) fn oci(name: &str, digest: &buckle_digest::Sha256) -> String {
    format!("pkg:oci/{}@sha256%3A{}", encode(name), digest.hex())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plus_is_encoded_and_epoch_colon_is_kept() {
        assert_eq!(encode("1:2.4.47-2+b1"), "1:2.4.47-2%2Bb1");
        assert_eq!(encode("3.13.5~rc1"), "3.13.5~rc1");
        assert_eq!(encode("a b/c@d"), "a%20b%2Fc%40d");
    }

    #[test]
    fn decoding_undoes_encoding_and_refuses_bad_escapes() {
        for text in ["1:2.4.47-2+b1", "a b/c@d", "ünïcode"] {
            assert_eq!(decode(&encode(text)).as_deref(), Some(text));
        }
        assert_eq!(decode("%2"), None);
        assert_eq!(decode("%G0"), None);
        assert_eq!(decode("%FF"), None);
    }

    #[test]
    fn qualifiers_are_sorted_and_empty_ones_dropped() {
        let purl = build(
            "deb",
            Some("debian"),
            "attr",
            "1:2.4.47-2+b1",
            &[("distro", "debian-13"), ("arch", "amd64"), ("upstream", "")],
        );
        assert_eq!(
            purl,
            "pkg:deb/debian/attr@1:2.4.47-2%2Bb1?arch=amd64&distro=debian-13"
        );
    }
}
