//! The SQL of backups: a consistent SQLite snapshot while the app runs, and row counts for
//! comparing a restore with its source.

use std::path::Path;

use sqlx::AnyPool;

/// Write a consistent snapshot of the open SQLite database to `dest` with `VACUUM INTO`: one
/// read transaction, so writers neither block nor tear the copy. `dest` must not exist.
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

/// Every table of the app's schema with its number of rows, by name (migration bookkeeping
/// left out).
pub async fn row_counts(pool: &AnyPool, postgres: bool) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let tables: Vec<String> = if postgres {
        sqlx::query_scalar(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() \
             AND tablename NOT LIKE '\\_sqlx%' ORDER BY tablename",
        )
        .fetch_all(pool)
        .await?
    } else {
        sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_sqlx%' ESCAPE '\\' \
             ORDER BY name",
        )
        .fetch_all(pool)
        .await?
    };
    let mut counts = Vec::with_capacity(tables.len());
    for table in tables {
        // Names come from the catalogue, not from a user; quoted all the same.
        let sql = format!("SELECT COUNT(*) FROM \"{}\"", table.replace('"', "\"\""));
        let n: i64 = sqlx::query_scalar(&sql).fetch_one(pool).await?;
        counts.push((table, n));
    }
    Ok(counts)
}
