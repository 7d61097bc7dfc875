//! Logins against a real Active Directory domain controller (Samba AD, provisioned by the
//! harness on 127.0.0.1), first through `sso::ldap` directly, then through the gateway.

use std::time::{Duration, Instant};

use harness::samba::{self, AdUser, SambaDc};
use harness::system::{LdapTarget, System, SystemOptions};
use sso::ldap::{LdapDirectory, LdapError, LdapSettings};

use crate::client::{get, login, session_cookie};

/// The configuration an administrator would write for this domain.
fn ad_settings(dc: &SambaDc) -> LdapSettings {
    let mut s = LdapSettings::new(
        vec![samba::LDAPS_URL.to_owned()],
        samba::SERVICE_DN,
        samba::STAFF_OU,
        "(&(objectCategory=person)(objectClass=user)(sAMAccountName={login}))",
    );
    s.bind_password = samba::SERVICE_PASSWORD.to_owned();
    s.ca_file = Some(dc.ca_file.clone());
    s.upn_filter =
        Some("(&(objectCategory=person)(objectClass=user)(userPrincipalName={login}))".into());
    s.domains = vec![samba::DOMAIN.to_owned()];
    s.group_base = Some(samba::BASE_DN.to_owned());
    s.group_filter = "(&(objectClass=group)(member:1.2.840.113556.1.4.1941:={dn}))".to_owned();
    s.attributes.login = "sAMAccountName".into();
    s.attributes.department = "department".into();
    s.timeout = Duration::from_secs(5);
    s
}

fn group(name: &str) -> String {
    sso::dn::normalise_dn(&SambaDc::group_dn(name)).unwrap()
}

fn dc() -> &'static SambaDc {
    SambaDc::shared().unwrap()
}

#[tokio::test]
async fn all_three_login_forms_give_the_same_identity_with_nested_groups() {
    let dc = dc();
    let mut settings = ad_settings(dc);
    settings.departments.insert(
        format!("OU=総務課,OU=総務部,{}", samba::STAFF_OU),
        "総務部 総務課".to_owned(),
    );
    let dir = LdapDirectory::new(settings).unwrap();
    let t = samba::TANAKA;
    let plain = dir.authenticate(t.login, t.password).await.unwrap();
    let upn = dir
        .authenticate(&format!("{}@{}", t.login, samba::UPN_SUFFIX), t.password)
        .await
        .unwrap();
    let down_level = dir
        .authenticate(
            &format!("{}\\{}", samba::DOMAIN.to_lowercase(), t.login),
            t.password,
        )
        .await
        .unwrap();
    assert_eq!(plain, upn);
    assert_eq!(plain, down_level);
    assert_eq!(plain.user, "tanaka");
    assert_eq!(plain.name, "田中 太郎");
    assert_eq!(plain.department.as_deref(), Some("総務部 総務課"));
    // soumu-staff directly, somubu-staff and all-staff through nesting; compared as DNs.
    for g in ["soumu-staff", "somubu-staff", "all-staff"] {
        assert!(
            plain.groups.contains(&group(g)),
            "{g} in {:?}",
            plain.groups
        );
        assert!(plain.in_group(&group(g)));
    }
    assert!(!plain.in_group(&group("yakuba-admins")));
    assert!(!plain.in_group("soumu-staff"), "never matched by first RDN");

    // Another domain's name, or a wrong password in any form, is refused.
    assert!(matches!(
        dir.authenticate(&format!("OTHER\\{}", t.login), t.password)
            .await,
        Err(LdapError::UnknownUser)
    ));
    assert!(matches!(
        dir.authenticate(&format!("{}@{}", t.login, samba::UPN_SUFFIX), "wrong")
            .await,
        Err(LdapError::InvalidCredentials)
    ));

    // Without a mapping, the department attribute is used.
    let dir = LdapDirectory::new(ad_settings(dc)).unwrap();
    let who = dir.authenticate(t.login, t.password).await.unwrap();
    assert_eq!(who.department.as_deref(), Some("総務課"));
}

fn fresh_user(login: &'static str) -> AdUser {
    AdUser {
        login,
        password: "Fresh-Pass1",
        display_name: "検証 用",
        ou: "OU=財務課",
        group: None,
    }
}

