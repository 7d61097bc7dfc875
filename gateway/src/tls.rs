//! The HTTPS certificate: loaded from configured PEM files, or generated self-signed
//! (ECDSA P-256) on first start when the configuration allows it.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use rustls::crypto::ring::sign::any_supported_type;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

/// Make a self-signed certificate for `hostnames` at `cert_path`/`key_path` unless both files
/// already exist. Returns whether one was generated.
pub fn ensure_self_signed(
    cert_path: &Path,
    key_path: &Path,
    hostnames: &[String],
) -> anyhow::Result<bool> {
    if cert_path.exists() && key_path.exists() {
        return Ok(false);
    }
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
        .context("cannot generate an ECDSA P-256 key")?;
    let mut params = rcgen::CertificateParams::new(hostnames.to_vec())
        .context("invalid host name for the certificate")?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Yakuba gateway (self-signed)");
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(397);
    let cert = params
        .self_signed(&key)
        .context("cannot self-sign the certificate")?;
    for path in [cert_path, key_path] {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
    }
    write_private(key_path, key.serialize_pem().as_bytes())?;
    std::fs::write(cert_path, cert.pem())
        .with_context(|| format!("cannot write {}", cert_path.display()))?;
    Ok(true)
}

/// Write a file readable by its owner only.
pub fn write_private(path: &Path, content: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(content)
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Load a PEM certificate chain and private key into a rustls key.
pub fn load(cert_path: &Path, key_path: &Path) -> anyhow::Result<Arc<CertifiedKey>> {
    let cert_pem = std::fs::read(cert_path)
        .with_context(|| format!("cannot read certificate {}", cert_path.display()))?;
    let certs: Vec<CertificateDer<'static>> = rustls_pemfile::certs(&mut cert_pem.as_slice())
        .collect::<Result<_, _>>()
        .with_context(|| format!("bad PEM in {}", cert_path.display()))?;
    if certs.is_empty() {
        bail!("no certificate in {}", cert_path.display());
    }
    let key_pem = std::fs::read(key_path)
        .with_context(|| format!("cannot read private key {}", key_path.display()))?;
    let key: PrivateKeyDer<'static> = rustls_pemfile::private_key(&mut key_pem.as_slice())
        .with_context(|| format!("bad PEM in {}", key_path.display()))?
        .with_context(|| format!("no private key in {}", key_path.display()))?;
    let signing = any_supported_type(&key)
        .with_context(|| format!("unsupported key type in {}", key_path.display()))?;
    Ok(Arc::new(CertifiedKey::new(certs, signing)))
}

/// Serves one certificate for every name. (Hot reload swaps the key in a later issue.)
#[derive(Debug)]
pub struct SingleCert(pub Arc<CertifiedKey>);

impl ResolvesServerCert for SingleCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_certificate_loads_and_is_kept_on_the_next_start() {
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("tls/cert.pem");
        let key = dir.path().join("tls/key.pem");
        assert!(ensure_self_signed(&cert, &key, &["localhost".into()]).unwrap());
        let first = std::fs::read(&cert).unwrap();
        assert!(!ensure_self_signed(&cert, &key, &["localhost".into()]).unwrap());
        assert_eq!(std::fs::read(&cert).unwrap(), first);
        load(&cert, &key).unwrap();
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    #[test]
    fn missing_or_garbage_files_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("c.pem");
        std::fs::write(&cert, "not pem").unwrap();
        let err = load(&cert, &dir.path().join("k.pem"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("c.pem"), "{err}");
    }
}
