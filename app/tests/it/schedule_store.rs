//! The schedule store and the organisation's administration store, one suite run on SQLite
//! and on the harness's PostgreSQL.

use app::org::model::{DepartmentId, GrantKind, Module, Role, Scope, StaffId};
use app::org::seed::demo_city;
use app::org::store::{self as org, Grant};
use app::schedule::form::EventForm;
use app::schedule::model::{EventId, TimeRange, local};
use app::schedule::seed::store::{BulkEvent, insert_bulk};
use app::schedule::store::{self, Agenda, SaveError};
use sqlx::AnyPool;
use time::macros::{date, datetime};
use time::{Date, OffsetDateTime};

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
                        concat!("sched_", stringify!($test)),
                    )
                    .await;
                    super::$test(&db.pool).await;
                }
            )*
        }
    };
}

on_sqlite_and_postgres!(
    an_event_is_saved_and_shows_in_its_participants_agenda,
    the_agenda_finds_series_and_long_events_begun_earlier,
    one_occurrence_can_be_deleted_or_changed_alone,
    this_and_following_splits_a_series,
    a_retired_participant_refuses_the_whole_event,
    feed_tokens_replace_each_other_and_retirement_ends_them,
    delegates_are_replaced_as_a_whole,
    bulk_loaded_events_leave_ids_free_for_new_ones,
    a_moved_series_keeps_its_exceptions,
    function_administrators_have_their_granted_scope,
);

const NOW: OffsetDateTime = datetime!(2025-12-01 09:00 +9);

async fn city(pool: &AnyPool) -> (StaffId, StaffId, StaffId) {
    org::insert_city(pool, &demo_city()).await.unwrap();
    let id = |login: &'static str| async move {
        org::find_staff_by_login(pool, login)
            .await
            .unwrap()
            .unwrap()
            .id
    };
    (id("yamada").await, id("sato").await, id("admin").await)
}

fn form(title: &str, date: &str, start: &str, end: &str, people: &[StaffId]) -> EventForm {
    EventForm {
        title: title.into(),
        start_date: date.into(),
        start_time: start.into(),
        end_date: date.into(),
        end_time: end.into(),
        repeat: "none".into(),
        participants: people.iter().map(|p| p.0.to_string()).collect(),
        ..EventForm::default()
    }
}

fn days(first: Date, last: Date) -> TimeRange {
    TimeRange::local_days(first, last).unwrap()
}

/// Titles of `who`'s occurrences in `window`, with their local start, in time order.
fn seen(agenda: &Agenda, who: StaffId, window: &TimeRange) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (staff, event) in &agenda.attendance {
        if *staff != who {
            continue;
        }
        let event = &agenda.events[event];
        let exdates = agenda.exdates.get(&event.id).cloned().unwrap_or_default();
        for span in event.occurrences(window, &exdates) {
            out.push((local(span.start()).to_string(), event.title.clone()));
        }
    }
    out.sort();
    out
}

async fn an_event_is_saved_and_shows_in_its_participants_agenda(pool: &AnyPool) {
    let (yamada, sato, admin) = city(pool).await;
    let draft = form(
        "予算ヒアリング",
        "2025-12-09",
        "10:00",
        "11:00",
        &[yamada, sato],
    )
    .parse()
    .unwrap();
    let id = store::create_event(pool, &draft, yamada, NOW)
        .await
        .unwrap();
    let event = store::event(pool, id).await.unwrap().unwrap();
    assert_eq!(event.title, "予算ヒアリング");
    assert_eq!(event.created_by, yamada);
    let mut expected = vec![yamada, sato];
    expected.sort();
    assert_eq!(event.participants, expected);

    let week = days(date!(2025 - 12 - 07), date!(2025 - 12 - 13));
    let agenda = store::agenda(pool, &[yamada, sato, admin], &week)
        .await
        .unwrap();
    assert_eq!(
        seen(&agenda, sato, &week),
        [("2025-12-09 10:00:00.0".into(), "予算ヒアリング".into())]
    );
    assert!(seen(&agenda, admin, &week).is_empty());
    let next_week = days(date!(2025 - 12 - 14), date!(2025 - 12 - 20));
    let later = store::agenda(pool, &[yamada], &next_week).await.unwrap();
    assert!(later.attendance.is_empty());
    assert_eq!(store::count_events(pool).await.unwrap(), 1);
}

