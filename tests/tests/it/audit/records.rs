//! What is recorded: requests, logins, logouts and configuration as ECS records in a chain
//! that verifies (and shows an insider's edit or a missing segment), a grant made in the app
//! in the app's own stream and the security team's view of both, and failed logins and
//! lockouts.

use std::time::Duration;

use harness::system::{LOCAL_PASSWORD, System, SystemOptions};
use reqwest::header::COOKIE;

use crate::client::{get, hidden, post_form, session_cookie};

use super::{audit_cli, segments, with_audit};

#[tokio::test]
async fn requests_logins_and_logouts_are_ecs_records_in_a_chain_that_verifies() {
    // Uncompressed, so that the insider below can edit a segment with a text editor.
    let mut sys = System::start(with_audit("compress = false")).unwrap();
    let cookie = session_cookie(&sys, "yamada", LOCAL_PASSWORD).await;
    let resp = sys
        .client()
        .unwrap()
        .get(sys.url("/denkessai/list?page=2&access_token=tok-123&code=c0de"))
        .header(COOKIE, &cookie)
        .header("user-agent", "Mozilla/5.0 (Windows NT 10.0) 庁内端末")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(sys.audit_has(|r| r["route"] == "denkessai"));
    let records = harness::audit::ecs_records(&sys.audit_dir());
    let request = records
        .iter()
        .find(|r| r["yakuba"]["route"] == "denkessai")
        .unwrap();
    let ts = request["@timestamp"].as_str().unwrap();
    assert!(
        ts.ends_with('Z') && ts.len() == 24 && &ts[19..20] == ".",
        "{ts}"
    );
    assert_eq!(request["ecs"]["version"], "8.11.0");
    assert_eq!(request["event"]["kind"], "event");
    assert_eq!(request["event"]["action"], "request");
    assert_eq!(request["event"]["category"][0], "web");
    assert_eq!(request["event"]["outcome"], "success");
    assert_eq!(request["event"]["reason"], "session_valid");
    assert!(request["event"]["duration"].as_u64().unwrap() > 0);
    assert!(
        request["http"]["request"]["id"]
            .as_str()
            .unwrap()
            .contains('-')
    );
    assert_eq!(request["http"]["request"]["method"], "GET");
    assert_eq!(request["http"]["response"]["status_code"], 200);
    assert!(
        request["http"]["response"]["body"]["bytes"]
            .as_u64()
            .unwrap()
            > 0
    );
    // reqwest speaks HTTP/2 to the gateway when ALPN offers it.
    assert!(["1.1", "2"].contains(&request["http"]["version"].as_str().unwrap()));
    assert_eq!(request["client"]["ip"], "127.0.0.1");
    assert_eq!(request["source"]["ip"], "127.0.0.1");
    assert!(request["source"]["port"].as_u64().unwrap() > 0);
    assert_eq!(request["user"]["name"], "yamada", "{request}");
    assert_eq!(request["user"]["id"], "yamada");
    assert_eq!(request["user"]["full_name"], "山田 太郎");
    assert_eq!(request["yakuba"]["department"], "総務課");
    assert_eq!(request["yakuba"]["auth_method"], "local");
    assert_eq!(request["yakuba"]["session"].as_str().unwrap().len(), 64);
    assert_eq!(request["url"]["domain"], "localhost");
    assert_eq!(request["url"]["path"], "/denkessai/list");
    assert_eq!(
        request["url"]["query"],
        "page=2&access_token=REDACTED&code=REDACTED"
    );
    assert_eq!(request["destination"]["address"], sys.legacy[0].to_string());
    assert_eq!(
        request["user_agent"]["original"],
        "Mozilla/5.0 (Windows NT 10.0) 庁内端末"
    );
    assert_eq!(request["tls"]["version"], "1.3");
    assert_eq!(request["service"]["name"], "gateway");

    let config = std::fs::read(sys.gateway_config()).unwrap();
    let sha = sso::audit::chain::line_hash(&config);
    let loaded = records
        .iter()
        .find(|r| r["event"]["action"] == "config")
        .unwrap();
    assert_eq!(loaded["event"]["reason"], "config_loaded");
    assert_eq!(loaded["yakuba"]["detail"]["sha256"], sha);
    assert_eq!(request["yakuba"]["config_version"], sha[..16]);

    let login = records
        .iter()
        .find(|r| r["event"]["action"] == "login" && r["yakuba"]["decision"] == "success")
        .unwrap();
    assert_eq!(login["event"]["category"][0], "authentication");
    assert_eq!(login["event"]["type"][0], "start");
    assert_eq!(login["user"]["roles"][0], "staff");
    assert_eq!(login["yakuba"]["session"], request["yakuba"]["session"]);

    let portal = get(&sys, "/", Some(&cookie)).await.text().await.unwrap();
    let csrf = hidden(&portal, "csrf").unwrap();
    post_form(&sys, "/.yakuba/logout", &cookie, &[("csrf", csrf.as_str())]).await;
    assert!(sys.audit_has(|r| r["kind"] == "logout" && r["reason"] == "user"));

    // A graceful upgrade hands the stream over: the old process seals its segment, the new
    // one continues the chain.
    sys.upgrade_gateway().unwrap();
    assert_eq!(get(&sys, "/denkessai/", None).await.status(), 302);
    sys.restart_gateway().unwrap();
    let (ok, out, err) = audit_cli(&sys, &["verify"]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("0 problem(s)"), "{out}");
    let segs = segments(&sys.audit_dir());
    assert!(segs.len() >= 3, "{segs:?}");
    assert!(sys.audit().iter().any(|r| r["reason"] == "config_reloaded"));

    // An insider edits a record: verify names the segment and the line.
    let first = &segs[0];
    let text = std::fs::read_to_string(first).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains("\"action\":\"login\""))
        .unwrap();
    let forged = lines[at].replace("\"yamada\"", "\"sato\"");
    lines[at] = &forged;
    std::fs::write(first, lines.join("\n") + "\n").unwrap();
    let (ok, out, _) = audit_cli(&sys, &["verify"]);
    assert!(!ok);
    let name = first.file_name().unwrap().to_str().unwrap();
    assert!(
        out.contains(&format!(
            "{name} line {}: line {} was modified",
            at + 2,
            at + 1
        )),
        "{out}"
    );
    std::fs::write(first, &text).unwrap();

    // A whole segment goes missing.
    let middle = &segs[1];
    let saved = std::fs::read(middle).unwrap();
    std::fs::remove_file(middle).unwrap();
    let (ok, out, _) = audit_cli(&sys, &["verify"]);
    assert!(!ok);
    assert!(out.contains("segment 2 is missing"), "{out}");
    std::fs::write(middle, saved).unwrap();
    assert!(audit_cli(&sys, &["verify"]).0);
}

