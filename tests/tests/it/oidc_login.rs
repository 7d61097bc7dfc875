//! Logins through a real OpenID provider (`oidc-provider` on Node) via the gateway: the code
//! flow with PKCE, the session it starts, RP-initiated logout, back-channel logout from the
//! provider, and a key rotation at the provider in the middle of the day.

use std::time::Duration;

use harness::oidc::{Browser, OidcClientSpec, OidcOptions, OidcProvider};
use harness::process::free_port;
use harness::system::{LOCAL_PASSWORD, System, SystemOptions};
use reqwest::header::{COOKIE, LOCATION};

use crate::client::{self, get, hidden, post_form};

const IDP: &str = "city";
const SECRET: &str = "gateway-secret-for-tests-0123456789";

struct Setup {
    sys: System,
    idp: OidcProvider,
    callback: String,
    post_logout: String,
    _secret: tempfile::NamedTempFile,
}

/// A gateway with one provider `city`, and the provider with the gateway registered
/// (redirect, post-logout redirect and back-channel logout URIs).
fn setup() -> Setup {
    setup_revalidating_every("5m")
}

fn setup_revalidating_every(interval: &str) -> Setup {
    let (sys, idp_port, secret) = gateway(interval);
    let idp = provider(&sys, idp_port);
    let origin = format!("https://localhost:{}", sys.https.port());
    Setup {
        callback: format!("{origin}/.yakuba/oidc/{IDP}/callback"),
        post_logout: format!("{origin}/.yakuba/login?logged_out=1"),
        sys,
        idp,
        _secret: secret,
    }
}

/// The gateway, configured for a provider on a port that nothing listens on yet.
fn gateway(revalidate: &str) -> (System, u16, tempfile::NamedTempFile) {
    let gw_port = free_port().unwrap();
    let idp_port = free_port().unwrap();
    let origin = format!("https://localhost:{gw_port}");
    let secret = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(secret.path(), format!("{SECRET}\n")).unwrap();
    let sys = System::start(SystemOptions {
        https_port: Some(gw_port),
        extra_gateway_toml: format!(
            r#"
[[oidc]]
id = "{IDP}"
display_name = {{ ja = "庁内統合認証", en = "City sign-in" }}
issuer = "http://127.0.0.1:{idp_port}"
client_id = "gateway"
client_secret_file = "{secret}"
redirect_url = "{origin}/.yakuba/oidc/{IDP}/callback"
post_logout_redirect_url = "{origin}/.yakuba/login?logged_out=1"
scopes = ["profile", "email", "groups", "department"]
jwks_min_refetch_interval = "1s"
"#,
            secret = secret.path().display(),
        ),
        revalidate_interval: Some(revalidate.to_owned()),
        ..SystemOptions::default()
    })
    .unwrap();
    (sys, idp_port, secret)
}

/// The provider on `port`, with the gateway of `sys` registered.
fn provider(sys: &System, port: u16) -> OidcProvider {
    let gw_port = sys.https.port();
    let origin = format!("https://localhost:{gw_port}");
    OidcProvider::start(OidcOptions {
        port: Some(port),
        clients: vec![OidcClientSpec {
            client_id: "gateway".into(),
            client_secret: SECRET.into(),
            redirect_uris: vec![format!("{origin}/.yakuba/oidc/{IDP}/callback")],
            post_logout_redirect_uris: vec![format!("{origin}/.yakuba/login?logged_out=1")],
            // By address: the gateway listens on 127.0.0.1, and Node may resolve
            // `localhost` to ::1 first. The certificate names both.
            backchannel_logout_uri: Some(format!(
                "https://127.0.0.1:{gw_port}/.yakuba/oidc/{IDP}/backchannel-logout"
            )),
        }],
        extra_ca_file: Some(sys.data_dir().join("tls/cert.pem")),
        ..OidcOptions::default()
    })
    .unwrap()
}

/// What a login through the provider leaves: the session cookie, or the failed response.
struct OidcAttempt {
    status: u16,
    location: Option<String>,
    session: Option<String>,
    callback_url: String,
    state_cookie: String,
}

/// Click the provider's button on the login page, log in at the provider as `login`, and
/// follow the redirect back to the gateway.
async fn oidc_login(s: &Setup, browser: &Browser, login: &str, password: &str) -> OidcAttempt {
    let page = get(&s.sys, "/.yakuba/login?return_to=%2Fdenkessai%2F", None)
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("庁内統合認証"), "{page}");
    let start = format!("/.yakuba/oidc/{IDP}/start?return_to=%2Fdenkessai%2F");
    assert!(page.contains(&start.replace('&', "&amp;")), "{page}");
    let started = get(&s.sys, &start, None).await;
    assert_eq!(started.status(), 303);
    let state_cookie = client::set_cookie(&started, "__Host-yakuba_oidc").unwrap();
    let authorize = started.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(
        authorize.contains("code_challenge_method=S256"),
        "{authorize}"
    );
    let back = browser
        .login(&authorize, login, password, &s.callback)
        .await
        .unwrap();
    let callback_url = format!("{}?{}", back.path(), back.query().unwrap_or_default());
    let resp = s
        .sys
        .client()
        .unwrap()
        .get(s.sys.url(&callback_url))
        .header(COOKIE, format!("__Host-yakuba_oidc={state_cookie}"))
        .send()
        .await
        .unwrap();
    OidcAttempt {
        status: resp.status().as_u16(),
        location: resp
            .headers()
            .get(LOCATION)
            .map(|v| v.to_str().unwrap().to_owned()),
        session: client::set_cookie(&resp, "__Host-yakuba_session"),
        callback_url,
        state_cookie,
    }
}

