//! Writing reservations: [`reserve`] (the one way a reservation is written) and [`book`], then
//! moving, retitling, cancelling and relinking live reservations, each checked as `reserve`
//! checks a new one. See the parent module for how double booking is refused.

use sqlx::{Any, AnyConnection, AnyPool, Connection as _, Transaction};
use time::OffsetDateTime;

use super::{
    LIVE, NO_OVERLAP, RESERVATION_COLUMNS, RESERVATION_FROM, ReservationRow, facility, reservation,
};
use crate::facility::model::{
    BookerRights, FacilityId, MAX_SPAN, NewReservation, Reservation, ReservationId, RuleViolation,
    Slot, Visibility, check_rules, initial_status,
};
use crate::org::model::{Module, StaffId};
use crate::org::store as org_store;

/// Why a reservation was not written. Nothing is written when any of these is returned.
#[derive(Debug, thiserror::Error)]
pub enum ReserveError {
    /// No facility has that id.
    #[error("no such facility")]
    UnknownFacility,
    /// The booking breaks the facility's rules.
    #[error("the booking breaks the facility's rules: {0:?}")]
    Rules(Vec<RuleViolation>),
    /// Another live reservation overlaps the slot.
    #[error("facility {} is already booked: reservation {}", .0.facility_id, .0.id)]
    Conflict(Box<Reservation>),
    /// The reservation to change is not live (cancelled, rejected or gone).
    #[error("no live reservation with that id")]
    NotLive,
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// Opens a transaction for writing reservations: `BEGIN IMMEDIATE` on SQLite, so that the
/// write lock is taken before anything is read (see the module documentation), and a plain
/// `BEGIN` on PostgreSQL, whose constraint needs no lock.
///
/// The schedule opens its event transactions with this too when they book facilities.
pub async fn begin_write(pool: &AnyPool) -> Result<Transaction<'static, Any>, sqlx::Error> {
    let statement = if pool.connect_options().database_url.scheme() == "sqlite" {
        "BEGIN IMMEDIATE"
    } else {
        "BEGIN"
    };
    pool.begin_with(statement).await
}

/// Loads what the rules need to know about `staff` as a booker: their departments (primary
/// and 兼務), their facility administration scope and the department tree.
pub async fn booker_rights(pool: &AnyPool, staff: StaffId) -> Result<BookerRights, sqlx::Error> {
    let mut departments = Vec::new();
    if let Some(person) = org_store::find_staff(pool, staff).await? {
        departments.push(person.department_id);
    }
    departments.extend(
        org_store::posts_of(pool, staff)
            .await?
            .into_iter()
            .map(|post| post.department_id),
    );
    let scope = org_store::admin_scope(pool, staff, Module::Facility).await?;
    let tree = org_store::department_tree(pool).await?;
    Ok(BookerRights {
        staff,
        departments,
        scope,
        tree,
    })
}

