//! Events through the form and on the calendars: the day, week and month views, the
//! department grid and the portal; the form's refusals (CSRF, bad input); who may change an
//! event; deleting one occurrence of a series; adding people from any department; and staff
//! who are retired or unknown.

use app::org::model::{GrantKind, Module};
use app::org::store::{self as org, Grant};
use app::schedule::store as schedule;
use axum::http::StatusCode;

use super::{TestApp, event_id, meeting};

#[tokio::test]
async fn an_event_created_through_the_form_shows_on_both_participants_calendars() {
    let app = TestApp::new().await;
    let yamada = app.id("yamada").await.to_string();
    let sato = app.id("sato").await.to_string();
    let created = app
        .create("yamada", &meeting("予算ヒアリング", &[&yamada, &sato]))
        .await;
    let id = event_id(&created);

    let week = app.get("sato", "/schedule?view=week&date=2025-11-25").await;
    assert_eq!(week.status, StatusCode::OK);
    assert!(week.body.contains("予算ヒアリング"), "{}", week.body);
    assert!(week.body.contains("10:00〜11:00"));
    // The Monday of that week is a substitute holiday.
    assert!(week.body.contains("振替休日"));
    for view in ["day", "month"] {
        let page = app
            .get("yamada", &format!("/schedule?view={view}&date=2025-11-25"))
            .await;
        assert!(page.body.contains("予算ヒアリング"), "{view}");
    }
    let shown = app.get("sato", &format!("/schedule/events/{id}")).await;
    assert!(
        shown.body.contains("山田 太郎") && shown.body.contains("佐藤 花子"),
        "{}",
        shown.body
    );
    assert!(shown.body.contains(&format!("/schedule/events/{id}/edit")));
    let english = app
        .get("sato", "/schedule?view=week&date=2025-11-25&lang=en")
        .await;
    assert!(english.body.contains("New event"));
}

#[tokio::test]
async fn a_form_without_the_csrf_token_is_refused_and_saves_nothing() {
    let app = TestApp::new().await;
    let yamada = app.id("yamada").await.to_string();
    let mut fields = meeting("偽装", &[&yamada]);
    fields.push(("action", "save"));
    for csrf in [None, Some("wrong-token")] {
        let mut sent = fields.clone();
        if let Some(token) = csrf {
            sent.push(("csrf", token));
        }
        let reply = app.post("yamada", "/schedule/events", &sent).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN);
        assert!(reply.body.contains("再読み込み"));
    }
    assert_eq!(schedule::count_events(&app.db.pool).await.unwrap(), 0);
}

#[tokio::test]
async fn a_bad_form_comes_back_as_typed_with_japanese_messages_and_saves_nothing() {
    let app = TestApp::new().await;
    let yamada = app.id("yamada").await.to_string();
    let mut fields = meeting("<b>逆転</b>", &[&yamada]);
    fields.retain(|(n, _)| *n != "end_time");
    fields.push(("end_time", "09:00"));
    let reply = app.create("yamada", &fields).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        reply.body.contains("終了は開始より後にしてください。"),
        "{}",
        reply.body
    );
    assert!(
        reply.body.contains("逆転") && !reply.body.contains("<b>逆転"),
        "typed title kept and escaped"
    );
    let nobody = app.create("yamada", &meeting("無人", &[])).await;
    assert!(nobody.body.contains("参加者を1人以上選んでください。"));
    assert_eq!(schedule::count_events(&app.db.pool).await.unwrap(), 0);
}

#[tokio::test]
async fn the_department_grid_shows_every_member_and_private_events_only_as_busy() {
    let app = TestApp::new().await;
    let sato_id = app.id("sato").await;
    let sato = sato_id.to_string();
    let admin = app.id("admin").await.to_string();
    let mut private = meeting("人事面談", &[&sato, &admin]);
    private.push(("private", "1"));
    let id = event_id(&app.create("sato", &private).await);
    let page = app.get("yamada", &format!("/schedule/events/{id}")).await;
    assert!(
        page.body.contains("予定あり") && !page.body.contains("人事面談"),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("システム管理者"),
        "a private event's participants leaked"
    );
    let dept = org::find_staff(&app.db.pool, sato_id)
        .await
        .unwrap()
        .unwrap()
        .department_id;
    let members = org::department_members(&app.db.pool, dept).await.unwrap();
    assert!(members.len() > 1);

    let grid = app
        .get(
            "yamada",
            &format!("/schedule/group?department={dept}&date=2025-11-25"),
        )
        .await;
    assert_eq!(grid.status, StatusCode::OK);
    for member in &members {
        assert!(grid.body.contains(&member.name), "{} missing", member.name);
    }
    assert!(grid.body.contains("予定あり"));
    assert!(!grid.body.contains("人事面談"), "a private title leaked");
    let own = app
        .get(
            "sato",
            &format!("/schedule/group?department={dept}&date=2025-11-25"),
        )
        .await;
    assert!(own.body.contains("人事面談"));
    let day = app
        .get(
            "yamada",
            &format!("/schedule/group?department={dept}&date=2025-11-25&view=day"),
        )
        .await;
    assert_eq!(day.status, StatusCode::OK);
}

