//! Exceptions to series: removed occurrences (exdates), occurrences changed into events of
//! their own, exceptions moved with their series, and series cut short.

use sqlx::{AnyConnection, AnyPool};
use time::{Date, OffsetDateTime};

use super::{SaveError, create_event_in, delete_event_in, find_event, update_event_in};
use crate::org::model::StaffId;
use crate::schedule::form::EventDraft;
use crate::schedule::model::{Detached, Event, EventId, JST};
use crate::schedule::recurrence::{RecurrenceEnd, Rule};

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
