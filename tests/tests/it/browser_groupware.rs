//! The groupware journey in headless Chromium through the real gateway
//! (`tests/oidc-provider/browser-groupware.mjs`): log in, create an event with a colleague
//! and a room, see it on the department grid and the facility grid, try to double-book the
//! room and read the refusal.

use harness::system::{LOCAL_PASSWORD, System, SystemOptions};
use time::{Duration, OffsetDateTime, UtcOffset};

#[tokio::test]
async fn a_clerk_books_a_room_with_an_event_and_cannot_book_it_twice() {
    let sys = System::start(SystemOptions::default()).unwrap();
    let dir = harness::oidc::ensure_npm_installed().unwrap();
    // Tomorrow in Japan, at lunchtime: the demo's bookings leave 12:00-13:00 free.
    let jst = UtcOffset::from_hms(9, 0, 0).unwrap();
    let day = OffsetDateTime::now_utc().to_offset(jst).date() + Duration::days(1);
    let date = format!(
        "{:04}-{:02}-{:02}",
        day.year(),
        u8::from(day.month()),
        day.day()
    );
    let title = "ブラウザ試験の打合せ";
    let output = tokio::process::Command::new("node")
        .arg(dir.join("browser-groupware.mjs"))
        .current_dir(&dir)
        .env("BASE", sys.url(""))
        .env("USER", "yamada")
        .env("PASSWORD", LOCAL_PASSWORD)
        .env("DATE", &date)
        .env("ROOM", "第1会議室")
        .env("TITLE", title)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(std::time::Duration::from_secs(120), output)
        .await
        .expect("the browser journey finishes within 2 minutes")
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let result: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap_or("{}"))
        .unwrap_or_else(|e| panic!("{e}: {stdout}\n{}", String::from_utf8_lossy(&output.stderr)));
    assert_eq!(result["ok"], true, "{result}\n{}", sys.all_logs());
    let seen = &result["seen"];
    let text = |key: &str| seen[key].as_str().unwrap_or_default().to_owned();

    assert_eq!(text("login"), "/.yakuba/login");
    assert_eq!(text("form"), "/schedule/events/new");
    assert!(text("afterSave").starts_with("/schedule/events/"), "{seen}");
    let event = text("eventPage");
    assert!(
        event.contains(title) && event.contains("第1会議室"),
        "{event}"
    );
    // The colleague's name as the picker showed it, without their title.
    let colleague = text("colleague");
    let colleague = colleague.split_whitespace().next().unwrap_or_default();
    assert!(!colleague.is_empty(), "{seen}");

    let group = text("group");
    assert!(
        group.contains(title),
        "the department grid shows the event: {group}"
    );
    assert!(group.contains(colleague), "{group}");

    let row = text("gridRow");
    assert!(row.contains("12:00〜13:00") && row.contains(title), "{row}");
    assert!(row.contains("山田 太郎"), "{row}");

    assert!(text("reserveForm").ends_with("/reserve"), "{seen}");
    let refusal = text("refusal");
    assert!(
        refusal.contains(&format!(
            "「第1会議室」は {}年{}月{}日",
            day.year(),
            u8::from(day.month()),
            day.day()
        )),
        "{refusal}"
    );
    assert!(
        refusal.contains(&format!(
            "12:00〜13:00 に 山田 太郎 さんの予約「{title}」があるため、予約できません。"
        )),
        "{refusal}"
    );
    assert!(!text("gridRowAfter").contains("別の打合せ"));
}
