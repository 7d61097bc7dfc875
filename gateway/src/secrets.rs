//! Per-install secrets: the session secret, the assertion key pair and the self-signed
//! certificate, created when missing and never overwritten.

use std::path::Path;

use anyhow::Context as _;
use rand::RngCore as _;
use sso::{AssertionSigner, SessionKeyer};

use crate::config::GatewayConfig;
use crate::tls;

/// The loaded secrets.
pub struct Secrets {
    /// Keys session hashes and CSRF tokens.
    pub keyer: SessionKeyer,
    /// Signs assertions.
    pub signer: AssertionSigner,
    /// The JWKS that verifies them (Ed25519 keys only; none for an HMAC secret).
    pub jwks: Option<String>,
    /// Seals the credential vault.
    pub vault_key: [u8; 32],
}

/// The systemd credential (`LoadCredential=session.secret:…`) used instead of the configured
/// session secret file when the service has it.
pub const SESSION_SECRET_CREDENTIAL: &str = "session.secret";
/// The systemd credential used instead of the configured assertion signing key.
pub const ASSERTION_KEY_CREDENTIAL: &str = "assertion.key";
/// The systemd credential used instead of the configured audit sealing key: on disk it is
/// root's alone, so no other process of the service user (the app runs as the same user) can
/// read it and forge seals.
pub const AUDIT_KEY_CREDENTIAL: &str = "audit.key";

/// The credential `name` that systemd handed the service (`$CREDENTIALS_DIRECTORY`), else the
/// configured file: on disk the secret may then be readable by root alone.
pub fn credential_or(name: &str, configured: &Path) -> std::path::PathBuf {
    if let Some(dir) = std::env::var_os("CREDENTIALS_DIRECTORY") {
        let credential = Path::new(&dir).join(name);
        if credential.exists() {
            return credential;
        }
    }
    configured.to_path_buf()
}

/// The public key file written beside an Ed25519 signing key.
pub fn public_key_path(signing_key: &Path) -> std::path::PathBuf {
    signing_key.with_extension("pub")
}

/// Create whatever is missing, then load everything.
pub fn ensure_all(config: &GatewayConfig) -> anyhow::Result<Secrets> {
    let data_dir = &config.server.data_dir;
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create data_dir {}", data_dir.display()))?;

    let secret_path = config.path(&config.session.secret_file);
    if !secret_path.exists() {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        tls::write_private(&secret_path, format!("{hex}\n").as_bytes())?;
        tracing::info!(path = %secret_path.display(), "generated session secret");
    }
    let secret_path = credential_or(SESSION_SECRET_CREDENTIAL, &secret_path);
    let secret = std::fs::read_to_string(&secret_path)
        .with_context(|| format!("cannot read session secret {}", secret_path.display()))?;
    let keyer = SessionKeyer::new(secret.trim().as_bytes())
        .with_context(|| format!("session secret {} is unusable", secret_path.display()))?;

    let key_path = config.path(&config.assertion.signing_key);
    if !key_path.exists() {
        let (private, public) = sso::assertion::generate_ed25519_pem()?;
        tls::write_private(&key_path, private.as_bytes())?;
        std::fs::write(public_key_path(&key_path), public)
            .with_context(|| format!("cannot write {}", public_key_path(&key_path).display()))?;
        tracing::info!(path = %key_path.display(), "generated assertion key pair");
    }
    let mut signer = AssertionSigner::from_file(
        &credential_or(ASSERTION_KEY_CREDENTIAL, &key_path),
        config.assertion.lifetime,
    )?;
    let mut jwks = None;
    if let Ok(public) = std::fs::read(public_key_path(&key_path)) {
        let (kid, set) = sso::assertion::jwks(&public)
            .with_context(|| format!("{} is unusable", public_key_path(&key_path).display()))?;
        signer = signer.with_kid(kid);
        jwks = Some(set.to_string());
    }

    if config.tls.self_signed_if_missing {
        let (cert, key) = (config.path(&config.tls.cert), config.path(&config.tls.key));
        if tls::ensure_self_signed(&cert, &key, &config.tls.hostnames)? {
            tracing::info!(path = %cert.display(), "generated a self-signed certificate");
        }
    }
    let vault_path = crate::vault::key_path(&config.path(&config.vault.key_file));
    if !vault_path.exists() {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        tls::write_private(&vault_path, format!("{hex}\n").as_bytes())?;
        tracing::info!(path = %vault_path.display(), "generated the credential vault key");
    }
    let vault_key = crate::vault::read_key(&vault_path)?;
    Ok(Secrets {
        keyer,
        signer,
        jwks,
        vault_key,
    })
}
