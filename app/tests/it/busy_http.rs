//! A busy database: a write that waits longer than SQLite's busy timeout for the write lock
//! is answered 503 with `Retry-After`, the form it came from shown again with its input and
//! the busy message, and nothing saved; and which real errors of both backends count as busy.

use app::error::{AppError, BUSY_EN, BUSY_JA, Severity, is_busy};
use axum::http::StatusCode;
use sqlx::any::AnyPoolOptions;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool, Executor as _};

use crate::facility_http::{TestApp, sato, yamada};
use crate::support::{postgres_db, sqlite_db};

/// How long the app's connections wait for a lock in these tests (the shipped 5 s would make
/// the tests slow, not different).
const SHORT_BUSY_TIMEOUT_MS: u32 = 150;

/// A second pool over the SQLite database of `pool` whose connections give up on a lock
/// after [`SHORT_BUSY_TIMEOUT_MS`].
async fn impatient(pool: &AnyPool) -> AnyPool {
    let file: String =
        sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'")
            .fetch_one(pool)
            .await
            .unwrap();
    AnyPoolOptions::new()
        .max_connections(4)
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                conn.execute(format!("PRAGMA busy_timeout = {SHORT_BUSY_TIMEOUT_MS}").as_str())
                    .await?;
                conn.execute("PRAGMA foreign_keys = ON").await?;
                Ok(())
            })
        })
        .connect(&format!("sqlite://{file}"))
        .await
        .unwrap()
}

/// Takes SQLite's write lock on a connection of `pool` and keeps it until the connection
/// is handed to [`release`].
async fn hold_write_lock(pool: &AnyPool) -> PoolConnection<Any> {
    let mut conn = pool.acquire().await.unwrap();
    conn.execute("BEGIN IMMEDIATE").await.unwrap();
    conn
}

async fn release(mut conn: PoolConnection<Any>) {
    conn.execute("ROLLBACK").await.unwrap();
}

async fn busy_app() -> TestApp {
    let app = TestApp::new().await;
    let pool = impatient(&app.db.pool).await;
    app.serving_from(pool)
}

#[tokio::test]
async fn a_booking_kept_waiting_for_the_write_lock_is_shown_again_busy_with_its_input() {
    let app = busy_app().await;
    let lock = hold_write_lock(&app.db.pool).await;
    let reply = app
        .book(yamada(), app.room(), "10:00", "11:30", "予算説明会の準備")
        .await;
    release(lock).await;

    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        reply.body
    );
    assert_eq!(reply.retry_after.as_deref(), Some("5"));
    assert!(reply.body.contains(BUSY_JA), "{}", reply.body);
    assert!(
        reply.body.contains("value=\"予算説明会の準備\"") && reply.body.contains("value=\"11:30\""),
        "the form keeps what was typed: {}",
        reply.body
    );
    assert_eq!(app.live_bookings().await, 0, "nothing was saved");

    // Once the lock is free the same post books.
    let again = app
        .book(yamada(), app.room(), "10:00", "11:30", "予算説明会の準備")
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
    assert_eq!(app.live_bookings().await, 1);
}

#[tokio::test]
async fn a_memo_kept_waiting_is_shown_again_busy_with_its_input_and_nothing_saved() {
    let app = busy_app().await;
    let yamada_id = app.staff("yamada").await.id;
    let lock = hold_write_lock(&app.db.pool).await;
    let to = yamada_id.0.to_string();
    let reply = app
        .post(
            "/memos",
            sato(),
            &[
                ("csrf", "csrf-token-123"),
                ("to", &to),
                ("caller_name", "北区役所の田中"),
                ("callback", "078-322-5111"),
                ("request", "call_back"),
                ("message", "国保の件"),
            ],
        )
        .await;
    release(lock).await;

    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        reply.body
    );
    assert_eq!(reply.retry_after.as_deref(), Some("5"));
    assert!(reply.body.contains(BUSY_JA), "{}", reply.body);
    assert!(
        reply.body.contains("value=\"北区役所の田中\""),
        "{}",
        reply.body
    );
    assert!(reply.body.contains("国保の件</textarea>"), "{}", reply.body);
    let memos = app::memo::store::inbox(&app.db.pool, yamada_id, true, 10)
        .await
        .unwrap();
    assert!(memos.is_empty(), "nothing was saved");
}

