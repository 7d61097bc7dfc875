//! Rooms booked with events through the form: an event holds its room and a taken room
//! refuses the whole event; a weekly meeting holds its room within the booking window, a
//! clash names the date, and deleting one occurrence frees the room that day.

use app::org::store as org;
use app::schedule::store as schedule;
use axum::http::StatusCode;

use super::{TestApp, as_refs, event_id};

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
