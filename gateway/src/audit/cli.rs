//! `yakuba-gateway audit verify` and `yakuba-gateway audit search`: the security team's tools
//! over the segment files, read-only, safe to run while the gateway writes.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Subcommand, ValueEnum};
use sso::audit::seal::SealVerifier;
use sso::audit::search::{Query, StatusFilter};

use crate::config::GatewayConfig;

/// `audit` subcommands.
#[derive(Subcommand)]
pub enum AuditCommand {
    /// Check that no record was modified, deleted, inserted or moved and no segment is
    /// missing, and (with the stream's signed checkpoints) that nothing was cut from the end
    /// of the newest segment and no newest segment deleted; say where (segment file and line,
    /// or checkpoint) if one was. Exits 1 on a problem.
    Verify {
        /// Configuration file (for the directory and the public key).
        #[arg(long, default_value = "/etc/yakuba/gateway.toml")]
        config: PathBuf,
        /// Segment directory, instead of the configured one (e.g. the app's, or a copy).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Public key (`audit.pub`) to check seals against, instead of the configured key's;
        /// repeat for segments sealed by earlier keys.
        #[arg(long = "public-key")]
        public_keys: Vec<PathBuf>,
        /// Checkpoints to check against, instead of the configured checkpoint directory: a
        /// checkpoint directory, a file of checkpoint lines, a collector's syslog file, a
        /// journal export (`journalctl -o json`), or `-` for standard input; repeatable.
        #[arg(long = "checkpoints")]
        checkpoints: Vec<PathBuf>,
    },
    /// Find records by user, time, route, decision, status and action, across every segment.
    Search {
        /// Configuration file (for the directory).
        #[arg(long, default_value = "/etc/yakuba/gateway.toml")]
        config: PathBuf,
        /// Segment directory, instead of the configured one; repeatable.
        #[arg(long = "dir")]
        dirs: Vec<PathBuf>,
        /// The user who acted or was acted on (login id).
        #[arg(long)]
        user: Option<String>,
        /// From (inclusive): `2026-04-01`, `2026-04-01T09:00` (JST without a zone) or RFC 3339.
        #[arg(long)]
        from: Option<String>,
        /// Until (exclusive); a bare date includes that whole day.
        #[arg(long)]
        to: Option<String>,
        /// Route id (`zaimu`).
        #[arg(long)]
        route: Option<String>,
        /// Decision: allow, deny, redirect_login, served, success, failure.
        #[arg(long)]
        decision: Option<String>,
        /// Response status: `403` or `4xx`.
        #[arg(long)]
        status: Option<String>,
        /// Action: request, login, logout, lockout, vault, config, admin, audit.
        #[arg(long)]
        action: Option<String>,
        /// Most records shown.
        #[arg(long, default_value_t = 1000)]
        limit: usize,
        /// Newest first.
        #[arg(long)]
        newest_first: bool,
        /// Output: the records as written (JSON lines) or a table for reading.
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
}

/// Output format of `audit search`.
#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    /// The records as written, one JSON object per line.
    Json,
    /// One line per record: JST time, user, action, decision, status, route, path, reason.
    Table,
}

fn configured(config: &Path) -> anyhow::Result<GatewayConfig> {
    let parsed = GatewayConfig::load(config)?;
    Ok(parsed)
}

/// Run an `audit` subcommand.
pub fn run(command: AuditCommand) -> anyhow::Result<()> {
    match command {
        AuditCommand::Verify {
            config,
            dir,
            public_keys,
            checkpoints,
        } => verify(&config, dir, public_keys, checkpoints),
        AuditCommand::Search {
            config,
            dirs,
            user,
            from,
            to,
            route,
            decision,
            status,
            action,
            limit,
            newest_first,
            format,
        } => {
            let dirs = if dirs.is_empty() {
                let c = configured(&config)?;
                vec![c.path(&c.audit.dir)]
            } else {
                dirs
            };
            let parse_time = |t: Option<String>, end: bool| {
                t.map(|t| sso::audit::when::parse_time(&t, end))
                    .transpose()
                    .map_err(anyhow::Error::msg)
            };
            if let Some(d) = &decision {
                anyhow::ensure!(
                    sso::audit::Decision::parse(d).is_some(),
                    "unknown decision `{d}`: use allow, deny, redirect_login, served, success or failure"
                );
            }
            let query = Query {
                from_ms: parse_time(from, false)?,
                to_ms: parse_time(to, true)?,
                user,
                route,
                decision,
                status: status
                    .map(|s| StatusFilter::parse(&s))
                    .transpose()
                    .map_err(anyhow::Error::msg)?,
                action,
                limit,
                newest_first,
            };
            let started = std::time::Instant::now();
            let found = sso::audit::search::search(&dirs, &query)?;
            let mut out = std::io::stdout().lock();
            for hit in &found.hits {
                use std::io::Write as _;
                let line = match format {
                    Format::Json => hit.text.clone(),
                    Format::Table => table_row(&hit.text),
                };
                if writeln!(out, "{line}").is_err() {
                    break;
                }
            }
            eprintln!(
                "{} record(s){} in {:.3} s ({} segments, {} blocks read, {} lines parsed)",
                found.hits.len(),
                if found.truncated {
                    "; more match: narrow the search or raise --limit"
                } else {
                    ""
                },
                started.elapsed().as_secs_f64(),
                found.segments,
                found.blocks_read,
                found.lines_parsed
            );
            Ok(())
        }
    }
}

