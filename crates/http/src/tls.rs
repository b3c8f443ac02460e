//! [`TlsRoots`]: the certificate authorities a [`crate::Client`] trusts for https.

use crate::error::{Error, Result};
use std::path::Path;
use std::sync::Arc;
use ureq::tls::{Certificate, PemItem, RootCerts};

/// The certificate authorities trusted for https. The default is the bundled
/// Mozilla set; [`TlsRoots::system`] is the host's store, to which
/// [`TlsRoots::add_pem_file`] adds a private CA (trusted alone on a host with no
/// store).
#[derive(Debug, Clone, Default)]
pub struct TlsRoots(Option<Arc<Vec<Certificate<'static>>>>);

impl TlsRoots {
    /// The host's CA store (`SSL_CERT_FILE` and `SSL_CERT_DIR` are honoured). A host
    /// with no readable store falls back to the bundled set.
    pub fn system() -> TlsRoots {
        let found = rustls_native_certs::load_native_certs();
        if found.certs.is_empty() {
            tracing::warn!(errors = ?found.errors, "no system CA certificates found; using the bundled set");
            return TlsRoots(None);
        }
        let certs = found
            .certs
            .iter()
            .map(|der| Certificate::from_der(der.as_ref()).to_owned())
            .collect();
        TlsRoots(Some(Arc::new(certs)))
    }

    /// Adds every certificate in the PEM file at `path` (a private CA). It is an error
    /// when the file cannot be read or holds no certificate.
    pub fn add_pem_file(self, path: &Path) -> Result<TlsRoots> {
        let bad = |reason: String| Error::CaFile {
            path: path.to_owned(),
            reason,
        };
        let pem = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
        let mut added = Vec::new();
        for item in ureq::tls::parse_pem(&pem) {
            match item.map_err(|e| bad(e.to_string()))? {
                PemItem::Certificate(cert) => added.push(cert),
                _ => continue,
            }
        }
        if added.is_empty() {
            return Err(bad(
                "no PEM certificate (-----BEGIN CERTIFICATE-----) in it".to_owned()
            ));
        }
        // Without a system store the private CA alone is trusted.
        let mut certs = self.0.map(|certs| Vec::clone(&certs)).unwrap_or_default();
        certs.extend(added);
        Ok(TlsRoots(Some(Arc::new(certs))))
    }

    pub(crate) fn root_certs(&self) -> RootCerts {
        match &self.0 {
            Some(certs) => RootCerts::Specific(certs.clone()),
            None => RootCerts::WebPki,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ca_file_without_a_certificate_is_refused_with_its_path() {
        let dir = std::env::temp_dir().join(format!("buckle-http-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ca.pem");
        std::fs::write(&path, "not a certificate\n").unwrap();
        let err = TlsRoots::default().add_pem_file(&path).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "cannot use the CA certificate file `{}`: no PEM certificate (-----BEGIN CERTIFICATE-----) in it",
                path.display()
            )
        );
        let missing = dir.join("missing.pem");
        let err = TlsRoots::default().add_pem_file(&missing).unwrap_err();
        assert!(
            matches!(&err, Error::CaFile { path, .. } if *path == missing),
            "{err:?}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
