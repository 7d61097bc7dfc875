//! Reading reservations: one by id, a day grid's worth, a schedule event's, a booker's
//! upcoming ones, and the times facilities are taken for free-slot searches.

use std::ops::Range;

use sqlx::{Any, AnyPool, Executor};
use time::OffsetDateTime;

use super::{LIVE, RESERVATION_COLUMNS, RESERVATION_FROM, ReservationRow};
use crate::facility::model::{Busy, FacilityId, MAX_SPAN, Reservation, ReservationId, Slot};
use crate::org::model::StaffId;
use crate::org::store as org_store;

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
