//! SQL for facility reservation: categories and facilities, the reservations on a day grid,
//! and the one way a reservation is written, [`reserve`], which the schedule also calls inside
//! its own transactions.
//!
//! No double booking, on both backends. PostgreSQL holds an exclusion constraint
//! (`facility_reservations_no_overlap`, btree_gist over `facility_id` and
//! `int8range(starts_at, ends_at)`): a concurrent overlapping insert waits for the first
//! transaction and fails once it commits. SQLite holds triggers of the same name that refuse
//! an overlapping insert or update; SQLite has one writer at a time and a trigger runs inside
//! the writing statement, so no other write can come between its check and its write. On top
//! of that, writers open their transaction with [`begin_write`], which on SQLite is
//! `BEGIN IMMEDIATE`: it takes the write lock before the first read, so the friendly check in
//! [`reserve`] reads the latest committed bookings and names the one in the way, instead of
//! failing later on a stale snapshot. Either way the database has the last word, and a
//! refusal from it is turned into the same [`ReserveError::Conflict`].

use std::ops::Range;

use sqlx::{Any, AnyConnection, AnyPool, Connection as _, Executor, Transaction};
use time::OffsetDateTime;

use super::model::{
    Approval, BookableHours, BookerRights, Bookers, Busy, Category, CategoryId, Decision, Facility,
    FacilityId, FacilityInput, MAX_SPAN, NewReservation, Reservation, ReservationId, RuleViolation,
    Rules, Slot, Status, Visibility, check_rules, initial_status,
};
use crate::org::model::{DepartmentId, Module, Scope, StaffId};
use crate::org::store as org_store;

/// The name of the no-overlap constraint (PostgreSQL) and triggers (SQLite); both backends
/// put it in the error message when they refuse a double booking.
const NO_OVERLAP: &str = "facility_reservations_no_overlap";

/// Statuses that hold a slot, as SQL.
const LIVE: &str = "('confirmed', 'pending')";

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

/// The live reservations of the schedule event `event_id`, by facility name.
pub async fn reservations_for_event<'e, E>(
    db: E,
    event_id: i64,
) -> Result<Vec<Reservation>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    let sql = format!(
        "SELECT {RESERVATION_COLUMNS} {RESERVATION_FROM} WHERE r.event_id = $1 AND r.status IN {LIVE} \
         ORDER BY f.display_order, f.id"
    );
    let rows = sqlx::query_as::<_, ReservationRow>(&sql)
        .bind(event_id)
        .fetch_all(db)
        .await?;
    Ok(rows.into_iter().map(Reservation::from).collect())
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

/// When each of `facilities` is taken (by a live reservation) within `range`, by facility and
/// start: what a free-slot search must avoid.
pub async fn busy(
    pool: &AnyPool,
    facilities: &[FacilityId],
    range: Range<OffsetDateTime>,
) -> Result<Vec<Busy>, sqlx::Error> {
    if facilities.is_empty() || range.end <= range.start {
        return Ok(Vec::new());
    }
    let (start, end) = (range.start.unix_timestamp(), range.end.unix_timestamp());
    let sql = format!(
        "SELECT facility_id, starts_at, ends_at FROM facility_reservations \
         WHERE facility_id IN ({}) AND status IN {LIVE} \
         AND starts_at > $1 AND starts_at < $2 AND ends_at > $3 \
         ORDER BY facility_id, starts_at",
        org_store::placeholders(4, facilities.len())
    );
    let mut query = sqlx::query_as::<_, (i64, i64, i64)>(&sql)
        .bind(start - MAX_SPAN.whole_seconds())
        .bind(end)
        .bind(start);
    for id in facilities {
        query = query.bind(*id);
    }
    Ok(query
        .fetch_all(pool)
        .await?
        .into_iter()
        .filter_map(|(facility, starts, ends)| {
            Some(Busy {
                facility_id: FacilityId(facility),
                slot: Slot::from_epoch(starts, ends).ok()?,
            })
        })
        .collect())
}

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