#[tokio::test]
async fn a_status_kept_waiting_is_shown_again_busy_with_its_comment() {
    let app = busy_app().await;
    let yamada_id = app.staff("yamada").await.id;
    let lock = hold_write_lock(&app.db.pool).await;
    let reply = app
        .post(
            &format!("/whereabouts/{yamada_id}"),
            yamada(),
            &[
                ("csrf", "csrf-token-123"),
                ("action", "set"),
                ("status", "out"),
                ("comment", "北区役所へ"),
                ("returns", "15:30"),
            ],
        )
        .await;
    release(lock).await;

    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        reply.body
    );
    assert!(reply.body.contains(BUSY_JA), "{}", reply.body);
    assert!(
        reply.body.contains("value=\"北区役所へ\"") && reply.body.contains("value=\"15:30\""),
        "{}",
        reply.body
    );
    let hands = app::whereabouts::store::hand_statuses(&app.db.pool, &[yamada_id])
        .await
        .unwrap();
    assert!(hands.is_empty(), "nothing was saved");
}

#[tokio::test]
async fn a_button_kept_waiting_gets_the_busy_page_in_both_languages() {
    let app = busy_app().await;
    let booked = app
        .book(yamada(), app.room(), "13:00", "14:00", "係会議")
        .await;
    let path = booked.location.unwrap();
    let path = path.split('?').next().unwrap();
    let lock = hold_write_lock(&app.db.pool).await;
    let reply = app
        .post(
            &format!("{path}/cancel"),
            yamada(),
            &[("csrf", "csrf-token-123")],
        )
        .await;
    release(lock).await;

    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        reply.body
    );
    assert_eq!(reply.retry_after.as_deref(), Some("5"));
    assert!(
        reply.body.contains(BUSY_JA) && reply.body.contains(BUSY_EN),
        "{}",
        reply.body
    );
    assert_eq!(app.live_bookings().await, 1, "the booking still stands");
}

/// A lock wait that runs out is busy; other failures are not.
#[tokio::test]
async fn sqlite_lock_timeouts_count_as_busy_and_other_errors_do_not() {
    let db = sqlite_db().await;
    let pool = impatient(&db.pool).await;
    let lock = hold_write_lock(&db.pool).await;
    let mut waiter = pool.acquire().await.unwrap();
    let error = waiter.execute("BEGIN IMMEDIATE").await.unwrap_err();
    release(lock).await;
    assert!(is_busy(&error), "{error}");
    assert_eq!(AppError::Database(error).severity(), Severity::Busy);

    let error = sqlx::query("INSERT INTO no_such_table VALUES (1)")
        .execute(&pool)
        .await
        .unwrap_err();
    assert!(!is_busy(&error), "{error}");
}

#[tokio::test]
async fn postgres_lock_timeouts_count_as_busy_and_other_errors_do_not() {
    let db = postgres_db("app_busy_lock_timeout").await;
    sqlx::query("CREATE TABLE counters (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
        .execute(&db.pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO counters VALUES (1, 0)")
        .execute(&db.pool)
        .await
        .unwrap();
    let mut holder = db.pool.begin().await.unwrap();
    sqlx::query("UPDATE counters SET n = n + 1 WHERE id = 1")
        .execute(&mut *holder)
        .await
        .unwrap();
    let mut waiter = db.pool.begin().await.unwrap();
    sqlx::query("SET LOCAL lock_timeout = '150ms'")
        .execute(&mut *waiter)
        .await
        .unwrap();
    let error = sqlx::query("UPDATE counters SET n = n + 1 WHERE id = 1")
        .execute(&mut *waiter)
        .await
        .unwrap_err();
    waiter.rollback().await.unwrap();
    holder.rollback().await.unwrap();
    assert!(is_busy(&error), "{error}");
    assert_eq!(AppError::Database(error).severity(), Severity::Busy);

    let error = sqlx::query("INSERT INTO counters VALUES (1, 0)")
        .execute(&db.pool)
        .await
        .unwrap_err();
    assert!(!is_busy(&error), "a unique violation is not busy: {error}");
}
