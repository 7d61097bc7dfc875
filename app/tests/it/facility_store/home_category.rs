//! The category the grid opens on for a department: the facilities it manages, else those of
//! the nearest department above, else the one of its latest booking.

use app::facility::model::{CategoryId, FacilityInput, Rules};
use app::facility::store::{self, book, booker_rights};
use app::org::model::DepartmentId;
use sqlx::AnyPool;
use time::OffsetDateTime;

use super::{booking, fixture, tomorrow};

on_sqlite_and_postgres!(the_grid_opens_on_the_category_of_ones_department);

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
