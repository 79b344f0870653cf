//! TLS with rustls from PEM files. If TLS is configured and cannot start
//! (missing or unreadable file, no certificate, no key, key not matching the
//! certificate), the server refuses to start: never silent plaintext.

use std::path::Path;
use std::sync::Arc;

use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

use crate::error::{Error, Result};

/// A loaded certificate chain and key, ready to accept TLS connections.
#[derive(Clone)]
pub struct Tls {
    acceptor: TlsAcceptor,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tls")
    }
}

impl Tls {
    /// Loads the PEM certificate chain at `cert` and the PEM private key at `key`.
    pub fn load(cert: &Path, key: &Path) -> Result<Tls> {
        let bad =
            |path: &Path, why: String| Error::config(format!("TLS: {}: {why}", path.display()));
        let cert_bytes = std::fs::read(cert).map_err(|e| Error::Io {
            path: format!("TLS certificate {}", cert.display()),
            source: e,
        })?;
        let key_bytes = std::fs::read(key).map_err(|e| Error::Io {
            path: format!("TLS key {}", key.display()),
            source: e,
        })?;
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_bytes)
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| bad(cert, format!("not a PEM certificate file ({e})")))?;
        if chain.is_empty() {
            return Err(bad(cert, "no CERTIFICATE found in the file".into()));
        }
        let private_key = PrivateKeyDer::from_pem_slice(&key_bytes)
            .map_err(|e| bad(key, format!("no usable PEM private key ({e})")))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::config(format!("TLS: {e}")))?
            .with_no_client_auth()
            .with_single_cert(chain, private_key)
            .map_err(|e| {
                Error::config(format!(
                    "TLS: {} and {} do not make a usable certificate and key: {e}",
                    cert.display(),
                    key.display()
                ))
            })?;
        config.alpn_protocols = vec![b"postgresql".to_vec()];
        Ok(Tls {
            acceptor: TlsAcceptor::from(Arc::new(config)),
        })
    }

    /// The acceptor used for each connection.
    pub fn acceptor(&self) -> TlsAcceptor {
        self.acceptor.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_files_refuse_to_start_and_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("server.crt");
        let key = dir.path().join("server.key");
        let missing = Tls::load(&cert, &key).unwrap_err().to_string();
        assert!(missing.contains("server.crt"), "{missing}");
        std::fs::write(&cert, "not pem").unwrap();
        std::fs::write(&key, "not pem").unwrap();
        let garbage = Tls::load(&cert, &key).unwrap_err().to_string();
        assert!(
            garbage.contains("server.crt") && garbage.contains("no CERTIFICATE"),
            "{garbage}"
        );

        let generated = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        std::fs::write(&cert, generated.cert.pem()).unwrap();
        let wrong_key = rcgen::KeyPair::generate().unwrap();
        std::fs::write(&key, wrong_key.serialize_pem()).unwrap();
        let mismatch = Tls::load(&cert, &key).unwrap_err().to_string();
        assert!(
            mismatch.contains("do not make a usable certificate and key"),
            "{mismatch}"
        );

        std::fs::write(&key, generated.signing_key.serialize_pem()).unwrap();
        Tls::load(&cert, &key).unwrap();
    }
}
