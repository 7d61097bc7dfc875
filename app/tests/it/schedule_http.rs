//! The schedule over HTTP, without sockets: calendars, the event form and its refusals,
//! permissions, series exceptions, the free-slot search and the calendar feed.

use std::time::Duration;

use app::i18n::Lang;
use app::org::model::{GrantKind, Module, StaffId};
use app::org::store::{self as org, Grant};
use app::schedule::store as schedule;
use app::state::AppState;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt as _;
use sso::Claims;
use tower::ServiceExt as _;

use crate::support::{Keys, TestDb, claims, sqlite_db};

struct TestApp {
    keys: Keys,
    state: AppState,
    db: TestDb,
}

struct Reply {
    status: StatusCode,
    location: Option<String>,
    content_type: Option<String>,
    body: String,
}

impl TestApp {
    async fn new() -> TestApp {
        let db = sqlite_db().await;
        org::insert_city(&db.pool, &app::org::seed::demo_city())
            .await
            .unwrap();
        let keys = Keys::generate();
        let state = AppState::new(db.pool.clone(), keys.verifier(), Lang::Ja);
        TestApp { keys, state, db }
    }

    async fn id(&self, login: &str) -> StaffId {
        org::find_staff_by_login(&self.db.pool, login)
            .await
            .unwrap()
            .unwrap()
            .id
    }

    fn token(&self, who: &str) -> String {
        let claims: Claims = claims(who, who, None);
        self.keys
            .signer(Duration::from_secs(60))
            .sign(claims)
            .unwrap()
    }

    async fn send(&self, request: Request<Body>) -> Reply {
        let response = app::routes::router(self.state.clone())
            .oneshot(request)
            .await
            .unwrap();
        let status = response.status();
        let header = |name| {
            response
                .headers()
                .get(name)
                .map(|v: &header::HeaderValue| v.to_str().unwrap().to_owned())
        };
        let location = header(header::LOCATION);
        let content_type = header(header::CONTENT_TYPE);
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            location,
            content_type,
            body: String::from_utf8(bytes.to_vec()).unwrap(),
        }
    }

    async fn get(&self, who: &str, path: &str) -> Reply {
        let request = Request::get(path)
            .header(sso::assertion::HEADER, self.token(who))
            .body(Body::empty())
            .unwrap();
        self.send(request).await
    }

    async fn post(&self, who: &str, path: &str, fields: &[(&str, &str)]) -> Reply {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let request = Request::post(path)
            .header(sso::assertion::HEADER, self.token(who))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        self.send(request).await
    }

    /// Posts the event form as `who`, with the session's CSRF token.
    async fn create(&self, who: &str, fields: &[(&str, &str)]) -> Reply {
        let mut all = vec![("csrf", "csrf-token-123"), ("action", "save")];
        all.extend_from_slice(fields);
        self.post(who, "/schedule/events", &all).await
    }
}

fn meeting<'a>(title: &'a str, people: &[&'a str]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("title", title),
        ("start_date", "2025-11-25"),
        ("start_time", "10:00"),
        ("end_date", "2025-11-25"),
        ("end_time", "11:00"),
        ("repeat", "none"),
    ];
    fields.extend(people.iter().map(|p| ("participants", *p)));
    fields
}

