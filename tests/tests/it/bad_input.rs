//! Bad input gets a clear 4xx and an audit line: never a panic, never a 5xx.

use harness::system::{LOCAL_PASSWORD, System, SystemOptions};
use reqwest::header::COOKIE;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::client::{get, session_cookie};

#[tokio::test]
async fn malformed_and_unknown_cookies_are_treated_as_no_session() {
    let sys = System::start(SystemOptions::default()).unwrap();
    for cookie in [
        "__Host-yakuba_session=",
        "__Host-yakuba_session=short",
        "__Host-yakuba_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "__Host-yakuba_session=a; __Host-yakuba_session=b",
        "=;;;==; __Host-yakuba_session",
        "__Host-yakuba_session=%00%ff<script>",
    ] {
        let resp = get(&sys, "/", Some(cookie)).await;
        assert_eq!(resp.status(), 302, "{cookie}");
    }
    for reason in [
        "malformed_session_cookie",
        "unknown_session",
        "duplicate_session_cookie",
    ] {
        assert!(
            sys.audit_has(|r| r["reason"] == reason),
            "no audit line for {reason}"
        );
    }
}

#[tokio::test]
async fn junk_form_posts_get_a_4xx() {
    let sys = System::start(SystemOptions::default()).unwrap();
    let client = sys.client().unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "application/x-www-form-urlencoded",
            b"\xff\xfe\x00\x01".to_vec(),
        ),
        (
            "application/x-www-form-urlencoded",
            b"password=only".to_vec(),
        ),
        ("application/json", b"{\"user\":\"yamada\"}".to_vec()),
        ("application/x-www-form-urlencoded", vec![b'a'; 64 * 1024]),
    ];
    for (ctype, body) in cases {
        let resp = client
            .post(sys.url("/.yakuba/login"))
            .header("content-type", ctype)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        assert!(
            (400..500).contains(&status),
            "{ctype} {} bytes -> {status}",
            body.len()
        );
    }
    let logout = client
        .post(sys.url("/.yakuba/logout"))
        .body("junk")
        .send()
        .await
        .unwrap();
    assert!(logout.status().is_redirection() || logout.status().is_client_error());
    assert!(sys.audit_has(|r| r["kind"] == "login" && r["reason"] == "malformed_form"));
}

#[tokio::test]
async fn ambiguous_paths_unknown_endpoints_and_methods_get_a_4xx_with_an_audit_line() {
    let sys = System::start(SystemOptions::default()).unwrap();
    let cookie = session_cookie(&sys, "yamada", LOCAL_PASSWORD).await;
    let client = sys.client().unwrap();
    for (path, status) in [
        // (The URL parser itself resolves a bare `%2e%2e` segment, so it hides in one.)
        ("/denkessai/%2e%2e%2fzaimu/", 400),
        ("/denkessai/x%2E", 400),
        ("/denkessai/..%2fzaimu/", 400),
        ("/denkessai/list;jsessionid=1", 400),
        ("/denkessai/%252e%252e/", 400),
        ("/denkessai/%ff", 400),
        ("/.yakuba/nothing-here", 404),
        ("/no/such/page", 404),
    ] {
        let resp = client
            .get(sys.url(path))
            .header(COOKIE, &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), status, "{path}");
    }
    let put = client.put(sys.url("/.yakuba/login")).send().await.unwrap();
    assert_eq!(put.status(), 405);
    assert!(sys.audit_has(|r| r["reason"] == "path_ambiguous_encoding" && r["status"] == 400));
    assert!(sys.audit_has(|r| r["reason"] == "path_parameter" && r["status"] == 400));
    assert!(sys.audit_has(|r| r["reason"] == "path_not_utf8" && r["status"] == 400));
}

/// GET `path` exactly as written (`curl --path-as-is`: HTTP clients built on a URL parser
/// resolve dot segments before sending), returning the status and body.
fn raw_get(sys: &System, path: &str, cookie: &str) -> (u16, String) {
    let out = std::process::Command::new("curl")
        .args(["-s", "--path-as-is", "--max-time", "10", "--cacert"])
        .arg(sys.data_dir().join("tls/cert.pem"))
        .args(["-H", &format!("Cookie: {cookie}")])
        .args(["-w", "\n%{http_code}"])
        .arg(format!("https://localhost:{}{path}", sys.https.port()))
        .output()
        .expect("curl runs (Debian package `curl`)");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, status) = text.rsplit_once('\n').unwrap_or(("", "0"));
    (status.trim().parse().unwrap_or(0), body.to_owned())
}

#[tokio::test]
async fn paths_are_canonical_for_routing_policy_and_upstream_alike() {
    let sys = System::start(SystemOptions::default()).unwrap();
    // yamada may open 電子決裁 but not 財務会計 (he is not in zaimu-users).
    let cookie = session_cookie(&sys, "yamada", LOCAL_PASSWORD).await;
    for (sent, seen) in [
        ("/denkessai//_echo", "/denkessai/_echo"),
        ("/denkessai/./x/../_echo", "/denkessai/_echo"),
        ("/zaimu/../denkessai/_echo", "/denkessai/_echo"),
        ("/denkessai/%E6%B1%BA%E8%A3%81/../_echo", "/denkessai/_echo"),
    ] {
        let (status, body) = raw_get(&sys, sent, &cookie);
        assert_eq!(status, 200, "{sent}: {body}");
        let echo: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(echo["system"], "電子決裁", "{sent}");
        assert_eq!(echo["path"], seen, "{sent}");
    }
    // Whatever the spelling, 財務会計 stays closed to him.
    for sent in [
        "/denkessai/../zaimu/",
        "//zaimu/",
        "/denkessai/..//zaimu/_echo",
    ] {
        assert_eq!(raw_get(&sys, sent, &cookie).0, 403, "{sent}");
    }
    assert_eq!(raw_get(&sys, "/denkessai/../../zaimu/", &cookie).0, 400);
}

#[tokio::test]
async fn oversized_headers_and_raw_garbage_never_produce_a_5xx() {
    let sys = System::start(SystemOptions::default()).unwrap();
    let client = sys.client().unwrap();
    let big = "x".repeat(40 * 1024);
    let resp = client.get(sys.url("/")).header("x-big", &big).send().await;
    if let Ok(resp) = resp {
        let status = resp.status().as_u16();
        assert!((400..500).contains(&status), "oversized header -> {status}");
    }
    let resp = client
        .get(sys.url("/"))
        .header(
            COOKIE,
            format!("__Host-yakuba_session={}", "A".repeat(20_000)),
        )
        .send()
        .await
        .unwrap();
    assert!(
        resp.status().is_client_error() || resp.status().is_redirection(),
        "{}",
        resp.status()
    );

    // Garbage on the plain-HTTP listener.
    let mut raw = tokio::net::TcpStream::connect(sys.http).await.unwrap();
    raw.write_all(b"\x16\x03\x01 not http at all\r\n\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    let _ =
        tokio::time::timeout(std::time::Duration::from_secs(3), raw.read_to_end(&mut buf)).await;
    let text = String::from_utf8_lossy(&buf);
    assert!(!text.starts_with("HTTP/1.1 5"), "{text}");

    // The gateway is still serving.
    assert_eq!(
        client
            .get(sys.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}