/// The reservations `booker` made that have not ended (live, or decided and not yet seen),
/// soonest first, at most `limit`.
pub async fn upcoming_of(
    pool: &AnyPool,
    booker: StaffId,
    now: OffsetDateTime,
    limit: i64,
) -> Result<Vec<Reservation>, sqlx::Error> {
    let sql = format!(
        "SELECT {RESERVATION_COLUMNS} {RESERVATION_FROM} WHERE r.booker_id = $1 AND r.ends_at > $2 \
         AND (r.status IN {LIVE} OR r.decision_unseen = 1) \
         ORDER BY r.starts_at, r.id LIMIT $3"
    );
    let rows = sqlx::query_as::<_, ReservationRow>(&sql)
        .bind(booker)
        .bind(now.unix_timestamp())
        .bind(limit)
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(Reservation::from).collect())
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

/// The reservation `id`, in any status.
pub async fn reservation<'e, E>(
    db: E,
    id: ReservationId,
) -> Result<Option<Reservation>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    let sql = format!("SELECT {RESERVATION_COLUMNS} {RESERVATION_FROM} WHERE r.id = $1");
    let row = sqlx::query_as::<_, ReservationRow>(&sql)
        .bind(id)
        .fetch_optional(db)
        .await?;
    Ok(row.map(Reservation::from))
}

/// The live reservations of `facilities` that overlap `day`, by facility and start: one day
/// grid's worth.
pub async fn reservations_on(
    pool: &AnyPool,
    facilities: &[FacilityId],
    day: Slot,
) -> Result<Vec<Reservation>, sqlx::Error> {
    if facilities.is_empty() {
        return Ok(Vec::new());
    }
    // Bounding the start from below as well lets both backends answer from the
    // (facility_id, starts_at) index instead of reading every past booking.
    let sql = format!(
        "SELECT {RESERVATION_COLUMNS} {RESERVATION_FROM} WHERE r.facility_id IN ({}) AND r.status IN {LIVE} \
         AND r.starts_at > $1 AND r.starts_at < $2 AND r.ends_at > $3 \
         ORDER BY r.facility_id, r.starts_at",
        org_store::placeholders(4, facilities.len())
    );
    let mut query = sqlx::query_as::<_, ReservationRow>(&sql)
        .bind(day.start_epoch() - MAX_SPAN.whole_seconds())
        .bind(day.end_epoch())
        .bind(day.start_epoch());
    for id in facilities {
        query = query.bind(*id);
    }
    Ok(query
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(Reservation::from)
        .collect())
}

const RESERVATION_COLUMNS: &str = "r.id, r.facility_id, f.name AS facility_name, r.starts_at, \
     r.ends_at, r.booker_id, s.name AS booker_name, r.title, r.visibility, r.event_id, \
     r.status, r.decision_note";

const RESERVATION_FROM: &str = "FROM facility_reservations r \
     JOIN facilities f ON f.id = r.facility_id JOIN staff s ON s.id = r.booker_id";

#[derive(sqlx::FromRow)]
struct ReservationRow {
    id: i64,
    facility_id: i64,
    facility_name: String,
    starts_at: i64,
    ends_at: i64,
    booker_id: i64,
    booker_name: String,
    title: String,
    visibility: String,
    event_id: Option<i64>,
    status: String,
    decision_note: String,
}

#[derive(sqlx::FromRow)]
struct PendingRow {
    #[sqlx(flatten)]
    reservation: ReservationRow,
    department_id: i64,
}

impl From<ReservationRow> for Reservation {
    fn from(row: ReservationRow) -> Reservation {
        // The table's CHECK keeps every span valid; a row that is not would be shown as its
        // first minute rather than dropped from the grid.
        let slot = Slot::from_epoch(row.starts_at, row.ends_at)
            .or_else(|_| Slot::from_epoch(row.starts_at, row.starts_at + 60))
            .unwrap_or_else(|_| Slot::day(time::Date::MIN));
        Reservation {
            id: ReservationId(row.id),
            facility_id: FacilityId(row.facility_id),
            facility_name: row.facility_name,
            slot,
            booker: StaffId(row.booker_id),
            booker_name: row.booker_name,
            title: row.title,
            visibility: Visibility::from_stored(&row.visibility),
            event_id: row.event_id,
            status: Status::from_stored(&row.status),
            decision_note: row.decision_note,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Categories and facilities
// ---------------------------------------------------------------------------------------------

/// A category with how many facilities in service it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategorySummary {
    /// The category.
    pub category: Category,
    /// Facilities in service in it.
    pub facilities: i64,
}

/// Every category in display order, with its count of facilities in service.
pub async fn categories(pool: &AnyPool) -> Result<Vec<CategorySummary>, sqlx::Error> {
    let rows: Vec<(i64, String, i64, i64)> = sqlx::query_as(
        "SELECT c.id, c.name, c.display_order, \
                (SELECT COUNT(*) FROM facilities f WHERE f.category_id = c.id AND f.in_service = 1) \
         FROM facility_categories c ORDER BY c.display_order, c.id",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, order, facilities)| CategorySummary {
            category: Category {
                id: CategoryId(id),
                name,
                display_order: i32::try_from(order).unwrap_or(i32::MAX),
            },
            facilities,
        })
        .collect())
}

