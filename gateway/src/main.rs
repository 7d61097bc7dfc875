//! `yakuba-gateway`: the TLS front door of the Yakuba appliance. It logs staff in, keeps
//! their sessions, routes each request to the app or a legacy system with identity attached,
//! and writes an audit record for every request.

mod access;
mod addr_text;
mod audit;
mod background;
mod backup;
mod canonical;
mod config;
mod cookies;
mod endpoints;
mod explain;
mod handover;
mod headers;
mod idp;
mod lang;
mod legacy;
mod logging;
mod metrics;
mod mount;
mod pages;
mod policy;
mod proxy;
mod redirect_http;
mod request;
mod response;
mod routing;
mod secrets;
mod sessions;
mod state;
mod store;
mod supervision;
mod throttle;
mod tls;
mod vault;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use pingora::lb::LoadBalancer;
use pingora::listeners::tls::TlsSettings;
use pingora::server::Server;
use pingora::server::configuration::ServerConf;

use crate::config::GatewayConfig;

// The proxy allocates and frees many small buffers per request; mimalloc is markedly faster
// at that than glibc's allocator (measured in bench/run.sh).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Command line.
#[derive(Parser)]
#[command(name = "yakuba-gateway", version, about = "Yakuba SSO gateway")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the gateway.
    Run {
        /// Configuration file.
        #[arg(long, default_value = "/etc/yakuba/gateway.toml")]
        config: PathBuf,
        /// Take over the listening sockets of a running gateway (graceful upgrade): start
        /// this, then send the old process `SIGQUIT`. It hands over its sockets, finishes the
        /// requests it has and exits; no connection is refused meanwhile. This is how a new
        /// configuration, certificate or binary takes effect.
        #[arg(long)]
        upgrade: bool,
    },
    /// Check a configuration file and report every problem.
    CheckConfig {
        /// Configuration file.
        #[arg(long, default_value = "/etc/yakuba/gateway.toml")]
        config: PathBuf,
    },
    /// Create missing secrets (session secret, assertion key pair, certificate).
    Keygen {
        /// Configuration file.
        #[arg(long, default_value = "/etc/yakuba/gateway.toml")]
        config: PathBuf,
    },
    /// Read a password on standard input and print its argon2id hash for a local account.
    HashPassword,
    /// What `systemctl reload` runs: check the configuration, ask the running gateway for a
    /// graceful upgrade (`SIGHUP`: it starts its successor, which takes the listening sockets
    /// over), and wait until the old one has handed over and exited.
    Reload {
        /// Configuration file.
        #[arg(long, default_value = "/etc/yakuba/gateway.toml")]
        config: PathBuf,
        /// The running gateway (systemd's `$MAINPID`).
        #[arg(long)]
        main_pid: u32,
    },
    /// Copy the session store (sessions and sealed vault credentials) to a new file while the
    /// gateway runs: an SQLite snapshot, or `pg_dump` for a PostgreSQL store.
    Backup {
        /// Configuration file.
        #[arg(long, default_value = "/etc/yakuba/gateway.toml")]
        config: PathBuf,
        /// The backup file to write (must not exist).
        #[arg(long)]
        to: PathBuf,
    },
    /// Replace the session store with a backup. Stop the gateway first.
    Restore {
        /// Configuration file.
        #[arg(long, default_value = "/etc/yakuba/gateway.toml")]
        config: PathBuf,
        /// The backup file to read.
        #[arg(long)]
        from: PathBuf,
    },
    /// The audit log: verify its chain and seals, or search it.
    Audit {
        #[command(subcommand)]
        command: audit::cli::AuditCommand,
    },
    /// Say whether a user may make a request, and which rule decides, as the proxy would.
    Explain {
        /// Configuration file.
        #[arg(long, default_value = "/etc/yakuba/gateway.toml")]
        config: PathBuf,
        /// Login id: a local account or a directory user (looked up), unless assumed.
        #[arg(long)]
        user: String,
        /// HTTP method.
        #[arg(long, default_value = "GET")]
        method: String,
        /// The URL (`https://host/path?query` or `/path`).
        #[arg(long)]
        url: String,
        /// Assume this group instead of looking the user up (repeatable).
        #[arg(long = "group")]
        groups: Vec<String>,
        /// Assume this department instead of looking the user up.
        #[arg(long)]
        department: Option<String>,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // Only the service logs to the journal and to the optional file; the other commands
    // talk to the person who typed them.
    let log_file = match &cli.command {
        Command::Run { config, .. } => GatewayConfig::load(config)
            .ok()
            .and_then(|c| c.log.file.map(|file| c.server.data_dir.join(file))),
        _ => None,
    };
    logging::init(
        matches!(cli.command, Command::Run { .. }),
        log_file.as_deref(),
    )?;
    match cli.command {
        Command::Run { config, upgrade } => run(&config, upgrade),
        Command::Reload { config, main_pid } => {
            let loaded = check_config(&config)?;
            handover::reload(main_pid, &loaded.path(Path::new(handover::FAILURE_FILE)))
        }
        Command::Backup { config, to } => {
            let config = load(&config)?;
            maintenance_runtime()?.block_on(backup::backup(&store_location(&config)?, &to))
        }
        Command::Restore { config, from } => {
            let config = load(&config)?;
            maintenance_runtime()?.block_on(backup::restore(&store_location(&config)?, &from))
        }
        Command::CheckConfig { config } => check_config(&config).map(drop),
        Command::Audit { command } => audit::cli::run(command),
        Command::Keygen { config } => {
            let config = load(&config)?;
            secrets::ensure_all(&config)?;
            let audit_key = config.path(&config.audit.signing_key);
            sso::audit::seal::SealKey::load_or_create(&audit_key, true)
                .with_context(|| format!("audit signing key {}", audit_key.display()))?;
            println!(
                "secrets are in place under {}",
                config.server.data_dir.display()
            );
            Ok(())
        }
        Command::Explain {
            config,
            user,
            method,
            url,
            groups,
            department,
        } => {
            let config = load(&config)?;
            let subject = explain::Subject {
                user,
                groups,
                department,
            };
            println!("{}", explain::explain(&config, &subject, &method, &url)?);
            Ok(())
        }
        Command::HashPassword => {
            let mut password = String::new();
            std::io::stdin()
                .read_line(&mut password)
                .context("cannot read standard input")?;
            let password = password.trim_end_matches(['\r', '\n']);
            anyhow::ensure!(!password.is_empty(), "empty password");
            println!("{}", sso::local::hash_password(password)?);
            Ok(())
        }
    }
}

