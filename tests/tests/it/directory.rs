//! Logins against a real OpenLDAP `slapd`.

use harness::slapd::{self, Slapd};
use harness::system::{LdapTarget, System, SystemOptions};

use crate::client::{get, login, session_cookie};

fn with_directory() -> (Slapd, System) {
    let ldap = Slapd::start(&slapd::sample_directory_ldif()).unwrap();
    let sys = System::start(SystemOptions {
        ldap: Some(LdapTarget {
            url: ldap.url.clone(),
            bind_dn: ldap.admin_dn.clone(),
            bind_password: ldap.admin_password.clone(),
            base_dn: ldap.base_dn.clone(),
        }),
        ..SystemOptions::default()
    })
    .unwrap();
    (ldap, sys)
}

#[tokio::test]
async fn an_ldap_user_logs_in_and_sees_their_japanese_name_and_department() {
    let (_ldap, sys) = with_directory();
    let cookie = session_cookie(&sys, slapd::TANAKA.uid, slapd::TANAKA.password).await;
    let html = get(&sys, "/", Some(&cookie)).await.text().await.unwrap();
    assert!(html.contains(slapd::TANAKA.display_name), "{html}");
    assert!(html.contains(slapd::TANAKA.department));
    // tanaka is in all-staff, which may open 財務会計.
    assert!(html.contains("/zaimu/"));
    let echo: serde_json::Value = sys
        .client()
        .unwrap()
        .get(sys.url("/zaimu/_echo"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(echo["headers"]["x-zaimu-user"][0], "tanaka");
}

#[tokio::test]
async fn a_wrong_ldap_password_and_an_injection_attempt_are_refused() {
    let (_ldap, sys) = with_directory();
    let wrong = login(&sys, slapd::TANAKA.uid, "not-his-password").await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.session.is_none());
    let injection = login(&sys, "*)(uid=*", "x").await;
    assert_eq!(injection.status, 401);
    let star = login(&sys, "*", slapd::TANAKA.password).await;
    assert_eq!(star.status, 401);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let audit = sys.audit();
    assert!(audit.iter().any(|r| r["kind"] == "login"
        && r["user"] == "tanaka"
        && r["reason"] == "bad_credentials"));
}

#[tokio::test]
async fn an_unreachable_directory_is_named_on_the_login_page_and_local_accounts_still_work() {
    let (ldap, sys) = with_directory();
    drop(ldap);
    let attempt = login(&sys, slapd::TANAKA.uid, slapd::TANAKA.password).await;
    assert_eq!(attempt.status, 503);
    assert!(attempt.body.contains("認証サーバー"), "{}", attempt.body);
    let local = login(&sys, "yamada", harness::system::LOCAL_PASSWORD).await;
    assert_eq!(local.status, 303);
}
