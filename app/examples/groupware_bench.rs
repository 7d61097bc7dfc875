//! The groupware benchmark: loads the city-sized data set (21,036 staff in about 1,200
//! departments, two million events over three years) into SQLite and into a throwaway
//! PostgreSQL, then measures the server time of the department week grid (about 50 people)
//! and of the free-slot search (10 people and 5 rooms over two weeks), in process through
//! `router(state).oneshot(...)`: from request to the last byte of the rendered page, no
//! network. Run by `bench/groupware.sh`; the figures go to BENCHMARKS.md.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark fails loudly"
)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use app::config::DatabaseUrl;
use app::i18n::Lang;
use app::org::model::DepartmentKind;
use app::state::AppState;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt as _;
use sqlx::AnyPool;
use time::{Date, OffsetDateTime};
use tower::ServiceExt as _;

struct Args {
    backends: Vec<String>,
    staff: usize,
    departments: usize,
    events_per_staff: usize,
    samples: usize,
    dir: PathBuf,
}

fn args() -> Args {
    let mut args = Args {
        backends: vec!["sqlite".into(), "postgres".into()],
        staff: 21_036,
        departments: 1_200,
        events_per_staff: 96,
        samples: 300,
        dir: std::env::temp_dir().join("yakuba-groupware-bench"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_default();
        match flag.as_str() {
            "--backends" => args.backends = value.split(',').map(str::to_owned).collect(),
            "--staff" => args.staff = value.parse().unwrap(),
            "--departments" => args.departments = value.parse().unwrap(),
            "--events-per-staff" => args.events_per_staff = value.parse().unwrap(),
            "--samples" => args.samples = value.parse().unwrap(),
            "--dir" => args.dir = value.into(),
            other => panic!("unknown flag {other}"),
        }
    }
    args
}

/// A tiny deterministic generator for picking samples.
struct Pick(u64);

impl Pick {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

struct Stats {
    name: String,
    samples: Vec<Duration>,
}

impl Stats {
    fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.samples.clone();
        sorted.sort();
        let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
        sorted[index.min(sorted.len() - 1)]
    }

    fn line(&self) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        format!(
            "{:<44} n={:<4} p50 {:>7.1} ms  p95 {:>7.1} ms  p99 {:>7.1} ms  max {:>7.1} ms",
            self.name,
            self.samples.len(),
            ms(self.percentile(0.50)),
            ms(self.percentile(0.95)),
            ms(self.percentile(0.99)),
            ms(self.percentile(1.0)),
        )
    }
}

async fn database(backend: &str, dir: &std::path::Path) -> Result<DatabaseUrl> {
    Ok(match backend {
        "sqlite" => DatabaseUrl::Sqlite {
            path: dir.join("groupware.db"),
        },
        "postgres" => {
            let url = tokio::task::spawn_blocking(|| -> Result<String> {
                let cluster = harness::postgres::PgCluster::shared()?;
                cluster.create_database("bench_groupware")
            })
            .await??;
            DatabaseUrl::parse(&url).map_err(anyhow::Error::msg)?
        }
        other => anyhow::bail!("unknown backend {other}"),
    })
}

/// Days from today that the facility bookings cover, and that the free-slot samples search.
const ROOM_DAYS: i64 = 70;