fn load(path: &Path) -> anyhow::Result<GatewayConfig> {
    let config = GatewayConfig::load(path)?;
    config
        .validate()
        .with_context(|| format!("configuration {} is invalid", path.display()))?;
    Ok(config)
}

fn check_config(path: &Path) -> anyhow::Result<GatewayConfig> {
    let config = load(path)?;
    sso::local::LocalAccounts::new(config.local_accounts.clone())?;
    println!(
        "{}: configuration OK ({} routes)",
        path.display(),
        config.routes.len()
    );
    Ok(config)
}

fn run(path: &Path, upgrade: bool) -> anyhow::Result<()> {
    let config = load(path)?;
    let secrets = secrets::ensure_all(&config)?;

    // A small runtime for start-up and background maintenance; Pingora runs its own
    // runtimes for the proxy. It lives as long as `main`, which never returns from
    // `run_forever`.
    let runtime = maintenance_runtime()?;
    // Signals are ours from here on: a `SIGHUP` starts the successor (graceful upgrade).
    let signals = {
        let _entered = runtime.enter();
        handover::Signals::install(handover::Successor::new(path, |p| config.path(p))?)?
    };
    let (config_hash, config_version) = audit::config_hash(
        &std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?,
    );
    let state = Arc::new(runtime.block_on(build_state(&config, secrets, &config_version))?);
    state.audit.record(audit::Record {
        detail: Some(serde_json::json!({
            "sha256": config_hash,
            "file": path.display().to_string(),
            "routes": config.routes.len(),
        })),
        ..audit::Record::new(
            audit::Action::Config,
            audit::Decision::Success,
            if upgrade {
                "config_reloaded"
            } else {
                "config_loaded"
            },
        )
    });
    runtime.spawn(background::maintain(state.clone()));
    runtime.spawn(background::revalidate(
        state.clone(),
        config.session.revalidate_interval,
    ));
    runtime.spawn(background::check_upstreams(
        state.clone(),
        config.server.health_check_interval,
    ));
    runtime.spawn(background::sync_sessions(
        state.clone(),
        config.session.sync_interval,
    ));

    let conf = ServerConf {
        threads: config.server.threads,
        // One current-thread runtime per worker thread: no cross-thread wake-ups on the
        // request path.
        work_stealing: false,
        grace_period_seconds: Some(1),
        graceful_shutdown_timeout_seconds: Some(5),
        pid_file: config.path(Path::new("gateway.pid")).display().to_string(),
        upgrade_sock: config
            .path(Path::new(handover::UPGRADE_SOCKET))
            .display()
            .to_string(),
        ..ServerConf::default()
    };
    let opt = pingora::server::configuration::Opt {
        upgrade,
        ..Default::default()
    };
    let mut server = Server::new_with_opt_and_conf(opt, conf);
    // Whatever can fail is done before the listening sockets are taken over: a successor
    // that fails leaves the old process serving.
    let mut https = pingora::proxy::http_proxy_service(
        &server.configuration,
        proxy::Proxy {
            state: state.clone(),
        },
    );
    let cert = tls::load(
        &config.path(&config.tls.cert),
        &config.path(&config.tls.key),
    )?;
    let mut tls_settings = TlsSettings::with_callbacks(Box::new(NoCallbacks))
        .map_err(|e| anyhow::anyhow!("TLS settings: {e}"))?;
    tls_settings.set_cert_resolver(Arc::new(tls::SingleCert(cert)));
    tls_settings.enable_h2();
    https.add_tls_with_settings(&config.server.https.to_string(), None, tls_settings);
    server.add_service(https);

    if let Some(http_addr) = config.server.http {
        let mut http = pingora::proxy::http_proxy_service(
            &server.configuration,
            redirect_http::RedirectToHttps {
                https_port: state.https_port,
            },
        );
        http.add_tcp(&http_addr.to_string());
        server.add_service(http);
    }

    server.bootstrap();
    if upgrade {
        // The old process has handed over the sockets: from now on this one is the service,
        // before the old one exits (systemd would otherwise count that exit as the end).
        supervision::announce_main_pid();
    }
    runtime.spawn(supervision::prove_health(config.server.https, upgrade));
    if let Some(listen) = config.metrics.listen {
        runtime.spawn(metrics::serve(state.clone(), listen));
    }

    tracing::info!(
        https = %config.server.https,
        http = ?config.server.http,
        routes = config.routes.len(),
        "yakuba-gateway listening"
    );
    let _keep_alive = runtime;
    server.run(pingora::server::RunArgs {
        shutdown_signal: Box::new(signals),
    });
    // Stopped (or handed over to a new process): seal the audit segment, which lets the
    // next process open the stream.
    state.audit.shutdown();
    std::process::exit(0)
}