/// The event id in a `/schedule/events/{id}?at=...` redirect.
fn event_id(reply: &Reply) -> i64 {
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let location = reply.location.as_deref().unwrap();
    location
        .trim_start_matches("/schedule/events/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

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
async fn the_free_slot_search_avoids_everyones_events() {
    let app = TestApp::new().await;
    let yamada = app.id("yamada").await.to_string();
    let sato = app.id("sato").await.to_string();
    let mut long = meeting("監査対応", &[&sato]);
    long.retain(|(n, _)| *n != "start_time" && *n != "end_time");
    long.extend([("start_time", "08:30"), ("end_time", "16:00")]);
    event_id(&app.create("sato", &long).await);
    let reply = app
        .get("yamada", &format!("/schedule/free?people={yamada}&people={sato}&duration=60&from=2025-11-25&to=2025-11-25&search=1"))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply.body.contains("slot-time\">16:00〜17:15<"),
        "{}",
        reply.body
    );
    assert!(!reply.body.contains("slot-time\">08:30"));
    let too_long = app
        .get(
            "yamada",
            &format!("/schedule/free?people={yamada}&from=2025-11-01&to=2025-12-31&search=1"),
        )
        .await;
    assert!(too_long.body.contains("31日以内"));
}

#[tokio::test]
async fn the_calendar_feed_is_served_by_its_token_alone_until_revoked() {
    let app = TestApp::new().await;
    let yamada = app.id("yamada").await.to_string();
    // The feed reaches three months back and a year ahead of today.
    let soon = time::OffsetDateTime::now_utc()
        .to_offset(time::macros::offset!(+9))
        .date()
        + time::Duration::days(7);
    let day = format!(
        "{:04}-{:02}-{:02}",
        soon.year(),
        u8::from(soon.month()),
        soon.day()
    );
    let mut fields = meeting("フィード確認", &[&yamada]);
    fields.retain(|(n, _)| *n != "start_date" && *n != "end_date");
    fields.extend([("start_date", day.as_str()), ("end_date", day.as_str())]);
    event_id(&app.create("yamada", &fields).await);
    let made = app
        .post(
            "yamada",
            "/schedule/feed",
            &[("csrf", "csrf-token-123"), ("action", "create")],
        )
        .await;
    assert_eq!(made.status, StatusCode::OK);
    let start = made.body.find("/schedule/feed/").unwrap();
    let path: String = made.body[start..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    assert!(path.ends_with(".ics"), "{path}");

    let anonymous = |path: String| {
        Request::get(path)
            .header(header::HOST, "yakuba.example")
            .body(Body::empty())
            .unwrap()
    };
    let feed = app.send(anonymous(path.clone())).await;
    assert_eq!(feed.status, StatusCode::OK, "{}", feed.body);
    assert_eq!(
        feed.content_type.as_deref(),
        Some("text/calendar; charset=utf-8")
    );
    let calendar: icalendar::Calendar = feed.body.parse().unwrap();
    assert_eq!(calendar.components.len(), 1);
    assert!(feed.body.contains("SUMMARY:フィード確認"));
    let start = format!(
        "DTSTART:{:04}{:02}{:02}T010000Z",
        soon.year(),
        u8::from(soon.month()),
        soon.day()
    );
    assert!(feed.body.contains(&start), "{}", feed.body);

    let unknown = format!("/schedule/feed/{}.ics", "0".repeat(64));
    assert_eq!(
        app.send(anonymous(unknown)).await.status,
        StatusCode::NOT_FOUND
    );
    app.post(
        "yamada",
        "/schedule/feed",
        &[("csrf", "csrf-token-123"), ("action", "revoke")],
    )
    .await;
    assert_eq!(
        app.send(anonymous(path)).await.status,
        StatusCode::NOT_FOUND
    );
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

#[tokio::test]
async fn an_event_books_its_room_and_a_taken_room_refuses_the_whole_event() {
    use app::facility::model::{FacilityInput, Rules};
    let app = TestApp::new().await;
    let yamada_id = app.id("yamada").await;
    let yamada = yamada_id.to_string();
    let sato = app.id("sato").await.to_string();
    let department = org::find_staff(&app.db.pool, yamada_id)
        .await
        .unwrap()
        .unwrap()
        .department_id;
    let category = app::facility::store::insert_category(&app.db.pool, "本庁舎 会議室")
        .await
        .unwrap();
    let room = app::facility::store::insert_facility(
        &app.db.pool,
        &FacilityInput {
            category_id: category,
            name: "第5会議室".into(),
            place: "本庁舎 5階".into(),
            capacity: Some(12),
            department_id: department,
            rules: Rules::DEFAULT,
            note: String::new(),
            in_service: true,
        },
    )
    .await
    .unwrap()
    .to_string();
    let soon = time::OffsetDateTime::now_utc()
        .to_offset(time::macros::offset!(+9))
        .date()
        + time::Duration::days(7);
    let day = format!(
        "{:04}-{:02}-{:02}",
        soon.year(),
        u8::from(soon.month()),
        soon.day()
    );
    let with_room = |title: &'static str, people: Vec<String>| {
        let mut fields: Vec<(String, String)> = vec![
            ("title".into(), title.into()),
            ("start_date".into(), day.clone()),
            ("end_date".into(), day.clone()),
            ("start_time".into(), "10:00".into()),
            ("end_time".into(), "11:00".into()),
            ("repeat".into(), "none".into()),
            ("facilities".into(), room.clone()),
        ];
        fields.extend(people.into_iter().map(|p| ("participants".to_owned(), p)));
        fields
    };
    let first = with_room("係会議", vec![yamada.clone(), sato.clone()]);
    let id = event_id(&app.create("yamada", &as_refs(&first)).await);
    let shown = app.get("sato", &format!("/schedule/events/{id}")).await;
    assert!(shown.body.contains("第5会議室"), "{}", shown.body);

    let second = with_room("別の会議", vec![sato.clone()]);
    let refused = app.create("sato", &as_refs(&second)).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("第5会議室") && refused.body.contains("係会議"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("予約できません"), "{}", refused.body);
    assert_eq!(
        schedule::count_events(&app.db.pool).await.unwrap(),
        1,
        "the refused event was saved"
    );

    // Deleting the event frees the room.
    let deleted = app
        .post(
            "yamada",
            &format!("/schedule/events/{id}/delete"),
            &[("csrf", "csrf-token-123"), ("scope", "all")],
        )
        .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    let again = app.create("sato", &as_refs(&second)).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
}

fn as_refs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect()
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
async fn the_free_slot_search_avoids_a_rooms_bookings() {
    use app::facility::model::{FacilityInput, Rules};
    let app = TestApp::new().await;
    let yamada_id = app.id("yamada").await;
    let yamada = yamada_id.to_string();
    let sato = app.id("sato").await.to_string();
    let department = org::find_staff(&app.db.pool, yamada_id)
        .await
        .unwrap()
        .unwrap()
        .department_id;
    let category = app::facility::store::insert_category(&app.db.pool, "会議室")
        .await
        .unwrap();
    let room = app::facility::store::insert_facility(
        &app.db.pool,
        &FacilityInput {
            category_id: category,
            name: "第7会議室".into(),
            place: String::new(),
            capacity: Some(8),
            department_id: department,
            rules: Rules::DEFAULT,
            note: String::new(),
            in_service: true,
        },
    )
    .await
    .unwrap()
    .to_string();
    let today = time::OffsetDateTime::now_utc()
        .to_offset(time::macros::offset!(+9))
        .date();
    let day = app::schedule::seed::working_days(
        today + time::Duration::days(7),
        today + time::Duration::days(20),
    )[0];
    let day = format!(
        "{:04}-{:02}-{:02}",
        day.year(),
        u8::from(day.month()),
        day.day()
    );
    let booked: Vec<(String, String)> = vec![
        ("title".into(), "部屋を使う会議".into()),
        ("start_date".into(), day.clone()),
        ("end_date".into(), day.clone()),
        ("start_time".into(), "10:00".into()),
        ("end_time".into(), "11:00".into()),
        ("repeat".into(), "none".into()),
        ("facilities".into(), room.clone()),
        ("participants".into(), yamada.clone()),
    ];
    let id = event_id(&app.create("yamada", &as_refs(&booked)).await);
    let held = app::facility::store::reservations_for_event(&app.db.pool, id)
        .await
        .unwrap();
    assert_eq!(held.len(), 1, "the room was not booked");
    let reply = app
        .get("sato", &format!("/schedule/free?people={sato}&facilities={room}&duration=60&from={day}&to={day}&search=1"))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.body.contains("第7会議室"), "{}", reply.body);
    assert!(
        reply.body.contains("slot-time\">08:30〜10:00<"),
        "{}",
        reply.body
    );
    assert!(
        reply.body.contains("slot-time\">11:00〜17:15<"),
        "{}",
        reply.body
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

/// A room of 山田's department bookable `advance_days` ahead; returns its id as text.
async fn room(app: &TestApp, name: &str, advance_days: u16) -> String {
    use app::facility::model::{FacilityInput, Rules};
    let yamada = app.id("yamada").await;
    let department = org::find_staff(&app.db.pool, yamada)
        .await
        .unwrap()
        .unwrap()
        .department_id;
    let category = app::facility::store::insert_category(&app.db.pool, "本庁舎 会議室")
        .await
        .unwrap();
    app::facility::store::insert_facility(
        &app.db.pool,
        &FacilityInput {
            category_id: category,
            name: name.into(),
            place: "本庁舎 5階".into(),
            capacity: Some(12),
            department_id: department,
            rules: Rules {
                advance_days,
                ..Rules::DEFAULT
            },
            note: String::new(),
            in_service: true,
        },
    )
    .await
    .unwrap()
    .to_string()
}

fn day_text(day: time::Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        day.year(),
        u8::from(day.month()),
        day.day()
    )
}

#[tokio::test]
async fn a_weekly_meeting_holds_its_room_and_a_clash_names_the_date() {
    use time::{Duration, Weekday};
    let app = TestApp::new().await;
    let yamada = app.id("yamada").await.to_string();
    let sato = app.id("sato").await.to_string();
    let room = room(&app, "第6会議室", 28).await;
    let today = time::OffsetDateTime::now_utc()
        .to_offset(time::macros::offset!(+9))
        .date();
    let mut first = today + Duration::days(2);
    while first.weekday() != Weekday::Monday {
        first = first.next_day().unwrap();
    }
    let series = |title: &'static str, who: &str, start: time::Date| -> Vec<(String, String)> {
        [
            ("title", title),
            ("start_date", &day_text(start)),
            ("end_date", &day_text(start)),
            ("start_time", "10:00"),
            ("end_time", "11:00"),
            ("repeat", "weekly"),
            ("interval", "1"),
            ("ends", "never"),
            ("facilities", &room),
            ("participants", who),
        ]
        .into_iter()
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect()
    };

    // 佐藤 books the room on the second Monday first.
    let second = first + Duration::weeks(1);
    let mut single = series("予算説明", &sato, second);
    single.retain(|(n, _)| n != "repeat" && n != "ends" && n != "interval");
    single.push(("repeat".into(), "none".into()));
    event_id(&app.create("sato", &as_refs(&single)).await);

    // 山田's weekly 課内会議 in the same room is refused as a whole, naming the date and the
    // booking in the way.
    let weekly = series("課内会議", &yamada, first);
    let refused = app.create("yamada", &as_refs(&weekly)).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    let second_label = format!("{}/{}", u8::from(second.month()), second.day());
    for expected in [
        "1 回は、設備が他の予約と重なる",
        second_label.as_str(),
        "佐藤 花子",
        "予算説明",
        "第6会議室",
    ] {
        assert!(
            refused.body.contains(expected),
            "{expected}: {}",
            refused.body
        );
    }
    assert_eq!(schedule::count_events(&app.db.pool).await.unwrap(), 1);

    // From the third Monday on, the room is free every week within the window.
    let third = first + Duration::weeks(2);
    let id = event_id(
        &app.create("yamada", &as_refs(&series("課内会議", &yamada, third)))
            .await,
    );
    let at = |day: time::Date| {
        day.with_time(time::macros::time!(10:00))
            .assume_offset(time::macros::offset!(+9))
            .unix_timestamp()
    };
    let page = app
        .get("yamada", &format!("/schedule/events/{id}?at={}", at(third)))
        .await;
    assert!(
        page.body.contains("第6会議室") && page.body.contains("予約済み"),
        "{}",
        page.body
    );
    let far = third + Duration::weeks(8);
    let page = app
        .get("yamada", &format!("/schedule/events/{id}?at={}", at(far)))
        .await;
    assert!(page.body.contains("予約可能期間外"), "{}", page.body);
    // The edit form of the series keeps the room ticked.
    let form = app
        .get(
            "yamada",
            &format!("/schedule/events/{id}/edit?at={}", at(third)),
        )
        .await;
    assert!(
        form.body
            .contains(&format!("name=\"facilities\" value=\"{room}\" checked")),
        "{}",
        form.body
    );

    // Removing the fourth Monday frees the room that day only.
    let fourth = third + Duration::weeks(1);
    let deleted = app
        .post(
            "yamada",
            &format!("/schedule/events/{id}/delete"),
            &[
                ("csrf", "csrf-token-123"),
                ("at", &at(fourth).to_string()),
                ("scope", "this"),
            ],
        )
        .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER, "{}", deleted.body);
    let held: Vec<i64> = app::facility::store::reservations_for_event(&app.db.pool, id)
        .await
        .unwrap()
        .iter()
        .map(|r| r.slot.start().unix_timestamp())
        .collect();
    assert!(
        held.contains(&at(third)) && !held.contains(&at(fourth)),
        "{held:?}"
    );
    let mut on_fourth = series("臨時会議", &sato, fourth);
    on_fourth.retain(|(n, _)| n != "repeat" && n != "ends" && n != "interval");
    on_fourth.push(("repeat".into(), "none".into()));
    event_id(&app.create("sato", &as_refs(&on_fourth)).await);
}

