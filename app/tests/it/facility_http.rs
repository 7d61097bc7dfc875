//! Facility pages over HTTP without sockets: the grid, booking from the form, CSRF, bad
//! input, double booking, cancelling, approvals and administration, each with who may.

use std::time::Duration;

use app::facility::model::{
    Approval, Bookers, CategoryId, FacilityId, FacilityInput, JST, NewReservation, Rules, Slot,
    Visibility, iso_date,
};
use app::facility::store;
use app::i18n::Lang;
use app::org::model::{GrantKind, Module, Staff};
use app::org::store::{Grant, find_staff_by_login, grant_function_admin};
use app::state::AppState;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt as _;
use sso::Claims;
use time::{Date, OffsetDateTime, Time};
use tower::ServiceExt as _;

use crate::support::{Keys, TestDb, claims, sqlite_db};

pub(crate) struct TestApp {
    keys: Keys,
    state: AppState,
    pub(crate) db: TestDb,
    category: CategoryId,
    room: FacilityId,
    restricted: FacilityId,
}

pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) location: Option<String>,
    pub(crate) retry_after: Option<String>,
    pub(crate) body: String,
}

pub(crate) fn yamada() -> Claims {
    claims("yamada", "山田 太郎", Some("総務課"))
}

pub(crate) fn sato() -> Claims {
    claims("sato", "佐藤 花子", Some("財務課"))
}

fn tomorrow() -> Date {
    OffsetDateTime::now_utc().to_offset(JST).date() + time::Duration::days(1)
}

impl TestApp {
    /// The demo city with two rooms managed by 総務課 (山田's department): an open one and
    /// one that needs approval.
    pub(crate) async fn new() -> TestApp {
        let db = sqlite_db().await;
        app::org::store::insert_city(&db.pool, &app::org::seed::demo_city())
            .await
            .unwrap();
        let somu = find_staff_by_login(&db.pool, "yamada")
            .await
            .unwrap()
            .unwrap()
            .department_id;
        let category = store::insert_category(&db.pool, "本庁舎 会議室")
            .await
            .unwrap();
        let input = |name: &str, approval| FacilityInput {
            category_id: category,
            name: name.into(),
            place: "本庁舎 3階".into(),
            capacity: Some(12),
            department_id: somu,
            rules: Rules {
                approval,
                ..Rules::DEFAULT
            },
            note: String::new(),
            in_service: true,
        };
        let room = store::insert_facility(&db.pool, &input("第1会議室", Approval::Automatic))
            .await
            .unwrap();
        let restricted = store::insert_facility(&db.pool, &input("特別会議室", Approval::Required))
            .await
            .unwrap();
        let keys = Keys::generate();
        let state = AppState::new(db.pool.clone(), keys.verifier(), Lang::Ja);
        TestApp {
            keys,
            state,
            db,
            category,
            room,
            restricted,
        }
    }

    /// The same app and data served through `pool` (another pool over the same database,
    /// with other connection settings).
    pub(crate) fn serving_from(mut self, pool: sqlx::AnyPool) -> TestApp {
        self.state = AppState::new(pool, self.keys.verifier(), Lang::Ja);
        self
    }

    pub(crate) fn room(&self) -> FacilityId {
        self.room
    }

    pub(crate) async fn staff(&self, login: &str) -> Staff {
        find_staff_by_login(&self.db.pool, login)
            .await
            .unwrap()
            .unwrap()
    }

    pub(crate) async fn make_admin(&self, login: &str, kind: GrantKind) {
        let staff = self.staff(login).await;
        grant_function_admin(
            &self.db.pool,
            staff.id,
            Module::Facility,
            &Grant {
                kind,
                departments: vec![],
            },
        )
        .await
        .unwrap();
    }

    fn token(&self, claims: Claims) -> String {
        self.keys
            .signer(Duration::from_secs(60))
            .sign(claims)
            .unwrap()
    }

    pub(crate) async fn get(&self, path: &str, who: Claims) -> Reply {
        let request = Request::get(path)
            .header(sso::assertion::HEADER, self.token(who))
            .body(Body::empty())
            .unwrap();
        self.send(request).await
    }

