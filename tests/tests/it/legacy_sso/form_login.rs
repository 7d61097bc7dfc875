//! Old login forms the gateway fills in itself: a Shift_JIS form answering gzip (enrolment,
//! the login page shown in place, a changed password, the system's own logout), an EUC-JP
//! form posted in the charset its page declares, and the whole journey in headless Chromium.

use harness::samples::LegacySso;
use harness::system::{LOCAL_PASSWORD, System, SystemOptions};
use reqwest::header::SET_COOKIE;

use crate::client::session_cookie;

use super::{Jar, PASSWORD, enrol, location, navigate, page_text, stats};

fn form_route(id: &str, name: &str, addr: std::net::SocketAddr, charset: Option<&str>) -> String {
    let charset = charset
        .map(|c| format!("charset = \"{c}\"\n"))
        .unwrap_or_default();
    format!(
        r#"
[[routes]]
id = "{id}"
name = "{name}"
path_prefix = "/{id}/"
upstreams = ["{addr}"]
identity = "form_login"
strip_prefix = true
tile = true
[routes.form_login]
login_path = "/login"
logout_path = "/logout"
marker = "ログインしてください"
username_field = "user_id"
password_field = "passwd"
{charset}"#
    )
}

#[tokio::test]
async fn a_shift_jis_login_form_answering_gzip_is_filled_in_by_the_gateway() {
    let shomu = LegacySso::start("form", "庶務事務", &["--account", "yamada:パスワード1"]).unwrap();
    let sys = System::start(SystemOptions {
        extra_gateway_toml: form_route("shomu", "庶務事務", shomu.addr, Some("shift_jis")),
        ..SystemOptions::default()
    })
    .unwrap();
    let sjis = encoding_rs::SHIFT_JIS;
    let mut jar = Jar::with_session(&session_cookie(&sys, "yamada", LOCAL_PASSWORD).await);

    // The system redirects to its login page; the gateway takes over and, with nothing
    // stored, asks the user to enrol, then logs in and opens the page asked for.
    let first = navigate(&sys, &mut jar, "/shomu/menu").await;
    assert_eq!(first.status(), 302);
    let replay = location(&first);
    assert_eq!(replay, "/.yakuba/sso/shomu/login?return=%2Fshomu%2Fmenu");
    let to_enrol = navigate(&sys, &mut jar, &replay).await;
    assert_eq!(
        location(&to_enrol),
        "/.yakuba/vault/shomu?return=%2Fshomu%2Fmenu"
    );

    // A character Shift_JIS lacks is refused before anything is stored.
    let emoji = enrol(&sys, &mut jar, &location(&to_enrol), "yamada", "パス🙂").await;
    assert_eq!(emoji.status(), 400);
    assert!(emoji.text().await.unwrap().contains("使えない文字"));

    let saved = enrol(&sys, &mut jar, &location(&to_enrol), "yamada", PASSWORD).await;
    assert_eq!(saved.status(), 303);
    assert_eq!(location(&saved), replay);
    let logged_in = navigate(&sys, &mut jar, &replay).await;
    assert_eq!(logged_in.status(), 302);
    assert_eq!(location(&logged_in), "/shomu/menu");
    let cookies: Vec<String> = logged_in
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("LEGACYSESSID=") && c.contains("Path=/shomu")),
        "the system's session cookie stays under its prefix: {cookies:?}"
    );
    let menu = navigate(&sys, &mut jar, "/shomu/menu").await;
    assert_eq!(menu.status(), 200);
    assert!(page_text(menu, sjis).await.contains("ようこそ yamada さん"));
    let s = stats(&shomu).await;
    assert_eq!(
        (s["logins_ok"].as_u64(), s["csrf_failed"].as_u64()),
        (Some(1), Some(0))
    );

    // The login page asked for directly is logged into as well.
    let direct = navigate(&sys, &mut jar, "/shomu/login").await;
    assert_eq!(
        location(&direct),
        "/.yakuba/sso/shomu/login?return=%2Fshomu%2F"
    );

    // A system that shows its login form in place (200, gzip, Shift_JIS) once its session is
    // gone: the gateway recognises the marker and logs in again.
    reqwest::Client::new()
        .post(shomu.url("/_reset"))
        .send()
        .await
        .unwrap();
    let embedded = navigate(&sys, &mut jar, "/shomu/embedded-login").await;
    assert_eq!(embedded.status(), 200);
    let body = page_text(embedded, encoding_rs::UTF_8).await;
    assert!(
        body.contains("url=/.yakuba/sso/shomu/login?return=%2Fshomu%2Fembedded-login"),
        "{body}"
    );
    let again = navigate(
        &sys,
        &mut jar,
        "/.yakuba/sso/shomu/login?return=%2Fshomu%2Fembedded-login",
    )
    .await;
    assert_eq!(location(&again), "/shomu/embedded-login");
    let page = navigate(&sys, &mut jar, "/shomu/embedded-login").await;
    assert!(page_text(page, sjis).await.contains("ようこそ yamada さん"));

    // The password changes in the system: the replay is refused, the user updates it at the
    // gateway and lands where they were going.
    reqwest::Client::new()
        .post(shomu.url("/_password"))
        .form(&[("login", "yamada"), ("password", "新しいパスワード2")])
        .send()
        .await
        .unwrap();
    reqwest::Client::new()
        .post(shomu.url("/_reset"))
        .send()
        .await
        .unwrap();
    let replay = location(&navigate(&sys, &mut jar, "/shomu/menu").await);
    let refused = navigate(&sys, &mut jar, &replay).await;
    let update = location(&refused);
    assert_eq!(
        update,
        "/.yakuba/vault/shomu?return=%2Fshomu%2Fmenu&failed=1"
    );
    let saved = enrol(&sys, &mut jar, &update, "yamada", "新しいパスワード2").await;
    let done = navigate(&sys, &mut jar, &location(&saved)).await;
    assert_eq!(location(&done), "/shomu/menu");
    let menu = navigate(&sys, &mut jar, "/shomu/menu").await;
    assert!(page_text(menu, sjis).await.contains("ようこそ yamada さん"));

    // The system's own logout ends its session and leads to a gateway page that says so,
    // not to its login page (which the gateway would fill in again).
    let logout = navigate(&sys, &mut jar, "/shomu/logout").await;
    assert_eq!(logout.status(), 302);
    assert_eq!(location(&logout), "/.yakuba/sso/shomu/logged-out");
    assert!(!jar.has("LEGACYSESSID"), "the system's cookie is cleared");
    let out = navigate(&sys, &mut jar, "/.yakuba/sso/shomu/logged-out").await;
    let out = out.text().await.unwrap();
    assert!(out.contains("庶務事務"));
    assert!(out.contains("もう一度開く"));

    for reason in [
        "vault_enrolled",
        "vault_updated",
        "form_login_replayed",
        "form_login_refused",
    ] {
        assert!(
            sys.audit_has(|r| r["kind"] == "vault"
                && r["route"] == "shomu"
                && r["reason"] == reason),
            "no audit record {reason}"
        );
    }
    let logs = sys.all_logs();
    for secret in [PASSWORD, "新しいパスワード2"] {
        assert!(!logs.contains(secret), "{secret} leaked into a log");
    }
}

