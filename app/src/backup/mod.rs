//! `yakuba-app backup` and `restore`: a consistent snapshot of the SQLite database taken while
//! the app runs, or `pg_dump`/`pg_restore` for PostgreSQL. Restoring replaces the database
//! whole (stop the app first); the next start migrates an older backup forward. Not here:
//! the gateway's store, which `yakuba-gateway backup` copies.

pub mod store;

use std::path::Path;
use std::process::Command;

use anyhow::{Context as _, Result};

use crate::config::DatabaseUrl;

/// Copy the database to `dest`, which must not exist yet; returns each table's row count.
pub async fn backup(database: &DatabaseUrl, dest: &Path) -> Result<Vec<(String, i64)>> {
    anyhow::ensure!(
        !dest.exists(),
        "{} exists; name a new file for the backup",
        dest.display()
    );
    let pool = crate::store::open(database).await?;
    let counts = match database {
        DatabaseUrl::Sqlite { .. } => {
            let counts = store::row_counts(&pool, false).await?;
            store::sqlite_snapshot(&pool, &std::path::absolute(dest)?)
                .await
                .with_context(|| format!("cannot write a snapshot to {}", dest.display()))?;
            counts
        }
        DatabaseUrl::Postgres { url } => {
            let counts = store::row_counts(&pool, true).await?;
            let mut command = Command::new("pg_dump");
            command
                .args(["--format=custom", "--no-owner", "--file"])
                .arg(dest);
            run(command, url, "pg_dump")?;
            counts
        }
    };
    pool.close().await;
    Ok(counts)
}

/// Replace the database with the backup at `source` (the app must be stopped); returns each
/// table's row count after the restore, the migrations of this version applied.
pub async fn restore(database: &DatabaseUrl, source: &Path) -> Result<Vec<(String, i64)>> {
    anyhow::ensure!(source.is_file(), "{} is not a file", source.display());
    match database {
        DatabaseUrl::Sqlite { path } => sso::sqlite_file::swap(source, path)?,
        DatabaseUrl::Postgres { url } => {
            let mut command = Command::new("pg_restore");
            command.args([
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
            ]);
            command.arg(source);
            run(command, url, "pg_restore")?;
        }
    }
    let pool = crate::store::open(database)
        .await
        .context("the restored database does not open")?;
    let counts = store::row_counts(
        &pool,
        database.backend() == crate::config::Backend::Postgres,
    )
    .await?;
    pool.close().await;
    if let DatabaseUrl::Sqlite { path } = database {
        sso::sqlite_file::give_to_directory_owner(path)?;
    }
    Ok(counts)
}

/// Run a PostgreSQL client tool against `url`, its password in `PGPASSWORD` rather than on a
/// command line that anyone on the machine can read.
fn run(mut command: Command, url: &url::Url, name: &str) -> Result<()> {
    let mut without_password = url.clone();
    if let Some(password) = url.password() {
        let password = percent_decode(password);
        command.env("PGPASSWORD", password);
        let _ = without_password.set_password(None);
    }
    command.arg("--dbname").arg(without_password.as_str());
    let status = command
        .status()
        .with_context(|| format!("cannot run {name} (install the PostgreSQL client)"))?;
    anyhow::ensure!(status.success(), "{name} failed ({status})");
    Ok(())
}

/// Decode `%XX` escapes (a URL's password may hold any byte).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(byte) = text
                .get(i + 1..i + 3)
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::org::{seed, store as org_store};

    #[test]
    fn passwords_are_decoded() {
        assert_eq!(percent_decode("p%40ss%2Fword"), "p@ss/word");
        assert_eq!(percent_decode("plain%"), "plain%");
    }

    async fn seeded(database: &DatabaseUrl) -> Vec<(String, i64)> {
        let pool = crate::store::open(database).await.unwrap();
        org_store::insert_city(&pool, &seed::demo_city())
            .await
            .unwrap();
        let counts = store::row_counts(
            &pool,
            database.backend() == crate::config::Backend::Postgres,
        )
        .await
        .unwrap();
        pool.close().await;
        counts
    }

    fn assert_restored(source: &[(String, i64)], restored: &[(String, i64)]) {
        assert_eq!(source, restored);
        assert!(
            source.iter().any(|(table, n)| table == "staff" && *n > 0),
            "the demo city has staff: {source:?}"
        );
    }

    #[tokio::test]
    async fn an_sqlite_backup_restores_to_the_same_rows_elsewhere() {
        let dir = tempfile::tempdir().unwrap();
        let live = DatabaseUrl::Sqlite {
            path: dir.path().join("app.db"),
        };
        let source = seeded(&live).await;
        // The app keeps its pool open while the snapshot is taken.
        let running = crate::store::open(&live).await.unwrap();
        let file = dir.path().join("app-backup.db");
        assert_eq!(backup(&live, &file).await.unwrap(), source);
        assert!(
            backup(&live, &file).await.is_err(),
            "never overwrites a file"
        );
        running.close().await;

        let other = DatabaseUrl::Sqlite {
            path: dir.path().join("other/app.db"),
        };
        let restored = restore(&other, &file).await.unwrap();
        assert_restored(&source, &restored);
    }

    #[tokio::test]
    async fn a_postgres_backup_restores_to_the_same_rows_in_another_database() {
        let cluster = harness::postgres::PgCluster::shared().unwrap();
        let url = |name: &str| DatabaseUrl::Postgres {
            url: url::Url::parse(&cluster.create_database(name).unwrap()).unwrap(),
        };
        let live = url("backup_source");
        let source = seeded(&live).await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("app.pgdump");
        assert_eq!(backup(&live, &file).await.unwrap(), source);

        let other = url("backup_target");
        let restored = restore(&other, &file).await.unwrap();
        assert_restored(&source, &restored);
    }
}
