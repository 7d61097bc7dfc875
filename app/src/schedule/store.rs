//! SQL for the schedule: saving events and series (with their participants, in one
//! transaction), exceptions to series, the facilities series hold, the agenda of a set of
//! people over a window (the one query every view and the free-slot search use), delegates and
//! feed tokens. Portable SQL for SQLite and PostgreSQL through `sqlx::Any`.

use std::collections::HashMap;

use sqlx::{Any, AnyConnection, AnyPool, Executor};
use time::{Date, OffsetDateTime};

use super::form::EventDraft;
use super::model::{
    Certainty, Detached, Event, EventId, JST, MAX_EVENT_SPAN, TimeRange, Visibility, local,
};
use super::recurrence::{RecurrenceEnd, Rule};
use crate::facility::model::FacilityId;
use crate::org::model::StaffId;
use crate::org::store::placeholders;

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

/// Moves the exceptions of series `series` (removed occurrences and changed occurrences'
/// original starts) by `by`, in the caller's transaction: when a whole series moves, its
/// exceptions must still name the same occurrences.
pub async fn shift_exceptions_in(
    conn: &mut AnyConnection,
    series: EventId,
    by: time::Duration,
) -> Result<(), sqlx::Error> {
    let seconds = by.whole_seconds();
    if seconds == 0 {
        return Ok(());
    }
    sqlx::query(
        "UPDATE schedule_exdates SET original_start = original_start + $1 WHERE event_id = $2",
    )
    .bind(seconds)
    .bind(series)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE schedule_events SET original_start = original_start + $1 WHERE detached_from = $2",
    )
    .bind(seconds)
    .bind(series)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The changed occurrences of series `series`.
pub async fn detached_ids(
    conn: &mut AnyConnection,
    series: EventId,
) -> Result<Vec<EventId>, sqlx::Error> {
    let ids: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM schedule_events WHERE detached_from = $1")
            .bind(series)
            .fetch_all(&mut *conn)
            .await?;
    Ok(ids.into_iter().map(EventId).collect())
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

/// Removes the occurrence of series `series` that starts (originally) at `original_start`:
/// records the exception and deletes a changed copy of it if there is one.
pub async fn delete_occurrence(
    pool: &AnyPool,
    series: EventId,
    original_start: OffsetDateTime,
) -> Result<(), SaveError> {
    let mut tx = pool.begin().await?;
    delete_occurrence_in(&mut tx, series, original_start).await?;
    tx.commit().await?;
    Ok(())
}

/// [`delete_occurrence`] in the caller's transaction.
pub async fn delete_occurrence_in(
    conn: &mut AnyConnection,
    series: EventId,
    original_start: OffsetDateTime,
) -> Result<(), SaveError> {
    let event = series_in(conn, series).await?;
    if !event.has_occurrence_at(original_start) {
        return Err(SaveError::NoSuchOccurrence(series));
    }
    add_exdate(conn, series, original_start).await?;
    let copies: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM schedule_events WHERE detached_from = $1 AND original_start = $2",
    )
    .bind(series)
    .bind(original_start.unix_timestamp())
    .fetch_all(&mut *conn)
    .await?;
    for copy in copies {
        delete_event_in(conn, EventId(copy)).await?;
    }
    Ok(())
}

/// The changed occurrences of `series` whose original start is `from` or later, with that
/// start.
pub async fn detached_from(
    conn: &mut AnyConnection,
    series: EventId,
    from: OffsetDateTime,
) -> Result<Vec<(EventId, OffsetDateTime)>, sqlx::Error> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT id, original_start FROM schedule_events \
         WHERE detached_from = $1 AND original_start >= $2 ORDER BY original_start",
    )
    .bind(series)
    .bind(from.unix_timestamp())
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, at)| Some((EventId(id), OffsetDateTime::from_unix_timestamp(at).ok()?)))
        .collect())
}

async fn add_exdate(
    conn: &mut AnyConnection,
    series: EventId,
    original_start: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO schedule_exdates (event_id, original_start) VALUES ($1, $2) \
         ON CONFLICT DO NOTHING",
    )
    .bind(series)
    .bind(original_start.unix_timestamp())
    .execute(&mut *conn)
    .await
    .map(|_| ())
}

