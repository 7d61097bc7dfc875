//! Single sign-on into legacy systems of every style, through the gateway, against the sample
//! systems of `yakuba-legacy-sso`: a JWT verifier using the gateway's JWKS, HTTP Basic with
//! credentials from the vault, and old Shift_JIS / EUC-JP login forms answering gzip that the
//! gateway fills in itself.

use std::io::Read as _;

use harness::samples::LegacySso;
use harness::system::{LOCAL_PASSWORD, System, SystemOptions};
use reqwest::header::{ACCEPT, COOKIE, LOCATION, SET_COOKIE, WWW_AUTHENTICATE};

use crate::client::{hidden, session_cookie};

const PASSWORD: &str = "パスワード1";

/// A browser's cookies for the gateway's origin (paths ignored: every test path is under
/// the cookie's path).
#[derive(Default)]
struct Jar(Vec<(String, String)>);

impl Jar {
    fn with_session(session: &str) -> Jar {
        let (name, value) = session.split_once('=').unwrap();
        Jar(vec![(name.to_owned(), value.to_owned())])
    }

    fn take(&mut self, resp: &reqwest::Response) {
        for value in resp.headers().get_all(SET_COOKIE) {
            let text = value.to_str().unwrap();
            let pair = text.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            self.0.retain(|(n, _)| n != name.trim());
            let expired = text.to_ascii_lowercase().contains("max-age=0") || value.is_empty();
            if !expired {
                self.0
                    .push((name.trim().to_owned(), value.trim().to_owned()));
            }
        }
    }

    fn header(&self) -> String {
        self.0
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(n, _)| n == name)
    }
}

/// A browser navigation (so the gateway redirects rather than answering 401).
async fn navigate(sys: &System, jar: &mut Jar, path: &str) -> reqwest::Response {
    let resp = sys
        .client()
        .unwrap()
        .get(sys.url(path))
        .header(COOKIE, jar.header())
        .header(ACCEPT, "text/html")
        .header("sec-fetch-mode", "navigate")
        .send()
        .await
        .unwrap();
    jar.take(&resp);
    resp
}

fn location(resp: &reqwest::Response) -> String {
    resp.headers()
        .get(LOCATION)
        .unwrap_or_else(|| panic!("no Location on a {} response", resp.status()))
        .to_str()
        .unwrap()
        .to_owned()
}

/// The body, un-gzipped when it is, decoded from `charset`.
async fn page_text(resp: reqwest::Response, charset: &'static encoding_rs::Encoding) -> String {
    let gzip = resp
        .headers()
        .get("content-encoding")
        .is_some_and(|v| v == "gzip");
    let bytes = resp.bytes().await.unwrap();
    let plain = if gzip {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_end(&mut out)
            .unwrap();
        out
    } else {
        bytes.to_vec()
    };
    charset.decode(&plain).0.into_owned()
}

/// Post the enrolment form at `enrol` (a gateway path) with `login` and `password`.
async fn enrol(
    sys: &System,
    jar: &mut Jar,
    enrol: &str,
    login: &str,
    password: &str,
) -> reqwest::Response {
    let page = navigate(sys, jar, enrol).await;
    assert_eq!(page.status(), 200, "enrolment page {enrol}");
    let html = page.text().await.unwrap();
    let csrf = hidden(&html, "csrf").expect("the enrolment form carries a CSRF token");
    let return_to = hidden(&html, "return").expect("and where to go next");
    let action = enrol.split('?').next().unwrap();
    let resp = sys
        .client()
        .unwrap()
        .post(sys.url(action))
        .header(COOKIE, jar.header())
        .form(&[
            ("csrf", csrf.as_str()),
            ("return", return_to.as_str()),
            ("login", login),
            ("password", password),
        ])
        .send()
        .await
        .unwrap();
    jar.take(&resp);
    resp
}

