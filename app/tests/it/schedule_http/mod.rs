//! The schedule over HTTP, without sockets: calendars, the event form and its refusals,
//! permissions, series exceptions, rooms booked with events, the free-slot search and the
//! calendar feed. This file holds what the tests share (the app on SQLite with the demo city,
//! requests as a given member of staff, the event form's fields); the tests are grouped by
//! subject in the modules below.

use std::time::Duration;

use app::i18n::Lang;
use app::org::model::StaffId;
use app::org::store as org;
use app::state::AppState;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt as _;
use sso::Claims;
use tower::ServiceExt as _;

use crate::support::{Keys, TestDb, claims, sqlite_db};

mod events;
mod feed;
mod free_slots;
mod rooms;

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

fn as_refs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect()
}
