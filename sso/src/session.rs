//! Session rules shared by every gateway instance: ids, keyed hashes and timeouts.
//!
//! The raw session id lives only in the user's cookie. Stores, logs and audit records see
//! its keyed hash ([`SessionKey`]), so a copy of the session table or of the audit log cannot
//! be replayed as a cookie.

use std::fmt;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore as _;
use sha2::Sha256;

/// Bytes of randomness in a session id (256 bits, well above the 128-bit floor).
const ID_BYTES: usize = 32;
/// Length of the base64url text of a session id.
const ID_TEXT_LEN: usize = 43;

/// A session id as it travels in the cookie. Deliberately not `Debug`/`Display`: it must
/// never reach a log line.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionId(String);

impl SessionId {
    /// A fresh id from the operating system's CSPRNG.
    pub fn generate() -> SessionId {
        let mut bytes = [0u8; ID_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        SessionId(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Accept a cookie value only if it has exactly the shape of an id we issue.
    pub fn parse(raw: &str) -> Option<SessionId> {
        let well_formed = raw.len() == ID_TEXT_LEN
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        well_formed.then(|| SessionId(raw.to_owned()))
    }

    /// The cookie value. Callers put it in a `Set-Cookie` header and nowhere else.
    pub fn expose_for_cookie(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionId(<redacted>)")
    }
}

/// The keyed hash of a session id: the key under which stores keep a session and the value
/// audit records carry.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionKey(String);

impl SessionKey {
    /// Wrap a key read back from a store.
    pub fn from_stored(text: String) -> SessionKey {
        SessionKey(text)
    }

    /// The hex text of the key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Derives [`SessionKey`]s and per-session CSRF tokens from a secret key.
#[derive(Clone)]
pub struct SessionKeyer {
    /// HMAC-SHA256 already keyed with the secret: its inner and outer pads are hashed once
    /// here, so each key or token costs two compressions instead of four.
    keyed: Hmac<Sha256>,
}

impl fmt::Debug for SessionKeyer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionKeyer(<redacted>)")
    }
}

/// Errors building a [`SessionKeyer`].
#[derive(Debug, thiserror::Error)]
pub enum KeyerError {
    /// The secret is too short to key an HMAC safely.
    #[error("the session secret must be at least 32 bytes, got {0}")]
    TooShort(usize),
}

impl SessionKeyer {
    /// A keyer over `secret`, which must hold at least 32 bytes.
    pub fn new(secret: &[u8]) -> Result<SessionKeyer, KeyerError> {
        if secret.len() < 32 {
            return Err(KeyerError::TooShort(secret.len()));
        }
        // `new_from_slice` accepts keys of any length for HMAC; the length check above is
        // ours, so this cannot fail.
        let keyed = match Hmac::<Sha256>::new_from_slice(secret) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC accepts keys of every length"),
        };
        Ok(SessionKeyer { keyed })
    }

    fn mac(&self, label: &[u8], data: &[u8]) -> [u8; 32] {
        let mut mac = self.keyed.clone();
        mac.update(label);
        mac.update(&[0]);
        mac.update(data);
        mac.finalize().into_bytes().into()
    }

    /// The store and audit key of `id`.
    pub fn key(&self, id: &SessionId) -> SessionKey {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let digest = self.mac(b"session-key", id.0.as_bytes());
        let mut text = String::with_capacity(64);
        for b in digest {
            text.push(char::from(HEX[usize::from(b >> 4)]));
            text.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
        SessionKey(text)
    }

    /// The CSRF token of the session `id`: forms in the gateway and the app carry it, and the
    /// app receives it in the assertion.
    pub fn csrf_token(&self, id: &SessionId) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(b"csrf", id.0.as_bytes()))
    }

    /// A CSRF token bound to an arbitrary pre-login nonce (the login form).
    pub fn csrf_token_for_nonce(&self, nonce: &str) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(b"login-csrf", nonce.as_bytes()))
    }
}