/// How far up the department tree [`home_category`] looks for a managing department; real
/// trees have four levels.
const HOME_DEPTH: i64 = 8;

/// How far back [`home_category`] looks at a department's bookings, in seconds (90 days).
const RECENT_BOOKINGS: i64 = 90 * 24 * 60 * 60;

/// The category the facility grid opens on for someone of `department`: the category of the
/// facilities in service that `department` manages, or failing that the nearest department
/// above it (a 係 under the 課 that keeps the rooms), the category with most of them first;
/// failing that, the category of the booking most recently made by anyone sitting in
/// `department` for a slot from 90 days before `now` on; `None` when neither exists.
pub async fn home_category(
    pool: &AnyPool,
    department: DepartmentId,
    now: OffsetDateTime,
) -> Result<Option<CategoryId>, sqlx::Error> {
    let managed: Option<i64> = sqlx::query_scalar(
        "WITH RECURSIVE up (id, parent_id, depth) AS ( \
             SELECT id, parent_id, 0 FROM departments WHERE id = $1 \
             UNION ALL \
             SELECT d.id, d.parent_id, up.depth + 1 \
             FROM departments d JOIN up ON d.id = up.parent_id WHERE up.depth < $2 \
         ) \
         SELECT f.category_id FROM up \
         JOIN facilities f ON f.department_id = up.id AND f.in_service = 1 \
         GROUP BY f.category_id \
         ORDER BY MIN(up.depth), COUNT(*) DESC, f.category_id LIMIT 1",
    )
    .bind(department)
    .bind(HOME_DEPTH)
    .fetch_optional(pool)
    .await?;
    if let Some(id) = managed {
        return Ok(Some(CategoryId(id)));
    }
    // The booker index (booker_id, starts_at) bounds this to the department's recent
    // bookings; those made lately are for slots from a little before now on.
    let booked: Option<i64> = sqlx::query_scalar(
        "SELECT f.category_id FROM staff s \
         JOIN facility_reservations r ON r.booker_id = s.id AND r.starts_at >= $2 \
         JOIN facilities f ON f.id = r.facility_id AND f.in_service = 1 \
         WHERE s.department_id = $1 \
         ORDER BY r.created_at DESC, r.id DESC LIMIT 1",
    )
    .bind(department)
    .bind(now.unix_timestamp() - RECENT_BOOKINGS)
    .fetch_optional(pool)
    .await?;
    Ok(booked.map(CategoryId))
}

/// Creates a category named `name` at the end of the list.
pub async fn insert_category<'e, E>(db: E, name: &str) -> Result<CategoryId, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query_scalar::<_, i64>(
        "INSERT INTO facility_categories (name, display_order) \
         VALUES ($1, (SELECT COALESCE(MAX(display_order), 0) + 1 FROM facility_categories)) \
         RETURNING id",
    )
    .bind(name)
    .fetch_one(db)
    .await
    .map(CategoryId)
}

/// The category named `name`, if there is one.
pub async fn category_by_name<'e, E>(db: E, name: &str) -> Result<Option<CategoryId>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    let id: Option<i64> = sqlx::query_scalar("SELECT id FROM facility_categories WHERE name = $1")
        .bind(name)
        .fetch_optional(db)
        .await?;
    Ok(id.map(CategoryId))
}

const FACILITY_COLUMNS: &str = "id, category_id, name, place, capacity, department_id, \
     display_order, approval, bookers, advance_days, max_minutes, open_minute, close_minute, \
     note, in_service";

