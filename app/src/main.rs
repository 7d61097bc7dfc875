//! `yakuba-app`: serves the groupware behind the gateway, checks its configuration, and loads
//! the demo city or a city-sized synthetic organisation into its database.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context as _, Result};
use clap::{Parser, Subcommand};
use sqlx::AnyPool;
use tokio::net::TcpListener;
use tracing::{error, info, warn};

use app::config::Config;
use app::org::{seed, store::LoadError};
use app::state::AppState;
use app::{backup, logging, metrics, org, routes, store, supervision};

/// Where packages install the configuration.
const DEFAULT_CONFIG: &str = "/etc/yakuba/app.toml";

#[derive(Debug, Parser)]
#[command(
    name = "yakuba-app",
    version,
    about = "Yakuba groupware, served behind yakuba-gateway"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// The configuration file.
    #[arg(long, global = true, default_value = DEFAULT_CONFIG)]
    config: PathBuf,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the app (the default).
    Run,
    /// Check the configuration and the files it names; print every problem and exit non-zero
    /// if there is any.
    CheckConfig {
        /// Also check the directory synchronisation's settings (`directory-sync.toml`) and the
        /// files they name.
        #[arg(long)]
        directory: Option<PathBuf>,
    },
    /// Load the demo city (やくば市) into the database unless it already holds an organisation.
    SeedDemo,
    /// Copy the database to a new file while the app runs: an SQLite snapshot, or `pg_dump`
    /// (custom format) for PostgreSQL.
    Backup {
        /// The backup file to write (must not exist).
        #[arg(long)]
        to: PathBuf,
    },
    /// Replace the database with a backup (stop the app first); the next start migrates it.
    Restore {
        /// The backup file to read.
        #[arg(long)]
        from: PathBuf,
    },
    /// Load a synthetic city-sized organisation into an empty database, for benchmarks.
    GenerateCity {
        /// Members of staff.
        #[arg(long, default_value_t = 21_036)]
        staff: usize,
        /// Departments (局, 部, 課 and 係 together).
        #[arg(long, default_value_t = 1_200)]
        departments: usize,
        /// Seed; the same seed gives the same city.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Single events per member of staff over three years (two back, one ahead), besides
        /// each team's recurring meetings; 0 for none. 96 makes about two million.
        #[arg(long, default_value_t = 0)]
        events_per_staff: usize,
        /// Facilities, in categories of 100 (rooms, then vehicles and equipment), with
        /// bookings over the same three years; 0 for none. The benchmark uses 2000.
        #[arg(long, default_value_t = 0)]
        facilities: usize,
        /// Average bookings per facility and working day (rooms; vehicles and equipment fewer).
        #[arg(long, default_value_t = 2.0)]
        facility_bookings_per_day: f64,
    },
    /// Check an HR CSV (Shift_JIS or UTF-8) against the organisation and print the
    /// differences or every bad line; with --apply, apply them in one transaction.
    ImportStaff {
        /// The HR file.
        #[arg(long)]
        file: PathBuf,
        /// Apply the differences (otherwise only show them).
        #[arg(long)]
        apply: bool,
    },
    /// Read the directory (AD/LDAP) with the service account and bring names, mail addresses
    /// and departments in line; staff it no longer lists are marked retired. Shows the
    /// differences; with --apply, applies them in one transaction.
    SyncDirectory {
        /// The synchronisation settings (`config/directory-sync.toml`).
        #[arg(long, default_value = "/etc/yakuba/directory-sync.toml")]
        directory: PathBuf,
        /// Apply the differences (otherwise only show them).
        #[arg(long)]
        apply: bool,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Run);
    let service = matches!(command, Command::Run);
    // Only the service logs to the journal and the optional file; other commands answer the
    // person who typed them on standard error.
    let log_file = if service {
        Config::load(&cli.config).ok().and_then(|c| c.log_file)
    } else {
        None
    };
    if let Err(e) = logging::init(service, log_file.as_deref()) {
        eprintln!("{e:#}");
        return ExitCode::FAILURE;
    }
    let result = match command {
        Command::Run => run(&cli.config).await,
        Command::Backup { to } => backup_command(&cli.config, &to).await,
        Command::Restore { from } => restore_command(&cli.config, &from).await,
        Command::CheckConfig { directory } => {
            return check_config(&cli.config, directory.as_deref());
        }
        Command::SeedDemo => seed_demo(&cli.config).await,
        Command::GenerateCity {
            staff,
            departments,
            seed,
            events_per_staff,
            facilities,
            facility_bookings_per_day,
        } => {
            let facilities = (facilities, facility_bookings_per_day);
            generate_city(
                &cli.config,
                staff,
                departments,
                seed,
                events_per_staff,
                facilities,
            )
            .await
        }
        Command::ImportStaff { file, apply } => import_staff(&cli.config, &file, apply).await,
        Command::SyncDirectory { directory, apply } => {
            sync_directory(&cli.config, &directory, apply).await
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            error!("{e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Load config, open the database, build the state, serve until SIGTERM or SIGINT.
async fn run(config_path: &Path) -> Result<()> {
    let config = Config::load(config_path)?;
    let verifier = config
        .assertion
        .verifier()
        .context("cannot load the gateway's key (assertion.verify_key)")?;
    let pool = store::open(&config.database).await?;
    if config.seed_demo_if_empty {
        load_demo_if_empty(&pool).await?;
    }
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    info!(listen = %config.listen, "yakuba-app listening on http://{}", config.listen);
    let mut state = AppState::new(pool.clone(), verifier, config.default_lang);
    state.working_hours = config.working_hours;
    state.audit = app::audit::AuditTrail::open(&config.audit)
        .context("cannot open the app's audit trail ([audit] dir, signing_key)")?;
    if let Some(listen) = config.metrics_listen {
        let metrics_listener = TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen for metrics on {listen}"))?;
        info!(%listen, "metrics on http://{listen}/metrics");
        tokio::spawn(metrics::routes::serve(
            metrics_listener,
            state.clone(),
            shutdown_signal(),
        ));
    }
    tokio::spawn(supervision::prove_health(config.listen));
    // Recurring events' rooms: book the occurrences each facility's window reaches, hourly.
    tokio::spawn(app::schedule::rooms::keep_rolling(pool.clone()));
    // Staff search terms: built at once after a migration or city load, then kept current.
    tokio::spawn(app::org::store::keep_search_current(pool.clone()));
    tokio::spawn(reload_on_hangup(config_path.to_owned(), state.clone()));
    let audit = state.audit.clone();
    routes::serve(listener, state, shutdown_signal())
        .await
        .context("serving HTTP")?;
    // Seal the open audit segment.
    tokio::task::spawn_blocking(move || audit.shutdown()).await?;
    pool.close().await;
    info!("yakuba-app stopped");
    Ok(())
}

/// `systemctl reload` (SIGHUP): read the configuration again and start trusting the gateway's
/// current key, so a rotated key needs no restart. Settings that only apply at start (listen
/// addresses, database) are reported when they differ.
async fn reload_on_hangup(config_path: PathBuf, state: AppState) {
    let Ok(mut hangups) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
    else {
        warn!("cannot listen for SIGHUP; reload means restart");
        return;
    };
    let started = Config::load(&config_path).ok();
    while hangups.recv().await.is_some() {
        supervision::notify(&[("RELOADING", "1")]);
        match Config::load(&config_path) {
            Ok(config) => match config.assertion.verifier() {
                Ok(verifier) => {
                    state.verifier.replace(verifier);
                    info!(key = %config.assertion.verify_key.display(), "reloaded the gateway's key");
                    if let Some(started) = &started
                        && (started.listen != config.listen
                            || started.database != config.database
                            || started.metrics_listen != config.metrics_listen
                            || started.working_hours != config.working_hours)
                    {
                        warn!(
                            "listen, database, metrics_listen and [schedule] changes apply after a restart"
                        );
                    }
                }
                Err(e) => error!("reload refused, the old key stays: {e}"),
            },
            Err(e) => error!("reload refused, the old configuration stays: {e}"),
        }
        supervision::notify(&[("READY", "1")]);
    }
}

async fn backup_command(config_path: &Path, to: &Path) -> Result<()> {
    let config = Config::load(config_path)?;
    let counts = backup::backup(&config.database, to).await?;
    println!("{}: {}", to.display(), describe(&counts));
    Ok(())
}

async fn restore_command(config_path: &Path, from: &Path) -> Result<()> {
    let config = Config::load(config_path)?;
    let counts = backup::restore(&config.database, from).await?;
    println!("restored {}: {}", config.database, describe(&counts));
    Ok(())
}

fn describe(counts: &[(String, i64)]) -> String {
    counts
        .iter()
        .map(|(table, n)| format!("{table} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Prints every problem of the configuration (and of the directory synchronisation's settings,
/// when given) with its key path.
fn check_config(config_path: &Path, directory: Option<&Path>) -> ExitCode {
    let mut files = vec![(
        config_path,
        match Config::load(config_path) {
            Ok(config) => config.check_files(),
            Err(e) => e.problems,
        },
    )];
    if let Some(path) = directory {
        let problems = match app::config::directory_sync::load(path) {
            Ok(file) => app::config::directory_sync::check_files(&file),
            Err(e) => e.problems,
        };
        files.push((path, problems));
    }
    let mut failed = false;
    for (path, problems) in files {
        if problems.is_empty() {
            println!("{}: ok", path.display());
        }
        for problem in &problems {
            eprintln!("{}: {problem}", path.display());
            failed = true;
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

async fn seed_demo(config_path: &Path) -> Result<()> {
    let config = Config::load(config_path)?;
    let pool = store::open(&config.database).await?;
    load_demo_if_empty(&pool).await?;
    pool.close().await;
    Ok(())
}

/// Loads the demo city unless an organisation is already there, then what the demo shows
/// around it (a system administrator, a living schedule); a second run changes nothing.
async fn load_demo_if_empty(pool: &AnyPool) -> Result<()> {
    load_demo_city(pool).await?;
    if let Some(admin) = org::store::find_staff_by_login(pool, "admin").await? {
        org::store::grant_role(pool, admin.id, org::model::Role::SystemAdmin).await?;
    }
    let now = time::OffsetDateTime::now_utc();
    let today = now.to_offset(app::schedule::model::JST).date();
    let events = app::schedule::seed::store::load_demo_events(pool, today, now)
        .await
        .context("cannot load the demo schedule")?;
    if events > 0 {
        info!(
            events,
            "loaded the demo schedule: {events} events around today"
        );
    }
    load_demo_groupware(pool, now).await
}

/// The demo's facilities with bookings around today, a few statuses on 総務課's board and
/// unread phone memos for 山田; each only where there is none yet.
async fn load_demo_groupware(pool: &AnyPool, now: time::OffsetDateTime) -> Result<()> {
    let facilities = app::facility::store::load_demo(pool, now)
        .await
        .context("cannot load the demo facilities")?;
    if facilities.facilities > 0 {
        info!(
            facilities = facilities.facilities,
            reservations = facilities.reservations,
            "loaded the demo facilities: {} facilities, {} bookings around today",
            facilities.facilities,
            facilities.reservations
        );
    }
    app::whereabouts::store::load_demo(pool, now)
        .await
        .context("cannot load the demo whereabouts")?;
    app::memo::store::load_demo(pool, now)
        .await
        .context("cannot load the demo memos")?;
    Ok(())
}

async fn load_demo_city(pool: &AnyPool) -> Result<()> {
    match org::store::insert_city(pool, &seed::demo_city()).await {
        Ok(counts) => {
            info!(
                departments = counts.departments,
                staff = counts.staff,
                "loaded the demo city: {} departments, {} staff",
                counts.departments,
                counts.staff
            );
            Ok(())
        }
        Err(LoadError::NotEmpty { departments, staff }) => {
            info!(
                departments,
                staff, "the database already holds an organisation; demo city not loaded"
            );
            Ok(())
        }
        Err(e) => Err(e).context("cannot load the demo city"),
    }
}

async fn generate_city(
    config_path: &Path,
    staff: usize,
    departments: usize,
    seed: u64,
    events_per_staff: usize,
    (facilities, facility_bookings_per_day): (usize, f64),
) -> Result<()> {
    let config = Config::load(config_path)?;
    let pool = store::open(&config.database).await?;
    let started = Instant::now();
    let city = seed::synthetic_city(staff, departments, seed);
    let generated = started.elapsed();
    let counts = org::store::insert_city(&pool, &city)
        .await
        .context("cannot load the synthetic city (generate-city needs an empty database)")?;
    let inserted = started.elapsed().saturating_sub(generated);
    let rows = counts.departments + counts.staff;
    println!(
        "generated {} departments and {} staff (seed {seed}) in {:.3}s; \
         inserted {rows} rows in one transaction in {:.3}s ({:.0} rows/s)",
        counts.departments,
        counts.staff,
        generated.as_secs_f64(),
        inserted.as_secs_f64(),
        rows as f64 / inserted.as_secs_f64().max(f64::EPSILON),
    );
    if events_per_staff > 0 {
        let started = Instant::now();
        let now = time::OffsetDateTime::now_utc();
        let today = now.to_offset(app::schedule::model::JST).date();
        let first = today - time::Duration::days(730);
        let last = today + time::Duration::days(365);
        let events = app::schedule::seed::store::load_city_events(
            &pool,
            first,
            last,
            events_per_staff,
            seed,
            now,
        )
        .await
        .context("cannot load the generated schedule")?;
        println!(
            "generated and inserted {events} events ({first} to {last}) in {:.1}s",
            started.elapsed().as_secs_f64()
        );
    }
    if facilities > 0 {
        let started = Instant::now();
        let now = time::OffsetDateTime::now_utc();
        let today = now.to_offset(app::facility::model::JST).date();
        let (first, last) = (
            today - time::Duration::days(730),
            today + time::Duration::days(365),
        );
        let counts = app::facility::store::load_city(
            &pool,
            facilities,
            facility_bookings_per_day,
            first,
            last,
            seed,
            now,
        )
        .await
        .context("cannot load the generated facilities")?;
        println!(
            "generated and inserted {} facilities in {} categories with {} bookings \
             ({first} to {last}) in {:.1}s",
            counts.facilities,
            counts.categories,
            counts.reservations,
            started.elapsed().as_secs_f64()
        );
    }
    pool.close().await;
    Ok(())
}

/// The HR import from the command line: the same check and apply as the administration page.
async fn import_staff(config_path: &Path, file: &Path, apply: bool) -> Result<()> {
    use app::org::import::{model as hr, store as import};
    let config = Config::load(config_path)?;
    let pool = store::open(&config.database).await?;
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let (text, encoding) = hr::decode(&bytes)
        .with_context(|| format!("{} is neither UTF-8 nor Shift_JIS", file.display()))?;
    let current = import::current(&pool).await?;
    let records = match hr::parse(&text, &current.departments, &current.logins) {
        Ok(records) => records,
        Err(errors) => {
            for error in &errors {
                eprintln!("{}: {}", file.display(), hr::message_ja(error));
            }
            anyhow::bail!(
                "{} lines cannot be imported; nothing was changed",
                errors.len()
            );
        }
    };
    let plan = hr::plan(records, &current.staff);
    println!(
        "{} ({encoding:?}): {} added, {} changed ({} transfers, {} retirements), {} unchanged",
        file.display(),
        plan.added.len(),
        plan.changed.len(),
        plan.transfers(),
        plan.retirements(),
        plan.unchanged
    );
    for change in plan.changed.iter().take(50) {
        let fields: Vec<String> = change
            .fields
            .iter()
            .map(|f| format!("{}: {} -> {}", f.field, f.before, f.after))
            .collect();
        println!(
            "  {} {}: {}",
            change.stored.employee_no,
            change.stored.name,
            fields.join(", ")
        );
    }
    if apply && !plan.is_empty() {
        let actor = std::env::var("USER").unwrap_or_else(|_| "cli".to_owned());
        let applied = import::apply(
            &pool,
            &plan,
            &current.departments,
            "hr_csv",
            &actor,
            time::OffsetDateTime::now_utc(),
        )
        .await
        .context("cannot apply the HR file; nothing was changed")?;
        println!(
            "applied: {} added, {} changed, {} retired",
            applied.added, applied.changed, applied.retired
        );
    } else if !plan.is_empty() {
        println!("nothing applied; run again with --apply");
    }
    pool.close().await;
    Ok(())
}

/// The directory synchronisation from the command line (run by a timer).
async fn sync_directory(config_path: &Path, sync_path: &Path, apply: bool) -> Result<()> {
    let config = Config::load(config_path)?;
    let file = app::config::directory_sync::load(sync_path)?;
    let mut settings = file.ldap.settings;
    settings.bind_password = std::fs::read_to_string(&file.ldap.bind_password_file)
        .with_context(|| format!("cannot read {}", file.ldap.bind_password_file.display()))?
        .trim_end_matches(['\r', '\n'])
        .to_owned();
    let directory = sso::ldap::LdapDirectory::new(settings).context("directory settings")?;
    let pool = store::open(&config.database).await?;
    let (plan, applied) = app::org::import::sync::synchronise(
        &pool,
        &directory,
        &file.sync,
        apply,
        time::OffsetDateTime::now_utc(),
    )
    .await
    .context("directory synchronisation refused; nothing was changed")?;
    println!(
        "{} changed ({} transfers, {} retirements), {} unchanged; {} directory accounts unknown to HR",
        plan.plan.changed.len(),
        plan.plan.transfers(),
        plan.plan.retirements(),
        plan.plan.unchanged,
        plan.unknown.len()
    );
    for (login, department) in &plan.unmatched_departments {
        println!("  {login}: department {department} matches no single department; left as it is");
    }
    match applied {
        Some(applied) => println!(
            "applied: {} changed, {} retired",
            applied.changed, applied.retired
        ),
        None if !plan.plan.is_empty() => println!("nothing applied; run again with --apply"),
        None => {}
    }
    pool.close().await;
    Ok(())
}

/// Completes on SIGTERM (systemd stop) or SIGINT (Ctrl-C).
async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                warn!(%error, "cannot listen for SIGTERM; stop with SIGINT instead");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
    info!("shutting down: finishing requests in flight");
}
