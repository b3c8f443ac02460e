//! The Java CA truststore, as ca-certificates-java's maintainer scripts leave it.
//!
//! Facts from ca-certificates-java: the package ships the empty directory
//! `/etc/ssl/certs/java`, and its scripts (which run `keytool` and a Java program, so
//! never in a buckle image) fill `/etc/ssl/certs/java/cacerts` with every CA certificate
//! of ca-certificates, as a JKS keystore whose store password is `changeit`, one
//! trusted-certificate entry per certificate named `debian:<file>.pem`. Debian's
//! OpenJDK packages link `lib/security/cacerts` to that file, so every JRE in the image
//! trusts what the CA bundle trusts.
//!
//! Facts from the JKS format as the JDK reads it (`keytool -list` checks the digest
//! with the store password; the JRE's default trust manager reads the file without a
//! password, and `keystore.type.compat` makes its default PKCS12 type accept JKS):
//! big-endian magic `0xFEEDFEED`, version 2 and the entry count; per trusted
//! certificate the tag 2, the alias (Java's `writeUTF`: a 16-bit length and the bytes),
//! the creation time in milliseconds, the type `X.509` (`writeUTF`) and the DER
//! certificate (a 32-bit length and the bytes); then the SHA-1 of the password's UTF-16
//! code units (big-endian), the bytes `Mighty Aphrodite` and everything before it.

use super::rel;
use crate::error::{Error, Result};
use crate::tree::{Node, Tree};
use base64::Engine as _;
use sha1::{Digest as _, Sha1};
use std::collections::BTreeMap;

/// The directory ca-certificates-java ships; the truststore is written only where it is.
const JAVA_CERTS_DIR: &str = "etc/ssl/certs/java";
/// The truststore.
pub const JAVA_TRUSTSTORE: &str = "etc/ssl/certs/java/cacerts";
/// Debian's store password (ca-certificates-java's `storepass`).
pub const STORE_PASSWORD: &str = "changeit";
const CERT_DIR: &str = "usr/share/ca-certificates";

/// Writes [`JAVA_TRUSTSTORE`] when the image has [`JAVA_CERTS_DIR`]: every `.crt`
/// under `usr/share/ca-certificates` (named `debian:<file>.pem`) and every certificate
/// of `extra` (named `buckle:extra-<n>`), the ones the CA bundle holds.
pub fn java_truststore(tree: &mut Tree, extra: &[String]) -> Result<()> {
    if tree.get(&rel(JAVA_CERTS_DIR)).is_none() {
        return Ok(());
    }
    let mut entries: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for (path, node) in tree.under(&rel(CERT_DIR)) {
        let Some(name) = path
            .as_str()
            .rsplit('/')
            .next()
            .and_then(|n| n.strip_suffix(".crt"))
        else {
            continue;
        };
        let Some(content) = node.content() else {
            continue;
        };
        let certificates = pem_certificates(content.bytes(), &format!("/{path}"))?;
        let [der] = <[Vec<u8>; 1]>::try_from(certificates).map_err(|found| Error::Truststore {
            certificate: format!("/{path}"),
            problem: format!("expected one certificate, found {}", found.len()),
        })?;
        entries.insert(format!("debian:{}.pem", name.to_lowercase()), der);
    }
    let extra_certificates = extra
        .iter()
        .map(|pem| pem_certificates(pem.as_bytes(), "[image] certificates"))
        .collect::<Result<Vec<_>>>()?;
    for (n, der) in extra_certificates.into_iter().flatten().enumerate() {
        entries.insert(format!("buckle:extra-{}", n + 1), der);
    }
    tracing::debug!(certificates = entries.len(), "Java truststore");
    let store = jks(&entries, STORE_PASSWORD);
    tree.insert(&rel(JAVA_TRUSTSTORE), Node::file(store, 0o644))
}

/// The DER bytes of every `CERTIFICATE` block of a PEM text.
fn pem_certificates(pem: &[u8], origin: &str) -> Result<Vec<Vec<u8>>> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let bad = |problem: &str| Error::Truststore {
        certificate: origin.to_owned(),
        problem: problem.to_owned(),
    };
    let text = std::str::from_utf8(pem).map_err(|_| bad("it is not PEM text"))?;
    let mut certificates = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(BEGIN) {
        let body = &rest[start + BEGIN.len()..];
        let end = body
            .find(END)
            .ok_or_else(|| bad("a certificate block has no END line"))?;
        let base64: String = body[..end].split_whitespace().collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(base64)
            .map_err(|e| bad(&format!("a certificate block is not base64: {e}")))?;
        certificates.push(der);
        rest = &body[end + END.len()..];
    }
    if certificates.is_empty() {
        return Err(bad("it holds no PEM certificate"));
    }
    Ok(certificates)
}

/// A JKS keystore of trusted certificates (alias -> DER), every entry dated at the Unix
/// epoch so that the same certificates give the same bytes.
fn jks(entries: &BTreeMap<String, Vec<u8>>, password: &str) -> Vec<u8> {
    const MAGIC: u32 = 0xFEED_FEED;
    const VERSION: u32 = 2;
    const TRUSTED_CERTIFICATE: u32 = 2;
    let mut store = Vec::new();
    store.extend_from_slice(&MAGIC.to_be_bytes());
    store.extend_from_slice(&VERSION.to_be_bytes());
    store.extend_from_slice(&count(entries.len()).to_be_bytes());
    for (alias, der) in entries {
        store.extend_from_slice(&TRUSTED_CERTIFICATE.to_be_bytes());
        write_utf(&mut store, alias);
        store.extend_from_slice(&0u64.to_be_bytes());
        write_utf(&mut store, "X.509");
        store.extend_from_slice(&count(der.len()).to_be_bytes());
        store.extend_from_slice(der);
    }
    let digest = integrity_digest(&store, password);
    store.extend_from_slice(&digest);
    store
}

