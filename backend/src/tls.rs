//! Optional built-in TLS for a school LAN without a reverse proxy: `MUELLE_TLS_CERT` (a PEM
//! chain) and `MUELLE_TLS_KEY` (a PEM private key) make the server speak HTTPS only (rustls, ring
//! provider, HTTP/1.1 by ALPN).

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// The server side of TLS from a PEM certificate chain and key.
pub fn load(cert: &Path, key: &Path) -> anyhow::Result<Arc<ServerConfig>> {
    let chain = CertificateDer::pem_file_iter(cert)
        .with_context(|| format!("reading the TLS certificate {}", cert.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("parsing the TLS certificate {}", cert.display()))?;
    anyhow::ensure!(!chain.is_empty(), "{} holds no PEM certificate", cert.display());
    let key = PrivateKeyDer::from_pem_file(key).with_context(|| format!("reading the TLS key {}", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .context("the TLS key does not match the certificate")?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_self_signed_pair_loads_and_a_mismatch_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let a = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        let b = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        let (cert, key, other_key) = (dir.path().join("c.pem"), dir.path().join("k.pem"), dir.path().join("o.pem"));
        std::fs::write(&cert, a.cert.pem()).unwrap();
        std::fs::write(&key, a.key_pair.serialize_pem()).unwrap();
        std::fs::write(&other_key, b.key_pair.serialize_pem()).unwrap();
        assert!(load(&cert, &key).is_ok());
        let err = format!("{:#}", load(&cert, &other_key).unwrap_err());
        assert!(err.contains("does not match"), "{err}");
        let err = format!("{:#}", load(&dir.path().join("none.pem"), &key).unwrap_err());
        assert!(err.contains("none.pem"), "{err}");
    }
}
