//! What every request handler can reach: the database pool, the assertion verifier and the
//! default language. Built once in `main` (or a test) and cloned into each request cheaply.

use std::sync::Arc;

use sqlx::AnyPool;
use sso::AssertionVerifier;

use crate::i18n::Lang;

/// Shared state of the running app.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The database.
    pub pool: AnyPool,
    /// Checks the gateway's identity assertion on every request.
    pub verifier: Arc<AssertionVerifier>,
    /// The language for users who have not chosen one.
    pub default_lang: Lang,
}

impl AppState {
    /// State over `pool`, trusting assertions that `verifier` accepts.
    pub fn new(pool: AnyPool, verifier: AssertionVerifier, default_lang: Lang) -> AppState {
        AppState {
            pool,
            verifier: Arc::new(verifier),
            default_lang,
        }
    }
}
