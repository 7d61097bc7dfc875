//! Login, logout, redirects and sessions through the real gateway.

use harness::system::{LOCAL_PASSWORD, System, SystemOptions};
use reqwest::header::{COOKIE, LOCATION};

use crate::client::{self, get, hidden, login, post_form, session_cookie};

#[tokio::test]
async fn without_a_session_browsers_are_sent_to_login_and_api_calls_get_401() {
    let sys = System::start(SystemOptions::default()).unwrap();
    let resp = get(&sys, "/denkessai/list?page=2", None).await;
    assert_eq!(resp.status(), 302);
    assert_eq!(
        resp.headers()[LOCATION],
        "/.yakuba/login?return_to=%2Fdenkessai%2Flist%3Fpage%3D2"
    );

    let api = sys
        .client()
        .unwrap()
        .get(sys.url("/api/v1/me"))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 401);

    assert!(sys.audit_has(|r| r["decision"] == "redirect_login" && r["path"] == "/denkessai/list"));
    assert!(sys.audit_has(|r| r["decision"] == "deny" && r["status"] == 401));
}

#[tokio::test]
async fn a_wrong_password_gets_a_clear_message_no_session_and_an_audit_line() {
    let sys = System::start(SystemOptions::default()).unwrap();
    let started = std::time::Instant::now();
    let attempt = login(&sys, "yamada", "wrong-password").await;
    let wrong_took = started.elapsed();
    assert_eq!(attempt.status, 401);
    assert!(attempt.session.is_none());
    assert!(
        attempt
            .body
            .contains("ユーザーIDまたはパスワードが正しくありません"),
        "{}",
        attempt.body
    );
    // The same message for a user that does not exist.
    let started = std::time::Instant::now();
    let unknown = login(&sys, "nobody", "wrong-password").await;
    let unknown_took = started.elapsed();
    // Both failures are padded to the same floor (400 ms by default), so timing does not tell
    // an unknown user from a wrong password.
    for took in [wrong_took, unknown_took] {
        assert!(took >= std::time::Duration::from_millis(400), "{took:?}");
    }
    assert_eq!(unknown.status, 401);
    assert!(
        unknown
            .body
            .contains("ユーザーIDまたはパスワードが正しくありません")
    );

    assert!(sys.audit_has(|r| r["kind"] == "login"
        && r["decision"] == "failure"
        && r["user"] == "yamada"
        && r["reason"] == "bad_credentials"));
    assert!(sys.audit_has(|r| r["kind"] == "login"
        && r["decision"] == "failure"
        && r["user"] == "nobody"
        && r["reason"] == "unknown_user"));
    let logs = sys.all_logs();
    assert!(!logs.contains("wrong-password"), "a password reached a log");
}

#[tokio::test]
async fn a_local_user_logs_in_and_sees_their_name_on_the_portal() {
    let sys = System::start(SystemOptions::default()).unwrap();
    let attempt = client::login_returning(&sys, "yamada", LOCAL_PASSWORD, "/?from=test").await;
    assert_eq!(attempt.status, 303);
    assert_eq!(attempt.location.as_deref(), Some("/?from=test"));
    let cookie = format!("__Host-yakuba_session={}", attempt.session.unwrap());
    let portal = get(&sys, "/", Some(&cookie)).await;
    assert_eq!(portal.status(), 200);
    let html = portal.text().await.unwrap();
    assert!(html.contains("山田 太郎"), "{html}");
    assert!(html.contains("総務課"));
    // Tiles: 電子決裁 for everyone; 財務会計 needs a group yamada lacks.
    assert!(html.contains("電子決裁"));
    assert!(!html.contains("/zaimu/"));
    let logs = sys.all_logs();
    assert!(!logs.contains(LOCAL_PASSWORD), "a password reached a log");
    assert!(
        !logs.contains(cookie.split('=').nth(1).unwrap()),
        "a raw session id reached a log"
    );
}