#[tokio::test]
async fn a_function_admin_grant_in_the_app_is_recorded_and_the_security_team_sees_both_logs() {
    let sys = System::start(SystemOptions::default()).unwrap();
    let admin = session_cookie(&sys, "admin", LOCAL_PASSWORD).await;
    let page = get(&sys, "/admin/function-admins", Some(&admin))
        .await
        .text()
        .await
        .unwrap();
    let csrf = hidden(&page, "csrf").expect("the grant form carries a CSRF token");
    let granted = post_form(
        &sys,
        "/admin/function-admins",
        &admin,
        &[
            ("csrf", csrf.as_str()),
            ("staff", "yamada"),
            ("module", "facility"),
            ("scope", "all"),
        ],
    )
    .await;
    assert_eq!(granted.status(), 303);

    // The app's own stream, in its own directory, chained and sealed like the gateway's.
    let app_dir = sys.data_dir().join("app-audit");
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let grant = loop {
        let records = harness::audit::ecs_records(&app_dir);
        if let Some(r) = records
            .iter()
            .find(|r| r["event"]["reason"] == "function_admin_granted")
        {
            break r.clone();
        }
        assert!(std::time::Instant::now() < deadline, "no grant record");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(grant["user"]["name"], "admin");
    assert_eq!(grant["user"]["target"]["name"], "yamada");
    assert_eq!(grant["service"]["name"], "app");
    // The session hash ties the app's record to the gateway's records of the same session.
    let session = grant["yakuba"]["session"].as_str().unwrap().to_owned();
    assert!(sys.audit_has(|r| r["session"] == session.as_str() && r["kind"] == "login"));
    // The request id ties it to the gateway's record of the very request that granted.
    let request_id = grant["http"]["request"]["id"]
        .as_str()
        .expect("the app's record carries the gateway's request id")
        .to_owned();
    assert!(sys.audit_has(|r| {
        r["http"]["request"]["id"] == request_id.as_str()
            && r["path"] == "/admin/function-admins"
            && r["http"]["request"]["method"] == "POST"
    }));
    let (ok, out, err) = audit_cli(
        &sys,
        &[
            "verify",
            "--dir",
            app_dir.to_str().unwrap(),
            "--public-key",
            sys.data_dir().join("app-audit.pub").to_str().unwrap(),
        ],
    );
    assert!(ok, "{out}{err}");

    // The view: refused to staff, open to the security team, showing both processes.
    let yamada = session_cookie(&sys, "yamada", LOCAL_PASSWORD).await;
    assert_eq!(get(&sys, "/audit", Some(&yamada)).await.status(), 403);
    let kansa = session_cookie(&sys, "kansa", LOCAL_PASSWORD).await;
    let view = get(&sys, "/audit?user=yamada", Some(&kansa)).await;
    assert_eq!(view.status(), 200);
    let html = view.text().await.unwrap();
    assert!(html.contains("function_admin_granted"), "{html}");
    assert!(html.contains("admin → yamada"), "{html}");
    assert!(
        html.contains("/audit"),
        "yamada's refused request is listed: {html}"
    );
    assert!(
        html.contains("<td>gateway</td>") && html.contains("<td>app</td>"),
        "{html}"
    );
}

#[tokio::test]
async fn failed_logins_name_their_reason_and_a_lockout_is_a_record_of_its_own() {
    let sys = System::start(with_audit("")).unwrap();
    for _ in 0..5 {
        assert_eq!(
            crate::client::login(&sys, "yamada", "not-the-password")
                .await
                .status,
            401
        );
    }
    assert!(sys.audit_has(|r| r["kind"] == "lockout" && r["reason"] == "throttled_account"));
    let records = harness::audit::ecs_records(&sys.audit_dir());
    let failures: Vec<_> = records
        .iter()
        .filter(|r| r["event"]["action"] == "login" && r["event"]["reason"] == "bad_credentials")
        .collect();
    assert_eq!(failures.len(), 5);
    assert!(failures.iter().all(|r| r["event"]["outcome"] == "failure"
        && r["user"]["name"] == "yamada"
        && r["http"]["request"]["method"] == "POST"
        && r["client"]["ip"] == "127.0.0.1"));
    let lockout = records
        .iter()
        .find(|r| r["event"]["action"] == "lockout")
        .unwrap();
    assert_eq!(lockout["event"]["category"][0], "authentication");
    assert_eq!(lockout["user"]["name"], "yamada");
    // While locked out, even the right password is refused, and says why.
    assert_eq!(
        crate::client::login(&sys, "yamada", LOCAL_PASSWORD)
            .await
            .status,
        429
    );
    assert!(sys.audit_has(|r| r["kind"] == "login"
        && r["decision"] == "failure"
        && r["reason"] == "throttled_account"));
}
