//! The gateway's own database: server-side sessions in SQLite, or in PostgreSQL shared by
//! several gateways. All of the gateway's SQL is here.
//!
//! Every end or change of a session is also written to `session_events`; each gateway reads
//! the recent events periodically and drops its cached copies, which is how a logout or a
//! revocation on one gateway reaches the others.

use std::path::PathBuf;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{AnyPool, ConnectOptions as _, Executor as _};

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

/// Where sessions are kept: a local SQLite file (one gateway), or a PostgreSQL database
/// that several gateways share, so that a logout or revocation on one reaches all.
#[derive(Clone)]
pub enum StoreLocation {
    /// An SQLite file.
    Sqlite(PathBuf),
    /// A `postgres://` URL (it may carry a password: never shown).
    Postgres(String),
}

impl std::fmt::Display for StoreLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreLocation::Sqlite(path) => write!(f, "{}", path.display()),
            StoreLocation::Postgres(url) => match url::Url::parse(url) {
                Ok(u) => write!(
                    f,
                    "postgres://{}:{}{}",
                    u.host_str().unwrap_or_default(),
                    u.port().unwrap_or(5432),
                    u.path()
                ),
                Err(_) => f.write_str("postgres://(unparsable URL)"),
            },
        }
    }
}

pub mod backup;
mod oidc;
mod vault;

pub use oidc::{
    IdpLink, PendingRow, RefreshRow, claim_revalidation, idp_link, prune_pending, put_pending,
    refreshable_sessions, sessions_of_idp_login, set_refresh_token, take_pending,
};
pub use vault::{vault_get, vault_put, vault_remove, vault_systems};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// Open (creating if needed) the session database and bring its schema up to date.
pub async fn open(location: &StoreLocation) -> Result<AnyPool, sqlx::Error> {
    sqlx::any::install_default_drivers();
    let pool = match location {
        StoreLocation::Sqlite(path) => {
            let url = SqliteConnectOptions::new()
                .filename(std::path::absolute(path)?)
                .create_if_missing(true)
                .to_url_lossy();
            AnyPoolOptions::new()
                .max_connections(4)
                .after_connect(|conn, _meta| {
                    Box::pin(async move {
                        // `Any` opens SQLite from a URL, which cannot carry these pragmas.
                        conn.execute("PRAGMA busy_timeout = 5000").await?;
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                        Ok(())
                    })
                })
                .connect_with(AnyConnectOptions::from_url(&url)?)
                .await?
        }
        StoreLocation::Postgres(url) => {
            AnyPoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(5))
                .connect(url)
                .await?
        }
    };
    let migrator = match location {
        StoreLocation::Sqlite(_) => &SQLITE_MIGRATIONS,
        StoreLocation::Postgres(_) => &POSTGRES_MIGRATIONS,
    };
    migrator.run(&pool).await?;
    Ok(pool)
}

/// Check the database answers.
pub async fn ping(pool: &AnyPool) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT 1").execute(pool).await.map(|_| ())
}

/// Store a new session (with its provider login, if it came from one).
pub async fn insert_session(
    pool: &AnyPool,
    row: &SessionRow,
    link: Option<&IdpLink>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sessions (key, user_id, identity, created_at, last_seen, \
         idp, idp_sub, idp_sid, id_token, refresh_token) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&row.key)
    .bind(&row.user_id)
    .bind(&row.identity)
    .bind(row.created_at)
    .bind(row.last_seen)
    .bind(link.map(|l| l.idp.clone()))
    .bind(link.map(|l| l.idp_sub.clone()))
    .bind(link.and_then(|l| l.idp_sid.clone()))
    .bind(link.map(|l| l.id_token.clone()))
    .bind(link.and_then(|l| l.refresh_token.clone()))
    .execute(pool)
    .await
    .map(|_| ())
}

/// Find a session by key.
pub async fn load_session(pool: &AnyPool, key: &str) -> Result<Option<SessionRow>, sqlx::Error> {
    sqlx::query_as::<_, SessionRow>(
        "SELECT key, user_id, identity, created_at, last_seen FROM sessions WHERE key = $1",
    )
    .bind(key)
    .fetch_optional(pool)
    .await
}

/// Replace the identity stored with a session (after re-validation).
pub async fn update_identity(
    pool: &AnyPool,
    key: &str,
    identity: &str,
    at: i64,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("UPDATE sessions SET identity = $1 WHERE key = $2")
        .bind(identity)
        .bind(key)
        .execute(&mut *tx)
        .await?;
    record_event(&mut tx, key, "changed", at).await?;
    tx.commit().await
}

