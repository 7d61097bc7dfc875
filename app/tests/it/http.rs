//! The app over HTTP, without sockets: who gets in, and what the portal shows them.

use std::time::Duration;

use app::i18n::Lang;
use app::state::AppState;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use http_body_util::BodyExt as _;
use sso::Claims;
use tower::ServiceExt as _;

use crate::support::{Keys, TestDb, claims, now, sqlite_db};

/// The app over the demo city, with the keys its gateway signs with.
struct TestApp {
    keys: Keys,
    state: AppState,
    _db: TestDb,
}

impl TestApp {
    async fn new() -> TestApp {
        let db = sqlite_db().await;
        app::org::store::insert_city(&db.pool, &app::org::seed::demo_city())
            .await
            .unwrap();
        let keys = Keys::generate();
        let state = AppState::new(db.pool.clone(), keys.verifier(), Lang::Ja);
        TestApp {
            keys,
            state,
            _db: db,
        }
    }

    fn assertion(&self, claims: Claims) -> String {
        self.keys
            .signer(Duration::from_secs(60))
            .sign(claims)
            .unwrap()
    }

    async fn get(&self, path: &str, assertion: Option<&str>) -> Reply {
        let mut request = Request::get(path);
        if let Some(token) = assertion {
            request = request.header(sso::assertion::HEADER, token);
        }
        self.send(request.body(Body::empty()).unwrap()).await
    }

    async fn get_as(&self, path: &str, claims: Claims) -> Reply {
        let token = self.assertion(claims);
        self.get(path, Some(&token)).await
    }

    async fn send(&self, request: Request<Body>) -> Reply {
        let response = app::routes::router(self.state.clone())
            .oneshot(request)
            .await
            .unwrap();
        Reply::read(response).await
    }
}

fn yamada() -> Claims {
    claims("yamada", "山田 太郎", Some("総務課"))
}

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Reply {
    async fn read(response: Response<Body>) -> Reply {
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            headers,
            body: String::from_utf8(bytes.to_vec()).unwrap(),
        }
    }

    fn header(&self, name: header::HeaderName) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    fn assert_unauthenticated(&self) {
        assert_eq!(self.status, StatusCode::UNAUTHORIZED, "{}", self.body);
        assert!(self.body.contains("認証が必要です"), "{}", self.body);
        assert!(
            self.body.contains("Authentication required"),
            "{}",
            self.body
        );
    }

    fn assert_contains_in_order(&self, parts: &[&str]) {
        let mut rest = self.body.as_str();
        for part in parts {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => panic!("{part:?} missing (or out of order) in:\n{}", self.body),
            }
        }
    }
}

#[tokio::test]
async fn a_request_without_an_assertion_is_refused() {
    let app = TestApp::new().await;
    app.get("/", None).await.assert_unauthenticated();
}

#[tokio::test]
async fn an_assertion_signed_with_another_key_is_refused() {
    let app = TestApp::new().await;
    let forger = Keys::generate();
    let forged = forger
        .signer(Duration::from_secs(60))
        .sign(yamada())
        .unwrap();
    app.get("/", Some(&forged)).await.assert_unauthenticated();
}

#[tokio::test]
async fn an_expired_assertion_is_refused() {
    let app = TestApp::new().await;
    let mut old = yamada();
    old.iat = now() - 3600;
    let token = app.assertion(old);
    app.get("/", Some(&token)).await.assert_unauthenticated();
}

#[tokio::test]
async fn an_assertion_for_another_audience_is_refused() {
    let app = TestApp::new().await;
    let mut elsewhere = yamada();
    elsewhere.aud = "denkessai".into();
    let token = app.assertion(elsewhere);
    app.get("/", Some(&token)).await.assert_unauthenticated();
}

#[tokio::test]
async fn an_assertion_living_longer_than_allowed_is_refused() {
    let app = TestApp::new().await;
    let token = app
        .keys
        .signer(Duration::from_secs(3600))
        .sign(yamada())
        .unwrap();
    app.get("/", Some(&token)).await.assert_unauthenticated();
}

