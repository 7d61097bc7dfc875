//! The gateway's own database: server-side sessions in SQLite. All of the gateway's SQL is
//! here.

use std::path::Path;
use std::str::FromStr as _;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

/// A session as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    /// Keyed hash of the session id.
    pub key: String,
    /// Login id, for listing a user's sessions.
    pub user_id: String,
    /// JSON of [`sso::Identity`].
    pub identity: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds, flushed from memory periodically.
    pub last_seen: i64,
}

/// Open (creating if needed) the session database and bring its schema up to date.
pub async fn open(path: &Path) -> Result<SqlitePool, sqlx::Error> {
    let url = format!("sqlite://{}", path.display());
    let options = SqliteConnectOptions::from_str(&url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(5));
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await?;
    sqlx::migrate!("migrations/sqlite").run(&pool).await?;
    Ok(pool)
}

/// Check the database answers.
pub async fn ping(pool: &SqlitePool) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT 1").execute(pool).await.map(|_| ())
}

/// Store a new session.
pub async fn insert_session(pool: &SqlitePool, row: &SessionRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sessions (key, user_id, identity, created_at, last_seen) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&row.key)
    .bind(&row.user_id)
    .bind(&row.identity)
    .bind(row.created_at)
    .bind(row.last_seen)
    .execute(pool)
    .await
    .map(|_| ())
}

/// Find a session by key.
pub async fn load_session(pool: &SqlitePool, key: &str) -> Result<Option<SessionRow>, sqlx::Error> {
    sqlx::query_as::<_, SessionRow>(
        "SELECT key, user_id, identity, created_at, last_seen FROM sessions WHERE key = $1",
    )
    .bind(key)
    .fetch_optional(pool)
    .await
}

/// Replace the identity stored with a session (after re-validation).
pub async fn update_identity(
    pool: &SqlitePool,
    key: &str,
    identity: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET identity = $1 WHERE key = $2")
        .bind(identity)
        .bind(key)
        .execute(pool)
        .await
        .map(|_| ())
}

/// Remove a session; returns whether it existed.
pub async fn delete_session(pool: &SqlitePool, key: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM sessions WHERE key = $1")
        .bind(key)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Record when sessions were last used, in one transaction.
pub async fn touch_sessions(pool: &SqlitePool, seen: &[(String, i64)]) -> Result<(), sqlx::Error> {
    if seen.is_empty() {
        return Ok(());
    }
    let mut tx = pool.begin().await?;
    for (key, last_seen) in seen {
        sqlx::query("UPDATE sessions SET last_seen = $1 WHERE key = $2 AND last_seen < $1")
            .bind(last_seen)
            .bind(key)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await
}

/// Sessions of `user_id` still within both timeouts, newest first.
pub async fn live_sessions_of(
    pool: &SqlitePool,
    user_id: &str,
    idle_cutoff: i64,
    absolute_cutoff: i64,
) -> Result<Vec<SessionRow>, sqlx::Error> {
    sqlx::query_as::<_, SessionRow>(
        "SELECT key, user_id, identity, created_at, last_seen FROM sessions \
         WHERE user_id = $1 AND last_seen > $2 AND created_at > $3 ORDER BY created_at DESC",
    )
    .bind(user_id)
    .bind(idle_cutoff)
    .bind(absolute_cutoff)
    .fetch_all(pool)
    .await
}

/// The most recently active sessions of everyone, up to `limit`.
pub async fn recent_sessions(
    pool: &SqlitePool,
    idle_cutoff: i64,
    absolute_cutoff: i64,
    limit: i64,
) -> Result<Vec<SessionRow>, sqlx::Error> {
    sqlx::query_as::<_, SessionRow>(
        "SELECT key, user_id, identity, created_at, last_seen FROM sessions \
         WHERE last_seen > $1 AND created_at > $2 ORDER BY last_seen DESC LIMIT $3",
    )
    .bind(idle_cutoff)
    .bind(absolute_cutoff)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Delete sessions idle since before `idle_cutoff` or created before `absolute_cutoff`,
/// returning the removed rows' keys and users.
pub async fn delete_expired(
    pool: &SqlitePool,
    idle_cutoff: i64,
    absolute_cutoff: i64,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as::<_, (String, String)>(
        "DELETE FROM sessions WHERE last_seen <= $1 OR created_at <= $2 RETURNING key, user_id",
    )
    .bind(idle_cutoff)
    .bind(absolute_cutoff)
    .fetch_all(pool)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(key: &str, created: i64, seen: i64) -> SessionRow {
        SessionRow {
            key: key.into(),
            user_id: "yamada".into(),
            identity: "{}".into(),
            created_at: created,
            last_seen: seen,
        }
    }

    #[tokio::test]
    async fn sessions_survive_reopening_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gw.db");
        {
            let pool = open(&path).await.unwrap();
            insert_session(&pool, &row("k1", 100, 100)).await.unwrap();
            pool.close().await;
        }
        let pool = open(&path).await.unwrap();
        let back = load_session(&pool, "k1").await.unwrap().unwrap();
        assert_eq!(back.user_id, "yamada");
        assert!(load_session(&pool, "nope").await.unwrap().is_none());
    }

    #[tokio::test]
    async fn touching_only_moves_last_seen_forward() {
        let dir = tempfile::tempdir().unwrap();
        let pool = open(&dir.path().join("gw.db")).await.unwrap();
        insert_session(&pool, &row("k", 100, 200)).await.unwrap();
        touch_sessions(&pool, &[("k".into(), 150)]).await.unwrap();
        assert_eq!(
            load_session(&pool, "k").await.unwrap().unwrap().last_seen,
            200
        );
        touch_sessions(&pool, &[("k".into(), 250)]).await.unwrap();
        assert_eq!(
            load_session(&pool, "k").await.unwrap().unwrap().last_seen,
            250
        );
    }

    #[tokio::test]
    async fn live_sessions_are_listed_per_user_and_overall() {
        let dir = tempfile::tempdir().unwrap();
        let pool = open(&dir.path().join("gw.db")).await.unwrap();
        insert_session(&pool, &row("a", 500, 900)).await.unwrap();
        insert_session(&pool, &row("b", 600, 950)).await.unwrap();
        insert_session(&pool, &row("idle", 500, 100)).await.unwrap();
        let mut other = row("c", 700, 990);
        other.user_id = "sato".into();
        insert_session(&pool, &other).await.unwrap();
        let mine = live_sessions_of(&pool, "yamada", 200, 50).await.unwrap();
        assert_eq!(
            mine.iter().map(|r| r.key.as_str()).collect::<Vec<_>>(),
            ["b", "a"]
        );
        let all = recent_sessions(&pool, 200, 50, 10).await.unwrap();
        assert_eq!(
            all.iter().map(|r| r.key.as_str()).collect::<Vec<_>>(),
            ["c", "b", "a"]
        );
        assert_eq!(recent_sessions(&pool, 200, 50, 1).await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn expired_sessions_are_swept_and_reported() {
        let dir = tempfile::tempdir().unwrap();
        let pool = open(&dir.path().join("gw.db")).await.unwrap();
        insert_session(&pool, &row("idle", 100, 100)).await.unwrap();
        insert_session(&pool, &row("old", 10, 900)).await.unwrap();
        insert_session(&pool, &row("live", 500, 900)).await.unwrap();
        let mut gone = delete_expired(&pool, 200, 50).await.unwrap();
        gone.sort();
        assert_eq!(
            gone.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
            ["idle", "old"]
        );
        assert!(delete_session(&pool, "live").await.unwrap());
        assert!(!delete_session(&pool, "live").await.unwrap());
    }
}