fn cookie_of(attempt: &OidcAttempt) -> String {
    format!(
        "__Host-yakuba_session={}",
        attempt.session.as_deref().expect("a session cookie")
    )
}

#[tokio::test]
async fn a_provider_login_starts_a_session_and_logout_ends_it_at_the_provider_too() {
    let s = setup();
    let browser = Browser::new().unwrap();
    let done = oidc_login(&s, &browser, "sato", "sato-pass-2").await;
    assert_eq!(done.status, 303, "callback refused");
    assert_eq!(done.location.as_deref(), Some("/denkessai/"));
    let cookie = cookie_of(&done);
    let portal = get(&s.sys, "/", Some(&cookie)).await;
    assert_eq!(portal.status(), 200);
    let html = portal.text().await.unwrap();
    assert!(html.contains("佐藤 花子"), "{html}");
    assert!(
        s.sys.audit_has(|r| r["kind"] == "login"
            && r["decision"] == "success"
            && r["user"] == "sato")
    );

    // The same callback again (a replayed code and state) is refused.
    let replay = s
        .sys
        .client()
        .unwrap()
        .get(s.sys.url(&done.callback_url))
        .header(COOKIE, format!("__Host-yakuba_oidc={}", done.state_cookie))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 403);

    // Logout ends the gateway session and sends the browser to the provider's end-session
    // endpoint with the ID token as hint, which brings it back to the login page.
    let csrf = hidden(&html, "csrf").unwrap();
    let out = post_form(
        &s.sys,
        "/.yakuba/logout",
        &cookie,
        &[("csrf", csrf.as_str())],
    )
    .await;
    assert_eq!(out.status(), 303);
    let to_idp = out.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(to_idp.starts_with(s.idp.issuer()), "{to_idp}");
    assert!(to_idp.contains("id_token_hint="));
    assert_eq!(get(&s.sys, "/", Some(&cookie)).await.status(), 302);
    let back = browser.logout(&to_idp, &s.post_logout).await.unwrap();
    assert!(back.as_str().starts_with(&s.post_logout));
    // The browser can log in again afterwards.
    let again = oidc_login(&s, &browser, "sato", "sato-pass-2").await;
    assert_eq!(again.status, 303);
}

#[tokio::test]
async fn a_callback_without_this_browsers_state_or_for_a_local_name_is_refused() {
    let s = setup();
    let browser = Browser::new().unwrap();
    // Another browser's state cookie: a login CSRF attempt.
    let started = get(&s.sys, &format!("/.yakuba/oidc/{IDP}/start"), None).await;
    let authorize = started.headers()[LOCATION].to_str().unwrap().to_owned();
    let back = browser
        .login(&authorize, "sato", "sato-pass-2", &s.callback)
        .await
        .unwrap();
    let path = format!("{}?{}", back.path(), back.query().unwrap_or_default());
    let forged = s
        .sys
        .client()
        .unwrap()
        .get(s.sys.url(&path))
        .header(COOKIE, "__Host-yakuba_oidc=not-the-state")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert!(client::set_cookie(&forged, "__Host-yakuba_session").is_none());
    assert!(s.sys.audit_has(|r| r["reason"] == "oidc_state_mismatch"));

    // The provider's `yamada` is not the local account `yamada`.
    let clash = oidc_login(&s, &Browser::new().unwrap(), "yamada", "yamada-pass-1").await;
    assert_eq!(clash.status, 401);
    assert!(clash.session.is_none());
    assert!(
        s.sys
            .audit_has(|r| r["reason"] == "name_taken_by_local_account")
    );
    crate::client::session_cookie(&s.sys, "yamada", LOCAL_PASSWORD).await;
}