#[tokio::test]
async fn the_free_slot_search_keeps_to_the_configured_hours_and_break() {
    use app::schedule::free_slots::WorkingHours;
    use time::macros::time;
    let mut app = TestApp::new().await;
    app.state.working_hours = WorkingHours::new(
        time!(9:00),
        time!(17:45),
        Some((time!(12:00), time!(13:00))),
    )
    .unwrap();
    let yamada = app.id("yamada").await.to_string();
    let mut morning = meeting("打合せ", &[&yamada]);
    morning.retain(|(n, _)| *n != "start_time" && *n != "end_time");
    morning.extend([("start_time", "09:00"), ("end_time", "11:30")]);
    event_id(&app.create("yamada", &morning).await);
    let reply = app
        .get(
            "yamada",
            &format!(
                "/schedule/free?people={yamada}&duration=30&from=2025-11-25&to=2025-11-25&search=1"
            ),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply
            .body
            .contains("勤務時間 09:00〜17:45（休憩 12:00〜13:00 を除く）"),
        "{}",
        reply.body
    );
    for free in ["11:30〜12:00", "13:00〜17:45"] {
        assert!(
            reply.body.contains(&format!("slot-time\">{free}<")),
            "{free}: {}",
            reply.body
        );
    }
    assert!(!reply.body.contains("slot-time\">08:30"), "{}", reply.body);
    assert!(!reply.body.contains("slot-time\">12:00"), "{}", reply.body);
}