#[tokio::test]
async fn the_session_cookie_is_a_host_prefixed_secure_httponly_lax_cookie() {
    let sys = System::start(SystemOptions::default()).unwrap();
    let client = sys.client().unwrap();
    let page = client.get(sys.url("/.yakuba/login")).send().await.unwrap();
    let nonce = client::set_cookie(&page, "__Host-yakuba_login").unwrap();
    let csrf = hidden(&page.text().await.unwrap(), "csrf").unwrap();
    let resp = client
        .post(sys.url("/.yakuba/login"))
        .header(COOKIE, format!("__Host-yakuba_login={nonce}"))
        .form(&[
            ("user", "yamada"),
            ("password", LOCAL_PASSWORD),
            ("csrf", csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    let header = client::set_cookie_header(&resp, "__Host-yakuba_session").unwrap();
    for attr in ["Path=/", "Secure", "HttpOnly", "SameSite=Lax"] {
        assert!(header.contains(attr), "{header} lacks {attr}");
    }
    assert!(!header.contains("Domain"));
    let id = client::set_cookie(&resp, "__Host-yakuba_session").unwrap();
    assert!(
        id.len() >= 22,
        "session id too short for 128 bits: {}",
        id.len()
    );
}

#[tokio::test]
async fn the_login_page_sends_someone_already_logged_in_on_to_the_return_path() {
    let sys = System::start(SystemOptions::default()).unwrap();
    let cookie = session_cookie(&sys, "yamada", LOCAL_PASSWORD).await;
    let resp = get(
        &sys,
        "/.yakuba/login?return_to=%2Fdenkessai%2F",
        Some(&cookie),
    )
    .await;
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()[LOCATION], "/denkessai/");
    let anonymous = get(&sys, "/.yakuba/login?return_to=%2Fdenkessai%2F", None).await;
    assert_eq!(anonymous.status(), 200);
}

#[tokio::test]
async fn a_login_without_the_forms_csrf_token_is_refused() {
    let sys = System::start(SystemOptions::default()).unwrap();
    let resp = sys
        .client()
        .unwrap()
        .post(sys.url("/.yakuba/login"))
        .form(&[
            ("user", "yamada"),
            ("password", LOCAL_PASSWORD),
            ("csrf", "forged"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    assert!(client::set_cookie(&resp, "__Host-yakuba_session").is_none());
}

#[tokio::test]
async fn after_logout_the_old_cookie_no_longer_works() {
    let sys = System::start(SystemOptions::default()).unwrap();
    let cookie = session_cookie(&sys, "yamada", LOCAL_PASSWORD).await;
    let portal = get(&sys, "/", Some(&cookie)).await.text().await.unwrap();
    let csrf =
        hidden(&portal, "csrf").expect("portal has a logout form with the session's CSRF token");

    // A logout without the token is refused and the session survives.
    let forged = post_form(&sys, "/.yakuba/logout", &cookie, &[("csrf", "x")]).await;
    assert_eq!(forged.status(), 403);
    assert_eq!(get(&sys, "/", Some(&cookie)).await.status(), 200);

    let out = post_form(&sys, "/.yakuba/logout", &cookie, &[("csrf", csrf.as_str())]).await;
    assert_eq!(out.status(), 303);
    assert_eq!(out.headers()[LOCATION], "/.yakuba/login?logged_out=1");
    let after = get(&sys, "/", Some(&cookie)).await;
    assert_eq!(after.status(), 302);
    assert!(
        sys.audit_has(|r| r["kind"] == "logout" && r["reason"] == "user" && r["user"] == "yamada")
    );
}

#[tokio::test]
async fn a_gateway_restart_keeps_sessions() {
    let mut sys = System::start(SystemOptions::default()).unwrap();
    let cookie = session_cookie(&sys, "yamada", LOCAL_PASSWORD).await;
    assert_eq!(get(&sys, "/", Some(&cookie)).await.status(), 200);
    sys.restart_gateway().unwrap();
    let portal = get(&sys, "/", Some(&cookie)).await;
    assert_eq!(portal.status(), 200);
    assert!(portal.text().await.unwrap().contains("山田 太郎"));
}

#[tokio::test]
async fn idle_sessions_end_and_send_the_browser_back_to_login() {
    let sys = System::start(SystemOptions {
        idle_timeout: Some("2s".into()),
        ..SystemOptions::default()
    })
    .unwrap();
    let cookie = session_cookie(&sys, "yamada", LOCAL_PASSWORD).await;
    assert_eq!(get(&sys, "/", Some(&cookie)).await.status(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    let resp = get(&sys, "/", Some(&cookie)).await;
    assert_eq!(resp.status(), 302);
    assert!(
        resp.headers()[LOCATION]
            .to_str()
            .unwrap()
            .contains("expired=1")
    );
    assert!(sys.audit_has(|r| r["kind"] == "logout" && r["reason"] == "idle_timeout"));
}

#[tokio::test]
async fn plain_http_only_redirects_to_https_and_health_endpoints_answer() {
    let sys = System::start(SystemOptions::default()).unwrap();
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = plain
        .get(format!("http://{}/denkessai/x?y=1", sys.http))
        .header("host", "localhost")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 308);
    assert_eq!(
        resp.headers()[LOCATION],
        format!("https://localhost:{}/denkessai/x?y=1", sys.https.port())
    );

    let client = sys.client().unwrap();
    assert_eq!(
        client
            .get(sys.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let ready = client.get(sys.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let text = ready.text().await.unwrap();
    assert!(
        text.contains("session_store ok") && text.contains("route denkessai ok"),
        "{text}"
    );
}

#[tokio::test]
async fn the_gateway_speaks_http2_over_tls() {
    let sys = System::start(SystemOptions::default()).unwrap();
    let cert = reqwest::Certificate::from_pem(&sys.certificate().unwrap()).unwrap();
    let client = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(cert)
        .resolve("localhost", sys.https)
        .build()
        .unwrap();
    let resp = client.get(sys.url("/healthz")).send().await.unwrap();
    assert_eq!(resp.version(), reqwest::Version::HTTP_2);
    assert!(resp.headers().get("server").is_none());
}

#[tokio::test]
async fn repeated_failures_ban_the_account_for_a_while_with_a_clear_message() {
    let sys = System::start(SystemOptions {
        extra_gateway_toml: "[login]\naccount_attempts = 3\naccount_ban = \"2s\"\n".into(),
        ..SystemOptions::default()
    })
    .unwrap();
    for _ in 0..3 {
        assert_eq!(login(&sys, "yamada", "guess").await.status, 401);
    }
    // Even the right password is refused during the ban, with its own message.
    let banned = login(&sys, "yamada", LOCAL_PASSWORD).await;
    assert_eq!(banned.status, 429);
    assert!(banned.session.is_none());
    assert!(
        banned.body.contains("ログインの失敗が続いた"),
        "{}",
        banned.body
    );
    // Other accounts are not affected.
    assert_eq!(login(&sys, "sato", "guess").await.status, 401);
    assert!(sys.audit_has(|r| r["kind"] == "login"
        && r["reason"] == "throttled_account"
        && r["user"] == "yamada"));

    tokio::time::sleep(std::time::Duration::from_millis(2200)).await;
    assert_eq!(login(&sys, "yamada", LOCAL_PASSWORD).await.status, 303);
}

#[tokio::test]
async fn an_administrator_lists_a_users_sessions_and_ends_one() {
    let sys = System::start(SystemOptions::default()).unwrap();
    let victim = session_cookie(&sys, "yamada", LOCAL_PASSWORD).await;
    let admin = session_cookie(&sys, "admin", LOCAL_PASSWORD).await;

    // Staff may not see the page.
    assert_eq!(
        get(&sys, "/.yakuba/admin/sessions", Some(&victim))
            .await
            .status(),
        403
    );

    let page = get(&sys, "/.yakuba/admin/sessions?user=yamada", Some(&admin)).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("山田 太郎"), "{html}");
    assert!(
        !html.contains(victim.split('=').nth(1).unwrap()),
        "a raw session id was shown"
    );
    let key = hidden(&html, "key").unwrap();
    let csrf = hidden(&html, "csrf").unwrap();

    let forged = post_form(
        &sys,
        "/.yakuba/admin/sessions/end",
        &admin,
        &[("csrf", "nope"), ("key", key.as_str())],
    )
    .await;
    assert_eq!(forged.status(), 403);
    assert_eq!(get(&sys, "/", Some(&victim)).await.status(), 200);

    let ended = post_form(
        &sys,
        "/.yakuba/admin/sessions/end",
        &admin,
        &[
            ("csrf", csrf.as_str()),
            ("key", key.as_str()),
            ("user", "yamada"),
        ],
    )
    .await;
    assert_eq!(ended.status(), 303);
    assert_eq!(get(&sys, "/", Some(&victim)).await.status(), 302);
    assert_eq!(get(&sys, "/", Some(&admin)).await.status(), 200);
    assert!(sys.audit_has(|r| r["kind"] == "logout"
        && r["reason"] == "admin"
        && r["user"] == "yamada"
        && r["actor"] == "admin"));
}

#[tokio::test]
async fn the_concurrent_session_limit_refuses_another_login_with_a_clear_message() {
    let sys = System::start(SystemOptions::default().with_max_sessions(1)).unwrap();
    let first = session_cookie(&sys, "yamada", LOCAL_PASSWORD).await;
    let second = login(&sys, "yamada", LOCAL_PASSWORD).await;
    assert_eq!(second.status, 409);
    assert!(second.session.is_none());
    assert!(
        second.body.contains("同時にログインできる数の上限"),
        "{}",
        second.body
    );
    assert!(sys.audit_has(|r| r["reason"] == "session_limit" && r["user"] == "yamada"));

    // After logging out the first, a new login works.
    let portal = get(&sys, "/", Some(&first)).await.text().await.unwrap();
    let csrf = hidden(&portal, "csrf").unwrap();
    post_form(&sys, "/.yakuba/logout", &first, &[("csrf", csrf.as_str())]).await;
    assert_eq!(login(&sys, "yamada", LOCAL_PASSWORD).await.status, 303);
}
