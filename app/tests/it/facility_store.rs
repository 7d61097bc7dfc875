//! The facility store, one suite run on SQLite and on the harness's PostgreSQL: booking,
//! refusing double bookings (also under 100 concurrent requests for one slot), rules,
//! approval of restricted facilities, and what the schedule calls when events change.

use std::sync::Arc;

use app::facility::model::{
    Approval, BookableHours, Bookers, CategoryId, Decision, FacilityId, FacilityInput, JST,
    NewReservation, RuleViolation, Rules, Slot, Status, Visibility,
};
use app::facility::store::{self, DecideError, ReserveError, begin_write, book, booker_rights};
use app::org::model::{DepartmentId, GrantKind, Module, StaffId};
use app::org::store::{Grant, find_staff_by_login, grant_function_admin, insert_city};
use sqlx::AnyPool;
use time::{Duration, OffsetDateTime, Time};

/// Runs each named suite function as one test on SQLite and one on PostgreSQL.
macro_rules! on_sqlite_and_postgres {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    let db = crate::support::sqlite_db().await;
                    super::$test(&db.pool).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    let db = crate::support::postgres_db(
                        concat!("app_fac_", stringify!($test)),
                    )
                    .await;
                    super::$test(&db.pool).await;
                }
            )*
        }
    };
}

on_sqlite_and_postgres!(
    a_free_slot_is_booked_and_shown_on_its_day,
    booking_a_taken_slot_is_refused_naming_the_booking,
    touching_bookings_both_fit,
    one_of_a_hundred_concurrent_bookings_wins,
    a_booking_behind_an_uncommitted_one_loses,
    the_database_refuses_overlaps_written_around_the_store,
    cancelled_and_rejected_bookings_free_their_slot,
    restricted_bookings_wait_for_approval,
    rules_are_checked_before_anything_is_written,
    busy_times_cover_live_bookings_in_the_range,
    event_bookings_move_and_go_with_their_event,
    a_conflict_leaves_the_callers_transaction_usable,
    the_grid_opens_on_the_category_of_ones_department,
);

/// The demo city with two rooms: an open one managed by 総務課 and a restricted one.
struct Fixture {
    yamada: StaffId,
    sato: StaffId,
    somu: DepartmentId,
    room: FacilityId,
    restricted: FacilityId,
    category: CategoryId,
}

async fn fixture(pool: &AnyPool) -> Fixture {
    insert_city(pool, &app::org::seed::demo_city())
        .await
        .unwrap();
    let yamada = find_staff_by_login(pool, "yamada").await.unwrap().unwrap();
    let sato = find_staff_by_login(pool, "sato").await.unwrap().unwrap();
    let category = store::insert_category(pool, "本庁舎 会議室").await.unwrap();
    let input = |name: &str, rules: Rules| FacilityInput {
        category_id: category,
        name: name.into(),
        place: "本庁舎 3階".into(),
        capacity: Some(12),
        department_id: yamada.department_id,
        rules,
        note: String::new(),
        in_service: true,
    };
    let room = store::insert_facility(pool, &input("第1会議室", Rules::DEFAULT))
        .await
        .unwrap();
    let restricted = store::insert_facility(
        pool,
        &input(
            "特別会議室",
            Rules {
                approval: Approval::Required,
                ..Rules::DEFAULT
            },
        ),
    )
    .await
    .unwrap();
    Fixture {
        yamada: yamada.id,
        sato: sato.id,
        somu: yamada.department_id,
        room,
        restricted,
        category,
    }
}

/// Tomorrow (Japan time) from `from` to `to`.
fn tomorrow(from: (u8, u8), to: (u8, u8)) -> Slot {
    let day = OffsetDateTime::now_utc().to_offset(JST).date() + Duration::days(1);
    let at = |(h, m): (u8, u8)| Time::from_hms(h, m, 0).unwrap();
    Slot::on_day(day, at(from), at(to)).unwrap()
}

fn booking(facility: FacilityId, slot: Slot, title: &str) -> NewReservation {
    NewReservation {
        facility_id: facility,
        slot,
        title: title.into(),
        visibility: Visibility::Public,
        event_id: None,
    }
}

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

async fn the_grid_opens_on_the_category_of_ones_department(pool: &AnyPool) {
    let f = fixture(pool).await;
    let departments = app::org::store::departments(pool).await.unwrap();
    let named = |name: &str| {
        departments
            .iter()
            .find(|d| d.name == name)
            .unwrap_or_else(|| panic!("no department {name}"))
            .id
    };
    let add = |category: CategoryId, name: &'static str, department: DepartmentId, in_service| {
        let input = FacilityInput {
            category_id: category,
            name: name.into(),
            place: String::new(),
            capacity: None,
            department_id: department,
            rules: Rules::DEFAULT,
            note: String::new(),
            in_service,
        };
        async move { store::insert_facility(pool, &input).await.unwrap() }
    };
    let cars = store::insert_category(pool, "公用車").await.unwrap();
    let car = add(cars, "公用車1号", named("財務課"), true).await;
    add(cars, "公用車2号", named("財務課"), true).await;
    let bureau = store::insert_category(pool, "財政局 会議室").await.unwrap();
    add(bureau, "財政局 第1会議室", named("財政局"), true).await;
    let retired = store::insert_category(pool, "廃止備品").await.unwrap();
    add(retired, "旧プロジェクター", named("契約課"), false).await;
    let now = OffsetDateTime::now_utc();
    let home =
        |department| async move { store::home_category(pool, department, now).await.unwrap() };

    assert_eq!(
        home(f.somu).await,
        Some(f.category),
        "総務課 keeps the rooms"
    );
    assert_eq!(
        home(named("財務課")).await,
        Some(cars),
        "its own before the 局's"
    );
    assert_eq!(
        home(named("予算係")).await,
        Some(cars),
        "a 係 follows its 課"
    );
    assert_eq!(
        home(named("契約課")).await,
        Some(bureau),
        "the nearest department above that manages facilities in service"
    );

    // A department that manages nothing follows its latest booking.
    let culture = named("文化振興課");
    assert_eq!(home(culture).await, None);
    let clerk = app::org::store::department_members(pool, culture)
        .await
        .unwrap()
        .into_iter()
        .next()
        .unwrap();
    let rights = booker_rights(pool, clerk.id).await.unwrap();
    book(
        pool,
        &booking(car, tomorrow((9, 0), (10, 0)), "視察"),
        &rights,
    )
    .await
    .unwrap();
    assert_eq!(home(culture).await, Some(cars));
    book(
        pool,
        &booking(f.room, tomorrow((13, 0), (14, 0)), "打合せ"),
        &rights,
    )
    .await
    .unwrap();
    assert_eq!(home(culture).await, Some(f.category));
    assert_eq!(
        home(named("財務課")).await,
        Some(cars),
        "managing outranks booking"
    );
}
