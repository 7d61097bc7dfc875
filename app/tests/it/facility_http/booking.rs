//! Booking through the form and what follows: the confirmation, refusals without the CSRF
//! token or with bad input, double booking, cancelling by the booker (or an administrator)
//! only, and changing a booking, checked like a new one.

use app::facility::model::{NewReservation, Slot, Visibility, iso_date};
use app::facility::store;
use axum::http::StatusCode;
use time::Time;

use super::{TestApp, reservation_path, sato, tomorrow, yamada};

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