/// Remove a session; returns whether it existed.
pub async fn delete_session(pool: &AnyPool, key: &str, at: i64) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let done = sqlx::query("DELETE FROM sessions WHERE key = $1")
        .bind(key)
        .execute(&mut *tx)
        .await?;
    record_event(&mut tx, key, "ended", at).await?;
    tx.commit().await?;
    Ok(done.rows_affected() > 0)
}

async fn record_event(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    key: &str,
    kind: &str,
    at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO session_events (key, kind, at) VALUES ($1, $2, $3)")
        .bind(key)
        .bind(kind)
        .bind(at)
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

/// Keys of sessions ended or changed at or after `since` (Unix seconds), by any gateway.
pub async fn events_since(pool: &AnyPool, since: i64) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar::<_, String>("SELECT DISTINCT key FROM session_events WHERE at >= $1")
        .bind(since)
        .fetch_all(pool)
        .await
}

/// Forget events from before `before`.
pub async fn prune_events(pool: &AnyPool, before: i64) -> Result<u64, sqlx::Error> {
    sqlx::query("DELETE FROM session_events WHERE at < $1")
        .bind(before)
        .execute(pool)
        .await
        .map(|done| done.rows_affected())
}

/// Record when sessions were last used, in one transaction.
pub async fn touch_sessions(pool: &AnyPool, seen: &[(String, i64)]) -> Result<(), sqlx::Error> {
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
    pool: &AnyPool,
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
    pool: &AnyPool,
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
    pool: &AnyPool,
    idle_cutoff: i64,
    absolute_cutoff: i64,
    at: i64,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let gone = sqlx::query_as::<_, (String, String)>(
        "DELETE FROM sessions WHERE last_seen <= $1 OR created_at <= $2 RETURNING key, user_id",
    )
    .bind(idle_cutoff)
    .bind(absolute_cutoff)
    .fetch_all(&mut *tx)
    .await?;
    for (key, _) in &gone {
        record_event(&mut tx, key, "ended", at).await?;
    }
    tx.commit().await?;
    Ok(gone)
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
            let pool = open(&StoreLocation::Sqlite(path.clone())).await.unwrap();
            insert_session(&pool, &row("k1", 100, 100), None)
                .await
                .unwrap();
            pool.close().await;
        }
        let pool = open(&StoreLocation::Sqlite(path)).await.unwrap();
        let back = load_session(&pool, "k1").await.unwrap().unwrap();
        assert_eq!(back.user_id, "yamada");
        assert!(load_session(&pool, "nope").await.unwrap().is_none());
    }

    #[tokio::test]
    async fn touching_only_moves_last_seen_forward() {
        let dir = tempfile::tempdir().unwrap();
        let pool = open(&StoreLocation::Sqlite(dir.path().join("gw.db")))
            .await
            .unwrap();
        insert_session(&pool, &row("k", 100, 200), None)
            .await
            .unwrap();
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
        let pool = open(&StoreLocation::Sqlite(dir.path().join("gw.db")))
            .await
            .unwrap();
        insert_session(&pool, &row("a", 500, 900), None)
            .await
            .unwrap();
        insert_session(&pool, &row("b", 600, 950), None)
            .await
            .unwrap();
        insert_session(&pool, &row("idle", 500, 100), None)
            .await
            .unwrap();
        let mut other = row("c", 700, 990);
        other.user_id = "sato".into();
        insert_session(&pool, &other, None).await.unwrap();
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
        let pool = open(&StoreLocation::Sqlite(dir.path().join("gw.db")))
            .await
            .unwrap();
        insert_session(&pool, &row("idle", 100, 100), None)
            .await
            .unwrap();
        insert_session(&pool, &row("old", 10, 900), None)
            .await
            .unwrap();
        insert_session(&pool, &row("live", 500, 900), None)
            .await
            .unwrap();
        let mut gone = delete_expired(&pool, 200, 50, 1000).await.unwrap();
        gone.sort();
        assert_eq!(
            gone.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
            ["idle", "old"]
        );
        assert!(delete_session(&pool, "live", 1001).await.unwrap());
        assert!(!delete_session(&pool, "live", 1002).await.unwrap());
        update_identity(&pool, "other", "{}", 1003).await.unwrap();
        // Every end and change is an event for the other gateways.
        let mut events = events_since(&pool, 1000).await.unwrap();
        events.sort();
        assert_eq!(events, ["idle", "live", "old", "other"]);
        assert_eq!(events_since(&pool, 1002).await.unwrap().len(), 2);
        assert_eq!(prune_events(&pool, 1002).await.unwrap(), 3);
        assert_eq!(events_since(&pool, 0).await.unwrap().len(), 2);
    }
}
