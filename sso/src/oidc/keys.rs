//! The provider's signing keys (its JWKS), fetched at discovery and again when a token names a
//! key we do not have, which is how a provider's key rotation reaches us.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use openidconnect::core::{CoreJsonWebKey, CoreJsonWebKeySet};
use openidconnect::{JsonWebKeySet, JsonWebKeySetUrl};

use super::{OidcError, discovery_failure};

/// One generation of the provider's keys, in the two forms the verifiers need.
#[derive(Debug)]
pub(super) struct Keys {
    /// Counts fetches, so a caller can tell whether someone else refreshed meanwhile.
    pub generation: u64,
    /// For the ID token verifier of `openidconnect`.
    pub oidc: CoreJsonWebKeySet,
    /// For logout tokens, verified with `jsonwebtoken`; keys it cannot read are left out.
    pub jwt: Vec<jsonwebtoken::jwk::Jwk>,
}

impl Keys {
    fn new(generation: u64, oidc: CoreJsonWebKeySet) -> Keys {
        let jwt = oidc
            .keys()
            .iter()
            .filter_map(|key: &CoreJsonWebKey| {
                let value = serde_json::to_value(key).ok()?;
                serde_json::from_value(value).ok()
            })
            .collect();
        Keys {
            generation,
            oidc,
            jwt,
        }
    }
}

/// The current keys and the rule for fetching them again.
#[derive(Debug)]
pub(super) struct KeyStore {
    url: JsonWebKeySetUrl,
    current: RwLock<Arc<Keys>>,
    /// When the keys were last fetched because of an unknown key; held during a fetch so
    /// concurrent misses wait for one request instead of each sending their own.
    last_refetch: tokio::sync::Mutex<Option<Instant>>,
    min_interval: Duration,
}

impl KeyStore {
    pub fn new(url: JsonWebKeySetUrl, keys: CoreJsonWebKeySet, min_interval: Duration) -> Self {
        KeyStore {
            url,
            current: RwLock::new(Arc::new(Keys::new(0, keys))),
            last_refetch: tokio::sync::Mutex::new(None),
            min_interval,
        }
    }

    /// The keys as last fetched.
    pub fn current(&self) -> Arc<Keys> {
        self.current
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Fetches the keys again after a token named a key missing from generation `seen`.
    /// Returns `None` when nothing new can be had: another refetch happened less than the
    /// minimum interval ago. If someone else refreshed since `seen`, returns their keys.
    pub async fn refetch_after_miss(
        &self,
        seen: u64,
        http: &reqwest::Client,
    ) -> Result<Option<Arc<Keys>>, OidcError> {
        let mut last = self.last_refetch.lock().await;
        let current = self.current();
        if current.generation != seen {
            return Ok(Some(current));
        }
        if last.is_some_and(|at| at.elapsed() < self.min_interval) {
            return Ok(None);
        }
        *last = Some(Instant::now());
        let fetched: CoreJsonWebKeySet = JsonWebKeySet::fetch_async(&self.url, http)
            .await
            .map_err(|e| discovery_failure("fetching the provider's keys", e))?;
        let keys = Arc::new(Keys::new(current.generation + 1, fetched));
        tracing::info!(
            keys = keys.oidc.keys().len(),
            "fetched the OpenID provider's signing keys again after an unknown key id"
        );
        *self
            .current
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = keys.clone();
        Ok(Some(keys))
    }
}
