//! A consistent copy of the SQLite session store while the gateway runs.

use std::path::Path;

use sqlx::AnyPool;

/// Write a consistent snapshot of the open SQLite database to `dest` (`VACUUM INTO`: one read
/// transaction, so concurrent writers neither block nor tear the copy). `dest` must not exist.
pub async fn sqlite_snapshot(pool: &AnyPool, dest: &Path) -> Result<(), sqlx::Error> {
    let dest = dest
        .to_str()
        .ok_or_else(|| sqlx::Error::Protocol(format!("{} is not valid UTF-8", dest.display())))?;
    sqlx::query("VACUUM INTO $1")
        .bind(dest.to_owned())
        .execute(pool)
        .await
        .map(|_| ())
}

/// Number of rows of each of the store's tables, for comparing a restore with its source.
pub async fn row_counts(pool: &AnyPool) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let mut counts = Vec::new();
    for table in [
        "sessions",
        "session_events",
        "oidc_pending",
        "vault_credentials",
    ] {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        match sqlx::query_scalar::<_, i64>(&sql).fetch_one(pool).await {
            Ok(n) => counts.push((table.to_owned(), n)),
            // A table a later migration adds is simply absent from an older store.
            Err(sqlx::Error::Database(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(counts)
}
