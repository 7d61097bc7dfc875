//! The credential vault's rows: sealed credentials only (see `vault.rs`); the key that opens
//! them never reaches the database.

use sqlx::AnyPool;

/// The sealed credentials of `user` for `system`.
pub async fn vault_get(
    pool: &AnyPool,
    user: &str,
    system: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar::<_, String>(
        "SELECT sealed FROM vault_credentials WHERE user_id = $1 AND system = $2",
    )
    .bind(user)
    .bind(system)
    .fetch_optional(pool)
    .await
}

/// Store or replace sealed credentials.
pub async fn vault_put(
    pool: &AnyPool,
    user: &str,
    system: &str,
    sealed: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO vault_credentials (user_id, system, sealed, updated_at) \
         VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id, system) DO UPDATE SET sealed = $3, updated_at = $4",
    )
    .bind(user)
    .bind(system)
    .bind(sealed)
    .bind(now)
    .execute(pool)
    .await?;
    Ok(())
}

/// Remove sealed credentials.
pub async fn vault_remove(pool: &AnyPool, user: &str, system: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM vault_credentials WHERE user_id = $1 AND system = $2")
        .bind(user)
        .bind(system)
        .execute(pool)
        .await?;
    Ok(())
}

/// The systems `user` has credentials for, with when each changed.
pub async fn vault_systems(pool: &AnyPool, user: &str) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as::<_, (String, i64)>(
        "SELECT system, updated_at FROM vault_credentials WHERE user_id = $1 ORDER BY system",
    )
    .bind(user)
    .fetch_all(pool)
    .await
}
