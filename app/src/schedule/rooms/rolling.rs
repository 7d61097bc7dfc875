//! The rolling booking: every hour, each recurring series books the occurrences that its
//! facilities' advance-booking windows have reached since it was last booked.

use std::collections::HashMap;

use sqlx::AnyPool;
use time::OffsetDateTime;
use tracing::{info, warn};

use super::{new_reservation, occurrences_between, slot_of, window_end};
use crate::facility;
use crate::facility::model::{BookerRights, Facility, FacilityId, Reservation, RuleViolation};
use crate::facility::store::ReserveError;
use crate::org;
use crate::org::model::{Employment, StaffId};
use crate::schedule::model::{EventId, TimeRange};
use crate::schedule::store::{self, SeriesFacility};

/// An occurrence the rolling booking could not book.
#[derive(Debug, Clone)]
pub struct Missed {
    /// The series.
    pub event: EventId,
    /// The facility.
    pub facility: FacilityId,
    /// The occurrence.
    pub occurrence: TimeRange,
    /// Why.
    pub reason: MissReason,
}

/// Why the rolling booking missed an occurrence.
#[derive(Debug, Clone)]
pub enum MissReason {
    /// Another booking holds the slot.
    Taken(Box<Reservation>),
    /// The booking breaks the facility's rules (now).
    Rules(Vec<RuleViolation>),
    /// Whoever linked the facility has left: nobody's rights to book with.
    BookerRetired(StaffId),
}

/// What one run of [`roll`] did.
#[derive(Debug, Clone, Default)]
pub struct Rolled {
    /// Occurrences booked.
    pub booked: usize,
    /// Occurrences that could not be booked.
    pub missed: Vec<Missed>,
}

/// Books the occurrences of every series that the facilities' windows have reached since the
/// series was last booked, one transaction per series and facility. Safe to run on several app
/// nodes at once: each series and facility is claimed by moving its `booked_through` first.
/// A failure on one series is logged and the others go on; only failing to list them fails.
pub async fn roll(pool: &AnyPool, now: OffsetDateTime) -> Result<Rolled, sqlx::Error> {
    let links = store::rolling_series_facilities(pool, now).await?;
    let mut facilities: HashMap<FacilityId, Option<Facility>> = HashMap::new();
    let mut bookers: HashMap<StaffId, Option<BookerRights>> = HashMap::new();
    let mut rolled = Rolled::default();
    for link in links {
        let facility = match facilities.get(&link.facility) {
            Some(found) => found.clone(),
            None => {
                let found = facility::store::facility(pool, link.facility).await?;
                facilities.insert(link.facility, found.clone());
                found
            }
        };
        let Some(facility) = facility else { continue };
        let until = window_end(facility.rules.advance_days, now);
        if link.booked_through >= until.unix_timestamp() {
            continue;
        }
        let rights = match bookers.get(&link.booked_by) {
            Some(rights) => rights.clone(),
            None => {
                let rights = booker(pool, link.booked_by).await?;
                bookers.insert(link.booked_by, rights.clone());
                rights
            }
        };
        match roll_one(pool, &link, rights.as_ref(), until, now).await {
            Ok(done) => {
                rolled.booked += done.booked;
                rolled.missed.extend(done.missed);
            }
            Err(error) => {
                warn!(event.id = %link.event, facility.id = %link.facility, %error, "could not book the series' next occurrences; trying again at the next run");
            }
        }
    }
    Ok(rolled)
}

/// The rights of `staff` to book with, unless they have left.
async fn booker(pool: &AnyPool, staff: StaffId) -> Result<Option<BookerRights>, sqlx::Error> {
    match org::store::find_staff(pool, staff).await? {
        Some(person) if person.employment == Employment::Active => {
            Ok(Some(facility::store::booker_rights(pool, staff).await?))
        }
        _ => Ok(None),
    }
}

async fn roll_one(
    pool: &AnyPool,
    link: &SeriesFacility,
    rights: Option<&BookerRights>,
    until: OffsetDateTime,
    now: OffsetDateTime,
) -> Result<Rolled, sqlx::Error> {
    let mut done = Rolled::default();
    let mut tx = facility::store::begin_write(pool).await?;
    if !store::advance_series_facility(&mut tx, link, until.unix_timestamp()).await? {
        // Another node rolled it since the list was read.
        tx.rollback().await?;
        return Ok(done);
    }
    let Some(series) = store::find_event(&mut tx, link.event).await? else {
        tx.rollback().await?;
        return Ok(done);
    };
    let exdates = store::exdates_in(&mut tx, series.id).await?;
    let from = OffsetDateTime::from_unix_timestamp(link.booked_through)
        .unwrap_or(now)
        .max(now);
    for occurrence in occurrences_between(&series, &exdates, from, until) {
        let miss = |reason| Missed {
            event: series.id,
            facility: link.facility,
            occurrence,
            reason,
        };
        let Some(rights) = rights else {
            done.missed
                .push(miss(MissReason::BookerRetired(link.booked_by)));
            continue;
        };
        let Some(slot) = slot_of(&occurrence) else {
            continue;
        };
        match facility::store::reserve(
            &mut tx,
            &new_reservation(&series, link.facility, slot),
            rights,
        )
        .await
        {
            Ok(_) => done.booked += 1,
            // Already the series' own (booked before the window was recorded as moved).
            Err(ReserveError::Conflict(existing)) if existing.event_id == Some(series.id.0) => {}
            Err(ReserveError::Conflict(existing)) => {
                done.missed.push(miss(MissReason::Taken(existing)));
            }
            Err(ReserveError::Rules(broken)) => done.missed.push(miss(MissReason::Rules(broken))),
            Err(ReserveError::UnknownFacility | ReserveError::NotLive) => {}
            Err(ReserveError::Database(e)) => return Err(e),
        }
    }
    tx.commit().await?;
    for missed in &done.missed {
        // Identifiers only: the booking in the way may have a private title.
        let reason = match &missed.reason {
            MissReason::Taken(existing) => format!("taken by reservation {}", existing.id),
            MissReason::Rules(broken) => format!("rules broken: {broken:?}"),
            MissReason::BookerRetired(staff) => format!("booker {staff} has left"),
        };
        warn!(
            event.id = %missed.event,
            facility.id = %missed.facility,
            at = %missed.occurrence.start(),
            reason,
            "occurrence of series {} not booked: the facility's window reached it but it could not be reserved",
            missed.event
        );
    }
    Ok(done)
}

/// Runs [`roll`] now and then at every full hour (Japan's midnight is one, when the windows
/// move on), for as long as the app runs.
pub async fn keep_rolling(pool: AnyPool) {
    loop {
        match roll(&pool, OffsetDateTime::now_utc()).await {
            Ok(rolled) if rolled.booked > 0 || !rolled.missed.is_empty() => {
                info!(
                    booked = rolled.booked,
                    missed = rolled.missed.len(),
                    "booked {} more occurrences of recurring events' facilities",
                    rolled.booked
                );
            }
            Ok(_) => {}
            Err(error) => {
                warn!(%error, "could not list the series that hold facilities; trying again within the hour");
            }
        }
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let wait = 3600 - now.rem_euclid(3600) + 5;
        tokio::time::sleep(std::time::Duration::from_secs(wait.unsigned_abs())).await;
    }
}
