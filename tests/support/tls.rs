//! TLS for test servers: one self-signed certificate for `localhost` and `127.0.0.1` per test
//! process, the server configuration made from it by the server's own loader, and client
//! configurations that trust it (and nothing else).

use std::sync::{Arc, OnceLock};

pub struct TestTls {
    pub server: Arc<rustls::ServerConfig>,
    pub client: Arc<rustls::ClientConfig>,
}

/// The process's test certificate, made on first use.
pub fn test_tls() -> &'static TestTls {
    static TLS: OnceLock<TestTls> = OnceLock::new();
    TLS.get_or_init(|| {
        let names = ["localhost".to_owned(), "127.0.0.1".to_owned()];
        let rcgen::CertifiedKey { cert, signing_key } =
            rcgen::generate_simple_self_signed(names).expect("a self-signed certificate");
        let dir = tempfile::tempdir().expect("a directory for the PEM files");
        let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
        std::fs::write(&cert_path, cert.pem()).expect("write the certificate");
        std::fs::write(&key_path, signing_key.serialize_pem()).expect("write the key");
        let server = floorboard_server::tls::server_config(&cert_path, &key_path).expect("the server loads them");

        let mut roots = rustls::RootCertStore::empty();
        roots.add(cert.der().clone()).expect("the test certificate as a root");
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let client = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        TestTls { server, client: Arc::new(client) }
    })
}

/// An HTTP client for test servers, plain or TLS.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .use_preconfigured_tls(test_tls().client.as_ref().clone())
        .build()
        .expect("an HTTP client")
}

/// What opens websockets to test servers, plain or TLS.
pub fn ws_connector() -> tokio_tungstenite::Connector {
    tokio_tungstenite::Connector::Rustls(test_tls().client.clone())
}
