//! The organisation store, one suite run on SQLite and on the harness's PostgreSQL.

use std::collections::HashSet;
use std::time::Instant;

use app::org::model::{City, DepartmentId, DepartmentKind, Employment, NewStaff};
use app::org::seed::{DEMO_LOGINS, demo_city, synthetic_city};
use app::org::store::{
    LoadError, count_departments, count_staff, department_path, find_staff_by_login, insert_city,
};
use sqlx::AnyPool;

/// Runs each named suite function as one test on SQLite and one on PostgreSQL.
macro_rules! on_sqlite_and_postgres {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $test() {
                    let db = crate::support::sqlite_db().await;
                    super::$test(&db.pool).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $test() {
                    let db = crate::support::postgres_db(
                        concat!("app_org_", stringify!($test)),
                    )
                    .await;
                    super::$test(&db.pool).await;
                }
            )*
        }
    };
}

on_sqlite_and_postgres!(
    the_demo_city_loads_completely,
    a_second_load_is_refused_and_changes_nothing,
    department_paths_run_from_kyoku_down,
    staff_are_found_by_exact_login,
    a_failed_load_writes_nothing,
    a_city_sized_organisation_loads,
);

async fn counts(pool: &AnyPool) -> (i64, i64) {
    (
        count_departments(pool).await.unwrap(),
        count_staff(pool).await.unwrap(),
    )
}

fn len(n: usize) -> i64 {
    i64::try_from(n).unwrap()
}

async fn the_demo_city_loads_completely(pool: &AnyPool) {
    let city = demo_city();
    assert_eq!(counts(pool).await, (0, 0));
    let loaded = insert_city(pool, &city).await.unwrap();
    assert_eq!(loaded.departments, city.departments.len());
    assert_eq!(loaded.staff, city.staff.len());
    assert_eq!(
        counts(pool).await,
        (len(city.departments.len()), len(city.staff.len()))
    );
    for login in DEMO_LOGINS {
        let staff = find_staff_by_login(pool, login).await.unwrap();
        assert!(staff.is_some(), "demo login {login} is not staff");
    }
}

async fn a_second_load_is_refused_and_changes_nothing(pool: &AnyPool) {
    let city = demo_city();
    insert_city(pool, &city).await.unwrap();
    let before = counts(pool).await;
    for again in [city, synthetic_city(50, 10, 7)] {
        match insert_city(pool, &again).await {
            Err(LoadError::NotEmpty { departments, staff }) => {
                assert_eq!((departments, staff), before);
            }
            other => panic!("a second load must be refused, got {other:?}"),
        }
    }
    assert_eq!(counts(pool).await, before);
}

async fn path_of(pool: &AnyPool, login: &str) -> Vec<String> {
    let staff = find_staff_by_login(pool, login).await.unwrap().unwrap();
    department_path(pool, staff.department_id).await.unwrap()
}

async fn department_paths_run_from_kyoku_down(pool: &AnyPool) {
    insert_city(pool, &demo_city()).await.unwrap();
    assert_eq!(
        path_of(pool, "yamada").await,
        ["総務局", "総務部", "総務課"]
    );
    assert_eq!(path_of(pool, "sato").await, ["財政局", "財務部", "財務課"]);
    let admin = path_of(pool, "admin").await;
    assert_eq!(admin.first().map(String::as_str), Some("総務局"));
    assert!(
        admin.iter().any(|name| name == "情報化推進課"),
        "admin sits under 情報化推進課: {admin:?}"
    );
    assert!(
        department_path(pool, DepartmentId(-1))
            .await
            .unwrap()
            .is_empty()
    );
}

async fn staff_are_found_by_exact_login(pool: &AnyPool) {
    insert_city(pool, &demo_city()).await.unwrap();
    let sato = find_staff_by_login(pool, "sato").await.unwrap().unwrap();
    assert_eq!(sato.login, "sato");
    assert_eq!(sato.name, "佐藤 花子");
    assert_eq!(sato.kana, "さとう はなこ");
    assert_eq!(sato.position, "課長");
    assert_eq!(sato.employment, Employment::Active);
    let admin = find_staff_by_login(pool, "admin").await.unwrap().unwrap();
    assert_eq!(admin.name, "システム管理者");
    assert_ne!(admin.id, sato.id);
    for missing in ["nobody", "Sato", "sato ", ""] {
        assert_eq!(
            find_staff_by_login(pool, missing).await.unwrap(),
            None,
            "{missing:?}"
        );
    }
}

async fn a_failed_load_writes_nothing(pool: &AnyPool) {
    let mut lost = synthetic_city(40, 8, 3);
    lost.staff.push(NewStaff {
        department_code: "NO-SUCH-DEPARTMENT".into(),
        ..lost.staff[0].clone()
    });
    assert!(matches!(
        insert_city(pool, &lost).await,
        Err(LoadError::UnknownDepartment { department, .. }) if department == "NO-SUCH-DEPARTMENT"
    ));
    assert_eq!(counts(pool).await, (0, 0));

    // The repeated login is only caught by the database, after every department and the
    // first batch of staff went in: all of it must roll back.
    let mut repeated: City = synthetic_city(40, 8, 3);
    let first = repeated.staff[0].clone();
    repeated.staff.push(first);
    assert!(matches!(
        insert_city(pool, &repeated).await,
        Err(LoadError::Database(_))
    ));
    assert_eq!(counts(pool).await, (0, 0));

    // And the tables are still usable afterwards.
    insert_city(pool, &synthetic_city(40, 8, 3)).await.unwrap();
    assert_eq!(counts(pool).await, (8, 40));
}

/// The reference customer's size: 21,036 staff in about 1,200 departments.
async fn a_city_sized_organisation_loads(pool: &AnyPool) {
    let city = synthetic_city(21_036, 1_200, 1);
    let started = Instant::now();
    let loaded = insert_city(pool, &city).await.unwrap();
    let took = started.elapsed();
    assert_eq!((loaded.departments, loaded.staff), (1_200, 21_036));
    assert_eq!(counts(pool).await, (1_200, 21_036));
    // Someone in a 係 sees four levels, someone in a 課 three.
    for (kind, levels) in [(DepartmentKind::Kakari, 4), (DepartmentKind::Ka, 3)] {
        let codes: HashSet<&str> = city
            .departments
            .iter()
            .filter(|d| d.kind == kind)
            .map(|d| d.code.as_str())
            .collect();
        let person = city
            .staff
            .iter()
            .rev()
            .find(|s| codes.contains(s.department_code.as_str()))
            .unwrap();
        let path = path_of(pool, &person.login).await;
        assert_eq!(path.len(), levels, "{kind:?}: {path:?}");
    }
    // Generous so a busy CI machine passes; the benchmark is `generate-city`.
    assert!(took.as_secs() < 60, "loading took {took:?}");
    eprintln!("loaded 22,236 rows in {took:?}");
}
