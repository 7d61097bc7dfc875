//! Booking and refusing double bookings: a free slot is booked and shown, a taken one is
//! refused naming the booking in the way, touching bookings both fit, one of 100 concurrent
//! requests wins, a booking behind an uncommitted one loses, the database itself refuses
//! overlaps, and a conflict leaves the caller's transaction usable.

use std::sync::Arc;

use app::facility::model::{JST, Slot, Status, Visibility};
use app::facility::store::{self, ReserveError, begin_write, book, booker_rights};
use sqlx::AnyPool;
use time::{Duration, OffsetDateTime};

use super::{booking, fixture, tomorrow};

on_sqlite_and_postgres!(
    a_free_slot_is_booked_and_shown_on_its_day,
    booking_a_taken_slot_is_refused_naming_the_booking,
    touching_bookings_both_fit,
    one_of_a_hundred_concurrent_bookings_wins,
    a_booking_behind_an_uncommitted_one_loses,
    the_database_refuses_overlaps_written_around_the_store,
    a_conflict_leaves_the_callers_transaction_usable,
);

async fn a_free_slot_is_booked_and_shown_on_its_day(pool: &AnyPool) {
    let f = fixture(pool).await;
    let rights = booker_rights(pool, f.yamada).await.unwrap();
    let slot = tomorrow((10, 0), (11, 30));
    let id = book(pool, &booking(f.room, slot, "係会議"), &rights)
        .await
        .unwrap();
    let stored = store::reservation(pool, id).await.unwrap().unwrap();
    assert_eq!(stored.status, Status::Confirmed);
    assert_eq!(stored.slot, slot);
    assert_eq!(stored.booker_name, "山田 太郎");
    assert_eq!(stored.facility_name, "第1会議室");
    let day = Slot::day(slot.start().to_offset(JST).date());
    let shown = store::reservations_on(pool, &[f.room, f.restricted], day)
        .await
        .unwrap();
    assert_eq!(shown.iter().map(|r| r.id).collect::<Vec<_>>(), [id]);
    let other_day = Slot::day(slot.start().to_offset(JST).date() + Duration::days(1));
    assert!(
        store::reservations_on(pool, &[f.room], other_day)
            .await
            .unwrap()
            .is_empty()
    );
    let mine = store::upcoming_of(pool, f.yamada, OffsetDateTime::now_utc(), 10)
        .await
        .unwrap();
    assert_eq!(mine.len(), 1);
    let categories = store::categories(pool).await.unwrap();
    assert_eq!(categories.len(), 1);
    assert_eq!(categories[0].category.id, f.category);
    assert_eq!(categories[0].facilities, 2);
}

async fn booking_a_taken_slot_is_refused_naming_the_booking(pool: &AnyPool) {
    let f = fixture(pool).await;
    let yamada = booker_rights(pool, f.yamada).await.unwrap();
    let sato = booker_rights(pool, f.sato).await.unwrap();
    let mut private = booking(f.room, tomorrow((10, 0), (11, 0)), "人事面談");
    private.visibility = Visibility::Private;
    let first = book(pool, &private, &yamada).await.unwrap();
    for (from, to) in [((10, 0), (11, 0)), ((9, 30), (10, 1)), ((10, 59), (12, 0))] {
        let attempt = booking(f.room, tomorrow(from, to), "課内打合せ");
        match book(pool, &attempt, &sato).await {
            Err(ReserveError::Conflict(existing)) => {
                assert_eq!(existing.id, first);
                assert_eq!(existing.booker_name, "山田 太郎");
                let message = app::facility::model::conflict_message(
                    &existing,
                    f.sato,
                    app::facility::texts::FacilityTexts::of(app::i18n::Lang::Ja),
                );
                assert!(message.contains("第1会議室"), "{message}");
                assert!(message.contains("10:00〜11:00"), "{message}");
                assert!(message.contains("山田 太郎"), "{message}");
                assert!(message.contains("予定あり"), "{message}");
                assert!(
                    !message.contains("人事面談"),
                    "private title leaked: {message}"
                );
            }
            other => panic!("{from:?}-{to:?} must be refused, got {other:?}"),
        }
    }
    // The other room is free at that time.
    book(
        pool,
        &booking(f.restricted, tomorrow((10, 0), (11, 0)), "x"),
        &sato,
    )
    .await
    .unwrap();
}

async fn touching_bookings_both_fit(pool: &AnyPool) {
    let f = fixture(pool).await;
    let rights = booker_rights(pool, f.yamada).await.unwrap();
    for (from, to) in [((10, 0), (11, 0)), ((11, 0), (12, 0)), ((9, 0), (10, 0))] {
        book(pool, &booking(f.room, tomorrow(from, to), "会議"), &rights)
            .await
            .unwrap();
    }
}

