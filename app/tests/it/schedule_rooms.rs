//! Rooms on recurring events, one suite run on SQLite and on the harness's PostgreSQL: a series
//! books every occurrence within the facility's advance-booking window, refuses the whole
//! series over a clashing date, rolls the window forward (also from two nodes at once), and its
//! exceptions take their reservations with them.
//!
//! The facility module checks its rules against the real clock, so the dates here are counted
//! from today.

use app::facility::model::{
    Bookers, FacilityId, FacilityInput, JST, NewReservation, ReservationId, RuleViolation, Rules,
    Slot, Status, Visibility,
};
use app::facility::store::{self as facility, booker_rights};
use app::org::model::StaffId;
use app::org::store as org;
use app::schedule::form::{EventDraft, EventForm};
use app::schedule::model::{Event, EventId, SeriesScope, TimeRange};
use app::schedule::rooms::{self, MissReason, RoomState};
use app::schedule::saving;
use app::schedule::store::{self, SaveError};
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

on_sqlite_and_postgres!(
    a_series_books_each_occurrence_in_the_window,
    a_clashing_date_refuses_the_whole_series,
    the_window_rolls_on_and_skips_taken_dates,
    two_nodes_rolling_at_once_book_each_date_once,
    exceptions_take_their_bookings_with_them,
    a_room_the_booker_may_not_book_is_refused_early,
    ending_a_series_early_keeps_earlier_bookings,
);

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

async fn a_series_books_each_occurrence_in_the_window(pool: &AnyPool) {
    let f = fixture(pool, 27).await;
    let rights = booker_rights(pool, f.yamada).await.unwrap();
    let first = first_monday();
    let now = OffsetDateTime::now_utc();
    let id = saving::create(
        pool,
        &weekly(first, None, &[f.yamada], f.room),
        &rights,
        now,
    )
    .await
    .unwrap();

    let booked = held(pool, id).await;
    let expected: Vec<OffsetDateTime> = mondays(first, today() + Duration::days(27))
        .into_iter()
        .map(|d| at(d, 10))
        .collect();
    assert!(expected.len() >= 3, "{expected:?}");
    assert_eq!(starts(&booked), expected);
    assert!(booked.iter().all(|(_, _, s)| *s == Status::Confirmed));
    let first_booking = facility::reservation(pool, booked[0].1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (first_booking.title.as_str(), first_booking.booker),
        ("課内会議", f.yamada)
    );

    // The event page's view of one occurrence in the window and one beyond it.
    let series = event(pool, id).await;
    let inside = occurrence(first, 10, 11);
    let rooms_in = rooms::occurrence_rooms(pool, &series, &inside, now)
        .await
        .unwrap();
    assert_eq!(rooms_in.len(), 1);
    assert_eq!(rooms_in[0].state, RoomState::Booked(Status::Confirmed));
    let beyond_day = mondays(first, first + Duration::weeks(20))
        .into_iter()
        .find(|d| *d > today() + Duration::days(27))
        .unwrap();
    let beyond = occurrence(beyond_day, 10, 11);
    let rooms_beyond = rooms::occurrence_rooms(pool, &series, &beyond, now)
        .await
        .unwrap();
    assert_eq!(
        rooms_beyond[0].state,
        RoomState::Later(beyond_day - Duration::days(27))
    );

    // Nothing more to book until the window moves.
    let rolled = rooms::roll(pool, now).await.unwrap();
    assert_eq!((rolled.booked, rolled.missed.len()), (0, 0));
    assert_eq!(held(pool, id).await, booked);
}