#[derive(sqlx::FromRow)]
struct FacilityRow {
    id: i64,
    category_id: i64,
    name: String,
    place: String,
    capacity: Option<i64>,
    department_id: i64,
    display_order: i64,
    approval: String,
    bookers: String,
    advance_days: i64,
    max_minutes: i64,
    open_minute: i64,
    close_minute: i64,
    note: String,
    in_service: i64,
}

impl From<FacilityRow> for Facility {
    fn from(row: FacilityRow) -> Facility {
        let minute = |m: i64| u16::try_from(m).unwrap_or(0);
        Facility {
            id: FacilityId(row.id),
            category_id: CategoryId(row.category_id),
            name: row.name,
            place: row.place,
            capacity: row.capacity.and_then(|c| u32::try_from(c).ok()),
            department_id: DepartmentId(row.department_id),
            display_order: i32::try_from(row.display_order).unwrap_or(i32::MAX),
            rules: Rules {
                approval: Approval::from_stored(&row.approval),
                bookers: Bookers::from_stored(&row.bookers),
                advance_days: u16::try_from(row.advance_days).unwrap_or(0),
                max_minutes: u32::try_from(row.max_minutes).unwrap_or(0),
                // The table's CHECKs keep the hours valid; the default is the reading of a
                // row that somehow is not.
                hours: BookableHours::new(minute(row.open_minute), minute(row.close_minute))
                    .unwrap_or(Rules::DEFAULT.hours),
            },
            note: row.note,
            in_service: row.in_service == 1,
        }
    }
}

/// The facility `id`, in service or not.
pub async fn facility<'e, E>(db: E, id: FacilityId) -> Result<Option<Facility>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    let sql = format!("SELECT {FACILITY_COLUMNS} FROM facilities WHERE id = $1");
    let row = sqlx::query_as::<_, FacilityRow>(&sql)
        .bind(id)
        .fetch_optional(db)
        .await?;
    Ok(row.map(Facility::from))
}

/// The facilities in service in `category`, in display order, `limit` from `offset`.
pub async fn facilities_in(
    pool: &AnyPool,
    category: CategoryId,
    offset: i64,
    limit: i64,
) -> Result<Vec<Facility>, sqlx::Error> {
    let sql = format!(
        "SELECT {FACILITY_COLUMNS} FROM facilities WHERE category_id = $1 AND in_service = 1 \
         ORDER BY display_order, id LIMIT $2 OFFSET $3"
    );
    let rows = sqlx::query_as::<_, FacilityRow>(&sql)
        .bind(category)
        .bind(limit)
        .bind(offset)
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(Facility::from).collect())
}

/// Every facility, in service or not, by category and display order: the administration list,
/// which callers narrow to their scope.
pub async fn all_facilities(pool: &AnyPool) -> Result<Vec<Facility>, sqlx::Error> {
    let sql = format!(
        "SELECT {FACILITY_COLUMNS} FROM facilities ORDER BY category_id, display_order, id"
    );
    let rows = sqlx::query_as::<_, FacilityRow>(&sql)
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(Facility::from).collect())
}

/// Creates a facility at the end of its category.
pub async fn insert_facility<'e, E>(db: E, input: &FacilityInput) -> Result<FacilityId, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    let sql = "INSERT INTO facilities (category_id, name, place, capacity, department_id, \
         display_order, approval, bookers, advance_days, max_minutes, open_minute, close_minute, \
         note, in_service) \
         VALUES ($1, $2, $3, $4, $5, \
                 (SELECT COALESCE(MAX(display_order), 0) + 1 FROM facilities WHERE category_id = $1), \
                 $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id";
    let id = bind_facility(sqlx::query_scalar::<_, i64>(sql), input)
        .fetch_one(db)
        .await?;
    Ok(FacilityId(id))
}

/// Replaces everything about facility `id` but its display order; returns whether it exists.
pub async fn update_facility<'e, E>(
    db: E,
    id: FacilityId,
    input: &FacilityInput,
) -> Result<bool, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    let sql = "UPDATE facilities SET category_id = $1, name = $2, place = $3, capacity = $4, \
         department_id = $5, approval = $6, bookers = $7, advance_days = $8, max_minutes = $9, \
         open_minute = $10, close_minute = $11, note = $12, in_service = $13 \
         WHERE id = $14 RETURNING id";
    let found = bind_facility(sqlx::query_scalar::<_, i64>(sql), input)
        .bind(id)
        .fetch_optional(db)
        .await?;
    Ok(found.is_some())
}

