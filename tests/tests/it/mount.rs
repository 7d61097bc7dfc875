//! A legacy system that thinks it owns the whole site, mounted under `/kyuyo/`: it sees paths
//! without the prefix, and its redirects and cookies are kept under the prefix.

use harness::system::{LOCAL_PASSWORD, System, SystemOptions};
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};

use crate::client::session_cookie;

const KYUYO: &str = r#"
[[routes]]
id = "kyuyo"
name = "給与"
path_prefix = "/kyuyo/"
upstreams = ["{legacy1}"]
identity = "headers"
strip_prefix = true
headers = [{ name = "X-Remote-User", value = "user" }]
"#;

#[tokio::test]
async fn a_mounted_system_keeps_its_redirects_and_cookies_under_its_prefix() {
    let sys = System::start(SystemOptions {
        extra_gateway_toml: KYUYO.to_owned(),
        ..SystemOptions::default()
    })
    .unwrap();
    let cookie = session_cookie(&sys, "yamada", LOCAL_PASSWORD).await;
    let client = sys.client().unwrap();
    let get = |path: &str| client.get(sys.url(path)).header(COOKIE, &cookie).send();

    let echo: serde_json::Value = get("/kyuyo/reports/_echo")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(echo["path"], "/reports/_echo");
    assert_eq!(echo["headers"]["x-remote-user"][0], "yamada");

    for path in ["/kyuyo/x/_login_done", "/kyuyo/abs/_login_done"] {
        let resp = get(path).await.unwrap();
        assert_eq!(resp.status(), 302, "{path}");
        assert_eq!(resp.headers()[LOCATION], "/kyuyo/menu/top", "{path}");
        let cookies: Vec<&str> = resp
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        assert!(
            cookies.contains(&"LEGACYSESSION=abc; Path=/kyuyo; HttpOnly"),
            "{cookies:?}"
        );
        assert!(
            cookies.contains(&"PREF=ja; Path=/kyuyo/menu"),
            "{cookies:?}"
        );
        assert!(cookies.contains(&"NOPATH=1; Path=/kyuyo"), "{cookies:?}");
    }
}

