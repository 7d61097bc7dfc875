//! The agenda of a set of people over a window: the one query every view and the free-slot
//! search use.

use std::collections::HashMap;

use sqlx::AnyPool;
use time::OffsetDateTime;

use super::{CHUNK, EVENT_COLUMNS, EventRow};
use crate::org::model::StaffId;
use crate::org::store::placeholders;
use crate::schedule::model::{Event, EventId, MAX_EVENT_SPAN, TimeRange};

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
