//! TLS for devices that connect to an external broker: rustls trusting the operating system's
//! certificate authorities, or the one CA file a user names (a broker with its own certificates).

use std::path::Path;
use std::sync::Arc;

use rumqttc::TlsConfiguration;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::CertificateDer;
use tokio_rustls::rustls::pki_types::pem::PemObject;

/// The largest CA certificate file read (a bundle of every public CA is about 250 KiB).
const MAX_CA_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// A TLS setup trusting `ca_file` if given, else the certificate authorities this computer trusts.
pub fn client_config(ca_file: Option<&Path>) -> Result<TlsConfiguration, String> {
    let mut roots = rustls::RootCertStore::empty();
    match ca_file {
        Some(path) => {
            // Through the size-limited reader: a CA file is a few KiB, never a pipe or a device.
            let pem = crate::engine::limited_read::read_limited(path, MAX_CA_FILE_BYTES)
                .map_err(|e| format!("could not read the CA certificate: {e}"))?;
            for cert in CertificateDer::pem_slice_iter(&pem) {
                let cert = cert.map_err(|e| {
                    format!("{} is not a PEM certificate file: {e}", path.display())
                })?;
                roots.add(cert).map_err(|e| {
                    format!("{} holds an unusable certificate: {e}", path.display())
                })?;
            }
            if roots.is_empty() {
                return Err(format!(
                    "{} holds no certificate (expected -----BEGIN CERTIFICATE-----)",
                    path.display()
                ));
            }
        }
        None => {
            for cert in rustls_native_certs::load_native_certs().certs {
                // A certificate the store cannot use is skipped; the others still count.
                let _ = roots.add(cert);
            }
            if roots.is_empty() {
                return Err("this computer has no trusted certificate authorities (install the ca-certificates package, or name the broker's CA file)".to_owned());
            }
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(TlsConfiguration::Rustls(Arc::new(config)))
}
