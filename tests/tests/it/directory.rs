//! Logins against a real OpenLDAP `slapd`.

use harness::slapd::{self, Slapd};
use harness::system::{LdapTarget, System, SystemOptions};

use crate::client::{get, login, session_cookie, wait_until_redirected};

fn with_directory() -> (Slapd, System) {
    with_directory_revalidating_every("5m")
}

fn with_directory_revalidating_every(interval: &str) -> (Slapd, System) {
    let ldap = Slapd::start(&slapd::sample_directory_ldif()).unwrap();
    let sys = System::start(SystemOptions {
        revalidate_interval: Some(interval.to_owned()),
        ldap: Some(LdapTarget {
            url: ldap.url.clone(),
            bind_dn: ldap.admin_dn.clone(),
            bind_password: ldap.admin_password.clone(),
            base_dn: ldap.base_dn.clone(),
            section: None,
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
    assert!(sys.audit_has(|r| r["kind"] == "login"
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

/// A TCP relay to `target` that can be cut and restored, standing in for a network outage
/// between the gateway and the directory. Cut, it closes every connection at once.
struct Relay {
    port: u16,
    up: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Relay {
    async fn start(target: std::net::SocketAddr) -> Relay {
        use std::sync::atomic::Ordering;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let flag = up.clone();
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !flag.load(Ordering::SeqCst) {
                    continue; // dropped: closed at once
                }
                let flag = flag.clone();
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await else {
                        return;
                    };
                    let copy = tokio::io::copy_bidirectional(&mut inbound, &mut outbound);
                    let cut = async {
                        while flag.load(Ordering::SeqCst) {
                            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        }
                    };
                    tokio::select! { _ = copy => {}, () = cut => {} }
                });
            }
        });
        Relay { port, up }
    }

    /// Cut or restore; returns once open connections have seen a cut.
    async fn set_up(&self, up: bool) {
        self.up.store(up, std::sync::atomic::Ordering::SeqCst);
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_directory_outage_logins_work_again_without_a_restart() {
    let ldap = Slapd::start(&slapd::sample_directory_ldif()).unwrap();
    let target = ldap.url.trim_start_matches("ldap://").parse().unwrap();
    let relay = Relay::start(target).await;
    let sys = System::start(SystemOptions {
        ldap: Some(LdapTarget {
            url: format!("ldap://127.0.0.1:{}", relay.port),
            bind_dn: ldap.admin_dn.clone(),
            bind_password: ldap.admin_password.clone(),
            base_dn: ldap.base_dn.clone(),
            section: None,
        }),
        ..SystemOptions::default()
    })
    .unwrap();
    let tanaka = session_cookie(&sys, slapd::TANAKA.uid, slapd::TANAKA.password).await;

    relay.set_up(false).await;
    let refused = login(&sys, slapd::SUZUKI.uid, slapd::SUZUKI.password).await;
    assert_eq!(refused.status, 503);
    assert!(refused.body.contains("認証サーバー"), "{}", refused.body);
    assert!(sys.audit_has(|r| r["kind"] == "login" && r["reason"] == "directory_unreachable"));
    // Sessions from before the outage keep working.
    assert_eq!(get(&sys, "/", Some(&tanaka)).await.status(), 200);

    relay.set_up(true).await;
    let back = login(&sys, slapd::SUZUKI.uid, slapd::SUZUKI.password).await;
    assert_eq!(back.status, 303, "{}", back.body);
}

/// Run an OpenLDAP client tool as the directory's administrator.
fn ldap_admin(ldap: &Slapd, tool: &str, args: &[&str], stdin: Option<&str>) {
    use std::io::Write as _;
    let mut child = std::process::Command::new(tool)
        .args([
            "-x",
            "-H",
            &ldap.url,
            "-D",
            &ldap.admin_dn,
            "-w",
            &ldap.admin_password,
        ])
        .args(args)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    } else {
        drop(child.stdin.take());
    }
    assert!(child.wait().unwrap().success(), "{tool} failed");
}

#[tokio::test]
async fn a_user_deleted_from_the_directory_loses_access_within_the_interval() {
    let (ldap, sys) = with_directory_revalidating_every("1s");
    let tanaka = session_cookie(&sys, slapd::TANAKA.uid, slapd::TANAKA.password).await;
    let local = session_cookie(&sys, "yamada", harness::system::LOCAL_PASSWORD).await;
    assert_eq!(get(&sys, "/", Some(&tanaka)).await.status(), 200);

    ldap_admin(&ldap, "ldapdelete", &[slapd::TANAKA.dn], None);
    assert_eq!(wait_until_redirected(&sys, "/", &tanaka).await, 302);
    assert!(sys.audit_has(|r| r["kind"] == "logout"
        && r["reason"] == "directory_disabled"
        && r["user"] == "tanaka"));
    // Local accounts are not the directory's to revoke.
    assert_eq!(get(&sys, "/", Some(&local)).await.status(), 200);
}

#[tokio::test]
async fn a_user_removed_from_a_group_loses_the_routes_that_need_it() {
    let (ldap, sys) = with_directory_revalidating_every("1s");
    let suzuki = session_cookie(&sys, slapd::SUZUKI.uid, slapd::SUZUKI.password).await;
    assert_eq!(get(&sys, "/zaimu/", Some(&suzuki)).await.status(), 200);

    let change = format!(
        "dn: {}\nchangetype: modify\ndelete: member\nmember: {}\n",
        slapd::ALL_STAFF_GROUP_DN,
        slapd::SUZUKI.dn
    );
    ldap_admin(&ldap, "ldapmodify", &[], Some(&change));
    assert_eq!(wait_until_redirected(&sys, "/zaimu/", &suzuki).await, 403);
    // The session itself lives on, and the portal no longer offers the tile.
    let portal = get(&sys, "/", Some(&suzuki)).await;
    assert_eq!(portal.status(), 200);
    assert!(!portal.text().await.unwrap().contains("/zaimu/"));
}

#[tokio::test]
async fn sessions_survive_while_the_directory_is_unreachable() {
    let (ldap, sys) = with_directory_revalidating_every("1s");
    let tanaka = session_cookie(&sys, slapd::TANAKA.uid, slapd::TANAKA.password).await;
    drop(ldap);
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(get(&sys, "/", Some(&tanaka)).await.status(), 200);
}

mod tls {
    //! `sso::ldap` over LDAPS and StartTLS against slapd, verified with a CA file.

    use std::path::Path;
    use std::time::Duration;

    use harness::slapd::{self, Slapd};
    use sso::ldap::{LdapDirectory, LdapError, LdapSettings};

    struct Pki {
        dir: tempfile::TempDir,
    }

    impl Pki {
        fn new() -> Pki {
            let dir = tempfile::tempdir().unwrap();
            let certified = rcgen::generate_simple_self_signed(vec![
                "localhost".to_owned(),
                "127.0.0.1".to_owned(),
            ])
            .unwrap();
            std::fs::write(dir.path().join("slapd.crt"), certified.cert.pem()).unwrap();
            std::fs::write(
                dir.path().join("slapd.key"),
                certified.key_pair.serialize_pem(),
            )
            .unwrap();
            let other = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
            std::fs::write(dir.path().join("other.crt"), other.cert.pem()).unwrap();
            Pki { dir }
        }
        fn path(&self, name: &str) -> std::path::PathBuf {
            self.dir.path().join(name)
        }
    }

    fn settings(url: &str, starttls: bool, ca: &Path, ldap: &Slapd) -> LdapSettings {
        let mut s = LdapSettings::new(
            vec![url.to_owned()],
            &ldap.admin_dn,
            slapd::PEOPLE_DN,
            "(uid={login})",
        );
        s.starttls = starttls;
        s.ca_file = Some(ca.to_path_buf());
        s.bind_password = ldap.admin_password.clone();
        s.group_base = Some(slapd::GROUPS_DN.to_owned());
        s.timeout = Duration::from_secs(3);
        s
    }

    #[tokio::test]
    async fn ldaps_and_starttls_logins_verify_the_server_against_the_ca_file() {
        let pki = Pki::new();
        let ldap = Slapd::start_with_tls(
            &slapd::sample_directory_ldif(),
            &pki.path("slapd.crt"),
            &pki.path("slapd.key"),
        )
        .unwrap();
        let ldaps = ldap.ldaps_url.clone().unwrap();

        let over_ldaps =
            LdapDirectory::new(settings(&ldaps, false, &pki.path("slapd.crt"), &ldap)).unwrap();
        let who = over_ldaps
            .authenticate(slapd::SUZUKI.uid, slapd::SUZUKI.password)
            .await
            .unwrap();
        assert_eq!(who.name, slapd::SUZUKI.display_name);
        assert_eq!(who.department.as_deref(), Some(slapd::SUZUKI.department));
        assert!(
            who.in_group("cn=all-staff,ou=groups,dc=yakuba,dc=test"),
            "{:?}",
            who.groups
        );

        let over_starttls =
            LdapDirectory::new(settings(&ldap.url, true, &pki.path("slapd.crt"), &ldap)).unwrap();
        let who = over_starttls
            .authenticate(slapd::TANAKA.uid, slapd::TANAKA.password)
            .await
            .unwrap();
        assert_eq!(who.name, slapd::TANAKA.display_name);
        assert!(who.in_group("cn=soumu-staff,ou=groups,dc=yakuba,dc=test"));

        // A server whose certificate the CA file does not vouch for is not trusted.
        let untrusted =
            LdapDirectory::new(settings(&ldaps, false, &pki.path("other.crt"), &ldap)).unwrap();
        let refused = untrusted
            .authenticate(slapd::SUZUKI.uid, slapd::SUZUKI.password)
            .await;
        assert!(
            matches!(refused, Err(LdapError::Unreachable(_))),
            "{refused:?}"
        );
    }

    #[tokio::test]
    async fn the_next_server_is_tried_when_the_first_is_down() {
        let ldap = Slapd::start(&slapd::sample_directory_ldif()).unwrap();
        let dead = format!(
            "ldap://127.0.0.1:{}",
            harness::process::free_port().unwrap()
        );
        let mut s = settings(&ldap.url, false, Path::new("/nonexistent"), &ldap);
        s.ca_file = None;
        s.urls = vec![dead, ldap.url.clone()];
        let dir = LdapDirectory::new(s).unwrap();
        let who = dir
            .authenticate(slapd::TANAKA.uid, slapd::TANAKA.password)
            .await
            .unwrap();
        assert_eq!(who.user, "tanaka");
    }

    #[tokio::test]
    async fn nested_groups_are_expanded_for_directories_that_cannot_do_it_themselves() {
        // city-hall contains the group all-staff, which contains tanaka; yakusho contains
        // city-hall, and city-hall contains yakusho back (a cycle must not loop).
        let extra = format!(
            "{sample}\n\n\
             dn: cn=city-hall,{groups}\nobjectClass: groupOfNames\ncn: city-hall\n\
             member: {all}\nmember: cn=yakusho,{groups}\n\n\
             dn: cn=yakusho,{groups}\nobjectClass: groupOfNames\ncn: yakusho\n\
             member: cn=city-hall,{groups}\n",
            sample = slapd::sample_directory_ldif().trim_end(),
            groups = slapd::GROUPS_DN,
            all = slapd::ALL_STAFF_GROUP_DN,
        );
        let ldap = Slapd::start(&extra).unwrap();
        let mut s = settings(&ldap.url, false, Path::new("/nonexistent"), &ldap);
        s.ca_file = None;
        let flat = LdapDirectory::new(s.clone()).unwrap();
        let who = flat
            .authenticate(slapd::TANAKA.uid, slapd::TANAKA.password)
            .await
            .unwrap();
        assert!(who.in_group(slapd::ALL_STAFF_GROUP_DN));
        assert!(!who.in_group("cn=city-hall,ou=groups,dc=yakuba,dc=test"));

        s.expand_nested_groups = true;
        let nested = LdapDirectory::new(s).unwrap();
        let who = nested
            .authenticate(slapd::TANAKA.uid, slapd::TANAKA.password)
            .await
            .unwrap();
        for group in ["all-staff", "city-hall", "yakusho", "soumu-staff"] {
            assert!(
                who.in_group(&format!("cn={group},ou=groups,dc=yakuba,dc=test")),
                "{group}: {:?}",
                who.groups
            );
        }
        assert_eq!(who.groups.len(), 4, "{:?}", who.groups);
    }
}
