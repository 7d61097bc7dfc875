//! Opening the database: one `sqlx::AnyPool` over SQLite or PostgreSQL, chosen by the URL's
//! scheme, with the backend's own migrations run before the pool is handed out. Feature SQL
//! lives in each feature's `store.rs`; this module only sets connections up.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{AnyPool, ConnectOptions as _, Executor as _};
use tracing::info;

use crate::config::{Backend, DatabaseUrl};

/// Migrations for SQLite, numbered like [`POSTGRES_MIGRATIONS`].
static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
/// Migrations for PostgreSQL, numbered like [`SQLITE_MIGRATIONS`].
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// Connections per pool. SQLite serialises writers anyway; WAL lets readers run alongside.
const SQLITE_CONNECTIONS: u32 = 8;
/// Connections per pool on PostgreSQL, per app node.
const POSTGRES_CONNECTIONS: u32 = 16;
/// How long a request waits for a free connection before failing.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The directory for the SQLite file could not be made.
    #[error("cannot create the directory {path} for the SQLite database: {source}")]
    Directory {
        /// The directory.
        path: PathBuf,
        /// The IO error.
        source: std::io::Error,
    },
    /// The database refused the connection.
    #[error("cannot connect to {database}: {source}")]
    Connect {
        /// The database, without password.
        database: String,
        /// The driver's error.
        source: sqlx::Error,
    },
    /// A migration failed; the database is left at the last one that succeeded.
    #[error("cannot migrate {database}: {source}")]
    Migrate {
        /// The database, without password.
        database: String,
        /// The migrator's error.
        source: sqlx::migrate::MigrateError,
    },
}

/// Opens the pool for `database` and runs its backend's migrations.
///
/// SQLite files (and their directory) are created if missing and run in WAL mode with foreign
/// keys enforced.
pub async fn open(database: &DatabaseUrl) -> Result<AnyPool, OpenError> {
    sqlx::any::install_default_drivers();
    let shown = database.to_string();
    let connect_error = |source| OpenError::Connect {
        database: shown.clone(),
        source,
    };
    let pool = match database {
        DatabaseUrl::Sqlite { path } => {
            let options = sqlite_options(path)?;
            AnyPoolOptions::new()
                .max_connections(SQLITE_CONNECTIONS)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .after_connect(|conn, _meta| {
                    Box::pin(async move {
                        // `Any` builds SQLite connections from a URL, which cannot carry these
                        // pragmas, so each new connection sets them itself.
                        conn.execute("PRAGMA busy_timeout = 5000").await?;
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                        Ok(())
                    })
                })
                .connect_with(options)
                .await
                .map_err(connect_error)?
        }
        DatabaseUrl::Postgres { url } => AnyPoolOptions::new()
            .max_connections(POSTGRES_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(AnyConnectOptions::from_url(url).map_err(connect_error)?)
            .await
            .map_err(connect_error)?,
    };
    migrator(database.backend())
        .run(&pool)
        .await
        .map_err(|source| OpenError::Migrate {
            database: shown.clone(),
            source,
        })?;
    info!(database = %shown, "database ready");
    Ok(pool)
}

/// The migrations for `backend`.
pub fn migrator(backend: Backend) -> &'static Migrator {
    match backend {
        Backend::Sqlite => &SQLITE_MIGRATIONS,
        Backend::Postgres => &POSTGRES_MIGRATIONS,
    }
}

/// Connect options for the SQLite file at `path`, made absolute against the current directory
/// so the URL that `Any` needs cannot mistake its first segment for a host name.
fn sqlite_options(path: &Path) -> Result<AnyConnectOptions, OpenError> {
    let absolute = std::path::absolute(path).map_err(|source| OpenError::Directory {
        path: path.to_owned(),
        source,
    })?;
    if let Some(dir) = absolute.parent() {
        std::fs::create_dir_all(dir).map_err(|source| OpenError::Directory {
            path: dir.to_owned(),
            source,
        })?;
    }
    let url = SqliteConnectOptions::new()
        .filename(&absolute)
        .create_if_missing(true)
        .to_url_lossy();
    AnyConnectOptions::from_url(&url).map_err(|source| OpenError::Connect {
        database: absolute.display().to_string(),
        source,
    })
}

/// Whether the database answers; used by the health check.
pub async fn ping(pool: &AnyPool) -> Result<(), sqlx::Error> {
    pool.execute("SELECT 1").await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_backends_have_the_same_migration_numbers() {
        let versions = |backend| -> Vec<i64> {
            migrator(backend)
                .iter()
                .map(|migration| migration.version)
                .collect()
        };
        assert!(!versions(Backend::Sqlite).is_empty());
        assert_eq!(versions(Backend::Sqlite), versions(Backend::Postgres));
    }
}
