//! SQL for the schedule: saving events and series (with their participants, in one
//! transaction) here; exceptions to series (`exceptions`), the facilities series hold
//! (`series_facilities`), the agenda of a set of people over a window (`agenda`: the one query
//! every view and the free-slot search use), and delegates and feed tokens (`sharing`) in
//! modules of their own, re-exported here. Portable SQL for SQLite and PostgreSQL through
//! `sqlx::Any`.

use sqlx::{Any, AnyConnection, AnyPool, Executor};
use time::OffsetDateTime;

use super::form::EventDraft;
use super::model::{Certainty, Detached, Event, EventId, TimeRange, Visibility, local};
use super::recurrence::Rule;
use crate::org::model::StaffId;
use crate::org::store::placeholders;

mod agenda;
mod exceptions;
mod series_facilities;
mod sharing;

pub use agenda::{Agenda, agenda};
pub use exceptions::{
    delete_occurrence, delete_occurrence_in, detach_occurrence_in, detached_from, detached_ids,
    end_series_before_in, exdates, exdates_in, shift_exceptions_in,
};
pub use series_facilities::{
    SeriesFacility, advance_series_facility, link_series_facility, rolling_series_facilities,
    series_facilities, unlink_series_facility,
};
pub use sharing::{
    delegates_of, delegating_to, delete_feed_token, feed_token_created, set_delegates,
    set_feed_token, staff_by_feed_token,
};

/// Ids per `IN (...)` list, well under both backends' bind limits.
const CHUNK: usize = 500;

/// Why an event was not saved. Nothing is written when any of these is returned.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// A participant is not current staff.
    #[error("participant {0} is not current staff")]
    UnknownParticipant(StaffId),
    /// The event or series does not exist (any more).
    #[error("event {0} does not exist")]
    NoSuchEvent(EventId),
    /// The series has no occurrence at the given start.
    #[error("event {0} has no occurrence at that time")]
    NoSuchOccurrence(EventId),
    /// A linked facility could not be reserved: the bookings in the way or the rules broken.
    #[error("facility not reserved: {0}")]
    Rooms(super::rooms::RoomRefusal),
    /// The database failed.
    #[error("database error while saving an event: {0}")]
    Database(#[from] sqlx::Error),
}

#[derive(sqlx::FromRow)]
struct EventRow {
    id: i64,
    title: String,
    place: String,
    memo: String,
    starts_at: i64,
    ends_at: i64,
    all_day: i64,
    tentative: i64,
    private: i64,
    rrule: Option<String>,
    detached_from: Option<i64>,
    original_start: Option<i64>,
    created_by: i64,
}

const EVENT_COLUMNS: &str = "e.id, e.title, e.place, e.memo, e.starts_at, e.ends_at, e.all_day, \
     e.tentative, e.private, e.rrule, e.detached_from, e.original_start, e.created_by";

impl EventRow {
    /// The event, or `None` when stored values are out of range (logged by the caller).
    fn into_event(self, participants: Vec<StaffId>) -> Option<Event> {
        let rule = match self.rrule.as_deref() {
            None => None,
            // A rule we cannot read shows the first occurrence alone rather than nothing.
            Some(text) => Rule::parse_rrule(text)
                .inspect_err(|e| tracing::warn!(event.id = self.id, error = %e, "unreadable stored recurrence"))
                .ok(),
        };
        let detached = match (self.detached_from, self.original_start) {
            (Some(series), Some(start)) => Some(Detached {
                series: EventId(series),
                original_start: OffsetDateTime::from_unix_timestamp(start).ok()?,
            }),
            _ => None,
        };
        Some(Event {
            id: EventId(self.id),
            title: self.title,
            place: self.place,
            memo: self.memo,
            span: TimeRange::from_unix(self.starts_at, self.ends_at)?,
            all_day: self.all_day != 0,
            certainty: Certainty::from_flag(self.tentative),
            visibility: Visibility::from_flag(self.private),
            rule,
            detached,
            created_by: StaffId(self.created_by),
            participants,
        })
    }
}

