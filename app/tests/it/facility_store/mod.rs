//! The facility store, one suite run on SQLite and on the harness's PostgreSQL: booking,
//! refusing double bookings (also under 100 concurrent requests for one slot), rules,
//! approval of restricted facilities, and what the schedule calls when events change. This
//! file holds what the suites share (the macro that runs each on both backends, the demo city
//! with two rooms, slots and bookings of tomorrow); the suites are grouped by subject in the
//! modules below.

use app::facility::model::{
    Approval, CategoryId, FacilityId, FacilityInput, JST, NewReservation, Rules, Slot, Visibility,
};
use app::facility::store;
use app::org::model::{DepartmentId, StaffId};
use app::org::store::{find_staff_by_login, insert_city};
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

mod approval;
mod double_booking;
mod home_category;
mod schedule_calls;

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
