//! The app's configuration file (`/etc/yakuba/app.toml`): parsed with serde, then validated
//! once into [`Config`], reporting every problem at once with its key path. The database URL
//! (`database`) and the `[audit]` section have modules of their own.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use sso::AssertionVerifier;

use crate::i18n::Lang;
use crate::schedule::free_slots::{HoursProblem, WorkingHours};

mod audit;
mod database;
pub mod directory_sync;
#[cfg(test)]
mod tests;

pub use audit::AuditSettings;
use audit::{AuditFile, audit_settings};
pub use database::{Backend, DatabaseUrl};

/// The app's settings, validated.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the app listens for the gateway.
    pub listen: SocketAddr,
    /// The database.
    pub database: DatabaseUrl,
    /// How identity assertions from the gateway are checked.
    pub assertion: AssertionSettings,
    /// Load the demo city when the organisation tables are empty at start.
    pub seed_demo_if_empty: bool,
    /// The language for users who have not chosen one.
    pub default_lang: Lang,
    /// Where Prometheus metrics are served (loopback by default), if anywhere.
    pub metrics_listen: Option<SocketAddr>,
    /// A file the log is appended to as well as the journal.
    pub log_file: Option<PathBuf>,
    /// The app's audit trail and the security team's view of the audit log.
    pub audit: AuditSettings,
    /// Working hours (and their break) that the schedule's free-slot search looks within.
    pub working_hours: WorkingHours,
}

/// How identity assertions from the gateway are checked.
#[derive(Debug, Clone)]
pub struct AssertionSettings {
    /// The gateway's Ed25519 public key (PEM) or shared HMAC secret file.
    pub verify_key: PathBuf,
    /// The audience assertions must name.
    pub audience: String,
    /// Clock difference tolerated between gateway and app.
    pub max_skew: Duration,
    /// Longest assertion lifetime accepted.
    pub max_lifetime: Duration,
}

impl AssertionSettings {
    /// Loads the key and builds the verifier the app checks every request with.
    pub fn verifier(&self) -> Result<AssertionVerifier, sso::AssertionError> {
        AssertionVerifier::from_file(
            &self.verify_key,
            &self.audience,
            self.max_skew,
            self.max_lifetime,
        )
    }
}

/// One thing wrong with a configuration, at a key path (`assertion.max_skew`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where in the file: a dotted key path, or `(file)` for the file as a whole.
    pub key: String,
    /// What is wrong, and what would be right.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

/// Everything wrong with a configuration file.
#[derive(Debug, thiserror::Error)]
#[error("{} in {source_name}:{}", problem_count(.problems.len()), list(.problems))]
pub struct ConfigError {
    /// The file (or `<text>`).
    pub source_name: String,
    /// Each problem with its key path.
    pub problems: Vec<Problem>,
}

fn problem_count(n: usize) -> String {
    if n == 1 {
        "1 problem".to_owned()
    } else {
        format!("{n} problems")
    }
}

fn list(problems: &[Problem]) -> String {
    problems.iter().map(|p| format!("\n  {p}")).collect()
}

/// The file as written; every field is plain so that all problems can be reported together.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default = "default_listen")]
    listen: SocketAddr,
    database: String,
    assertion: AssertionFile,
    #[serde(default)]
    seed_demo_if_empty: bool,
    #[serde(default)]
    default_lang: Lang,
    #[serde(default = "default_metrics_listen")]
    metrics_listen: MetricsListen,
    #[serde(default)]
    log_file: Option<PathBuf>,
    #[serde(default)]
    audit: AuditFile,
    #[serde(default)]
    schedule: ScheduleFile,
}

/// `[schedule]`: working hours as `HH:MM`, Japan time; the break is both ends or neither.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScheduleFile {
    work_start: Option<String>,
    work_end: Option<String>,
    break_start: Option<String>,
    break_end: Option<String>,
}

/// `metrics_listen`: an address, or `false` for no metrics.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum MetricsListen {
    Off(bool),
    At(SocketAddr),
}