    pub(crate) async fn post(&self, path: &str, who: Claims, fields: &[(&str, &str)]) -> Reply {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let request = Request::post(path)
            .header(sso::assertion::HEADER, self.token(who))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        self.send(request).await
    }

    async fn send(&self, request: Request<Body>) -> Reply {
        let response = app::routes::router(self.state.clone())
            .oneshot(request)
            .await
            .unwrap();
        let status = response.status();
        let location = response
            .headers()
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_owned());
        let retry_after = response
            .headers()
            .get(header::RETRY_AFTER)
            .map(|v| v.to_str().unwrap().to_owned());
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            location,
            retry_after,
            body: String::from_utf8(bytes.to_vec()).unwrap(),
        }
    }

    /// Books through the form as `who`; returns the reply.
    pub(crate) async fn book(
        &self,
        who: Claims,
        facility: FacilityId,
        start: &str,
        end: &str,
        title: &str,
    ) -> Reply {
        let date = iso_date(tomorrow());
        self.post(
            &format!("/facilities/{facility}/reserve"),
            who,
            &[
                ("csrf", "csrf-token-123"),
                ("date", &date),
                ("start", start),
                ("end", end),
                ("title", title),
            ],
        )
        .await
    }

    /// The reason codes of the audit records kept so far, with their target.
    fn audited(&self) -> Vec<(String, String)> {
        self.state
            .audit
            .kept()
            .iter()
            .map(|r| serde_json::to_value(r).unwrap())
            .map(|r| {
                (
                    r["event"]["reason"].as_str().unwrap_or_default().to_owned(),
                    r["user"]["target"]["name"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                )
            })
            .collect()
    }

    pub(crate) async fn live_bookings(&self) -> usize {
        store::reservations_on(
            &self.db.pool,
            &[self.room, self.restricted],
            Slot::day(tomorrow()),
        )
        .await
        .unwrap()
        .len()
    }
}

fn reservation_path(reply: &Reply) -> String {
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let location = reply.location.clone().unwrap();
    assert!(
        location.starts_with("/facilities/reservations/"),
        "{location}"
    );
    location
}

#[tokio::test]
async fn facility_pages_need_the_gateways_assertion() {
    let app = TestApp::new().await;
    for path in ["/facilities", "/facilities/mine", "/facilities/admin"] {
        let reply = app
            .send(Request::get(path).body(Body::empty()).unwrap())
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{path}");
    }
}

