//! `yakuba-login-storm`: the 08:30 login storm, measured (bench/login-storm.sh runs it on
//! release builds).
//!
//! A real slapd holds the whole city (21,036 staff by default, in 120 department groups); the
//! real gateway, app and a legacy sample run on loopback. A set of staff who are already
//! logged in keep working (one request every 100 ms each, to a legacy system through the
//! gateway) while everyone else logs in through the real login form, each on a fresh TLS
//! connection as a browser would, `concurrency` at a time, either as fast as they go or at a
//! given arrival rate. Reported: logins/s, login latency
//! (p50/p95/p99, form fetch plus submit), and the logged-in users' p99 during the storm
//! divided by their p99 before it. Bounded: the storm is abandoned after `--max-minutes`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use clap::Parser;
use harness::slapd::{self, Slapd};
use harness::system::{LdapTarget, System, SystemOptions};
use tokio::sync::{Mutex, Semaphore};

#[derive(Parser)]
struct Args {
    /// Staff in the directory, all of whom log in.
    #[arg(long, default_value_t = 21_036)]
    users: usize,
    /// Logins in flight at once.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Staff already logged in and working during the storm.
    #[arg(long, default_value_t = 40)]
    working: usize,
    /// Seconds of work measured before the storm.
    #[arg(long, default_value_t = 20)]
    baseline_secs: u64,
    /// Logins started per second (arrivals, as staff reach their desks); 0 starts them as
    /// fast as `concurrency` allows.
    #[arg(long, default_value_t = 0.0)]
    rate: f64,
    /// Give up on the storm after this many minutes.
    #[arg(long, default_value_t = 15)]
    max_minutes: u64,
}

const DEPARTMENTS: usize = 120;

fn uid(n: usize) -> String {
    format!("s{n:05}")
}

fn password(n: usize) -> String {
    format!("pw-{n:05}-storm")
}

/// The whole city as LDIF: staff with Japanese names, and department groups.
fn city_ldif(users: usize) -> String {
    let mut out = String::with_capacity(users * 400);
    for n in 0..users {
        let dn = format!("uid={},{}", uid(n), slapd::PEOPLE_DN);
        out.push_str(&format!("dn: {dn}\n"));
        for class in ["top", "person", "organizationalPerson", "inetOrgPerson"] {
            out.push_str(&format!("objectClass: {class}\n"));
        }
        let name = format!("職員 {n}");
        out.push_str(&format!("uid: {}\n", uid(n)));
        out.push_str(&slapd::ldif_attribute("cn", &name));
        out.push_str(&slapd::ldif_attribute("sn", "職員"));
        out.push_str(&slapd::ldif_attribute("displayName", &name));
        out.push_str(&slapd::ldif_attribute(
            "departmentNumber",
            &format!("第{}課", n % DEPARTMENTS),
        ));
        out.push_str(&format!("userPassword: {}\n\n", password(n)));
    }
    for d in 0..DEPARTMENTS {
        out.push_str(&format!(
            "dn: cn=dept-{d},{}\nobjectClass: groupOfNames\ncn: dept-{d}\n",
            slapd::GROUPS_DN
        ));
        for n in (d..users).step_by(DEPARTMENTS) {
            out.push_str(&format!("member: uid={},{}\n", uid(n), slapd::PEOPLE_DN));
        }
        out.push('\n');
    }
    out
}

/// Log in through the form on a fresh connection; returns the session cookie.
async fn log_in(sys: &System, user: &str, password: &str) -> anyhow::Result<String> {
    let client = sys.client()?;
    let page = client.get(sys.url("/.yakuba/login")).send().await?;
    let nonce = cookie(&page, "__Host-yakuba_login").context("no login nonce cookie")?;
    let html = page.text().await?;
    let csrf = hidden(&html, "csrf").context("no csrf field")?;
    let resp = client
        .post(sys.url("/.yakuba/login"))
        .header("cookie", format!("__Host-yakuba_login={nonce}"))
        .form(&[
            ("user", user),
            ("password", password),
            ("csrf", &csrf),
            ("return_to", "/"),
        ])
        .send()
        .await?;
    if resp.status() != 303 {
        bail!("login of {user} answered {}", resp.status());
    }
    let session = cookie(&resp, "__Host-yakuba_session").context("no session cookie")?;
    Ok(format!("__Host-yakuba_session={session}"))
}

fn cookie(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(&format!("{name}=")))
        .and_then(|rest| rest.split(';').next())
        .map(str::to_owned)
}

