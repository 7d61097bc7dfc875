//! Who else reaches a person's schedule: the delegates (代理人) who keep it for them, and the
//! private iCalendar feed token, stored as its hash.

use sqlx::AnyPool;
use time::OffsetDateTime;

use super::{SaveError, check_participants};
use crate::org::model::StaffId;

/// The people who made `delegate` their delegate (代理人).
pub async fn delegating_to(pool: &AnyPool, delegate: StaffId) -> Result<Vec<StaffId>, sqlx::Error> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT owner_id FROM schedule_delegates WHERE delegate_id = $1 ORDER BY owner_id",
    )
    .bind(delegate)
    .fetch_all(pool)
    .await?;
    Ok(ids.into_iter().map(StaffId).collect())
}

/// The delegates of `owner`.
pub async fn delegates_of(pool: &AnyPool, owner: StaffId) -> Result<Vec<StaffId>, sqlx::Error> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT delegate_id FROM schedule_delegates WHERE owner_id = $1 ORDER BY delegate_id",
    )
    .bind(owner)
    .fetch_all(pool)
    .await?;
    Ok(ids.into_iter().map(StaffId).collect())
}

/// Replaces the delegates of `owner` with `delegates` (the owner themselves left out).
pub async fn set_delegates(
    pool: &AnyPool,
    owner: StaffId,
    delegates: &[StaffId],
) -> Result<(), SaveError> {
    let mut tx = pool.begin().await?;
    check_participants(&mut tx, delegates).await?;
    sqlx::query("DELETE FROM schedule_delegates WHERE owner_id = $1")
        .bind(owner)
        .execute(&mut *tx)
        .await?;
    for delegate in delegates.iter().filter(|d| **d != owner) {
        sqlx::query(
            "INSERT INTO schedule_delegates (owner_id, delegate_id) VALUES ($1, $2) \
             ON CONFLICT DO NOTHING",
        )
        .bind(owner)
        .bind(*delegate)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Stores `token_hash` as the feed token of `staff`, replacing (and so revoking) any earlier.
pub async fn set_feed_token(
    pool: &AnyPool,
    staff: StaffId,
    token_hash: &str,
    now: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM schedule_feed_tokens WHERE staff_id = $1")
        .bind(staff)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO schedule_feed_tokens (staff_id, token_hash, created_at) VALUES ($1, $2, $3)",
    )
    .bind(staff)
    .bind(token_hash)
    .bind(now.unix_timestamp())
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// Revokes the feed token of `staff`.
pub async fn delete_feed_token(pool: &AnyPool, staff: StaffId) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM schedule_feed_tokens WHERE staff_id = $1")
        .bind(staff)
        .execute(pool)
        .await
        .map(|_| ())
}

/// When the feed token of `staff` was made, if they have one.
pub async fn feed_token_created(
    pool: &AnyPool,
    staff: StaffId,
) -> Result<Option<OffsetDateTime>, sqlx::Error> {
    let at: Option<i64> =
        sqlx::query_scalar("SELECT created_at FROM schedule_feed_tokens WHERE staff_id = $1")
            .bind(staff)
            .fetch_optional(pool)
            .await?;
    Ok(at.and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok()))
}

/// The current member of staff whose feed token hashes to `token_hash`.
pub async fn staff_by_feed_token(
    pool: &AnyPool,
    token_hash: &str,
) -> Result<Option<StaffId>, sqlx::Error> {
    let id: Option<i64> = sqlx::query_scalar(
        "SELECT t.staff_id FROM schedule_feed_tokens t JOIN staff s ON s.id = t.staff_id \
         WHERE t.token_hash = $1 AND s.retired = 0",
    )
    .bind(token_hash)
    .fetch_optional(pool)
    .await?;
    Ok(id.map(StaffId))
}
