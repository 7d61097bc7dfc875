//! A JWT verifier behind the gateway: it checks the gateway's assertion with the gateway's
//! JWKS and accepts it for its own audience only; a client's forged assertion never arrives.

use harness::samples::LegacySso;
use harness::system::{LOCAL_PASSWORD, System, SystemOptions};
use reqwest::header::COOKIE;

use crate::client::session_cookie;

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
