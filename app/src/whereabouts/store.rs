//! SQL for the status board: statuses set by hand, and each person's current event read
//! through the schedule's agenda query. Portable SQL for SQLite and PostgreSQL.

use std::collections::HashMap;

use sqlx::AnyPool;
use time::{Duration, OffsetDateTime};

use super::model::{CurrentEvent, HandStatus, Presence};
use crate::org::model::StaffId;
use crate::org::store::placeholders;
use crate::schedule;
use crate::schedule::model::{TimeRange, Visibility};

/// Ids per `IN (...)` list, well under both backends' bind limits.
const CHUNK: usize = 500;

#[derive(sqlx::FromRow)]
struct HandRow {
    staff_id: i64,
    status: String,
    comment: String,
    returns_at: Option<i64>,
    set_at: i64,
    set_by: i64,
}

/// The statuses set by hand of `people` (any day; [`super::model::shown`] decides whether
/// they still hold).
pub async fn hand_statuses(
    pool: &AnyPool,
    people: &[StaffId],
) -> Result<HashMap<StaffId, HandStatus>, sqlx::Error> {
    let mut out = HashMap::with_capacity(people.len());
    for chunk in people.chunks(CHUNK) {
        let sql = format!(
            "SELECT staff_id, status, comment, returns_at, set_at, set_by FROM whereabouts \
             WHERE staff_id IN ({})",
            placeholders(1, chunk.len())
        );
        let mut query = sqlx::query_as::<_, HandRow>(&sql);
        for id in chunk {
            query = query.bind(*id);
        }
        for row in query.fetch_all(pool).await? {
            // A row that no longer reads (an unknown status, a time out of range) counts as
            // no status, so the board falls back to the schedule.
            let (Some(presence), Ok(set_at)) = (
                Presence::parse(&row.status),
                OffsetDateTime::from_unix_timestamp(row.set_at),
            ) else {
                continue;
            };
            out.insert(
                StaffId(row.staff_id),
                HandStatus {
                    presence,
                    comment: row.comment,
                    returns_at: row
                        .returns_at
                        .and_then(|at| OffsetDateTime::from_unix_timestamp(at).ok()),
                    set_at,
                    set_by: StaffId(row.set_by),
                },
            );
        }
    }
    Ok(out)
}

/// Sets the status of `staff` by hand, replacing any earlier one.
pub async fn set_status(
    pool: &AnyPool,
    staff: StaffId,
    status: &HandStatus,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO whereabouts (staff_id, status, comment, returns_at, set_at, set_by) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (staff_id) DO UPDATE SET status = excluded.status, \
             comment = excluded.comment, returns_at = excluded.returns_at, \
             set_at = excluded.set_at, set_by = excluded.set_by",
    )
    .bind(staff)
    .bind(status.presence.as_str())
    .bind(status.comment.as_str())
    .bind(status.returns_at.map(OffsetDateTime::unix_timestamp))
    .bind(status.set_at.unix_timestamp())
    .bind(status.set_by)
    .execute(pool)
    .await
    .map(|_| ())
}

/// Removes the status set by hand for `staff`, so the board follows their schedule again.
pub async fn clear_status(pool: &AnyPool, staff: StaffId) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM whereabouts WHERE staff_id = $1")
        .bind(staff)
        .execute(pool)
        .await
        .map(|_| ())
}

/// The schedule event each of `people` is in at `now`, through the schedule's agenda: the one
/// that began last when several overlap. Private events come without their title.
pub async fn current_events(
    pool: &AnyPool,
    people: &[StaffId],
    now: OffsetDateTime,
) -> Result<HashMap<StaffId, CurrentEvent>, sqlx::Error> {
    let mut out: HashMap<StaffId, CurrentEvent> = HashMap::new();
    let Some(window) = TimeRange::new(now, now + Duration::SECOND) else {
        return Ok(out);
    };
    let agenda = schedule::store::agenda(pool, people, &window).await?;
    for (person, event_id) in &agenda.attendance {
        let Some(event) = agenda.events.get(event_id) else {
            continue;
        };
        let exdates = agenda
            .exdates
            .get(event_id)
            .map(Vec::as_slice)
            .unwrap_or_default();
        for span in event.occurrences(&window, exdates) {
            let current = CurrentEvent {
                title: (event.visibility == Visibility::Public).then(|| event.title.clone()),
                start: span.start(),
                end: span.end(),
                all_day: event.all_day,
            };
            match out.get(person) {
                Some(known) if known.start >= current.start => {}
                _ => {
                    out.insert(*person, current);
                }
            }
        }
    }
    Ok(out)
}

/// Sets a few statuses in the demo's 総務課 for today (unless anyone there has one): the
/// demo shows a board with people out, working from home and on leave.
pub async fn load_demo(pool: &AnyPool, now: OffsetDateTime) -> Result<usize, sqlx::Error> {
    let Some(yamada) = crate::org::store::find_staff_by_login(pool, "yamada").await? else {
        return Ok(0);
    };
    let members = crate::org::store::department_members(pool, yamada.department_id).await?;
    let ids: Vec<StaffId> = members.iter().map(|s| s.id).collect();
    if !hand_statuses(pool, &ids).await?.is_empty() {
        return Ok(0);
    }
    let plan = [
        (
            Presence::Out,
            "北区役所へ（打合せ）",
            Some(Duration::hours(2)),
        ),
        (Presence::Telework, "在宅勤務", None),
        (Presence::Leave, "年休", None),
        (Presence::Present, "", None),
        (Presence::Meeting, "部長レク", Some(Duration::minutes(45))),
    ];
    let mut set = 0;
    for (person, (presence, comment, back)) in
        members.iter().filter(|s| s.id != yamada.id).zip(plan)
    {
        let status = HandStatus {
            presence,
            comment: comment.to_owned(),
            returns_at: back.map(|after| now + after),
            set_at: now,
            set_by: person.id,
        };
        set_status(pool, person.id, &status).await?;
        set += 1;
    }
    Ok(set)
}