fn default_metrics_listen() -> MetricsListen {
    MetricsListen::At(SocketAddr::from((Ipv4Addr::LOCALHOST, 9465)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AssertionFile {
    verify_key: PathBuf,
    #[serde(default = "default_audience")]
    audience: String,
    #[serde(default = "default_max_skew")]
    max_skew: String,
    #[serde(default = "default_max_lifetime")]
    max_lifetime: String,
}

/// Loopback by default: the app is reached through the gateway only.
fn default_listen() -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, 8701))
}

fn default_audience() -> String {
    "yakuba-app".to_owned()
}

fn default_max_skew() -> String {
    "5s".to_owned()
}

fn default_max_lifetime() -> String {
    "5m".to_owned()
}

impl Config {
    /// Reads and validates the file at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let source_name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            source_name: source_name.clone(),
            problems: vec![Problem {
                key: "(file)".to_owned(),
                message: format!("cannot read: {e}"),
            }],
        })?;
        Config::parse(&text, &source_name)
    }

    /// Parses and validates configuration text; `source_name` names it in errors.
    pub fn parse(text: &str, source_name: &str) -> Result<Config, ConfigError> {
        let file: ConfigFile = toml::from_str(text).map_err(|e| ConfigError {
            source_name: source_name.to_owned(),
            problems: vec![Problem {
                key: e
                    .span()
                    .and_then(|span| key_path(text, span, e.message()))
                    .unwrap_or_else(|| "(file)".to_owned()),
                message: e.message().to_owned(),
            }],
        })?;
        let mut problems = Vec::new();
        let mut problem = |key: &str, message: String| {
            problems.push(Problem {
                key: key.to_owned(),
                message,
            })
        };

        let database = DatabaseUrl::parse(&file.database)
            .map_err(|message| problem("database", message))
            .ok();
        let max_skew = sso::ldap::parse_duration(&file.assertion.max_skew)
            .map_err(|message| problem("assertion.max_skew", message))
            .ok();
        let max_lifetime = match sso::ldap::parse_duration(&file.assertion.max_lifetime) {
            Ok(lifetime) if lifetime.is_zero() => {
                problem(
                    "assertion.max_lifetime",
                    "must be longer than zero".to_owned(),
                );
                None
            }
            Ok(lifetime) => Some(lifetime),
            Err(message) => {
                problem("assertion.max_lifetime", message);
                None
            }
        };
        if file.assertion.audience.trim().is_empty() {
            problem(
                "assertion.audience",
                "must not be empty; the gateway's route names it (usually \"yakuba-app\")"
                    .to_owned(),
            );
        }
        let metrics_listen = match file.metrics_listen {
            MetricsListen::At(addr) => Some(addr),
            MetricsListen::Off(false) => None,
            MetricsListen::Off(true) => {
                problem(
                    "metrics_listen",
                    "write an address (\"127.0.0.1:9465\") or false".to_owned(),
                );
                None
            }
        };
        let audit = audit_settings(file.audit, &mut problem);
        let working_hours = working_hours(&file.schedule, &mut problem);
        if file.assertion.verify_key.as_os_str().is_empty() {
            problem(
                "assertion.verify_key",
                "must name the gateway's public key or shared secret file".to_owned(),
            );
        }

        match (database, max_skew, max_lifetime) {
            (Some(database), Some(max_skew), Some(max_lifetime)) if problems.is_empty() => {
                Ok(Config {
                    listen: file.listen,
                    database,
                    assertion: AssertionSettings {
                        verify_key: file.assertion.verify_key,
                        audience: file.assertion.audience,
                        max_skew,
                        max_lifetime,
                    },
                    seed_demo_if_empty: file.seed_demo_if_empty,
                    default_lang: file.default_lang,
                    metrics_listen,
                    log_file: file.log_file,
                    audit,
                    working_hours,
                })
            }
            _ => Err(ConfigError {
                source_name: source_name.to_owned(),
                problems,
            }),
        }
    }

    /// Problems that only show against the machine: today, whether the verify key loads.
    pub fn check_files(&self) -> Vec<Problem> {
        match self.assertion.verifier() {
            Ok(_) => Vec::new(),
            Err(e) => vec![Problem {
                key: "assertion.verify_key".to_owned(),
                message: e.to_string(),
            }],
        }
    }
}

