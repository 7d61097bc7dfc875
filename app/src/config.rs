//! The app's configuration file (`/etc/yakuba/app.toml`): parsed with serde, then validated
//! once into [`Config`], reporting every problem at once with its key path.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use sso::AssertionVerifier;

use crate::i18n::Lang;
use crate::schedule::free_slots::{HoursProblem, WorkingHours};

pub mod directory_sync;

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

/// `[audit]`: where the app's own audit records go (segments chained and sealed like the
/// gateway's, in a directory of the app's) and what the security team's view reads.
#[derive(Debug, Clone)]
pub struct AuditSettings {
    /// Directory of the app's segment files; without it the records go to the app's log only
    /// (unchained), and the start says so.
    pub dir: Option<PathBuf>,
    /// Ed25519 private key that seals the app's segments (created when missing, with its
    /// public half `.pub` beside it for `yakuba-gateway audit verify --dir`).
    pub signing_key: PathBuf,
    /// When records are forced to disk.
    pub fsync: sso::audit::stream::Fsync,
    /// Where signed checkpoints of the app's stream go (default: `audit-checkpoints` beside
    /// the signing key), apart from the segments.
    pub checkpoint_dir: PathBuf,
    /// Sealed segments whose seal is older than this are deleted.
    pub retention: Duration,
    /// What happens when records cannot be written.
    pub on_failure: sso::audit::FailurePolicy,
    /// Segment directories the audit view reads (the gateway's and the app's).
    pub view_dirs: Vec<PathBuf>,
    /// Members of these groups (the security team) may open the audit view.
    pub security_groups: Vec<String>,
}

impl Default for AuditSettings {
    fn default() -> AuditSettings {
        AuditSettings {
            dir: None,
            signing_key: "audit.key".into(),
            fsync: sso::audit::stream::Fsync::Batch,
            checkpoint_dir: "audit-checkpoints".into(),
            retention: Duration::from_secs(400 * 86_400),
            on_failure: sso::audit::FailurePolicy::FailClosed,
            view_dirs: Vec::new(),
            security_groups: vec!["yakuba-security".into()],
        }
    }
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

/// Which database the app keeps its data in.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// An SQLite file, created if missing; a relative path resolves against the current
    /// directory.
    Sqlite {
        /// The database file.
        path: PathBuf,
    },
    /// A PostgreSQL server.
    Postgres {
        /// The full `postgres://` URL, password included; never logged (see `Display`).
        url: url::Url,
    },
}

impl DatabaseUrl {
    /// Parses `sqlite://PATH` (also `sqlite:PATH`) or `postgres://...` (also `postgresql://`).
    pub fn parse(text: &str) -> Result<DatabaseUrl, String> {
        if let Some(rest) = text
            .strip_prefix("sqlite://")
            .or_else(|| text.strip_prefix("sqlite:"))
        {
            let path = rest.split('?').next().unwrap_or_default();
            if rest.contains('?') {
                return Err(format!(
                    "`{text}`: SQLite options in the URL are not supported; the app sets them"
                ));
            }
            if path.is_empty() || path == ":memory:" {
                return Err(format!(
                    "`{text}` names no file; an in-memory database would lose all data on restart"
                ));
            }
            return Ok(DatabaseUrl::Sqlite { path: path.into() });
        }
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            let url =
                url::Url::parse(text).map_err(|e| format!("not a valid PostgreSQL URL: {e}"))?;
            if url.host_str().is_none_or(str::is_empty) {
                return Err("the PostgreSQL URL names no host".to_owned());
            }
            return Ok(DatabaseUrl::Postgres { url });
        }
        Err(format!(
            "`{}` is neither `sqlite://PATH` nor `postgres://...`",
            redact_text(text)
        ))
    }

    /// The backend this URL selects.
    pub fn backend(&self) -> Backend {
        match self {
            DatabaseUrl::Sqlite { .. } => Backend::Sqlite,
            DatabaseUrl::Postgres { .. } => Backend::Postgres,
        }
    }
}

