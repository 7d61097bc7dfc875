//! Where the app's log goes: the journal (with each field as a journal field) when
//! systemd runs it, standard error otherwise, and optionally a file as well (`log_file`).
//! `RUST_LOG` overrides the level (`info,sqlx=warn`).

use std::path::Path;

use anyhow::Context as _;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer as _};

/// Install the subscriber. `service` is true for `run`: only the service writes to the
/// journal and the file; commands a person types answer on standard error.
pub fn init(service: bool, file: Option<&Path>) -> anyhow::Result<()> {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    // systemd sets JOURNAL_STREAM when standard error is the journal: then log to the
    // journal directly, keeping the fields apart.
    let journald = if service && std::env::var_os("JOURNAL_STREAM").is_some() {
        tracing_journald::layer()
            .ok()
            .map(|layer| layer.with_syslog_identifier("yakuba-app".to_owned()))
    } else {
        None
    };
    let stderr = journald.is_none().then(|| {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
    });
    let file = match file.filter(|_| service) {
        Some(path) => {
            let handle = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .with_context(|| format!("cannot open the log file {}", path.display()))?;
            Some(
                tracing_subscriber::fmt::layer()
                    .with_writer(std::sync::Mutex::new(handle))
                    .with_ansi(false)
                    .boxed(),
            )
        }
        None => None,
    };
    tracing_subscriber::registry()
        .with(filter)
        .with(journald)
        .with(stderr)
        .with(file)
        .init();
    Ok(())
}
