//! Two gateways sharing one PostgreSQL session store, as a redundant installation runs them:
//! a session made on one is good on the other, and a logout or an administrator's revocation
//! on either reaches both.

use std::time::{Duration, Instant};

use harness::postgres::PgCluster;
use harness::system::{LOCAL_PASSWORD, SharedSessions, System, SystemOptions};

use crate::client::{get, hidden, post_form, session_cookie};

fn pair(database: &str) -> (System, System) {
    let url = PgCluster::shared()
        .unwrap()
        .create_database(database)
        .unwrap();
    let opts = SystemOptions {
        shared_sessions: Some(SharedSessions {
            postgres_url: url,
            secret: "0123456789abcdef0123456789abcdef-shared-by-both-gateways".into(),
        }),
        ..SystemOptions::default()
    };
    (
        System::start(opts.clone()).unwrap(),
        System::start(opts).unwrap(),
    )
}

/// Wait until `cookie` no longer opens the portal on `sys`; returns how long it took.
async fn until_refused(sys: &System, cookie: &str) -> Duration {
    let started = Instant::now();
    loop {
        let status = get(sys, "/", Some(cookie)).await.status();
        if status == 302 {
            return started.elapsed();
        }
        assert_eq!(status, 200);
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "still accepted after 10 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_logout_on_one_gateway_ends_the_session_on_the_other() {
    let (a, b) = pair("gw_shared_logout");
    let cookie = session_cookie(&a, "yamada", LOCAL_PASSWORD).await;
    // The other gateway knows the session from the store, and caches it.
    assert_eq!(get(&b, "/", Some(&cookie)).await.status(), 200);
    assert_eq!(get(&b, "/", Some(&cookie)).await.status(), 200);

    let portal = get(&a, "/", Some(&cookie)).await.text().await.unwrap();
    let csrf = hidden(&portal, "csrf").unwrap();
    let out = post_form(&a, "/.yakuba/logout", &cookie, &[("csrf", csrf.as_str())]).await;
    assert_eq!(out.status(), 303);
    assert_eq!(get(&a, "/", Some(&cookie)).await.status(), 302);
    // Within the sync interval (1 s here) plus a request.
    let took = until_refused(&b, &cookie).await;
    assert!(took < Duration::from_secs(4), "took {took:?}");
}

#[tokio::test]
async fn an_administrators_revocation_on_one_gateway_reaches_the_other() {
    let (a, b) = pair("gw_shared_revoke");
    let victim = session_cookie(&a, "yamada", LOCAL_PASSWORD).await;
    assert_eq!(get(&a, "/", Some(&victim)).await.status(), 200);
    let admin = session_cookie(&b, "admin", LOCAL_PASSWORD).await;
    let page = get(&b, "/.yakuba/admin/sessions?user=yamada", Some(&admin)).await;
    let html = page.text().await.unwrap();
    let key = hidden(&html, "key").expect("the session made on the other gateway is listed");
    let csrf = hidden(&html, "csrf").unwrap();
    let ended = post_form(
        &b,
        "/.yakuba/admin/sessions/end",
        &admin,
        &[
            ("csrf", csrf.as_str()),
            ("key", key.as_str()),
            ("user", "yamada"),
        ],
    )
    .await;
    assert_eq!(ended.status(), 303);
    let took = until_refused(&a, &victim).await;
    assert!(took < Duration::from_secs(4), "took {took:?}");
    // The administrator's own session, made on b, is good on a too.
    assert_eq!(get(&a, "/", Some(&admin)).await.status(), 200);
}