/// Creates an event or series from `draft`, created by `by` at `now`, with its participants,
/// in one transaction. Facilities in the draft are reserved by the caller through
/// [`create_event_in`] when the facility module is present.
pub async fn create_event(
    pool: &AnyPool,
    draft: &EventDraft,
    by: StaffId,
    now: OffsetDateTime,
) -> Result<EventId, SaveError> {
    let mut tx = pool.begin().await?;
    let id = create_event_in(&mut tx, draft, by, now, None).await?;
    tx.commit().await?;
    Ok(id)
}

/// Creates an event inside the caller's transaction, so the caller can reserve its
/// facilities in the same one; `detached` makes it a changed occurrence of a series.
pub async fn create_event_in(
    conn: &mut AnyConnection,
    draft: &EventDraft,
    by: StaffId,
    now: OffsetDateTime,
    detached: Option<Detached>,
) -> Result<EventId, SaveError> {
    check_participants(conn, &draft.participants).await?;
    let series_end = draft_series_end(draft);
    let rrule = draft
        .rule
        .as_ref()
        .map(|r| r.to_rrule(local(draft.span.start()).date()));
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO schedule_events (title, place, memo, starts_at, ends_at, all_day, tentative, \
             private, rrule, series_end, detached_from, original_start, created_by, created_at, \
             updated_by, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $13, $14) \
         RETURNING id",
    )
    .bind(draft.title.as_str())
    .bind(draft.place.as_str())
    .bind(draft.memo.as_str())
    .bind(draft.span.start_unix())
    .bind(draft.span.end_unix())
    .bind(i64::from(draft.all_day))
    .bind(draft.certainty.as_flag())
    .bind(draft.visibility.as_flag())
    .bind(rrule)
    .bind(series_end)
    .bind(detached.map(|d| d.series))
    .bind(detached.map(|d| d.original_start.unix_timestamp()))
    .bind(by)
    .bind(now.unix_timestamp())
    .fetch_one(&mut *conn)
    .await?;
    let id = EventId(id);
    insert_participants(conn, id, draft, series_end).await?;
    Ok(id)
}

fn draft_series_end(draft: &EventDraft) -> i64 {
    super::model::series_end_unix(&draft.span, draft.rule.as_ref())
}

async fn check_participants(conn: &mut AnyConnection, ids: &[StaffId]) -> Result<(), SaveError> {
    for chunk in ids.chunks(CHUNK) {
        let sql = format!(
            "SELECT id FROM staff WHERE retired = 0 AND id IN ({})",
            placeholders(1, chunk.len())
        );
        let mut query = sqlx::query_scalar::<_, i64>(&sql);
        for id in chunk {
            query = query.bind(*id);
        }
        let found = query.fetch_all(&mut *conn).await?;
        if let Some(missing) = chunk.iter().find(|id| !found.contains(&id.0)) {
            return Err(SaveError::UnknownParticipant(*missing));
        }
    }
    Ok(())
}