fn bind_facility<'q>(
    query: sqlx::query::QueryScalar<'q, Any, i64, sqlx::any::AnyArguments<'q>>,
    input: &'q FacilityInput,
) -> sqlx::query::QueryScalar<'q, Any, i64, sqlx::any::AnyArguments<'q>> {
    let rules = input.rules;
    query
        .bind(input.category_id)
        .bind(input.name.as_str())
        .bind(input.place.as_str())
        .bind(input.capacity.map(i32::try_from).and_then(Result::ok))
        .bind(input.department_id)
        .bind(rules.approval.as_str())
        .bind(rules.bookers.as_str())
        .bind(i32::from(rules.advance_days))
        .bind(i32::try_from(rules.max_minutes).unwrap_or(i32::MAX))
        .bind(i32::from(rules.hours.open()))
        .bind(i32::from(rules.hours.close()))
        .bind(input.note.as_str())
        .bind(i32::from(input.in_service))
}

/// How many facilities exist, in service or not.
pub async fn count_facilities<'e, E>(db: E) -> Result<i64, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query_scalar("SELECT COUNT(*) FROM facilities")
        .fetch_one(db)
        .await
}

// ---------------------------------------------------------------------------------------------
// Seeding: the demo city's facilities and a city-sized set for the benchmark
// ---------------------------------------------------------------------------------------------

/// Rows per multi-row `INSERT` of seeded reservations: 8 values each, 4,000 binds.
const SEED_BATCH: usize = 500;

/// Writes `rows` as they are, in multi-row inserts inside the caller's transaction. The
/// database still refuses overlaps.
pub async fn insert_seed_reservations(
    conn: &mut AnyConnection,
    rows: &[super::seed::SeedReservation],
    now: OffsetDateTime,
) -> Result<usize, sqlx::Error> {
    for chunk in rows.chunks(SEED_BATCH) {
        let mut sql = String::from(
            "INSERT INTO facility_reservations (facility_id, starts_at, ends_at, booker_id, \
             title, visibility, status, created_at) VALUES ",
        );
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            let n = i * 8;
            sql.push_str(&format!(
                "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                n + 1,
                n + 2,
                n + 3,
                n + 4,
                n + 5,
                n + 6,
                n + 7,
                n + 8
            ));
        }
        let mut query = sqlx::query(&sql);
        for row in chunk {
            query = query
                .bind(row.facility_id)
                .bind(row.slot.start_epoch())
                .bind(row.slot.end_epoch())
                .bind(row.booker)
                .bind(row.title)
                .bind(row.visibility.as_str())
                .bind(row.status.as_str())
                .bind(now.unix_timestamp());
        }
        query.execute(&mut *conn).await?;
    }
    Ok(rows.len())
}

/// What a seeding wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SeedCounts {
    /// Categories.
    pub categories: usize,
    /// Facilities.
    pub facilities: usize,
    /// Reservations.
    pub reservations: usize,
}

