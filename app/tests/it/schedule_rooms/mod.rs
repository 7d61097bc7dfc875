//! Rooms on recurring events, one suite run on SQLite and on the harness's PostgreSQL: a series
//! books every occurrence within the facility's advance-booking window, refuses the whole
//! series over a clashing date, rolls the window forward (also from two nodes at once), and its
//! exceptions take their reservations with them. This file holds what the suites share (the
//! macro that runs each on both backends, the demo city with one room, Mondays and weekly
//! series, the reservations an event holds); the suites are grouped by subject in the modules
//! below.
//!
//! The facility module checks its rules against the real clock, so the dates here are counted
//! from today.

use app::facility::model::{FacilityId, FacilityInput, JST, ReservationId, Rules, Status};
use app::facility::store as facility;
use app::org::model::StaffId;
use app::org::store as org;
use app::schedule::form::{EventDraft, EventForm};
use app::schedule::model::{Event, EventId, TimeRange};
use app::schedule::store;
use sqlx::AnyPool;
use time::{Date, Duration, OffsetDateTime, Time, Weekday};

macro_rules! on_sqlite_and_postgres {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let db = crate::support::sqlite_db().await;
                    super::$test(&db.pool).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let db = crate::support::postgres_db(
                        concat!("sched_rooms_", stringify!($test)),
                    )
                    .await;
                    super::$test(&db.pool).await;
                }
            )*
        }
    };
}

mod changes;
mod new_series;
mod rolling;

struct Fixture {
    yamada: StaffId,
    sato: StaffId,
    room: FacilityId,
    input: FacilityInput,
}

async fn fixture(pool: &AnyPool, advance_days: u16) -> Fixture {
    org::insert_city(pool, &app::org::seed::demo_city())
        .await
        .unwrap();
    let yamada = org::find_staff_by_login(pool, "yamada")
        .await
        .unwrap()
        .unwrap();
    let sato = org::find_staff_by_login(pool, "sato")
        .await
        .unwrap()
        .unwrap();
    let category = facility::insert_category(pool, "本庁舎 会議室")
        .await
        .unwrap();
    let input = FacilityInput {
        category_id: category,
        name: "第1会議室".into(),
        place: "本庁舎 3階".into(),
        capacity: Some(12),
        department_id: yamada.department_id,
        rules: Rules {
            advance_days,
            ..Rules::DEFAULT
        },
        note: String::new(),
        in_service: true,
    };
    let room = facility::insert_facility(pool, &input).await.unwrap();
    Fixture {
        yamada: yamada.id,
        sato: sato.id,
        room,
        input,
    }
}

fn today() -> Date {
    OffsetDateTime::now_utc().to_offset(JST).date()
}

/// The first Monday at least two days from today.
fn first_monday() -> Date {
    let mut day = today() + Duration::days(2);
    while day.weekday() != Weekday::Monday {
        day = day.next_day().unwrap();
    }
    day
}

fn at(day: Date, hour: u8) -> OffsetDateTime {
    day.with_time(Time::from_hms(hour, 0, 0).unwrap())
        .assume_offset(JST)
}

fn text(day: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        day.year(),
        u8::from(day.month()),
        day.day()
    )
}

/// A weekly 課内会議 on Mondays from 10:00 to 11:00 from `first`, for `people`, in `room`;
/// `count` occurrences, or without end.
fn weekly(first: Date, count: Option<u32>, people: &[StaffId], room: FacilityId) -> EventDraft {
    let mut form = EventForm::blank(
        first,
        Time::from_hms(10, 0, 0).unwrap(),
        people.iter().map(|p| p.0.to_string()).collect(),
    );
    form.title = "課内会議".into();
    form.end_date = text(first);
    form.end_time = "11:00".into();
    form.repeat = "weekly".into();
    if let Some(count) = count {
        form.ends = "count".into();
        form.count = count.to_string();
    }
    form.facilities = vec![room.0.to_string()];
    form.parse().unwrap()
}

/// The Mondays from `first` up to and including `last`.
fn mondays(first: Date, last: Date) -> Vec<Date> {
    let mut out = Vec::new();
    let mut day = first;
    while day <= last {
        out.push(day);
        day += Duration::weeks(1);
    }
    out
}

/// The live reservations of `event`, by start.
async fn held(pool: &AnyPool, event: EventId) -> Vec<(OffsetDateTime, ReservationId, Status)> {
    let mut out: Vec<_> = facility::reservations_for_event(pool, event.0)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.slot.start(), r.id, r.status))
        .collect();
    out.sort_by_key(|(start, id, _)| (*start, *id));
    out
}

fn starts(held: &[(OffsetDateTime, ReservationId, Status)]) -> Vec<OffsetDateTime> {
    held.iter().map(|(start, _, _)| *start).collect()
}

async fn event(pool: &AnyPool, id: EventId) -> Event {
    store::event(pool, id).await.unwrap().unwrap()
}

fn occurrence(day: Date, from: u8, to: u8) -> TimeRange {
    TimeRange::new(at(day, from), at(day, to)).unwrap()
}