/// The `[schedule]` working hours validated, reporting problems through `problem`; the default
/// hours stand in for what is wrong.
fn working_hours(file: &ScheduleFile, problem: &mut impl FnMut(&str, String)) -> WorkingHours {
    let defaults = WorkingHours::default();
    let mut clock = |key: &str, text: Option<&String>| -> Option<Option<time::Time>> {
        match text {
            None => Some(None),
            Some(text) => match parse_clock(text) {
                Some(at) => Some(Some(at)),
                None => {
                    problem(
                        &format!("schedule.{key}"),
                        format!("`{text}`: write a time of day as HH:MM, e.g. \"08:30\""),
                    );
                    None
                }
            },
        }
    };
    let start = clock("work_start", file.work_start.as_ref());
    let end = clock("work_end", file.work_end.as_ref());
    let break_start = clock("break_start", file.break_start.as_ref());
    let break_end = clock("break_end", file.break_end.as_ref());
    let (Some(start), Some(end), Some(break_start), Some(break_end)) =
        (start, end, break_start, break_end)
    else {
        return defaults;
    };
    let pause = match (break_start, break_end) {
        (Some(from), Some(to)) => Some((from, to)),
        (None, None) => None,
        (Some(_), None) | (None, Some(_)) => {
            problem(
                "schedule.break_start",
                "give break_start and break_end together, or neither".to_owned(),
            );
            return defaults;
        }
    };
    match WorkingHours::new(
        start.unwrap_or(defaults.start()),
        end.unwrap_or(defaults.end()),
        pause,
    ) {
        Ok(hours) => hours,
        Err(e) => {
            let key = match e {
                HoursProblem::EndBeforeStart => "schedule.work_end",
                HoursProblem::BreakEndBeforeStart => "schedule.break_end",
                HoursProblem::BreakOutside => "schedule.break_start",
            };
            problem(key, e.to_string());
            defaults
        }
    }
}

/// `HH:MM` on a 24-hour clock, two digits each.
fn parse_clock(text: &str) -> Option<time::Time> {
    let (hour, minute) = text.split_once(':')?;
    if hour.len() != 2 || minute.len() != 2 {
        return None;
    }
    time::Time::from_hms(hour.parse().ok()?, minute.parse().ok()?, 0).ok()
}

/// The dotted key path a TOML error points at, worked out from the error's span: the key on
/// the offending line under the last table header above it, the header itself for an unknown
/// table, or the table plus the field for a missing field (whose span is the whole table).
fn key_path(text: &str, span: std::ops::Range<usize>, message: &str) -> Option<String> {
    let before = text.get(..span.start)?;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let table_above = text
        .get(..line_start)?
        .lines()
        .filter_map(header_name)
        .next_back();
    let qualified = |table: Option<&str>, key: &str| match table {
        Some(table) => format!("{table}.{key}"),
        None => key.to_owned(),
    };
    if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
    {
        let table = text.get(span)?.lines().next().and_then(header_name);
        return Some(qualified(table, field));
    }
    let line = text.get(line_start..)?.lines().next().unwrap_or_default();
    if let Some(table) = header_name(line) {
        return Some(table.to_owned());
    }
    let key = line.split_once('=').map(|(key, _)| key.trim())?;
    Some(qualified(table_above, key))
}

/// The name in a `[table]` or `[[array]]` header line.
fn header_name(line: &str) -> Option<&str> {
    let line = line.trim();
    let name = line.strip_prefix('[')?.split(']').next()?;
    Some(name.trim_start_matches('[').trim())
}
