//! The calendar feed: served by its token alone, as iCalendar, until it is revoked.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};

use super::{TestApp, event_id, meeting};

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
