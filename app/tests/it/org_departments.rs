//! Moving and abolishing departments in the store, one suite run on SQLite and on the harness's
//! PostgreSQL: the tree and function administrators' scopes after a move, and an abolition that
//! moves current staff and concurrent posts in the same transaction and keeps the department
//! in history.

use app::org::model::{
    Department, DepartmentId, Employment, GrantKind, Module, PlacementProblem, Post, StaffId,
};
use app::org::seed::demo_city;
use app::org::store::{self as org, DepartmentError, Grant};
use sqlx::AnyPool;
use time::OffsetDateTime;
use time::macros::datetime;

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
                        concat!("app_dept_", stringify!($test)),
                    )
                    .await;
                    super::$test(&db.pool).await;
                }
            )*
        }
    };
}

on_sqlite_and_postgres!(
    a_moved_ka_takes_its_kakari_and_scopes_follow,
    a_move_to_a_wrong_place_changes_nothing,
    abolishing_moves_staff_and_keeps_history,
    staff_or_sub_departments_block_abolition,
);

const NOW: OffsetDateTime = datetime!(2027-04-01 08:00 +9);

async fn by_name(pool: &AnyPool, name: &str) -> Department {
    org::departments(pool)
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.name == name)
        .unwrap_or_else(|| panic!("no current department {name}"))
}

