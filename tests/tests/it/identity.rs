//! Identity reaches upstreams only from the gateway.

use harness::system::{LOCAL_PASSWORD, System, SystemOptions};
use reqwest::header::COOKIE;

use crate::client::{get, session_cookie};

async fn echo(sys: &System, path: &str, cookie: &str, extra: &[(&str, &str)]) -> serde_json::Value {
    let mut req = sys
        .client()
        .unwrap()
        .get(sys.url(path))
        .header(COOKIE, cookie);
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.unwrap();
    assert_eq!(resp.status(), 200, "{path}");
    resp.json().await.unwrap()
}

#[tokio::test]
async fn the_legacy_sample_receives_the_configured_identity_and_no_gateway_cookie() {
    let sys = System::start(SystemOptions::default()).unwrap();
    let cookie = session_cookie(&sys, "yamada", LOCAL_PASSWORD).await;
    let body = echo(
        &sys,
        "/denkessai/_echo",
        &format!("{cookie}; theme=dark"),
        &[],
    )
    .await;
    let h = &body["headers"];
    assert_eq!(h["x-remote-user"][0], "yamada");
    assert_eq!(
        h["x-remote-name"][0],
        "%E5%B1%B1%E7%94%B0%20%E5%A4%AA%E9%83%8E"
    ); // 山田 太郎
    assert_eq!(h["x-remote-dept"][0], "%E7%B7%8F%E5%8B%99%E8%AA%B2"); // 総務課
    assert_eq!(h["x-forwarded-proto"][0], "https");
    assert_eq!(
        h["cookie"][0], "theme=dark",
        "the session cookie must not reach upstreams"
    );
    assert!(
        h.get("x-yakuba-assertion").is_none(),
        "legacy routes get headers, not the app's assertion"
    );
}

#[tokio::test]
async fn identity_headers_sent_by_the_client_never_reach_an_upstream() {
    let sys = System::start(SystemOptions::default()).unwrap();
    let cookie = session_cookie(&sys, "yamada", LOCAL_PASSWORD).await;
    let forged: &[(&str, &str)] = &[
        ("X-Yakuba-User", "admin"),
        ("x-YaKuBa-Groups", "yakuba-admins"),
        ("X-Yakuba-Assertion", "forged"),
        ("X-Remote-User", "admin"),
        ("x-remote-name", "admin"),
        ("X-Zaimu-User", "admin"),
        ("X-Forwarded-For", "10.0.0.1"),
    ];
    // An `_` spelling, which some servers read as `-`, is refused outright (400), whether or
    // not the name is one the gateway uses.
    for name in [
        "x_yakuba_user",
        "X_YAKUBA_ASSERTION",
        "x_remote_user",
        "X_Remote_Name",
        "x_custom",
    ] {
        let resp = sys
            .client()
            .unwrap()
            .get(sys.url("/denkessai/_echo"))
            .header(COOKIE, &cookie)
            .header(name, "admin")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400, "{name}");
    }
    assert!(sys.audit_has(|r| r["reason"] == "header_name_underscore" && r["status"] == 400));
    for path in ["/denkessai/_echo"] {
        let body = echo(&sys, path, &cookie, forged).await;
        let h = body["headers"].as_object().unwrap();
        for (name, values) in h {
            let folded = name.replace('_', "-");
            let forged_value =
                values.as_array().unwrap().iter().any(|v| {
                    v == "admin" || v == "forged" || v == "yakuba-admins" || v == "10.0.0.1"
                });
            assert!(
                !forged_value,
                "{name} carried a client-supplied value: {values:?}"
            );
            assert!(
                !folded.starts_with("x-yakuba"),
                "{name} reached the upstream"
            );
            assert_ne!(
                folded, "x-zaimu-user",
                "another route's identity header passed through"
            );
        }
        assert_eq!(h["x-remote-user"], serde_json::json!(["yamada"]));
    }
    // The app, too, sees exactly one assertion, which must be the gateway's: the portal
    // shows yamada, not the forged admin.
    let mut req = sys
        .client()
        .unwrap()
        .get(sys.url("/"))
        .header(COOKIE, &cookie);
    for (k, v) in forged {
        req = req.header(*k, *v);
    }
    let html = req.send().await.unwrap().text().await.unwrap();
    assert!(html.contains("山田 太郎"));
}