async fn insert_participants(
    conn: &mut AnyConnection,
    id: EventId,
    draft: &EventDraft,
    series_end: i64,
) -> Result<(), sqlx::Error> {
    let recurring = i64::from(draft.rule.is_some());
    for chunk in draft.participants.chunks(CHUNK / 5) {
        let mut sql = String::from(
            "INSERT INTO schedule_participants (event_id, staff_id, recurring, starts_at, series_end) VALUES ",
        );
        for row in 0..chunk.len() {
            if row > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            sql.push_str(&placeholders(row * 5 + 1, 5));
            sql.push(')');
        }
        let mut query = sqlx::query(&sql);
        for staff in chunk {
            query = query
                .bind(id)
                .bind(*staff)
                .bind(recurring)
                .bind(draft.span.start_unix())
                .bind(series_end);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Replaces every field and the participants of event `id` with `draft`, in the caller's
/// transaction. A series keeps its removed occurrences.
pub async fn update_event_in(
    conn: &mut AnyConnection,
    id: EventId,
    draft: &EventDraft,
    by: StaffId,
    now: OffsetDateTime,
) -> Result<(), SaveError> {
    check_participants(conn, &draft.participants).await?;
    let series_end = draft_series_end(draft);
    let rrule = draft
        .rule
        .as_ref()
        .map(|r| r.to_rrule(local(draft.span.start()).date()));
    let updated = sqlx::query(
        "UPDATE schedule_events SET title = $1, place = $2, memo = $3, starts_at = $4, \
             ends_at = $5, all_day = $6, tentative = $7, private = $8, rrule = $9, \
             series_end = $10, updated_by = $11, updated_at = $12 \
         WHERE id = $13",
    )
    .bind(draft.title.as_str())
    .bind(draft.place.as_str())
    .bind(draft.memo.as_str())
    .bind(draft.span.start_unix())
    .bind(draft.span.end_unix())
    .bind(i64::from(draft.all_day))
    .bind(draft.certainty.as_flag())
    .bind(draft.visibility.as_flag())
    .bind(rrule)
    .bind(series_end)
    .bind(by)
    .bind(now.unix_timestamp())
    .bind(id)
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(SaveError::NoSuchEvent(id));
    }
    sqlx::query("DELETE FROM schedule_participants WHERE event_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    insert_participants(conn, id, draft, series_end).await?;
    Ok(())
}

/// Replaces event `id` with `draft` in one transaction.
pub async fn update_event(
    pool: &AnyPool,
    id: EventId,
    draft: &EventDraft,
    by: StaffId,
    now: OffsetDateTime,
) -> Result<(), SaveError> {
    let mut tx = pool.begin().await?;
    update_event_in(&mut tx, id, draft, by, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes event or series `id` with its participants, removed occurrences and changed
/// occurrences. Deleting what is gone changes nothing.
pub async fn delete_event(pool: &AnyPool, id: EventId) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    delete_event_in(&mut tx, id).await?;
    tx.commit().await
}

/// Deletes event or series `id` in the caller's transaction; see [`delete_event`].
pub async fn delete_event_in(conn: &mut AnyConnection, id: EventId) -> Result<(), sqlx::Error> {
    // Explicit rather than by cascade, so both backends delete the same rows in the same order.
    let children: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM schedule_events WHERE detached_from = $1")
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
    for event in children.into_iter().map(EventId).chain([id]) {
        for sql in [
            "DELETE FROM schedule_participants WHERE event_id = $1",
            "DELETE FROM schedule_exdates WHERE event_id = $1",
            "DELETE FROM schedule_series_facilities WHERE event_id = $1",
            "DELETE FROM schedule_events WHERE id = $1",
        ] {
            sqlx::query(sql).bind(event).execute(&mut *conn).await?;
        }
    }
    Ok(())
}

/// The event or series `id` with its participants, if it exists.
pub async fn find_event(
    conn: &mut AnyConnection,
    id: EventId,
) -> Result<Option<Event>, sqlx::Error> {
    let sql = format!("SELECT {EVENT_COLUMNS} FROM schedule_events e WHERE e.id = $1");
    let Some(row) = sqlx::query_as::<_, EventRow>(&sql)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let participants: Vec<i64> = sqlx::query_scalar(
        "SELECT staff_id FROM schedule_participants WHERE event_id = $1 ORDER BY staff_id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(row.into_event(participants.into_iter().map(StaffId).collect()))
}

/// The event or series `id`, read from the pool.
pub async fn event(pool: &AnyPool, id: EventId) -> Result<Option<Event>, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    find_event(&mut conn, id).await
}

/// How many events and series are stored.
pub async fn count_events<'e, E>(db: E) -> Result<i64, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query_scalar("SELECT COUNT(*) FROM schedule_events")
        .fetch_one(db)
        .await
}
