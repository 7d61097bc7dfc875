//! Facility pages over HTTP without sockets: the grid, booking from the form, CSRF, bad
//! input, double booking, cancelling, approvals and administration, each with who may. This
//! file holds what the tests share (the app on SQLite with two rooms of 総務課, requests as a
//! given member of staff, booking through the form), which the busy-times and whereabouts
//! tests use too; the tests are grouped by subject in the modules below.

use std::time::Duration;

use app::facility::model::{
    Approval, CategoryId, FacilityId, FacilityInput, JST, Rules, Slot, iso_date,
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
use time::{Date, OffsetDateTime};
use tower::ServiceExt as _;

use crate::support::{Keys, TestDb, claims, sqlite_db};

mod administration;
mod booking;
mod grid;

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