async fn load(pool: &AnyPool, args: &Args, today: Date) -> Result<()> {
    if app::org::store::count_staff(pool).await? > 0 {
        println!("  reusing the loaded organisation and schedule");
        return load_facilities(pool, today).await;
    }
    let started = Instant::now();
    let city = app::org::seed::synthetic_city(args.staff, args.departments, 1);
    app::org::store::insert_city(pool, &city).await?;
    println!(
        "  organisation loaded in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let now = OffsetDateTime::now_utc();
    let events = app::schedule::seed::store::load_city_events(
        pool,
        today - time::Duration::days(730),
        today + time::Duration::days(365),
        args.events_per_staff,
        1,
        now,
    )
    .await?;
    println!(
        "  {events} events loaded in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    load_facilities(pool, today).await
}

/// The facility half of the data set (2,000 facilities, the facility module's generator),
/// booked around the days the free-slot samples search, unless already there.
async fn load_facilities(pool: &AnyPool, today: Date) -> Result<()> {
    let facilities: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM facilities")
        .fetch_one(pool)
        .await?;
    if facilities == 0 {
        let started = Instant::now();
        let counts = app::facility::store::load_city(
            pool,
            2_000,
            2.0,
            today,
            today + time::Duration::days(ROOM_DAYS),
            1,
            OffsetDateTime::now_utc(),
        )
        .await?;
        println!(
            "  {} facilities, {} reservations loaded in {:.1}s",
            counts.facilities,
            counts.reservations,
            started.elapsed().as_secs_f64()
        );
    }
    sqlx::query("ANALYZE").execute(pool).await?;
    Ok(())
}

async fn get(state: &AppState, token: &str, path: &str) -> Duration {
    let request = Request::get(path)
        .header(sso::assertion::HEADER, token)
        .body(Body::empty())
        .unwrap();
    let started = Instant::now();
    let response = app::routes::router(state.clone())
        .oneshot(request)
        .await
        .unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let took = started.elapsed();
    assert_eq!(
        status,
        StatusCode::OK,
        "{path}: {}",
        String::from_utf8_lossy(&body)
    );
    took
}

fn iso(date: Date) -> String {
    app::schedule::form::date_text(date)
}

async fn run(backend: &str, args: &Args) -> Result<Vec<Stats>> {
    println!("{backend}:");
    std::fs::create_dir_all(&args.dir)?;
    let url = database(backend, &args.dir).await?;
    let pool = app::store::open(&url)
        .await
        .context("opening the database")?;
    let today = OffsetDateTime::now_utc()
        .to_offset(app::schedule::model::JST)
        .date();
    load(&pool, args, today).await?;
    let events = app::schedule::store::count_events(&pool).await?;
    let participants: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM schedule_participants")
        .fetch_one(&pool)
        .await?;
    println!("  {events} events, {participants} participant rows");

    // Departments whose grid shows about 50 people: a 課 with its 係.
    let mut grids = Vec::new();
    for department in app::org::store::departments(&pool).await? {
        if department.kind != DepartmentKind::Ka {
            continue;
        }
        let (members, _) = app::org::store::members_under(&pool, department.id, 200).await?;
        if (45..=60).contains(&members.len()) {
            grids.push((department.id, members));
        }
    }
    anyhow::ensure!(!grids.is_empty(), "no 課 of about 50 people");
    let sizes: Vec<usize> = grids.iter().map(|(_, m)| m.len()).collect();
    println!(
        "  {} grids of 45-60 people (mean {:.1})",
        grids.len(),
        sizes.iter().sum::<usize>() as f64 / sizes.len() as f64
    );
    let facilities: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM facilities ORDER BY id LIMIT 200")
            .fetch_all(&pool)
            .await
            .unwrap_or_default();
    println!("  {} facilities to search over", facilities.len());

    let keys = tempfile::tempdir()?;
    let (private, public) = sso::assertion::generate_ed25519_pem()?;
    std::fs::write(keys.path().join("a.key"), private)?;
    std::fs::write(keys.path().join("a.pub"), public)?;
    let verifier = sso::AssertionVerifier::from_file(
        &keys.path().join("a.pub"),
        "yakuba-app",
        Duration::from_secs(5),
        Duration::from_secs(3600),
    )?;
    let signer =
        sso::AssertionSigner::from_file(&keys.path().join("a.key"), Duration::from_secs(3000))?;
    let state = AppState::new(pool.clone(), verifier, Lang::Ja);
    let viewer = app::org::store::find_staff(&pool, grids[0].1[0].id)
        .await?
        .unwrap();
    let claims = sso::Claims {
        iss: String::new(),
        aud: "yakuba-app".into(),
        sub: viewer.login.clone(),
        iat: OffsetDateTime::now_utc().unix_timestamp(),
        nbf: 0,
        exp: 0,
        name: viewer.name.clone(),
        mail: None,
        dept: None,
        groups: vec![],
        amr: sso::AuthMethod::Ldap,
        sid: "bench".into(),
        csrf: "bench".into(),
        apps: vec![],
    };
    let token = signer.sign(claims)?;

    let mut pick = Pick(0x5EED_1234_ABCD);
    let week = |pick: &mut Pick| {
        today - time::Duration::days(700) + time::Duration::days(pick.below(1000) as i64)
    };
    // Warm the pool and the caches the way a running server would be.
    for i in 0..20 {
        let (department, _) = &grids[i % grids.len()];
        get(
            &state,
            &token,
            &format!(
                "/schedule/group?department={department}&date={}",
                iso(week(&mut pick))
            ),
        )
        .await;
    }
    let mut grid = Stats {
        name: format!("{backend}: department week grid"),
        samples: Vec::new(),
    };
    for _ in 0..args.samples {
        let (department, _) = &grids[pick.below(grids.len())];
        let path = format!(
            "/schedule/group?department={department}&date={}",
            iso(week(&mut pick))
        );
        grid.samples.push(get(&state, &token, &path).await);
    }
    let mut free = Stats {
        name: format!("{backend}: free slots, 10 people + 5 rooms, 2 weeks"),
        samples: Vec::new(),
    };
    for _ in 0..args.samples {
        let (_, members) = &grids[pick.below(grids.len())];
        let mut path = String::from("/schedule/free?duration=60&search=1");
        for k in 0..10 {
            path.push_str(&format!(
                "&people={}",
                members[(k * 5 + pick.below(5)) % members.len()].id
            ));
        }
        for k in 0..5.min(facilities.len()) {
            path.push_str(&format!(
                "&facilities={}",
                facilities[(k * 40 + pick.below(40)) % facilities.len()]
            ));
        }
        // Within the days the rooms are booked, so their reservations count.
        let from = today + time::Duration::days(pick.below((ROOM_DAYS - 14) as usize) as i64);
        path.push_str(&format!(
            "&from={}&to={}",
            iso(from),
            iso(from + time::Duration::days(13))
        ));
        free.samples.push(get(&state, &token, &path).await);
    }
    pool.close().await;
    Ok(vec![grid, free])
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = args();
    let mut all = Vec::new();
    for backend in args.backends.clone() {
        all.extend(run(&backend, &args).await?);
    }
    println!();
    for stats in &all {
        println!("{}", stats.line());
    }
    Ok(())
}