/// Hides whatever sits between `://` and `@`, where a password would be, in text that did not
/// parse as a URL.
fn redact_text(text: &str) -> String {
    match (text.find("://"), text.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}://***{}", &text[..scheme_end], &text[at..])
        }
        _ => text.to_owned(),
    }
}

/// Shows the database without its password, so it can go into logs.
impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite { path } => write!(f, "sqlite://{}", path.display()),
            DatabaseUrl::Postgres { url } => {
                let mut shown = url.clone();
                if shown.password().is_some() {
                    // Only fails for URLs that cannot have a password, which this one has.
                    let _ = shown.set_password(Some("***"));
                }
                write!(f, "{shown}")
            }
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

/// A database backend; each has its own migrations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite, embedded.
    Sqlite,
    /// PostgreSQL.
    Postgres,
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

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditFile {
    dir: Option<PathBuf>,
    signing_key: Option<PathBuf>,
    fsync: Option<String>,
    checkpoint_dir: Option<PathBuf>,
    retention: Option<String>,
    on_failure: Option<sso::audit::FailurePolicy>,
    #[serde(default)]
    view_dirs: Vec<PathBuf>,
    security_groups: Option<Vec<String>>,
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

/// The `[audit]` section validated, reporting problems through `problem`.
fn audit_settings(file: AuditFile, problem: &mut impl FnMut(&str, String)) -> AuditSettings {
    let defaults = AuditSettings::default();
    let fsync = match file.fsync.as_deref() {
        None => defaults.fsync,
        Some("never") => sso::audit::stream::Fsync::Never,
        Some("batch") => sso::audit::stream::Fsync::Batch,
        Some(other) => match sso::ldap::parse_duration(other) {
            Ok(d) if !d.is_zero() => sso::audit::stream::Fsync::Interval(d),
            _ => {
                problem(
                    "audit.fsync",
                    format!("`{other}`: write \"never\", \"batch\" or an interval like \"1s\""),
                );
                defaults.fsync
            }
        },
    };
    let retention = match file.retention.as_deref().map(sso::ldap::parse_duration) {
        None => defaults.retention,
        Some(Ok(d)) if d >= Duration::from_secs(86_400) => d,
        Some(Ok(_)) => {
            problem("audit.retention", "must be at least 1d".to_owned());
            defaults.retention
        }
        Some(Err(message)) => {
            problem("audit.retention", message);
            defaults.retention
        }
    };
    let mut security_groups = Vec::new();
    for (i, group) in file
        .security_groups
        .unwrap_or(defaults.security_groups)
        .iter()
        .enumerate()
    {
        match sso::dn::normalise_group(group) {
            Ok(g) => security_groups.push(g),
            Err(e) => problem(&format!("audit.security_groups[{i}]"), e.to_string()),
        }
    }
    let signing_key = file.signing_key.unwrap_or(defaults.signing_key);
    let checkpoint_dir = file.checkpoint_dir.unwrap_or_else(|| {
        signing_key
            .parent()
            .unwrap_or(Path::new(""))
            .join(&defaults.checkpoint_dir)
    });
    if file.dir.as_ref() == Some(&checkpoint_dir) {
        problem(
            "audit.checkpoint_dir",
            "must not be the segment directory (checkpoints must survive where segments do not)"
                .to_owned(),
        );
    }
    AuditSettings {
        dir: file.dir,
        signing_key,
        fsync,
        checkpoint_dir,
        retention,
        on_failure: file.on_failure.unwrap_or(defaults.on_failure),
        view_dirs: file.view_dirs,
        security_groups,
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

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
        database = "sqlite://var/app.db"
        [assertion]
        verify_key = "assertion.pub"
    "#;

    fn problems(text: &str) -> Vec<Problem> {
        match Config::parse(text, "test.toml") {
            Ok(config) => panic!("expected problems, got {config:?}"),
            Err(e) => e.problems,
        }
    }

    fn keys(text: &str) -> Vec<String> {
        problems(text).into_iter().map(|p| p.key).collect()
    }

    /// Every shipped file under `config/` whose name mentions the app.
    fn shipped_app_configs(dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                shipped_app_configs(&path, found);
            } else if path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.contains("app") && n.ends_with(".toml"))
            {
                found.push(path);
            }
        }
    }

    #[test]
    fn every_shipped_app_config_parses() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config");
        let mut files = Vec::new();
        shipped_app_configs(&dir, &mut files);
        assert!(
            files.len() >= 2,
            "expected config/app.toml and config/demo/app.toml, found {files:?}"
        );
        for file in files {
            if let Err(e) = Config::load(&file) {
                panic!("{e}");
            }
        }
    }

    #[test]
    fn defaults_listen_on_loopback_in_japanese() {
        let config = Config::parse(MINIMAL, "test.toml").unwrap();
        assert_eq!(config.listen, "127.0.0.1:8701".parse().unwrap());
        assert!(config.listen.ip().is_loopback());
        assert_eq!(config.default_lang, Lang::Ja);
        assert!(!config.seed_demo_if_empty);
        assert_eq!(config.assertion.audience, "yakuba-app");
        assert_eq!(config.assertion.max_skew, Duration::from_secs(5));
        assert_eq!(config.assertion.max_lifetime, Duration::from_secs(300));
        assert_eq!(
            config.database,
            DatabaseUrl::Sqlite {
                path: "var/app.db".into()
            }
        );
    }

    #[test]
    fn database_urls_select_their_backend() {
        let table = [
            ("sqlite://var/demo/app.db", Some(Backend::Sqlite)),
            ("sqlite:///var/lib/yakuba/app.db", Some(Backend::Sqlite)),
            ("sqlite:app.db", Some(Backend::Sqlite)),
            ("postgres://yakuba@db.example/app", Some(Backend::Postgres)),
            (
                "postgresql://yakuba:pw@10.0.0.5:5432/app",
                Some(Backend::Postgres),
            ),
            ("sqlite::memory:", None),
            ("sqlite://", None),
            ("sqlite://app.db?mode=ro", None),
            ("postgres:///app", None),
            ("mysql://db/app", None),
            ("/var/lib/yakuba/app.db", None),
        ];
        for (text, expected) in table {
            assert_eq!(
                DatabaseUrl::parse(text).ok().map(|url| url.backend()),
                expected,
                "{text}"
            );
        }
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/yakuba/app.db").unwrap(),
            DatabaseUrl::Sqlite {
                path: "/var/lib/yakuba/app.db".into()
            }
        );
    }

    #[test]
    fn database_passwords_never_show() {
        let url = DatabaseUrl::parse("postgres://yakuba:s3cret@db/app").unwrap();
        assert!(!format!("{url}").contains("s3cret"));
        assert!(!format!("{url:?}").contains("s3cret"));
        let text = r#"
            database = "mysql://yakuba:s3cret@db/app"
            [assertion]
            verify_key = "k"
        "#;
        let shown: String = problems(text).iter().map(|p| p.to_string()).collect();
        assert!(shown.contains("database"), "{shown}");
        assert!(!shown.contains("s3cret"), "{shown}");
    }

    #[test]
    fn every_problem_is_reported_at_once_with_its_key() {
        let text = r#"
            database = "oracle://x"
            [assertion]
            verify_key = ""
            audience = " "
            max_skew = "5"
            max_lifetime = "0s"
        "#;
        assert_eq!(
            keys(text),
            [
                "database",
                "assertion.max_skew",
                "assertion.max_lifetime",
                "assertion.audience",
                "assertion.verify_key",
            ]
        );
    }

    #[test]
    fn unknown_keys_are_refused_with_their_place() {
        let text = r#"
            database = "sqlite://a.db"
            [assertion]
            verify_key = "k"
            max_skw = "5s"
        "#;
        let found = problems(text);
        assert_eq!(found.len(), 1);
        assert!(found[0].message.contains("max_skw"), "{found:?}");
        assert_eq!(found[0].key, "assertion.max_skw");
    }

    #[test]
    fn parse_errors_name_the_key_to_fix() {
        let table = [
            ("[assertion]\nverify_key = \"k\"\n", "database"),
            ("database = \"sqlite://a\"\n", "assertion"),
            (
                "database = \"sqlite://a\"\n\n[assertion]\naudience = \"x\"\n",
                "assertion.verify_key",
            ),
            (
                "database = \"sqlite://a\"\n[assertion]\nverify_key = \"k\"\n[extra]\nx = 1\n",
                "extra",
            ),
            (
                "database = 1\n[assertion]\nverify_key = \"k\"\n",
                "database",
            ),
            (
                "database = \"sqlite://a\"\nlisten = \"x\"\n[assertion]\nverify_key = \"k\"\n",
                "listen",
            ),
            (
                "database = \"sqlite://a\"\n[assertion]\nverify_key = \"k\"\naudience = 3\n",
                "assertion.audience",
            ),
        ];
        for (text, key) in table {
            assert_eq!(keys(text), [key], "{text}");
        }
    }

    #[test]
    fn a_bad_language_is_refused() {
        let text = r#"
            database = "sqlite://a.db"
            default_lang = "fr"
            [assertion]
            verify_key = "k"
        "#;
        assert_eq!(keys(text), ["default_lang"]);
    }

    #[test]
    fn a_missing_verify_key_file_is_found_by_check_files() {
        let config = Config::parse(MINIMAL, "test.toml").unwrap();
        let found = config.check_files();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].key, "assertion.verify_key");
    }

    #[test]
    fn working_hours_default_to_0830_1715_and_are_configured_with_a_break() {
        let config = Config::parse(MINIMAL, "test.toml").unwrap();
        assert_eq!(config.working_hours, WorkingHours::default());
        let text = format!(
            "{MINIMAL}\n[schedule]\nwork_start = \"09:00\"\nwork_end = \"17:45\"\n\
             break_start = \"12:00\"\nbreak_end = \"13:00\"\n"
        );
        let hours = Config::parse(&text, "test.toml").unwrap().working_hours;
        let at = |h, m| time::Time::from_hms(h, m, 0).unwrap();
        assert_eq!(
            (hours.start(), hours.end(), hours.pause()),
            (at(9, 0), at(17, 45), Some((at(12, 0), at(13, 0))))
        );
    }

    #[test]
    fn bad_working_hours_are_reported_with_their_keys() {
        let table = [
            ("work_start = \"8:30\"", "schedule.work_start"),
            ("work_end = \"17:75\"", "schedule.work_end"),
            (
                "work_start = \"18:00\"\nwork_end = \"09:00\"",
                "schedule.work_end",
            ),
            ("break_start = \"12:00\"", "schedule.break_start"),
            (
                "break_start = \"13:00\"\nbreak_end = \"12:00\"",
                "schedule.break_end",
            ),
            (
                "break_start = \"07:00\"\nbreak_end = \"08:00\"",
                "schedule.break_start",
            ),
            ("lunch = \"12:00-13:00\"", "schedule.lunch"),
        ];
        for (lines, key) in table {
            let text = format!("{MINIMAL}\n[schedule]\n{lines}\n");
            assert_eq!(keys(&text), [key], "{lines}");
        }
    }

    #[test]
    fn errors_list_every_problem() {
        let e = Config::parse("database = 1", "x.toml").unwrap_err();
        assert!(e.to_string().starts_with("1 problem in x.toml:"), "{e}");
    }
}