async fn series_in(conn: &mut AnyConnection, series: EventId) -> Result<Event, SaveError> {
    match find_event(&mut *conn, series).await? {
        Some(event) if event.rule.is_some() => Ok(event),
        _ => Err(SaveError::NoSuchEvent(series)),
    }
}

/// Changes one occurrence of series `series` (originally at `original_start`) into its own
/// event from `draft`, in the caller's transaction: the series skips it from now on, and the
/// new event remembers where it came from. Returns the new event.
pub async fn detach_occurrence_in(
    conn: &mut AnyConnection,
    series: EventId,
    original_start: OffsetDateTime,
    draft: &EventDraft,
    by: StaffId,
    now: OffsetDateTime,
) -> Result<EventId, SaveError> {
    let event = series_in(conn, series).await?;
    if !event.has_occurrence_at(original_start) {
        return Err(SaveError::NoSuchOccurrence(series));
    }
    add_exdate(conn, series, original_start).await?;
    let single = EventDraft {
        rule: None,
        ..draft.clone()
    };
    let detached = Detached {
        series,
        original_start,
    };
    create_event_in(conn, &single, by, now, Some(detached)).await
}

/// Ends series `series` before its occurrence at `from` (local date), in the caller's
/// transaction, and drops its exceptions and changed occurrences from then on. A series cut
/// at its first occurrence is deleted whole. Returns whether anything of the series is left.
pub async fn end_series_before_in(
    conn: &mut AnyConnection,
    series: EventId,
    from: OffsetDateTime,
    by: StaffId,
    now: OffsetDateTime,
) -> Result<bool, SaveError> {
    let event = series_in(conn, series).await?;
    if !event.has_occurrence_at(from) {
        return Err(SaveError::NoSuchOccurrence(series));
    }
    let from_date = from.to_offset(JST).date();
    let Some(rule) = event.rule.clone() else {
        return Err(SaveError::NoSuchEvent(series));
    };
    if from <= event.span.start() {
        delete_event_in(conn, series).await?;
        return Ok(false);
    }
    let until: Date = from_date.previous_day().unwrap_or(from_date);
    let truncated = Rule {
        end: RecurrenceEnd::Until(until),
        ..rule
    };
    let draft = EventDraft {
        title: event.title.clone(),
        place: event.place.clone(),
        memo: event.memo.clone(),
        span: event.span,
        all_day: event.all_day,
        certainty: event.certainty,
        visibility: event.visibility,
        rule: Some(truncated),
        participants: event.participants.clone(),
        facilities: Vec::new(),
    };
    update_event_in(conn, series, &draft, by, now).await?;
    let later: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM schedule_events WHERE detached_from = $1 AND original_start >= $2",
    )
    .bind(series)
    .bind(from.unix_timestamp())
    .fetch_all(&mut *conn)
    .await?;
    for copy in later {
        delete_event_in(conn, EventId(copy)).await?;
    }
    sqlx::query("DELETE FROM schedule_exdates WHERE event_id = $1 AND original_start >= $2")
        .bind(series)
        .bind(from.unix_timestamp())
        .execute(&mut *conn)
        .await?;
    Ok(true)
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

/// The removed occurrences of series `id`, by original start.
pub async fn exdates(pool: &AnyPool, id: EventId) -> Result<Vec<OffsetDateTime>, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    exdates_in(&mut conn, id).await
}

/// [`exdates`] in the caller's transaction.
pub async fn exdates_in(
    conn: &mut AnyConnection,
    id: EventId,
) -> Result<Vec<OffsetDateTime>, sqlx::Error> {
    let starts: Vec<i64> = sqlx::query_scalar(
        "SELECT original_start FROM schedule_exdates WHERE event_id = $1 ORDER BY original_start",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(starts
        .into_iter()
        .filter_map(|s| OffsetDateTime::from_unix_timestamp(s).ok())
        .collect())
}

/// A facility a recurring series holds, and how far its occurrences have been booked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeriesFacility {
    /// The series.
    pub event: EventId,
    /// The facility.
    pub facility: FacilityId,
    /// Whose booking rights the occurrences are booked with.
    pub booked_by: StaffId,
    /// Occurrences starting before this (Unix seconds) have been booked or tried.
    pub booked_through: i64,
}