#[tokio::test]
async fn only_participants_delegates_and_admins_in_scope_may_change_an_event() {
    let app = TestApp::new().await;
    let sato_id = app.id("sato").await;
    let sato = sato_id.to_string();
    let id = event_id(&app.create("sato", &meeting("課長会議", &[&sato])).await);
    let edit = format!("/schedule/events/{id}/edit");
    let mut change = vec![("csrf", "csrf-token-123"), ("action", "save")];
    change.extend(meeting("課長会議（変更）", &[&sato]));

    assert_eq!(app.get("yamada", &edit).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.post("yamada", &edit, &change).await.status,
        StatusCode::FORBIDDEN
    );
    let delete = [("csrf", "csrf-token-123"), ("scope", "all")];
    assert_eq!(
        app.post("yamada", &format!("/schedule/events/{id}/delete"), &delete)
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    // A schedule administrator of another department is still refused; of sato's, allowed.
    let yamada_id = app.id("yamada").await;
    org::grant_function_admin(
        &app.db.pool,
        yamada_id,
        Module::Schedule,
        &Grant {
            kind: GrantKind::Own,
            departments: vec![],
        },
    )
    .await
    .unwrap();
    assert_eq!(app.get("yamada", &edit).await.status, StatusCode::FORBIDDEN);
    let sato_dept = org::find_staff(&app.db.pool, sato_id)
        .await
        .unwrap()
        .unwrap()
        .department_id;
    org::grant_function_admin(
        &app.db.pool,
        yamada_id,
        Module::Schedule,
        &Grant {
            kind: GrantKind::Selected,
            departments: vec![sato_dept],
        },
    )
    .await
    .unwrap();
    assert_eq!(app.get("yamada", &edit).await.status, StatusCode::OK);

    // A delegate may too.
    let admin_id = app.id("admin").await;
    schedule::set_delegates(&app.db.pool, sato_id, &[admin_id])
        .await
        .unwrap();
    let changed = app.post("admin", &edit, &change).await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.body);
    let event = schedule::event(&app.db.pool, app::schedule::model::EventId(id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(event.title, "課長会議（変更）");
}

#[tokio::test]
async fn one_occurrence_of_a_series_is_deleted_alone() {
    let app = TestApp::new().await;
    let yamada = app.id("yamada").await.to_string();
    let mut weekly = meeting("係内ミーティング", &[&yamada]);
    weekly.retain(|(n, _)| *n != "repeat");
    weekly.extend([("repeat", "weekly"), ("ends", "count"), ("count", "4")]);
    let id = event_id(&app.create("yamada", &weekly).await);
    let second = time::macros::datetime!(2025-12-02 10:00 +9)
        .unix_timestamp()
        .to_string();
    let deleted = app
        .post(
            "yamada",
            &format!("/schedule/events/{id}/delete"),
            &[
                ("csrf", "csrf-token-123"),
                ("scope", "this"),
                ("at", &second),
            ],
        )
        .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER, "{}", deleted.body);
    let month = app
        .get("yamada", "/schedule?view=month&date=2025-12-01")
        .await;
    assert_eq!(
        month.body.matches("係内ミーティング").count(),
        2,
        "25 Nov is in the month view too; 2 Dec is gone"
    );
}

#[tokio::test]
async fn people_from_any_department_are_added_by_login_or_number() {
    let app = TestApp::new().await;
    let yamada = app.id("yamada").await.to_string();
    let sato = org::find_staff_by_login(&app.db.pool, "sato")
        .await
        .unwrap()
        .unwrap();
    let mut fields = vec![("csrf", "csrf-token-123"), ("action", "save")];
    fields.extend(meeting("部局間協議", &[&yamada]));
    fields.push(("add_people", "sato nobody"));
    let reply = app.post("yamada", "/schedule/events", &fields).await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "names are shown for a check, not saved"
    );
    assert!(reply.body.contains("佐藤 花子"), "{}", reply.body);
    assert!(
        reply
            .body
            .contains("「nobody」という在職中の職員は見つかりません。")
    );
    assert_eq!(schedule::count_events(&app.db.pool).await.unwrap(), 0);

    let number = sato.employee_no.clone();
    let delegates = app
        .post(
            "yamada",
            "/schedule/delegates",
            &[("csrf", "csrf-token-123"), ("add_people", &number)],
        )
        .await;
    assert_eq!(delegates.status, StatusCode::SEE_OTHER);
    let yamada_id = app.id("yamada").await;
    assert_eq!(
        schedule::delegates_of(&app.db.pool, yamada_id)
            .await
            .unwrap(),
        [sato.id]
    );
}

#[tokio::test]
async fn the_portal_lists_todays_events() {
    let app = TestApp::new().await;
    let yamada = app.id("yamada").await.to_string();
    let today = time::OffsetDateTime::now_utc()
        .to_offset(time::macros::offset!(+9))
        .date();
    let day = format!(
        "{:04}-{:02}-{:02}",
        today.year(),
        u8::from(today.month()),
        today.day()
    );
    let mut fields = meeting("朝の打合せ", &[&yamada]);
    fields.retain(|(n, _)| *n != "start_date" && *n != "end_date");
    fields.extend([("start_date", day.as_str()), ("end_date", day.as_str())]);
    event_id(&app.create("yamada", &fields).await);
    let portal = app.get("yamada", "/").await;
    assert_eq!(portal.status, StatusCode::OK);
    assert!(
        portal.body.contains("朝の打合せ") && portal.body.contains("10:00〜11:00"),
        "{}",
        portal.body
    );
    let other = app.get("sato", "/").await;
    assert!(!other.body.contains("朝の打合せ"));
}

#[tokio::test]
async fn retired_and_unknown_staff_are_refused_even_with_a_valid_assertion() {
    let app = TestApp::new().await;
    let sato = app.id("sato").await;
    sqlx::query("UPDATE staff SET retired = 1 WHERE id = $1")
        .bind(sato)
        .execute(&app.db.pool)
        .await
        .unwrap();
    for who in ["sato", "stranger"] {
        let reply = app.get(who, "/schedule").await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{who}");
        assert!(reply.body.contains("退職済み"));
    }
}
