//! The app's audit feature over HTTP: granting and revoking function-administrator rights
//! become audit records naming who did it to whom, and the audit view is for the security
//! team only, reads the gateway's segments and is itself recorded.

use std::time::Duration;

use app::audit::AuditTrail;
use app::config::AuditSettings;
use app::i18n::Lang;
use app::org::model::Role;
use app::org::store as org;
use app::state::AppState;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt as _;
use sso::Claims;
use sso::audit::{Action, Decision, Record};
use tower::ServiceExt as _;

use crate::support::{Keys, TestDb, claims, sqlite_db};

struct TestApp {
    keys: Keys,
    state: AppState,
    _db: TestDb,
}

impl TestApp {
    async fn new(audit: AuditSettings) -> TestApp {
        let db = sqlite_db().await;
        org::insert_city(&db.pool, &app::org::seed::demo_city())
            .await
            .unwrap();
        let admin = org::find_staff_by_login(&db.pool, "admin")
            .await
            .unwrap()
            .unwrap();
        org::grant_role(&db.pool, admin.id, Role::SystemAdmin)
            .await
            .unwrap();
        let keys = Keys::generate();
        let mut state = AppState::new(db.pool.clone(), keys.verifier(), Lang::Ja);
        state.audit = AuditTrail::in_memory(audit);
        TestApp {
            keys,
            state,
            _db: db,
        }
    }

