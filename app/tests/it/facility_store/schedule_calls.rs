//! What the schedule calls: the busy times of rooms over a range, and the bookings of an
//! event, which move and go with it.

use app::facility::model::{FacilityId, Slot};
use app::facility::store::{self, ReserveError, begin_write, book, booker_rights};
use sqlx::AnyPool;
use time::Duration;

use super::{booking, fixture, tomorrow};

on_sqlite_and_postgres!(
    busy_times_cover_live_bookings_in_the_range,
    event_bookings_move_and_go_with_their_event,
);

async fn busy_times_cover_live_bookings_in_the_range(pool: &AnyPool) {
    let f = fixture(pool).await;
    let rights = booker_rights(pool, f.yamada).await.unwrap();
    let a = tomorrow((9, 0), (10, 0));
    let b = tomorrow((13, 0), (14, 0));
    let c = tomorrow((15, 0), (16, 0));
    book(pool, &booking(f.room, a, "a"), &rights).await.unwrap();
    book(pool, &booking(f.restricted, b, "b"), &rights)
        .await
        .unwrap();
    let gone = book(pool, &booking(f.room, c, "c"), &rights).await.unwrap();
    let mut conn = pool.acquire().await.unwrap();
    store::cancel(&mut conn, gone).await.unwrap();
    drop(conn);
    let busy = store::busy(pool, &[f.room, f.restricted], a.start()..c.end())
        .await
        .unwrap();
    let seen: Vec<(FacilityId, Slot)> = busy.iter().map(|b| (b.facility_id, b.slot)).collect();
    let mut expected = vec![(f.room, a), (f.restricted, b)];
    expected.sort_by_key(|(id, _)| *id);
    assert_eq!(seen, expected);
    // A range that ends when a booking starts does not see it.
    assert!(
        store::busy(pool, &[f.room], a.start() - Duration::hours(2)..a.start())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store::busy(pool, &[], a.start()..c.end())
            .await
            .unwrap()
            .is_empty()
    );
}

async fn event_bookings_move_and_go_with_their_event(pool: &AnyPool) {
    let f = fixture(pool).await;
    let rights = booker_rights(pool, f.yamada).await.unwrap();
    let slot = tomorrow((10, 0), (11, 0));
    let mut tx = begin_write(pool).await.unwrap();
    for facility in [f.room, f.restricted] {
        let mut new = booking(facility, slot, "部内会議");
        new.event_id = Some(42);
        store::reserve(&mut tx, &new, &rights).await.unwrap();
    }
    tx.commit().await.unwrap();
    let linked = store::reservations_for_event(pool, 42).await.unwrap();
    assert_eq!(linked.len(), 2);
    assert!(linked.iter().all(|r| r.event_id == Some(42)));

    // Someone else takes 13:00 in the first room; moving the event there is refused whole.
    let sato = booker_rights(pool, f.sato).await.unwrap();
    book(
        pool,
        &booking(f.room, tomorrow((13, 0), (14, 0)), "別件"),
        &sato,
    )
    .await
    .unwrap();
    let mut tx = begin_write(pool).await.unwrap();
    let refused = store::move_for_event(&mut tx, 42, tomorrow((13, 30), (14, 30)), &rights).await;
    assert!(
        matches!(refused, Err(ReserveError::Conflict(_))),
        "{refused:?}"
    );
    tx.rollback().await.unwrap();

    let later = tomorrow((15, 0), (16, 0));
    let mut tx = begin_write(pool).await.unwrap();
    assert_eq!(
        store::move_for_event(&mut tx, 42, later, &rights)
            .await
            .unwrap(),
        2
    );
    tx.commit().await.unwrap();
    let linked = store::reservations_for_event(pool, 42).await.unwrap();
    assert!(linked.iter().all(|r| r.slot == later), "{linked:?}");

    let mut tx = begin_write(pool).await.unwrap();
    assert_eq!(store::cancel_for_event(&mut tx, 42).await.unwrap(), 2);
    tx.commit().await.unwrap();
    assert!(
        store::reservations_for_event(pool, 42)
            .await
            .unwrap()
            .is_empty()
    );
    // The slot is free again.
    book(pool, &booking(f.room, later, "次の会議"), &sato)
        .await
        .unwrap();
}
