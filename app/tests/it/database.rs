//! Opening the database: SQLite settings, foreign keys on both backends, repeatable migrations.

use app::config::DatabaseUrl;
use sqlx::AnyPool;

use crate::support::{postgres_db, sqlite_db};

#[tokio::test]
async fn sqlite_runs_in_wal_mode_with_foreign_keys_on_every_connection() {
    let db = sqlite_db().await;
    // Hold several connections at once so more than the first one is checked.
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut conn = db.pool.acquire().await.unwrap();
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        let foreign_keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!((mode.as_str(), foreign_keys), ("wal", 1));
        held.push(conn);
    }
}

#[tokio::test]
async fn a_missing_sqlite_file_and_its_directory_are_created_and_reopened() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("not/yet/there/app.db");
    let url = DatabaseUrl::Sqlite { path: path.clone() };
    let pool = app::store::open(&url).await.unwrap();
    app::org::store::insert_city(&pool, &app::org::seed::synthetic_city(10, 3, 1))
        .await
        .unwrap();
    pool.close().await;
    assert!(path.is_file());
    // Opening again runs no migration twice and keeps the data.
    let pool = app::store::open(&url).await.unwrap();
    assert_eq!(app::org::store::count_staff(&pool).await.unwrap(), 10);
}

async fn staff_in_a_missing_department_is_refused(pool: &AnyPool) {
    let result = sqlx::query(
        "INSERT INTO staff (login, employee_no, name, kana, department_id, position, mail) \
         VALUES ('ghost', '1', '幽霊', 'ゆうれい', 999999, '主事', 'g@example')",
    )
    .execute(pool)
    .await;
    assert!(result.is_err(), "a dangling department_id was accepted");
}

#[tokio::test]
async fn sqlite_enforces_foreign_keys() {
    staff_in_a_missing_department_is_refused(&sqlite_db().await.pool).await;
}

#[tokio::test]
async fn postgres_enforces_foreign_keys() {
    staff_in_a_missing_department_is_refused(&postgres_db("app_db_foreign_keys").await.pool).await;
}
