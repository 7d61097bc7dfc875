//! The whereabouts and memo stores, one suite run on SQLite and on the harness's PostgreSQL:
//! statuses set by hand, the current schedule event behind a derived status, and memos from
//! leaving to handled.

use app::memo::model::{NewMemo, Request};
use app::memo::store as memos;
use app::org::model::StaffId;
use app::org::store::{find_staff_by_login, insert_city};
use app::schedule::form::EventDraft;
use app::schedule::model::{Certainty, TimeRange, Visibility};
use app::whereabouts::model::{HandStatus, Presence, Source, shown};
use app::whereabouts::store as board;
use app::whereabouts::texts::JA;
use sqlx::AnyPool;
use time::{Duration, OffsetDateTime};

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
                        concat!("app_wm_", stringify!($test)),
                    )
                    .await;
                    super::$test(&db.pool).await;
                }
            )*
        }
    };
}

on_sqlite_and_postgres!(
    a_status_set_by_hand_is_kept_replaced_and_cleared,
    the_current_event_is_found_through_the_schedule,
    a_memo_is_left_read_and_handled_by_its_recipient_only,
);

async fn people(pool: &AnyPool) -> (StaffId, StaffId) {
    insert_city(pool, &app::org::seed::demo_city())
        .await
        .unwrap();
    let yamada = find_staff_by_login(pool, "yamada").await.unwrap().unwrap();
    let sato = find_staff_by_login(pool, "sato").await.unwrap().unwrap();
    (yamada.id, sato.id)
}

/// Now, to the second (the database keeps whole seconds).
fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc().replace_nanosecond(0).unwrap()
}

async fn a_status_set_by_hand_is_kept_replaced_and_cleared(pool: &AnyPool) {
    let (yamada, sato) = people(pool).await;
    let at = now();
    let out = HandStatus {
        presence: Presence::Out,
        comment: "北区役所へ".into(),
        returns_at: Some(at + Duration::hours(2)),
        set_at: at,
        set_by: sato,
    };
    board::set_status(pool, yamada, &out).await.unwrap();
    let found = board::hand_statuses(pool, &[yamada, sato]).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[&yamada], out);

    let home = HandStatus {
        presence: Presence::Home,
        comment: String::new(),
        returns_at: None,
        set_at: at + Duration::minutes(5),
        set_by: yamada,
    };
    board::set_status(pool, yamada, &home).await.unwrap();
    assert_eq!(
        board::hand_statuses(pool, &[yamada]).await.unwrap()[&yamada],
        home
    );
    board::clear_status(pool, yamada).await.unwrap();
    assert!(
        board::hand_statuses(pool, &[yamada])
            .await
            .unwrap()
            .is_empty()
    );
    assert!(board::hand_statuses(pool, &[]).await.unwrap().is_empty());
}

async fn the_current_event_is_found_through_the_schedule(pool: &AnyPool) {
    let (yamada, sato) = people(pool).await;
    let at = now();
    let draft = |title: &str, start, end, visibility, participants: Vec<StaffId>| EventDraft {
        title: title.into(),
        place: String::new(),
        memo: String::new(),
        span: TimeRange::new(start, end).unwrap(),
        all_day: false,
        certainty: Certainty::Confirmed,
        visibility,
        rule: None,
        participants,
        facilities: vec![],
    };
    let meeting = draft(
        "課内会議",
        at - Duration::minutes(30),
        at + Duration::minutes(30),
        Visibility::Public,
        vec![yamada, sato],
    );
    app::schedule::store::create_event(pool, &meeting, yamada, at)
        .await
        .unwrap();
    let later = draft(
        "出張",
        at - Duration::minutes(10),
        at + Duration::hours(3),
        Visibility::Private,
        vec![sato],
    );
    app::schedule::store::create_event(pool, &later, sato, at)
        .await
        .unwrap();
    let past = draft(
        "朝会",
        at - Duration::hours(3),
        at - Duration::hours(2),
        Visibility::Public,
        vec![yamada],
    );
    app::schedule::store::create_event(pool, &past, yamada, at)
        .await
        .unwrap();

    let current = board::current_events(pool, &[yamada, sato], at)
        .await
        .unwrap();
    let yamada_now = &current[&yamada];
    assert_eq!(yamada_now.title.as_deref(), Some("課内会議"));
    assert_eq!(yamada_now.end, at + Duration::minutes(30));
    // 佐藤 is in both; the one that began last is shown, and it is private.
    let sato_now = &current[&sato];
    assert_eq!(sato_now.title, None);
    assert_eq!(sato_now.start, at - Duration::minutes(10));

    // 山田 said 在席 before the meeting began: the meeting shows.
    let before = HandStatus {
        presence: Presence::Present,
        comment: String::new(),
        returns_at: None,
        set_at: at - Duration::minutes(45),
        set_by: yamada,
    };
    let seen = shown(Some(&before), Some(yamada_now), at, &JA).unwrap();
    assert_eq!(
        (seen.presence, seen.source),
        (Presence::Meeting, Source::Schedule)
    );
    let after = board::current_events(pool, &[yamada], at + Duration::hours(1))
        .await
        .unwrap();
    assert!(after.is_empty(), "nothing on after the meeting: {after:?}");
}

async fn a_memo_is_left_read_and_handled_by_its_recipient_only(pool: &AnyPool) {
    let (yamada, sato) = people(pool).await;
    let at = now();
    let memo = NewMemo {
        recipient: yamada,
        caller_name: "田中".into(),
        caller_org: "北区役所 保険年金課".into(),
        callback: "078-322-5111".into(),
        request: Request::CallBack,
        message: "国保の件".into(),
    };
    let first = memos::insert(pool, &memo, sato, at).await.unwrap();
    let second = memos::insert(pool, &memo, sato, at + Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!(memos::unread_count(pool, yamada).await.unwrap(), 2);
    assert_eq!(memos::unread_count(pool, sato).await.unwrap(), 0);
    let inbox = memos::inbox(pool, yamada, false, 10).await.unwrap();
    assert_eq!(
        inbox.iter().map(|m| m.id).collect::<Vec<_>>(),
        [second, first],
        "newest first"
    );
    assert_eq!(inbox[1].author_name, "佐藤 花子");
    assert_eq!(inbox[1].callback, "078-322-5111");
    assert_eq!(memos::sent(pool, sato, 10).await.unwrap().len(), 2);

    // Only the recipient's reading counts.
    memos::mark_read(pool, first, sato, at).await.unwrap();
    assert_eq!(memos::unread_count(pool, yamada).await.unwrap(), 2);
    memos::mark_read(pool, first, yamada, at).await.unwrap();
    assert_eq!(memos::unread_count(pool, yamada).await.unwrap(), 1);
    assert_eq!(
        memos::unread(pool, yamada, 5)
            .await
            .unwrap()
            .iter()
            .map(|m| m.id)
            .collect::<Vec<_>>(),
        [second]
    );

    assert!(!memos::mark_done(pool, second, sato, at).await.unwrap());
    assert!(memos::mark_done(pool, second, yamada, at).await.unwrap());
    assert!(
        !memos::mark_done(pool, second, yamada, at).await.unwrap(),
        "once"
    );
    let handled = memos::memo(pool, second).await.unwrap().unwrap();
    assert!(handled.done_at.is_some() && handled.read_at.is_some());
    assert_eq!(memos::unread_count(pool, yamada).await.unwrap(), 0);
    assert_eq!(
        memos::inbox(pool, yamada, false, 10).await.unwrap().len(),
        1
    );
    assert_eq!(memos::inbox(pool, yamada, true, 10).await.unwrap().len(), 2);
}
