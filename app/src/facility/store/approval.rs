//! Approval of 仮予約: the pending reservations an administrator may decide, the decision, and
//! the decisions a booker has not seen yet.

use sqlx::{AnyConnection, AnyPool};
use time::OffsetDateTime;

use super::{RESERVATION_COLUMNS, RESERVATION_FROM, ReservationRow};
use crate::facility::model::{BookerRights, Decision, Reservation, ReservationId};
use crate::org::model::{DepartmentId, Scope, StaffId};

/// An administrator's decision was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum DecideError {
    /// The reservation is not (or no longer) waiting for approval.
    #[error("the reservation is not waiting for approval")]
    NotPending,
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// Records `decision` on the pending reservation `id` by `by`, with `note` for the booker,
/// who sees it on their portal until they open their reservations. Approving keeps the slot;
/// rejecting frees it.
pub async fn decide(
    conn: &mut AnyConnection,
    id: ReservationId,
    decision: Decision,
    by: StaffId,
    note: &str,
) -> Result<(), DecideError> {
    let done = sqlx::query(
        "UPDATE facility_reservations SET status = $1, decided_by = $2, decided_at = $3, \
         decision_note = $4, decision_unseen = 1 WHERE id = $5 AND status = 'pending'",
    )
    .bind(decision.status().as_str())
    .bind(by)
    .bind(OffsetDateTime::now_utc().unix_timestamp())
    .bind(note)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(DecideError::NotPending);
    }
    Ok(())
}

/// Pending reservations (仮予約) that have not ended, with the managing department of their
/// facility, soonest first. Callers keep those their scope covers.
pub async fn pending(
    pool: &AnyPool,
    now: OffsetDateTime,
) -> Result<Vec<(Reservation, DepartmentId)>, sqlx::Error> {
    let sql = format!(
        "SELECT {RESERVATION_COLUMNS}, f.department_id {RESERVATION_FROM} \
         WHERE r.status = 'pending' AND r.ends_at > $1 ORDER BY r.starts_at, r.id"
    );
    let rows = sqlx::query_as::<_, PendingRow>(&sql)
        .bind(now.unix_timestamp())
        .fetch_all(pool)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let department = DepartmentId(row.department_id);
            (Reservation::from(row.reservation), department)
        })
        .collect())
}

/// The pending reservations that `scope` lets its holder decide, soonest first.
pub async fn pending_for(
    pool: &AnyPool,
    rights: &BookerRights,
    now: OffsetDateTime,
) -> Result<Vec<Reservation>, sqlx::Error> {
    if rights.scope == Scope::Nothing {
        return Ok(Vec::new());
    }
    Ok(pending(pool, now)
        .await?
        .into_iter()
        .filter(|(_, department)| rights.administers(*department))
        .map(|(reservation, _)| reservation)
        .collect())
}

/// Approvals and rejections of `booker`'s reservations they have not seen yet, newest first.
pub async fn unseen_decisions(
    pool: &AnyPool,
    booker: StaffId,
) -> Result<Vec<Reservation>, sqlx::Error> {
    let sql = format!(
        "SELECT {RESERVATION_COLUMNS} {RESERVATION_FROM} WHERE r.booker_id = $1 AND r.decision_unseen = 1 \
         ORDER BY r.decided_at DESC, r.id DESC"
    );
    let rows = sqlx::query_as::<_, ReservationRow>(&sql)
        .bind(booker)
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(Reservation::from).collect())
}

/// Marks every decision on `booker`'s reservations as seen.
pub async fn mark_decisions_seen(pool: &AnyPool, booker: StaffId) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE facility_reservations SET decision_unseen = 0 \
         WHERE booker_id = $1 AND decision_unseen = 1",
    )
    .bind(booker)
    .execute(pool)
    .await
    .map(|_| ())
}

#[derive(sqlx::FromRow)]
struct PendingRow {
    #[sqlx(flatten)]
    reservation: ReservationRow,
    department_id: i64,
}
