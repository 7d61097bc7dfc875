//! The facilities recurring series hold, and how far each series' occurrences have been
//! booked; what the rolling booking reads and claims.

use sqlx::{AnyConnection, AnyPool};
use time::OffsetDateTime;

use crate::facility::model::FacilityId;
use crate::org::model::StaffId;
use crate::schedule::model::EventId;

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
