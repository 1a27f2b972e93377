//! The registry front's second door: HTTPS as `registry-1.docker.io`, so that a node's engine
//! asking Docker Hub for an image (after its mirror, the plain front, said the image is not
//! here) reaches this front too, and `docker pull alpine` prints the front's answer ("alpine is
//! not in this classroom's catalog; available: …") instead of a DNS error. Nodes resolve
//! `registry-1.docker.io` to the front's address (their `/etc/hosts`) and trust a CA that exists
//! only on this machine (`<data_dir>/registry-tls/ca.pem`, key beside it, mode 0600), written
//! into the node rootfs as `/etc/ssl/certs/muelle-registry-ca.pem`. dockerd checks Docker Hub
//! against the system roots only (its `certs.d` applies to other registries), and Go reads every
//! file of `/etc/ssl/certs`; OpenSSL tools (curl) use the bundle and hashed names and do not see
//! it. Either way the CA is name-constrained to Docker Hub's two registry names: it cannot vouch
//! for any other site, even if a student copied its file elsewhere (its key never leaves the
//! host).

use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};

/// The Docker Hub names the front answers for (dockerd pulls `docker.io/...` from the first).
pub const HUB_NAMES: [&str; 2] = ["registry-1.docker.io", "index.docker.io"];

/// What the TLS door needs: the CA (for nodes) and the server config (for the listener).
pub struct RegistryTls {
    /// The CA certificate, PEM: what nodes trust for `registry-1.docker.io`.
    pub ca_pem: String,
    /// The server side, with a certificate for [`HUB_NAMES`] signed by the CA.
    pub server: Arc<rustls::ServerConfig>,
}

fn ca_params() -> anyhow::Result<CertificateParams> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, "muelle classroom registry CA");
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    // Only names of Docker Hub: the CA cannot vouch for any other site even if it leaked.
    params.name_constraints = Some(rcgen::NameConstraints {
        permitted_subtrees: HUB_NAMES.iter().map(|n| rcgen::GeneralSubtree::DnsName((*n).to_string())).collect(),
        excluded_subtrees: Vec::new(),
    });
    Ok(params)
}

/// The CA of `dir` (made on first use), and a fresh server certificate signed by it.
pub fn ensure(dir: &Path) -> anyhow::Result<RegistryTls> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    let (ca_cert, ca_key) = (dir.join("ca.pem"), dir.join("ca.key"));
    let key = match std::fs::read_to_string(&ca_key) {
        Ok(pem) => KeyPair::from_pem(&pem).with_context(|| format!("reading {}", ca_key.display()))?,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            let key = KeyPair::generate()?;
            write_private(&ca_key, &key.serialize_pem())?;
            key
        }
        Err(err) => return Err(err).with_context(|| format!("reading {}", ca_key.display())),
    };
    // The same name and key as the stored CA: what signs the server certificate below.
    let ca = ca_params()?.self_signed(&key)?;
    let ca_pem = match std::fs::read_to_string(&ca_cert) {
        Ok(pem) => pem,
        Err(_) => {
            std::fs::write(&ca_cert, ca.pem()).with_context(|| format!("writing {}", ca_cert.display()))?;
            ca.pem()
        }
    };
    let leaf_key = KeyPair::generate()?;
    let mut leaf = CertificateParams::new(HUB_NAMES.iter().map(|n| (*n).to_string()).collect::<Vec<_>>())?;
    leaf.distinguished_name.push(DnType::CommonName, HUB_NAMES[0]);
    leaf.use_authority_key_identifier_extension = true;
    leaf.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let now = time::OffsetDateTime::now_utc();
    (leaf.not_before, leaf.not_after) = (now - time::Duration::days(1), now + time::Duration::days(3650));
    let leaf = leaf.signed_by(&leaf_key, &ca, &key)?;
    let chain = vec![leaf.der().clone()];
    let private = rustls_pki_types::PrivateKeyDer::try_from(leaf_key.serialize_der())
        .map_err(|e| anyhow::anyhow!("server key: {e}"))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, private)?;
    server.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(RegistryTls { ca_pem, server: Arc::new(server) })
}

fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(text.as_bytes())?;
    Ok(())
}

/// Where a node's engine finds the CA, under a node rootfs.
pub fn node_ca_path(node_rootfs: &Path) -> PathBuf {
    node_rootfs.join("etc/ssl/certs/muelle-registry-ca.pem")
}

/// Writes the CA into the node rootfs when it differs (nodes started after this see it).
pub fn install_in_node_rootfs(node_rootfs: &Path, ca_pem: &str) -> anyhow::Result<()> {
    if !node_rootfs.is_dir() {
        return Ok(());
    }
    let path = node_ca_path(node_rootfs);
    if std::fs::read_to_string(&path).is_ok_and(|old| old == ca_pem) {
        return Ok(());
    }
    std::fs::create_dir_all(path.parent().expect("a file in a directory"))?;
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, ca_pem)?;
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o644))?;
    std::fs::rename(&tmp, &path).with_context(|| format!("installing {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, ServerName};

    /// A TLS handshake over an in-memory pipe, the client trusting only `ca_pem`.
    async fn handshake(server: Arc<rustls::ServerConfig>, ca_pem: &str, name: &str) -> Result<(), String> {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(CertificateDer::from_pem_slice(ca_pem.as_bytes()).unwrap()).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let client = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let (a, b) = tokio::io::duplex(64 << 10);
        let srv = tokio::spawn(async move { tokio_rustls::TlsAcceptor::from(server).accept(b).await.map(drop) });
        let name = ServerName::try_from(name.to_string()).unwrap();
        let result = tokio_rustls::TlsConnector::from(Arc::new(client)).connect(name, a).await.map(drop);
        drop(srv);
        result.map_err(|e| e.to_string())
    }

    #[tokio::test]
    async fn the_ca_is_kept_and_vouches_for_docker_hub_names_only() {
        let dir = tempfile::tempdir().unwrap();
        let tls_dir = dir.path().join("registry-tls");
        let first = ensure(&tls_dir).unwrap();
        let mode = std::fs::metadata(tls_dir.join("ca.key")).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let second = ensure(&tls_dir).unwrap();
        assert_eq!(first.ca_pem, second.ca_pem, "the CA survives restarts");
        // A server certificate made after a restart still chains to the stored CA.
        handshake(second.server.clone(), &first.ca_pem, "registry-1.docker.io").await.unwrap();
        let err = handshake(second.server.clone(), &first.ca_pem, "example.com").await.unwrap_err();
        assert!(err.contains("certificate") || err.contains("Certificate"), "{err}");
        // Another installation's CA does not trust this one's server.
        let other = ensure(&dir.path().join("other")).unwrap();
        assert!(handshake(second.server.clone(), &other.ca_pem, "registry-1.docker.io").await.is_err());

        let rootfs = dir.path().join("rootfs");
        std::fs::create_dir_all(&rootfs).unwrap();
        install_in_node_rootfs(&rootfs, &first.ca_pem).unwrap();
        assert_eq!(std::fs::read_to_string(node_ca_path(&rootfs)).unwrap(), first.ca_pem);
    }
}
