//! The credential vault: each user's login id and password for the legacy systems that need
//! their own (HTTP Basic, login-form replay), sealed with an AEAD key the database never sees.
//!
//! A sealed record is `v1.` + Base64 of (96-bit random nonce ‖ ChaCha20-Poly1305 ciphertext
//! and tag). The associated data binds it to its user and system, so a row copied to another
//! user or system does not open. Plain credentials exist only in memory, only while a
//! request uses them; they are never logged (their `Debug` hides the password) and every use
//! is audited by the caller.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom as _, SystemRandom};
use serde::{Deserialize, Serialize};
use sqlx::AnyPool;

/// Name of the systemd credential (`LoadCredential=vault.key:…`) that, when present, is used
/// instead of the configured key file.
pub const CREDENTIAL_NAME: &str = "vault.key";

/// How long a sealed record read from the database is reused before it is read again (a
/// change made through another gateway sharing the store is seen within this time).
const CACHE_TTL: Duration = Duration::from_secs(60);

/// Longest login id and password accepted for a legacy system.
pub const MAX_LOGIN: usize = 256;
/// Longest password accepted.
pub const MAX_PASSWORD: usize = 1024;

const VERSION: &str = "v1.";

/// A user's credentials for one legacy system.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credential {
    /// Login id at the legacy system.
    pub login: String,
    /// Password at the legacy system.
    pub password: String,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("login", &self.login)
            .field("password", &"(hidden)")
            .finish()
    }
}

/// Why the vault could not answer.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// The database failed.
    #[error("credential store: {0}")]
    Store(#[from] sqlx::Error),
    /// A record does not open with this key (wrong key, or the row was altered or moved).
    #[error("a sealed credential does not open with the vault key")]
    Unsealable,
}

/// Where the vault key comes from: the systemd credential when the service has one, else
/// the configured file.
pub fn key_path(configured: &Path) -> PathBuf {
    if let Some(dir) = std::env::var_os("CREDENTIALS_DIRECTORY") {
        let credential = Path::new(&dir).join(CREDENTIAL_NAME);
        if credential.exists() {
            return credential;
        }
    }
    configured.to_path_buf()
}

/// Read a key file: 64 hexadecimal digits (32 bytes).
pub fn read_key(path: &Path) -> anyhow::Result<[u8; 32]> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read vault key {}", path.display()))?;
    parse_key(text.trim())
        .with_context(|| format!("vault key {} is not 64 hexadecimal digits", path.display()))
}

fn parse_key(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 || !hex.is_ascii() {
        return None;
    }
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(key)
}

/// Seals and opens credentials.
pub struct Sealer {
    key: LessSafeKey,
    rng: SystemRandom,
}

impl Sealer {
    /// A sealer for a 32-byte key.
    pub fn new(key: &[u8; 32]) -> Sealer {
        let unbound = UnboundKey::new(&CHACHA20_POLY1305, key)
            .unwrap_or_else(|_| unreachable!("a 32-byte key fits ChaCha20-Poly1305"));
        Sealer {
            key: LessSafeKey::new(unbound),
            rng: SystemRandom::new(),
        }
    }

    fn aad(user: &str, system: &str) -> Vec<u8> {
        let mut aad = b"yakuba-vault-1\0".to_vec();
        aad.extend_from_slice(user.as_bytes());
        aad.push(0);
        aad.extend_from_slice(system.as_bytes());
        aad
    }

    /// Seal `credential` for `user` at `system`.
    pub fn seal(
        &self,
        user: &str,
        system: &str,
        credential: &Credential,
    ) -> anyhow::Result<String> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng
            .fill(&mut nonce)
            .map_err(|_| anyhow::anyhow!("no randomness for a vault nonce"))?;
        let mut buffer = serde_json::to_vec(credential)?;
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(Self::aad(user, system)),
                &mut buffer,
            )
            .map_err(|_| anyhow::anyhow!("sealing failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buffer);
        Ok(format!("{VERSION}{}", BASE64.encode(out)))
    }

    /// Open what [`Sealer::seal`] made for the same user and system.
    pub fn open(&self, user: &str, system: &str, sealed: &str) -> Result<Credential, VaultError> {
        let bytes = sealed
            .strip_prefix(VERSION)
            .and_then(|b| BASE64.decode(b).ok())
            .filter(|b| b.len() > NONCE_LEN)
            .ok_or(VaultError::Unsealable)?;
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| VaultError::Unsealable)?;
        let mut buffer = sealed.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(Self::aad(user, system)), &mut buffer)
            .map_err(|_| VaultError::Unsealable)?;
        serde_json::from_slice(plain).map_err(|_| VaultError::Unsealable)
    }
}

/// A sealed record (or its absence) as read at an instant.
type Cached = (Instant, Option<String>);

