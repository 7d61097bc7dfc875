//! The facility benchmark: loads the city-sized organisation (21,036 staff in about 1,200
//! departments) and 2,000 facilities in categories of 100 with bookings over three years (two
//! back, one ahead) into SQLite and into a throwaway PostgreSQL, then measures the server time
//! of the facility day grid of a full category (100 facilities) on random days, in process
//! through `router(state).oneshot(...)`: from request to the last byte of the rendered page,
//! no network. Run by `bench/facility.sh`; the figures go to BENCHMARKS.md.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark fails loudly"
)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use app::config::DatabaseUrl;
use app::facility::model::{JST, iso_date};
use app::i18n::Lang;
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
    facilities: usize,
    per_day: f64,
    samples: usize,
    dir: PathBuf,
}

fn args() -> Args {
    let mut args = Args {
        backends: vec!["sqlite".into(), "postgres".into()],
        staff: 21_036,
        departments: 1_200,
        facilities: 2_000,
        per_day: 2.0,
        samples: 300,
        dir: std::env::temp_dir().join("yakuba-facility-bench"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_default();
        match flag.as_str() {
            "--backends" => args.backends = value.split(',').map(str::to_owned).collect(),
            "--staff" => args.staff = value.parse().unwrap(),
            "--departments" => args.departments = value.parse().unwrap(),
            "--facilities" => args.facilities = value.parse().unwrap(),
            "--bookings-per-day" => args.per_day = value.parse().unwrap(),
            "--samples" => args.samples = value.parse().unwrap(),
            "--dir" => args.dir = value.into(),
            other => panic!("unknown flag {other}"),
        }
    }
    args
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
            path: dir.join("facility.db"),
        },
        "postgres" => {
            let url = tokio::task::spawn_blocking(|| -> Result<String> {
                let cluster = harness::postgres::PgCluster::shared()?;
                cluster.create_database("bench_facility")
            })
            .await??;
            DatabaseUrl::parse(&url).map_err(anyhow::Error::msg)?
        }
        other => anyhow::bail!("unknown backend {other}"),
    })
}

async fn load(pool: &AnyPool, args: &Args, today: Date) -> Result<()> {
    if app::facility::store::count_facilities(pool).await? > 0 {
        println!("  reusing the loaded data set");
        return Ok(());
    }
    let started = Instant::now();
    let city = app::org::seed::synthetic_city(args.staff, args.departments, 1);
    app::org::store::insert_city(pool, &city).await?;
    println!(
        "  organisation loaded in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let counts = app::facility::store::load_city(
        pool,
        args.facilities,
        args.per_day,
        today - time::Duration::days(730),
        today + time::Duration::days(365),
        1,
        OffsetDateTime::now_utc(),
    )
    .await?;
    println!(
        "  {} facilities in {} categories, {} bookings loaded in {:.1}s",
        counts.facilities,
        counts.categories,
        counts.reservations,
        started.elapsed().as_secs_f64()
    );
    sqlx::query("ANALYZE").execute(pool).await?;
    Ok(())
}

async fn get(state: &AppState, token: &str, path: &str) -> (Duration, usize) {
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
    let text = String::from_utf8_lossy(&body);
    (took, text.matches("<a class=\"entry").count())
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

async fn run(backend: &str, args: &Args) -> Result<Vec<Stats>> {
    println!("{backend}:");
    std::fs::create_dir_all(&args.dir)?;
    let url = database(backend, &args.dir).await?;
    let pool = app::store::open(&url)
        .await
        .context("opening the database")?;
    let today = OffsetDateTime::now_utc().to_offset(JST).date();
    load(&pool, args, today).await?;
    let categories: Vec<_> = app::facility::store::categories(&pool)
        .await?
        .into_iter()
        .filter(|s| s.facilities >= 100)
        .map(|s| s.category.id)
        .collect();
    anyhow::ensure!(!categories.is_empty(), "no category of 100 facilities");
    println!("  {} categories of 100 facilities", categories.len());

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
    let viewer = app::org::seed::synthetic_city(args.staff, args.departments, 1)
        .staff
        .into_iter()
        .nth(args.staff / 2)
        .context("no staff")?;
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

    let mut pick = Pick(0xFAC1_1171_5EED);
    // Any day of the three years, weekends included (empty grids are cheap, so they are a
    // fair share of what people look at, not a way to flatter the figure).
    let day = |pick: &mut Pick| {
        today - time::Duration::days(730) + time::Duration::days(pick.below(1095) as i64)
    };
    let path = |pick: &mut Pick| {
        let category = categories[pick.below(categories.len())];
        format!(
            "/facilities?category={category}&date={}",
            iso_date(day(pick))
        )
    };
    for _ in 0..20 {
        get(&state, &token, &path(&mut pick)).await;
    }
    let mut grid = Stats {
        name: format!("{backend}: facility day grid, 100 facilities"),
        samples: Vec::new(),
    };
    let mut entries = 0;
    for _ in 0..args.samples {
        let (took, shown) = get(&state, &token, &path(&mut pick)).await;
        grid.samples.push(took);
        entries += shown;
    }
    println!(
        "  {:.1} bookings on a grid on average",
        entries as f64 / args.samples.max(1) as f64
    );
    pool.close().await;
    Ok(vec![grid])
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