const SERIES_FACILITY_COLUMNS: &str = "event_id, facility_id, booked_by, booked_through";

fn series_facility(
    (event, facility, booked_by, booked_through): (i64, i64, i64, i64),
) -> SeriesFacility {
    SeriesFacility {
        event: EventId(event),
        facility: FacilityId(facility),
        booked_by: StaffId(booked_by),
        booked_through,
    }
}

/// The facilities series `event` holds, by facility id.
pub async fn series_facilities(
    conn: &mut AnyConnection,
    event: EventId,
) -> Result<Vec<SeriesFacility>, sqlx::Error> {
    let sql = format!(
        "SELECT {SERIES_FACILITY_COLUMNS} FROM schedule_series_facilities \
         WHERE event_id = $1 ORDER BY facility_id"
    );
    let rows: Vec<(i64, i64, i64, i64)> = sqlx::query_as(&sql)
        .bind(event)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows.into_iter().map(series_facility).collect())
}

/// Every facility held by a series that has occurrences after `now`: what the rolling booking
/// looks at.
pub async fn rolling_series_facilities(
    pool: &AnyPool,
    now: OffsetDateTime,
) -> Result<Vec<SeriesFacility>, sqlx::Error> {
    let rows: Vec<(i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT l.event_id, l.facility_id, l.booked_by, l.booked_through \
         FROM schedule_series_facilities l JOIN schedule_events e ON e.id = l.event_id \
         WHERE e.series_end > $1 ORDER BY l.event_id, l.facility_id",
    )
    .bind(now.unix_timestamp())
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(series_facility).collect())
}

/// Records that series `link.event` holds `link.facility`, booked as far as
/// `link.booked_through`, replacing what was recorded for that pair.
pub async fn link_series_facility(
    conn: &mut AnyConnection,
    link: &SeriesFacility,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO schedule_series_facilities (event_id, facility_id, booked_by, booked_through) \
         VALUES ($1, $2, $3, $4) \
         ON CONFLICT (event_id, facility_id) \
         DO UPDATE SET booked_by = excluded.booked_by, booked_through = excluded.booked_through",
    )
    .bind(link.event)
    .bind(link.facility)
    .bind(link.booked_by)
    .bind(link.booked_through)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Series `event` no longer holds `facility`.