async fn staff(pool: &AnyPool, login: &str) -> StaffId {
    org::find_staff_by_login(pool, login)
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn covers(pool: &AnyPool, who: StaffId, department: DepartmentId) -> bool {
    org::admin_covers(pool, who, Module::Facility, department)
        .await
        .unwrap()
}

async fn a_moved_ka_takes_its_kakari_and_scopes_follow(pool: &AnyPool) {
    org::insert_city(pool, &demo_city()).await.unwrap();
    let soumu_ka = by_name(pool, "総務課").await;
    let shomu = by_name(pool, "庶務係").await;
    let soumu_bu = by_name(pool, "総務部").await;
    let zaimu_bu = by_name(pool, "財務部").await;
    let (sato, admin) = (staff(pool, "sato").await, staff(pool, "admin").await);
    let selected = |d: DepartmentId| Grant {
        kind: GrantKind::Selected,
        departments: vec![d],
    };
    org::grant_function_admin(pool, sato, Module::Facility, &selected(soumu_bu.id))
        .await
        .unwrap();
    org::grant_function_admin(pool, admin, Module::Facility, &selected(zaimu_bu.id))
        .await
        .unwrap();
    assert!(covers(pool, sato, shomu.id).await);
    assert!(!covers(pool, admin, shomu.id).await);

    org::move_department(pool, soumu_ka.id, Some(zaimu_bu.id), "admin", NOW)
        .await
        .unwrap();

    assert_eq!(
        org::department_path(pool, shomu.id).await.unwrap(),
        ["財政局", "財務部", "総務課", "庶務係"]
    );
    let moved = org::find_department(pool, soumu_ka.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (moved.parent_id, moved.kind, moved.display_order),
        (Some(zaimu_bu.id), soumu_ka.kind, soumu_ka.display_order)
    );
    // The 部's administrator no longer covers what moved out; the new 部's covers it all.
    assert!(!covers(pool, sato, soumu_ka.id).await);
    assert!(!covers(pool, sato, shomu.id).await);
    assert!(covers(pool, admin, soumu_ka.id).await);
    assert!(covers(pool, admin, shomu.id).await);
    // The 部 itself stays covered by its administrator.
    assert!(covers(pool, sato, soumu_bu.id).await);
    let recent = app::org::import::store::recent_changes(pool, 5)
        .await
        .unwrap();
    assert!(
        recent
            .iter()
            .any(|(_, actor, source, summary)| actor == "admin"
                && source == "admin"
                && summary.contains("総務課")
                && summary.contains("財務部")),
        "{recent:?}"
    );
}

async fn a_move_to_a_wrong_place_changes_nothing(pool: &AnyPool) {
    org::insert_city(pool, &demo_city()).await.unwrap();
    let soumu_kyoku = by_name(pool, "総務局").await;
    let soumu_ka = by_name(pool, "総務課").await;
    let shomu = by_name(pool, "庶務係").await;
    let zaisei = by_name(pool, "財政局").await;
    let before = org::departments(pool).await.unwrap();

    let refused = [
        (soumu_ka.id, Some(zaisei.id)),
        (soumu_ka.id, None),
        (soumu_kyoku.id, Some(shomu.id)),
        (soumu_ka.id, Some(soumu_ka.id)),
    ];
    for (department, parent) in refused {
        let result = org::move_department(pool, department, parent, "admin", NOW).await;
        assert!(
            matches!(result, Err(DepartmentError::Placement(_))),
            "{department:?} under {parent:?}: {result:?}"
        );
    }
    assert!(matches!(
        org::move_department(pool, soumu_kyoku.id, Some(shomu.id), "admin", NOW).await,
        Err(DepartmentError::Placement(PlacementProblem::UnderItself))
    ));
    assert!(matches!(
        org::move_department(pool, soumu_ka.id, Some(DepartmentId(999_999)), "admin", NOW).await,
        Err(DepartmentError::UnknownParent)
    ));
    assert_eq!(org::departments(pool).await.unwrap(), before);
}

async fn abolishing_moves_staff_and_keeps_history(pool: &AnyPool) {
    org::insert_city(pool, &demo_city()).await.unwrap();
    let kouhou = by_name(pool, "広報係").await;
    let kouchou = by_name(pool, "広聴係").await;
    let members: Vec<StaffId> = org::department_members(pool, kouhou.id)
        .await
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect();
    assert!(members.len() >= 2, "広報係 has {members:?}");
    // One member retired: they stay where they were, as history.
    let retired = members[0];
    sqlx::query("UPDATE staff SET retired = 1 WHERE id = $1")
        .bind(retired)
        .execute(pool)
        .await
        .unwrap();
    // 山田 also works in 広報係; 佐藤 works in both 係.
    let (yamada, sato) = (staff(pool, "yamada").await, staff(pool, "sato").await);
    let post = |department: DepartmentId| Post {
        department_id: department,
        position: "兼務".into(),
    };
    let mut conn = pool.acquire().await.unwrap();
    org::set_posts(&mut conn, yamada, &[post(kouhou.id)])
        .await
        .unwrap();
    org::set_posts(&mut conn, sato, &[post(kouhou.id), post(kouchou.id)])
        .await
        .unwrap();
    drop(conn);

    let done = org::abolish_department(pool, kouhou.id, Some(kouchou.id), "admin", NOW)
        .await
        .unwrap();
    assert_eq!(
        (done.moved_staff, done.moved_posts),
        (i64::try_from(members.len() - 1).unwrap(), 2)
    );

    for id in &members[1..] {
        let person = org::find_staff(pool, *id).await.unwrap().unwrap();
        assert_eq!(person.department_id, kouchou.id, "{}", person.login);
    }
    let old = org::find_staff(pool, retired).await.unwrap().unwrap();
    assert_eq!(
        (old.department_id, old.employment),
        (kouhou.id, Employment::Retired)
    );
    let departments_of = |posts: Vec<Post>| -> Vec<DepartmentId> {
        posts.into_iter().map(|p| p.department_id).collect()
    };
    assert_eq!(
        departments_of(org::posts_of(pool, yamada).await.unwrap()),
        [kouchou.id]
    );
    assert_eq!(
        departments_of(org::posts_of(pool, sato).await.unwrap()),
        [kouchou.id]
    );

    // Gone from what is offered, kept for history.
    assert!(
        org::departments(pool)
            .await
            .unwrap()
            .iter()
            .all(|d| d.id != kouhou.id)
    );
    let abolished = org::abolished_departments(pool).await.unwrap();
    assert_eq!(abolished.len(), 1);
    assert_eq!(abolished[0].id, kouhou.id);
    assert_eq!(abolished[0].abolished_at, Some(NOW));
    assert_eq!(
        org::department_path(pool, kouhou.id).await.unwrap(),
        ["総務局", "行政経営部", "広報課", "広報係"]
    );
    let current = app::org::import::store::current(pool).await.unwrap();
    assert!(!current.departments.contains_key(&kouhou.code));
    assert!(current.departments.contains_key(&kouchou.code));

    // An abolished department changes no more and takes no one new.
    assert!(matches!(
        org::abolish_department(pool, kouhou.id, None, "admin", NOW).await,
        Err(DepartmentError::Abolished)
    ));
    assert!(matches!(
        org::update_department(pool, kouhou.id, "新広報係", 1).await,
        Err(DepartmentError::Abolished)
    ));
    assert!(matches!(
        org::add_department(pool, "X1", "班", Some(kouhou.id), 1).await,
        Err(DepartmentError::UnknownParent)
    ));
    assert!(matches!(
        org::move_department(pool, kouchou.id, Some(kouhou.id), "admin", NOW).await,
        Err(DepartmentError::Placement(
            PlacementProblem::ParentAbolished
        ))
    ));
    assert!(matches!(
        org::abolish_department(pool, kouchou.id, Some(kouhou.id), "admin", NOW).await,
        Err(DepartmentError::BadTarget)
    ));
}

async fn staff_or_sub_departments_block_abolition(pool: &AnyPool) {
    org::insert_city(pool, &demo_city()).await.unwrap();
    let kouhou_ka = by_name(pool, "広報課").await;
    let kouhou = by_name(pool, "広報係").await;
    assert!(matches!(
        org::abolish_department(pool, kouhou_ka.id, Some(kouhou.id), "admin", NOW).await,
        Err(DepartmentError::HasSubDepartments)
    ));
    let members = org::department_members(pool, kouhou.id).await.unwrap();
    let refused = org::abolish_department(pool, kouhou.id, None, "admin", NOW).await;
    assert!(
        matches!(refused, Err(DepartmentError::HasStaff(n)) if n == i64::try_from(members.len()).unwrap()),
        "{refused:?}"
    );
    for target in [Some(kouhou.id), Some(DepartmentId(999_999))] {
        assert!(matches!(
            org::abolish_department(pool, kouhou.id, target, "admin", NOW).await,
            Err(DepartmentError::BadTarget)
        ));
    }
    // Nothing was written by the refusals.
    assert_eq!(
        org::department_members(pool, kouhou.id).await.unwrap(),
        members
    );
    assert!(org::abolished_departments(pool).await.unwrap().is_empty());
}