fn hidden(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = start + html[start..].find('"')?;
    Some(html[start..end].to_owned())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Latencies of the working staff's requests, per phase.
#[derive(Default)]
struct Work {
    baseline: Vec<Duration>,
    storm: Vec<Duration>,
    errors: usize,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(args.users > args.working, "--users must exceed --working");
    eprintln!("starting slapd with {} staff...", args.users);
    let ldap = Slapd::start(&city_ldif(args.users))?;
    let sys = Arc::new(System::start(SystemOptions {
        ldap: Some(LdapTarget {
            url: ldap.url.clone(),
            bind_dn: ldap.admin_dn.clone(),
            bind_password: ldap.admin_password.clone(),
            base_dn: ldap.base_dn.clone(),
            section: None,
        }),
        ..SystemOptions::default()
    })?);

    // The staff who are already at work.
    let mut cookies = Vec::new();
    for n in 0..args.working {
        cookies.push(log_in(&sys, &uid(n), &password(n)).await?);
    }
    let work = Arc::new(Mutex::new(Work::default()));
    let storming = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for cookie in cookies {
        let (sys, work, storming, stop) =
            (sys.clone(), work.clone(), storming.clone(), stop.clone());
        workers.push(tokio::spawn(async move {
            let client = sys.client()?;
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            while !stop.load(Ordering::Relaxed) {
                tick.tick().await;
                let during = storming.load(Ordering::Relaxed);
                let started = Instant::now();
                let ok = client
                    .get(sys.url("/denkessai/"))
                    .header("cookie", &cookie)
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == 200);
                let took = started.elapsed();
                let mut w = work.lock().await;
                if !ok {
                    w.errors += 1;
                } else if during {
                    w.storm.push(took);
                } else {
                    w.baseline.push(took);
                }
            }
            anyhow::Ok(())
        }));
    }
    eprintln!(
        "baseline: {} staff working for {} s...",
        args.working, args.baseline_secs
    );
    tokio::time::sleep(Duration::from_secs(args.baseline_secs)).await;

    let storm_users = args.users - args.working;
    eprintln!(
        "storm: {storm_users} logins, {} at a time...",
        args.concurrency
    );
    storming.store(true, Ordering::Relaxed);
    let gate = Arc::new(Semaphore::new(args.concurrency));
    let failures = Arc::new(AtomicUsize::new(0));
    let latencies = Arc::new(Mutex::new(Vec::with_capacity(storm_users)));
    let deadline = Instant::now() + Duration::from_secs(args.max_minutes * 60);
    let started = Instant::now();
    let mut logins = Vec::with_capacity(storm_users);
    for n in args.working..args.users {
        if args.rate > 0.0 {
            let due = started + Duration::from_secs_f64((n - args.working) as f64 / args.rate);
            tokio::time::sleep_until(due.into()).await;
        }
        let permit = gate.clone().acquire_owned().await?;
        if Instant::now() > deadline {
            bail!(
                "the storm did not finish within {} minutes",
                args.max_minutes
            );
        }
        let (sys, failures, latencies) = (sys.clone(), failures.clone(), latencies.clone());
        logins.push(tokio::spawn(async move {
            let t = Instant::now();
            match log_in(&sys, &uid(n), &password(n)).await {
                Ok(_) => latencies.lock().await.push(t.elapsed()),
                Err(e) => {
                    if failures.fetch_add(1, Ordering::Relaxed) < 5 {
                        eprintln!("login failed: {e:#}");
                    }
                }
            }
            drop(permit);
        }));
        if n % 2000 == 0 && n > 0 {
            eprintln!(
                "  {n} logins started after {:.0} s",
                started.elapsed().as_secs_f64()
            );
        }
    }
    for login in logins {
        login.await?;
    }
    let storm_time = started.elapsed();
    storming.store(false, Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.await??;
    }

    let mut login_times = latencies.lock().await.clone();
    login_times.sort();
    let mut w = work.lock().await;
    w.baseline.sort();
    w.storm.sort();
    let done = login_times.len();
    let rate = done as f64 / storm_time.as_secs_f64();
    let p99_idle = percentile(&w.baseline, 99.0);
    let p99_storm = percentile(&w.storm, 99.0);
    let ratio = p99_storm.as_secs_f64() / p99_idle.as_secs_f64().max(1e-6);
    let full_city = args.users as f64 / rate;
    let pace = if args.rate > 0.0 {
        format!("arriving at {} logins/s", args.rate)
    } else {
        "as fast as they go".to_owned()
    };
    println!(
        "login storm against slapd ({} staff, at most {} logins at a time, {pace})",
        args.users, args.concurrency
    );
    println!(
        "  logins: {done} ok, {} failed, in {:.1} s = {rate:.1} logins/s; the whole city would take {:.0} s (target <= 600 s)",
        failures.load(Ordering::Relaxed),
        storm_time.as_secs_f64(),
        full_city
    );
    println!(
        "  login latency (form + submit): p50 {:.0} ms, p95 {:.0} ms, p99 {:.0} ms",
        ms(percentile(&login_times, 50.0)),
        ms(percentile(&login_times, 95.0)),
        ms(percentile(&login_times, 99.0))
    );
    println!(
        "  logged-in requests: p99 {:.1} ms before the storm ({} requests), {:.1} ms during it ({} requests): ratio {ratio:.2} (target <= 2.0); {} errors",
        ms(p99_idle),
        w.baseline.len(),
        ms(p99_storm),
        w.storm.len(),
        w.errors
    );
    if failures.load(Ordering::Relaxed) > 0 || w.errors > 0 {
        bail!("some logins or requests failed");
    }
    drop(ldap);
    Ok(())
}