#[tokio::test]
async fn a_dead_upstream_is_skipped_and_a_dead_system_gets_a_page_naming_it() {
    let dead = harness::process::free_port().unwrap();
    let routes = format!(
        r#"
[[routes]]
id = "kosho"
name = "公所管理"
path_prefix = "/kosho/"
upstreams = ["127.0.0.1:{dead}", "{{legacy0}}"]
identity = "headers"
headers = [{{ name = "X-Remote-User", value = "user" }}]
[[routes]]
id = "koshou"
name = "故障中システム"
path_prefix = "/koshou/"
upstreams = ["127.0.0.1:{dead}"]
identity = "headers"
headers = [{{ name = "X-Remote-User", value = "user" }}]
"#
    );
    let sys = System::start(SystemOptions {
        extra_gateway_toml: routes,
        ..SystemOptions::default()
    })
    .unwrap();
    let cookie = session_cookie(&sys, "yamada", LOCAL_PASSWORD).await;
    // After one health check (every second here), only the live upstream gets requests.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    for _ in 0..10 {
        let resp = crate::client::get(&sys, "/kosho/_echo", Some(&cookie)).await;
        assert_eq!(resp.status(), 200);
    }
    // A system with no live upstream: a page naming it, an audit line, other systems fine.
    let resp = crate::client::get(&sys, "/koshou/", Some(&cookie)).await;
    assert_eq!(resp.status(), 502);
    let page = resp.text().await.unwrap();
    assert!(page.contains("故障中システム"), "{page}");
    assert!(sys.audit_has(|r| r["route"] == "koshou"
        && r["reason"] == "upstream_failed"
        && r["status"] == 502));
    assert_eq!(
        crate::client::get(&sys, "/denkessai/_echo", Some(&cookie))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn a_system_slower_than_its_read_timeout_gets_a_page_saying_it_did_not_answer() {
    // A system that accepts connections but never answers, and a slow one with a short limit.
    let hung = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let hung_addr = hung.local_addr().unwrap();
    let routes = format!(
        r#"
[[routes]]
id = "shukei"
name = "集計システム"
name_en = "Tally system"
path_prefix = "/shukei/"
upstreams = ["{{legacy0}}"]
identity = "headers"
headers = [{{ name = "X-Remote-User", value = "user" }}]
read_timeout = "1s"
[[routes]]
id = "teishi"
name = "応答停止システム"
path_prefix = "/teishi/"
upstreams = ["{hung_addr}"]
identity = "headers"
headers = [{{ name = "X-Remote-User", value = "user" }}]
read_timeout = "1s"
"#
    );
    let sys = System::start(SystemOptions {
        extra_gateway_toml: routes,
        ..SystemOptions::default()
    })
    .unwrap();
    let cookie = session_cookie(&sys, "yamada", LOCAL_PASSWORD).await;
    // Within the limit the page comes through.
    let resp = crate::client::get(&sys, "/shukei/_slow?ms=200", Some(&cookie)).await;
    assert_eq!(resp.status(), 200);
    // Beyond it the user is told, by name, that the system did not answer.
    let started = std::time::Instant::now();
    let resp = crate::client::get(&sys, "/shukei/_slow?ms=4000", Some(&cookie)).await;
    assert_eq!(resp.status(), 504);
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
    let page = resp.text().await.unwrap();
    assert!(
        page.contains("集計システム") && page.contains("応答がありません"),
        "{page}"
    );
    let resp = crate::client::get(&sys, "/teishi/", Some(&cookie)).await;
    assert_eq!(resp.status(), 504);
    assert!(sys.audit_has(|r| r["route"] == "teishi" && r["reason"] == "upstream_timeout"));
    assert!(sys.audit_has(|r| r["route"] == "shukei" && r["reason"] == "upstream_timeout"));
    // Other systems are not held up.
    assert_eq!(
        crate::client::get(&sys, "/denkessai/_echo", Some(&cookie))
            .await
            .status(),
        200
    );
    drop(hung);
}

#[tokio::test]
async fn responses_carry_security_headers_and_the_routes_frame_and_content_policy() {
    let routes = r#"
[[routes]]
id = "bunsho"
name = "文書管理"
path_prefix = "/bunsho/"
upstreams = ["{legacy0}"]
identity = "headers"
headers = [{ name = "X-Remote-User", value = "user" }]
content_security_policy = "default-src 'self'; frame-ancestors 'self'"
frame_options = "SAMEORIGIN"
"#;
    let sys = System::start(SystemOptions {
        extra_gateway_toml: routes.to_owned(),
        ..SystemOptions::default()
    })
    .unwrap();
    let cookie = session_cookie(&sys, "yamada", LOCAL_PASSWORD).await;
    let resp = crate::client::get(&sys, "/bunsho/list", Some(&cookie)).await;
    assert_eq!(resp.status(), 200);
    let h = resp.headers();
    assert_eq!(
        h["content-security-policy"],
        "default-src 'self'; frame-ancestors 'self'"
    );
    assert_eq!(h["x-frame-options"], "SAMEORIGIN");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(
        h["strict-transport-security"]
            .to_str()
            .unwrap()
            .starts_with("max-age=")
    );
    assert!(h.get("server").is_none(), "{h:?}");
    // Another system keeps its own (no CSP was configured for it).
    let other = crate::client::get(&sys, "/denkessai/list", Some(&cookie)).await;
    assert!(other.headers().get("content-security-policy").is_none());
    assert!(other.headers().get("server").is_none());
}

#[tokio::test]
async fn a_system_that_answers_only_to_its_own_name_gets_that_host() {
    let sys = System::start(SystemOptions {
        extra_gateway_toml: KYUYO.replace(
            "strip_prefix = true",
            "strip_prefix = true\nupstream_host = \"kyuyo.internal\"",
        ),
        ..SystemOptions::default()
    })
    .unwrap();
    let cookie = session_cookie(&sys, "yamada", LOCAL_PASSWORD).await;
    let client = sys.client().unwrap();
    let get = |path: &str| client.get(sys.url(path)).header(COOKIE, &cookie).send();
    let echo: serde_json::Value = get("/kyuyo/_echo").await.unwrap().json().await.unwrap();
    assert_eq!(echo["headers"]["host"][0], "kyuyo.internal");
    // Its absolute redirects to its own name come back under the prefix.
    let resp = get("/kyuyo/abs/_login_done").await.unwrap();
    assert_eq!(resp.headers()[LOCATION], "/kyuyo/menu/top");
}