pub async fn unlink_series_facility(
    conn: &mut AnyConnection,
    event: EventId,
    facility: FacilityId,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM schedule_series_facilities WHERE event_id = $1 AND facility_id = $2")
        .bind(event)
        .bind(facility)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Moves the booking of `link` on to `to`, if nobody moved it since `link` was read; returns
/// whether this caller did. The first of several app nodes to roll a series claims it so.
pub async fn advance_series_facility(
    conn: &mut AnyConnection,
    link: &SeriesFacility,
    to: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE schedule_series_facilities SET booked_through = $1 \
         WHERE event_id = $2 AND facility_id = $3 AND booked_through = $4",
    )
    .bind(to)
    .bind(link.event)
    .bind(link.facility)
    .bind(link.booked_through)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// What a set of people have on over a window: every event or series with an occurrence
/// that may fall in it, who of the people takes part in which, and the series' exceptions.
#[derive(Debug, Clone, Default)]
pub struct Agenda {
    /// The events, with all their participants.
    pub events: HashMap<EventId, Event>,
    /// Removed occurrences of the series among `events`.
    pub exdates: HashMap<EventId, Vec<OffsetDateTime>>,
    /// Which of the asked-for people take part in which event.
    pub attendance: Vec<(StaffId, EventId)>,
}

/// The agenda of `people` over `window`: one index range scan per person for single events
/// (starting at most [`MAX_EVENT_SPAN`] before the window) and one for series, then the events
/// themselves, their participants and exceptions by id.
pub async fn agenda(
    pool: &AnyPool,
    people: &[StaffId],
    window: &TimeRange,
) -> Result<Agenda, sqlx::Error> {
    let mut attendance: Vec<(StaffId, EventId)> = Vec::new();
    let earliest = window.start_unix() - MAX_EVENT_SPAN.whole_seconds();
    for chunk in people.chunks(CHUNK) {
        let list = placeholders(4, chunk.len());
        let sql = format!(
            "SELECT staff_id, event_id FROM schedule_participants \
             WHERE staff_id IN ({list}) AND recurring = 0 \
               AND starts_at >= $1 AND starts_at < $2 AND series_end > $3 \
             UNION ALL \
             SELECT staff_id, event_id FROM schedule_participants \
             WHERE staff_id IN ({list}) AND recurring = 1 \
               AND starts_at < $2 AND series_end > $3"
        );
        let mut query = sqlx::query_as::<_, (i64, i64)>(&sql)
            .bind(earliest)
            .bind(window.end_unix())
            .bind(window.start_unix());
        for id in chunk {
            query = query.bind(*id);
        }
        attendance.extend(
            query
                .fetch_all(pool)
                .await?
                .into_iter()
                .map(|(staff, event)| (StaffId(staff), EventId(event))),
        );
    }
    let mut ids: Vec<EventId> = attendance.iter().map(|(_, e)| *e).collect();
    ids.sort();
    ids.dedup();
    let mut rows: Vec<EventRow> = Vec::with_capacity(ids.len());
    let mut participants: HashMap<EventId, Vec<StaffId>> = HashMap::with_capacity(ids.len());
    let mut exdates: HashMap<EventId, Vec<OffsetDateTime>> = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        let list = placeholders(1, chunk.len());
        let sql = format!("SELECT {EVENT_COLUMNS} FROM schedule_events e WHERE e.id IN ({list})");
        let mut query = sqlx::query_as::<_, EventRow>(&sql);
        for id in chunk {
            query = query.bind(*id);
        }
        rows.extend(query.fetch_all(pool).await?);

        let sql = format!(
            "SELECT event_id, staff_id FROM schedule_participants WHERE event_id IN ({list})"
        );
        let mut query = sqlx::query_as::<_, (i64, i64)>(&sql);
        for id in chunk {
            query = query.bind(*id);
        }
        for (event, staff) in query.fetch_all(pool).await? {
            participants
                .entry(EventId(event))
                .or_default()
                .push(StaffId(staff));
        }

        let series: Vec<EventId> = rows
            .iter()
            .filter(|r| r.rrule.is_some() && chunk.contains(&EventId(r.id)))
            .map(|r| EventId(r.id))
            .collect();
        if !series.is_empty() {
            let sql = format!(
                "SELECT event_id, original_start FROM schedule_exdates WHERE event_id IN ({})",
                placeholders(1, series.len())
            );
            let mut query = sqlx::query_as::<_, (i64, i64)>(&sql);
            for id in &series {
                query = query.bind(*id);
            }
            for (event, start) in query.fetch_all(pool).await? {
                if let Ok(at) = OffsetDateTime::from_unix_timestamp(start) {
                    exdates.entry(EventId(event)).or_default().push(at);
                }
            }
        }
    }
    let mut events = HashMap::with_capacity(rows.len());
    for row in rows {
        let id = EventId(row.id);
        let mut people = participants.remove(&id).unwrap_or_default();
        people.sort();
        match row.into_event(people) {
            Some(event) => {
                events.insert(id, event);
            }
            None => {
                tracing::warn!(event.id = %id, "stored event has times out of range; not shown")
            }
        }
    }
    Ok(Agenda {
        events,
        exdates,
        attendance,
    })
}

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

/// How many events and series are stored.
pub async fn count_events<'e, E>(db: E) -> Result<i64, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query_scalar("SELECT COUNT(*) FROM schedule_events")
        .fetch_one(db)
        .await
}
