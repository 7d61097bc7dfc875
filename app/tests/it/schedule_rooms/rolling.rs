//! Rolling the booking window forward: the dates it reaches are booked and a taken one is
//! skipped and reported once, and two nodes rolling at once book each date once.

use app::facility::model::{FacilityInput, NewReservation, Rules, Slot, Visibility};
use app::facility::store::{self as facility, booker_rights};
use app::schedule::rooms::{self, MissReason, RoomState};
use app::schedule::saving;
use sqlx::AnyPool;
use time::{Date, Duration, OffsetDateTime};

use super::{at, event, first_monday, fixture, held, mondays, occurrence, starts, today, weekly};

on_sqlite_and_postgres!(
    the_window_rolls_on_and_skips_taken_dates,
    two_nodes_rolling_at_once_book_each_date_once,
);

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
