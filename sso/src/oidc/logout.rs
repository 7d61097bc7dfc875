//! Back-channel logout tokens (OpenID Connect Back-Channel Logout 1.0, §2.4 and §2.6): the
//! provider POSTs one to the gateway when a user logs out there, naming the session (`sid`)
//! or the user (`sub`) to end.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

use super::{OidcClient, OidcError};

/// The event that marks a logout token.
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// Logout tokens issued longer ago than this are refused; their `jti`s are remembered as long.
const MAX_AGE: Duration = Duration::from_secs(300);

/// Allowed difference between our clock and the provider's.
const CLOCK_SKEW: Duration = Duration::from_secs(60);

/// Most `jti`s remembered; past it the one that expires first is forgotten.
const REPLAY_CAPACITY: usize = 10_000;

/// Signature algorithms accepted for logout tokens: asymmetric ones only.
const ALGORITHMS: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// Whom a valid logout token logs out: the provider session `sid`, else every session of
/// `sub`. At least one is present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackchannelLogout {
    /// The subject, as in the ID token's `sub`.
    pub sub: Option<String>,
    /// The provider's session id, as in the ID token's `sid`.
    pub sid: Option<String>,
}

/// `jti`s of accepted logout tokens with the time (seconds since the epoch) after which the
/// token would be refused anyway, so the entry can go.
#[derive(Debug, Default)]
pub(super) struct ReplayCache {
    seen: HashMap<String, u64>,
}

impl ReplayCache {
    /// Records `jti` until `forget_after`; false if it was already there.
    fn insert(&mut self, jti: &str, forget_after: u64, now: u64) -> bool {
        if self.seen.get(jti).is_some_and(|&until| until >= now) {
            return false;
        }
        if self.seen.len() >= REPLAY_CAPACITY {
            self.seen.retain(|_, until| *until >= now);
        }
        if self.seen.len() >= REPLAY_CAPACITY {
            // Only the provider can sign logout tokens, so a flood this large is the provider
            // itself; dropping the entry nearest its expiry keeps memory bounded.
            if let Some(oldest) = self
                .seen
                .iter()
                .min_by_key(|(_, until)| **until)
                .map(|(jti, _)| jti.clone())
            {
                self.seen.remove(&oldest);
            }
        }
        self.seen.insert(jti.to_owned(), forget_after);
        true
    }
}

fn invalid(why: impl Into<String>) -> OidcError {
    OidcError::InvalidLogoutToken(why.into())
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl OidcClient {
    /// Validates a back-channel logout token as §2.6 asks: signature by one of the provider's
    /// keys (fetched again once on an unknown `kid`), `iss`, `aud`, a recent `iat`, `exp` if
    /// present, `events` holding the back-channel logout event as an object, `sid` or `sub`,
    /// no `nonce`, and a `jti` not seen before.
    pub async fn validate_logout_token(&self, jwt: &str) -> Result<BackchannelLogout, OidcError> {
        let header = jsonwebtoken::decode_header(jwt)
            .map_err(|e| invalid(format!("unreadable header: {e}")))?;
        if !ALGORITHMS.contains(&header.alg) {
            return Err(invalid(format!(
                "algorithm {:?} is not accepted",
                header.alg
            )));
        }
        let keys = self.keys.current();
        let key = match pick_key(&keys.jwt, header.kid.as_deref(), header.alg) {
            Some(key) => key.clone(),
            None if header.kid.is_some() => {
                let fresh = self
                    .keys
                    .refetch_after_miss(keys.generation, &self.http)
                    .await?;
                fresh
                    .as_deref()
                    .and_then(|fresh| pick_key(&fresh.jwt, header.kid.as_deref(), header.alg))
                    .cloned()
                    .ok_or_else(|| invalid("signed with a key the provider does not have"))?
            }
            None => return Err(invalid("no key id and no single key fits")),
        };
        let decoding = DecodingKey::from_jwk(&key).map_err(|e| invalid(format!("key: {e}")))?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[self.issuer.as_str()]);
        validation.set_audience(&[self.settings.client_id.as_str()]);
        validation.set_required_spec_claims(&["iss", "aud"]);
        validation.leeway = CLOCK_SKEW.as_secs();
        let data = jsonwebtoken::decode::<Map<String, Value>>(jwt, &decoding, &validation)
            .map_err(|e| invalid(e.to_string()))?;
        let claims = data.claims;

        let now = unix_now();
        let iat = claims
            .get("iat")
            .and_then(Value::as_u64)
            .ok_or_else(|| invalid("no iat"))?;
        if iat > now + CLOCK_SKEW.as_secs() {
            return Err(invalid("issued in the future"));
        }
        if iat + MAX_AGE.as_secs() + CLOCK_SKEW.as_secs() < now {
            return Err(invalid("issued too long ago"));
        }
        let is_logout_event = claims
            .get("events")
            .and_then(Value::as_object)
            .and_then(|events| events.get(BACKCHANNEL_LOGOUT_EVENT))
            .is_some_and(Value::is_object);
        if !is_logout_event {
            return Err(invalid("events lacks the back-channel logout event"));
        }
        if claims.contains_key("nonce") {
            return Err(invalid("has a nonce, as only ID tokens do"));
        }
        let text = |name: &str| -> Result<Option<String>, OidcError> {
            match claims.get(name) {
                None => Ok(None),
                Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
                Some(_) => Err(invalid(format!("{name} is not a string"))),
            }
        };
        let sub = text("sub")?;
        let sid = text("sid")?;
        if sub.is_none() && sid.is_none() {
            return Err(invalid("names neither sid nor sub"));
        }
        let jti = text("jti")?.ok_or_else(|| invalid("no jti"))?;
        let forget_after = iat + MAX_AGE.as_secs() + 2 * CLOCK_SKEW.as_secs();
        let fresh = self
            .replay
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(&jti, forget_after, now);
        if !fresh {
            return Err(OidcError::ReplayedLogoutToken);
        }
        Ok(BackchannelLogout { sub, sid })
    }
}

