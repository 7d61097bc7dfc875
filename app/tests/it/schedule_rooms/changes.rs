//! Changing a series that holds rooms: exceptions (one occurrence moved or removed, the
//! following ones split off) take their reservations with them, renaming or moving the whole
//! series keeps or rebooks them, deleting cancels them, and ending a series early keeps the
//! earlier bookings.

use app::facility::model::{FacilityInput, ReservationId, Status};
use app::facility::store::{self as facility, booker_rights};
use app::schedule::form::EventDraft;
use app::schedule::model::SeriesScope;
use app::schedule::saving;
use sqlx::AnyPool;
use time::{Date, Duration, OffsetDateTime};

use super::{at, event, first_monday, fixture, held, occurrence, starts, weekly};

on_sqlite_and_postgres!(
    exceptions_take_their_bookings_with_them,
    ending_a_series_early_keeps_earlier_bookings,
);

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
