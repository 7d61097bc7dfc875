//! The free-slot search: it avoids every participant's events and the bookings of the rooms
//! asked for, and keeps to the configured working hours and break.

use app::org::store as org;
use axum::http::StatusCode;

use super::{TestApp, as_refs, event_id, meeting};

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