    async fn send(
        &self,
        who: Claims,
        request: axum::http::request::Builder,
        body: Body,
    ) -> (StatusCode, String) {
        let token = self.keys.signer(Duration::from_secs(60)).sign(who).unwrap();
        let request = request
            .header(sso::assertion::HEADER, token)
            .body(body)
            .unwrap();
        let response = app::routes::router(self.state.clone())
            .oneshot(request)
            .await
            .unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    async fn post(&self, who: &str, path: &str, fields: &[(&str, &str)]) -> StatusCode {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let request =
            Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        self.send(claims(who, who, None), request, Body::from(body))
            .await
            .0
    }
}

fn security(login: &str) -> Claims {
    Claims {
        groups: vec!["staff".into(), "yakuba-security".into()],
        ..claims(login, "監査 花子", Some("監査課"))
    }
}

#[tokio::test]
async fn granting_and_revoking_function_admin_rights_are_recorded_with_actor_and_target() {
    let app = TestApp::new(AuditSettings::default()).await;
    let status = app
        .post(
            "admin",
            "/admin/function-admins",
            &[
                ("csrf", "csrf-token-123"),
                ("staff", "yamada"),
                ("module", "facility"),
                ("scope", "all"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let yamada = org::find_staff_by_login(&app.state.pool, "yamada")
        .await
        .unwrap()
        .unwrap();
    let id = yamada.id.to_string();
    let status = app
        .post(
            "admin",
            "/admin/function-admins/revoke",
            &[
                ("csrf", "csrf-token-123"),
                ("staff", &id),
                ("module", "facility"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    let kept: Vec<serde_json::Value> = app
        .state
        .audit
        .kept()
        .iter()
        .map(|r| serde_json::to_value(r).unwrap())
        .collect();
    let granted = kept
        .iter()
        .find(|r| r["event"]["reason"] == "function_admin_granted")
        .expect("a record of the grant");
    assert_eq!(granted["event"]["action"], "admin");
    assert_eq!(granted["event"]["type"][0], "admin");
    assert_eq!(granted["user"]["name"], "admin");
    assert_eq!(granted["user"]["target"]["name"], "yamada");
    assert_eq!(granted["yakuba"]["session"], "session-hash");
    assert_eq!(granted["yakuba"]["detail"]["module"], "facility");
    assert_eq!(granted["yakuba"]["detail"]["scope"], "all");
    let revoked = kept
        .iter()
        .find(|r| r["event"]["reason"] == "function_admin_revoked")
        .expect("a record of the revocation");
    assert_eq!(revoked["user"]["target"]["name"], "yamada");

    // A refused grant (not a system administrator) changes nothing and records nothing.
    let before = app.state.audit.kept().len();
    let status = app
        .post(
            "yamada",
            "/admin/function-admins",
            &[
                ("csrf", "csrf-token-123"),
                ("staff", "sato"),
                ("module", "facility"),
                ("scope", "all"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(app.state.audit.kept().len(), before);
}

/// Gateway records as the gateway writes them, in a real segment directory.
fn gateway_segments(dir: &std::path::Path) {
    let key = sso::audit::seal::SealKey::load_or_create(&dir.join("audit.key"), true).unwrap();
    let mut stream = sso::audit::stream::Stream::open(
        sso::audit::stream::StreamSettings {
            stream: "gateway".into(),
            dir: dir.join("audit"),
            segment_max_bytes: 1 << 20,
            rotate_daily: false,
            retention: Duration::from_secs(86_400 * 400),
            fsync: sso::audit::stream::Fsync::Never,
            config_version: None,
            checkpoint_dir: None,
            checkpoint_interval: Duration::from_secs(10),
            compress: false,
        },
        key,
    )
    .unwrap();
    let at = 1_775_001_600_000; // 2026-04-01T09:00 JST
    for (i, (user, route, status)) in [
        ("sato", "zaimu", 200),
        ("yamada", "zaimu", 403),
        ("sato", "denkessai", 200),
    ]
    .into_iter()
    .enumerate()
    {
        stream.push(Record {
            time_ms: at + i as i64 * 60_000,
            user: Some(user.into()),
            route: Some(route.into()),
            status: Some(status),
            method: Some("GET".into()),
            path: Some(format!("/{route}/")),
            client: Some("10.1.2.3".parse().unwrap()),
            ..Record::new(
                Action::Request,
                if status == 200 {
                    Decision::Allow
                } else {
                    Decision::Deny
                },
                if status == 200 {
                    "session_valid"
                } else {
                    "policy_denied"
                },
            )
        });
    }
    stream.close(None).unwrap();
}

#[tokio::test]
async fn the_audit_view_is_for_the_security_team_and_reads_the_gateways_segments() {
    let dir = tempfile::tempdir().unwrap();
    gateway_segments(dir.path());
    let app = TestApp::new(AuditSettings {
        view_dirs: vec![dir.path().join("audit")],
        ..AuditSettings::default()
    })
    .await;

    let (status, _) = app
        .send(
            claims("yamada", "山田 太郎", None),
            Request::get("/audit"),
            Body::empty(),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, page) = app
        .send(
            security("ito"),
            Request::get("/audit?user=sato&from=2026-04-01&to=2026-04-01"),
            Body::empty(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("監査ログ"));
    // Newest first, in JST.
    let denkessai = page.find("2026-04-01 09:02:00").expect("the newer record");
    let zaimu = page.find("2026-04-01 09:00:00").expect("the older record");
    assert!(denkessai < zaimu);
    assert!(
        !page.contains("policy_denied"),
        "yamada's record is filtered out"
    );
    assert!(page.contains("10.1.2.3"));

    let (_, page) = app
        .send(
            security("ito"),
            Request::get("/audit?decision=deny&status=4xx"),
            Body::empty(),
        )
        .await;
    assert!(page.contains("policy_denied") && page.contains("yamada"));

    let (status, page) = app
        .send(
            security("ito"),
            Request::get("/audit?from=yesterday&status=999"),
            Body::empty(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("日時の形式が正しくありません"), "{page}");
    assert!(page.contains("403 や 4xx"), "{page}");

    // Looking is recorded: who searched for whom.
    let viewed: Vec<serde_json::Value> = app
        .state
        .audit
        .kept()
        .iter()
        .map(|r| serde_json::to_value(r).unwrap())
        .filter(|r| r["event"]["reason"] == "audit_log_viewed")
        .collect();
    assert_eq!(viewed.len(), 2);
    assert_eq!(viewed[0]["user"]["name"], "ito");
    assert_eq!(viewed[0]["yakuba"]["detail"]["user"], "sato");
}