/// The login's outcome once it is a refusal, or the last success after ~30 s: account changes
/// are written to the DC's database by another process, which the running DC sees shortly.
async fn once_refused(dir: &LdapDirectory, user: &AdUser) -> Result<(), LdapError> {
    let mut outcome = Ok(());
    for _ in 0..150 {
        outcome = dir
            .authenticate(user.login, user.password)
            .await
            .map(|_| ());
        if outcome.is_err() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    outcome
}

#[tokio::test]
async fn disabled_locked_expired_and_must_change_accounts_are_refused_with_their_reason() {
    let dc = dc();
    let dir = LdapDirectory::new(ad_settings(dc)).unwrap();

    let disabled = fresh_user("ad-disabled");
    dc.create_user(&disabled).unwrap();
    dir.authenticate(disabled.login, disabled.password)
        .await
        .unwrap();
    dc.tool(&["user", "disable", disabled.login]).unwrap();
    let refused = once_refused(&dir, &disabled).await;
    assert!(matches!(refused, Err(LdapError::Disabled)), "{refused:?}");
    assert_eq!(dir.lookup(disabled.login).await.unwrap(), None);

    let expired = fresh_user("ad-expired");
    dc.create_user(&expired).unwrap();
    dc.tool(&["user", "setexpiry", expired.login, "--days=0"])
        .unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    let refused = once_refused(&dir, &expired).await;
    assert!(matches!(refused, Err(LdapError::Expired)), "{refused:?}");
    assert_eq!(dir.lookup(expired.login).await.unwrap(), None);

    let locked = fresh_user("ad-locked");
    dc.create_user(&locked).unwrap();
    for _ in 0..samba::LOCKOUT_THRESHOLD {
        assert!(matches!(
            dir.authenticate(locked.login, "wrong-password").await,
            Err(LdapError::InvalidCredentials)
        ));
    }
    let refused = dir.authenticate(locked.login, locked.password).await;
    assert!(matches!(refused, Err(LdapError::Locked)), "{refused:?}");
    // A lockout does not end the owner's sessions: lookup still finds them.
    assert!(dir.lookup(locked.login).await.unwrap().is_some());

    let must_change = fresh_user("ad-mustchange");
    dc.create_user(&must_change).unwrap();
    dc.modify(&format!(
        "dn: {}\nchangetype: modify\nreplace: pwdLastSet\npwdLastSet: 0\n",
        SambaDc::user_dn(&must_change)
    ))
    .unwrap();
    let refused = once_refused(&dir, &must_change).await;
    assert!(
        matches!(
            refused,
            Err(LdapError::MustChangePassword | LdapError::PasswordExpired)
        ),
        "{refused:?}"
    );
}

/// A TCP listener that accepts connections and never answers, like a hung server.
fn black_hole() -> (std::net::TcpListener, u16) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

#[tokio::test]
async fn a_hung_server_is_skipped_after_one_bounded_wait_and_the_pool_serves_a_burst() {
    let dc = dc();
    let (_hole, port) = black_hole();
    let mut settings = ad_settings(dc);
    settings.urls = vec![
        format!("ldaps://127.0.0.1:{port}"),
        samba::LDAPS_URL.to_owned(),
    ];
    settings.connect_timeout = Duration::from_millis(800);
    settings.timeout = Duration::from_secs(2);
    settings.max_connections = 4;
    let dir = LdapDirectory::new(settings).unwrap();
    let t = samba::TANAKA;

    // The first login waits for the hung server's connect timeout, then fails over.
    let started = Instant::now();
    dir.authenticate(t.login, t.password).await.unwrap();
    let first = started.elapsed();
    assert!(first < Duration::from_secs(3), "first login took {first:?}");
    // The hung server is now skipped: the next logins do not wait for it.
    let started = Instant::now();
    dir.authenticate(t.login, t.password).await.unwrap();
    let second = started.elapsed();
    assert!(
        second < Duration::from_millis(700),
        "second login took {second:?}"
    );

    // Twenty logins at once through four connections all succeed.
    let dir = std::sync::Arc::new(dir);
    let logins = (0..20).map(|_| {
        let dir = dir.clone();
        tokio::spawn(async move { dir.authenticate(t.login, t.password).await })
    });
    for login in logins {
        login.await.unwrap().unwrap();
    }
}

#[tokio::test]
async fn user_lists_longer_than_a_page_are_read_in_full() {
    let dc = dc();
    let count = 1_100;
    let mut ldif = String::new();
    for i in 0..count {
        ldif.push_str(&format!(
            "dn: CN=bulk{i:04},OU=財務課,{staff}\nobjectClass: user\nsAMAccountName: bulk{i:04}\n\
             displayName: 一括 {i}\nuserAccountControl: 512\n\n",
            staff = samba::STAFF_OU
        ));
    }
    dc.add(&ldif).unwrap();
    let mut settings = ad_settings(dc);
    settings.page_size = 200;
    let dir = LdapDirectory::new(settings).unwrap();
    let users = dir
        .list_users("(&(objectClass=user)(sAMAccountName=bulk*))")
        .await
        .unwrap();
    assert_eq!(users.len(), count);
    assert!(
        users
            .iter()
            .any(|u| u.user == "bulk1099" && u.name == "一括 1099")
    );
    assert!(
        users
            .iter()
            .all(|u| u.department.as_deref() == Some("財務課"))
    );
}

fn ad_system(dc: &SambaDc, revalidate: &str) -> System {
    let section = format!(
        r#"
[ldap]
urls = ["{url}"]
ca_file = "{ca}"
bind_dn = "{svc}"
bind_password_file = "ldap.password"
user_base = "{staff}"
user_filter = "(&(objectCategory=person)(objectClass=user)(sAMAccountName={{login}}))"
upn_filter = "(&(objectCategory=person)(objectClass=user)(userPrincipalName={{login}}))"
domains = ["{domain}"]
group_base = "{base}"
group_filter = "(&(objectClass=group)(member:1.2.840.113556.1.4.1941:={{dn}}))"
timeout = "5s"
[ldap.attributes]
login = "sAMAccountName"
department = "department"
"#,
        url = samba::LDAPS_URL,
        ca = dc.ca_file.display(),
        svc = samba::SERVICE_DN,
        staff = samba::STAFF_OU,
        domain = samba::DOMAIN,
        base = samba::BASE_DN,
    );
    System::start(SystemOptions {
        revalidate_interval: Some(revalidate.to_owned()),
        ldap: Some(LdapTarget {
            url: samba::LDAPS_URL.to_owned(),
            bind_dn: samba::SERVICE_DN.to_owned(),
            bind_password: samba::SERVICE_PASSWORD.to_owned(),
            base_dn: samba::BASE_DN.to_owned(),
            section: Some(section),
        }),
        // Lockout is the directory's job here; keep the gateway's own throttle out of the way.
        extra_gateway_toml: "[login]\naccount_attempts = 50\nclient_attempts = 200\n".into(),
        ..SystemOptions::default()
    })
    .unwrap()
}

#[tokio::test]
async fn through_the_gateway_ad_staff_log_in_by_any_form_and_refusals_are_audited() {
    let dc = dc();
    let sys = ad_system(dc, "1s");
    let t = samba::TANAKA;

    let cookie = session_cookie(&sys, &format!("YAKUBA\\{}", t.login), t.password).await;
    let portal = get(&sys, "/", Some(&cookie)).await;
    assert_eq!(portal.status(), 200);
    let html = portal.text().await.unwrap();
    assert!(html.contains("田中 太郎"), "{html}");
    // all-staff (reached only through nested groups) may open 財務会計.
    assert!(html.contains("/zaimu/"));
    session_cookie(
        &sys,
        &format!("{}@{}", t.login, samba::UPN_SUFFIX),
        t.password,
    )
    .await;

    // A locked-out account: the generic message for the user, the precise reason in the log.
    let locked = fresh_user("gw-locked");
    dc.create_user(&locked).unwrap();
    for _ in 0..samba::LOCKOUT_THRESHOLD {
        assert_eq!(login(&sys, locked.login, "wrong").await.status, 401);
    }
    let refused = login(&sys, locked.login, locked.password).await;
    assert_eq!(refused.status, 401);
    let generic = "ユーザーIDまたはパスワードが正しくありません。";
    assert!(refused.body.contains(generic), "{}", refused.body);
    assert!(!refused.body.contains("ロック"));
    assert!(sys.audit_has(|r| r["user"] == "gw-locked" && r["reason"] == "account_locked"));

    // A directory account named like a local break-glass account is never taken for it:
    // `admin` is the local account, and `YAKUBA\admin` is refused rather than merged into it.
    let namesake = AdUser {
        login: "admin",
        password: "Namesake-Pass1",
        ..fresh_user("admin")
    };
    dc.create_user(&namesake).unwrap();
    assert_eq!(login(&sys, "admin", namesake.password).await.status, 401);
    assert_eq!(
        login(&sys, "YAKUBA\\admin", namesake.password).await.status,
        401
    );
    assert!(sys.audit_has(|r| r["reason"] == "name_taken_by_local_account"));
    session_cookie(&sys, "admin", harness::system::LOCAL_PASSWORD).await;

    // Disabling a logged-in user ends their access within the re-validation interval.
    let leaver = fresh_user("gw-leaver");
    dc.create_user(&leaver).unwrap();
    let cookie = session_cookie(&sys, leaver.login, leaver.password).await;
    assert_eq!(get(&sys, "/", Some(&cookie)).await.status(), 200);
    dc.tool(&["user", "disable", leaver.login]).unwrap();
    assert_eq!(
        crate::client::wait_until_redirected(&sys, "/", &cookie).await,
        302
    );
    assert!(sys.audit_has(|r| r["kind"] == "logout"
        && r["user"] == "gw-leaver"
        && r["reason"] == "directory_disabled"));
}
