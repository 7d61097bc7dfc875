//! The session store's side of OpenID logins: what ties a session to the provider's login,
//! logins waiting for the provider's callback, and refresh tokens for re-validation.

use sqlx::AnyPool;

/// What ties a session to a login at an OpenID provider.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct IdpLink {
    /// The provider's id in the configuration.
    pub idp: String,
    /// The provider's subject.
    pub idp_sub: String,
    /// The provider's session id, if it sent one.
    pub idp_sid: Option<String>,
    /// The ID token, for `id_token_hint` at logout.
    pub id_token: String,
    /// The refresh token, for re-validation, if the provider issued one.
    pub refresh_token: Option<String>,
}

/// The provider login behind session `key`, if it came from one.
pub async fn idp_link(pool: &AnyPool, key: &str) -> Result<Option<IdpLink>, sqlx::Error> {
    sqlx::query_as::<_, IdpLink>(
        "SELECT idp, idp_sub, idp_sid, id_token, refresh_token FROM sessions \
         WHERE key = $1 AND idp IS NOT NULL",
    )
    .bind(key)
    .fetch_optional(pool)
    .await
}

/// Keys and users of the sessions that a back-channel logout from `idp` names: by its
/// session id if given, otherwise every session of the subject.
pub async fn sessions_of_idp_login(
    pool: &AnyPool,
    idp: &str,
    sub: Option<&str>,
    sid: Option<&str>,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    match sid {
        Some(sid) => {
            sqlx::query_as::<_, (String, String)>(
                "SELECT key, user_id FROM sessions WHERE idp = $1 AND idp_sid = $2 \
                 AND ($3 IS NULL OR idp_sub = $3)",
            )
            .bind(idp)
            .bind(sid)
            .bind(sub)
            .fetch_all(pool)
            .await
        }
        None => {
            sqlx::query_as::<_, (String, String)>(
                "SELECT key, user_id FROM sessions WHERE idp = $1 AND idp_sub = $2",
            )
            .bind(idp)
            .bind(sub.unwrap_or_default())
            .fetch_all(pool)
            .await
        }
    }
}

/// A login sent to an OpenID provider, until the browser comes back.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendingRow {
    /// The provider's id.
    pub provider: String,
    /// JSON of `sso::oidc::PendingLogin`.
    pub pending: String,
    /// Where to go after the login.
    pub return_to: String,
    /// Unix seconds.
    pub created_at: i64,
}

/// Keep a pending login under its `state`.
pub async fn put_pending(pool: &AnyPool, state: &str, row: &PendingRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO oidc_pending (state, provider, pending, return_to, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(state)
    .bind(&row.provider)
    .bind(&row.pending)
    .bind(&row.return_to)
    .bind(row.created_at)
    .execute(pool)
    .await
    .map(|_| ())
}

/// Take (and forget) the pending login of `state`: each can be finished once only.
pub async fn take_pending(pool: &AnyPool, state: &str) -> Result<Option<PendingRow>, sqlx::Error> {
    sqlx::query_as::<_, PendingRow>(
        "DELETE FROM oidc_pending WHERE state = $1 \
         RETURNING provider, pending, return_to, created_at",
    )
    .bind(state)
    .fetch_optional(pool)
    .await
}

/// Forget pending logins started before `before`.
pub async fn prune_pending(pool: &AnyPool, before: i64) -> Result<u64, sqlx::Error> {
    sqlx::query("DELETE FROM oidc_pending WHERE created_at < $1")
        .bind(before)
        .execute(pool)
        .await
        .map(|done| done.rows_affected())
}

/// A session from an OpenID provider, as re-validation needs it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RefreshRow {
    /// Keyed hash of the session id.
    pub key: String,
    /// Login id.
    pub user_id: String,
    /// JSON of the identity.
    pub identity: String,
    /// The provider's id.
    pub idp: String,
    /// The provider's subject.
    pub idp_sub: String,
    /// The refresh token.
    pub refresh_token: String,
}

/// Sessions from OpenID providers that hold a refresh token.
pub async fn refreshable_sessions(pool: &AnyPool) -> Result<Vec<RefreshRow>, sqlx::Error> {
    sqlx::query_as::<_, RefreshRow>(
        "SELECT key, user_id, identity, idp, idp_sub, refresh_token FROM sessions \
         WHERE idp IS NOT NULL AND refresh_token IS NOT NULL",
    )
    .fetch_all(pool)
    .await
}

/// Claim the re-validation of session `key` at `now`, unless some gateway did so after
/// `not_since`: true for exactly one of several gateways asking at once.
pub async fn claim_revalidation(
    pool: &AnyPool,
    key: &str,
    now: i64,
    not_since: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE sessions SET revalidated_at = $1 \
         WHERE key = $2 AND (revalidated_at IS NULL OR revalidated_at <= $3)",
    )
    .bind(now)
    .bind(key)
    .bind(not_since)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Keep the refresh token the provider rotated to.
pub async fn set_refresh_token(pool: &AnyPool, key: &str, token: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET refresh_token = $1 WHERE key = $2")
        .bind(token)
        .bind(key)
        .execute(pool)
        .await
        .map(|_| ())
}