/// The keystore's closing SHA-1 over the password, a fixed phrase and the contents.
fn integrity_digest(contents: &[u8], password: &str) -> [u8; 20] {
    let mut sha1 = Sha1::new();
    for unit in password.encode_utf16() {
        sha1.update(unit.to_be_bytes());
    }
    sha1.update(b"Mighty Aphrodite");
    sha1.update(contents);
    sha1.finalize().into()
}

/// Java's `DataOutput.writeUTF` for the ASCII aliases and type names written here.
fn write_utf(out: &mut Vec<u8>, text: &str) {
    let length = u16::try_from(text.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(&text.as_bytes()[..usize::from(length)]);
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{path, tree_of};
    use buckle_testkit::deb::DebBuilder;

    fn pem(der: &[u8]) -> String {
        let body = base64::engine::general_purpose::STANDARD.encode(der);
        format!("-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n")
    }

    /// Reads a JKS keystore back: its (alias, DER) entries, after checking the digest.
    fn read_jks(store: &[u8], password: &str) -> Vec<(String, Vec<u8>)> {
        let (contents, digest) = store.split_at(store.len() - 20);
        assert_eq!(integrity_digest(contents, password), digest, "the digest checks");
        let mut at = 0;
        let mut take = |n: usize| {
            at += n;
            &contents[at - n..at]
        };
        let u32_at = |b: &[u8]| u32::from_be_bytes(b.try_into().unwrap());
        assert_eq!(u32_at(take(4)), 0xFEED_FEED);
        assert_eq!(u32_at(take(4)), 2);
        let n = u32_at(take(4));
        let mut entries = Vec::new();
        for _ in 0..n {
            assert_eq!(u32_at(take(4)), 2, "a trusted certificate entry");
            let len = u16::from_be_bytes(take(2).try_into().unwrap());
            let alias = String::from_utf8(take(usize::from(len)).to_vec()).unwrap();
            assert_eq!(take(8), [0; 8]);
            assert_eq!(take(2), [0, 5]);
            assert_eq!(take(5), b"X.509");
            let len = u32_at(take(4)) as usize;
            entries.push((alias, take(len).to_vec()));
        }
        assert_eq!(at, contents.len(), "nothing after the entries but the digest");
        entries
    }

    #[test]
    fn the_truststore_holds_every_bundle_certificate_as_debian_names_it() {
        let mut tree = tree_of(vec![
            DebBuilder::new("ca-certificates", "1", "all")
                .file(
                    "usr/share/ca-certificates/mozilla/ISRG_Root_X1.crt",
                    pem(b"isrg").as_bytes(),
                    0o644,
                )
                .file(
                    "usr/share/ca-certificates/mozilla/B_Root.crt",
                    pem(b"b").as_bytes(),
                    0o644,
                )
                .file("usr/share/ca-certificates/mozilla/README", b"not a cert", 0o644),
            DebBuilder::new("ca-certificates-java", "1", "all").dir("etc/ssl/certs/java", 0o755),
        ]);
        let extra = format!("{}{}", pem(b"corp"), pem(b"corp2"));
        java_truststore(&mut tree, &[extra]).unwrap();
        let store = tree.get(&path(JAVA_TRUSTSTORE)).unwrap();
        assert_eq!(store.mode, 0o644);
        let entries = read_jks(store.content().unwrap().bytes(), STORE_PASSWORD);
        assert_eq!(
            entries,
            [
                ("buckle:extra-1".to_owned(), b"corp".to_vec()),
                ("buckle:extra-2".to_owned(), b"corp2".to_vec()),
                ("debian:b_root.pem".to_owned(), b"b".to_vec()),
                ("debian:isrg_root_x1.pem".to_owned(), b"isrg".to_vec()),
            ]
        );
    }

    #[test]
    fn without_ca_certificates_java_there_is_no_truststore() {
        let mut tree = tree_of(vec![DebBuilder::new("ca-certificates", "1", "all").file(
            "usr/share/ca-certificates/mozilla/A.crt",
            pem(b"a").as_bytes(),
            0o644,
        )]);
        java_truststore(&mut tree, &[]).unwrap();
        assert!(tree.get(&path(JAVA_TRUSTSTORE)).is_none());
    }

    #[test]
    fn a_certificate_that_is_not_pem_is_named_in_the_error() {
        let mut tree = tree_of(vec![
            DebBuilder::new("ca-certificates", "1", "all").file(
                "usr/share/ca-certificates/mozilla/Broken.crt",
                b"-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n",
                0o644,
            ),
            DebBuilder::new("ca-certificates-java", "1", "all").dir("etc/ssl/certs/java", 0o755),
        ]);
        let err = java_truststore(&mut tree, &[]).unwrap_err().to_string();
        assert!(
            err.contains("/usr/share/ca-certificates/mozilla/Broken.crt"),
            "{err}"
        );
        assert!(err.contains("not base64"), "{err}");
    }
}