#[tokio::test]
async fn a_logout_at_the_provider_ends_the_gateway_session_by_back_channel() {
    let s = setup();
    let browser = Browser::new().unwrap();
    let done = oidc_login(&s, &browser, "sato", "sato-pass-2").await;
    let cookie = cookie_of(&done);
    assert_eq!(get(&s.sys, "/", Some(&cookie)).await.status(), 200);

    // The user logs out at the provider (from another application, say): the provider posts
    // a logout token to the gateway, which ends the session.
    let end = format!(
        "{}/session/end?client_id=gateway&post_logout_redirect_uri={}",
        s.idp.issuer(),
        percent_encoding::utf8_percent_encode(&s.post_logout, percent_encoding::NON_ALPHANUMERIC)
    );
    browser.logout(&end, &s.post_logout).await.unwrap();
    let status = crate::client::wait_until_redirected(&s.sys, "/", &cookie).await;
    assert_eq!(
        status, 302,
        "the back-channel logout did not end the session"
    );
    assert!(s.sys.audit_has(|r| r["kind"] == "logout"
        && r["reason"] == "backchannel"
        && r["user"] == "sato"));

    // A forged logout token is refused and ends nothing.
    let other = oidc_login(&s, &Browser::new().unwrap(), "sato", "sato-pass-2").await;
    let other = cookie_of(&other);
    let forged = s
        .sys
        .client()
        .unwrap()
        .post(
            s.sys
                .url(&format!("/.yakuba/oidc/{IDP}/backchannel-logout")),
        )
        .form(&[(
            "logout_token",
            "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1LTAwMDIifQ.",
        )])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 400);
    assert_eq!(get(&s.sys, "/", Some(&other)).await.status(), 200);
}

#[tokio::test]
async fn a_key_rotation_at_the_provider_keeps_sessions_and_logins_working() {
    let mut s = setup();
    let first = oidc_login(&s, &Browser::new().unwrap(), "sato", "sato-pass-2").await;
    let first = cookie_of(&first);
    s.idp.rotate_keys().unwrap();
    // The session made before the rotation goes on.
    assert_eq!(get(&s.sys, "/", Some(&first)).await.status(), 200);
    // A login signed with the new key: the gateway fetches the provider's keys again.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let second = oidc_login(&s, &Browser::new().unwrap(), "sato", "sato-pass-2").await;
    assert_eq!(second.status, 303, "login after the key rotation failed");
    assert_eq!(
        get(&s.sys, "/", Some(&cookie_of(&second))).await.status(),
        200
    );
}

#[tokio::test]
async fn a_provider_that_is_down_is_named_on_the_login_page_and_works_once_it_is_back() {
    let (sys, idp_port, secret) = gateway("5m");
    let down = get(&sys, &format!("/.yakuba/oidc/{IDP}/start"), None).await;
    assert_eq!(down.status(), 503);
    let html = down.text().await.unwrap();
    assert!(
        html.contains("外部の認証サービスに接続できません"),
        "{html}"
    );
    assert!(sys.audit_has(|r| r["reason"] == "idp_unreachable"));
    // Local accounts still work meanwhile.
    crate::client::session_cookie(&sys, "yamada", LOCAL_PASSWORD).await;

    // No restart: the provider comes up and the next click discovers it.
    let idp = provider(&sys, idp_port);
    let origin = format!("https://localhost:{}", sys.https.port());
    let s = Setup {
        callback: format!("{origin}/.yakuba/oidc/{IDP}/callback"),
        post_logout: format!("{origin}/.yakuba/login?logged_out=1"),
        sys,
        idp,
        _secret: secret,
    };
    let done = oidc_login(&s, &Browser::new().unwrap(), "sato", "sato-pass-2").await;
    assert_eq!(done.status, 303);
}

/// The department the gateway tells 電子決裁 for the session `cookie`.
async fn department_seen_by_legacy(s: &Setup, cookie: &str) -> String {
    let echo: serde_json::Value = s
        .sys
        .client()
        .unwrap()
        .get(s.sys.url("/denkessai/_echo"))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let encoded = echo["headers"]["x-remote-dept"][0]
        .as_str()
        .unwrap_or_default();
    percent_encoding::percent_decode_str(encoded)
        .decode_utf8_lossy()
        .into_owned()
}

#[tokio::test]
async fn provider_sessions_are_revalidated_changes_apply_and_a_disabled_user_loses_access() {
    let s = setup_revalidating_every("1s");
    let done = oidc_login(&s, &Browser::new().unwrap(), "sato", "sato-pass-2").await;
    let cookie = cookie_of(&done);
    assert_eq!(department_seen_by_legacy(&s, &cookie).await, "財政課");

    // The provider moves her to 会計課: the next re-validation picks it up.
    let mut sato = harness::oidc::sample_accounts()
        .into_iter()
        .find(|a| a.login == "sato")
        .unwrap();
    sato.department = "会計課".into();
    s.idp.update_account(sato).unwrap();
    let mut seen = String::new();
    for _ in 0..60 {
        seen = department_seen_by_legacy(&s, &cookie).await;
        if seen == "会計課" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(seen, "会計課");

    // Disabled at the provider: the refresh is refused and the session ends.
    s.idp.disable_account("sato").unwrap();
    let status = crate::client::wait_until_redirected(&s.sys, "/", &cookie).await;
    assert_eq!(
        status, 302,
        "still logged in after the provider disabled the user"
    );
    assert!(s.sys.audit_has(|r| r["kind"] == "logout"
        && r["reason"] == "idp_revoked"
        && r["user"] == "sato"));
}
