//! Saving a new series with a room: every occurrence within the advance-booking window is
//! booked (and the later ones shown as bookable later), a clashing date refuses the whole
//! series, and a room the booker may not book at all is refused at once.

use app::facility::model::{
    Bookers, FacilityInput, NewReservation, RuleViolation, Rules, Slot, Status, Visibility,
};
use app::facility::store::{self as facility, booker_rights};
use app::schedule::rooms::{self, RoomState};
use app::schedule::saving;
use app::schedule::store::{self, SaveError};
use sqlx::AnyPool;
use time::{Duration, OffsetDateTime};

use super::{at, event, first_monday, fixture, held, mondays, occurrence, starts, today, weekly};

on_sqlite_and_postgres!(
    a_series_books_each_occurrence_in_the_window,
    a_clashing_date_refuses_the_whole_series,
    a_room_the_booker_may_not_book_is_refused_early,
);

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
