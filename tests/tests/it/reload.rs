//! A new configuration and certificate take effect through a graceful upgrade, started as
//! `systemctl reload` starts it (`yakuba-gateway reload`: the running gateway, on `SIGHUP`,
//! starts its successor), while clients keep sending requests: none fails, sessions survive,
//! the new route and the new certificate are served afterwards, and the successor reports
//! itself to the supervisor. A successor that cannot start leaves the old gateway serving.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use harness::system::{LOCAL_PASSWORD, System, SystemOptions};
use reqwest::header::COOKIE;

use crate::client::session_cookie;

/// A client that trusts each of `certs` and resolves `localhost` to the gateway.
fn client_trusting(sys: &System, certs: &[&[u8]]) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .redirect(reqwest::redirect::Policy::none())
        .resolve("localhost", sys.https)
        .timeout(Duration::from_secs(20));
    for pem in certs {
        builder = builder.add_root_certificate(reqwest::Certificate::from_pem(pem).unwrap());
    }
    builder.build().unwrap()
}

fn new_certificate() -> (String, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    let cert = params.self_signed(&key).unwrap();
    (cert.pem(), key.serialize_pem())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn configuration_and_certificate_change_without_a_failed_request() {
    let mut sys = System::start(SystemOptions {
        supervised: true,
        ..SystemOptions::default()
    })
    .unwrap();
    let old_pid = sys.gateway_pid().unwrap();
    let cookie = session_cookie(&sys, "yamada", LOCAL_PASSWORD).await;
    let old_cert = sys.certificate().unwrap();
    let (new_cert, new_key) = new_certificate();
    let both = client_trusting(&sys, &[&old_cert, new_cert.as_bytes()]);

    // Before: no route for /shinki/, so it falls to the portal app (which has no such page).
    let before = both
        .get(sys.url("/shinki/_echo"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_ne!(before.status(), 200);

    // Clients hammer the gateway through the upgrade: half reuse one connection, half open
    // a new connection for every request. Bounded by a stop flag and a request cap.
    let stop = Arc::new(AtomicBool::new(false));
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let mut workers = Vec::new();
    for worker in 0..8 {
        let (stop, ok, failed) = (stop.clone(), ok.clone(), failed.clone());
        let url = sys.url("/denkessai/_echo");
        let cookie = cookie.clone();
        let shared = both.clone();
        let certs = [old_cert.clone(), new_cert.clone().into_bytes()];
        let https = sys.https;
        workers.push(tokio::spawn(async move {
            let mut errors = Vec::new();
            let mut sent = 0;
            while !stop.load(Ordering::Relaxed) && sent < 20_000 {
                sent += 1;
                let client = if worker % 2 == 0 {
                    shared.clone()
                } else {
                    let mut b = reqwest::Client::builder()
                        .tls_built_in_root_certs(false)
                        .resolve("localhost", https)
                        .pool_max_idle_per_host(0)
                        .timeout(Duration::from_secs(20));
                    for pem in &certs {
                        b = b.add_root_certificate(reqwest::Certificate::from_pem(pem).unwrap());
                    }
                    b.build().unwrap()
                };
                match client.get(&url).header(COOKIE, &cookie).send().await {
                    Ok(r) if r.status() == 200 => {
                        ok.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(r) => {
                        failed.fetch_add(1, Ordering::Relaxed);
                        errors.push(format!("status {}", r.status()));
                    }
                    Err(e) => {
                        failed.fetch_add(1, Ordering::Relaxed);
                        errors.push(format!("{e:?}"));
                    }
                }
            }
            errors
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    // The new configuration adds a route; the new certificate replaces the old.
    let mut config = std::fs::read_to_string(sys.gateway_config()).unwrap();
    config.push_str(&format!(
        r#"
[[routes]]
id = "shinki"
name = "新規システム"
path_prefix = "/shinki/"
upstreams = ["{}"]
identity = "headers"
headers = [{{ name = "X-Remote-User", value = "user" }}]
"#,
        sys.legacy[0]
    ));
    std::fs::write(sys.gateway_config(), config).unwrap();
    let tls = sys.data_dir().join("tls");
    std::fs::write(tls.join("cert.pem"), &new_cert).unwrap();
    std::fs::write(tls.join("key.pem"), &new_key).unwrap();

    let before_upgrade = ok.load(Ordering::Relaxed);
    let started = Instant::now();
    // The reload waits on processes; the load keeps running on the other worker threads.
    let new_pid = tokio::task::block_in_place(|| sys.reload_gateway()).unwrap();
    assert_ne!(new_pid, old_pid);
    let took = started.elapsed();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    stop.store(true, Ordering::Relaxed);
    let mut errors = Vec::new();
    for w in workers {
        errors.extend(w.await.unwrap());
    }
    let (ok, failed) = (ok.load(Ordering::Relaxed), failed.load(Ordering::Relaxed));
    println!(
        "upgrade took {took:?}; {ok} requests succeeded ({} during and after it), {failed} failed",
        ok - before_upgrade
    );
    assert_eq!(failed, 0, "failed requests during the upgrade: {errors:?}");
    assert!(
        ok - before_upgrade > 50,
        "the load kept running through the upgrade"
    );

    // After: the new certificate alone is enough, the session survived, the new route works.
    let only_new = client_trusting(&sys, &[new_cert.as_bytes()]);
    let echo: serde_json::Value = only_new
        .get(sys.url("/shinki/_echo"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(echo["system"], "電子決裁");
    assert_eq!(echo["headers"]["x-remote-user"][0], "yamada");
    let only_old = client_trusting(&sys, &[&old_cert]);
    assert!(
        only_old.get(sys.url("/healthz")).send().await.is_err(),
        "the old certificate is no longer served"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_whose_new_gateway_cannot_start_leaves_the_old_one_serving() {
    let mut sys = System::start(SystemOptions {
        supervised: true,
        ..SystemOptions::default()
    })
    .unwrap();
    let old_pid = sys.gateway_pid().unwrap();
    let client = sys.client().unwrap();
    let cert = sys.data_dir().join("tls/cert.pem");
    let good = std::fs::read(&cert).unwrap();

    // The configuration checks out, but the certificate does not load: the new gateway
    // exits before it takes the sockets over.
    std::fs::write(&cert, "not a certificate\n").unwrap();
    let error = tokio::task::block_in_place(|| sys.reload_gateway()).unwrap_err();
    let error = format!("{error:#}");
    assert!(error.contains("keeps serving"), "{error}");
    assert!(error.contains("exited before taking over"), "{error}");
    assert_eq!(sys.gateway_pid(), Some(old_pid));
    let health = client.get(sys.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200, "the old gateway still answers");
    assert!(
        sys.notifications().iter().any(|m| m
            .get("STATUS")
            .is_some_and(|s| s.contains("the last reload failed"))),
        "the supervisor is told: {:?}",
        sys.notifications()
    );

    // Once the certificate is mended, the next reload goes through.
    std::fs::write(&cert, good).unwrap();
    let new_pid = tokio::task::block_in_place(|| sys.reload_gateway()).unwrap();
    assert_ne!(new_pid, old_pid);
    let health = client.get(sys.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200, "the new gateway answers");
}
