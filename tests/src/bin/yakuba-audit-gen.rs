//! `yakuba-audit-gen`: writes a city's worth of synthetic gateway audit records (requests,
//! logins and logouts of 21,036 staff over a month) through the real segment writer, chained,
//! sealed and indexed, for the `audit search` benchmark (`bench/audit.sh search`).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Parser;
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use sso::audit::record::{Action, Decision, Record};
use sso::audit::seal::SealKey;
use sso::audit::stream::{Fsync, Stream, StreamSettings};

/// Command line.
#[derive(Parser)]
#[command(
    name = "yakuba-audit-gen",
    about = "Synthetic gateway audit segments for benchmarks"
)]
struct Args {
    /// Directory to write the segments into (created; must hold no segments yet).
    #[arg(long)]
    dir: PathBuf,
    /// The sealing key (created when missing; its `.pub` is what `audit verify` needs).
    #[arg(long)]
    key: PathBuf,
    /// Records to write.
    #[arg(long, default_value_t = 10_000_000)]
    records: u64,
    /// Days the records spread over, from 2026-04-01 00:00 JST.
    #[arg(long, default_value_t = 30)]
    days: u64,
    /// Staff.
    #[arg(long, default_value_t = 21_036)]
    staff: u32,
    /// Segment size, MiB.
    #[arg(long, default_value_t = 256)]
    segment_mb: u64,
    /// Seed; the same seed gives the same records.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Write nothing: compress the sealed segments already in `--dir` as the gateway does
    /// after sealing, and say how long it took.
    #[arg(long)]
    compress_existing: bool,
}

/// Routes with their share of requests (per mille).
const ROUTES: [(&str, u32); 5] = [
    ("portal", 600),
    ("denkessai", 150),
    ("zaimu", 100),
    ("shomu", 100),
    ("bunsho", 50),
];
const UA: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0";
/// 2026-04-01T00:00:00+09:00.
const START_MS: i64 = 1_774_969_200_000;

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.compress_existing {
        return compress_existing(&args.dir);
    }
    let key = SealKey::load_or_create(&args.key, true).context("sealing key")?;
    let mut stream = Stream::open(
        StreamSettings {
            stream: "gateway".into(),
            dir: args.dir.clone(),
            segment_max_bytes: args.segment_mb * 1024 * 1024,
            rotate_daily: false,
            retention: Duration::from_secs(3650 * 86_400),
            fsync: Fsync::Never,
            config_version: Some("0123456789abcdef".into()),
            checkpoint_dir: None,
            checkpoint_interval: Duration::from_secs(10),
            compress: false,
        },
        key,
    )?;
    let mut rng = StdRng::seed_from_u64(args.seed);
    let span_ms = i64::try_from(args.days * 86_400_000).unwrap_or(i64::MAX);
    let step = span_ms as f64 / args.records as f64;
    let started = Instant::now();
    for i in 0..args.records {
        let time_ms = START_MS + (i as f64 * step) as i64;
        let staff = rng.gen_range(0..args.staff);
        let user = format!("k{staff:05}");
        let department = format!("部署{:04}", staff % 1_200);
        let session = format!("{:064x}", u128::from(staff) * 0x9e37_79b9_7f4a_7c15);
        let ip = format!(
            "10.{}.{}.{}",
            20 + staff % 40,
            (staff / 40) % 250,
            10 + staff % 200
        );
        let peer = format!("{ip}:{}", 40_000 + rng.gen_range(0..20_000u32));
        let record = if i % 60 == 0 {
            Record {
                time_ms,
                user: Some(user.clone()),
                user_id: Some(user),
                department: Some(department),
                session: Some(session),
                auth_method: Some("ldap"),
                client: ip.parse().ok(),
                peer: peer.parse().ok(),
                method: Some("POST".into()),
                path: Some("/.yakuba/login".into()),
                ..if rng.gen_ratio(1, 20) {
                    Record::new(Action::Login, Decision::Failure, "bad_credentials")
                } else {
                    Record::new(Action::Login, Decision::Success, "authenticated")
                }
            }
        } else {
            let mut pick = rng.gen_range(0..1000);
            let route = ROUTES
                .iter()
                .find(|(_, share)| {
                    let hit = pick < *share;
                    pick = pick.saturating_sub(*share);
                    hit
                })
                .map_or("portal", |(r, _)| r);
            let roll = rng.gen_range(0..1000);
            let (status, decision, reason) = match roll {
                0..=19 => (403, Decision::Deny, "policy_denied"),
                20..=29 => (302, Decision::RedirectLogin, "idle_timeout"),
                30..=32 => (502, Decision::Allow, "upstream_failed"),
                33..=80 => (304, Decision::Allow, "session_valid"),
                _ => (200, Decision::Allow, "session_valid"),
            };
            Record {
                time_ms,
                request_id: Some(format!("5eed{:04x}-{i:x}", args.seed)),
                user: Some(user.clone()),
                user_id: Some(user),
                full_name: Some("職員 太郎".into()),
                department: Some(department),
                session: Some(session),
                auth_method: Some("ldap"),
                client: ip.parse().ok(),
                peer: peer.parse().ok(),
                method: Some(if roll % 7 == 0 { "POST" } else { "GET" }.into()),
                http_version: Some("1.1"),
                host: Some("yakuba.city.example.lg.jp".into()),
                path: Some(format!("/{route}/list/{}", rng.gen_range(0..500u32))),
                query: (roll % 3 == 0).then(|| format!("page={}", roll % 20)),
                route: Some(route.into()),
                rule: Some(format!("routes.{route}.allow_groups")),
                upstream: format!("10.20.0.{}:8080", 10 + roll % 5).parse().ok(),
                status: Some(status),
                bytes_in: Some(0),
                bytes_out: Some(u64::from(rng.gen_range(200..40_000u32))),
                duration_ns: Some(u64::from(rng.gen_range(300_000..40_000_000u32))),
                user_agent: Some(UA.into()),
                tls_version: Some("1.3"),
                ..Record::new(Action::Request, decision, reason)
            }
        };
        stream.push(record);
        if i % 1024 == 1023 {
            stream.flush(false, None)?;
            stream.rotate_if_due(time_ms, None)?;
        }
    }
    stream.close(None)?;
    eprintln!(
        "wrote {} records in {:.1} s into {}",
        args.records,
        started.elapsed().as_secs_f64(),
        args.dir.display()
    );
    Ok(())
}

/// Compress every sealed plain segment in `dir`, one after another on this thread, as the
/// gateway's compression thread does.
fn compress_existing(dir: &std::path::Path) -> anyhow::Result<()> {
    let started = Instant::now();
    let cpu = cpu_seconds();
    let mut count = 0;
    for s in sso::audit::segment::list(dir)? {
        if !sso::audit::segment::is_compressed(&s.path) {
            sso::audit::compress::compress(&s.path)?;
            count += 1;
        }
    }
    eprintln!(
        "compressed {count} segments in {:.1} s ({:.1} s of CPU)",
        started.elapsed().as_secs_f64(),
        cpu_seconds() - cpu
    );
    Ok(())
}

/// This process's user and system CPU time so far, from `/proc/self/stat`.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name, which is in parentheses and may contain spaces.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i)?.parse::<f64>().ok())
        .sum();
    ticks / 100.0
}
