//! TLS in the process: the certificate chain and private key an operator gives
//! (`--tls-cert`, `--tls-key`, PEM files) as rustls's server configuration.
//!
//! HTTP/1.1 only, by ALPN: a websocket takes a whole HTTP/1.1 connection (RFC 6455), and the
//! server does not speak HTTP/2. TLS 1.3 and 1.2 with rustls's safe defaults; no client
//! certificates. A renewed certificate is read at the next start.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// Reads the chain (the server's certificate first, then its intermediates) and the key.
pub fn server_config(cert: &Path, key: &Path) -> anyhow::Result<Arc<ServerConfig>> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .with_context(|| format!("cannot read certificates from {}", cert.display()))?;
    if chain.is_empty() {
        anyhow::bail!("{} holds no certificate", cert.display());
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .with_context(|| format!("cannot read a private key from {}", key.display()))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .context("the private key does not go with the certificate")?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A self-signed certificate for `name` and its key, as PEM files in a new directory.
#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "test set-up")]
pub(crate) fn pem_pair(name: &str) -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let rcgen::CertifiedKey { cert, signing_key } = rcgen::generate_simple_self_signed([name.to_owned()]).unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, signing_key.serialize_pem()).unwrap();
    (dir, cert_path, key_path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_and_its_key_make_a_configuration_for_http_1_1() {
        let (_dir, cert, key) = pem_pair("floorboard.test");
        let config = server_config(&cert, &key).unwrap();
        assert_eq!(config.alpn_protocols, [b"http/1.1".to_vec()]);
    }

    #[test]
    fn a_key_that_is_not_the_certificates_or_a_file_without_one_is_refused() {
        let (_a, cert, _) = pem_pair("floorboard.test");
        let (_b, _, other_key) = pem_pair("other.test");
        let error = format!("{:#}", server_config(&cert, &other_key).unwrap_err());
        assert!(error.contains("does not go with the certificate"), "{error}");
        let error = format!("{:#}", server_config(&other_key, &other_key).unwrap_err());
        assert!(error.contains("holds no certificate"), "{error}");
        let error = format!("{:#}", server_config(&cert, &cert).unwrap_err());
        assert!(error.contains("cannot read a private key"), "{error}");
    }
}
