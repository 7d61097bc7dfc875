//! The identity assertion: the single contract between the gateway and the app.
//!
//! On every request the gateway forwards to the app it adds a short-lived JWS (compact JWT)
//! signed with Ed25519 (`EdDSA`) or HMAC-SHA256 (`HS256`). The app accepts a request only if
//! the assertion verifies: signature, issuer, audience, expiry and not-before with a bounded
//! clock skew, and a lifetime no longer than the verifier allows.

use std::path::Path;
use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::identity::{AuthMethod, Identity};

/// The issuer every Yakuba gateway writes into its assertions.
pub const ISSUER: &str = "yakuba-gateway";
/// The HTTP header that carries the assertion to the app.
pub const HEADER: &str = "x-yakuba-assertion";
/// Shortest HMAC secret accepted, in bytes.
const MIN_HMAC_SECRET: usize = 32;

/// A business system the user may open, shown as a tile on the portal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppLink {
    /// The gateway route id.
    pub id: String,
    /// Japanese name ("電子決裁").
    pub name: String,
    /// English name ("e-Approval").
    pub name_en: String,
    /// Where the tile links to, through the gateway.
    pub href: String,
}

/// What the assertion says about the user and the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer, always [`ISSUER`].
    pub iss: String,
    /// Audience: the receiving service ("yakuba-app").
    pub aud: String,
    /// The login id.
    pub sub: String,
    /// Issued at, Unix seconds.
    pub iat: i64,
    /// Not before, Unix seconds.
    pub nbf: i64,
    /// Expiry, Unix seconds.
    pub exp: i64,
    /// Display name.
    pub name: String,
    /// Mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail: Option<String>,
    /// Department as the directory names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dept: Option<String>,
    /// Groups.
    #[serde(default)]
    pub groups: Vec<String>,
    /// How the user authenticated.
    pub amr: AuthMethod,
    /// Keyed hash of the gateway session, for correlation with the audit log.
    pub sid: String,
    /// The session's CSRF token, which the app puts in its forms and checks on POST.
    pub csrf: String,
    /// Business systems the user may open.
    #[serde(default)]
    pub apps: Vec<AppLink>,
}

impl Claims {
    /// The identity these claims describe.
    pub fn identity(&self) -> Identity {
        Identity {
            user: self.sub.clone(),
            name: self.name.clone(),
            mail: self.mail.clone(),
            department: self.dept.clone(),
            groups: self.groups.clone(),
            method: self.amr,
        }
    }
}

/// Why an assertion was not accepted, or a key could not be used.
#[derive(Debug, thiserror::Error)]
pub enum AssertionError {
    /// The key file could not be read.
    #[error("cannot read key file {path}: {source}")]
    KeyFile {
        /// The file.
        path: String,
        /// The IO error.
        source: std::io::Error,
    },
    /// The key file holds neither a PEM key of the right kind nor a long enough secret.
    #[error("key file {path} is not usable: {reason}")]
    BadKey {
        /// The file.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The assertion failed verification.
    #[error("assertion rejected: {0}")]
    Rejected(String),
    /// Signing failed (should not happen with a valid key).
    #[error("cannot sign assertion: {0}")]
    Signing(String),
}

fn read_key(path: &Path) -> Result<Vec<u8>, AssertionError> {
    std::fs::read(path).map_err(|source| AssertionError::KeyFile {
        path: path.display().to_string(),
        source,
    })
}

fn bad_key(path: &Path, reason: impl Into<String>) -> AssertionError {
    AssertionError::BadKey {
        path: path.display().to_string(),
        reason: reason.into(),
    }
}

/// What a key file holds.
enum KeyMaterial<'a> {
    /// A PEM document with the expected label.
    Pem,
    /// An HMAC secret (trailing whitespace removed).
    Secret(&'a [u8]),
}

/// Classify `bytes` from `path`: a PEM with `label`, or an HMAC secret of at least
/// [`MIN_HMAC_SECRET`] bytes. Anything else is an error naming the file.
fn classify<'a>(
    path: &Path,
    bytes: &'a [u8],
    label: &str,
) -> Result<KeyMaterial<'a>, AssertionError> {
    if bytes.starts_with(format!("-----BEGIN {label}-----").as_bytes()) {
        return Ok(KeyMaterial::Pem);
    }
    if bytes.starts_with(b"-----") {
        return Err(bad_key(
            path,
            format!("expected an Ed25519 `{label}` PEM or an HMAC secret"),
        ));
    }
    let secret = trim_secret(bytes);
    if secret.len() < MIN_HMAC_SECRET {
        return Err(bad_key(
            path,
            format!(
                "HMAC secret has {} bytes, need at least {MIN_HMAC_SECRET}",
                secret.len()
            ),
        ));
    }
    Ok(KeyMaterial::Secret(secret))
}