/// Loads the demo city's facilities (unless any facility exists) with bookings from three
/// days before to two weeks after `now`, some 仮予約 waiting for 総務課's approval, and makes
/// the demo's 山田 (総務課) and 佐藤 (財務課) facility administrators of their departments.
pub async fn load_demo(pool: &AnyPool, now: OffsetDateTime) -> Result<SeedCounts, sqlx::Error> {
    use super::seed::{Kind, Rng, day_bookings, days, demo_facilities, demo_input};
    use crate::org::model::GrantKind;

    if count_facilities(pool).await? > 0 {
        return Ok(SeedCounts::default());
    }
    let departments = org_store::departments(pool).await?;
    let department = |name: &str| departments.iter().find(|d| d.name == name).map(|d| d.id);
    let teams = org_store::teams(pool).await?;
    let bookers: Vec<StaffId> = teams
        .iter()
        .flat_map(|(_, members)| members.iter().copied())
        .collect();
    let mut counts = SeedCounts::default();
    let mut made: Vec<(FacilityId, Kind, bool)> = Vec::new();
    let mut tx = pool.begin().await?;
    for facility in demo_facilities() {
        let Some(department_id) = department(facility.department) else {
            continue;
        };
        let category = match category_by_name(&mut *tx, facility.category).await? {
            Some(id) => id,
            None => {
                counts.categories += 1;
                insert_category(&mut *tx, facility.category).await?
            }
        };
        let id = insert_facility(&mut *tx, &demo_input(&facility, category, department_id)).await?;
        counts.facilities += 1;
        made.push((id, facility.kind, facility.restricted));
    }
    let today = now.to_offset(super::model::JST).date();
    let mut rng = Rng::new(0x5941_4B55);
    let mut rows = Vec::new();
    for (id, kind, restricted) in &made {
        for day in days(
            today - time::Duration::days(3),
            today + time::Duration::days(14),
        ) {
            let mut bookings = day_bookings(*id, *kind, day, 2.5, &bookers, &mut rng);
            // Restricted facilities' bookings of the coming days wait for approval; later
            // ones were approved already.
            if *restricted && day > today && day <= today + time::Duration::days(5) {
                for booking in &mut bookings {
                    booking.status = Status::Pending;
                }
            }
            rows.extend(bookings);
        }
    }
    counts.reservations = insert_seed_reservations(&mut tx, &rows, now).await?;
    tx.commit().await?;
    for login in ["yamada", "sato"] {
        if let Some(person) = org_store::find_staff_by_login(pool, login).await? {
            org_store::grant_function_admin(
                pool,
                person.id,
                Module::Facility,
                &org_store::Grant {
                    kind: GrantKind::Own,
                    departments: Vec::new(),
                },
            )
            .await?;
        }
    }
    Ok(counts)
}

/// Loads the city-sized set of `count` facilities (see [`super::seed::city_facilities`]),
/// run by the city's 課 in turn, with about `per_day` bookings per facility and working day
/// from `first` to `last`, by staff of the managing department. For `generate-city`.
pub async fn load_city(
    pool: &AnyPool,
    count: usize,
    per_day: f64,
    first: time::Date,
    last: time::Date,
    seed: u64,
    now: OffsetDateTime,
) -> Result<SeedCounts, sqlx::Error> {
    use super::seed::{Rng, city_categories, city_facilities, day_bookings, days, rules_for};
    use crate::org::model::DepartmentKind;

    let departments: Vec<DepartmentId> = org_store::departments(pool)
        .await?
        .into_iter()
        .filter(|d| d.kind == DepartmentKind::Ka)
        .map(|d| d.id)
        .collect();
    if departments.is_empty() {
        return Ok(SeedCounts::default());
    }
    let teams: std::collections::HashMap<DepartmentId, Vec<StaffId>> =
        org_store::teams(pool).await?.into_iter().collect();
    let everyone: Vec<StaffId> = teams.values().flatten().copied().collect();
    let mut counts = SeedCounts::default();
    let mut tx = pool.begin().await?;
    let mut categories = Vec::new();
    for name in city_categories(count) {
        categories.push(insert_category(&mut *tx, &name).await?);
        counts.categories += 1;
    }
    let mut made = Vec::with_capacity(count);
    for (i, facility) in city_facilities(count, seed).into_iter().enumerate() {
        let Some(category) = categories.get(facility.category_index) else {
            continue;
        };
        let department = departments[i % departments.len()];
        let input = FacilityInput {
            category_id: *category,
            name: facility.name,
            place: facility.place,
            capacity: facility.capacity,
            department_id: department,
            rules: rules_for(facility.kind, facility.restricted),
            note: String::new(),
            in_service: true,
        };
        made.push((
            insert_facility(&mut *tx, &input).await?,
            facility.kind,
            department,
        ));
        counts.facilities += 1;
    }
    tx.commit().await?;
    let mut rng = Rng::new(seed ^ 0xB00C);
    let mut rows = Vec::new();
    for (id, kind, department) in made {
        let bookers = teams
            .get(&department)
            .filter(|members| !members.is_empty())
            .unwrap_or(&everyone);
        for day in days(first, last) {
            rows.extend(day_bookings(id, kind, day, per_day, bookers, &mut rng));
        }
        if rows.len() >= 50_000 {
            let mut tx = pool.begin().await?;
            counts.reservations += insert_seed_reservations(&mut tx, &rows, now).await?;
            tx.commit().await?;
            rows.clear();
        }
    }
    let mut tx = pool.begin().await?;
    counts.reservations += insert_seed_reservations(&mut tx, &rows, now).await?;
    tx.commit().await?;
    Ok(counts)
}