/// The signing key for a token: the one with its `kid`, or without a `kid` the only key that
/// fits the algorithm. Symmetric and encryption keys never qualify, nor keys published for
/// another algorithm.
fn pick_key<'a>(keys: &'a [Jwk], kid: Option<&str>, alg: Algorithm) -> Option<&'a Jwk> {
    let fits = |key: &&Jwk| {
        let asymmetric = !matches!(key.algorithm, AlgorithmParameters::OctetKey(_));
        let for_signing = !matches!(key.common.public_key_use, Some(PublicKeyUse::Encryption));
        let same_alg = key
            .common
            .key_algorithm
            .is_none_or(|a| Algorithm::from_str(&a.to_string()).ok() == Some(alg));
        asymmetric && for_signing && same_alg
    };
    match kid {
        Some(kid) => keys
            .iter()
            .filter(fits)
            .find(|key| key.common.key_id.as_deref() == Some(kid)),
        None => {
            let mut candidates = keys.iter().filter(fits);
            let only = candidates.next()?;
            candidates.next().is_none().then_some(only)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jti_is_refused_the_second_time_until_it_expires() {
        let mut cache = ReplayCache::default();
        assert!(cache.insert("a", 100, 10));
        assert!(!cache.insert("a", 100, 50));
        assert!(cache.insert("a", 200, 101), "forgotten after expiry");
    }

    #[test]
    fn the_cache_stays_bounded() {
        let mut cache = ReplayCache::default();
        for i in 0..REPLAY_CAPACITY + 10 {
            assert!(cache.insert(&i.to_string(), 1_000 + i as u64, 0));
        }
        assert_eq!(cache.seen.len(), REPLAY_CAPACITY);
        assert!(
            !cache.seen.contains_key("0"),
            "the earliest expiry went first"
        );
        assert!(!cache.insert(&(REPLAY_CAPACITY + 9).to_string(), 0, 0));
    }

    #[test]
    fn expired_entries_are_dropped_before_anything_live() {
        let mut cache = ReplayCache::default();
        for i in 0..REPLAY_CAPACITY {
            assert!(cache.insert(&i.to_string(), if i == 5 { 10_000 } else { 5 }, 0));
        }
        assert!(cache.insert("new", 10_000, 6));
        assert_eq!(cache.seen.len(), 2);
        assert!(!cache.insert("5", 10_000, 7));
    }
}
