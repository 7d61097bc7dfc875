//! `backup` and `restore` of the gateway's store (sessions, pending OpenID logins, sealed
//! vault credentials): a consistent SQLite snapshot taken while the gateway runs, or
//! `pg_dump`/`pg_restore` for a PostgreSQL store. The keys that open the vault live in
//! `/etc/yakuba/secrets` and are backed up with the configuration, not here.

use std::path::Path;
use std::process::Command;

use anyhow::Context as _;

use crate::store::{self, StoreLocation};

/// Copy the store to `dest`, which must not exist yet.
pub async fn backup(location: &StoreLocation, dest: &Path) -> anyhow::Result<()> {
    anyhow::ensure!(
        !dest.exists(),
        "{} exists; name a new file for the backup",
        dest.display()
    );
    match location {
        StoreLocation::Sqlite(_) => {
            let pool = store::open(location)
                .await
                .with_context(|| format!("cannot open the session store {location}"))?;
            store::backup::sqlite_snapshot(&pool, &std::path::absolute(dest)?)
                .await
                .with_context(|| format!("cannot write a snapshot to {}", dest.display()))?;
            let counts = store::backup::row_counts(&pool).await?;
            pool.close().await;
            println!("{}: {}", dest.display(), describe(&counts));
        }
        StoreLocation::Postgres(url) => {
            let (url, password) = split_password(url)?;
            let mut command = Command::new("pg_dump");
            command
                .args(["--format=custom", "--no-owner", "--file"])
                .arg(dest)
                .arg("--dbname")
                .arg(&url);
            run(command, password.as_deref(), "pg_dump")?;
            println!("{}: pg_dump of {location}", dest.display());
        }
    }
    Ok(())
}

/// Replace the store with the backup at `source`. The gateway must be stopped: an SQLite file
/// is swapped whole, a PostgreSQL database is cleaned and reloaded.
pub async fn restore(location: &StoreLocation, source: &Path) -> anyhow::Result<()> {
    anyhow::ensure!(source.is_file(), "{} is not a file", source.display());
    match location {
        StoreLocation::Sqlite(path) => {
            sso::sqlite_file::swap(source, path)?;
            // Opening runs the migrations, so an older backup comes up to this version.
            let pool = store::open(location)
                .await
                .with_context(|| format!("the restored store {location} does not open"))?;
            let counts = store::backup::row_counts(&pool).await?;
            pool.close().await;
            sso::sqlite_file::give_to_directory_owner(path)?;
            println!("restored {}: {}", path.display(), describe(&counts));
        }
        StoreLocation::Postgres(url) => {
            let (url, password) = split_password(url)?;
            let mut command = Command::new("pg_restore");
            command
                .args([
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--single-transaction",
                ])
                .arg("--dbname")
                .arg(&url)
                .arg(source);
            run(command, password.as_deref(), "pg_restore")?;
            println!("restored {location} from {}", source.display());
        }
    }
    Ok(())
}

fn describe(counts: &[(String, i64)]) -> String {
    counts
        .iter()
        .map(|(table, n)| format!("{table} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The URL without its password, and the password, which goes to the tool in `PGPASSWORD`
/// rather than on a command line anyone on the machine can read.
fn split_password(url: &str) -> anyhow::Result<(String, Option<String>)> {
    let mut parsed = url::Url::parse(url).context("the PostgreSQL URL does not parse")?;
    let password = parsed.password().map(|p| {
        percent_encoding::percent_decode_str(p)
            .decode_utf8_lossy()
            .into_owned()
    });
    let _ = parsed.set_password(None);
    Ok((parsed.to_string(), password))
}

fn run(mut command: Command, password: Option<&str>, name: &str) -> anyhow::Result<()> {
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    let status = command
        .status()
        .with_context(|| format!("cannot run {name} (install the PostgreSQL client)"))?;
    anyhow::ensure!(status.success(), "{name} failed ({status})");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_leave_the_url() {
        let (url, password) =
            split_password("postgres://yakuba:p%40ss@db.example:5433/sessions").unwrap();
        assert_eq!(url, "postgres://yakuba@db.example:5433/sessions");
        assert_eq!(password.as_deref(), Some("p@ss"));
        let (url, password) = split_password("postgres://db.example/sessions").unwrap();
        assert_eq!(url, "postgres://db.example/sessions");
        assert_eq!(password, None);
    }

    #[tokio::test]
    async fn a_snapshot_taken_while_writing_restores_to_the_same_rows() {
        let dir = tempfile::tempdir().unwrap();
        let live = StoreLocation::Sqlite(dir.path().join("sessions.db"));
        let pool = store::open(&live).await.unwrap();
        for i in 0..50 {
            let row = store::SessionRow {
                key: format!("key{i}"),
                user_id: format!("user{i}"),
                identity: "{}".to_owned(),
                created_at: 1_700_000_000 + i,
                last_seen: 1_700_000_000 + i,
            };
            store::insert_session(&pool, &row, None).await.unwrap();
        }
        let snapshot = dir.path().join("backup.db");
        backup(&live, &snapshot).await.unwrap();
        // The live store goes on changing; the backup keeps the moment it was taken.
        store::delete_session(&pool, "key0", 1_700_000_100)
            .await
            .unwrap();
        let before = store::backup::row_counts(&pool).await.unwrap();
        pool.close().await;

        let restored = StoreLocation::Sqlite(dir.path().join("restored/sessions.db"));
        restore(&restored, &snapshot).await.unwrap();
        let pool = store::open(&restored).await.unwrap();
        for i in 0..50 {
            let row = store::load_session(&pool, &format!("key{i}"))
                .await
                .unwrap()
                .expect("every session of the snapshot is restored");
            assert_eq!(row.user_id, format!("user{i}"));
            assert_eq!(row.created_at, 1_700_000_000 + i);
        }
        let after = store::backup::row_counts(&pool).await.unwrap();
        assert_ne!(
            before, after,
            "the deletion after the snapshot is not in it"
        );
        assert!(backup(&live, &snapshot).await.is_err(), "never overwrites");
    }
}