/// Signs assertions. Held by the gateway only.
pub struct AssertionSigner {
    key: EncodingKey,
    algorithm: Algorithm,
    lifetime: Duration,
    kid: Option<String>,
}

impl std::fmt::Debug for AssertionSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AssertionSigner")
            .field("algorithm", &self.algorithm)
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}

impl AssertionSigner {
    /// Load a signing key: an Ed25519 PKCS#8 PEM private key, or an HMAC secret file of at
    /// least 32 bytes.
    pub fn from_file(path: &Path, lifetime: Duration) -> Result<AssertionSigner, AssertionError> {
        let bytes = read_key(path)?;
        let (key, algorithm) = match classify(path, &bytes, "PRIVATE KEY")? {
            KeyMaterial::Pem => {
                let key = EncodingKey::from_ed_pem(&bytes)
                    .map_err(|e| bad_key(path, format!("not an Ed25519 private key: {e}")))?;
                (key, Algorithm::EdDSA)
            }
            KeyMaterial::Secret(secret) => (EncodingKey::from_secret(secret), Algorithm::HS256),
        };
        Ok(AssertionSigner {
            key,
            algorithm,
            lifetime,
            kid: None,
        })
    }

    /// Name the key in every assertion's header (`kid`), as published by [`jwks`].
    pub fn with_kid(mut self, kid: String) -> AssertionSigner {
        self.kid = Some(kid);
        self
    }

    /// How long an assertion stays valid after it is issued.
    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// Sign `claims`; the issuer, not-before and expiry are set here from `claims.iat`.
    pub fn sign(&self, mut claims: Claims) -> Result<String, AssertionError> {
        claims.iss = ISSUER.to_owned();
        let lifetime = i64::try_from(self.lifetime.as_secs()).unwrap_or(i64::MAX);
        claims.nbf = claims.iat;
        claims.exp = claims.iat.saturating_add(lifetime);
        let mut header = Header::new(self.algorithm);
        header.kid.clone_from(&self.kid);
        jsonwebtoken::encode(&header, &claims, &self.key)
            .map_err(|e| AssertionError::Signing(e.to_string()))
    }
}

/// Verifies assertions. Held by the app (and by tests).
pub struct AssertionVerifier {
    key: DecodingKey,
    validation: Validation,
    max_lifetime: i64,
}

impl std::fmt::Debug for AssertionVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AssertionVerifier")
            .field("algorithms", &self.validation.algorithms)
            .field("max_lifetime", &self.max_lifetime)
            .finish_non_exhaustive()
    }
}

impl AssertionVerifier {
    /// Load a verifying key: an Ed25519 `PUBLIC KEY` PEM, or the same HMAC secret file the
    /// gateway signs with. Only assertions for `audience` are accepted, with `skew` of clock
    /// tolerance and a lifetime of at most `max_lifetime`.
    pub fn from_file(
        path: &Path,
        audience: &str,
        skew: Duration,
        max_lifetime: Duration,
    ) -> Result<AssertionVerifier, AssertionError> {
        let bytes = read_key(path)?;
        let (key, algorithm) = match classify(path, &bytes, "PUBLIC KEY")? {
            KeyMaterial::Pem => {
                let key = DecodingKey::from_ed_pem(&bytes)
                    .map_err(|e| bad_key(path, format!("not an Ed25519 public key: {e}")))?;
                (key, Algorithm::EdDSA)
            }
            KeyMaterial::Secret(secret) => (DecodingKey::from_secret(secret), Algorithm::HS256),
        };
        let mut validation = Validation::new(algorithm);
        validation.set_audience(&[audience]);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "aud", "iss", "sub"]);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.leeway = skew.as_secs();
        Ok(AssertionVerifier {
            key,
            validation,
            max_lifetime: i64::try_from(max_lifetime.as_secs()).unwrap_or(i64::MAX),
        })
    }

    /// Verify `token` and return its claims.
    pub fn verify(&self, token: &str) -> Result<Claims, AssertionError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation)
            .map_err(|e| AssertionError::Rejected(e.to_string()))?;
        let claims = data.claims;
        if claims.exp.saturating_sub(claims.iat) > self.max_lifetime {
            return Err(AssertionError::Rejected(
                "lifetime longer than allowed".to_owned(),
            ));
        }
        Ok(claims)
    }
}

