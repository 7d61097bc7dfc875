//! Fifty clerks book the same room for the same half hour at the same moment, each with their
//! own session, through the real gateway and app: exactly one booking is made, and every
//! other clerk reads the refusal naming the winner. On SQLite (the appliance's default) and on
//! PostgreSQL.

use std::sync::Arc;

use harness::system::{LOCAL_PASSWORD, System, SystemOptions};
use reqwest::header::{COOKIE, LOCATION};
use time::{Duration, OffsetDateTime, UtcOffset};

use crate::client::{hidden, session_cookie};

/// Clerks racing for the slot.
const CLERKS: usize = 50;

/// The room every clerk wants.
const ROOM: &str = "第1会議室";

/// Fifty members of the demo city who have no gateway account yet: login and name.
fn clerks() -> Vec<(String, String)> {
    app::org::seed::demo_city()
        .staff
        .into_iter()
        .filter(|s| !["yamada", "admin", "kansa", "sato"].contains(&s.login.as_str()))
        .map(|s| (s.login, s.name))
        .take(CLERKS)
        .collect()
}

/// Gateway accounts for `clerks`, all with the harness's local password.
fn accounts(clerks: &[(String, String)]) -> String {
    let hash = sso::local::hash_password(LOCAL_PASSWORD).unwrap();
    clerks
        .iter()
        .map(|(login, name)| {
            format!(
                "\n[[local_accounts]]\nuser = \"{login}\"\npassword_hash = \"{hash}\"\n\
                 name = \"{name}\"\ngroups = [\"staff\"]\n"
            )
        })
        .collect()
}

/// The `href` of the `<a>` whose attributes hold `marker`, unescaped.
fn href_before(html: &str, marker: &str) -> Option<String> {
    let at = html.find(marker)?;
    let start = html[..at].rfind("href=\"")? + "href=\"".len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].replace("&#38;", "&").replace("&amp;", "&"))
}

struct Outcome {
    clerk: usize,
    status: u16,
    location: Option<String>,
    body: String,
}

async fn fifty_clerks_race_for_one_room(options: SystemOptions) {
    let clerks = clerks();
    assert_eq!(clerks.len(), CLERKS, "the demo city has enough staff");
    let sys = System::start(SystemOptions {
        extra_gateway_toml: accounts(&clerks),
        ..options
    })
    .unwrap();
    let client = sys.client().unwrap();
    let get = |path: String, cookie: String| {
        let request = client.get(sys.url(&path)).header(COOKIE, cookie.as_str());
        async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 200, "{path}");
            response.text().await.unwrap()
        }
    };

    // A free half hour of the room four days ahead, from the room's row on the grid.
    let jst = UtcOffset::from_hms(9, 0, 0).unwrap();
    let day = OffsetDateTime::now_utc().to_offset(jst).date() + Duration::days(4);
    let date = format!(
        "{:04}-{:02}-{:02}",
        day.year(),
        u8::from(day.month()),
        day.day()
    );
    let first = session_cookie(&sys, &clerks[0].0, LOCAL_PASSWORD).await;
    let grid = get(format!("/facilities?date={date}"), first.clone()).await;
    let rooms = href_before(&grid, ">本庁舎 会議室</a>").expect("a tab for the rooms");
    let grid = get(rooms.clone(), first.clone()).await;
    let form_path = href_before(&grid, &format!("aria-label=\"{ROOM} "))
        .unwrap_or_else(|| panic!("a free cell of {ROOM}: {grid}"));
    let start = form_path.rsplit("start=").next().unwrap().to_owned();
    let (hour, minute) = start.split_once(':').unwrap();
    let end_minutes = hour.parse::<u32>().unwrap() * 60 + minute.parse::<u32>().unwrap() + 30;
    let end = format!("{:02}:{:02}", end_minutes / 60, end_minutes % 60);
    let post_path = form_path.split('?').next().unwrap().to_owned();

    // Every clerk signs in and opens the form, which carries their session's CSRF token.
    let mut ready = Vec::new();
    for (i, (login, _)) in clerks.iter().enumerate() {
        let cookie = if i == 0 {
            first.clone()
        } else {
            session_cookie(&sys, login, LOCAL_PASSWORD).await
        };
        let form = get(form_path.clone(), cookie.clone()).await;
        let csrf = hidden(&form, "csrf").expect("the booking form carries a CSRF token");
        ready.push((cookie, csrf));
    }

    // All at once.
    let barrier = Arc::new(tokio::sync::Barrier::new(CLERKS));
    let mut racers = Vec::new();
    for (clerk, (cookie, csrf)) in ready.into_iter().enumerate() {
        let request = client
            .post(sys.url(&post_path))
            .header(COOKIE, cookie.as_str())
            .form(&[
                ("csrf", csrf.as_str()),
                ("date", date.as_str()),
                ("start", start.as_str()),
                ("end", end.as_str()),
                ("title", &format!("競争 {clerk}")),
            ]);
        let barrier = barrier.clone();
        racers.push(tokio::spawn(async move {
            barrier.wait().await;
            let response = request.send().await.unwrap();
            Outcome {
                clerk,
                status: response.status().as_u16(),
                location: response
                    .headers()
                    .get(LOCATION)
                    .map(|v| v.to_str().unwrap().to_owned()),
                body: response.text().await.unwrap(),
            }
        }));
    }
    let mut outcomes = Vec::new();
    for racer in racers {
        outcomes.push(racer.await.unwrap());
    }

    let winners: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| o.status == 303 || o.status == 200)
        .collect();
    assert_eq!(
        winners.len(),
        1,
        "exactly one booking: {:?}",
        outcomes
            .iter()
            .map(|o| (o.status, o.body.lines().find(|l| l.contains("problem"))))
            .collect::<Vec<_>>()
    );
    let winner = winners[0];
    assert!(
        winner
            .location
            .as_deref()
            .is_some_and(|l| l.starts_with("/facilities/reservations/")),
        "{:?}",
        winner.location
    );
    let winner_name = &clerks[winner.clerk].1;
    let refusal = format!(
        "{winner_name} さんの予約「競争 {}」があるため、予約できません。",
        winner.clerk
    );
    for loser in outcomes.iter().filter(|o| o.clerk != winner.clerk) {
        assert_eq!(loser.status, 409, "clerk {}: {}", loser.clerk, loser.body);
        assert!(
            loser.body.contains(&refusal) && loser.body.contains(&format!("「{ROOM}」は")),
            "clerk {} is told who has the room: {}",
            loser.clerk,
            loser.body
        );
    }

    // The grid shows the one booking, and nobody else's.
    let grid = get(rooms, first).await;
    let entry = "class=\"entry-title\">競争 ";
    assert_eq!(grid.matches(entry).count(), 1, "{grid}");
    assert!(
        grid.contains(&format!("{entry}{}<", winner.clerk)),
        "{grid}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_clerks_racing_for_a_room_on_sqlite_make_one_booking() {
    fifty_clerks_race_for_one_room(SystemOptions::default()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_clerks_racing_for_a_room_on_postgres_make_one_booking() {
    let url = tokio::task::spawn_blocking(|| {
        harness::postgres::PgCluster::shared()?.create_database("yakuba_facility_race")
    })
    .await
    .unwrap()
    .unwrap_or_else(|e| panic!("PostgreSQL for the app: {e:#}"));
    fifty_clerks_race_for_one_room(SystemOptions {
        app_database: Some(url),
        ..SystemOptions::default()
    })
    .await;
}