/// Books `new` for the staff member `rights` describes, inside the caller's transaction
/// (open it with [`begin_write`]), and returns the new reservation's id.
///
/// The facility's rules are checked first; then a live reservation overlapping the slot is
/// looked for and named in [`ReserveError::Conflict`]; then the row is written inside a
/// savepoint, so a refusal by the database's own no-overlap rule (a booking committed by
/// another transaction in between, on PostgreSQL) leaves the caller's transaction usable and
/// is reported as the same conflict. A restricted facility's booking starts as
/// [`Status::Pending`] unless the booker administers it.
pub async fn reserve(
    conn: &mut AnyConnection,
    new: &NewReservation,
    rights: &BookerRights,
) -> Result<ReservationId, ReserveError> {
    let facility = facility(&mut *conn, new.facility_id)
        .await?
        .ok_or(ReserveError::UnknownFacility)?;
    let standing = rights.standing(facility.department_id);
    let broken = check_rules(&facility, new.slot, standing, OffsetDateTime::now_utc());
    if !broken.is_empty() {
        return Err(ReserveError::Rules(broken));
    }
    if let Some(existing) = first_overlap(&mut *conn, new.facility_id, new.slot, None).await? {
        return Err(ReserveError::Conflict(Box::new(existing)));
    }
    let status = initial_status(&facility.rules, standing);
    let mut savepoint = conn.begin().await?;
    let inserted = sqlx::query_scalar::<_, i64>(
        "INSERT INTO facility_reservations \
         (facility_id, starts_at, ends_at, booker_id, title, visibility, event_id, status, \
          created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(new.facility_id)
    .bind(new.slot.start_epoch())
    .bind(new.slot.end_epoch())
    .bind(rights.staff)
    .bind(new.title.as_str())
    .bind(new.visibility.as_str())
    .bind(new.event_id)
    .bind(status.as_str())
    .bind(OffsetDateTime::now_utc().unix_timestamp())
    .fetch_one(&mut *savepoint)
    .await;
    match inserted {
        Ok(id) => {
            savepoint.commit().await?;
            Ok(ReservationId(id))
        }
        Err(error) => {
            savepoint.rollback().await?;
            Err(refused(conn, error, new.facility_id, new.slot, None).await)
        }
    }
}

/// Books `new` in a transaction of its own: [`begin_write`], [`reserve`], commit.
pub async fn book(
    pool: &AnyPool,
    new: &NewReservation,
    rights: &BookerRights,
) -> Result<ReservationId, ReserveError> {
    let mut tx = begin_write(pool).await?;
    match reserve(&mut tx, new, rights).await {
        Ok(id) => {
            tx.commit().await?;
            Ok(id)
        }
        Err(error) => {
            // Release SQLite's write lock now rather than when the pool next hands this
            // connection out.
            tx.rollback().await?;
            Err(error)
        }
    }
}

/// Turns a database refusal of a write into a conflict naming the booking in the way when it
/// is the no-overlap rule, and into [`ReserveError::Database`] otherwise.
async fn refused(
    conn: &mut AnyConnection,
    error: sqlx::Error,
    facility: FacilityId,
    slot: Slot,
    except: Option<ReservationId>,
) -> ReserveError {
    let overlap = matches!(&error, sqlx::Error::Database(db) if db.message().contains(NO_OVERLAP));
    if !overlap {
        return ReserveError::Database(error);
    }
    match first_overlap(conn, facility, slot, except).await {
        Ok(Some(existing)) => ReserveError::Conflict(Box::new(existing)),
        // The booking in the way was withdrawn in the meantime; the refusal still stands.
        Ok(None) => ReserveError::Database(error),
        Err(lookup) => ReserveError::Database(lookup),
    }
}

/// The first live reservation of `facility` overlapping `slot`, other than `except`.
async fn first_overlap(
    conn: &mut AnyConnection,
    facility: FacilityId,
    slot: Slot,
    except: Option<ReservationId>,
) -> Result<Option<Reservation>, sqlx::Error> {
    let sql = format!(
        "SELECT {RESERVATION_COLUMNS} {RESERVATION_FROM} WHERE r.facility_id = $1 AND r.status IN {LIVE} \
         AND r.starts_at > $2 AND r.starts_at < $3 AND r.ends_at > $4 AND r.id <> $5 \
         ORDER BY r.starts_at LIMIT 1"
    );
    let row = sqlx::query_as::<_, ReservationRow>(&sql)
        .bind(facility)
        .bind(slot.start_epoch() - MAX_SPAN.whole_seconds())
        .bind(slot.end_epoch())
        .bind(slot.start_epoch())
        .bind(except.map_or(0, |id| id.0))
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(Reservation::from))
}

/// Moves the live reservation `id` to `slot`, checking the facility's rules for whoever
/// `rights` describes and the slot's availability as [`reserve`] does. A restricted
/// facility's booking waits for approval again unless the mover administers it.
pub async fn move_reservation(
    conn: &mut AnyConnection,
    id: ReservationId,
    slot: Slot,
    rights: &BookerRights,
) -> Result<(), ReserveError> {
    let current = reservation(&mut *conn, id)
        .await?
        .filter(|r| r.status.is_live())
        .ok_or(ReserveError::NotLive)?;
    let facility = facility(&mut *conn, current.facility_id)
        .await?
        .ok_or(ReserveError::UnknownFacility)?;
    let standing = rights.standing(facility.department_id);
    let broken = check_rules(&facility, slot, standing, OffsetDateTime::now_utc());
    if !broken.is_empty() {
        return Err(ReserveError::Rules(broken));
    }
    if let Some(existing) = first_overlap(&mut *conn, facility.id, slot, Some(id)).await? {
        return Err(ReserveError::Conflict(Box::new(existing)));
    }
    let status = initial_status(&facility.rules, standing);
    let mut savepoint = conn.begin().await?;
    let updated = sqlx::query(
        "UPDATE facility_reservations SET starts_at = $1, ends_at = $2, status = $3, \
         decided_by = NULL, decided_at = NULL, decision_note = '', decision_unseen = 0 \
         WHERE id = $4",
    )
    .bind(slot.start_epoch())
    .bind(slot.end_epoch())
    .bind(status.as_str())
    .bind(id)
    .execute(&mut *savepoint)
    .await;
    match updated {
        Ok(_) => {
            savepoint.commit().await?;
            Ok(())
        }
        Err(error) => {
            savepoint.rollback().await?;
            Err(refused(conn, error, facility.id, slot, Some(id)).await)
        }
    }
}