/// HMAC secret files may end with a newline; it is not part of the secret.
fn trim_secret(bytes: &[u8]) -> &[u8] {
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |i| i + 1);
    &bytes[..end]
}

/// DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410); the 32-byte key follows.
const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// The JSON Web Key Set (RFC 7517, OKP keys per RFC 8037) with which upstreams verify the
/// gateway's Ed25519 assertions, and the key's id: the start of the key's SHA-256 thumbprint.
pub fn jwks(public_pem: &[u8]) -> Result<(String, serde_json::Value), AssertionError> {
    use base64::Engine as _;
    use sha2::Digest as _;
    let bad = |why: &str| AssertionError::BadKey {
        path: "(public key)".to_owned(),
        reason: why.to_owned(),
    };
    let der = rustls_pemfile::read_all(&mut &public_pem[..])
        .find_map(|item| match item {
            Ok(rustls_pemfile::Item::SubjectPublicKeyInfo(spki)) => Some(spki.to_vec()),
            _ => None,
        })
        .ok_or_else(|| bad("no PUBLIC KEY block"))?;
    let raw = der
        .strip_prefix(&ED25519_SPKI_PREFIX[..])
        .filter(|k| k.len() == 32)
        .ok_or_else(|| bad("not an Ed25519 key"))?;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let x = b64.encode(raw);
    // RFC 7638 thumbprint of {crv, kty, x}, in that order.
    let thumbprint = sha2::Sha256::digest(format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#));
    let kid = b64.encode(thumbprint);
    let set = serde_json::json!({
        "keys": [{ "kty": "OKP", "crv": "Ed25519", "x": x, "alg": "EdDSA", "use": "sig", "kid": kid }]
    });
    Ok((kid, set))
}

/// A new Ed25519 key pair as (PKCS#8 private key PEM, SPKI public key PEM).
pub fn generate_ed25519_pem() -> Result<(String, String), AssertionError> {
    let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519)
        .map_err(|e| AssertionError::Signing(e.to_string()))?;
    Ok((pair.serialize_pem(), pair.public_key_pem()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    fn claims(iat: i64) -> Claims {
        Claims {
            iss: String::new(),
            aud: "yakuba-app".into(),
            sub: "yamada".into(),
            iat,
            nbf: 0,
            exp: 0,
            name: "山田 太郎".into(),
            mail: None,
            dept: Some("総務課".into()),
            groups: vec!["soumu".into()],
            amr: AuthMethod::Local,
            sid: "k".into(),
            csrf: "c".into(),
            apps: vec![],
        }
    }

    fn now() -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
    }

    fn file(content: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(content).unwrap();
        f
    }

    struct Pair {
        _private: tempfile::NamedTempFile,
        _public: tempfile::NamedTempFile,
        signer: AssertionSigner,
        verifier: AssertionVerifier,
    }

    fn ed25519_pair(audience: &str) -> Pair {
        let (private, public) = generate_ed25519_pem().unwrap();
        let private = file(private.as_bytes());
        let public = file(public.as_bytes());
        let signer = AssertionSigner::from_file(private.path(), Duration::from_secs(60)).unwrap();
        let verifier = AssertionVerifier::from_file(
            public.path(),
            audience,
            Duration::from_secs(5),
            Duration::from_secs(300),
        )
        .unwrap();
        Pair {
            _private: private,
            _public: public,
            signer,
            verifier,
        }
    }

    #[test]
    fn ed25519_assertions_round_trip_with_japanese_names() {
        let pair = ed25519_pair("yakuba-app");
        let token = pair.signer.sign(claims(now())).unwrap();
        let back = pair.verifier.verify(&token).unwrap();
        assert_eq!(back.name, "山田 太郎");
        assert_eq!(back.iss, ISSUER);
        assert_eq!(back.identity().department.as_deref(), Some("総務課"));
    }

    #[test]
    fn hmac_assertions_round_trip_and_reject_another_secret() {
        let secret = file(&[b'k'; 40]);
        let signer = AssertionSigner::from_file(secret.path(), Duration::from_secs(60)).unwrap();
        let verifier = AssertionVerifier::from_file(
            secret.path(),
            "yakuba-app",
            Duration::from_secs(5),
            Duration::from_secs(300),
        )
        .unwrap();
        let token = signer.sign(claims(now())).unwrap();
        assert_eq!(verifier.verify(&token).unwrap().sub, "yamada");

        let other = file(&[b'x'; 40]);
        let other = AssertionVerifier::from_file(
            other.path(),
            "yakuba-app",
            Duration::from_secs(5),
            Duration::from_secs(300),
        )
        .unwrap();
        assert!(other.verify(&token).is_err());
    }

    #[test]
    fn short_hmac_secrets_and_wrong_pem_kinds_are_refused() {
        let short = file(b"too-short\n");
        assert!(AssertionSigner::from_file(short.path(), Duration::from_secs(60)).is_err());
        let cert = file(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
        assert!(AssertionSigner::from_file(cert.path(), Duration::from_secs(60)).is_err());
        assert!(
            AssertionVerifier::from_file(cert.path(), "a", Duration::ZERO, Duration::ZERO).is_err()
        );
    }

    #[test]
    fn wrong_audience_is_rejected() {
        let pair = ed25519_pair("yakuba-app");
        let mut c = claims(now());
        c.aud = "denkessai".into();
        let token = pair.signer.sign(c).unwrap();
        assert!(pair.verifier.verify(&token).is_err());
    }

    #[test]
    fn expired_and_future_assertions_are_rejected_beyond_the_skew() {
        let pair = ed25519_pair("yakuba-app");
        // Issued 70 s ago with a 60 s lifetime: expired 10 s ago, beyond the 5 s skew.
        let old = pair.signer.sign(claims(now() - 70)).unwrap();
        assert!(pair.verifier.verify(&old).is_err());
        // Expired 3 s ago: inside the skew, accepted.
        let recent = pair.signer.sign(claims(now() - 63)).unwrap();
        assert!(pair.verifier.verify(&recent).is_ok());
        // Issued 30 s in the future.
        let future = pair.signer.sign(claims(now() + 30)).unwrap();
        assert!(pair.verifier.verify(&future).is_err());
    }

    #[test]
    fn tampered_assertions_are_rejected() {
        let pair = ed25519_pair("yakuba-app");
        let token = pair.signer.sign(claims(now())).unwrap();
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let mut c = claims(now());
        c.sub = "admin".into();
        c.iss = ISSUER.into();
        c.nbf = c.iat;
        c.exp = c.iat + 60;
        use base64::Engine as _;
        parts[1] = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(serde_json::to_vec(&c).unwrap());
        assert!(pair.verifier.verify(&parts.join(".")).is_err());
        assert!(pair.verifier.verify("not.a.token").is_err());
        assert!(pair.verifier.verify("").is_err());
    }

    #[test]
    fn unsigned_and_algorithm_swapped_tokens_are_rejected() {
        let pair = ed25519_pair("yakuba-app");
        let token = pair.signer.sign(claims(now())).unwrap();
        let body = token.split('.').nth(1).unwrap();
        use base64::Engine as _;
        let none = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"alg":"none","typ":"JWT"}"#);
        assert!(pair.verifier.verify(&format!("{none}.{body}.")).is_err());
    }

    #[test]
    fn lifetimes_longer_than_allowed_are_rejected() {
        let (private, public) = generate_ed25519_pem().unwrap();
        let private = file(private.as_bytes());
        let public = file(public.as_bytes());
        let signer = AssertionSigner::from_file(private.path(), Duration::from_secs(3600)).unwrap();
        let verifier = AssertionVerifier::from_file(
            public.path(),
            "yakuba-app",
            Duration::from_secs(5),
            Duration::from_secs(300),
        )
        .unwrap();
        let token = signer.sign(claims(now())).unwrap();
        assert!(verifier.verify(&token).is_err());
    }
}
