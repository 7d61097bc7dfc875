//! The staff search benchmark: loads the city-sized organisation (21,036 staff in about 1,200
//! departments, as `yakuba-app generate-city` makes it) into SQLite and into a throwaway
//! PostgreSQL, builds the search terms once (what the first search after a city load or a
//! large HR import pays), then measures the server time of searches as people type them:
//! `org::store::search_staff` alone, and the memo form with its hits through
//! `router(state).oneshot(...)`, from request to the last byte of the page, no network. Run by
//! `bench/staff-search.sh`; the figures go to BENCHMARKS.md.

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
use app::org::model::NewStaff;
use app::org::store::{StaffQuery, refresh_search_terms, search_staff};
use app::state::AppState;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt as _;
use sqlx::AnyPool;
use time::OffsetDateTime;
use tower::ServiceExt as _;

struct Args {
    backends: Vec<String>,
    staff: usize,
    departments: usize,
    samples: usize,
    dir: PathBuf,
}

fn args() -> Args {
    let mut args = Args {
        backends: vec!["sqlite".into(), "postgres".into()],
        staff: 21_036,
        departments: 1_200,
        samples: 300,
        dir: std::env::temp_dir().join("yakuba-staff-search-bench"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_default();
        match flag.as_str() {
            "--backends" => args.backends = value.split(',').map(str::to_owned).collect(),
            "--staff" => args.staff = value.parse().unwrap(),
            "--departments" => args.departments = value.parse().unwrap(),
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
    fn new(name: String) -> Stats {
        Stats {
            name,
            samples: Vec::new(),
        }
    }

    fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.samples.clone();
        sorted.sort();
        let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
        sorted[index.min(sorted.len() - 1)]
    }

    fn line(&self) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        format!(
            "{:<52} n={:<4} p50 {:>6.1} ms  p95 {:>6.1} ms  p99 {:>6.1} ms  max {:>6.1} ms",
            self.name,
            self.samples.len(),
            ms(self.percentile(0.50)),
            ms(self.percentile(0.95)),
            ms(self.percentile(0.99)),
            ms(self.percentile(1.0)),
        )
    }
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

/// What someone looking for `person` types, one kind per sample in turn: the surname in
/// kanji, the start of the reading in hiragana, the given name's reading (a middle match),
/// the reading in half-width katakana, the login, the last four digits of the personnel
/// number, and a single kana (the broadest query there is).
fn typed(person: &NewStaff, kind: usize) -> String {
    let surname = person
        .name
        .split_whitespace()
        .next()
        .unwrap_or(&person.name);
    let mut reading = person.kana.split_whitespace();
    let family = reading.next().unwrap_or_default();
    let given = reading.next().unwrap_or(family);
    match kind % 7 {
        0 => surname.to_owned(),
        1 => family.chars().take(3).collect(),
        2 => given.to_owned(),
        3 => half_width_katakana(family),
        4 => person.login.clone(),
        5 => {
            let digits: Vec<char> = person.employee_no.chars().collect();
            digits[digits.len().saturating_sub(4)..].iter().collect()
        }
        _ => family.chars().take(1).collect(),
    }
}

/// `hiragana` as half-width katakana, the way older HR systems store readings.
fn half_width_katakana(hiragana: &str) -> String {
    const FULL: &str = "をぁぃぅぇぉゃゅょっーあいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわん";
    const VOICED: &str = "がぎぐげござじずぜぞだぢづでどばびぶべぼ";
    const SEMI: &str = "ぱぴぷぺぽ";
    let mut out = String::new();
    for c in hiragana.chars() {
        let (base, mark) = if VOICED.contains(c) {
            (char::from_u32(u32::from(c) - 1).unwrap(), Some('ﾞ'))
        } else if SEMI.contains(c) {
            (char::from_u32(u32::from(c) - 2).unwrap(), Some('ﾟ'))
        } else {
            (c, None)
        };
        match FULL.chars().position(|f| f == base) {
            Some(i) => out.push(char::from_u32(0xFF66 + i as u32).unwrap()),
            None => out.push(base),
        }
        out.extend(mark);
    }
    out
}

async fn database(backend: &str, dir: &std::path::Path) -> Result<DatabaseUrl> {
    Ok(match backend {
        "sqlite" => DatabaseUrl::Sqlite {
            path: dir.join("staff-search.db"),
        },
        "postgres" => {
            let url = tokio::task::spawn_blocking(|| -> Result<String> {
                let cluster = harness::postgres::PgCluster::shared()?;
                cluster.create_database("bench_staff_search")
            })
            .await??;
            DatabaseUrl::parse(&url).map_err(anyhow::Error::msg)?
        }
        other => anyhow::bail!("unknown backend {other}"),
    })
}

async fn signed_state(pool: &AnyPool, viewer: &NewStaff) -> Result<(AppState, String)> {
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
    Ok((
        AppState::new(pool.clone(), verifier, Lang::Ja),
        signer.sign(claims)?,
    ))
}

async fn page(state: &AppState, token: &str, query: &str) -> Duration {
    let path = format!(
        "/memos/new?q={}",
        form_urlencoded::byte_serialize(query.as_bytes()).collect::<String>()
    );
    let request = Request::get(&path)
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
    assert_eq!(status, StatusCode::OK, "{path}");
    let text = String::from_utf8_lossy(&body);
    assert!(text.contains("に一致する職員"), "{path}: no search result");
    took
}

async fn run(backend: &str, args: &Args) -> Result<Vec<Stats>> {
    println!("{backend}:");
    std::fs::create_dir_all(&args.dir)?;
    let url = database(backend, &args.dir).await?;
    let pool = app::store::open(&url)
        .await
        .context("opening the database")?;
    let city = app::org::seed::synthetic_city(args.staff, args.departments, 1);
    if app::org::store::count_staff(&pool).await? == 0 {
        let started = Instant::now();
        app::org::store::insert_city(&pool, &city).await?;
        println!(
            "  organisation loaded in {:.1}s",
            started.elapsed().as_secs_f64()
        );
        sqlx::query("ANALYZE").execute(&pool).await?;
    } else {
        println!("  reusing the loaded organisation");
    }
    let started = Instant::now();
    let refreshed = refresh_search_terms(&pool).await?;
    println!(
        "  search terms built for {refreshed} staff in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    let terms: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM staff_search_terms")
        .fetch_one(&pool)
        .await?;
    println!("  {terms} terms");
    sqlx::query("ANALYZE").execute(&pool).await?;

    let (state, token) = signed_state(&pool, &city.staff[args.staff / 2]).await?;
    let mut pick = Pick(0x5EA2_C4ED_0001);
    const KINDS: [&str; 7] = [
        "surname in kanji",
        "reading, first 3 kana",
        "given name's reading (middle)",
        "reading in half-width katakana",
        "login",
        "last 4 digits of the number",
        "one kana",
    ];
    let mut kinds: Vec<Stats> = KINDS
        .iter()
        .map(|kind| Stats::new(format!("{backend}: search_staff, {kind}")))
        .collect();
    let mut all = Stats::new(format!("{backend}: search_staff, all of the above"));
    let mut form = Stats::new(format!("{backend}: memo form with the hits"));
    let mut hits = 0;
    for round in 0..args.samples + 21 {
        let person = &city.staff[pick.below(city.staff.len())];
        let text = typed(person, round);
        let query = StaffQuery::parse(&text).context("an empty query")?;
        let started = Instant::now();
        let (found, _) = search_staff(&pool, &query, 30).await?;
        let took = started.elapsed();
        let page_took = page(&state, &token, &text).await;
        if round < 21 {
            continue;
        }
        // A login names one person; common surnames and readings have more than 30.
        anyhow::ensure!(
            round % 7 != 4 || found.iter().any(|h| h.staff.login == person.login),
            "{text:?} did not find {}",
            person.login
        );
        hits += found.len();
        kinds[round % 7].samples.push(took);
        all.samples.push(took);
        form.samples.push(page_took);
    }
    println!(
        "  {:.1} hits per search on average",
        hits as f64 / args.samples.max(1) as f64
    );
    pool.close().await;
    kinds.push(all);
    kinds.push(form);
    Ok(kinds)
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
