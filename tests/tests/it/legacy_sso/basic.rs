//! HTTP Basic with credentials from the vault: enrolment when nothing is stored, asking again
//! after a wrong password, every use and change audited without the secret, nothing stored
//! in the clear, and removal.

use harness::samples::LegacySso;
use harness::system::{LOCAL_PASSWORD, System, SystemOptions};
use reqwest::header::{COOKIE, WWW_AUTHENTICATE};

use crate::client::{hidden, session_cookie};

use super::{Jar, PASSWORD, enrol, location, navigate, stats};

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
