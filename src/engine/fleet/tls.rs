//! TLS for devices that connect to an external broker: rustls with the operating system's trusted certificates.

use std::sync::Arc;

use rumqttc::TlsConfiguration;
use tokio_rustls::rustls;

/// A TLS setup that trusts the certificate authorities this computer trusts.
pub fn client_config() -> Result<TlsConfiguration, String> {
    let mut roots = rustls::RootCertStore::empty();
    let found = rustls_native_certs::load_native_certs();
    for cert in found.certs {
        // A certificate the store cannot use is skipped; the others still count.
        let _ = roots.add(cert);
    }
    if roots.is_empty() {
        return Err(
            "this computer has no trusted certificate authorities (install the ca-certificates package)"
                .to_owned(),
        );
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(TlsConfiguration::Rustls(Arc::new(config)))
}