/// The vault: sealed records in the gateway's database, with a short-lived cache of the
/// sealed form (never the plain one) so that a Basic-authenticated route costs no database
/// read per request.
pub struct Vault {
    sealer: Sealer,
    pool: AnyPool,
    cache: Mutex<HashMap<(String, String), Cached>>,
}

impl Vault {
    /// A vault over `pool` with `key`.
    pub fn new(pool: AnyPool, key: &[u8; 32]) -> Vault {
        Vault {
            sealer: Sealer::new(key),
            pool,
            cache: Mutex::new(HashMap::new()),
        }
    }

    fn cached(&self, user: &str, system: &str) -> Option<Option<String>> {
        let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .get(&(user.to_owned(), system.to_owned()))
            .filter(|(at, _)| at.elapsed() < CACHE_TTL)
            .map(|(_, sealed)| sealed.clone())
    }

    fn remember(&self, user: &str, system: &str, sealed: Option<String>) {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() > 100_000 {
            cache.retain(|_, (at, _)| at.elapsed() < CACHE_TTL);
        }
        cache.insert(
            (user.to_owned(), system.to_owned()),
            (Instant::now(), sealed),
        );
    }

    /// `user`'s credentials for `system`, if enrolled.
    pub async fn get(&self, user: &str, system: &str) -> Result<Option<Credential>, VaultError> {
        let sealed = match self.cached(user, system) {
            Some(sealed) => sealed,
            None => {
                let sealed = crate::store::vault_get(&self.pool, user, system).await?;
                self.remember(user, system, sealed.clone());
                sealed
            }
        };
        sealed
            .map(|s| self.sealer.open(user, system, &s))
            .transpose()
    }

    /// Store (or replace) `user`'s credentials for `system`.
    pub async fn put(
        &self,
        user: &str,
        system: &str,
        credential: &Credential,
    ) -> anyhow::Result<()> {
        let sealed = self.sealer.seal(user, system, credential)?;
        crate::store::vault_put(&self.pool, user, system, &sealed, crate::sessions::now()).await?;
        self.remember(user, system, Some(sealed));
        Ok(())
    }

    /// Forget `user`'s credentials for `system`.
    pub async fn remove(&self, user: &str, system: &str) -> Result<(), VaultError> {
        crate::store::vault_remove(&self.pool, user, system).await?;
        self.remember(user, system, None);
        Ok(())
    }

    /// Drop the cached copy, so the next use reads the database (after the system refused
    /// the credentials: they may have been updated through another gateway).
    pub fn forget_cached(&self, user: &str, system: &str) {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache.remove(&(user.to_owned(), system.to_owned()));
    }

    /// The systems `user` has credentials for, with when each was last changed (Unix seconds).
    pub async fn systems_of(&self, user: &str) -> Result<Vec<(String, i64)>, VaultError> {
        Ok(crate::store::vault_systems(&self.pool, user).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credential() -> Credential {
        Credential {
            login: "yamada".into(),
            password: "パスワード1".into(),
        }
    }

    #[test]
    fn sealed_credentials_open_only_for_their_user_system_and_key() {
        let sealer = Sealer::new(&[7u8; 32]);
        let sealed = sealer.seal("yamada", "shomu", &credential()).unwrap();
        assert!(sealed.starts_with("v1."));
        assert!(!sealed.contains("yamada"));
        assert_eq!(
            sealer.open("yamada", "shomu", &sealed).unwrap(),
            credential()
        );
        assert!(matches!(
            sealer.open("suzuki", "shomu", &sealed),
            Err(VaultError::Unsealable)
        ));
        assert!(matches!(
            sealer.open("yamada", "zaimu", &sealed),
            Err(VaultError::Unsealable)
        ));
        let other = Sealer::new(&[8u8; 32]);
        assert!(other.open("yamada", "shomu", &sealed).is_err());
        // Two seals of the same credential differ (fresh nonce).
        assert_ne!(
            sealed,
            sealer.seal("yamada", "shomu", &credential()).unwrap()
        );
    }

    #[test]
    fn altered_records_do_not_open() {
        let sealer = Sealer::new(&[7u8; 32]);
        let sealed = sealer.seal("yamada", "shomu", &credential()).unwrap();
        let mut bytes = BASE64.decode(&sealed[3..]).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let altered = format!("v1.{}", BASE64.encode(&bytes));
        assert!(sealer.open("yamada", "shomu", &altered).is_err());
        assert!(sealer.open("yamada", "shomu", "v1.AAAA").is_err());
        assert!(sealer.open("yamada", "shomu", "garbage").is_err());
    }

    #[test]
    fn debug_output_hides_the_password() {
        let text = format!("{:?}", credential());
        assert!(text.contains("yamada"));
        assert!(!text.contains("パスワード"));
    }

    #[test]
    fn keys_are_64_hex_digits() {
        assert_eq!(parse_key(&"ab".repeat(32)), Some([0xab; 32]));
        assert_eq!(parse_key("abc"), None);
        assert_eq!(parse_key(&"zz".repeat(32)), None);
    }
}