async fn a_clashing_date_refuses_the_whole_series(pool: &AnyPool) {
    let f = fixture(pool, 60).await;
    let first = first_monday();
    let third = first + Duration::weeks(2);
    let sato = booker_rights(pool, f.sato).await.unwrap();
    let taken = facility::book(
        pool,
        &NewReservation {
            facility_id: f.room,
            slot: Slot::new(at(third, 10) + Duration::minutes(30), at(third, 12)).unwrap(),
            title: "予算説明".into(),
            visibility: Visibility::Public,
            event_id: None,
        },
        &sato,
    )
    .await
    .unwrap();

    let rights = booker_rights(pool, f.yamada).await.unwrap();
    let draft = weekly(first, Some(6), &[f.yamada], f.room);
    let refused = saving::create(pool, &draft, &rights, OffsetDateTime::now_utc()).await;
    let Err(SaveError::Rooms(refusal)) = refused else {
        panic!("expected a refusal, got {refused:?}");
    };
    assert!(refusal.series);
    assert_eq!(refusal.clashes.len(), 1, "{refusal:?}");
    assert_eq!(refusal.clashes[0].occurrence, occurrence(third, 10, 11));
    assert_eq!(refusal.clashes[0].existing.id, taken);
    assert_eq!(refusal.clashes[0].existing.booker, f.sato);
    assert!(refusal.rules.is_empty());

    // Nothing of the series was written: no event, and only 佐藤's booking holds the room.
    assert_eq!(store::count_events(pool).await.unwrap(), 0);
    let busy = facility::busy(
        pool,
        &[f.room],
        at(first, 0)..at(first + Duration::weeks(6), 0),
    )
    .await
    .unwrap();
    assert_eq!(busy.len(), 1);
}

async fn the_window_rolls_on_and_skips_taken_dates(pool: &AnyPool) {
    let f = fixture(pool, 13).await;
    let rights = booker_rights(pool, f.yamada).await.unwrap();
    let first = first_monday();
    let id = saving::create(
        pool,
        &weekly(first, None, &[f.yamada], f.room),
        &rights,
        OffsetDateTime::now_utc(),
    )
    .await
    .unwrap();
    let before = held(pool, id).await;
    assert_eq!(
        starts(&before),
        mondays(first, today() + Duration::days(13))
            .into_iter()
            .map(|d| at(d, 10))
            .collect::<Vec<_>>()
    );

    // The window grows by four weeks (as four weeks of days passing would move it), and 佐藤
    // takes one of the Mondays it reaches before the series is rolled on.
    let wider = FacilityInput {
        rules: Rules {
            advance_days: 41,
            ..f.input.rules
        },
        ..f.input.clone()
    };
    assert!(
        facility::update_facility(pool, f.room, &wider)
            .await
            .unwrap()
    );
    let reached: Vec<Date> = mondays(first, today() + Duration::days(41))
        .into_iter()
        .filter(|d| *d > today() + Duration::days(13))
        .collect();
    assert!(reached.len() >= 3, "{reached:?}");
    let taken_day = reached[1];
    let sato = booker_rights(pool, f.sato).await.unwrap();
    let taken = facility::book(
        pool,
        &NewReservation {
            facility_id: f.room,
            slot: Slot::new(at(taken_day, 9), at(taken_day, 12)).unwrap(),
            title: "研修".into(),
            visibility: Visibility::Public,
            event_id: None,
        },
        &sato,
    )
    .await
    .unwrap();

    let rolled = rooms::roll(pool, OffsetDateTime::now_utc()).await.unwrap();
    assert_eq!(rolled.booked, reached.len() - 1);
    assert_eq!(rolled.missed.len(), 1, "{:?}", rolled.missed);
    let missed = &rolled.missed[0];
    assert_eq!(
        (missed.event, missed.occurrence),
        (id, occurrence(taken_day, 10, 11))
    );
    assert!(matches!(&missed.reason, MissReason::Taken(r) if r.id == taken));
    let after = held(pool, id).await;
    let mut expected = starts(&before);
    expected.extend(
        reached
            .iter()
            .filter(|d| **d != taken_day)
            .map(|d| at(*d, 10)),
    );
    assert_eq!(starts(&after), expected);

    // A second run finds nothing new and does not try the taken date again.
    let again = rooms::roll(pool, OffsetDateTime::now_utc()).await.unwrap();
    assert_eq!((again.booked, again.missed.len()), (0, 0));
    let series = event(pool, id).await;
    let shown = rooms::occurrence_rooms(
        pool,
        &series,
        &occurrence(taken_day, 10, 11),
        OffsetDateTime::now_utc(),
    )
    .await
    .unwrap();
    assert_eq!(shown[0].state, RoomState::NotBooked);
}