async fn stats(system: &LegacySso) -> serde_json::Value {
    reqwest::get(system.url("/_stats"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_jwt_verifier_accepts_the_gateways_assertion_for_its_audience_only() {
    let https_port = harness::process::free_port().unwrap();
    let port = harness::process::free_port().unwrap();
    let routes = format!(
        r#"
[[routes]]
id = "keiyaku"
name = "契約管理"
path_prefix = "/keiyaku/"
upstreams = ["127.0.0.1:{port}"]
identity = "assertion"
audience = "keiyaku"
[[routes]]
id = "keiyaku-other"
name = "契約管理(別の宛先)"
path_prefix = "/keiyaku-other/"
upstreams = ["127.0.0.1:{port}"]
identity = "assertion"
audience = "not-keiyaku"
"#
    );
    let sys = System::start(SystemOptions {
        extra_gateway_toml: routes,
        https_port: Some(https_port),
        ..SystemOptions::default()
    })
    .unwrap();
    let ca = sys.data_dir().join("tls/cert.pem");
    let jwks = format!("https://127.0.0.1:{https_port}/.yakuba/jwks.json");
    let ca = ca.to_str().unwrap();
    let _jwt = LegacySso::start_on(
        port,
        "jwt",
        "契約管理",
        &["--jwks-url", &jwks, "--audience", "keiyaku", "--ca", ca],
    )
    .unwrap();

    let cookie = session_cookie(&sys, "yamada", LOCAL_PASSWORD).await;
    let client = sys.client().unwrap();
    // The system started after the gateway: requests reach it from the next health check.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let resp = loop {
        let resp = client
            .get(sys.url("/keiyaku/_whoami"))
            .header(COOKIE, &cookie)
            .send()
            .await
            .unwrap();
        if resp.status() != 502 || std::time::Instant::now() > deadline {
            break resp;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["sub"], "yamada");
    assert_eq!(body["claims"]["aud"], "keiyaku");
    assert_eq!(body["claims"]["name"], "山田 太郎");

    let other: serde_json::Value = client
        .get(sys.url("/keiyaku-other/_whoami"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(other["error"], "wrong_audience", "{other}");

    // A forged assertion sent by the client is removed; without a session nothing arrives.
    let forged = client
        .get(sys.url("/keiyaku/_whoami"))
        .header(sso::assertion::HEADER, "eyJhbGciOiJub25lIn0.e30.")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
}

#[tokio::test]
async fn basic_credentials_come_from_the_vault_after_enrolment() {
    let bunsho =
        LegacySso::start("basic", "文書管理", &["--account", "yamada:パスワード1"]).unwrap();
    let routes = format!(
        r#"
[[routes]]
id = "bunsho"
name = "文書管理"
path_prefix = "/bunsho/"
upstreams = ["{}"]
identity = "basic"
tile = true
"#,
        bunsho.addr
    );
    let sys = System::start(SystemOptions {
        extra_gateway_toml: routes,
        ..SystemOptions::default()
    })
    .unwrap();
    let mut jar = Jar::with_session(&session_cookie(&sys, "yamada", LOCAL_PASSWORD).await);

    // Nothing stored: a browser is sent to enrol, an API call is told so.
    let first = navigate(&sys, &mut jar, "/bunsho/_whoami").await;
    assert_eq!(first.status(), 302);
    let to_enrol = location(&first);
    assert_eq!(to_enrol, "/.yakuba/vault/bunsho?return=%2Fbunsho%2F_whoami");
    let api = sys
        .client()
        .unwrap()
        .get(sys.url("/bunsho/_whoami"))
        .header(COOKIE, jar.header())
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 401);
    let api: serde_json::Value = api.json().await.unwrap();
    assert_eq!(api["error"], "credentials_required");

    // The form is prefilled with the user's own id; bad input saves nothing.
    let page = navigate(&sys, &mut jar, &to_enrol)
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("文書管理のログイン情報"), "{page}");
    assert!(page.contains("value=\"yamada\""));
    let empty = enrol(&sys, &mut jar, &to_enrol, "yamada", "").await;
    assert_eq!(empty.status(), 400);
    assert!(
        empty
            .text()
            .await
            .unwrap()
            .contains("ユーザーIDとパスワードを入力してください")
    );
    let forged = sys
        .client()
        .unwrap()
        .post(sys.url("/.yakuba/vault/bunsho"))
        .header(COOKIE, jar.header())
        .form(&[("csrf", "forged"), ("login", "yamada"), ("password", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert_eq!(
        navigate(&sys, &mut jar, "/bunsho/_whoami").await.status(),
        302
    );

    // A wrong password: the system refuses it, and the user is asked again, told why, with
    // no browser password dialog for API calls.
    let saved = enrol(&sys, &mut jar, &to_enrol, "yamada", "違うパスワード").await;
    assert_eq!(saved.status(), 303);
    assert_eq!(location(&saved), "/bunsho/_whoami");
    let refused = navigate(&sys, &mut jar, "/bunsho/_whoami").await;
    assert_eq!(refused.status(), 302);
    let again = location(&refused);
    assert_eq!(
        again,
        "/.yakuba/vault/bunsho?return=%2Fbunsho%2F_whoami&failed=1"
    );
    let api = sys
        .client()
        .unwrap()
        .get(sys.url("/bunsho/_whoami"))
        .header(COOKIE, jar.header())
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 401);
    assert!(api.headers().get(WWW_AUTHENTICATE).is_none());
    let page = navigate(&sys, &mut jar, &again).await.text().await.unwrap();
    assert!(page.contains("保存されているパスワードではログインできませんでした"));

    // The right one opens the system, as the user, from then on.
    let saved = enrol(&sys, &mut jar, &again, "yamada", PASSWORD).await;
    assert_eq!(saved.status(), 303);
    let opened = navigate(&sys, &mut jar, "/bunsho/_whoami").await;
    assert_eq!(opened.status(), 200);
    let who: serde_json::Value = opened.json().await.unwrap();
    assert_eq!(who["user"], "yamada");
    assert_eq!(stats(&bunsho).await["refused_wrong"], 2);

    // Every use and change is audited, never with the secret.
    assert!(sys.audit_has(|r| r["kind"] == "vault" && r["reason"] == "vault_enrolled"));
    assert!(sys.audit_has(|r| r["kind"] == "vault" && r["reason"] == "vault_updated"));
    assert!(sys.audit_has(|r| r["kind"] == "vault" && r["reason"] == "vault_credentials_refused"));
    assert!(sys.audit_has(|r| r["kind"] == "request"
        && r["route"] == "bunsho"
        && r["credential"] == "vault"
        && r["status"] == 200));
    let logs = sys.all_logs();
    let database = std::fs::read(sys.data_dir().join("gateway.db")).unwrap();
    for secret in [PASSWORD, "違うパスワード"] {
        assert!(!logs.contains(secret), "{secret} leaked into a log");
        let bytes = secret.as_bytes();
        assert!(
            !database.windows(bytes.len()).any(|w| w == bytes),
            "{secret} is stored in the clear"
        );
    }

    // The user's list shows the system; removing the entry asks for enrolment again.
    let list = navigate(&sys, &mut jar, "/.yakuba/vault")
        .await
        .text()
        .await
        .unwrap();
    assert!(list.contains("文書管理"));
    let csrf = hidden(&list, "csrf").unwrap();
    let removed = sys
        .client()
        .unwrap()
        .post(sys.url("/.yakuba/vault/bunsho/remove"))
        .header(COOKIE, jar.header())
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 303);
    assert_eq!(
        navigate(&sys, &mut jar, "/bunsho/_whoami").await.status(),
        302
    );
    assert!(sys.audit_has(|r| r["kind"] == "vault" && r["reason"] == "vault_removed"));
}

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
