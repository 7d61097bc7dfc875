//! Per-route policy through the real gateway: ordered rules, the rule named in the audit
//! record, public routes, and `yakuba-gateway explain` giving the same answers.

use harness::system::{LOCAL_PASSWORD, System, SystemOptions};
use reqwest::header::COOKIE;

use crate::client::session_cookie;

/// Rules for 財務会計 (the last route, which `zaimu-users` and all-staff may open): anyone
/// may read its manual; nobody may open its `secret/` part, whatever their groups. Then a
/// public route for static files.
const POLICY: &str = r#"
[[routes.rules]]
effect = "deny"
path_prefix = "/zaimu/secret/"
[[routes.rules]]
effect = "allow"
methods = ["GET", "HEAD"]
path_prefix = "/zaimu/manual/"

[[routes]]
id = "static"
name = "共通資源"
path_prefix = "/static/"
upstreams = ["{legacy0}"]
identity = "none"
public = true
"#;

fn system() -> System {
    System::start(SystemOptions {
        extra_gateway_toml: POLICY.to_owned(),
        ..SystemOptions::default()
    })
    .unwrap()
}

async fn status(sys: &System, method: reqwest::Method, path: &str, cookie: Option<&str>) -> u16 {
    let mut req = sys.client().unwrap().request(method, sys.url(path));
    if let Some(cookie) = cookie {
        req = req.header(COOKIE, cookie);
    }
    req.send().await.unwrap().status().as_u16()
}

fn explain(sys: &System, user: &str, method: &str, url: &str) -> String {
    let out = std::process::Command::new(harness::binaries::path("yakuba-gateway").unwrap())
        .args(["explain", "--config"])
        .arg(sys.gateway_config())
        .args(["--user", user, "--method", method, "--url", url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn rules_decide_in_order_and_name_themselves_and_explain_agrees() {
    let sys = system();
    // yamada is in neither zaimu-users nor all-staff.
    let cookie = session_cookie(&sys, "yamada", LOCAL_PASSWORD).await;
    let get = reqwest::Method::GET;
    let post = reqwest::Method::POST;
    assert_eq!(
        status(&sys, get.clone(), "/zaimu/manual/index", Some(&cookie)).await,
        200
    );
    assert_eq!(
        status(&sys, post.clone(), "/zaimu/manual/index", Some(&cookie)).await,
        403
    );
    assert_eq!(
        status(&sys, get.clone(), "/zaimu/", Some(&cookie)).await,
        403
    );
    assert_eq!(
        status(&sys, get.clone(), "/zaimu/secret/x", Some(&cookie)).await,
        403
    );
    assert!(sys.audit_has(|r| r["path"] == "/zaimu/manual/index"
        && r["status"] == 200
        && r["rule"] == "routes.zaimu.rules[1]"));
    assert!(sys.audit_has(|r| r["path"] == "/zaimu/"
        && r["status"] == 403
        && r["reason"] == "policy_denied"
        && r["rule"] == "routes.zaimu.allow_groups"));

    // explain answers from the same code, for the same requests.
    let said = explain(
        &sys,
        "yamada",
        "GET",
        "https://yakuba.example/zaimu/manual/index",
    );
    assert!(said.contains("ALLOWED by routes.zaimu.rules[1]"), "{said}");
    let said = explain(&sys, "yamada", "POST", "/zaimu/manual/index");
    assert!(
        said.contains("DENIED (403): policy_denied by routes.zaimu.allow_groups"),
        "{said}"
    );
    let said = explain(&sys, "yamada", "GET", "/zaimu/x/../secret/y");
    assert!(said.contains("canonical path: /zaimu/secret/y"), "{said}");
    assert!(
        said.contains("DENIED (403): policy_denied by routes.zaimu.rules[0]"),
        "{said}"
    );
    let said = explain(&sys, "yamada", "GET", "/zaimu/%2e%2e/");
    assert!(
        said.contains("REFUSED (400): path_ambiguous_encoding"),
        "{said}"
    );
    // Someone assumed to be in zaimu-users may open the front page but still not secret/.
    let out = std::process::Command::new(harness::binaries::path("yakuba-gateway").unwrap())
        .args(["explain", "--config"])
        .arg(sys.gateway_config())
        .args([
            "--user",
            "kato",
            "--group",
            "zaimu-users",
            "--url",
            "/zaimu/secret/",
        ])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("DENIED (403): policy_denied by routes.zaimu.rules[0]"),
        "{said}"
    );
}

#[tokio::test]
async fn a_public_route_needs_no_session_and_gets_no_identity() {
    let sys = system();
    let anonymous = sys
        .client()
        .unwrap()
        .get(sys.url("/static/_echo"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 200);
    let cookie = session_cookie(&sys, "yamada", LOCAL_PASSWORD).await;
    let echo: serde_json::Value = sys
        .client()
        .unwrap()
        .get(sys.url("/static/_echo"))
        .header(COOKIE, &cookie)
        .header("X-Remote-User", "forged")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let headers = echo["headers"].as_object().unwrap();
    assert!(!headers.contains_key("x-remote-user"), "{headers:?}");
    assert!(!headers.contains_key("x-yakuba-assertion"), "{headers:?}");
    assert!(
        !headers.contains_key("cookie"),
        "the session cookie reached a public upstream: {headers:?}"
    );
}