async fn two_nodes_rolling_at_once_book_each_date_once(pool: &AnyPool) {
    let f = fixture(pool, 6).await;
    let rights = booker_rights(pool, f.yamada).await.unwrap();
    let first = first_monday();
    let id = saving::create(
        pool,
        &weekly(first, None, &[f.yamada], f.room),
        &rights,
        OffsetDateTime::now_utc(),
    )
    .await
    .unwrap();
    let wider = FacilityInput {
        rules: Rules {
            advance_days: 60,
            ..f.input.rules
        },
        ..f.input.clone()
    };
    facility::update_facility(pool, f.room, &wider)
        .await
        .unwrap();
    let (a, b) = tokio::join!(
        rooms::roll(pool, OffsetDateTime::now_utc()),
        rooms::roll(pool, OffsetDateTime::now_utc())
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let expected: Vec<OffsetDateTime> = mondays(first, today() + Duration::days(60))
        .into_iter()
        .map(|d| at(d, 10))
        .collect();
    let booked = held(pool, id).await;
    assert_eq!(starts(&booked), expected);
    assert!(a.missed.is_empty() && b.missed.is_empty());
    assert_eq!(
        a.booked + b.booked + mondays(first, today() + Duration::days(6)).len(),
        expected.len()
    );
}

async fn exceptions_take_their_bookings_with_them(pool: &AnyPool) {
    let f = fixture(pool, 90).await;
    let rights = booker_rights(pool, f.yamada).await.unwrap();
    let now = OffsetDateTime::now_utc();
    let first = first_monday();
    let days: Vec<Date> = (0..6).map(|w| first + Duration::weeks(w)).collect();
    let draft = weekly(first, Some(6), &[f.yamada], f.room);
    let id = saving::create(pool, &draft, &rights, now).await.unwrap();
    let booked = held(pool, id).await;
    assert_eq!(
        starts(&booked),
        days.iter().map(|d| at(*d, 10)).collect::<Vec<_>>()
    );
    let series = event(pool, id).await;

    // The second Monday alone moves to 14:00: its reservation goes with it, approval kept.
    let moved = EventDraft {
        span: occurrence(days[1], 14, 15),
        rule: None,
        ..draft.clone()
    };
    let copy = saving::change(
        pool,
        &series,
        &occurrence(days[1], 10, 11),
        SeriesScope::This,
        &moved,
        &rights,
        now,
    )
    .await
    .unwrap();
    let copy_held = held(pool, copy).await;
    assert_eq!(starts(&copy_held), [at(days[1], 14)]);
    assert_eq!(
        copy_held[0].1, booked[1].1,
        "the reservation was not handed over"
    );
    assert!(!starts(&held(pool, id).await).contains(&at(days[1], 10)));

    // The third Monday is removed: its reservation is cancelled.
    saving::delete(
        pool,
        &event(pool, id).await,
        &occurrence(days[2], 10, 11),
        SeriesScope::This,
        f.yamada,
        now,
    )
    .await
    .unwrap();
    let third = facility::reservation(pool, booked[2].1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(third.status, Status::Cancelled);

    // From the fourth Monday on, the meeting is at 15:00: a new series holds those.
    let later = EventDraft {
        span: occurrence(days[3], 15, 16),
        rule: weekly(days[3], Some(3), &[f.yamada], f.room).rule,
        ..draft.clone()
    };
    let successor = saving::change(
        pool,
        &event(pool, id).await,
        &occurrence(days[3], 10, 11),
        SeriesScope::Following,
        &later,
        &rights,
        now,
    )
    .await
    .unwrap();
    assert_eq!(starts(&held(pool, id).await), [at(days[0], 10)]);
    assert_eq!(
        starts(&held(pool, successor).await),
        days[3..].iter().map(|d| at(*d, 15)).collect::<Vec<_>>()
    );
    for (_, reservation, _) in &booked[3..] {
        let old = facility::reservation(pool, *reservation)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(old.status, Status::Cancelled);
    }

    // Renaming the whole new series keeps its reservations and renames them.
    let renamed = EventDraft {
        title: "課内会議（定例）".into(),
        ..later.clone()
    };
    let kept = held(pool, successor).await;
    saving::change(
        pool,
        &event(pool, successor).await,
        &occurrence(days[3], 15, 16),
        SeriesScope::All,
        &renamed,
        &rights,
        now,
    )
    .await
    .unwrap();
    assert_eq!(held(pool, successor).await, kept);
    let one = facility::reservation(pool, kept[0].1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(one.title, "課内会議（定例）");

    // Moving the whole series an hour later books it again at the new time.
    let shifted = EventDraft {
        span: occurrence(days[3], 16, 17),
        ..renamed.clone()
    };
    saving::change(
        pool,
        &event(pool, successor).await,
        &occurrence(days[3], 15, 16),
        SeriesScope::All,
        &shifted,
        &rights,
        now,
    )
    .await
    .unwrap();
    assert_eq!(
        starts(&held(pool, successor).await),
        days[3..].iter().map(|d| at(*d, 16)).collect::<Vec<_>>()
    );

    // Deleting a series cancels what it holds; the changed occurrence of the first series goes
    // with it.
    saving::delete(
        pool,
        &event(pool, successor).await,
        &occurrence(days[3], 16, 17),
        SeriesScope::All,
        f.yamada,
        now,
    )
    .await
    .unwrap();
    assert!(held(pool, successor).await.is_empty());
    saving::delete(
        pool,
        &event(pool, id).await,
        &occurrence(days[0], 10, 11),
        SeriesScope::All,
        f.yamada,
        now,
    )
    .await
    .unwrap();
    assert!(held(pool, id).await.is_empty());
    assert!(held(pool, copy).await.is_empty());
    let busy = facility::busy(pool, &[f.room], at(days[0], 0)..at(days[5], 23))
        .await
        .unwrap();
    assert!(busy.is_empty(), "{busy:?}");
}

async fn a_room_the_booker_may_not_book_is_refused_early(pool: &AnyPool) {
    let f = fixture(pool, 7).await;
    let closed = FacilityInput {
        rules: Rules {
            bookers: Bookers::Administrators,
            ..f.input.rules
        },
        ..f.input.clone()
    };
    facility::update_facility(pool, f.room, &closed)
        .await
        .unwrap();
    let rights = booker_rights(pool, f.yamada).await.unwrap();
    // Every occurrence lies beyond the week the room may be booked ahead, yet the series is
    // refused now: 山田 may not book the room at all.
    let start = first_monday() + Duration::weeks(3);
    let refused = saving::create(
        pool,
        &weekly(start, Some(4), &[f.yamada], f.room),
        &rights,
        OffsetDateTime::now_utc(),
    )
    .await;
    let Err(SaveError::Rooms(refusal)) = refused else {
        panic!("expected a refusal, got {refused:?}");
    };
    assert_eq!(
        refusal.rules,
        [RuleViolation::NotPermitted {
            bookers: Bookers::Administrators
        }]
    );
    assert_eq!(store::count_events(pool).await.unwrap(), 0);
}

async fn ending_a_series_early_keeps_earlier_bookings(pool: &AnyPool) {
    let f = fixture(pool, 90).await;
    let rights = booker_rights(pool, f.yamada).await.unwrap();
    let now = OffsetDateTime::now_utc();
    let first = first_monday();
    let draft = weekly(first, Some(8), &[f.yamada], f.room);
    let id = saving::create(pool, &draft, &rights, now).await.unwrap();
    let booked = held(pool, id).await;
    assert_eq!(booked.len(), 8);

    // Four Mondays are enough after all, and a second room joins: the first four keep their
    // reservations (the same ones), the last four are cancelled, the new room gets four.
    let other = facility::insert_facility(
        pool,
        &FacilityInput {
            name: "第2会議室".into(),
            ..f.input.clone()
        },
    )
    .await
    .unwrap();
    let mut shorter = EventDraft {
        rule: weekly(first, Some(4), &[f.yamada], f.room).rule,
        ..draft.clone()
    };
    shorter.facilities.push(other.0);
    saving::change(
        pool,
        &event(pool, id).await,
        &occurrence(first, 10, 11),
        SeriesScope::All,
        &shorter,
        &rights,
        now,
    )
    .await
    .unwrap();
    let after: Vec<_> = facility::reservations_for_event(pool, id.0)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.facility_id, r.slot.start(), r.id))
        .collect();
    let in_room: Vec<_> = after
        .iter()
        .filter(|(facility, _, _)| *facility == f.room)
        .map(|(_, _, id)| *id)
        .collect();
    let mut kept: Vec<ReservationId> = booked[..4].iter().map(|(_, id, _)| *id).collect();
    kept.sort();
    let mut in_room_sorted = in_room.clone();
    in_room_sorted.sort();
    assert_eq!(
        in_room_sorted, kept,
        "the first four were not kept as they were"
    );
    assert_eq!(
        after
            .iter()
            .filter(|(facility, _, _)| *facility == other)
            .count(),
        4
    );
    for (_, reservation, _) in &booked[4..] {
        let gone = facility::reservation(pool, *reservation)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(gone.status, Status::Cancelled);
    }
}
