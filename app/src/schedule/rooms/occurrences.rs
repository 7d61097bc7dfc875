//! The facilities of one occurrence and where each stands (booked, not yet in the facility's
//! window, or not booked), as the event page lists them.

use sqlx::AnyPool;
use time::{Date, Duration, OffsetDateTime};

use super::window_end;
use crate::facility;
use crate::facility::model::Status;
use crate::schedule::model::{Event, JST, TimeRange};
use crate::schedule::store;

/// Where one facility of an occurrence stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoomState {
    /// Reserved (confirmed or 仮予約).
    Booked(Status),
    /// Beyond the facility's window yet: booked from this day (Japan time).
    Later(Date),
    /// Within the window but not reserved: taken by someone else when the window reached it,
    /// or cancelled or rejected since.
    NotBooked,
}

/// One facility of an occurrence, as the event page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OccurrenceRoom {
    /// The facility's name.
    pub name: String,
    /// Where it stands.
    pub state: RoomState,
}

/// The facilities of `event`'s occurrence `occurrence` and where each stands at `now`.
pub async fn occurrence_rooms(
    pool: &AnyPool,
    event: &Event,
    occurrence: &TimeRange,
    now: OffsetDateTime,
) -> Result<Vec<OccurrenceRoom>, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let reserved = facility::store::reservations_for_event(&mut *conn, event.id.0).await?;
    if event.rule.is_none() {
        return Ok(reserved
            .into_iter()
            .map(|r| OccurrenceRoom {
                name: r.facility_name,
                state: RoomState::Booked(r.status),
            })
            .collect());
    }
    let mut rooms = Vec::new();
    for link in store::series_facilities(&mut conn, event.id).await? {
        let Some(facility) = facility::store::facility(&mut *conn, link.facility).await? else {
            continue;
        };
        let booked = reserved
            .iter()
            .find(|r| r.facility_id == link.facility && r.slot.start() == occurrence.start());
        let state = match booked {
            Some(r) => RoomState::Booked(r.status),
            None if occurrence.start() >= window_end(facility.rules.advance_days, now) => {
                let day = occurrence.start().to_offset(JST).date();
                RoomState::Later(
                    day.checked_sub(Duration::days(i64::from(facility.rules.advance_days)))
                        .unwrap_or(day),
                )
            }
            // Occurrences over before the facility was linked were never booked.
            None if occurrence.end() <= now => continue,
            None => RoomState::NotBooked,
        };
        rooms.push(OccurrenceRoom {
            name: facility.name,
            state,
        });
    }
    Ok(rooms)
}