async fn the_agenda_finds_series_and_long_events_begun_earlier(pool: &AnyPool) {
    let (yamada, _, _) = city(pool).await;
    let mut weekly = form("課内会議", "2025-10-07", "09:30", "10:00", &[yamada]);
    weekly.repeat = "weekly".into();
    store::create_event(pool, &weekly.parse().unwrap(), yamada, NOW)
        .await
        .unwrap();
    let mut trip = form("長期研修", "2025-11-20", "09:00", "17:00", &[yamada]);
    trip.end_date = "2025-12-10".into();
    store::create_event(pool, &trip.parse().unwrap(), yamada, NOW)
        .await
        .unwrap();
    let mut ended = form("終わった連載", "2025-01-06", "13:00", "14:00", &[yamada]);
    ended.repeat = "weekly".into();
    ended.ends = "count".into();
    ended.count = "3".into();
    store::create_event(pool, &ended.parse().unwrap(), yamada, NOW)
        .await
        .unwrap();

    let week = days(date!(2025 - 12 - 07), date!(2025 - 12 - 13));
    let agenda = store::agenda(pool, &[yamada], &week).await.unwrap();
    assert_eq!(
        seen(&agenda, yamada, &week),
        [
            ("2025-11-20 9:00:00.0".into(), "長期研修".into()),
            ("2025-12-09 9:30:00.0".into(), "課内会議".into()),
        ]
    );
}