#[tokio::test]
async fn an_euc_jp_form_is_posted_in_the_charset_its_page_declares() {
    let chotatsu = LegacySso::start(
        "form",
        "共通物品調達",
        &[
            "--account",
            "yamada:調達パス",
            "--charset",
            "euc-jp",
            "--session-cookie",
            "CHOTATSU",
        ],
    )
    .unwrap();
    let sys = System::start(SystemOptions {
        // No charset configured: it is read from the login page.
        extra_gateway_toml: form_route("chotatsu", "共通物品調達", chotatsu.addr, None),
        ..SystemOptions::default()
    })
    .unwrap();
    let mut jar = Jar::with_session(&session_cookie(&sys, "yamada", LOCAL_PASSWORD).await);
    let replay = location(&navigate(&sys, &mut jar, "/chotatsu/menu").await);
    let to_enrol = location(&navigate(&sys, &mut jar, &replay).await);
    let saved = enrol(&sys, &mut jar, &to_enrol, "yamada", "調達パス").await;
    let done = navigate(&sys, &mut jar, &location(&saved)).await;
    assert_eq!(location(&done), "/chotatsu/menu");
    assert!(jar.has("CHOTATSU"));
    let menu = navigate(&sys, &mut jar, "/chotatsu/menu").await;
    assert!(
        page_text(menu, encoding_rs::EUC_JP)
            .await
            .contains("ようこそ yamada さん")
    );
    assert_eq!(stats(&chotatsu).await["logins_ok"], 1);
}