/// The test: 100 requests for one slot at once; exactly one is booked and every
/// other one is told which booking is in the way.
async fn one_of_a_hundred_concurrent_bookings_wins(pool: &AnyPool) {
    let f = fixture(pool).await;
    let rights = Arc::new(booker_rights(pool, f.sato).await.unwrap());
    let slot = tomorrow((14, 0), (15, 0));
    let start = Arc::new(tokio::sync::Barrier::new(100));
    let tasks: Vec<_> = (0..100)
        .map(|n| {
            let (pool, rights, start) = (pool.clone(), rights.clone(), start.clone());
            let request = booking(f.room, slot, &format!("会議 {n}"));
            tokio::spawn(async move {
                start.wait().await;
                book(&pool, &request, &rights).await
            })
        })
        .collect();
    let mut booked = Vec::new();
    let mut refused = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            Ok(id) => booked.push(id),
            Err(ReserveError::Conflict(existing)) => refused.push(existing),
            Err(other) => panic!("a booking failed other than by conflict: {other:?}"),
        }
    }
    assert_eq!(booked.len(), 1, "exactly one booking succeeds");
    assert_eq!(refused.len(), 99);
    let winner = store::reservation(pool, booked[0]).await.unwrap().unwrap();
    for existing in &refused {
        assert_eq!(existing.id, winner.id);
        assert_eq!(existing.title, winner.title);
        assert_eq!(existing.slot, slot);
    }
    let day = Slot::day(slot.start().to_offset(JST).date());
    assert_eq!(
        store::reservations_on(pool, &[f.room], day)
            .await
            .unwrap()
            .len(),
        1
    );
}

/// The race the friendly check alone cannot see: the first booking is written but not yet
/// committed when the second one checks. PostgreSQL's constraint makes the second wait and
/// then refuse; SQLite's `BEGIN IMMEDIATE` makes it wait before it reads. Both name the first.
async fn a_booking_behind_an_uncommitted_one_loses(pool: &AnyPool) {
    let f = fixture(pool).await;
    let yamada = booker_rights(pool, f.yamada).await.unwrap();
    let sato = booker_rights(pool, f.sato).await.unwrap();
    let slot = tomorrow((10, 0), (11, 0));
    let mut first = begin_write(pool).await.unwrap();
    let id = store::reserve(&mut first, &booking(f.room, slot, "先に書いた"), &yamada)
        .await
        .unwrap();
    let second = {
        let pool = pool.clone();
        let request = booking(f.room, tomorrow((10, 30), (11, 30)), "後から");
        tokio::spawn(async move { book(&pool, &request, &sato).await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        !second.is_finished(),
        "the second booking waits for the first"
    );
    first.commit().await.unwrap();
    match second.await.unwrap() {
        Err(ReserveError::Conflict(existing)) => assert_eq!(existing.id, id),
        other => panic!("the second booking must lose to the first, got {other:?}"),
    }
}

async fn the_database_refuses_overlaps_written_around_the_store(pool: &AnyPool) {
    let f = fixture(pool).await;
    let rights = booker_rights(pool, f.yamada).await.unwrap();
    let slot = tomorrow((10, 0), (11, 0));
    let first = book(pool, &booking(f.room, slot, "会議"), &rights)
        .await
        .unwrap();
    let insert = |start: i64, end: i64, status: &'static str| {
        sqlx::query(
            "INSERT INTO facility_reservations \
             (facility_id, starts_at, ends_at, booker_id, title, status, created_at) \
             VALUES ($1, $2, $3, $4, 'x', $5, 0)",
        )
        .bind(f.room)
        .bind(start)
        .bind(end)
        .bind(f.yamada)
        .bind(status)
        .execute(pool)
    };
    let (s, e) = (slot.start_epoch(), slot.end_epoch());
    for status in ["confirmed", "pending"] {
        let error = insert(s + 1800, e + 1800, status).await.unwrap_err();
        assert!(
            error
                .to_string()
                .contains("facility_reservations_no_overlap"),
            "{error}"
        );
    }
    // Cancelled rows may lie anywhere; touching rows fit; spans over 14 days never.
    insert(s, e, "cancelled").await.unwrap();
    insert(e, e + 3600, "confirmed").await.unwrap();
    assert!(
        insert(e + 7200, e + 7200 + 15 * 86_400, "confirmed")
            .await
            .is_err()
    );
    // Moving a row onto another is refused too.
    let moved = sqlx::query("UPDATE facility_reservations SET ends_at = $1 WHERE id = $2")
        .bind(e + 1800)
        .bind(first)
        .execute(pool)
        .await
        .unwrap_err();
    assert!(
        moved
            .to_string()
            .contains("facility_reservations_no_overlap"),
        "{moved}"
    );
}

async fn a_conflict_leaves_the_callers_transaction_usable(pool: &AnyPool) {
    let f = fixture(pool).await;
    let rights = booker_rights(pool, f.yamada).await.unwrap();
    let slot = tomorrow((10, 0), (11, 0));
    book(pool, &booking(f.room, slot, "先約"), &rights)
        .await
        .unwrap();

    let mut tx = begin_write(pool).await.unwrap();
    let kept = store::reserve(&mut tx, &booking(f.restricted, slot, "残る"), &rights)
        .await
        .unwrap();
    assert!(matches!(
        store::reserve(&mut tx, &booking(f.room, slot, "重複"), &rights).await,
        Err(ReserveError::Conflict(_))
    ));
    tx.commit().await.unwrap();
    assert!(store::reservation(pool, kept).await.unwrap().is_some());

    // And a rolled-back transaction leaves nothing behind.
    let mut tx = begin_write(pool).await.unwrap();
    let dropped = store::reserve(
        &mut tx,
        &booking(f.room, tomorrow((16, 0), (17, 0)), "消える"),
        &rights,
    )
    .await
    .unwrap();
    tx.rollback().await.unwrap();
    assert!(store::reservation(pool, dropped).await.unwrap().is_none());
}