fn verify(
    config: &Path,
    dir: Option<PathBuf>,
    public_keys: Vec<PathBuf>,
    checkpoints: Vec<PathBuf>,
) -> anyhow::Result<()> {
    let mut keys = SealVerifier::default();
    let (dir, key_files, checkpoints) = match (dir, public_keys.is_empty()) {
        (Some(dir), false) => (dir, public_keys, checkpoints),
        (dir, _) => {
            let c = configured(config)?;
            let key = c.path(&c.audit.signing_key).with_extension("pub");
            let keys = if public_keys.is_empty() {
                vec![key]
            } else {
                public_keys
            };
            let configured_dir = c.path(&c.audit.dir);
            // The configured checkpoints belong to the configured segment directory.
            let checkpoints = match (&dir, checkpoints.is_empty()) {
                (None, true) => vec![c.path(&c.audit.checkpoint_dir)],
                (Some(d), true) if *d == configured_dir => vec![c.path(&c.audit.checkpoint_dir)],
                _ => checkpoints,
            };
            (dir.unwrap_or(configured_dir), keys, checkpoints)
        }
    };
    for file in &key_files {
        keys.add_file(file)
            .with_context(|| format!("public key {}", file.display()))?;
    }
    let found = if checkpoints.is_empty() {
        None
    } else {
        // A checkpoint directory that is not there (yet, or any more) holds no checkpoints:
        // segments that say they were checkpointed are then reported.
        let present: Vec<PathBuf> = checkpoints
            .into_iter()
            .filter(|s| s.as_os_str() == "-" || s.exists())
            .collect();
        Some(sso::audit::checkpoint::read_sources(&present)?)
    };
    let report = sso::audit::verify::verify_dir_with(&dir, &keys, found.as_deref())?;
    for note in &report.notes {
        println!("note: {note}");
    }
    for problem in &report.problems {
        println!("PROBLEM: {problem}");
    }
    println!(
        "{}: {} segment(s), {} record(s), {} seal(s) verified, {} problem(s)",
        dir.display(),
        report.segments,
        report.records,
        report.sealed,
        report.problems.len()
    );
    anyhow::ensure!(
        report.is_intact(),
        "the audit log in {} is not intact",
        dir.display()
    );
    Ok(())
}

/// A record as one line for people: JST time, user, action, decision, status, route,
/// method and path, reason.
fn table_row(text: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
    let s = |path: &[&str]| -> String {
        let mut cur = &v;
        for p in path {
            cur = &cur[*p];
        }
        match cur {
            serde_json::Value::Null => "-".to_owned(),
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    };
    let time = sso::audit::chain::parse_timestamp(&s(&["@timestamp"]))
        .map_or_else(|| s(&["@timestamp"]), jst);
    let user = match v["user"]["target"]["name"].as_str() {
        Some(target) => format!("{}→{target}", s(&["user", "name"])),
        None => s(&["user", "name"]),
    };
    format!(
        "{time}  {user}  {}  {}  {}  {}  {} {}  {}",
        s(&["event", "action"]),
        s(&["yakuba", "decision"]),
        s(&["http", "response", "status_code"]),
        s(&["yakuba", "route"]),
        s(&["http", "request", "method"]),
        s(&["url", "path"]),
        s(&["event", "reason"]),
    )
}

/// Unix milliseconds as a JST date and time.
fn jst(ms: i64) -> String {
    let shifted = ms + sso::audit::segment::JST_OFFSET_SECS * 1000;
    let text = sso::audit::record::format_ms(shifted);
    format!("{} {} JST", &text[..10], &text[11..23])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_rows_show_jst_time_and_who_acted_on_whom() {
        let line = r#"{"@timestamp":"2026-03-31T23:30:00.120Z","event":{"action":"logout","reason":"admin"},"user":{"name":"admin","target":{"name":"yamada"}},"yakuba":{"decision":"success"}}"#;
        assert_eq!(
            table_row(line),
            "2026-04-01 08:30:00.120 JST  admin→yamada  logout  success  -  -  - -  admin"
        );
    }
}