/// Changes what the live reservation `id` is for and who sees it; returns whether there was
/// one to change.
pub async fn retitle(
    conn: &mut AnyConnection,
    id: ReservationId,
    title: &str,
    visibility: Visibility,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(&format!(
        "UPDATE facility_reservations SET title = $1, visibility = $2 \
         WHERE id = $3 AND status IN {LIVE}"
    ))
    .bind(title)
    .bind(visibility.as_str())
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Changes the live reservation `id` in a transaction of its own ([`begin_write`]): moves
/// it to `slot` when one is given ([`move_reservation`]), then sets its title and
/// visibility. Nothing is written when an error is returned.
pub async fn change(
    pool: &AnyPool,
    id: ReservationId,
    slot: Option<Slot>,
    title: &str,
    visibility: Visibility,
    rights: &BookerRights,
) -> Result<(), ReserveError> {
    let mut tx = begin_write(pool).await?;
    let moved = match slot {
        Some(slot) => move_reservation(&mut tx, id, slot, rights).await,
        None => Ok(()),
    };
    match moved {
        Ok(()) if retitle(&mut tx, id, title, visibility).await? => {
            tx.commit().await?;
            Ok(())
        }
        Ok(()) => {
            tx.rollback().await?;
            Err(ReserveError::NotLive)
        }
        Err(error) => {
            tx.rollback().await?;
            Err(error)
        }
    }
}

/// Cancels the live reservation `id`; returns whether there was one to cancel.
pub async fn cancel(conn: &mut AnyConnection, id: ReservationId) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(&format!(
        "UPDATE facility_reservations SET status = 'cancelled' \
         WHERE id = $1 AND status IN {LIVE}"
    ))
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Cancels every live reservation of the schedule event `event_id` (the event was deleted or
/// no longer needs its facilities); returns how many.
pub async fn cancel_for_event(conn: &mut AnyConnection, event_id: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(&format!(
        "UPDATE facility_reservations SET status = 'cancelled' \
         WHERE event_id = $1 AND status IN {LIVE}"
    ))
    .bind(event_id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}

/// Moves every live reservation of the schedule event `event_id` to `slot` (the event was
/// moved), as [`move_reservation`] does each; the first refusal stops and is returned, and the
/// caller rolls its transaction back. Returns how many moved.
pub async fn move_for_event(
    conn: &mut AnyConnection,
    event_id: i64,
    slot: Slot,
    rights: &BookerRights,
) -> Result<u64, ReserveError> {
    let ids: Vec<i64> = sqlx::query_scalar(&format!(
        "SELECT id FROM facility_reservations WHERE event_id = $1 AND status IN {LIVE} \
         ORDER BY id"
    ))
    .bind(event_id)
    .fetch_all(&mut *conn)
    .await?;
    for id in &ids {
        move_reservation(conn, ReservationId(*id), slot, rights).await?;
    }
    Ok(u64::try_from(ids.len()).unwrap_or(u64::MAX))
}

/// Hands the live reservation `id` to the schedule event `event_id`, its slot and approval
/// kept: one occurrence of a series became an event of its own. Returns whether there was a
/// live reservation to hand over.
pub async fn relink(
    conn: &mut AnyConnection,
    id: ReservationId,
    event_id: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(&format!(
        "UPDATE facility_reservations SET event_id = $1 WHERE id = $2 AND status IN {LIVE}"
    ))
    .bind(event_id)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}