async fn one_occurrence_can_be_deleted_or_changed_alone(pool: &AnyPool) {
    let (yamada, sato, _) = city(pool).await;
    let mut daily = form("朝礼", "2025-12-08", "08:30", "08:45", &[yamada]);
    daily.repeat = "daily".into();
    daily.ends = "count".into();
    daily.count = "5".into();
    let series = store::create_event(pool, &daily.parse().unwrap(), yamada, NOW)
        .await
        .unwrap();

    store::delete_occurrence(pool, series, datetime!(2025-12-09 08:30 +9))
        .await
        .unwrap();
    assert!(matches!(
        store::delete_occurrence(pool, series, datetime!(2025-12-09 08:31 +9)).await,
        Err(SaveError::NoSuchOccurrence(_))
    ));

    let moved = form(
        "朝礼（時間変更）",
        "2025-12-10",
        "09:00",
        "09:15",
        &[yamada, sato],
    )
    .parse()
    .unwrap();
    let mut tx = pool.begin().await.unwrap();
    let copy = store::detach_occurrence_in(
        &mut tx,
        series,
        datetime!(2025-12-10 08:30 +9),
        &moved,
        yamada,
        NOW,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let week = days(date!(2025 - 12 - 07), date!(2025 - 12 - 13));
    let agenda = store::agenda(pool, &[yamada, sato], &week).await.unwrap();
    assert_eq!(
        seen(&agenda, yamada, &week),
        [
            ("2025-12-08 8:30:00.0".into(), "朝礼".into()),
            ("2025-12-10 9:00:00.0".into(), "朝礼（時間変更）".into()),
            ("2025-12-11 8:30:00.0".into(), "朝礼".into()),
            ("2025-12-12 8:30:00.0".into(), "朝礼".into()),
        ]
    );
    assert_eq!(seen(&agenda, sato, &week).len(), 1);
    let detached = store::event(pool, copy)
        .await
        .unwrap()
        .unwrap()
        .detached
        .unwrap();
    assert_eq!(
        (detached.series, detached.original_start),
        (series, datetime!(2025-12-10 08:30 +9))
    );

    // Deleting the series takes its changed occurrence with it.
    store::delete_event(pool, series).await.unwrap();
    assert!(store::event(pool, copy).await.unwrap().is_none());
    assert_eq!(store::count_events(pool).await.unwrap(), 0);
}

async fn this_and_following_splits_a_series(pool: &AnyPool) {
    let (yamada, _, _) = city(pool).await;
    let mut weekly = form("定例", "2025-12-01", "10:00", "11:00", &[yamada]);
    weekly.repeat = "weekly".into();
    let series = store::create_event(pool, &weekly.parse().unwrap(), yamada, NOW)
        .await
        .unwrap();
    store::delete_occurrence(pool, series, datetime!(2025-12-22 10:00 +9))
        .await
        .unwrap();

    let mut tx = pool.begin().await.unwrap();
    assert!(
        store::end_series_before_in(&mut tx, series, datetime!(2025-12-15 10:00 +9), yamada, NOW)
            .await
            .unwrap()
    );
    let mut later = form("定例（午後）", "2025-12-15", "14:00", "15:00", &[yamada]);
    later.repeat = "weekly".into();
    store::create_event_in(&mut tx, &later.parse().unwrap(), yamada, NOW, None)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let window = days(date!(2025 - 11 - 30), date!(2025 - 12 - 27));
    let agenda = store::agenda(pool, &[yamada], &window).await.unwrap();
    let titles: Vec<String> = seen(&agenda, yamada, &window)
        .into_iter()
        .map(|(at, t)| format!("{at} {t}"))
        .collect();
    assert_eq!(
        titles,
        [
            "2025-12-01 10:00:00.0 定例",
            "2025-12-08 10:00:00.0 定例",
            "2025-12-15 14:00:00.0 定例（午後）",
            "2025-12-22 14:00:00.0 定例（午後）",
        ]
    );
    // Cutting at the first occurrence deletes the series.
    let mut tx = pool.begin().await.unwrap();
    assert!(
        !store::end_series_before_in(&mut tx, series, datetime!(2025-12-01 10:00 +9), yamada, NOW)
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    assert!(store::event(pool, series).await.unwrap().is_none());
}

async fn a_retired_participant_refuses_the_whole_event(pool: &AnyPool) {
    let (yamada, sato, _) = city(pool).await;
    sqlx::query("UPDATE staff SET retired = 1 WHERE id = $1")
        .bind(sato)
        .execute(pool)
        .await
        .unwrap();
    let draft = form("送別会", "2025-12-09", "18:00", "20:00", &[yamada, sato])
        .parse()
        .unwrap();
    assert!(matches!(
        store::create_event(pool, &draft, yamada, NOW).await,
        Err(SaveError::UnknownParticipant(who)) if who == sato
    ));
    let ghost = form("幽霊", "2025-12-09", "18:00", "20:00", &[StaffId(999_999)])
        .parse()
        .unwrap();
    assert!(
        store::create_event(pool, &ghost, yamada, NOW)
            .await
            .is_err()
    );
    assert_eq!(store::count_events(pool).await.unwrap(), 0);
}

async fn feed_tokens_replace_each_other_and_retirement_ends_them(pool: &AnyPool) {
    let (yamada, sato, _) = city(pool).await;
    store::set_feed_token(pool, yamada, "hash-one", NOW)
        .await
        .unwrap();
    assert_eq!(
        store::staff_by_feed_token(pool, "hash-one").await.unwrap(),
        Some(yamada)
    );
    store::set_feed_token(pool, yamada, "hash-two", NOW)
        .await
        .unwrap();
    assert_eq!(
        store::staff_by_feed_token(pool, "hash-one").await.unwrap(),
        None
    );
    assert_eq!(
        store::staff_by_feed_token(pool, "hash-two").await.unwrap(),
        Some(yamada)
    );
    assert_eq!(
        store::feed_token_created(pool, yamada).await.unwrap(),
        Some(NOW)
    );
    store::set_feed_token(pool, sato, "hash-sato", NOW)
        .await
        .unwrap();
    sqlx::query("UPDATE staff SET retired = 1 WHERE id = $1")
        .bind(sato)
        .execute(pool)
        .await
        .unwrap();
    assert_eq!(
        store::staff_by_feed_token(pool, "hash-sato").await.unwrap(),
        None
    );
    store::delete_feed_token(pool, yamada).await.unwrap();
    assert_eq!(
        store::staff_by_feed_token(pool, "hash-two").await.unwrap(),
        None
    );
}

async fn delegates_are_replaced_as_a_whole(pool: &AnyPool) {
    let (yamada, sato, admin) = city(pool).await;
    store::set_delegates(pool, sato, &[yamada, admin, sato])
        .await
        .unwrap();
    let mut both = vec![yamada, admin];
    both.sort();
    assert_eq!(store::delegates_of(pool, sato).await.unwrap(), both);
    assert_eq!(store::delegating_to(pool, yamada).await.unwrap(), [sato]);
    store::set_delegates(pool, sato, &[admin]).await.unwrap();
    assert!(store::delegating_to(pool, yamada).await.unwrap().is_empty());
}

async fn bulk_loaded_events_leave_ids_free_for_new_ones(pool: &AnyPool) {
    let (yamada, sato, _) = city(pool).await;
    let bulk: Vec<BulkEvent> = (0..1_000)
        .map(|i| BulkEvent {
            draft: form(
                &format!("生成{i}"),
                "2025-12-09",
                "10:00",
                "11:00",
                &[yamada, sato],
            )
            .parse()
            .unwrap(),
            created_by: yamada,
        })
        .collect();
    assert_eq!(insert_bulk(pool, &bulk, NOW).await.unwrap(), 1_000);
    let id = store::create_event(
        pool,
        &form("手入力", "2025-12-09", "13:00", "14:00", &[sato])
            .parse()
            .unwrap(),
        sato,
        NOW,
    )
    .await
    .unwrap();
    assert!(id > EventId(1_000));
    let day = days(date!(2025 - 12 - 09), date!(2025 - 12 - 09));
    let agenda = store::agenda(pool, &[sato], &day).await.unwrap();
    assert_eq!(agenda.events.len(), 1_001);
}

async fn function_administrators_have_their_granted_scope(pool: &AnyPool) {
    let (yamada, sato, admin) = city(pool).await;
    let yamada_dept = org::find_staff(pool, yamada)
        .await
        .unwrap()
        .unwrap()
        .department_id;
    let sato_dept = org::find_staff(pool, sato)
        .await
        .unwrap()
        .unwrap()
        .department_id;
    let tree = org::department_tree(pool).await.unwrap();
    assert_eq!(
        org::admin_scope(pool, yamada, Module::Facility)
            .await
            .unwrap(),
        Scope::Nothing
    );

    let own = Grant {
        kind: GrantKind::Own,
        departments: vec![],
    };
    org::grant_function_admin(pool, yamada, Module::Facility, &own)
        .await
        .unwrap();
    assert_eq!(
        org::admin_scope(pool, yamada, Module::Facility)
            .await
            .unwrap(),
        Scope::Departments(vec![yamada_dept])
    );
    assert!(
        org::admin_covers(pool, yamada, Module::Facility, yamada_dept)
            .await
            .unwrap()
    );
    assert!(
        !org::admin_covers(pool, yamada, Module::Facility, sato_dept)
            .await
            .unwrap()
    );
    assert!(
        !org::admin_covers(pool, yamada, Module::Schedule, yamada_dept)
            .await
            .unwrap()
    );

    // Selected departments cover everything under them: sato's 局 covers sato's 課.
    let sato_kyoku = org::departments(pool)
        .await
        .unwrap()
        .into_iter()
        .find(|d| tree.is_within(sato_dept, d.id) && d.parent_id.is_none())
        .unwrap();
    let selected = Grant {
        kind: GrantKind::Selected,
        departments: vec![sato_kyoku.id],
    };
    org::grant_function_admin(pool, yamada, Module::Facility, &selected)
        .await
        .unwrap();
    assert_eq!(
        org::function_admin_grant(pool, yamada, Module::Facility)
            .await
            .unwrap(),
        Some(selected)
    );
    assert!(
        org::admin_covers(pool, yamada, Module::Facility, sato_dept)
            .await
            .unwrap()
    );
    assert!(
        !org::admin_covers(pool, yamada, Module::Facility, yamada_dept)
            .await
            .unwrap()
    );
    assert_eq!(org::function_admins(pool).await.unwrap().len(), 1);

    org::grant_role(pool, admin, Role::SystemAdmin)
        .await
        .unwrap();
    org::grant_role(pool, admin, Role::SystemAdmin)
        .await
        .unwrap();
    assert_eq!(
        org::admin_scope(pool, admin, Module::Chat).await.unwrap(),
        Scope::All
    );

    sqlx::query("UPDATE staff SET retired = 1 WHERE id = $1")
        .bind(yamada)
        .execute(pool)
        .await
        .unwrap();
    assert_eq!(
        org::admin_scope(pool, yamada, Module::Facility)
            .await
            .unwrap(),
        Scope::Nothing
    );
    org::revoke_function_admin(pool, yamada, Module::Facility)
        .await
        .unwrap();
    assert!(org::function_admins(pool).await.unwrap().is_empty());
    assert!(
        !org::admin_covers(pool, StaffId(-5), Module::Facility, DepartmentId(1))
            .await
            .unwrap()
    );
}

async fn a_moved_series_keeps_its_exceptions(pool: &AnyPool) {
    let (yamada, _, _) = city(pool).await;
    let mut weekly = form("定例", "2025-12-01", "10:00", "11:00", &[yamada]);
    weekly.repeat = "weekly".into();
    weekly.ends = "count".into();
    weekly.count = "3".into();
    let series = store::create_event(pool, &weekly.parse().unwrap(), yamada, NOW)
        .await
        .unwrap();
    store::delete_occurrence(pool, series, datetime!(2025-12-08 10:00 +9))
        .await
        .unwrap();
    // The whole series moves an hour later.
    let mut later = weekly.clone();
    later.start_time = "11:00".into();
    later.end_time = "12:00".into();
    let mut tx = pool.begin().await.unwrap();
    store::update_event_in(&mut tx, series, &later.parse().unwrap(), yamada, NOW)
        .await
        .unwrap();
    store::shift_exceptions_in(&mut tx, series, time::Duration::hours(1))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let window = days(date!(2025 - 11 - 30), date!(2025 - 12 - 20));
    let agenda = store::agenda(pool, &[yamada], &window).await.unwrap();
    let starts: Vec<String> = seen(&agenda, yamada, &window)
        .into_iter()
        .map(|(at, _)| at)
        .collect();
    assert_eq!(starts, ["2025-12-01 11:00:00.0", "2025-12-15 11:00:00.0"]);
}