/// Idle and absolute timeouts, enforced independently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionRules {
    /// A session unused for this long ends.
    pub idle: Duration,
    /// A session ends this long after login, however busy.
    pub absolute: Duration,
}

/// Whether a session may still be used, and if not, why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    /// The session is valid.
    Live,
    /// Unused for longer than the idle timeout.
    IdleExpired,
    /// Older than the absolute timeout.
    AbsoluteExpired,
}

impl SessionState {
    /// The reason code for audit records.
    pub fn reason(self) -> &'static str {
        match self {
            SessionState::Live => "live",
            SessionState::IdleExpired => "idle_timeout",
            SessionState::AbsoluteExpired => "absolute_timeout",
        }
    }
}

impl SessionRules {
    /// Judge a session created at `created_at` and last used at `last_seen` (Unix seconds).
    pub fn state(&self, created_at: i64, last_seen: i64, now: i64) -> SessionState {
        let absolute = i64::try_from(self.absolute.as_secs()).unwrap_or(i64::MAX);
        let idle = i64::try_from(self.idle.as_secs()).unwrap_or(i64::MAX);
        if now.saturating_sub(created_at) >= absolute {
            SessionState::AbsoluteExpired
        } else if now.saturating_sub(last_seen) >= idle {
            SessionState::IdleExpired
        } else {
            SessionState::Live
        }
    }
}

/// Compare two secrets in constant time.
pub fn secrets_equal(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq as _;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyer() -> SessionKeyer {
        SessionKeyer::new(&[7u8; 32]).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn generated_ids_have_256_bits_and_parse_back() {
        let id = SessionId::generate();
        assert_eq!(id.expose_for_cookie().len(), ID_TEXT_LEN);
        assert_eq!(SessionId::parse(id.expose_for_cookie()), Some(id.clone()));
        assert_ne!(SessionId::generate(), id);
    }

    #[test]
    fn malformed_cookie_values_are_not_ids() {
        for bad in [
            "",
            "abc",
            &"a".repeat(42),
            &"a".repeat(44),
            &format!("{}=", "a".repeat(42)),
            &format!("{}!", "a".repeat(42)),
        ] {
            assert!(SessionId::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn ids_never_show_in_debug_output() {
        let id = SessionId::generate();
        assert!(!format!("{id:?}").contains(id.expose_for_cookie()));
    }

    #[test]
    fn keys_are_stable_per_secret_and_differ_across_secrets() {
        let id = SessionId::generate();
        assert_eq!(keyer().key(&id), keyer().key(&id));
        let other = SessionKeyer::new(&[8u8; 32]).unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(keyer().key(&id), other.key(&id));
        assert!(!keyer().key(&id).as_str().contains(id.expose_for_cookie()));
        assert_ne!(keyer().csrf_token(&id), keyer().key(&id).as_str());
    }

    #[test]
    fn keys_are_lower_case_hex_of_the_hmac() {
        let key = keyer().key(&SessionId::parse(&"a".repeat(43)).unwrap());
        assert_eq!(key.as_str().len(), 64);
        assert!(
            key.as_str()
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(SessionKeyer::new(&[1u8; 31]).is_err());
    }

    #[test]
    fn idle_and_absolute_timeouts_apply_independently() {
        let rules = SessionRules {
            idle: Duration::from_secs(600),
            absolute: Duration::from_secs(3600),
        };
        assert_eq!(rules.state(0, 0, 599), SessionState::Live);
        assert_eq!(rules.state(0, 0, 600), SessionState::IdleExpired);
        assert_eq!(rules.state(0, 3000, 3500), SessionState::Live);
        assert_eq!(rules.state(0, 3599, 3600), SessionState::AbsoluteExpired);
    }

    #[test]
    fn secret_comparison_needs_equal_content() {
        assert!(secrets_equal("abc", "abc"));
        assert!(!secrets_equal("abc", "abd"));
        assert!(!secrets_equal("abc", "abcd"));
    }
}
