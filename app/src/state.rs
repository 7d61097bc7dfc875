//! What every request handler can reach: the database pool, the assertion verifier and the
//! default language. Built once in `main` (or a test) and cloned into each request cheaply.

use std::sync::{Arc, RwLock};

use sqlx::AnyPool;
use sso::{AssertionError, AssertionVerifier, Claims};

use crate::i18n::Lang;

/// Shared state of the running app.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The database.
    pub pool: AnyPool,
    /// Checks the gateway's identity assertion on every request.
    pub verifier: Arc<GatewayKey>,
    /// The language for users who have not chosen one.
    pub default_lang: Lang,
    /// Request counters for `/metrics`.
    pub metrics: Arc<crate::metrics::Counters>,
    /// The app's audit trail and the audit view's settings; in memory until `main` opens
    /// the configured one.
    pub audit: crate::audit::AuditTrail,
    /// Working hours for the free-slot search (`[schedule]`); 08:30〜17:15 until `main` sets
    /// the configured ones.
    pub working_hours: crate::schedule::free_slots::WorkingHours,
}

impl AppState {
    /// State over `pool`, trusting assertions that `verifier` accepts.
    pub fn new(pool: AnyPool, verifier: AssertionVerifier, default_lang: Lang) -> AppState {
        AppState {
            pool,
            verifier: Arc::new(GatewayKey::new(verifier)),
            default_lang,
            metrics: Arc::default(),
            audit: crate::audit::AuditTrail::in_memory(crate::config::AuditSettings::default()),
            working_hours: crate::schedule::free_slots::WorkingHours::default(),
        }
    }
}

/// The verifier of the gateway's assertions, replaced in place when `systemctl reload` makes
/// the app read a new key (the gateway's key was rotated) without a restart.
#[derive(Debug)]
pub struct GatewayKey(RwLock<Arc<AssertionVerifier>>);

impl GatewayKey {
    /// Trust what `verifier` accepts.
    pub fn new(verifier: AssertionVerifier) -> GatewayKey {
        GatewayKey(RwLock::new(Arc::new(verifier)))
    }

    /// Verify an assertion with the current key.
    pub fn verify(&self, token: &str) -> Result<Claims, AssertionError> {
        let current = self.0.read().map_or_else(
            |poisoned| poisoned.into_inner().clone(),
            |guard| guard.clone(),
        );
        current.verify(token)
    }

    /// From now on trust what `verifier` accepts.
    pub fn replace(&self, verifier: AssertionVerifier) {
        let mut guard = self
            .0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *guard = Arc::new(verifier);
    }
}