/// The whole journey in headless Chromium (`tests/oidc-provider/browser-form-login.mjs`): the
/// meta refresh, the `__Host-` and path-scoped cookies and the redirects as a browser does them.
#[tokio::test]
async fn a_browser_reaches_a_form_login_system_with_one_enrolment() {
    let shomu = LegacySso::start("form", "庶務事務", &["--account", "yamada:パスワード1"]).unwrap();
    let sys = System::start(SystemOptions {
        extra_gateway_toml: form_route("shomu", "庶務事務", shomu.addr, Some("shift_jis")),
        ..SystemOptions::default()
    })
    .unwrap();
    let dir = harness::oidc::ensure_npm_installed().unwrap();
    let output = tokio::process::Command::new("node")
        .arg(dir.join("browser-form-login.mjs"))
        .current_dir(&dir)
        .env("BASE", sys.url(""))
        .env("USER", "yamada")
        .env("PASSWORD", LOCAL_PASSWORD)
        .env("LEGACY_PASSWORD", PASSWORD)
        .env("PREFIX", "/shomu")
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(std::time::Duration::from_secs(120), output)
        .await
        .expect("the browser journey finishes within 2 minutes")
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let result: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap_or("{}"))
        .unwrap_or_else(|e| panic!("{e}: {stdout}\n{}", String::from_utf8_lossy(&output.stderr)));
    let seen = &result["seen"];
    assert_eq!(result["ok"], true, "{result}");
    assert_eq!(seen["first"], "/.yakuba/login");
    assert_eq!(seen["enrol"], "/.yakuba/vault/shomu");
    assert_eq!(seen["enrolHeading"], "庶務事務のログイン情報");
    assert_eq!(seen["afterEnrol"], "/shomu/menu");
    assert!(
        seen["welcome"]
            .as_str()
            .unwrap()
            .contains("ようこそ yamada さん")
    );
    assert_eq!(seen["afterLogout"], "/.yakuba/sso/shomu/logged-out");
    assert!(
        seen["logoutPage"]
            .as_str()
            .unwrap()
            .contains("このシステムからログアウトしました")
    );
    assert_eq!(seen["reopened"], "/shomu/");
    assert!(
        seen["reopenedBody"]
            .as_str()
            .unwrap()
            .contains("ようこそ yamada さん")
    );
    assert_eq!(seen["embeddedReplay"], "/.yakuba/sso/shomu/login");
    assert_eq!(seen["embeddedPath"], "/shomu/embedded-login");
    assert!(
        seen["embedded"]
            .as_str()
            .unwrap()
            .contains("ようこそ yamada さん")
    );
    let cookies: Vec<&str> = seen["cookiesBefore"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(cookies.contains(&"LEGACYSESSID@/shomu"), "{cookies:?}");
    assert!(cookies.contains(&"__Host-yakuba_session@/"), "{cookies:?}");
    // Three automatic logins: after enrolment, on reopening, and for the page in place.
    assert_eq!(stats(&shomu).await["logins_ok"], 3);
}
