//! Loading generated schedules in bulk: multi-row inserts with ids assigned here, a city's
//! millions of events team by team, and the demo's living week. For benchmarks and the demo,
//! never for user input (participants are not checked one by one).

use sqlx::AnyPool;
use time::{Date, OffsetDateTime};

use crate::org::model::StaffId;
use crate::org::store::placeholders;
use crate::schedule::form::EventDraft;
use crate::schedule::model::{Certainty, local, series_end_unix};
use crate::schedule::store::count_events;

fn draft_series_end(draft: &EventDraft) -> i64 {
    series_end_unix(&draft.span, draft.rule.as_ref())
}

/// One generated event for bulk loading (benchmarks and the demo).
#[derive(Debug, Clone)]
pub struct BulkEvent {
    /// The event.
    pub draft: EventDraft,
    /// Its creator.
    pub created_by: StaffId,
}

/// Inserts many events at once in one transaction, with multi-row statements and ids
/// assigned here (so participants need no per-row round trip); for loading generated data,
/// not for user input (participants are not checked one by one).
pub async fn insert_bulk(
    pool: &AnyPool,
    events: &[BulkEvent],
    now: OffsetDateTime,
) -> Result<usize, sqlx::Error> {
    const ROWS: usize = 400;
    let mut tx = pool.begin().await?;
    let mut next_id: i64 =
        sqlx::query_scalar::<_, i64>("SELECT COALESCE(MAX(id), 0) FROM schedule_events")
            .fetch_one(&mut *tx)
            .await?
            + 1;
    for chunk in events.chunks(ROWS) {
        let mut sql = String::from(
            "INSERT INTO schedule_events (id, title, place, memo, starts_at, ends_at, all_day, \
             tentative, private, rrule, series_end, created_by, created_at, updated_by, \
             updated_at) VALUES ",
        );
        for row in 0..chunk.len() {
            if row > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            sql.push_str(&placeholders(row * 15 + 1, 15));
            sql.push(')');
        }
        let mut query = sqlx::query(&sql);
        let mut participants: Vec<(i64, StaffId, i64, i64, i64)> = Vec::new();
        for event in chunk {
            let d = &event.draft;
            let id = next_id;
            next_id += 1;
            let end = draft_series_end(d);
            let recurring = i64::from(d.rule.is_some());
            participants.extend(
                d.participants
                    .iter()
                    .map(|p| (id, *p, recurring, d.span.start_unix(), end)),
            );
            query = query
                .bind(id)
                .bind(d.title.as_str())
                .bind(d.place.as_str())
                .bind(d.memo.as_str())
                .bind(d.span.start_unix())
                .bind(d.span.end_unix())
                .bind(i64::from(d.all_day))
                .bind(d.certainty.as_flag())
                .bind(d.visibility.as_flag())
                .bind(
                    d.rule
                        .as_ref()
                        .map(|r| r.to_rrule(local(d.span.start()).date())),
                )
                .bind(end)
                .bind(event.created_by)
                .bind(now.unix_timestamp())
                .bind(event.created_by)
                .bind(now.unix_timestamp());
        }
        query.execute(&mut *tx).await?;
        for part in participants.chunks(ROWS) {
            let mut sql = String::from(
                "INSERT INTO schedule_participants (event_id, staff_id, recurring, starts_at, series_end) VALUES ",
            );
            for row in 0..part.len() {
                if row > 0 {
                    sql.push_str(", ");
                }
                sql.push('(');
                sql.push_str(&placeholders(row * 5 + 1, 5));
                sql.push(')');
            }
            let mut query = sqlx::query(&sql);
            for (event, staff, recurring, start, end) in part {
                query = query
                    .bind(*event)
                    .bind(*staff)
                    .bind(*recurring)
                    .bind(*start)
                    .bind(*end);
            }
            query.execute(&mut *tx).await?;
        }
    }
    // SQLite's AUTOINCREMENT follows explicit ids by itself; PostgreSQL's identity sequence
    // must be moved past them, or the next event created by a user would collide.
    if tx.backend_name().eq_ignore_ascii_case("postgresql") {
        sqlx::query(
            "SELECT setval(pg_get_serial_sequence('schedule_events', 'id'), \
                           (SELECT MAX(id) FROM schedule_events))",
        )
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(events.len())
}

/// Generates and inserts a city's schedule for every team from `first` to `last`, about
/// `per_person` single events per member, in batches of teams (one transaction each) so that
/// memory stays flat at millions of events. Returns how many events were inserted.
pub async fn load_city_events(
    pool: &AnyPool,
    first: Date,
    last: Date,
    per_person: usize,
    seed: u64,
    now: OffsetDateTime,
) -> Result<usize, sqlx::Error> {
    use super::{CityEvents, Team};
    let teams = crate::org::store::teams(pool)
        .await?
        .into_iter()
        .map(|(department, members)| Team {
            department,
            members,
        })
        .collect();
    let mut generator = CityEvents::new(teams, first, last, per_person, seed);
    let mut batch = Vec::new();
    let mut total = 0;
    while let Some(events) = generator.next_team() {
        batch.extend(events);
        if batch.len() >= 20_000 {
            total += insert_bulk(pool, &batch, now).await?;
            batch.clear();
        }
    }
    total += insert_bulk(pool, &batch, now).await?;
    Ok(total)
}

/// Seeds a living schedule for the demo city around `today`: every member of the demo logins'
/// 課 gets a few events on the working days from two weeks back to four weeks ahead and a
/// weekly section meeting, and the demo logins get events that show the features (a meeting
/// across departments, a private and a tentative event). Does nothing if events exist.
pub async fn load_demo_events(
    pool: &AnyPool,
    today: Date,
    now: OffsetDateTime,
) -> Result<usize, sqlx::Error> {
    use crate::schedule::model::{TimeRange, Visibility, instant};
    use time::macros::time;
    if count_events(pool).await? > 0 {
        return Ok(0);
    }
    let mut people = Vec::new();
    for login in ["yamada", "sato", "admin"] {
        let staff = crate::org::store::find_staff_by_login(pool, login).await?;
        people.push(staff.map(|s| (s.id, s.department_id)));
    }
    let mut events = Vec::new();
    let mut seen_departments = Vec::new();
    for (index, (_, department)) in people.iter().flatten().enumerate() {
        if seen_departments.contains(department) {
            continue;
        }
        seen_departments.push(*department);
        let (members, _) = crate::org::store::members_under(pool, *department, 60).await?;
        let team: Vec<StaffId> = members.iter().map(|m| m.id).collect();
        events.extend(super::demo_week(today, &team, 0xD3_u64 + index as u64));
    }
    let one = |title: &str,
               place: &str,
               day: Date,
               from: time::Time,
               to: time::Time,
               who: Vec<StaffId>| {
        let span = TimeRange::new(instant(day, from), instant(day, to))?;
        Some(EventDraft {
            title: title.to_owned(),
            place: place.to_owned(),
            memo: String::new(),
            span,
            all_day: false,
            certainty: Certainty::Confirmed,
            visibility: Visibility::Public,
            rule: None,
            participants: who,
            facilities: Vec::new(),
        })
    };
    if let [Some((yamada, _)), Some((sato, _)), Some((admin, _))] = people.as_slice() {
        let tomorrow = today + time::Duration::days(1);
        let mut drafts = vec![
            one(
                "予算ヒアリング（総務課）",
                "財政局会議室",
                tomorrow,
                time!(10:00),
                time!(11:00),
                vec![*yamada, *sato],
            ),
            one(
                "情報化推進会議",
                "第3会議室",
                today,
                time!(15:00),
                time!(16:00),
                vec![*yamada, *admin],
            ),
            one(
                "人事面談",
                "応接室",
                today,
                time!(13:30),
                time!(14:00),
                vec![*sato],
            )
            .map(|d| EventDraft {
                visibility: Visibility::Private,
                ..d
            }),
            one(
                "庁舎見学対応（調整中）",
                "",
                tomorrow,
                time!(14:00),
                time!(15:00),
                vec![*yamada],
            )
            .map(|d| EventDraft {
                certainty: Certainty::Tentative,
                ..d
            }),
        ];
        events.extend(drafts.drain(..).flatten().map(|draft| BulkEvent {
            created_by: draft.participants[0],
            draft,
        }));
    }
    insert_bulk(pool, &events, now).await
}