#[tokio::test]
async fn the_grid_links_free_slots_to_the_form_and_shows_bookings() {
    let app = TestApp::new().await;
    let yamada = app.staff("yamada").await;
    let rights = store::booker_rights(&app.db.pool, yamada.id).await.unwrap();
    let slot = Slot::on_day(
        tomorrow(),
        Time::from_hms(10, 0, 0).unwrap(),
        Time::from_hms(11, 0, 0).unwrap(),
    )
    .unwrap();
    let new = NewReservation {
        facility_id: app.room,
        slot,
        title: "<b>係会議</b>".into(),
        visibility: Visibility::Public,
        event_id: None,
    };
    store::book(&app.db.pool, &new, &rights).await.unwrap();
    let date = iso_date(tomorrow());
    let reply = app
        .get(
            &format!("/facilities?category={}&date={date}", app.category),
            sato(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let body = &reply.body;
    assert!(
        body.contains("第1会議室") && body.contains("特別会議室"),
        "{body}"
    );
    assert!(
        body.contains(&format!(
            "/facilities/{}/reserve?date={date}&#38;start=08:00",
            app.room
        )),
        "free cells link to the form: {body}"
    );
    assert!(body.contains("10:00〜11:00"), "{body}");
    assert!(
        body.contains("&#60;b&#62;係会議&#60;/b&#62;"),
        "titles are escaped"
    );
    assert!(!body.contains("<b>係会議</b>"));
    assert!(body.contains("山田 太郎"));
    assert!(body.contains("要承認"), "restricted rooms are tagged");
    // The 10:00 half hours are taken, so no link books them.
    assert!(!body.contains(&format!(
        "/facilities/{}/reserve?date={date}&#38;start=10:00",
        app.room
    )));
    assert!(!body.contains(&format!(
        "/facilities/{}/reserve?date={date}&#38;start=10:30",
        app.room
    )));

    let english = app
        .get(&format!("/facilities?date={date}&lang=en"), sato())
        .await;
    assert!(english.body.contains("Availability"), "{}", english.body);
}

#[tokio::test]
async fn booking_through_the_form_confirms_and_shows_the_reservation() {
    let app = TestApp::new().await;
    let form = app
        .get(
            &format!(
                "/facilities/{}/reserve?date={}&start=13:30",
                app.room,
                iso_date(tomorrow())
            ),
            yamada(),
        )
        .await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains(r#"name="csrf" value="csrf-token-123""#));
    assert!(form.body.contains(r#"value="13:30""#) && form.body.contains(r#"value="14:30""#));
    assert!(form.body.contains("利用ルール"));

    let reply = app
        .book(yamada(), app.room, "13:30", "14:30", "係会議")
        .await;
    let path = reservation_path(&reply);
    assert!(path.ends_with("?created=1"));
    let shown = app.get(&path, yamada()).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(shown.body.contains("予約しました。"), "{}", shown.body);
    assert!(shown.body.contains("係会議") && shown.body.contains("予約済み"));
    assert_eq!(app.live_bookings().await, 1);
    let mine = app.get("/facilities/mine", yamada()).await;
    assert!(mine.body.contains("係会議"), "{}", mine.body);
}

#[tokio::test]
async fn a_post_without_the_sessions_csrf_token_is_refused_and_saves_nothing() {
    let app = TestApp::new().await;
    let date = iso_date(tomorrow());
    let path = format!("/facilities/{}/reserve", app.room);
    for token in ["", "csrf-token-124", "other"] {
        let reply = app
            .post(
                &path,
                yamada(),
                &[
                    ("csrf", token),
                    ("date", &date),
                    ("start", "10:00"),
                    ("end", "11:00"),
                    ("title", "x"),
                ],
            )
            .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{token:?}");
        assert!(reply.body.contains("再読み込み"));
    }
    let missing = app
        .post(&path, yamada(), &[("date", &date), ("title", "x")])
        .await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    assert_eq!(app.live_bookings().await, 0);
}

#[tokio::test]
async fn bad_input_shows_the_form_again_with_every_problem_and_saves_nothing() {
    let app = TestApp::new().await;
    let reply = app
        .post(
            &format!("/facilities/{}/reserve", app.room),
            yamada(),
            &[
                ("csrf", "csrf-token-123"),
                ("date", "2025-02-30"),
                ("start", "10:00"),
                ("end", "9:00"),
                ("title", "   "),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    for message in [
        "日付を正しく入力してください",
        "終了時刻を正しく入力してください",
        "用件を入力してください。",
    ] {
        assert!(
            reply.body.contains(message),
            "{message} missing: {}",
            reply.body
        );
    }
    // What was typed comes back, and the page keeps its token.
    assert!(reply.body.contains(r#"value="2025-02-30""#));
    assert!(reply.body.contains(r#"name="csrf" value="csrf-token-123""#));
    // Rules are checked too: 07:00 is before the room opens.
    let early = app.book(yamada(), app.room, "07:00", "08:00", "朝会").await;
    assert_eq!(early.status, StatusCode::CONFLICT);
    assert!(early.body.contains("08:00〜21:00"), "{}", early.body);
    assert_eq!(app.live_bookings().await, 0);
}

#[tokio::test]
async fn double_booking_is_refused_with_the_booking_in_the_way() {
    let app = TestApp::new().await;
    reservation_path(
        &app.book(yamada(), app.room, "10:00", "11:00", "係会議")
            .await,
    );
    let reply = app
        .book(sato(), app.room, "10:30", "11:30", "予算ヒアリング")
        .await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    assert!(reply.body.contains("「第1会議室」は "), "{}", reply.body);
    assert!(
        reply
            .body
            .contains("10:00〜11:00 に 山田 太郎 さんの予約「係会議」があるため、予約できません。"),
        "{}",
        reply.body
    );
    assert!(
        reply.body.contains(r#"value="予算ヒアリング""#),
        "the form keeps its input"
    );
    assert_eq!(app.live_bookings().await, 1);
}

#[tokio::test]
async fn only_the_booker_or_an_administrator_may_cancel() {
    let app = TestApp::new().await;
    let path = reservation_path(
        &app.book(yamada(), app.room, "10:00", "11:00", "係会議")
            .await,
    );
    let id = path
        .trim_start_matches("/facilities/reservations/")
        .trim_end_matches("?created=1")
        .to_owned();
    let cancel = format!("/facilities/reservations/{id}/cancel");
    let shown = app
        .get(&format!("/facilities/reservations/{id}"), sato())
        .await;
    assert!(
        !shown.body.contains("予約を取り消す"),
        "no button for others"
    );
    let refused = app
        .post(&cancel, sato(), &[("csrf", "csrf-token-123")])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(app.live_bookings().await, 1);
    let forged = app.post(&cancel, yamada(), &[("csrf", "nope")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(app.live_bookings().await, 1);
    let done = app
        .post(&cancel, yamada(), &[("csrf", "csrf-token-123")])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(app.live_bookings().await, 0);
    let after = app.get(done.location.as_deref().unwrap(), yamada()).await;
    assert!(after.body.contains("予約を取り消しました。"));
    assert!(after.body.contains("取消"));
}

#[tokio::test]
async fn a_restricted_booking_waits_for_an_administrator_in_scope_and_the_booker_is_told() {
    let app = TestApp::new().await;
    let path = reservation_path(
        &app.book(sato(), app.restricted, "15:00", "16:00", "監査対応")
            .await,
    );
    let shown = app.get(&path, sato()).await;
    assert!(
        shown.body.contains("仮予約として申請しました。"),
        "{}",
        shown.body
    );
    let id = path
        .trim_start_matches("/facilities/reservations/")
        .trim_end_matches("?created=1")
        .to_owned();
    let decide = format!("/facilities/reservations/{id}/decide");

    // Nobody administers facilities yet.
    assert_eq!(
        app.get("/facilities/approvals", yamada()).await.status,
        StatusCode::FORBIDDEN
    );
    let refused = app
        .post(
            &decide,
            yamada(),
            &[("csrf", "csrf-token-123"), ("decision", "approve")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // 佐藤 administers 財務課's facilities, not 総務課's.
    app.make_admin("sato", GrantKind::Own).await;
    let outside = app
        .post(
            &decide,
            sato(),
            &[("csrf", "csrf-token-123"), ("decision", "approve")],
        )
        .await;
    assert_eq!(outside.status, StatusCode::FORBIDDEN);
    assert!(
        !app.get("/facilities/approvals", sato())
            .await
            .body
            .contains("監査対応")
    );

    app.make_admin("yamada", GrantKind::Own).await;
    let waiting = app.get("/facilities/approvals", yamada()).await;
    assert_eq!(waiting.status, StatusCode::OK);
    assert!(waiting.body.contains("監査対応") && waiting.body.contains("佐藤 花子"));
    let forged = app
        .post(&decide, yamada(), &[("csrf", "x"), ("decision", "approve")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let done = app
        .post(
            &decide,
            yamada(),
            &[
                ("csrf", "csrf-token-123"),
                ("decision", "approve"),
                ("note", "承認します"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(
        done.location.as_deref(),
        Some("/facilities/approvals?decided=1")
    );
    assert!(
        app.audited()
            .contains(&("facility_booking_approved".into(), "sato".into())),
        "{:?}",
        app.audited()
    );
    let again = app
        .post(
            &decide,
            yamada(),
            &[("csrf", "csrf-token-123"), ("decision", "reject")],
        )
        .await;
    assert_eq!(
        again.location.as_deref(),
        Some("/facilities/approvals?late=1")
    );

    // The booker sees the decision once on their list.
    let mine = app.get("/facilities/mine", sato()).await;
    assert!(mine.body.contains("承認・却下のお知らせ"), "{}", mine.body);
    assert!(mine.body.contains("承認します"));
    let later = app.get("/facilities/mine", sato()).await;
    assert!(!later.body.contains("承認・却下のお知らせ"));
    assert!(later.body.contains("予約済み"));
}

#[tokio::test]
async fn administrators_manage_only_facilities_in_their_scope() {
    let app = TestApp::new().await;
    let edit = format!("/facilities/admin/{}", app.room);
    assert_eq!(
        app.get("/facilities/admin", sato()).await.status,
        StatusCode::FORBIDDEN
    );
    app.make_admin("sato", GrantKind::Own).await;
    let list = app.get("/facilities/admin", sato()).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(
        !list.body.contains("第1会議室"),
        "総務課's rooms are not 佐藤's"
    );
    assert_eq!(app.get(&edit, sato()).await.status, StatusCode::FORBIDDEN);

    app.make_admin("yamada", GrantKind::Own).await;
    let form = app.get(&edit, yamada()).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains(r#"value="第1会議室""#));
    let yamada_staff = app.staff("yamada").await;
    let sato_staff = app.staff("sato").await;
    let fields = |department: String, max: &'static str| {
        vec![
            ("csrf", "csrf-token-123".to_owned()),
            ("category", app.category.0.to_string()),
            ("name", "第1会議室".to_owned()),
            ("place", "本庁舎 3階".to_owned()),
            ("capacity", "20".to_owned()),
            ("department", department),
            ("approval", "none".to_owned()),
            ("bookers", "department".to_owned()),
            ("advance_days", "30".to_owned()),
            ("max_minutes", max.to_owned()),
            ("open", "09:00".to_owned()),
            ("close", "17:00".to_owned()),
            ("in_service", "1".to_owned()),
        ]
    };
    // Moving it to 佐藤's department is outside 山田's scope; a bad duration is named too.
    let outside = fields(sato_staff.department_id.0.to_string(), "100");
    let refs: Vec<(&str, &str)> = outside.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = app.post(&edit, yamada(), &refs).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .body
            .contains("管理部署は、あなたが管理できる部署から選んでください。")
    );
    assert!(refused.body.contains("最長時間は15〜20160分"));
    let unchanged = store::facility(&app.db.pool, app.room)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(unchanged.rules, Rules::DEFAULT);

    let inside = fields(yamada_staff.department_id.0.to_string(), "120");
    let refs: Vec<(&str, &str)> = inside.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let saved = app.post(&edit, yamada(), &refs).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let changed = store::facility(&app.db.pool, app.room)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(changed.capacity, Some(20));
    assert_eq!(changed.rules.bookers, Bookers::Department);
    assert_eq!(changed.rules.max_minutes, 120);
    assert_eq!(changed.rules.hours.label(), "09:00〜17:00");

    // Categories are for city-wide administrators.
    let category = app
        .post(
            "/facilities/admin/categories",
            yamada(),
            &[("csrf", "csrf-token-123"), ("name", "公用車")],
        )
        .await;
    assert_eq!(category.status, StatusCode::FORBIDDEN);
    app.make_admin("yamada", GrantKind::All).await;
    let added = app
        .post(
            "/facilities/admin/categories",
            yamada(),
            &[("csrf", "csrf-token-123"), ("name", "公用車")],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    let twice = app
        .post(
            "/facilities/admin/categories",
            yamada(),
            &[("csrf", "csrf-token-123"), ("name", "公用車")],
        )
        .await;
    assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY);
    let audited = app.audited();
    for reason in ["facility_changed", "facility_category_added"] {
        assert!(
            audited.contains(&(reason.into(), "yamada".into())),
            "{reason}: {audited:?}"
        );
    }
    assert_eq!(
        audited
            .iter()
            .filter(|(r, _)| r == "facility_category_added")
            .count(),
        1,
        "a refused category is not recorded"
    );
    assert!(twice.body.contains("同じ名前の分類がすでにあります。"));
}

#[tokio::test]
async fn a_booking_is_changed_by_its_booker_and_checked_like_a_new_one() {
    let app = TestApp::new().await;
    reservation_path(
        &app.book(sato(), app.room, "13:00", "14:00", "予算ヒアリング")
            .await,
    );
    let path = reservation_path(
        &app.book(yamada(), app.room, "10:00", "11:00", "係会議")
            .await,
    );
    let page = path.trim_end_matches("?created=1").to_owned();
    let change = format!("{page}/change");
    let date = iso_date(tomorrow());
    let fields = |start: &'static str, end: &'static str, title: &'static str| {
        vec![
            ("csrf", "csrf-token-123"),
            ("date", date.as_str()),
            ("start", start),
            ("end", end),
            ("title", title),
        ]
    };
    let shown = app.get(&page, yamada()).await;
    assert!(shown.body.contains("予約を変更する"));
    assert!(!app.get(&page, sato()).await.body.contains("予約を変更する"));
    assert_eq!(
        app.post(&change, sato(), &fields("11:00", "12:00", "x"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // Onto 佐藤's booking: refused and named, nothing changes.
    let refused = app
        .post(&change, yamada(), &fields("12:30", "13:30", "係会議"))
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(
        refused
            .body
            .contains("佐藤 花子 さんの予約「予算ヒアリング」"),
        "{}",
        refused.body
    );
    let bad = app
        .post(&change, yamada(), &fields("11:00", "10:00", ""))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("用件を入力してください。"));
    // Later and renamed; its own old slot does not stand in the way.
    let moved = app
        .post(
            &change,
            yamada(),
            &fields("10:30", "12:00", "係会議（延長）"),
        )
        .await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER, "{}", moved.body);
    let after = app.get(moved.location.as_deref().unwrap(), yamada()).await;
    assert!(after.body.contains("予約を変更しました。"));
    assert!(after.body.contains("10:30〜12:00") && after.body.contains("係会議（延長）"));
    assert_eq!(app.live_bookings().await, 2);

    // A booking of a schedule event moves with its event, not from here.
    let yamada_staff = app.staff("yamada").await;
    let rights = store::booker_rights(&app.db.pool, yamada_staff.id)
        .await
        .unwrap();
    let slot = Slot::on_day(
        tomorrow(),
        Time::from_hms(16, 0, 0).unwrap(),
        Time::from_hms(17, 0, 0).unwrap(),
    )
    .unwrap();
    let linked = store::book(
        &app.db.pool,
        &NewReservation {
            facility_id: app.room,
            slot,
            title: "部内会議".into(),
            visibility: Visibility::Public,
            event_id: Some(7),
        },
        &rights,
    )
    .await
    .unwrap();
    let linked_page = format!("/facilities/reservations/{linked}");
    assert!(
        !app.get(&linked_page, yamada())
            .await
            .body
            .contains("予約を変更する")
    );
    assert_eq!(
        app.post(
            &format!("{linked_page}/change"),
            yamada(),
            &fields("16:30", "17:30", "部内会議")
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn the_grid_opens_on_the_category_of_the_users_department_not_the_first() {
    let app = TestApp::new().await;
    let sato_department = app.staff("sato").await.department_id;
    let cars = store::insert_category(&app.db.pool, "公用車")
        .await
        .unwrap();
    sqlx::query("UPDATE facility_categories SET display_order = 0 WHERE id = $1")
        .bind(cars.0)
        .execute(&app.db.pool)
        .await
        .unwrap();
    store::insert_facility(
        &app.db.pool,
        &FacilityInput {
            category_id: cars,
            name: "公用車1号".into(),
            place: "本庁舎 地下駐車場".into(),
            capacity: Some(5),
            department_id: sato_department,
            rules: Rules::DEFAULT,
            note: String::new(),
            in_service: true,
        },
    )
    .await
    .unwrap();
    // The current tab of the category tabs (the module navigation marks its own).
    let current = |body: &str| {
        let tabs = &body[body.find("<nav class=\"tabs\"").unwrap()..];
        let marker = "aria-current=\"page\">";
        let end = tabs.find(marker).unwrap() + marker.len();
        tabs[end..].split('<').next().unwrap().to_owned()
    };

    let yamada_grid = app.get("/facilities", yamada()).await;
    assert_eq!(current(&yamada_grid.body), "本庁舎 会議室");
    assert!(yamada_grid.body.contains("第1会議室"));
    let sato_grid = app.get("/facilities", sato()).await;
    assert_eq!(current(&sato_grid.body), "公用車");
    assert!(sato_grid.body.contains("公用車1号"));
    let chosen = app
        .get(&format!("/facilities?category={}", app.category), sato())
        .await;
    assert_eq!(current(&chosen.body), "本庁舎 会議室", "a chosen tab wins");
}