#[tokio::test]
async fn a_garbled_assertion_is_refused() {
    let app = TestApp::new().await;
    let token = app.assertion(yamada());
    let tampered = format!("{}x", token);
    app.get("/", Some(&tampered)).await.assert_unauthenticated();
    app.get("/", Some("not-a-jwt"))
        .await
        .assert_unauthenticated();
}

#[tokio::test]
async fn two_assertion_headers_are_refused_even_if_both_verify() {
    let app = TestApp::new().await;
    let token = app.assertion(yamada());
    let request = Request::get("/")
        .header(sso::assertion::HEADER, &token)
        .header(sso::assertion::HEADER, &token)
        .body(Body::empty())
        .unwrap();
    app.send(request).await.assert_unauthenticated();
}

#[tokio::test]
async fn the_portal_shows_the_user_their_department_path_and_tiles() {
    let app = TestApp::new().await;
    let reply = app.get_as("/", yamada()).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(
        reply.header(header::CONTENT_TYPE),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(reply.header(header::CACHE_CONTROL), Some("no-store"));
    assert_eq!(reply.header(header::SET_COOKIE), None);
    reply.assert_contains_in_order(&[
        r#"<html lang="ja">"#,
        "Yakuba",
        "山田 太郎",
        "総務局 › 総務部 › 総務課",
        r#"href="?lang=en""#,
        r#"<form class="logout" method="post" action="/.yakuba/logout">"#,
        r#"<input type="hidden" name="csrf" value="csrf-token-123">"#,
        "ログアウト",
        "業務システム",
        r#"href="/denkessai/""#,
        "電子決裁",
        r#"href="/zaimu/""#,
        "財務会計",
        "今日の予定",
        "予定はありません。",
        "設備予約の結果",
        "新しいお知らせはありません。",
        "未読の伝言",
        "未読の伝言はありません。",
        "未読のお知らせ",
        "準備中",
        "承認待ち",
        "チャット未読",
    ]);
}

#[tokio::test]
async fn a_section_chief_sees_their_title_and_department() {
    let app = TestApp::new().await;
    let reply = app
        .get_as("/", claims("sato", "佐藤 花子", Some("財務課")))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    reply.assert_contains_in_order(&["佐藤 花子", "課長", "財政局 › 財務部 › 財務課"]);
}

#[tokio::test]
async fn a_user_unknown_to_the_organisation_sees_what_the_gateway_asserted() {
    let app = TestApp::new().await;
    let reply = app
        .get_as("/", claims("visitor", "来庁 者", Some("外部委託")))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    reply.assert_contains_in_order(&["来庁 者", "外部委託"]);

    let reply = app.get_as("/", claims("visitor", "来庁 者", None)).await;
    reply.assert_contains_in_order(&["来庁 者", "所属未登録"]);
}

#[tokio::test]
async fn choosing_english_shows_english_and_remembers_it() {
    let app = TestApp::new().await;
    let reply = app.get_as("/?lang=en", yamada()).await;
    assert_eq!(reply.status, StatusCode::OK);
    let cookie = reply.header(header::SET_COOKIE).unwrap();
    assert!(cookie.starts_with("yakuba_lang=en;"), "{cookie}");
    for attribute in ["Path=/", "SameSite=Lax", "Secure"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    reply.assert_contains_in_order(&[
        r#"<html lang="en">"#,
        r#"href="?lang=ja""#,
        "日本語",
        "Log out",
        "Business systems",
        "e-Approval",
        "Finance",
        "Today&#39;s schedule",
        "Nothing scheduled.",
        "Coming soon",
    ]);
    assert!(!reply.body.contains("ログアウト"));
}

#[tokio::test]
async fn the_language_cookie_is_honoured_and_the_query_overrides_it() {
    let app = TestApp::new().await;
    let token = app.assertion(yamada());
    let with_cookie = |path: &str| {
        Request::get(path)
            .header(sso::assertion::HEADER, &token)
            .header(header::COOKIE, "other=1; yakuba_lang=en")
            .body(Body::empty())
            .unwrap()
    };
    let english = app.send(with_cookie("/")).await;
    assert!(english.body.contains("Log out"));
    assert_eq!(english.header(header::SET_COOKIE), None);

    let japanese = app.send(with_cookie("/?lang=ja")).await;
    assert!(japanese.body.contains("ログアウト"));
    assert!(
        japanese
            .header(header::SET_COOKIE)
            .unwrap()
            .starts_with("yakuba_lang=ja;")
    );

    let unknown = app.send(with_cookie("/?lang=fr")).await;
    assert!(unknown.body.contains("Log out"));
    assert_eq!(unknown.header(header::SET_COOKIE), None);
}

#[tokio::test]
async fn user_content_is_escaped_and_unsafe_tiles_are_dropped() {
    let app = TestApp::new().await;
    let mut hostile = claims("mallory", "<script>alert(1)</script>", Some("<b>課</b>"));
    hostile.csrf = r#""><script>"#.into();
    hostile.apps[0].href = "javascript:alert(1)".into();
    hostile.apps[1].name = "<img src=x>".into();
    let reply = app.get_as("/", hostile).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(!reply.body.contains("<script>"), "{}", reply.body);
    assert!(!reply.body.contains("<img"), "{}", reply.body);
    assert!(!reply.body.contains("<b>課"), "{}", reply.body);
    assert!(!reply.body.contains("javascript:"), "{}", reply.body);
    assert!(
        reply
            .body
            .contains("&#60;script&#62;alert(1)&#60;/script&#62;")
    );
}

#[tokio::test]
async fn a_user_with_no_business_systems_is_told_so() {
    let app = TestApp::new().await;
    let mut lonely = yamada();
    lonely.apps.clear();
    let reply = app.get_as("/", lonely).await;
    assert!(reply.body.contains("利用できる業務システムはありません。"));
}

#[tokio::test]
async fn health_answers_without_an_assertion() {
    let app = TestApp::new().await;
    let reply = app.get("/healthz", None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body.trim(), "ok");
}

#[tokio::test]
async fn the_stylesheet_is_served_without_an_assertion_and_needs_nothing_from_outside() {
    let app = TestApp::new().await;
    let reply = app.get("/static/app.css", None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.header(header::CONTENT_TYPE),
        Some("text/css; charset=utf-8")
    );
    assert!(reply.body.contains("Hiragino Sans"));
    for outside in ["http://", "https://", "@import", "@font-face", "url("] {
        assert!(!reply.body.contains(outside), "stylesheet uses {outside}");
    }
}

#[tokio::test]
async fn an_unknown_path_is_404_for_users_and_401_for_anyone_else() {
    let app = TestApp::new().await;
    let reply = app.get_as("/no/such/page", yamada()).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.body);
    assert!(reply.body.contains("ページが見つかりません"));
    // A page of the site, in its layout with the module navigation, not bare text.
    assert_eq!(
        reply.header(header::CONTENT_TYPE),
        Some("text/html; charset=utf-8")
    );
    for part in [
        "<!DOCTYPE html>",
        "/static/app.css",
        "href=\"/schedule\"",
        "Back to the portal",
    ] {
        assert!(reply.body.contains(part), "{part} missing: {}", reply.body);
    }
    app.get("/no/such/page", None)
        .await
        .assert_unauthenticated();
    app.get("/static/other.css", None)
        .await
        .assert_unauthenticated();
}

#[tokio::test]
async fn every_response_forbids_framing_and_outside_content() {
    let app = TestApp::new().await;
    for reply in [
        app.get_as("/", yamada()).await,
        app.get("/", None).await,
        app.get("/healthz", None).await,
    ] {
        assert_eq!(reply.header(header::X_FRAME_OPTIONS), Some("DENY"));
        assert_eq!(
            reply.header(header::X_CONTENT_TYPE_OPTIONS),
            Some("nosniff")
        );
        let policy = reply.header(header::CONTENT_SECURITY_POLICY).unwrap();
        assert!(policy.starts_with("default-src 'none'"), "{policy}");
    }
}
