//! Rules and approval: rules are checked before anything is written, restricted bookings
//! wait for an administrator in scope, and cancelled or rejected bookings free their slot.

use app::facility::model::{
    BookableHours, Bookers, Decision, FacilityId, FacilityInput, JST, RuleViolation, Rules, Slot,
    Status,
};
use app::facility::store::{self, DecideError, ReserveError, book, booker_rights};
use app::org::model::{GrantKind, Module};
use app::org::store::{Grant, grant_function_admin};
use sqlx::AnyPool;
use time::{Duration, OffsetDateTime, Time};

use super::{booking, fixture, tomorrow};

on_sqlite_and_postgres!(
    cancelled_and_rejected_bookings_free_their_slot,
    restricted_bookings_wait_for_approval,
    rules_are_checked_before_anything_is_written,
);

async fn cancelled_and_rejected_bookings_free_their_slot(pool: &AnyPool) {
    let f = fixture(pool).await;
    let sato = booker_rights(pool, f.sato).await.unwrap();
    let slot = tomorrow((13, 0), (14, 0));
    let first = book(pool, &booking(f.room, slot, "a"), &sato)
        .await
        .unwrap();
    let mut conn = pool.acquire().await.unwrap();
    assert!(store::cancel(&mut conn, first).await.unwrap());
    assert!(!store::cancel(&mut conn, first).await.unwrap(), "only once");
    drop(conn);
    book(pool, &booking(f.room, slot, "b"), &sato)
        .await
        .unwrap();

    let pending = book(pool, &booking(f.restricted, slot, "c"), &sato)
        .await
        .unwrap();
    let mut conn = pool.acquire().await.unwrap();
    store::decide(&mut conn, pending, Decision::Reject, f.yamada, "先約あり")
        .await
        .unwrap();
    drop(conn);
    book(pool, &booking(f.restricted, slot, "d"), &sato)
        .await
        .unwrap();
}

async fn restricted_bookings_wait_for_approval(pool: &AnyPool) {
    let f = fixture(pool).await;
    let sato = booker_rights(pool, f.sato).await.unwrap();
    // Not yet an administrator: nothing to approve.
    let yamada = booker_rights(pool, f.yamada).await.unwrap();
    assert!(!yamada.administers(f.somu));
    let id = book(
        pool,
        &booking(f.restricted, tomorrow((9, 0), (10, 0)), "監査対応"),
        &sato,
    )
    .await
    .unwrap();
    let stored = store::reservation(pool, id).await.unwrap().unwrap();
    assert_eq!(stored.status, Status::Pending);
    let now = OffsetDateTime::now_utc();
    assert!(
        store::pending_for(pool, &yamada, now)
            .await
            .unwrap()
            .is_empty()
    );
    // A 仮予約 holds the slot.
    assert!(matches!(
        book(
            pool,
            &booking(f.restricted, tomorrow((9, 30), (10, 30)), "x"),
            &yamada
        )
        .await,
        Err(ReserveError::Conflict(existing)) if existing.status == Status::Pending
    ));

    grant_function_admin(
        pool,
        f.yamada,
        Module::Facility,
        &Grant {
            kind: GrantKind::Own,
            departments: vec![],
        },
    )
    .await
    .unwrap();
    let yamada = booker_rights(pool, f.yamada).await.unwrap();
    assert!(yamada.administers(f.somu));
    let waiting = store::pending_for(pool, &yamada, now).await.unwrap();
    assert_eq!(waiting.iter().map(|r| r.id).collect::<Vec<_>>(), [id]);
    // Sato administers nothing and sees nothing.
    assert!(
        store::pending_for(pool, &sato, now)
            .await
            .unwrap()
            .is_empty()
    );

    let mut conn = pool.acquire().await.unwrap();
    store::decide(&mut conn, id, Decision::Approve, f.yamada, "承認します")
        .await
        .unwrap();
    assert!(matches!(
        store::decide(&mut conn, id, Decision::Reject, f.yamada, "").await,
        Err(DecideError::NotPending)
    ));
    drop(conn);
    let stored = store::reservation(pool, id).await.unwrap().unwrap();
    assert_eq!(stored.status, Status::Confirmed);
    assert_eq!(stored.decision_note, "承認します");
    // Sato is told until he has looked.
    let told = store::unseen_decisions(pool, f.sato).await.unwrap();
    assert_eq!(told.iter().map(|r| r.id).collect::<Vec<_>>(), [id]);
    store::mark_decisions_seen(pool, f.sato).await.unwrap();
    assert!(
        store::unseen_decisions(pool, f.sato)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store::pending_for(pool, &yamada, now)
            .await
            .unwrap()
            .is_empty()
    );

    // The administrator's own booking of a restricted facility is confirmed at once.
    let own = book(
        pool,
        &booking(f.restricted, tomorrow((15, 0), (16, 0)), "課長会"),
        &yamada,
    )
    .await
    .unwrap();
    assert_eq!(
        store::reservation(pool, own).await.unwrap().unwrap().status,
        Status::Confirmed
    );
}