#[tokio::test]
async fn the_app_reached_directly_without_an_assertion_answers_401() {
    let sys = System::start(SystemOptions::default()).unwrap();
    let direct = reqwest::Client::new();
    let resp = direct
        .get(format!("http://{}/", sys.app))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let forged = direct
        .get(format!("http://{}/", sys.app))
        .header(
            "x-yakuba-assertion",
            "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.",
        )
        .header("x-yakuba-user", "admin")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
}

#[tokio::test]
async fn a_group_restricted_system_is_forbidden_to_others_with_a_clear_page() {
    let sys = System::start(SystemOptions::default()).unwrap();
    let cookie = session_cookie(&sys, "yamada", LOCAL_PASSWORD).await;
    let resp = get(&sys, "/zaimu/", Some(&cookie)).await;
    assert_eq!(resp.status(), 403);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("利用する権限がありません")
    );
    assert!(sys.audit_has(|r| r["route"] == "zaimu"
        && r["reason"] == "policy_denied"
        && r["rule"] == "routes.zaimu.allow_groups"
        && r["status"] == 403));
}

/// 庶務事務, an old system that reads the user's name in Shift_JIS and the department as
/// RFC 2047, mounted on the first legacy sample.
const SHOMU: &str = r#"
[[routes]]
id = "shomu"
name = "庶務事務"
path_prefix = "/shomu/"
upstreams = ["{legacy0}"]
identity = "headers"
headers = [
  { name = "X-Shomu-User", value = "user" },
  { name = "X-Shomu-Name", value = "name", encoding = "shift_jis" },
  { name = "X-Shomu-Name-Pct", value = "name", encoding = "shift_jis_percent" },
  { name = "X-Shomu-Dept", value = "department", encoding = "rfc2047" },
]
"#;

#[tokio::test]
async fn old_systems_get_shift_jis_and_rfc_2047_identity_headers() {
    use base64::Engine as _;
    let sys = System::start(SystemOptions {
        extra_gateway_toml: SHOMU.to_owned(),
        ..SystemOptions::default()
    })
    .unwrap();
    let cookie = session_cookie(&sys, "yamada", LOCAL_PASSWORD).await;
    let body = echo(&sys, "/shomu/_echo", &cookie, &[]).await;
    let raw = |name: &str| {
        base64::engine::general_purpose::STANDARD
            .decode(body["raw"][name][0].as_str().unwrap())
            .unwrap()
    };
    assert_eq!(raw("x-shomu-user"), b"yamada");
    // 山田 太郎 in Shift_JIS, byte for byte, as the old system decodes it.
    let sjis = raw("x-shomu-name");
    let (name, _, bad) = encoding_rs::SHIFT_JIS.decode(&sjis);
    assert!(!bad);
    assert_eq!(name, "山田 太郎");
    assert_eq!(raw("x-shomu-name-pct"), b"%8ER%93c%20%91%BE%98Y");
    assert_eq!(
        body["headers"]["x-shomu-dept"][0],
        "=?UTF-8?B?57eP5YuZ6Kqy?="
    ); // 総務課
}

/// A legacy system that verifies a signed JWT with the gateway's published keys, with its own
/// audience.
const KEIYAKU: &str = r#"
[[routes]]
id = "keiyaku"
name = "契約管理"
path_prefix = "/keiyaku/"
upstreams = ["{legacy0}"]
identity = "assertion"
audience = "keiyaku"
"#;

#[tokio::test]
async fn a_legacy_system_verifies_its_own_jwt_with_the_gateways_jwks() {
    let sys = System::start(SystemOptions {
        extra_gateway_toml: KEIYAKU.to_owned(),
        ..SystemOptions::default()
    })
    .unwrap();
    let cookie = session_cookie(&sys, "yamada", LOCAL_PASSWORD).await;
    let body = echo(&sys, "/keiyaku/_echo", &cookie, &[]).await;
    let token = body["headers"]["x-yakuba-assertion"][0].as_str().unwrap();

    // The upstream fetches the key set (no session needed) and picks the key by `kid`.
    let jwks: jsonwebtoken::jwk::JwkSet = sys
        .client()
        .unwrap()
        .get(sys.url("/.yakuba/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kid = jsonwebtoken::decode_header(token).unwrap().kid.unwrap();
    let jwk = jwks.find(&kid).expect("the assertion's kid is published");
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
    validation.set_issuer(&["yakuba-gateway"]);
    validation.set_audience(&["keiyaku"]);
    let claims = jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation)
        .unwrap()
        .claims;
    assert_eq!(claims["sub"], "yamada");
    assert!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap() <= 60);
    // It is this system's token only: another audience does not accept it.
    validation.set_audience(&["yakuba-app"]);
    assert!(jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation).is_err());
}
