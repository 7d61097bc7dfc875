//! Facility administrators: approving restricted bookings in their scope (and telling the
//! booker), and managing only the facilities and categories their grant covers, audited.

use app::facility::model::{Bookers, Rules};
use app::facility::store;
use app::org::model::GrantKind;
use axum::http::StatusCode;

use super::{TestApp, reservation_path, sato, yamada};

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