async fn rules_are_checked_before_anything_is_written(pool: &AnyPool) {
    let f = fixture(pool).await;
    let sato = booker_rights(pool, f.sato).await.unwrap();
    let yamada = booker_rights(pool, f.yamada).await.unwrap();
    let mut conn = pool.acquire().await.unwrap();
    let rules = Rules {
        bookers: Bookers::Department,
        advance_days: 7,
        max_minutes: 60,
        hours: BookableHours::new(540, 1020).unwrap(),
        ..Rules::DEFAULT
    };
    let facility = store::facility(&mut *conn, f.room).await.unwrap().unwrap();
    let input = FacilityInput {
        category_id: facility.category_id,
        name: facility.name.clone(),
        place: facility.place.clone(),
        capacity: facility.capacity,
        department_id: facility.department_id,
        rules,
        note: String::new(),
        in_service: true,
    };
    assert!(
        store::update_facility(&mut *conn, f.room, &input)
            .await
            .unwrap()
    );
    drop(conn);
    let day_far = OffsetDateTime::now_utc().to_offset(JST).date() + Duration::days(20);
    let table = [
        (
            tomorrow((10, 0), (12, 0)),
            &sato,
            vec![
                RuleViolation::NotPermitted {
                    bookers: Bookers::Department,
                },
                RuleViolation::TooLong { max_minutes: 60 },
            ],
        ),
        (
            tomorrow((8, 0), (9, 0)),
            &yamada,
            vec![RuleViolation::OutsideHours { hours: rules.hours }],
        ),
        (
            Slot::on_day(
                day_far,
                Time::from_hms(10, 0, 0).unwrap(),
                Time::from_hms(11, 0, 0).unwrap(),
            )
            .unwrap(),
            &yamada,
            vec![RuleViolation::TooFarAhead { days: 7 }],
        ),
    ];
    for (slot, rights, expected) in table {
        match book(pool, &booking(f.room, slot, "x"), rights).await {
            Err(ReserveError::Rules(broken)) => assert_eq!(broken, expected),
            other => panic!("{slot:?}: expected {expected:?}, got {other:?}"),
        }
    }
    assert!(matches!(
        book(
            pool,
            &booking(FacilityId(999_999), tomorrow((10, 0), (11, 0)), "x"),
            &yamada
        )
        .await,
        Err(ReserveError::UnknownFacility)
    ));
    let day = Slot::day(OffsetDateTime::now_utc().to_offset(JST).date() + Duration::days(1));
    assert!(
        store::reservations_on(pool, &[f.room], day)
            .await
            .unwrap()
            .is_empty(),
        "nothing was written"
    );
    // Within the rules, a member of the department books.
    book(
        pool,
        &booking(f.room, tomorrow((10, 0), (11, 0)), "x"),
        &yamada,
    )
    .await
    .unwrap();
}
