//! Saving and deleting events with their rooms, each in one transaction opened with
//! [`facility::store::begin_write`]: the event's rows (through [`store`]) and its facility
//! reservations (through [`rooms`]) are written together or not at all. A change to a series
//! applies to one occurrence, to it and the following ones, or to all, as [`SeriesScope`]
//! says. The event pages call these, and so do the store tests on both backends.

use sqlx::{Any, AnyConnection, AnyPool, Transaction};
use time::OffsetDateTime;

use super::form::EventDraft;
use super::model::{Event, EventId, SeriesScope, TimeRange};
use super::rooms;
use super::store::{self, SaveError};
use crate::facility;
use crate::facility::model::{BookerRights, FacilityId};
use crate::org::model::StaffId;

/// Commits `tx` when `result` is a success, and rolls it back otherwise, now rather than when
/// the pool next hands the connection out (SQLite would hold its write lock until then).
async fn finish<T>(
    tx: Transaction<'static, Any>,
    result: Result<T, SaveError>,
) -> Result<T, SaveError> {
    match result {
        Ok(value) => {
            tx.commit().await?;
            Ok(value)
        }
        Err(error) => {
            if let Err(rollback) = tx.rollback().await {
                tracing::warn!(error = %rollback, "rollback after a refused event failed");
            }
            Err(error)
        }
    }
}

fn facilities(draft: &EventDraft) -> Vec<FacilityId> {
    draft.facilities.iter().copied().map(FacilityId).collect()
}

/// The event `id` as just written in `conn`.
async fn saved(conn: &mut AnyConnection, id: EventId) -> Result<Event, SaveError> {
    store::find_event(conn, id)
        .await?
        .ok_or(SaveError::NoSuchEvent(id))
}

/// Creates the event or series `draft`, by whoever `rights` describes, with its facilities
/// booked.
pub async fn create(
    pool: &AnyPool,
    draft: &EventDraft,
    rights: &BookerRights,
    now: OffsetDateTime,
) -> Result<EventId, SaveError> {
    let mut tx = facility::store::begin_write(pool).await?;
    let result = async {
        let id = store::create_event_in(&mut tx, draft, rights.staff, now, None).await?;
        let event = saved(&mut tx, id).await?;
        rooms::book(&mut tx, &event, &facilities(draft), rights, now).await?;
        Ok(id)
    }
    .await;
    finish(tx, result).await
}

/// Applies `draft` to `event` as `scope` says (for a series; a single event changes whole),
/// `occurrence` being the occurrence the form showed, with the facilities kept in step.
/// Returns the event that now holds the change: the event itself, the changed occurrence's own
/// event, or the new series that takes over from `occurrence`.
pub async fn change(
    pool: &AnyPool,
    event: &Event,
    occurrence: &TimeRange,
    scope: SeriesScope,
    draft: &EventDraft,
    rights: &BookerRights,
    now: OffsetDateTime,
) -> Result<EventId, SaveError> {
    let by = rights.staff;
    let wanted = facilities(draft);
    let mut tx = facility::store::begin_write(pool).await?;
    let result = async {
        let target = match (event.rule.is_some(), scope) {
            (false, _) => {
                store::update_event_in(&mut tx, event.id, draft, by, now).await?;
                let after = saved(&mut tx, event.id).await?;
                rooms::change(&mut tx, event, &after, &wanted, rights, now).await?;
                event.id
            }
            (true, SeriesScope::This) => {
                let start = occurrence.start();
                let id =
                    store::detach_occurrence_in(&mut tx, event.id, start, draft, by, now).await?;
                let copy = saved(&mut tx, id).await?;
                rooms::detach(&mut tx, event.id, start, &copy, &wanted, rights).await?;
                id
            }
            (true, SeriesScope::Following) => {
                rooms::cancel_following(&mut tx, event.id, occurrence.start()).await?;
                store::end_series_before_in(&mut tx, event.id, occurrence.start(), by, now).await?;
                let id = store::create_event_in(&mut tx, draft, by, now, None).await?;
                let series = saved(&mut tx, id).await?;
                rooms::book(&mut tx, &series, &wanted, rights, now).await?;
                id
            }
            (true, SeriesScope::All) => {
                // The form showed one occurrence: move the whole series by as much as that
                // occurrence moved, keeping its first date.
                let moved = draft.span.start() - occurrence.start();
                let first = event.span.start() + moved;
                let whole = EventDraft {
                    span: TimeRange::new(first, first + draft.span.duration())
                        .unwrap_or(draft.span),
                    ..draft.clone()
                };
                store::update_event_in(&mut tx, event.id, &whole, by, now).await?;
                store::shift_exceptions_in(&mut tx, event.id, moved).await?;
                let after = saved(&mut tx, event.id).await?;
                rooms::change(&mut tx, event, &after, &wanted, rights, now).await?;
                event.id
            }
        };
        Ok(target)
    }
    .await;
    finish(tx, result).await
}

/// Deletes `event` as `scope` says (for a series: the occurrence `occurrence`, it and the
/// following ones, or all), cancelling the reservations that go with it.
pub async fn delete(
    pool: &AnyPool,
    event: &Event,
    occurrence: &TimeRange,
    scope: SeriesScope,
    by: StaffId,
    now: OffsetDateTime,
) -> Result<(), SaveError> {
    let mut tx = facility::store::begin_write(pool).await?;
    let result = async {
        match (event.rule.is_some(), scope) {
            (true, SeriesScope::This) => {
                rooms::cancel_occurrence(&mut tx, event.id, occurrence.start()).await?;
                store::delete_occurrence_in(&mut tx, event.id, occurrence.start()).await?;
            }
            (true, SeriesScope::Following) => {
                rooms::cancel_following(&mut tx, event.id, occurrence.start()).await?;
                store::end_series_before_in(&mut tx, event.id, occurrence.start(), by, now).await?;
            }
            _ => {
                rooms::cancel_all(&mut tx, event, now).await?;
                store::delete_event_in(&mut tx, event.id).await?;
            }
        }
        Ok(())
    }
    .await;
    finish(tx, result).await
}