/// The runtime for start-up, maintenance commands and background tasks.
fn maintenance_runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("gateway-maint")
        .enable_all()
        .build()
        .context("cannot start the maintenance runtime")
}

/// Where the session store is: the PostgreSQL URL in `session.postgres_url_file`, or the
/// SQLite file.
fn store_location(config: &GatewayConfig) -> anyhow::Result<store::StoreLocation> {
    Ok(match &config.session.postgres_url_file {
        Some(file) => {
            let file = config.path(file);
            let url = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            store::StoreLocation::Postgres(url.trim().to_owned())
        }
        None => store::StoreLocation::Sqlite(config.path(&config.session.database)),
    })
}

/// Post-handshake callbacks: none yet.
struct NoCallbacks;

#[async_trait::async_trait]
impl pingora::listeners::TlsAccept for NoCallbacks {}

async fn build_state(
    config: &GatewayConfig,
    secrets: secrets::Secrets,
    config_version: &str,
) -> anyhow::Result<state::GatewayState> {
    let routes = Arc::new(routing::RouteTable::new(&config.routes));
    let mut balancers = Vec::with_capacity(config.routes.len());
    for route in routes.routes() {
        let mut lb = LoadBalancer::try_from_iter(route.upstreams.iter().map(String::as_str))
            .with_context(|| format!("route {}: bad upstream address", route.id))?;
        lb.set_health_check(pingora::lb::health_check::TcpHealthCheck::new());
        balancers.push(Arc::new(lb));
    }
    let location = store_location(config)?;
    let pool = store::open(&location)
        .await
        .with_context(|| format!("cannot open the session store {location}"))?;
    let vault = vault::Vault::new(pool.clone(), &secrets.vault_key);
    let sessions = Arc::new(sessions::Sessions::new(
        pool,
        secrets.keyer,
        sso::SessionRules {
            idle: config.session.idle_timeout,
            absolute: config.session.absolute_timeout,
        },
        routes.clone(),
    ));
    let ldap = match config.ldap_settings()? {
        None => None,
        Some(settings) => Some(sso::ldap::LdapDirectory::new(settings)?),
    };
    let mut idps = Vec::with_capacity(config.oidc.len());
    for section in &config.oidc {
        let secret_file = config.path(&section.client_secret_file);
        let mut settings = section.settings.clone();
        settings.client_secret = std::fs::read_to_string(&secret_file)
            .with_context(|| {
                format!(
                    "cannot read oidc client_secret_file {}",
                    secret_file.display()
                )
            })?
            .trim_end_matches(['\r', '\n'])
            .to_owned();
        idps.push(idp::Provider::new(settings, section.user_prefix.clone()));
    }
    let audit = audit::AuditLog::open(config, routes.clone(), config_version)?;
    Ok(state::GatewayState {
        reserved: headers::ReservedHeaders::new(routes.routes()),
        balancers,
        sessions,
        signer: secrets.signer,
        jwks: secrets.jwks,
        local: Arc::new(sso::local::LocalAccounts::new(
            config.local_accounts.clone(),
        )?),
        ldap,
        idps,
        audit,
        https_port: config
            .server
            .public_https_port
            .unwrap_or(config.server.https.port()),
        throttle: throttle::Throttle::new(
            throttle::Limit {
                attempts: config.login.account_attempts,
                window: config.login.account_window,
                ban: config.login.account_ban,
            },
            throttle::Limit {
                attempts: config.login.client_attempts,
                window: config.login.client_window,
                ban: config.login.client_ban,
            },
        ),
        failure_delay: config.login.failure_delay,
        vault,
        legacy_client: legacy::client()?,
        replays: legacy::ReplayGuard::default(),
        max_sessions_per_user: config.session.max_per_user,
        admin_groups: config
            .admin
            .groups
            .iter()
            .map(|g| sso::dn::normalise_group(g).unwrap_or_else(|_| g.clone()))
            .collect(),
        metrics: metrics::Metrics::default(),
        routes,
    })
}
